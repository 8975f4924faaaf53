/**
 * Reading a role's trust policy for review: who can now assume the role (a new principal,
 * account, service, federated provider or GitHub repository/branch/environment, or one whose
 * conditions were dropped or relaxed), and what was narrowed. The summary and the
 * real-terraform test (plan-review.test.ts) use the same functions on real plans.
 */
import { compareTrust, patternCovers, trustGrants } from '../../src/plan/trust-grants';

const OWN = '123456789012';
const GITHUB_PROVIDER = `arn:aws:iam::${OWN}:oidc-provider/token.actions.githubusercontent.com`;

type Statement = Record<string, unknown>;
const doc = (...statements: Statement[]): string => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const allow = (principal: unknown, extra: Statement = {}): Statement => ({ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole', ...extra });
const github = (sub: string | string[], extra: Statement = {}, op = 'StringLike'): Statement => {
  const aud = { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' };
  const subject = { 'token.actions.githubusercontent.com:sub': sub };
  return {
    Effect: 'Allow',
    Principal: { Federated: GITHUB_PROVIDER },
    Action: 'sts:AssumeRoleWithWebIdentity',
    Condition: op === 'StringEquals' ? { StringEquals: { ...aud, ...subject } } : { StringEquals: aud, [op]: subject },
    ...extra,
  };
};
const externalId = (id: string | string[]) => ({ Condition: { StringEquals: { 'sts:ExternalId': id } } });

describe('compareTrust: a new role', () => {
  it('counts everything it trusts as new', () => {
    const after = doc(
      allow({ AWS: ['arn:aws:iam::123456789012:user/editor', '111122223333'] }),
      allow({ AWS: 'arn:aws:iam::210987654321:root' }, externalId('partner-42')),
      allow({ Service: ['lambda.amazonaws.com'] }),
      github('repo:org/app:ref:refs/heads/main'),
    );
    expect(compareTrust(undefined, after, { ownAccount: OWN })).toEqual({
      widened: [
        'can now be assumed by `arn:aws:iam::123456789012:user/editor`',
        'can now be assumed by account `111122223333` without `sts:ExternalId`',
        'can now be assumed by account `210987654321`',
        'can now be assumed by service `lambda.amazonaws.com`',
        'can now be assumed by GitHub `repo:org/app:ref:refs/heads/main`',
      ],
      narrowed: [],
    });
  });

  it('names an in-stack user known only after apply by its configured name', () => {
    const after = doc(allow({ AWS: ['${aws_iam_user.invoker_admin.arn}', '${aws_iam_role.other.arn}', '${aws_iam_user.gone.arn}'] }));
    const nameOf = (_type: string, resource: string) => (resource === 'invoker_admin' ? 'iam-http-api-dev-admin' : resource === 'other' ? 'r' : undefined);
    expect(compareTrust(undefined, after, { nameOf })?.widened).toEqual([
      'can now be assumed by invoker `admin` (IAM user `iam-http-api-dev-admin`)',
      'can now be assumed by IAM role `r`',
      'can now be assumed by `${aws_iam_user.gone.arn}` (known after apply)',
    ]);
  });

  it('calls out Principal "*", NotPrincipal and a GitHub provider with no sub condition', () => {
    const after = doc(
      allow('*', { Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc' } } }),
      { Effect: 'Allow', NotPrincipal: { AWS: 'arn:aws:iam::123456789012:user/x' }, Action: 'sts:AssumeRole' },
      { Effect: 'Allow', Principal: { Federated: GITHUB_PROVIDER }, Action: 'sts:AssumeRoleWithWebIdentity', Condition: { StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' } } },
      allow({ Federated: 'arn:aws:iam::123456789012:saml-provider/okta' }, { Action: 'sts:AssumeRoleWithSAML' }),
    );
    expect(compareTrust(undefined, after)?.widened).toEqual([
      'can now be assumed by ANYONE (Principal "*")',
      'can now be assumed by ANYONE except `arn:aws:iam::123456789012:user/x` (NotPrincipal)',
      'can now be assumed by GitHub Actions workflows of ANY repository (no StringEquals/StringLike condition on `token.actions.githubusercontent.com:sub`)',
      'can now be assumed by federated provider `arn:aws:iam::123456789012:saml-provider/okta`',
    ]);
  });

  it('ignores statements that allow no way to assume the role', () => {
    const after = doc(
      allow({ AWS: '111122223333' }, { Action: 'sts:TagSession' }),
      allow({ AWS: '222233334444' }, { Action: ['sts:TagSession', 'STS:assume*'] }),
      { Effect: 'Allow', Principal: { AWS: '333344445555' }, NotAction: 'sts:AssumeRole*' },
      { Effect: 'Allow', Principal: { AWS: '444455556666' }, NotAction: 'sts:TagSession' },
    );
    expect(compareTrust(undefined, after)?.widened).toEqual([
      'can now be assumed by account `222233334444` without `sts:ExternalId`',
      'can now be assumed by account `444455556666` without `sts:ExternalId`',
    ]);
  });
});

describe('compareTrust: an updated role, widening', () => {
  const base = doc(allow({ AWS: ['arn:aws:iam::123456789012:user/admin'] }));

  it('reports a user added, and only it', () => {
    const after = doc(allow({ AWS: ['arn:aws:iam::123456789012:user/admin', 'arn:aws:iam::123456789012:user/editor'] }));
    expect(compareTrust(base, after)).toEqual({ widened: ['can now be assumed by `arn:aws:iam::123456789012:user/editor`'], narrowed: [] });
  });

  it('treats an account id and its root ARN as the same account, as IAM does', () => {
    expect(compareTrust(doc(allow({ AWS: '111122223333' })), doc(allow({ AWS: 'arn:aws:iam::111122223333:root' })))).toEqual({ widened: [], narrowed: [] });
  });

  it('reports a dropped external id as the account now assumable without sts:ExternalId', () => {
    const before = doc(allow({ AWS: 'arn:aws:iam::111122223333:root' }, externalId('partner-42')));
    const after = doc(allow({ AWS: 'arn:aws:iam::111122223333:root' }));
    expect(compareTrust(before, after)).toEqual({ widened: ['can now be assumed by account `111122223333` without `sts:ExternalId`'], narrowed: [] });
  });

  it('reports a changed or added external id value as a changed condition, since the new value now works', () => {
    const before = doc(allow({ AWS: '111122223333' }, externalId('partner-42')));
    expect(compareTrust(before, doc(allow({ AWS: '111122223333' }, externalId('partner-43'))))?.widened).toEqual([
      'can now be assumed by account `111122223333` with a changed `sts:ExternalId` condition',
    ]);
    expect(compareTrust(before, doc(allow({ AWS: '111122223333' }, externalId(['partner-42', 'other']))))?.widened).toEqual([
      'can now be assumed by account `111122223333` with a changed `sts:ExternalId` condition',
    ]);
  });

  it('widening from a user to its whole account is a new principal', () => {
    expect(compareTrust(base, doc(allow({ AWS: '123456789012' }), allow({ AWS: ['arn:aws:iam::123456789012:user/admin'] })))?.widened).toEqual([
      'can now be assumed by account `123456789012` without `sts:ExternalId`',
    ]);
  });

  it('a new service, and a Deny statement removed', () => {
    const deny = { Effect: 'Deny', Principal: { AWS: 'arn:aws:iam::123456789012:user/intern' }, Action: 'sts:AssumeRole', Sid: 'NoInterns' };
    const before = doc(allow({ Service: 'lambda.amazonaws.com' }), deny);
    const after = doc(allow({ Service: ['lambda.amazonaws.com', 'ECS-TASKS.amazonaws.com'] }));
    expect(compareTrust(before, after)).toEqual({
      widened: ['can now be assumed by service `ecs-tasks.amazonaws.com`', 'no longer has its Deny statement `NoInterns`'],
      narrowed: [],
    });
  });

  it('GitHub: a new branch, a widened wildcard, and the audience dropped each count as new', () => {
    const before = doc(github('repo:org/app:ref:refs/heads/main'));
    expect(compareTrust(before, doc(github(['repo:org/app:ref:refs/heads/main', 'repo:org/app:ref:refs/heads/dev'])))?.widened).toEqual([
      'can now be assumed by GitHub `repo:org/app:ref:refs/heads/dev`',
    ]);
    expect(compareTrust(before, doc(github('repo:org/*')))).toEqual({
      widened: ['can now be assumed by GitHub `repo:org/*`'],
      narrowed: [],
    });
    const noAud = doc({ ...github('repo:org/app:ref:refs/heads/main'), Condition: { StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:org/app:ref:refs/heads/main' } } });
    expect(compareTrust(before, noAud)?.widened).toEqual([
      'can now be assumed by GitHub `repo:org/app:ref:refs/heads/main` without `token.actions.githubusercontent.com:aud`',
    ]);
  });

  it('GitHub: a sub condition written with ForAnyValue: or ...IfExists reads as the plain one; StringNotLike limits no one', () => {
    const before = doc(github('repo:org/app:*'));
    const anyValue = doc(github('repo:org/app:*', {}, 'ForAnyValue:StringLike'));
    const ifExists = doc(github('repo:org/app:*', {}, 'StringLikeIfExists'));
    expect(compareTrust(before, anyValue)).toEqual({ widened: [], narrowed: [] });
    expect(compareTrust(before, ifExists)).toEqual({ widened: [], narrowed: [] });
    expect(compareTrust(before, doc(github('repo:org/other:*', {}, 'StringNotLike')))?.widened).toEqual([
      'can now be assumed by GitHub Actions workflows of ANY repository (no StringEquals/StringLike condition on `token.actions.githubusercontent.com:sub`)',
    ]);
  });

  it('GitHub: an environment instead of a branch is a new subject', () => {
    const before = doc(github('repo:org/app:ref:refs/heads/main'));
    expect(compareTrust(before, doc(github('repo:org/app:environment:prod')))).toEqual({
      widened: ['can now be assumed by GitHub `repo:org/app:environment:prod`'],
      narrowed: ['can no longer be assumed by GitHub `repo:org/app:ref:refs/heads/main`'],
    });
  });

  it('a condition operator weakened to ...IfExists, and StringEquals widened to StringLike, are relaxations', () => {
    const before = doc(allow({ Service: 'lambda.amazonaws.com' }, { Condition: { StringEquals: { 'aws:SourceAccount': OWN } } }));
    const ifExists = doc(allow({ Service: 'lambda.amazonaws.com' }, { Condition: { StringEqualsIfExists: { 'aws:SourceAccount': OWN } } }));
    const like = doc(allow({ Service: 'lambda.amazonaws.com' }, { Condition: { StringLike: { 'aws:SourceAccount': '1234*' } } }));
    expect(compareTrust(before, ifExists)?.widened).toEqual(['can now be assumed by service `lambda.amazonaws.com` with a changed `aws:SourceAccount` condition']);
    expect(compareTrust(before, like)?.widened).toEqual(['can now be assumed by service `lambda.amazonaws.com` with a changed `aws:SourceAccount` condition']);
    // And back: both are narrowing.
    expect(compareTrust(ifExists, before)?.widened).toEqual([]);
    expect(compareTrust(like, before)?.widened).toEqual([]);
  });
});

describe('compareTrust: an updated role, narrowing (not a caution)', () => {
  it('a user removed', () => {
    const before = doc(allow({ AWS: ['arn:aws:iam::123456789012:user/admin', 'arn:aws:iam::123456789012:user/editor'] }));
    const after = doc(allow({ AWS: 'arn:aws:iam::123456789012:user/admin' }));
    expect(compareTrust(before, after)).toEqual({ widened: [], narrowed: ['can no longer be assumed by `arn:aws:iam::123456789012:user/editor`'] });
  });

  it('an external id added to an account', () => {
    expect(compareTrust(doc(allow({ AWS: '111122223333' })), doc(allow({ AWS: '111122223333' }, externalId('x1'))))).toEqual({
      widened: [],
      narrowed: ['can be assumed by account `111122223333` only under stricter conditions'],
    });
  });

  it('a whole account narrowed to one of its users, and a GitHub wildcard to one branch', () => {
    expect(compareTrust(doc(allow({ AWS: '123456789012' })), doc(allow({ AWS: 'arn:aws:iam::123456789012:user/admin' })))).toEqual({
      widened: [],
      narrowed: ['can no longer be assumed by account `123456789012`'],
    });
    expect(compareTrust(doc(github('repo:org/*')), doc(github('repo:org/app:ref:refs/heads/main')))).toEqual({
      widened: [],
      narrowed: ['can no longer be assumed by GitHub `repo:org/*`'],
    });
    expect(compareTrust(doc(github('repo:org/app:*')), doc(github('repo:org/app:environment:prod', {}, 'StringEquals')))?.widened).toEqual([]);
  });

  it('a Deny statement added', () => {
    const deny = { Effect: 'Deny', Principal: '*', Action: 'sts:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } };
    expect(compareTrust(doc(allow({ AWS: '111122223333' })), doc(allow({ AWS: '111122223333' }), deny))).toEqual({
      widened: [],
      narrowed: ['has a new Deny statement #2'],
    });
  });

  it('a Deny statement names no one as assuming the role', () => {
    const deny = { Effect: 'Deny', Principal: { AWS: '999999999999' }, Action: 'sts:AssumeRole' };
    expect(compareTrust(undefined, doc(deny))).toEqual({ widened: [], narrowed: ['has a new Deny statement #1'] });
  });
});

describe('compareTrust: unchanged, reordered, and references known after apply', () => {
  it('reports nothing for the same trust written differently', () => {
    const before = doc(allow({ AWS: ['arn:aws:iam::123456789012:user/a', 'arn:aws:iam::123456789012:user/b'] }), github(['repo:o/r:ref:refs/heads/main', 'repo:o/r:environment:prod']));
    const after = doc(github(['repo:o/r:environment:prod', 'repo:o/r:ref:refs/heads/main']), allow({ AWS: ['arn:aws:iam::123456789012:user/b', 'arn:aws:iam::123456789012:user/a'] }, { Sid: 'Renamed' }));
    expect(compareTrust(before, after)).toEqual({ widened: [], narrowed: [] });
  });

  it('matches an in-stack reference to the ARN it had, in the role\'s own account only', () => {
    const before = doc(allow({ AWS: ['arn:aws:iam::123456789012:user/iam-http-api/iam-http-api-dev-admin'] }));
    const after = doc(allow({ AWS: ['${aws_iam_user.invoker_admin.arn}', '${aws_iam_user.invoker_editor.arn}'] }));
    const nameOf = (_type: string, resource: string) => `iam-http-api-dev-${resource.replace('invoker_', '')}`;
    expect(compareTrust(before, after, { ownAccount: OWN, nameOf })).toEqual({
      widened: ['can now be assumed by invoker `editor` (IAM user `iam-http-api-dev-editor`)'],
      narrowed: [],
    });
    // The same name in another account is someone else.
    expect(compareTrust(before, after, { ownAccount: '999999999999', nameOf })?.widened).toHaveLength(2);
    // Without the configured name, nothing can be matched: both count as new (the stricter reading).
    expect(compareTrust(before, after, { ownAccount: OWN })?.widened).toHaveLength(2);
  });

  it('an in-stack GitHub provider reference is GitHub\'s provider', () => {
    const before = doc(github('repo:o/r:*'));
    const after = doc({ ...github('repo:o/r:*'), Principal: { Federated: '${aws_iam_openid_connect_provider.github_actions.arn}' } });
    expect(compareTrust(before, after)).toEqual({ widened: [], narrowed: [] });
  });

  it('says "not a policy" for text that is not one', () => {
    expect(compareTrust(undefined, 'not json')).toBeUndefined();
    expect(compareTrust('{"a":1}', doc())).toBeUndefined();
    expect(trustGrants('{}')).toBeUndefined();
  });
});

describe('patternCovers', () => {
  const like = (text: string) => ({ text, wildcard: true });
  const literal = (text: string) => ({ text, wildcard: false });

  it.each([
    ['repo:org/*', 'repo:org/app:ref:refs/heads/main', true],
    ['repo:org/*', 'repo:org/app:*', true],
    ['repo:org/app:*', 'repo:org/*', false],
    ['repo:org/app:ref:refs/heads/*', 'repo:org/app:ref:refs/heads/release-?', true],
    ['repo:org/app:ref:refs/heads/release-?', 'repo:org/app:ref:refs/heads/release-*', false],
    ['a?c', 'a*c', false],
    ['*', '*', true],
    ['abc', 'abc', true],
    ['abc', 'ab?', false],
  ])('%s covers %s: %s', (outer, inner, expected) => {
    expect(patternCovers(like(outer), like(inner))).toBe(expected);
  });

  it('treats * in a literal (StringEquals) value as a character', () => {
    expect(patternCovers(literal('repo:org/*'), literal('repo:org/*'))).toBe(true);
    expect(patternCovers(literal('repo:org/*'), like('repo:org/*'))).toBe(false);
    expect(patternCovers(literal('repo:org/*'), literal('repo:org/app'))).toBe(false);
    expect(patternCovers(like('repo:org/*'), literal('repo:org/*'))).toBe(true);
  });

  it('ArnLike: a * does not run over a colon', () => {
    expect(patternCovers(like('arn:aws:iam::*:root'), like('arn:aws:iam::123456789012:root'), ':')).toBe(true);
    expect(patternCovers(like('arn:aws:*'), like('arn:aws:iam::123456789012:root'), ':')).toBe(false);
  });
});
