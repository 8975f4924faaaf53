/**
 * IAM's rules for the user and role names and the path the stack generates (IAM API Reference,
 * CreateUser/CreateRole: names 1-64 characters of [\w+=,.@-]; paths up to 512, "/" or
 * "/…/" of printable ASCII), and the composition the stack and the validator share.
 */
import { handlerName, iamNameProblem, iamPath, iamPathProblem, invokerIamName, resourcePrefix } from '../../src/config/iam-names';

describe('generated IAM names', () => {
  it('composes project-environment-invoker, the handler name and the path as the stack uses them', () => {
    const prefix = resourcePrefix('iam-http-api', 'dev');
    expect(invokerIamName(prefix, 'deployer')).toBe('iam-http-api-dev-deployer');
    expect(handlerName(prefix)).toBe('iam-http-api-dev-handler');
    expect(iamPath('iam-http-api')).toBe('/iam-http-api/');
  });

  it.each([
    ['user', 'a'.repeat(64), undefined],
    ['role', 'A_b+c=d,e.f@g-h', undefined],
    ['user', 'a'.repeat(65), `the IAM user name "${'a'.repeat(65)}" is 65 characters; IAM allows at most 64 (CreateUser UserName)`],
    ['role', 'a'.repeat(70), `the IAM role name "${'a'.repeat(70)}" is 70 characters; IAM allows at most 64 (CreateRole RoleName)`],
    ['role', 'has space', 'the IAM role name "has space" has characters IAM refuses; it takes letters, digits and _+=,.@- (CreateRole RoleName)'],
    ['user', 'a/b', 'the IAM user name "a/b" has characters IAM refuses; it takes letters, digits and _+=,.@- (CreateUser UserName)'],
    ['user', '', 'the IAM user name "" has characters IAM refuses; it takes letters, digits and _+=,.@- (CreateUser UserName)'],
  ] as const)('%s name %j', (kind, name, problem) => {
    expect(iamNameProblem(kind, name)).toBe(problem);
  });

  it.each([
    ['/', undefined],
    ['/iam-http-api/', undefined],
    ['/a/b~!/', undefined],
    [`/${'p'.repeat(510)}/`, undefined],
    [`/${'p'.repeat(511)}/`, 'the IAM path "/' + 'p'.repeat(511) + '/" is 513 characters; IAM allows at most 512'],
    ['iam-http-api', 'the IAM path "iam-http-api" is not allowed; IAM takes "/" or "/" + printable ASCII without spaces + "/"'],
    ['/a b/', 'the IAM path "/a b/" is not allowed; IAM takes "/" or "/" + printable ASCII without spaces + "/"'],
    ['//', 'the IAM path "//" is not allowed; IAM takes "/" or "/" + printable ASCII without spaces + "/"'],
  ])('path %j', (path, problem) => {
    expect(iamPathProblem(path)).toBe(problem);
  });
});
