/**
 * The reference evaluator on the examples of the AWS documentation pages it follows (quoted), so that its
 * readings can be checked by eye.
 */
import type { Principal } from '../../../src/iam/principal';
import type { RequestContext } from '../../../src/iam/decide';
import { parsePolicy, parseDate, referenceDecide } from './evaluate';

const user = (documents: object[], extra: Record<string, unknown> = {}): Principal =>
  ({
    type: 'User',
    accountId: '123456789012',
    tags: {},
    identityPolicies: documents.map((document, i) => ({ name: `p${i}`, source: 'user inline', document })),
    name: 'alice',
    path: '/',
    arn: 'arn:aws:iam::123456789012:user/alice',
    userId: 'AIDAEXAMPLE',
    groups: [],
    ...extra,
  }) as Principal;

const doc = (statement: object, version: string = '2012-10-17') => ({ ...(version !== 'none' ? { Version: version } : {}), Statement: [statement] });
const allow = (extra: object) => ({ Effect: 'Allow', Action: '*', Resource: '*', ...extra });
const verdict = (p: Principal, resource: string, context: RequestContext = {}, action = 'execute-api:Invoke') =>
  referenceDecide(p, { action, resource, context }).verdict;
const API = 'arn:aws:execute-api:us-east-1:123456789012:abc123/$default';

