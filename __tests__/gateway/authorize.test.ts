import fc from 'fast-check';
import { Authorizer, DEFAULT_MAX_ENTRIES, INVOKE_ACTION, type Decision, type RequestFacts } from '../../src/gateway/authorize';
import { defaultInvokers } from '../../src/config/defaults';
import type { InvokeRule } from '../../src/config/types';
import { decide as freshDecide } from '../../src/iam/decide';
import type { IamUserPrincipal, NamedPolicy, PolicyDocument, Principal } from '../../src/iam/principal';
import { requestContext } from '../../src/iam/request-context';
import { invokePolicyDocument } from '../../src/stack/invoke-arns';

const EXECUTION_ARN = 'arn:aws:execute-api:us-east-1:123456789012:abc123';
const ACCOUNT = '123456789012';

/** The request ARN the gateway builds: `<execution arn>/$default/<METHOD>/<path without leading slash>`. */
const arn = (method: string, path: string, api = EXECUTION_ARN, stage = '$default'): string =>
  `${api}/${stage}/${method}/${path.replace(/^\//, '')}`;

/** An IAM user as the stack defines invokers: path /iam-http-api/, name iam-http-api-dev-<name>. */
const principal = (name: string, ...documents: PolicyDocument[]): IamUserPrincipal => ({
  type: 'User',
  name: `iam-http-api-dev-${name}`,
  path: '/iam-http-api/',
  arn: `arn:aws:iam::${ACCOUNT}:user/iam-http-api/iam-http-api-dev-${name}`,
  userId: `AIDA${name.toUpperCase()}EXAMPLE`,
  accountId: ACCOUNT,
  tags: {},
  groups: [],
  identityPolicies: documents.map((document, i): NamedPolicy => ({ name: i === 0 ? 'invoke-api' : `extra-${i}`, source: 'user inline', document })),
});

const policy = (...Statement: object[]): PolicyDocument => ({ Version: '2012-10-17', Statement });
const allowInvoke = (Resource: string | string[], extra: object = {}): object => ({
  Effect: 'Allow',
  Action: 'execute-api:Invoke',
  Resource,
  ...extra,
});

/** Facts as the gateway passes them: aws:SecureTransport is true (execute-api is HTTPS-only). */
const facts = (overrides: Partial<RequestFacts> = {}): RequestFacts => ({
  sourceIp: '127.0.0.1',
  now: new Date('2025-06-01T12:00:00Z'),
  secureTransport: true,
  userAgent: 'aws4fetch/1.0.20',
  region: 'us-east-1',
  ...overrides,
});

/** The invoker policy exactly as the stack synthesizes it for `rules`. */
const synthesized = (rules: readonly InvokeRule[]): PolicyDocument => JSON.parse(invokePolicyDocument(EXECUTION_ARN, rules)) as PolicyDocument;

const noStatementAllows = (resource: string): string => `implicit deny: no statement allows ${INVOKE_ACTION} on ${resource}`;

describe('Authorizer with the stack-synthesized invoker policies', () => {
  const invokers = defaultInvokers();
  const admin = principal('admin', synthesized(invokers.admin.allow));
  const editor = principal('editor', synthesized(invokers.editor.allow));
  const viewer = principal('viewer', synthesized(invokers.viewer.allow));
  const authorizer = new Authorizer();
  const INVOKE_API = 'statement 0 (InvokeAllowedRoutes) of inline policy invoke-api';

  it('allows the viewer GET /items', () => {
    expect(authorizer.decide(viewer, arn('GET', '/items'), facts())).toEqual({
      verdict: 'Allowed',
      explanation: `allowed by ${INVOKE_API}`,
      deciding: { policy: viewer.identityPolicies[0], index: 0, sid: 'InvokeAllowedRoutes' },
    });
  });

  it('implicitly denies the viewer POST /items, naming the nearest statement', () => {
    expect(authorizer.decide(viewer, arn('POST', '/items'), facts())).toEqual({
      verdict: 'ImplicitlyDenied',
      explanation: `${noStatementAllows(arn('POST', '/items'))}; nearest: ${INVOKE_API} allows $default/GET/* only`,
    });
  });

  it('allows the viewer GET / (the ARN ends with "GET/")', () => {
    const root = arn('GET', '/');
    expect(root.endsWith('/GET/')).toBe(true);
    expect(authorizer.decide(viewer, root, facts()).verdict).toBe('Allowed');
  });

  it('allows the editor PATCH but implicitly denies its DELETE', () => {
    expect(authorizer.decide(editor, arn('PATCH', '/items/1'), facts()).verdict).toBe('Allowed');
    expect(authorizer.decide(editor, arn('DELETE', '/items/1'), facts())).toEqual({
      verdict: 'ImplicitlyDenied',
      explanation: `${noStatementAllows(arn('DELETE', '/items/1'))}; nearest: ${INVOKE_API} allows $default/GET/*, $default/POST/*, $default/PUT/*, $default/PATCH/* only`,
    });
  });

  it('allows the admin DELETE /a/b', () => {
    expect(authorizer.decide(admin, arn('DELETE', '/a/b'), facts()).verdict).toBe('Allowed');
  });

  it('denies an ARN of another API id', () => {
    const other = 'arn:aws:execute-api:us-east-1:123456789012:zzz999';
    expect(authorizer.decide(admin, arn('GET', '/items', other), facts())).toEqual({
      verdict: 'ImplicitlyDenied',
      explanation: `${noStatementAllows(arn('GET', '/items', other))}; nearest: ${INVOKE_API} allows ${EXECUTION_ARN}/$default/*/* only`,
    });
  });

  it('denies another stage', () => {
    expect(authorizer.decide(admin, arn('GET', '/items', EXECUTION_ARN, 'prod'), facts()).verdict).toBe('ImplicitlyDenied');
  });

  it('turns a route parameter into a wildcard for one or more segments', () => {
    const item = principal('item', synthesized(['GET /items/{id}']));
    expect(authorizer.decide(item, arn('GET', '/items/1'), facts()).verdict).toBe('Allowed');
    expect(authorizer.decide(item, arn('GET', '/items/1/details'), facts()).verdict).toBe('Allowed');
    expect(authorizer.decide(item, arn('GET', '/items'), facts()).verdict).toBe('ImplicitlyDenied');
  });
});

