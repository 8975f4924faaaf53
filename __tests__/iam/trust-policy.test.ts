import { decideAssumeRole, evaluateTrustPolicy, assumeRoleContext, type TrustCaller } from '../../src/iam/trust-policy';
import type { IamUserPrincipal, PolicyDocument, RoleSessionPrincipal } from '../../src/iam/principal';

const ACCOUNT = '123456789012';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/reader`;
const ALICE_ARN = `arn:aws:iam::${ACCOUNT}:user/alice`;

function user(statements: unknown[]): IamUserPrincipal {
  return {
    type: 'User', accountId: ACCOUNT, name: 'alice', path: '/', arn: ALICE_ARN, userId: 'AIDAEXAMPLE', groups: [], tags: { team: 'blue' },
    identityPolicies: statements.length ? [{ name: 'p', source: 'user inline', document: { Version: '2012-10-17', Statement: statements } }] : [],
  };
}
const ALLOW_ASSUME = { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: ROLE };
const DENY_ASSUME = { Effect: 'Deny', Action: 'sts:AssumeRole', Resource: ROLE };
const trust = (...Statement: unknown[]): PolicyDocument => ({ Version: '2012-10-17', Statement });
const alice = (identity: unknown[]): TrustCaller => ({ kind: 'AWS', arn: ALICE_ARN, accountId: ACCOUNT, user: user(identity) });
const context = (extra: Record<string, string> = {}) => assumeRoleContext({ 'aws:PrincipalArn': ALICE_ARN, 'aws:PrincipalTag/team': 'blue', ...extra }, { roleSessionName: 's1', externalId: extra.externalId });

describe('decideAssumeRole', () => {
  it.each<[string, PolicyDocument, TrustCaller, string, string]>([
    ['the user ARN alone suffices in the same account', trust({ Effect: 'Allow', Principal: { AWS: ALICE_ARN }, Action: 'sts:AssumeRole' }), alice([]), 'Allowed', 'allowed by statement 0 of the trust policy'],
    ['the account root needs an identity Allow', trust({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }), alice([]), 'ImplicitlyDenied', `implicit deny: no statement allows sts:AssumeRole on ${ROLE}; it has no policy that could (the trust policy allows only through the account: allowed by statement 0 of the trust policy (it names the account, so the caller\'s identity policies must allow it too))`],
    ['the account root with an identity Allow', trust({ Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 'sts:AssumeRole' }), alice([ALLOW_ASSUME]), 'Allowed', "allowed by statement 0 of the trust policy (it names the account, so the caller's identity policies must allow it too); allowed by statement 0 of inline policy p"],
    ['an identity Deny wins over the trust Allow', trust({ Effect: 'Allow', Principal: { AWS: ALICE_ARN }, Action: 'sts:AssumeRole' }), alice([DENY_ASSUME]), 'ExplicitlyDenied', `explicit deny: statement 0 of inline policy p denies sts:AssumeRole on ${ROLE}`],
    ['a trust Deny wins', trust({ Effect: 'Allow', Principal: { AWS: ALICE_ARN }, Action: 'sts:AssumeRole' }, { Sid: 'NoBlue', Effect: 'Deny', Principal: '*', Action: 'sts:*', Condition: { StringEquals: { 'aws:PrincipalTag/team': 'blue' } } }), alice([]), 'ExplicitlyDenied', `explicit deny: statement 1 (NoBlue) of the trust policy denies sts:AssumeRole on ${ROLE}`],
    ['only a service', trust({ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }), alice([ALLOW_ASSUME]), 'ImplicitlyDenied', `implicit deny: no statement of the trust policy allows ${ALICE_ARN} to sts:AssumeRole on ${ROLE}`],
    ['the service itself', trust({ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }), { kind: 'Service', service: 'lambda.amazonaws.com' }, 'Allowed', 'allowed by statement 0 of the trust policy'],
    ['no wildcards inside a principal', trust({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:user/*' }, Action: 'sts:AssumeRole' }), alice([ALLOW_ASSUME]), 'ImplicitlyDenied', `implicit deny: no statement of the trust policy allows ${ALICE_ARN} to sts:AssumeRole on ${ROLE}`],
    ['another action', trust({ Effect: 'Allow', Principal: { AWS: ALICE_ARN }, Action: 'sts:TagSession' }), alice([]), 'ImplicitlyDenied', `implicit deny: no statement of the trust policy allows ${ALICE_ARN} to sts:AssumeRole on ${ROLE}; nearest: statement 0 of the trust policy names the caller but allows sts:TagSession only`],
    ['a missing ExternalId is named', trust({ Sid: 'Partner', Effect: 'Allow', Principal: { AWS: ALICE_ARN }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': 'partner-42' } } }), alice([]), 'ImplicitlyDenied', `implicit deny: no statement of the trust policy allows ${ALICE_ARN} to sts:AssumeRole on ${ROLE}; nearest: statement 0 (Partner) of the trust policy names the caller but requires StringEquals sts:ExternalId "partner-42", and sts:ExternalId is absent`],
    ['NotPrincipal makes a trust policy invalid (IAM refuses it there)', trust({ Effect: 'Allow', Principal: { AWS: ALICE_ARN }, Action: 'sts:AssumeRole' }, { Effect: 'Deny', NotPrincipal: { AWS: ALICE_ARN }, Action: 'sts:AssumeRole' }), alice([]), 'ImplicitlyDenied', 'implicit deny: the trust policy is invalid and allows nothing (statement 1: a role trust policy cannot use NotPrincipal (IAM User Guide, "AWS JSON policy elements: NotPrincipal"))'],
    ['a Resource element is invalid', trust({ Effect: 'Allow', Principal: { AWS: ALICE_ARN }, Action: 'sts:AssumeRole', Resource: '*' }), alice([]), 'ImplicitlyDenied', 'implicit deny: the trust policy is invalid and allows nothing (statement 0: a trust policy has no Resource element (IAM: "Has prohibited field Resource"))'],
  ])('%s', (_name, document, caller, verdict, explanation) => {
    expect(decideAssumeRole(document, { action: 'sts:AssumeRole', roleArn: ROLE, roleAccountId: ACCOUNT, caller, context: context() })).toEqual({ verdict, explanation });
  });

  it('sts:ExternalId and sts:RoleSessionName conditions', () => {
    const document = trust({ Effect: 'Allow', Principal: { AWS: ALICE_ARN }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': 'x-1' }, StringLike: { 'sts:RoleSessionName': 's*' } } });
    const ask = (externalId?: string) => evaluateTrustPolicy(document, { action: 'sts:AssumeRole', roleArn: ROLE, roleAccountId: ACCOUNT, caller: alice([]), context: assumeRoleContext({}, { roleSessionName: 's1', externalId }) }).verdict;
    expect(ask('x-1')).toBe('Allowed');
    expect(ask('x-2')).toBe('ImplicitlyDenied');
    expect(ask(undefined)).toBe('ImplicitlyDenied');
  });

  it('cross-account: the user ARN still needs the identity Allow', () => {
    const other = '210987654321';
    const document = trust({ Effect: 'Allow', Principal: { AWS: ALICE_ARN }, Action: 'sts:AssumeRole' });
    const request = { action: 'sts:AssumeRole' as const, roleArn: `arn:aws:iam::${other}:role/r`, roleAccountId: other, context: context() };
    expect(decideAssumeRole(document, { ...request, caller: alice([]) }).verdict).toBe('ImplicitlyDenied');
    expect(decideAssumeRole(document, { ...request, caller: alice([{ ...ALLOW_ASSUME, Resource: request.roleArn }]) }).verdict).toBe('Allowed');
  });
});

describe('role chaining: a session of role X as the caller', () => {
  const X_ARN = `arn:aws:iam::${ACCOUNT}:role/app/x`;
  const SESSION_ARN = `arn:aws:sts::${ACCOUNT}:assumed-role/x/s1`;
  const allowAssume: PolicyDocument = { Version: '2012-10-17', Statement: [ALLOW_ASSUME] };
  function session(parts: { identity?: unknown[]; boundary?: unknown[]; sessionPolicy?: unknown[] } = {}): RoleSessionPrincipal {
    const policy = (name: string, source: 'role inline' | 'permissions boundary' | 'session policy', statements: unknown[]) => ({ name, source, document: { Version: '2012-10-17', Statement: statements } });
    return {
      type: 'AssumedRole', accountId: ACCOUNT, roleName: 'x', rolePath: '/app/', roleArn: X_ARN, roleId: 'AROAEXAMPLE', sessionName: 's1', arn: SESSION_ARN,
      userId: 'AROAEXAMPLE:s1', tags: {}, tokenIssueTime: new Date(0),
      identityPolicies: parts.identity ? [policy('p', 'role inline', parts.identity)] : [],
      ...(parts.boundary ? { permissionsBoundary: policy('b', 'permissions boundary', parts.boundary) } : {}),
      sessionPolicies: parts.sessionPolicy ? [policy('Policy', 'session policy', parts.sessionPolicy)] : [],
    };
  }
  const ask = (principal: string, caller: RoleSessionPrincipal) => decideAssumeRole(trust({ Effect: 'Allow', Principal: { AWS: principal }, Action: 'sts:AssumeRole' }), {
    action: 'sts:AssumeRole', roleArn: ROLE, roleAccountId: ACCOUNT, context: assumeRoleContext({}, { roleSessionName: 's2' }),
    caller: { kind: 'AWS', arn: caller.arn, accountId: ACCOUNT, user: caller },
  });

  it('the role ARN names every session of the role, without an identity Allow', () => {
    expect(ask(X_ARN, session())).toEqual({ verdict: 'Allowed', explanation: "allowed by statement 0 of the trust policy (it names the role the caller is a session of, so the session's permissions boundary and session policies must allow it too)" });
    // Another role's ARN does not.
    expect(ask(`arn:aws:iam::${ACCOUNT}:role/app/y`, session()).verdict).toBe('ImplicitlyDenied');
  });

  it('through the role ARN, the session\'s boundary and session policies limit it', () => {
    expect(ask(X_ARN, session({ boundary: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' }] }))).toEqual({
      verdict: 'ImplicitlyDenied',
      explanation: "implicit deny: the session's permissions boundary b does not allow sts:AssumeRole on arn:aws:iam::123456789012:role/reader (allowed by statement 0 of the trust policy (it names the role the caller is a session of, so the session's permissions boundary and session policies must allow it too))",
    });
    expect(ask(X_ARN, session({ sessionPolicy: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' }] })).verdict).toBe('ImplicitlyDenied');
    expect(ask(X_ARN, session({ boundary: [ALLOW_ASSUME], sessionPolicy: [ALLOW_ASSUME] })).verdict).toBe('Allowed');
  });

  it('the session ARN grants it directly: no limit from the boundary or session policies', () => {
    expect(ask(SESSION_ARN, session({ boundary: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' }], sessionPolicy: [] })).verdict).toBe('Allowed');
    // Another session of the same role is not named.
    expect(ask(`arn:aws:sts::${ACCOUNT}:assumed-role/x/other`, session()).verdict).toBe('ImplicitlyDenied');
  });

  it('the account root: the session\'s own policies must allow it', () => {
    expect(ask(`arn:aws:iam::${ACCOUNT}:root`, session()).verdict).toBe('ImplicitlyDenied');
    expect(ask(`arn:aws:iam::${ACCOUNT}:root`, session({ identity: allowAssume.Statement as unknown[] })).verdict).toBe('Allowed');
    expect(ask(`arn:aws:iam::${ACCOUNT}:root`, session({ identity: [ALLOW_ASSUME], sessionPolicy: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' }] })).verdict).toBe('ImplicitlyDenied');
  });

  it('an explicit Deny in the session\'s policies wins over the role ARN', () => {
    expect(ask(X_ARN, session({ identity: [DENY_ASSUME] })).verdict).toBe('ExplicitlyDenied');
  });
});
