/**
 * The request context of each kind of caller: which keys temporary credentials add
 * (aws:TokenIssueTime, aws:MultiFactorAuthPresent = "false", aws:SourceIdentity), and session tags
 * over role tags regardless of case, as a policy reading them sees them.
 */
import { sessionPrincipal, type RoleDefinition } from '../../src/gateway/load-roles';
import { decide } from '../../src/iam/decide';
import type { IamUserPrincipal } from '../../src/iam/principal';
import { requestContext } from '../../src/iam/request-context';

const ACCOUNT = '123456789012';
const facts = { sourceIp: '127.0.0.1', now: new Date('2026-11-30T12:00:00Z'), region: 'us-east-1', secureTransport: true };
const alice: IamUserPrincipal = { type: 'User', accountId: ACCOUNT, name: 'alice', path: '/', arn: `arn:aws:iam::${ACCOUNT}:user/alice`, userId: 'AIDAEXAMPLE', groups: [], tags: {}, identityPolicies: [] };
const role: RoleDefinition = {
  address: 'deployer', accountId: ACCOUNT, name: 'deployer', path: '/', arn: `arn:aws:iam::${ACCOUNT}:role/deployer`, roleId: 'AROAEXAMPLE',
  tags: { Department: 'ops', Team: 'blue' }, maxSessionDurationSeconds: 3600, assumeRolePolicy: {}, identityPolicies: [],
};
const issuedAt = new Date('2026-11-30T11:30:00.250Z');

describe('requestContext', () => {
  it('a long-term key has neither aws:TokenIssueTime nor aws:MultiFactorAuthPresent', () => {
    const context = requestContext(alice, facts);
    expect(context['aws:TokenIssueTime']).toBeUndefined();
    expect(context['aws:MultiFactorAuthPresent']).toBeUndefined();
  });

  it("a user's own temporary credentials (GetSessionToken) add aws:TokenIssueTime and aws:MultiFactorAuthPresent = false", () => {
    const context = requestContext({ ...alice, tokenIssueTime: issuedAt }, facts);
    expect(context).toMatchObject({ 'aws:username': 'alice', 'aws:PrincipalType': 'User', 'aws:TokenIssueTime': '2026-11-30T11:30:00Z', 'aws:MultiFactorAuthPresent': 'false' });
  });

  it('a role session has aws:MultiFactorAuthPresent = false and, when set, aws:SourceIdentity', () => {
    const plain = requestContext(sessionPrincipal(role, { sessionName: 's1', issuedAt }), facts);
    expect(plain).toMatchObject({ 'aws:PrincipalType': 'AssumedRole', 'aws:MultiFactorAuthPresent': 'false', 'aws:TokenIssueTime': '2026-11-30T11:30:00Z' });
    expect(plain['aws:SourceIdentity']).toBeUndefined();
    const traced = requestContext(sessionPrincipal(role, { sessionName: 's1', issuedAt, sourceIdentity: 'alice@example.com' }), facts);
    expect(traced['aws:SourceIdentity']).toBe('alice@example.com');
  });

  it('session tags replace role tags of the same key regardless of case', () => {
    const session = sessionPrincipal(role, { sessionName: 's1', issuedAt, tags: { department: 'finance' } });
    expect(session.tags).toEqual({ Team: 'blue', department: 'finance' });
  });

  it('the usual "deny without MFA" statement denies a session and leaves a long-term key alone', () => {
    const document = { Version: '2012-10-17', Statement: [
      { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' },
      { Effect: 'Deny', Action: 'execute-api:Invoke', Resource: '*', Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'false' } } },
    ] };
    const policies = [{ name: 'p', source: 'role inline' as const, document }];
    const resource = `arn:aws:execute-api:us-east-1:${ACCOUNT}:abc123/$default/GET/hello`;
    const session = sessionPrincipal({ ...role, identityPolicies: policies }, { sessionName: 's1', issuedAt });
    expect(decide(session, { action: 'execute-api:Invoke', resource, context: requestContext(session, facts) }).verdict).toBe('ExplicitlyDenied');
    const user = { ...alice, identityPolicies: [{ ...policies[0], source: 'user inline' as const }] };
    expect(decide(user, { action: 'execute-api:Invoke', resource, context: requestContext(user, facts) }).verdict).toBe('Allowed');
  });
});