describe('Authorizer IAM semantics', () => {
  const decide = (p: PolicyDocument, resource: string, f: RequestFacts = facts()): Decision => new Authorizer().decide(principal('t', p), resource, f);
  const verdict = (p: PolicyDocument, resource: string, f: RequestFacts = facts()): string => decide(p, resource, f).verdict;

  it('lets an explicit Deny beat an Allow', () => {
    const p = policy(allowInvoke('*'), { Sid: 'NoDelete', Effect: 'Deny', Action: 'execute-api:Invoke', Resource: `${EXECUTION_ARN}/*/DELETE/*` });
    expect(decide(p, arn('DELETE', '/items/1'))).toEqual({
      verdict: 'ExplicitlyDenied',
      explanation: `explicit deny: statement 1 (NoDelete) of inline policy invoke-api denies ${INVOKE_ACTION} on ${arn('DELETE', '/items/1')}`,
      deciding: { policy: expect.objectContaining({ name: 'invoke-api' }), index: 1, sid: 'NoDelete' },
    });
    expect(verdict(p, arn('GET', '/items/1'))).toBe('Allowed');
  });

  it('matches * across path segments in Resource', () => {
    const p = policy(allowInvoke(`${EXECUTION_ARN}/$default/GET/items/*`));
    expect(verdict(p, arn('GET', '/items/1/details'))).toBe('Allowed');
    expect(verdict(p, arn('GET', '/other/1'))).toBe('ImplicitlyDenied');
  });

  it('matches ? as exactly one character in Resource', () => {
    const p = policy(allowInvoke(`${EXECUTION_ARN}/$default/GET/item?`));
    expect(verdict(p, arn('GET', '/items'))).toBe('Allowed');
    expect(verdict(p, arn('GET', '/item'))).toBe('ImplicitlyDenied');
    expect(verdict(p, arn('GET', '/itemss'))).toBe('ImplicitlyDenied');
  });

  it('applies NotAction', () => {
    expect(verdict(policy({ Effect: 'Allow', NotAction: 's3:*', Resource: '*' }), arn('GET', '/x'))).toBe('Allowed');
    expect(verdict(policy({ Effect: 'Allow', NotAction: 'execute-api:*', Resource: '*' }), arn('GET', '/x'))).toBe('ImplicitlyDenied');
  });

  it('applies NotResource in Allow and Deny statements', () => {
    const allow = policy({ Effect: 'Allow', Action: 'execute-api:Invoke', NotResource: `${EXECUTION_ARN}/$default/DELETE/*` });
    expect(verdict(allow, arn('GET', '/x'))).toBe('Allowed');
    expect(decide(allow, arn('DELETE', '/x')).explanation).toBe(
      `${noStatementAllows(arn('DELETE', '/x'))}; nearest: statement 0 of inline policy invoke-api excludes $default/DELETE/*`,
    );
    const deny = policy(allowInvoke('*'), { Effect: 'Deny', Action: 'execute-api:Invoke', NotResource: `${EXECUTION_ARN}/$default/GET/*` });
    expect(verdict(deny, arn('POST', '/x'))).toBe('ExplicitlyDenied');
    expect(verdict(deny, arn('GET', '/x'))).toBe('Allowed');
  });

  it('applies IpAddress aws:SourceIp without leaking the cached decision to another IP', () => {
    const authorizer = new Authorizer();
    const p = principal('t', policy(allowInvoke('*', { Condition: { IpAddress: { 'aws:SourceIp': '127.0.0.1/32' } } })));
    expect(authorizer.decide(p, arn('GET', '/x'), facts({ sourceIp: '127.0.0.1' })).verdict).toBe('Allowed');
    expect(authorizer.decide(p, arn('GET', '/x'), facts({ sourceIp: '10.0.0.7' }))).toEqual({
      verdict: 'ImplicitlyDenied',
      explanation: `${noStatementAllows(arn('GET', '/x'))}; nearest: statement 0 of inline policy invoke-api requires IpAddress aws:SourceIp "127.0.0.1/32", and aws:SourceIp is "10.0.0.7"`,
    });
    expect(authorizer.stats).toEqual({ hits: 0, misses: 2 });
  });

  it('applies DateLessThan aws:CurrentTime without leaking the cached decision past the deadline', () => {
    const authorizer = new Authorizer();
    const p = principal('t', policy(allowInvoke('*', { Condition: { DateLessThan: { 'aws:CurrentTime': '2025-07-01T00:00:00Z' } } })));
    expect(authorizer.decide(p, arn('GET', '/x'), facts({ now: new Date('2025-06-30T23:59:59Z') })).verdict).toBe('Allowed');
    expect(authorizer.decide(p, arn('GET', '/x'), facts({ now: new Date('2025-07-01T00:00:00Z') })).verdict).toBe('ImplicitlyDenied');
    expect(authorizer.decide(p, arn('GET', '/x'), facts({ now: new Date('2025-07-02T00:00:00Z') })).verdict).toBe('ImplicitlyDenied');
    expect(authorizer.stats).toEqual({ hits: 0, misses: 3 });
  });

  it('matches actions case-insensitively and by wildcard', () => {
    expect(verdict(policy({ Effect: 'Allow', Action: 'execute-api:*', Resource: '*' }), arn('GET', '/x'))).toBe('Allowed');
    expect(verdict(policy({ Effect: 'Allow', Action: 'execute-api:invoke', Resource: `${EXECUTION_ARN}/*` }), arn('GET', '/x'))).toBe('Allowed');
    expect(verdict(policy({ Effect: 'Allow', Action: 'EXECUTE-API:Inv?ke', Resource: `${EXECUTION_ARN}/*` }), arn('GET', '/x'))).toBe('Allowed');
  });

  it("denies when the only action is another service's", () => {
    expect(decide(policy({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }), arn('GET', '/x'))).toEqual({
      verdict: 'ImplicitlyDenied',
      explanation: `${noStatementAllows(arn('GET', '/x'))}; nearest: statement 0 of inline policy invoke-api allows s3:GetObject only`,
    });
  });

  it('grants nothing without policies', () => {
    expect(new Authorizer().decide(principal('t'), arn('GET', '/x'), facts())).toEqual({
      verdict: 'ImplicitlyDenied',
      explanation: `${noStatementAllows(arn('GET', '/x'))}; it has no policy that could`,
    });
  });

  it('substitutes policy variables from the principal', () => {
    const p = policy(allowInvoke(`${EXECUTION_ARN}/$default/GET/users/\${aws:username}/*`));
    expect(verdict(p, arn('GET', '/users/iam-http-api-dev-t/profile'))).toBe('Allowed');
    expect(verdict(p, arn('GET', '/users/someone-else/profile'))).toBe('ImplicitlyDenied');
  });

  it('puts the user id, type and tags into the context', () => {
    const tagged = (p: PolicyDocument, userId = 'AIDAEXAMPLE'): IamUserPrincipal => ({ ...principal('t', p), userId, tags: { team: 'api' } });
    const byTag = policy(allowInvoke(`${EXECUTION_ARN}/$default/GET/\${aws:PrincipalTag/team}/*`));
    const byUserId = policy(allowInvoke('*', { Condition: { StringEquals: { 'aws:userid': 'AIDAEXAMPLE', 'aws:PrincipalType': 'User' } } }));
    const authorizer = new Authorizer();
    expect(authorizer.decide(tagged(byTag), arn('GET', '/api/x'), facts()).verdict).toBe('Allowed');
    expect(authorizer.decide(tagged(byTag), arn('GET', '/web/x'), facts()).verdict).toBe('ImplicitlyDenied');
    expect(authorizer.decide(tagged(byUserId), arn('GET', '/x'), facts()).verdict).toBe('Allowed');
    expect(authorizer.decide(tagged(byUserId, 'AIDAOTHER'), arn('GET', '/x'), facts()).verdict).toBe('ImplicitlyDenied');
  });

  it('applies Bool aws:SecureTransport: the gateway passes true, so the usual Deny on false does not deny', () => {
    const p = policy(allowInvoke('*'), { Effect: 'Deny', Action: '*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    expect(verdict(p, arn('GET', '/x'), facts({ secureTransport: true }))).toBe('Allowed');
    expect(verdict(p, arn('GET', '/x'), facts({ secureTransport: false }))).toBe('ExplicitlyDenied');
    const onlySecure = policy(allowInvoke('*', { Condition: { Bool: { 'aws:SecureTransport': 'true' } } }));
    expect(verdict(onlySecure, arn('GET', '/x'))).toBe('Allowed');
  });

  // Formerly workarounds of @cloud-copilot/iam-simulate (W1-W5); now plain IAM semantics.

  it('matches a wildcard in the API-id segment', () => {
    expect(verdict(policy(allowInvoke('arn:aws:execute-api:*:*:*/*/GET/*')), arn('GET', '/x'))).toBe('Allowed');
    expect(verdict(policy(allowInvoke('arn:aws:execute-api:us-east-1:123456789012:abc*/$default/GET/*')), arn('GET', '/x'))).toBe('Allowed');
    expect(verdict(policy(allowInvoke('arn:aws:execute-api:us-east-1:123456789012:xyz*/$default/GET/*')), arn('GET', '/x'))).toBe('ImplicitlyDenied');
    const deny = policy(allowInvoke('*'), { Effect: 'Deny', Action: 'execute-api:Invoke', Resource: 'arn:aws:execute-api:*:*:*/*/DELETE/*' });
    expect(verdict(deny, arn('DELETE', '/x'))).toBe('ExplicitlyDenied');
    expect(verdict(deny, arn('GET', '/x'))).toBe('Allowed');
  });

  it('reads a * in the request path literally', () => {
    const secretOnly = policy(allowInvoke(`${EXECUTION_ARN}/$default/GET/secret`));
    expect(verdict(secretOnly, arn('GET', '/*'))).toBe('ImplicitlyDenied');
    expect(verdict(secretOnly, arn('GET', '/secre?'))).toBe('ImplicitlyDenied');
    expect(verdict(policy(allowInvoke(`${EXECUTION_ARN}/$default/GET/*`)), arn('GET', '/a*b'))).toBe('Allowed');
    const literalStar = policy(allowInvoke(`${EXECUTION_ARN}/$default/GET/a\${*}`));
    expect(verdict(literalStar, arn('GET', '/a*'))).toBe('Allowed');
    expect(verdict(literalStar, arn('GET', '/ab'))).toBe('ImplicitlyDenied');
  });

  it('lets * match a line terminator in the path', () => {
    const all = policy(allowInvoke(`${EXECUTION_ARN}/$default/GET/*`));
    expect(verdict(all, arn('GET', '/a\nb'))).toBe('Allowed');
    expect(verdict(all, arn('GET', '/a\r\nb'))).toBe('Allowed');
    expect(verdict(all, arn('GET', '/a\u2028b'))).toBe('Allowed');
    const deny = policy(allowInvoke('*'), { Effect: 'Deny', Action: 'execute-api:Invoke', Resource: `${EXECUTION_ARN}/$default/GET/a*` });
    expect(verdict(deny, arn('GET', '/a\nsecret'))).toBe('ExplicitlyDenied');
  });

  it('compares epoch and ISO 8601 date values as instants', () => {
    const now = facts({ now: new Date('2025-06-01T12:00:00Z') });
    const epoch2030 = String(Date.parse('2030-01-01T00:00:00Z') / 1000);
    const before2030 = policy(allowInvoke('*', { Condition: { DateLessThan: { 'aws:CurrentTime': epoch2030 } } }));
    expect(verdict(before2030, arn('GET', '/x'), now)).toBe('Allowed');
    expect(verdict(before2030, arn('GET', '/x'), facts({ now: new Date('2030-01-01T00:00:00Z') }))).toBe('ImplicitlyDenied');
    const after2020 = policy(allowInvoke('*', { Condition: { DateGreaterThan: { 'aws:EpochTime': '2020-01-01T00:00:00Z' } } }));
    expect(verdict(after2020, arn('GET', '/x'), now)).toBe('Allowed');
    const after2026 = policy(allowInvoke('*', { Condition: { DateGreaterThan: { 'aws:EpochTime': '2026-01-01T00:00:00Z' } } }));
    expect(verdict(after2026, arn('GET', '/x'), now)).toBe('ImplicitlyDenied');
    const numeric = policy(allowInvoke('*', { Condition: { NumericLessThan: { 'aws:EpochTime': epoch2030 } } }));
    expect(verdict(numeric, arn('GET', '/x'), now)).toBe('Allowed');
    expect(verdict(numeric, arn('GET', '/x'), facts({ now: new Date('2031-01-01T00:00:00Z') }))).toBe('ImplicitlyDenied');
  });

  it('substitutes policy variables only under Version 2012-10-17', () => {
    const statement = allowInvoke(`${EXECUTION_ARN}/$default/GET/\${aws:username}`);
    const resource = arn('GET', '/iam-http-api-dev-t');
    expect(verdict({ Version: '2012-10-17', Statement: [statement] }, resource)).toBe('Allowed');
    expect(verdict({ Statement: [statement] }, resource)).toBe('ImplicitlyDenied');
    expect(verdict({ Version: '2008-10-17', Statement: [statement] }, resource)).toBe('ImplicitlyDenied');
    expect(verdict({ Version: '2008-10-17', Statement: [statement] }, arn('GET', '/${aws:username}'))).toBe('Allowed');
    expect(verdict({ Statement: [statement] }, arn('GET', '/${aws:username}'))).toBe('Allowed');
  });
});

describe('Authorizer and policies IAM would reject', () => {
  const invalid = principal('t', policy({ Effect: 'Allow', Action: 'execute-api:Invoke' }));
  const PROBLEM = 'invoke-api (user inline): statement 0: it has neither Resource nor NotResource';

  it('reports them once per principal and grants nothing', () => {
    const calls: Array<[Principal, string[]]> = [];
    const authorizer = new Authorizer({ onInvalidPolicies: (p, problems) => calls.push([p, [...problems]]) });
    const denied = {
      verdict: 'ImplicitlyDenied',
      explanation: `${noStatementAllows(arn('GET', '/x'))}; inline policy invoke-api is invalid and grants nothing (statement 0: it has neither Resource nor NotResource)`,
    };
    expect(authorizer.decide(invalid, arn('GET', '/x'), facts())).toEqual(denied);
    expect(authorizer.decide(invalid, arn('GET', '/y'), facts()).verdict).toBe('ImplicitlyDenied');
    expect(authorizer.decide(invalid, arn('GET', '/x'), facts({ sourceIp: '10.0.0.1' }))).toEqual(denied);
    expect(calls).toEqual([[invalid, [PROBLEM]]]);
    expect(calls[0][0]).toBe(invalid);
    expect(authorizer.problems(invalid)).toEqual([PROBLEM]);
    expect(calls).toHaveLength(1);
  });

  it('lists every problem of every invalid policy, with the policy and its source', () => {
    const calls: string[][] = [];
    const authorizer = new Authorizer({ onInvalidPolicies: (_p, problems) => calls.push([...problems]) });
    const p: IamUserPrincipal = {
      ...principal('t', policy(allowInvoke('*'))),
      identityPolicies: [
        { name: 'ok', source: 'user inline', document: policy(allowInvoke(`${EXECUTION_ARN}/$default/GET/*`)) },
        { name: 'ReadAll', source: 'group managed', group: 'readers', document: { Version: '2013-01-01', Statement: [allowInvoke('*', { Principal: '*' })] } },
      ],
    };
    expect(authorizer.decide(p, arn('GET', '/x'), facts()).verdict).toBe('Allowed');
    expect(authorizer.decide(p, arn('POST', '/x'), facts()).verdict).toBe('ImplicitlyDenied');
    expect(calls).toEqual([
      [
        'ReadAll (group managed): Version is "2013-01-01"; IAM accepts "2012-10-17" or "2008-10-17"',
        'ReadAll (group managed): statement 0: an identity policy must not specify a Principal (IAM: "Policy document should not specify a principal.")',
      ],
    ]);
  });

  it('does not call back for valid policies', () => {
    const onInvalidPolicies = jest.fn();
    const authorizer = new Authorizer({ onInvalidPolicies });
    const valid = principal('v', synthesized(['GET /*']));
    authorizer.decide(valid, arn('GET', '/x'), facts());
    expect(authorizer.problems(valid)).toEqual([]);
    expect(onInvalidPolicies).not.toHaveBeenCalled();
  });
});

describe('Authorizer cache', () => {
  const viewer = principal('viewer', synthesized(['GET /*']));

  it('answers a second identical decide() from the cache', () => {
    const authorizer = new Authorizer();
    const first = authorizer.decide(viewer, arn('GET', '/items'), facts());
    expect(first.verdict).toBe('Allowed');
    expect(authorizer.stats).toEqual({ hits: 0, misses: 1 });
    expect(authorizer.decide(viewer, arn('GET', '/items'), facts())).toEqual(first);
    expect(authorizer.stats).toEqual({ hits: 1, misses: 1 });
    expect(authorizer.size).toBe(1);
  });

  it('hits for an equal principal in a new object (the key is a content fingerprint)', () => {
    const authorizer = new Authorizer();
    authorizer.decide(viewer, arn('GET', '/items'), facts());
    const copy = JSON.parse(JSON.stringify(viewer)) as IamUserPrincipal;
    expect(authorizer.decide(copy, arn('GET', '/items'), facts()).verdict).toBe('Allowed');
    expect(authorizer.stats).toEqual({ hits: 1, misses: 1 });
  });

  it('misses when the same user name has a changed policy document', () => {
    const authorizer = new Authorizer();
    expect(authorizer.decide(viewer, arn('POST', '/items'), facts()).verdict).toBe('ImplicitlyDenied');
    const promoted = principal('viewer', synthesized(['GET /*', 'POST /*']));
    expect(authorizer.decide(promoted, arn('POST', '/items'), facts()).verdict).toBe('Allowed');
    expect(authorizer.stats).toEqual({ hits: 0, misses: 2 });
  });

  it('does not share decisions between principals with the same policy', () => {
    const authorizer = new Authorizer();
    const own = policy(allowInvoke(`${EXECUTION_ARN}/$default/GET/users/\${aws:username}/*`));
    const alice = principal('alice', own);
    const bob = principal('bob', own);
    expect(authorizer.decide(alice, arn('GET', '/users/iam-http-api-dev-alice/x'), facts()).verdict).toBe('Allowed');
    expect(authorizer.decide(bob, arn('GET', '/users/iam-http-api-dev-alice/x'), facts()).verdict).toBe('ImplicitlyDenied');
    expect(authorizer.stats).toEqual({ hits: 0, misses: 2 });
  });

  it('keys on the resource ARN', () => {
    const authorizer = new Authorizer();
    authorizer.decide(viewer, arn('GET', '/a'), facts());
    authorizer.decide(viewer, arn('GET', '/b'), facts());
    expect(authorizer.stats).toEqual({ hits: 0, misses: 2 });
  });

  it('ignores facts the policies do not read', () => {
    const authorizer = new Authorizer();
    authorizer.decide(viewer, arn('GET', '/items'), facts());
    const other = facts({ sourceIp: '10.1.2.3', now: new Date('2031-01-01T00:00:00Z'), userAgent: undefined, secureTransport: false, region: 'eu-west-1' });
    expect(authorizer.decide(viewer, arn('GET', '/items'), other).verdict).toBe('Allowed');
    expect(authorizer.stats).toEqual({ hits: 1, misses: 1 });
  });

  it('keys on a fact read in any letter case, also from a NotResource statement', () => {
    const authorizer = new Authorizer();
    const p = principal(
      't',
      policy({
        Effect: 'Allow',
        Action: 'execute-api:Invoke',
        NotResource: `${EXECUTION_ARN}/$default/DELETE/*`,
        Condition: { ipaddress: { 'AWS:SOURCEIP': '127.0.0.0/8' } },
      }),
    );
    expect(authorizer.decide(p, arn('GET', '/x'), facts({ sourceIp: '127.0.0.1' })).verdict).toBe('Allowed');
    expect(authorizer.decide(p, arn('GET', '/x'), facts({ sourceIp: '192.168.0.1' })).verdict).toBe('ImplicitlyDenied');
    expect(authorizer.decide(p, arn('GET', '/x'), facts({ sourceIp: '127.0.0.1' })).verdict).toBe('Allowed');
    expect(authorizer.stats).toEqual({ hits: 1, misses: 2 });
  });

  it('keys on a fact read only through a policy variable', () => {
    const authorizer = new Authorizer();
    const p: IamUserPrincipal = {
      ...principal('t', policy(allowInvoke('*', { Condition: { StringEquals: { 'aws:PrincipalTag/home': '${AWS:SourceIp}' } } }))),
      tags: { home: '127.0.0.1' },
    };
    expect(authorizer.decide(p, arn('GET', '/x'), facts({ sourceIp: '127.0.0.1' })).verdict).toBe('Allowed');
    expect(authorizer.decide(p, arn('GET', '/x'), facts({ sourceIp: '10.0.0.1' })).verdict).toBe('ImplicitlyDenied');
    expect(authorizer.decide(p, arn('GET', '/x'), facts({ sourceIp: '10.0.0.1' })).verdict).toBe('ImplicitlyDenied');
    expect(authorizer.stats).toEqual({ hits: 1, misses: 2 });
  });

  it('keys on the user agent only when read, including its absence', () => {
    const authorizer = new Authorizer();
    const p = principal('t', policy(allowInvoke('*', { Condition: { Null: { 'aws:UserAgent': 'false' } } })));
    expect(authorizer.decide(p, arn('GET', '/x'), facts({ userAgent: 'curl/8' })).verdict).toBe('Allowed');
    expect(authorizer.decide(p, arn('GET', '/x'), facts({ userAgent: undefined })).verdict).toBe('ImplicitlyDenied');
    expect(authorizer.decide(p, arn('GET', '/x'), facts({ userAgent: '' })).verdict).toBe('Allowed');
    expect(authorizer.decide(p, arn('GET', '/x'), facts({ userAgent: undefined })).verdict).toBe('ImplicitlyDenied');
    expect(authorizer.stats).toEqual({ hits: 1, misses: 3 });
  });

  // Regression: the absence of a user agent was once keyed like the one-character agent U+0001.
  it('does not confuse an absent user agent with one that is "\\u0001"', () => {
    const authorizer = new Authorizer();
    const p = principal('t', policy(allowInvoke('*', { Condition: { Null: { 'aws:UserAgent': 'false' } } })));
    expect(authorizer.decide(p, arn('GET', '/x'), facts({ userAgent: undefined })).verdict).toBe('ImplicitlyDenied');
    expect(authorizer.decide(p, arn('GET', '/x'), facts({ userAgent: '\u0001' })).verdict).toBe('Allowed');
  });

  it('keys on aws:SecureTransport and aws:RequestedRegion when read', () => {
    const authorizer = new Authorizer();
    const p = principal(
      't',
      policy(allowInvoke('*', { Condition: { StringEquals: { 'aws:RequestedRegion': 'us-east-1' } } }), {
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
    expect(authorizer.decide(p, arn('GET', '/x'), facts()).verdict).toBe('Allowed');
    expect(authorizer.decide(p, arn('GET', '/x'), facts({ secureTransport: false })).verdict).toBe('ExplicitlyDenied');
    expect(authorizer.decide(p, arn('GET', '/x'), facts({ region: 'eu-west-1' })).verdict).toBe('ImplicitlyDenied');
    expect(authorizer.decide(p, arn('GET', '/x'), facts()).verdict).toBe('Allowed');
    expect(authorizer.stats).toEqual({ hits: 1, misses: 3 });
  });

  // Regression: aws:ResourceAccount was once missing from the cache key.
  it('keys on aws:ResourceAccount when read', () => {
    const authorizer = new Authorizer();
    const p = principal('t', policy(allowInvoke('*', { Condition: { StringEquals: { 'aws:ResourceAccount': ACCOUNT } } })));
    expect(authorizer.decide(p, arn('GET', '/x'), facts({ resourceAccount: ACCOUNT })).verdict).toBe('Allowed');
    expect(authorizer.decide(p, arn('GET', '/x'), facts({ resourceAccount: '999999999999' })).verdict).toBe('ImplicitlyDenied');
    expect(authorizer.decide(p, arn('GET', '/x'), facts({ resourceAccount: undefined })).verdict).toBe('Allowed');
  });

  it('never serves a time-reading decision across a deadline, and hits within one second', () => {
    const authorizer = new Authorizer();
    const window = { DateGreaterThanEquals: { 'aws:CurrentTime': '2025-06-01T00:00:00Z' }, DateLessThan: { 'aws:CurrentTime': '2025-07-01T00:00:00Z' } };
    const p = principal('t', policy(allowInvoke('*', { Condition: window })));
    const at = (iso: string): string => authorizer.decide(p, arn('GET', '/x'), facts({ now: new Date(iso) })).verdict;
    expect(at('2025-05-31T23:59:59.999Z')).toBe('ImplicitlyDenied');
    expect(at('2025-06-01T00:00:00Z')).toBe('Allowed');
    expect(at('2025-06-15T08:00:00.100Z')).toBe('Allowed');
    expect(at('2025-06-15T08:00:00.900Z')).toBe('Allowed'); // same second: hit
    expect(at('2025-06-30T23:59:59.999Z')).toBe('Allowed');
    expect(at('2025-07-01T00:00:00Z')).toBe('ImplicitlyDenied');
    expect(at('2025-07-01T00:00:00.500Z')).toBe('ImplicitlyDenied'); // same second: hit
    expect(at('2025-08-01T00:00:00Z')).toBe('ImplicitlyDenied');
    expect(authorizer.stats).toEqual({ hits: 2, misses: 6 });
  });

  it('keys on the second for a time read by a String operator or a policy variable', () => {
    const authorizer = new Authorizer();
    const june = principal('t', policy(allowInvoke('*', { Condition: { StringLike: { 'aws:CurrentTime': '2025-06-*' } } })));
    expect(authorizer.decide(june, arn('GET', '/x'), facts({ now: new Date('2025-06-30T23:59:59Z') })).verdict).toBe('Allowed');
    expect(authorizer.decide(june, arn('GET', '/x'), facts({ now: new Date('2025-07-01T00:00:00Z') })).verdict).toBe('ImplicitlyDenied');
    const epoch = principal('u', policy(allowInvoke(`${EXECUTION_ARN}/$default/GET/\${aws:EpochTime}`)));
    const second = Date.parse('2025-06-01T12:00:00Z') / 1000;
    const now = facts({ now: new Date('2025-06-01T12:00:00Z') });
    expect(authorizer.decide(epoch, arn('GET', `/${second}`), now).verdict).toBe('Allowed');
    expect(authorizer.decide(epoch, arn('GET', `/${second}`), facts({ now: new Date('2025-06-01T12:00:01Z') })).verdict).toBe('ImplicitlyDenied');
    expect(authorizer.decide(epoch, arn('GET', `/${second}`), facts({ now: new Date('2025-06-01T12:00:00.999Z') })).verdict).toBe('Allowed');
    expect(authorizer.stats).toEqual({ hits: 1, misses: 4 });
  });

  it('evicts the least recently used decision beyond maxEntries', () => {
    const authorizer = new Authorizer({ maxEntries: 2 });
    authorizer.decide(viewer, arn('GET', '/a'), facts());
    authorizer.decide(viewer, arn('GET', '/b'), facts());
    authorizer.decide(viewer, arn('GET', '/a'), facts()); // hit: /b is now the least recently used
    authorizer.decide(viewer, arn('GET', '/c'), facts()); // evicts /b
    authorizer.decide(viewer, arn('GET', '/a'), facts()); // hit
    authorizer.decide(viewer, arn('GET', '/b'), facts()); // miss
    expect(authorizer.size).toBe(2);
    expect(authorizer.stats).toEqual({ hits: 2, misses: 4 });
  });

  it('clear() forgets the decisions and keeps the counters', () => {
    const authorizer = new Authorizer();
    authorizer.decide(viewer, arn('GET', '/a'), facts());
    authorizer.decide(viewer, arn('GET', '/a'), facts());
    authorizer.clear();
    expect(authorizer.size).toBe(0);
    authorizer.decide(viewer, arn('GET', '/a'), facts());
    expect(authorizer.stats).toEqual({ hits: 1, misses: 2 });
  });

  it('rejects a maxEntries that is not a positive integer', () => {
    for (const maxEntries of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new Authorizer({ maxEntries })).toThrow(new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`));
    }
    expect(() => new Authorizer({ maxEntries: 1 })).not.toThrow();
    expect(DEFAULT_MAX_ENTRIES).toBe(10_000);
  });
});

describe('Authorizer resource ARN shapes', () => {
  const decide = (resource: string, request: string): string => new Authorizer().decide(principal('t', policy(allowInvoke(resource))), request, facts()).verdict;

  it.each([
    ['*', 'Allowed'],
    ['arn:aws:execute-api:us-east-1:123456789012:*', 'Allowed'],
    ['arn:aws:execute-api:*:*:*', 'Allowed'],
    ['arn:aws:execute-api:*', 'Allowed'],
    ['arn:aws:execute-api:us-east-1:*', 'Allowed'],
    ['arn:aws:execute-api:us-east-1', 'ImplicitlyDenied'],
    ['arn:aws:execute-api:us-east-1:123456789012', 'ImplicitlyDenied'],
    ['arn:aws:execute-api:us-east-1:123456789012:abc123', 'ImplicitlyDenied'],
    ['arn:aws:execute-api:us-east-1:123456789012:abc123/*', 'Allowed'],
    ['arn:aws:execute-api:us-east-1:123456789012:abc123/$default/GET/items', 'Allowed'],
    ['arn:aws:execute-api:us-east-1:123456789012:abc123/$default/GET/Items', 'ImplicitlyDenied'],
    ['arn:aws:execute-api:us-west-2:123456789012:abc123/*', 'ImplicitlyDenied'],
    ['arn:aws:execute-api:US-EAST-1:123456789012:abc123/*', 'ImplicitlyDenied'],
    ['arn:AWS:execute-api:us-east-1:123456789012:abc123/*', 'ImplicitlyDenied'],
    ['arn:aws:Execute-API:us-east-1:123456789012:abc123/*', 'ImplicitlyDenied'],
    ['arn:aws:execute-api:us-east-1:999999999999:abc123/*', 'ImplicitlyDenied'],
    ['arn:aws:s3:::abc123/*', 'ImplicitlyDenied'],
    ['arn:aws:execute-api:us-east-1:123456789012:abc12/*', 'ImplicitlyDenied'],
  ])('Resource %s → %s for GET /items', (resource, expected) => {
    expect(decide(resource, arn('GET', '/items'))).toBe(expected);
  });
});

describe('Authorizer cache consistency', () => {
  it('answers from the cache exactly what a fresh evaluation answers', () => {
    const p = principal(
      't',
      policy(
        allowInvoke(`${EXECUTION_ARN}/$default/GET/*`, {
          Condition: {
            DateGreaterThanEquals: { 'aws:CurrentTime': '2025-06-01T00:00:00Z' },
            NumericLessThan: { 'aws:EpochTime': String(Date.parse('2025-07-01T00:00:00Z') / 1000) },
            IpAddress: { 'aws:SourceIp': ['127.0.0.0/8', '::1/128'] },
          },
        }),
        { Effect: 'Deny', Action: 'execute-api:Invoke', Resource: '*', Condition: { DateEquals: { 'aws:CurrentTime': '2025-06-15T12:00:00Z' } } },
      ),
    );
    const instants = ['2025-05-31T23:59:59Z', '2025-06-01T00:00:00Z', '2025-06-01T00:00:00.999Z', '2025-06-15T11:59:59Z',
      '2025-06-15T12:00:00Z', '2025-06-15T12:00:00.500Z', '2025-06-15T12:00:01Z', '2025-06-30T23:59:59Z', '2025-07-01T00:00:00Z'];
    const ips = ['127.0.0.1', '127.9.9.9', '::1', '10.0.0.1'];
    const routes = ['GET /a', 'GET /', 'POST /a'];
    const cached = new Authorizer();
    const seen = new Set<string>();
    for (let round = 0; round < 2; round++) {
      for (const instant of instants) {
        for (const sourceIp of ips) {
          for (const route of routes) {
            const [method, path] = route.split(' ');
            const f = facts({ now: new Date(instant), sourceIp });
            const expected = new Authorizer().decide(p, arn(method, path), f);
            expect([instant, sourceIp, route, cached.decide(p, arn(method, path), f)]).toEqual([instant, sourceIp, route, expected]);
            seen.add(expected.verdict);
          }
        }
      }
    }
    expect([...seen].sort()).toEqual(['Allowed', 'ExplicitlyDenied', 'ImplicitlyDenied']);
    expect(cached.stats.hits).toBeGreaterThan(cached.stats.misses);
  });

  // A property over every RequestFacts field. While the aws:ResourceAccount bug above stands,
  // fast-check finds it here too (principal 'account' with two different resourceAccount values).
  it('property: a sequence of decide() calls through one (small) cache equals fresh evaluation', () => {
    const JULY = '2025-07-01T00:00:00Z';
    const principals: IamUserPrincipal[] = [
      principal('viewer', synthesized(['GET /*'])),
      principal('ip', policy(allowInvoke(`${EXECUTION_ARN}/*`, { Condition: { IpAddress: { 'aws:SourceIp': ['127.0.0.0/8', '::1'] } } }))),
      principal('agent', policy(allowInvoke('*', { Condition: { StringLike: { 'aws:UserAgent': 'aws4fetch/*' } } }), { Effect: 'Deny', Action: '*', Resource: '*', Condition: { Null: { 'AWS:USERAGENT': 'true' } } })),
      principal('time', policy(allowInvoke('*', { Condition: { DateLessThan: { 'aws:CurrentTime': JULY } } }), { Effect: 'Deny', Action: '*', Resource: `${EXECUTION_ARN}/*/DELETE/*`, Condition: { NumericGreaterThanEquals: { 'aws:epochtime': String(Date.parse('2025-06-30T23:59:59Z') / 1000) } } })),
      principal('region', policy(allowInvoke(`${EXECUTION_ARN}/*`, { Condition: { StringEquals: { 'aws:RequestedRegion': 'us-east-1' } } }))),
      principal('secure', policy(allowInvoke('*', { Condition: { Bool: { 'aws:SecureTransport': 'true' } } }))),
      principal('account', policy(allowInvoke('*', { Condition: { StringEquals: { 'aws:ResourceAccount': ACCOUNT } } }))),
      principal('mixed', policy(allowInvoke(`${EXECUTION_ARN}/$default/GET/\${aws:username}/*`), allowInvoke('*', { Condition: { 'ForAnyValue:StringLike': { 'aws:SourceIp': '10.*' }, StringNotEquals: { 'aws:UserAgent': 'curl/8' } } }))),
    ];
    const factsArb: fc.Arbitrary<RequestFacts> = fc.record(
      {
        sourceIp: fc.constantFrom('127.0.0.1', '10.0.0.1', '::1', '203.0.113.9'),
        now: fc.constantFrom('2025-06-30T23:59:58.500Z', '2025-06-30T23:59:59Z', '2025-06-30T23:59:59.999Z', JULY, '2025-07-01T00:00:00.400Z').map((iso) => new Date(iso)),
        userAgent: fc.constantFrom(undefined, '', 'aws4fetch/1.0.20', 'curl/8'),
        region: fc.constantFrom('us-east-1', 'eu-west-1'),
        secureTransport: fc.boolean(),
        resourceAccount: fc.constantFrom(undefined, ACCOUNT, '999999999999'),
      },
      { requiredKeys: ['sourceIp', 'now', 'region', 'secureTransport'] },
    );
    const callArb = fc.record({
      who: fc.nat({ max: principals.length - 1 }),
      method: fc.constantFrom('GET', 'DELETE'),
      path: fc.constantFrom('/', '/a', '/iam-http-api-dev-mixed/x'),
      facts: factsArb,
    });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(callArb, { minLength: 1, maxLength: 40 }), (maxEntries, calls) => {
        const authorizer = new Authorizer({ maxEntries });
        for (const call of calls) {
          const p = principals[call.who];
          const resource = arn(call.method, call.path);
          const fresh = freshDecide(p, { action: INVOKE_ACTION, resource, context: requestContext(p, call.facts) });
          expect(authorizer.decide(p, resource, call.facts)).toEqual(fresh);
        }
        expect(authorizer.stats.hits + authorizer.stats.misses).toBe(calls.length);
        expect(authorizer.size).toBeLessThanOrEqual(maxEntries);
      }),
      { numRuns: 300 },
    );
  });
});
