/**
 * The trust-policy reference (trust.ts) on the rules of the documentation pages it follows, one case each, so
 * that its readings can be checked by eye before it is trusted as the other side of trust-differential.test.ts.
 */
import type { IamUserPrincipal, PolicyDocument } from '../../../src/iam/principal';
import { referenceSessionContext, referenceSessionPrincipal, type ReferenceRole, type ReferenceSession } from './session';
import { referenceAssumeRoleContext, referenceTrustDecide, type ReferenceTrustCaller, type TrustReadings } from './trust';

const A = '123456789012';
const B = '210987654321';
const ROLE = `arn:aws:iam::${A}:role/deployer`;
const doc = (...Statement: object[]): PolicyDocument => ({ Version: '2012-10-17', Statement });
const trust = (Principal: unknown, extra: object = {}) => doc({ Effect: 'Allow', Principal, Action: 'sts:AssumeRole', ...extra });
const ALLOW_ASSUME = doc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: ROLE });
const INVOKE_ONLY = doc({ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' });

const user = (account: string, policies: PolicyDocument[], boundary?: PolicyDocument): ReferenceTrustCaller => {
  const u: IamUserPrincipal = {
    type: 'User', accountId: account, tags: {}, name: 'alice', path: '/', arn: `arn:aws:iam::${account}:user/alice`, userId: 'AIDAALICE', groups: [],
    identityPolicies: policies.map((document, i) => ({ name: `p${i}`, source: 'user inline', document })),
    ...(boundary ? { permissionsBoundary: { name: 'b', source: 'permissions boundary', document: boundary } } : {}),
  };
  return { kind: 'AWS', principal: u };
};
const session = (policies: PolicyDocument[], sessionPolicies: PolicyDocument[] = []): { caller: ReferenceTrustCaller; context: Record<string, unknown> } => {
  const role: ReferenceRole = { accountId: A, name: 'ci', path: '/', roleId: 'AROACI', tags: {}, identityPolicies: policies.map((document, i) => ({ name: `p${i}`, source: 'role inline', document })) };
  const s: ReferenceSession = { sessionName: 'run1', issuedAt: new Date('2025-06-15T11:00:00Z'), sessionPolicies: sessionPolicies.map((document, i) => ({ name: `s${i}`, source: 'session policy', document })), tags: {} };
  return { caller: { kind: 'AWS', principal: referenceSessionPrincipal(role, s) }, context: referenceSessionContext(role, s, { sourceIp: '127.0.0.1', now: new Date('2025-06-15T12:00:00Z'), region: 'us-east-1', secureTransport: true }) };
};
const decide = (document: unknown, caller: ReferenceTrustCaller, context: Record<string, unknown> = {}, readings: TrustReadings = {}, action = 'sts:AssumeRole') =>
  referenceTrustDecide({ document, action, roleArn: ROLE, roleAccountId: A, caller, context: referenceAssumeRoleContext(context as never, { roleSessionName: 's1' }) }, readings).verdict;

describe('trust-policy reference, on the documented rules', () => {
  it('same account: naming the user ARN suffices; naming the account needs the identity Allow (evaluation logic; Principal, AWS account principals)', () => {
    expect(decide(trust({ AWS: `arn:aws:iam::${A}:user/alice` }), user(A, []))).toBe('Allowed');
    expect(decide(trust({ AWS: `arn:aws:iam::${A}:root` }), user(A, []))).toBe('ImplicitlyDenied');
    expect(decide(trust({ AWS: A }), user(A, []))).toBe('ImplicitlyDenied');
    expect(decide(trust({ AWS: A }), user(A, [ALLOW_ASSUME]))).toBe('Allowed');
  });

  it('the identity policy alone never suffices: IAM role trust policies "must explicitly allow access for principals"', () => {
    expect(decide(trust({ AWS: `arn:aws:iam::${A}:user/bob` }), user(A, [ALLOW_ASSUME]))).toBe('ImplicitlyDenied');
  });

  it('a permissions boundary limits the account grant, not the grant to the user ARN', () => {
    expect(decide(trust({ AWS: `arn:aws:iam::${A}:user/alice` }), user(A, [], INVOKE_ONLY))).toBe('Allowed');
    expect(decide(trust({ AWS: A }), user(A, [ALLOW_ASSUME], INVOKE_ONLY))).toBe('ImplicitlyDenied');
  });

  it('cross-account: both the trust policy and the caller\'s own policies must allow', () => {
    expect(decide(trust({ AWS: `arn:aws:iam::${B}:user/alice` }), user(B, []))).toBe('ImplicitlyDenied');
    expect(decide(trust({ AWS: `arn:aws:iam::${B}:user/alice` }), user(B, [ALLOW_ASSUME]))).toBe('Allowed');
    expect(decide(trust({ AWS: B }), user(B, [ALLOW_ASSUME]))).toBe('Allowed');
    expect(decide(trust({ AWS: A }), user(B, [ALLOW_ASSUME]))).toBe('ImplicitlyDenied');
  });

  it('an explicit Deny in the caller\'s policies wins even over a grant to its ARN', () => {
    expect(decide(trust({ AWS: `arn:aws:iam::${A}:user/alice` }), user(A, [doc({ Effect: 'Deny', Action: 'sts:*', Resource: '*' })]))).toBe('ExplicitlyDenied');
  });

  it('role ARN vs session ARN: a session policy limits the first, not the second (Session policies; evaluation logic, IAM role / IAM role session)', () => {
    const narrow = session([], [INVOKE_ONLY]);
    expect(decide(trust({ AWS: `arn:aws:iam::${A}:role/ci` }), narrow.caller, narrow.context)).toBe('ImplicitlyDenied');
    expect(decide(trust({ AWS: `arn:aws:sts::${A}:assumed-role/ci/run1` }), narrow.caller, narrow.context)).toBe('Allowed');
    const plain = session([]);
    expect(decide(trust({ AWS: `arn:aws:iam::${A}:role/ci` }), plain.caller, plain.context)).toBe('Allowed');
    expect(decide(trust({ AWS: A }), plain.caller, plain.context)).toBe('ImplicitlyDenied');
  });

  it('no wildcard inside a principal ARN: "You cannot use a wildcard to match part of a principal name or ARN"', () => {
    expect(decide(trust({ AWS: `arn:aws:iam::${A}:user/*` }), user(A, [ALLOW_ASSUME]))).toBe('ImplicitlyDenied');
    expect(decide(trust({ AWS: `arn:aws:sts::${A}:assumed-role/ci/*` }), session([ALLOW_ASSUME]).caller)).toBe('ImplicitlyDenied');
    expect(decide(trust('*'), user(A, []))).toBe('Allowed');
  });

  it('IAM refuses NotPrincipal, Resource and a missing Principal in a trust policy: such a policy allows nothing', () => {
    expect(decide(doc({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${A}:user/alice` }, Action: 'sts:AssumeRole' }, { Effect: 'Deny', NotPrincipal: { AWS: `arn:aws:iam::${A}:user/alice` }, Action: 'sts:AssumeRole' }), user(A, []))).toBe('ImplicitlyDenied');
    expect(decide(trust({ AWS: `arn:aws:iam::${A}:user/alice` }, { Resource: ROLE }), user(A, []))).toBe('ImplicitlyDenied');
    expect(decide(doc({ Effect: 'Allow', Action: 'sts:AssumeRole' }), user(A, []))).toBe('ImplicitlyDenied');
  });

  it('services and identity providers are named by Service / Federated; {"AWS": "*"} has two readings for them', () => {
    const lambda: ReferenceTrustCaller = { kind: 'Service', service: 'lambda.amazonaws.com' };
    expect(decide(trust({ Service: 'lambda.amazonaws.com' }), lambda)).toBe('Allowed');
    expect(decide(trust({ Service: 'ecs-tasks.amazonaws.com' }), lambda)).toBe('ImplicitlyDenied');
    expect(decide(trust({ AWS: '*' }), lambda, {}, { awsStar: 'all' })).toBe('Allowed');
    expect(decide(trust({ AWS: '*' }), lambda, {}, { awsStar: 'aws-only' })).toBe('ImplicitlyDenied');
  });

  it('GitHub OIDC: the sub condition with StringLike picks the repository and branch', () => {
    const github: ReferenceTrustCaller = { kind: 'Federated', provider: `arn:aws:iam::${A}:oidc-provider/token.actions.githubusercontent.com` };
    const policy = trust({ Federated: `arn:aws:iam::${A}:oidc-provider/token.actions.githubusercontent.com` }, {
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: { StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' }, StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:acme/app:ref:refs/heads/main' } },
    });
    const claims = (sub: string) => ({ 'token.actions.githubusercontent.com:sub': sub, 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' });
    expect(decide(policy, github, claims('repo:acme/app:ref:refs/heads/main'), {}, 'sts:AssumeRoleWithWebIdentity')).toBe('Allowed');
    expect(decide(policy, github, claims('repo:acme/app:ref:refs/heads/dev'), {}, 'sts:AssumeRoleWithWebIdentity')).toBe('ImplicitlyDenied');
    expect(decide(policy, github, claims('repo:acme/app:ref:refs/heads/main'), {}, 'sts:AssumeRole')).toBe('ImplicitlyDenied');
  });
});