describe('reference evaluator, on the documentation examples', () => {
  it('ARN operators check the six components separately; StringLike does not (Condition operators, ARN)', () => {
    const value = 'arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt';
    const pattern = 'arn:aws:someservice:*:111122223333:finance/*';
    const ctx = { 'aws:SourceArn': value };
    expect(verdict(user([doc(allow({ Condition: { StringLike: { 'aws:SourceArn': pattern } } }))]), `${API}/GET/x`, ctx)).toBe('Allowed');
    expect(verdict(user([doc(allow({ Condition: { ArnLike: { 'aws:SourceArn': pattern } } }))]), `${API}/GET/x`, ctx)).toBe('ImplicitlyDenied');
  });

  it('the S3 example of "Using wildcards in resource ARNs"', () => {
    const p = user([doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::DOC-EXAMPLE-BUCKET/*/test/*' })]);
    const yes = ['1/test/object.jpg', '1/2/test/object.jpg', '1/2/test/3/object.jpg', '1/2/3/test/4/object.jpg', '1///test///object.jpg', '1/test/.jpg', '/test/object.jpg', '1/test/'];
    const no = ['1-test/object.jpg', 'test/object.jpg', '1/2/test.jpg'];
    for (const key of yes) expect(verdict(p, `arn:aws:s3:::DOC-EXAMPLE-BUCKET/${key}`, {}, 's3:GetObject')).toBe('Allowed');
    for (const key of no) expect(verdict(p, `arn:aws:s3:::DOC-EXAMPLE-BUCKET/${key}`, {}, 's3:GetObject')).toBe('ImplicitlyDenied');
  });

  it('short ARNs match only with a trailing *, and resource matching is case-sensitive', () => {
    const r = `${API}/GET/items`;
    const cases: Array<[string, string]> = [
      ['arn:aws:execute-api:us-east-1', 'ImplicitlyDenied'],
      ['arn:aws:execute-api:us-east-1:123456789012', 'ImplicitlyDenied'],
      ['arn:aws:execute-api:us-east-1*', 'Allowed'],
      ['arn:aws:execute-api:us-east-1:*', 'Allowed'],
      ['arn:aws:execute-api:*', 'Allowed'],
      ['arn:aws:execute-api:us-*:123456789012:abc123/*', 'Allowed'],
      ['arn:aws:execute-api:*:*:*/*/GET/*', 'Allowed'],
      ['arn:aws:execute-api:US-EAST-1:123456789012:abc123/*', 'ImplicitlyDenied'],
      ['arn:aws:execute-api:us-east-1:123456789012:ABC123/*', 'ImplicitlyDenied'],
      [`${API}/GET/Items`, 'ImplicitlyDenied'],
      ['arn:aws:execute-api:us-east-1:*:abc123/$default/GET/items', 'Allowed'],
    ];
    for (const [resource, want] of cases) expect([resource, verdict(user([doc({ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: resource })]), r)]).toEqual([resource, want]);
  });

  it('action names are case-insensitive (Action: "iam:ListAccessKeys is the same as IAM:listaccesskeys")', () => {
    expect(verdict(user([doc(allow({ Action: 'IAM:listaccesskeys' }))]), '*', {}, 'iam:ListAccessKeys')).toBe('Allowed');
    expect(verdict(user([doc(allow({ Action: 'iam:*AccessKey*' }))]), '*', {}, 'iam:UpdateAccessKey')).toBe('Allowed');
    expect(verdict(user([doc(allow({ NotAction: 'iam:*', Action: undefined }))]), '*', {}, 'iam:UpdateAccessKey')).toBe('ImplicitlyDenied');
  });

  it('a missing key: positive operators false, negated true, IfExists true, ForAllValues true, ForAnyValue false', () => {
    const c = (condition: object) => verdict(user([doc(allow({ Condition: condition }))]), `${API}/GET/x`);
    expect(c({ StringLike: { 'aws:UserAgent': '*' } })).toBe('ImplicitlyDenied');
    expect(c({ StringNotLike: { 'aws:UserAgent': 'x' } })).toBe('Allowed');
    expect(c({ StringEqualsIfExists: { 'aws:UserAgent': 'x' } })).toBe('Allowed');
    expect(c({ 'ForAllValues:StringEquals': { 'aws:TagKeys': 'x' } })).toBe('Allowed');
    expect(c({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': 'x' } })).toBe('ImplicitlyDenied');
    expect(c({ Null: { 'aws:TokenIssueTime': 'true' } })).toBe('Allowed');
  });

  it('several values are ORed, negated operators NORed, keys and operators ANDed; key names case-insensitive', () => {
    const c = (condition: object) => verdict(user([doc(allow({ Condition: condition }))]), `${API}/GET/x`, { 'aws:SourceIp': '203.0.113.7', 'aws:username': 'JohnDoe' });
    expect(c({ IpAddress: { 'AWS:SOURCEIP': ['10.0.0.0/8', '203.0.113.0/24'] } })).toBe('Allowed');
    expect(c({ NotIpAddress: { 'aws:sourceip': ['10.0.0.0/8', '203.0.113.0/24'] } })).toBe('ImplicitlyDenied');
    expect(c({ StringEquals: { 'aws:username': 'johndoe' } })).toBe('ImplicitlyDenied');
    expect(c({ StringEqualsIgnoreCase: { 'aws:username': 'johndoe' } })).toBe('Allowed');
    expect(c({ StringEqualsIgnoreCase: { 'aws:username': 'johndoe' }, IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } })).toBe('ImplicitlyDenied');
  });

  it('policy variables: only under 2012-10-17, defaults, the ${*} ${?} ${$} characters, no value matches nothing', () => {
    const r = (version: string, resource: string, path: string, tags = {}) =>
      verdict(user([doc({ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: `${API}/GET/${resource}` }, version)], { tags }), `${API}/GET/${path}`, {
        'aws:username': 'alice',
        ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:PrincipalTag/${k}`, v])),
      });
    expect(r('2012-10-17', '${aws:username}', 'alice')).toBe('Allowed');
    expect(r('none', '${aws:username}', 'alice')).toBe('ImplicitlyDenied');
    expect(r('2008-10-17', '${aws:username}', '${aws:username}')).toBe('Allowed');
    expect(r('2012-10-17', "${aws:PrincipalTag/team, 'company-wide'}", 'company-wide')).toBe('Allowed');
    expect(r('2012-10-17', "${aws:PrincipalTag/team, 'company-wide'}", 'yellow', { team: 'yellow' })).toBe('Allowed');
    expect(r('2012-10-17', '${aws:PrincipalTag/team}', '')).toBe('ImplicitlyDenied');
    expect(r('2012-10-17', 'a${*}', 'a*')).toBe('Allowed');
    expect(r('2012-10-17', 'a${*}', 'ab')).toBe('ImplicitlyDenied');
    expect(r('2012-10-17', 'a${?}', 'a?')).toBe('Allowed');
    expect(r('2012-10-17', '${$}x', '$x')).toBe('Allowed');
  });

  it('permissions boundary and session policies intersect; an explicit deny anywhere wins', () => {
    const allowAll = doc(allow({}));
    const onlyGet = doc({ Effect: 'Allow', Action: '*', Resource: `${API}/GET/*` });
    const denyDelete = doc({ Effect: 'Deny', Action: '*', Resource: `${API}/DELETE/*` });
    const boundary = (d: object) => ({ permissionsBoundary: { name: 'b', source: 'permissions boundary' as const, document: d } });
    expect(verdict(user([allowAll], boundary(onlyGet)), `${API}/GET/x`)).toBe('Allowed');
    expect(verdict(user([allowAll], boundary(onlyGet)), `${API}/POST/x`)).toBe('ImplicitlyDenied');
    expect(verdict(user([onlyGet], boundary(allowAll)), `${API}/POST/x`)).toBe('ImplicitlyDenied');
    expect(verdict(user([allowAll], boundary(denyDelete)), `${API}/DELETE/x`)).toBe('ExplicitlyDenied');
    expect(verdict(user([allowAll], boundary({ Statement: [{ Effect: 'allow', Action: '*', Resource: '*' }] })), `${API}/GET/x`)).toBe('ImplicitlyDenied');
    const role = (sessions: object[]): Principal => ({
      type: 'AssumedRole',
      accountId: '123456789012',
      tags: {},
      identityPolicies: [{ name: 'r', source: 'role inline', document: allowAll }],
      roleName: 'r',
      rolePath: '/',
      roleArn: 'arn:aws:iam::123456789012:role/r',
      roleId: 'AROAEXAMPLE',
      sessionName: 's',
      arn: 'arn:aws:sts::123456789012:assumed-role/r/s',
      userId: 'AROAEXAMPLE:s',
      sessionPolicies: sessions.map((document, i) => ({ name: `s${i}`, source: 'session policy' as const, document: document as Record<string, unknown> })),
      tokenIssueTime: new Date(0),
    });
    expect(verdict(role([]), `${API}/POST/x`)).toBe('Allowed');
    expect(verdict(role([onlyGet]), `${API}/POST/x`)).toBe('ImplicitlyDenied');
    expect(verdict(role([onlyGet]), `${API}/GET/x`)).toBe('Allowed');
    expect(verdict(role([allowAll, denyDelete]), `${API}/DELETE/x`)).toBe('ExplicitlyDenied');
  });

  it('rejects the documents IAM would reject', () => {
    const ok = { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' };
    expect(parsePolicy(doc(ok))).toBeDefined();
    expect(parsePolicy({ Statement: ok })).toBeDefined();
    for (const bad of [
      doc({ ...ok, Effect: 'allow' }),
      doc({ ...ok, NotAction: 's3:*' }),
      doc({ Effect: 'Allow', Action: '*' }),
      doc({ ...ok, NotResource: '*' }),
      doc({ ...ok, Principal: '*' }),
      doc({ ...ok, Condition: { StringEqualz: { 'aws:username': 'a' } } }),
      doc({ ...ok, Condition: { NullIfExists: { 'aws:username': 'true' } } }),
      doc({ ...ok, Resource: 'execute-api:*' }),
      doc(ok, '2012-10-18'),
      { Version: '2012-10-17', Statement: [{ ...ok, Sid: 'A' }, { ...ok, Sid: 'A' }] },
      doc({ ...ok, Sid: 'not alnum!' }),
    ])
      expect([bad, parsePolicy(bad)]).toEqual([bad, undefined]);
  });

  it('reads W3C ISO 8601 dates and epoch seconds', () => {
    expect(parseDate('2025-06-15T14:00:00+02:00')).toBe(Date.parse('2025-06-15T12:00:00Z'));
    expect(parseDate('1749988800')).toBe(Date.parse('2025-06-15T12:00:00Z'));
    expect(parseDate('2025-06-15')).toBe(Date.parse('2025-06-15T00:00:00Z'));
    expect(parseDate('2025-02-30')).toBeUndefined();
  });
});
