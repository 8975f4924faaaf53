/**
 * The session reference (session.ts) on the documentation's own statements, checked by eye.
 */
import { referencePrincipalTags, referenceSessionContext, referenceSessionDecide, type ReferenceRole, type ReferenceSession } from './session';

const role: ReferenceRole = {
  accountId: '111122223333', name: 'deployer', path: '/ops/', roleId: 'AROAEXAMPLE', tags: { Department: 'Marketing', team: 'blue' },
  identityPolicies: [{ name: 'p', source: 'role inline', document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' }] } }],
};
const session: ReferenceSession = { sessionName: 's1', issuedAt: new Date('2025-06-15T11:00:00Z'), sessionPolicies: [], tags: { department: 'engineering' } };
const facts = { sourceIp: '127.0.0.1', now: new Date('2025-06-15T12:00:00Z'), region: 'us-east-1', secureTransport: true };
const request = { action: 'execute-api:Invoke', resource: 'arn:aws:execute-api:us-east-1:111122223333:abc123/$default/GET/items' };

describe('session reference, on the documentation', () => {
  it('"Assume that the role has the Department=Marketing tag and you pass the department=engineering session tag ... the session tag passed in the request takes precedence" (API_AssumeRole, Tags)', () => {
    expect(referencePrincipalTags(role.tags, session.tags)).toEqual({ department: 'engineering', team: 'blue' });
  });

  it('the context of a role session: the role ARN as aws:PrincipalArn, role-id:session as aws:userid, AssumedRole, the issue time, MFA false, no aws:username', () => {
    expect(referenceSessionContext(role, { ...session, sourceIdentity: 'alice' }, facts)).toEqual({
      'aws:SourceIp': '127.0.0.1',
      'aws:CurrentTime': '2025-06-15T12:00:00Z',
      'aws:EpochTime': '1749988800',
      'aws:RequestedRegion': 'us-east-1',
      'aws:SecureTransport': 'true',
      'aws:PrincipalAccount': '111122223333',
      'aws:PrincipalArn': 'arn:aws:iam::111122223333:role/ops/deployer',
      'aws:userid': 'AROAEXAMPLE:s1',
      'aws:PrincipalType': 'AssumedRole',
      'aws:TokenIssueTime': '2025-06-15T11:00:00Z',
      'aws:MultiFactorAuthPresent': 'false',
      'aws:SourceIdentity': 'alice',
      'aws:PrincipalTag/department': 'engineering',
      'aws:PrincipalTag/team': 'blue',
    });
  });

  it('session policies narrow, "but do not grant permissions"; a boundary bounds the session too (access_policies.html#policies_session)', () => {
    const onlyPost = { name: 'Policy', source: 'session policy' as const, document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: 'arn:aws:execute-api:*:*:*/*/POST/*' }] } };
    expect(referenceSessionDecide(role, session, facts, request).verdict).toBe('Allowed');
    expect(referenceSessionDecide(role, { ...session, sessionPolicies: [onlyPost] }, facts, request).verdict).toBe('ImplicitlyDenied');
    const everything = { ...onlyPost, document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } };
    expect(referenceSessionDecide({ ...role, identityPolicies: [] }, { ...session, sessionPolicies: [everything] }, facts, request).verdict).toBe('ImplicitlyDenied');
    const boundary = { ...onlyPost, name: 'b', source: 'permissions boundary' as const };
    expect(referenceSessionDecide({ ...role, permissionsBoundary: boundary }, session, facts, request).verdict).toBe('ImplicitlyDenied');
  });

  it('two session policies: "any" reads them as one set, "every" makes each bound the session', () => {
    const get = { name: 'a', source: 'session policy' as const, document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: 'arn:aws:execute-api:*:*:*/*/GET/*' }] } };
    const post = { ...get, name: 'b', document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: 'arn:aws:execute-api:*:*:*/*/POST/*' }] } };
    const two = { ...session, sessionPolicies: [get, post] };
    expect(referenceSessionDecide(role, two, facts, request).verdict).toBe('Allowed');
    expect(referenceSessionDecide(role, two, facts, request, { sessionPolicies: 'every' }).verdict).toBe('ImplicitlyDenied');
  });
});
