import { Authorizer, type PolicyDocument, type Principal, type RequestFacts } from '../../src/gateway/authorize';

const EXECUTION_ARN = 'arn:aws:execute-api:us-east-1:123456789012:abc123';
const ACCOUNT = '123456789012';

/** The request ARN the gateway builds: `<execution arn>/$default/<METHOD>/<path without leading slash>`. */
const arn = (method: string, path: string, api = EXECUTION_ARN, stage = '$default'): string =>
  `${api}/${stage}/${method}/${path.replace(/^\//, '')}`;

const principal = (name: string, ...policies: PolicyDocument[]): Principal => ({
  userName: `iam-http-api-dev-${name}`,
  userArn: `arn:aws:iam::${ACCOUNT}:user/iam-http-api/iam-http-api-dev-${name}`,
  accountId: ACCOUNT,
  policies,
});

const policy = (...Statement: object[]): PolicyDocument => ({ Version: '2012-10-17', Statement });
const allowInvoke = (Resource: string | string[], extra: object = {}): object => ({
  Effect: 'Allow',
  Action: 'execute-api:Invoke',
  Resource,
  ...extra,
});

const facts = (overrides: Partial<RequestFacts> = {}): RequestFacts => ({
  sourceIp: '127.0.0.1',
  now: new Date('2025-06-01T12:00:00Z'),
  secureTransport: false,
  userAgent: 'aws4fetch/1.0.20',
  region: 'us-east-1',
  ...overrides,
});

/** The invoker policy exactly as the stack synthesizes it, with the execution ARN substituted. */
const synthesized = (resources: string[]): PolicyDocument =>
  JSON.parse(
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Sid: 'InvokeAllowedRoutes', Effect: 'Allow', Action: 'execute-api:Invoke', Resource: resources }],
    }),
  ) as PolicyDocument;

describe('Authorizer with the stack-synthesized invoker policies', () => {
  const admin = principal('admin', synthesized([`${EXECUTION_ARN}/$default/*/*`]));
  const editor = principal(
    'editor',
    synthesized(['GET', 'POST', 'PUT', 'PATCH'].map((method) => `${EXECUTION_ARN}/$default/${method}/*`)),
  );
  const viewer = principal('viewer', synthesized([`${EXECUTION_ARN}/$default/GET/*`]));
  const authorizer = new Authorizer();

  it('allows the viewer GET /items', () => {
    expect(authorizer.decide(viewer, arn('GET', '/items'), facts())).toBe('Allowed');
  });

  it('implicitly denies the viewer POST /items', () => {
    expect(authorizer.decide(viewer, arn('POST', '/items'), facts())).toBe('ImplicitlyDenied');
  });

  it('allows the viewer GET / (the ARN ends with "GET/")', () => {
    const root = arn('GET', '/');
    expect(root.endsWith('/GET/')).toBe(true);
    expect(authorizer.decide(viewer, root, facts())).toBe('Allowed');
  });

  it('allows the editor PATCH but implicitly denies its DELETE', () => {
    expect(authorizer.decide(editor, arn('PATCH', '/items/1'), facts())).toBe('Allowed');
    expect(authorizer.decide(editor, arn('DELETE', '/items/1'), facts())).toBe('ImplicitlyDenied');
  });

  it('allows the admin DELETE /a/b', () => {
    expect(authorizer.decide(admin, arn('DELETE', '/a/b'), facts())).toBe('Allowed');
  });

  it('denies an ARN of another API id', () => {
    const other = 'arn:aws:execute-api:us-east-1:123456789012:zzz999';
    expect(authorizer.decide(admin, arn('GET', '/items', other), facts())).toBe('ImplicitlyDenied');
  });

  it('denies another stage', () => {
    expect(authorizer.decide(admin, arn('GET', '/items', EXECUTION_ARN, 'prod'), facts())).toBe('ImplicitlyDenied');
  });
});

describe('Authorizer IAM semantics', () => {
  const decide = (p: PolicyDocument, resource: string, f: RequestFacts = facts()) =>
    new Authorizer().decide(principal('t', p), resource, f);

  it('lets an explicit Deny beat an Allow', () => {
    const p = policy(allowInvoke('*'), { Effect: 'Deny', Action: 'execute-api:Invoke', Resource: `${EXECUTION_ARN}/*/DELETE/*` });
    expect(decide(p, arn('DELETE', '/items/1'))).toBe('ExplicitlyDenied');
    expect(decide(p, arn('GET', '/items/1'))).toBe('Allowed');
  });

  it('matches * across path segments in Resource', () => {
    const p = policy(allowInvoke(`${EXECUTION_ARN}/$default/GET/items/*`));
    expect(decide(p, arn('GET', '/items/1/details'))).toBe('Allowed');
    expect(decide(p, arn('GET', '/other/1'))).toBe('ImplicitlyDenied');
  });

  it('matches ? as exactly one character in Resource', () => {
    const p = policy(allowInvoke(`${EXECUTION_ARN}/$default/GET/item?`));
    expect(decide(p, arn('GET', '/items'))).toBe('Allowed');
    expect(decide(p, arn('GET', '/item'))).toBe('ImplicitlyDenied');
    expect(decide(p, arn('GET', '/itemss'))).toBe('ImplicitlyDenied');
  });

  it('applies NotAction', () => {
    expect(decide(policy({ Effect: 'Allow', NotAction: 's3:*', Resource: '*' }), arn('GET', '/x'))).toBe('Allowed');
    expect(decide(policy({ Effect: 'Allow', NotAction: 'execute-api:*', Resource: '*' }), arn('GET', '/x'))).toBe(
      'ImplicitlyDenied',
    );
  });

  it('applies NotResource in Allow and Deny statements', () => {
    const allow = policy({ Effect: 'Allow', Action: 'execute-api:Invoke', NotResource: `${EXECUTION_ARN}/$default/DELETE/*` });
    expect(decide(allow, arn('GET', '/x'))).toBe('Allowed');
    expect(decide(allow, arn('DELETE', '/x'))).toBe('ImplicitlyDenied');
    const deny = policy(allowInvoke('*'), { Effect: 'Deny', Action: 'execute-api:Invoke', NotResource: `${EXECUTION_ARN}/$default/GET/*` });
    expect(decide(deny, arn('POST', '/x'))).toBe('ExplicitlyDenied');
    expect(decide(deny, arn('GET', '/x'))).toBe('Allowed');
  });

  it('applies IpAddress aws:SourceIp without leaking the cached decision to another IP', () => {
    const authorizer = new Authorizer();
    const p = principal('t', policy(allowInvoke('*', { Condition: { IpAddress: { 'aws:SourceIp': '127.0.0.1/32' } } })));
    expect(authorizer.decide(p, arn('GET', '/x'), facts({ sourceIp: '127.0.0.1' }))).toBe('Allowed');
    expect(authorizer.decide(p, arn('GET', '/x'), facts({ sourceIp: '10.0.0.7' }))).toBe('ImplicitlyDenied');
    expect(authorizer.stats).toMatchObject({ hits: 0, misses: 2 });
  });

  it('applies DateLessThan aws:CurrentTime without leaking the cached decision past the deadline', () => {
    const authorizer = new Authorizer();
    const p = principal('t', policy(allowInvoke('*', { Condition: { DateLessThan: { 'aws:CurrentTime': '2025-07-01T00:00:00Z' } } })));
    expect(authorizer.decide(p, arn('GET', '/x'), facts({ now: new Date('2025-06-30T23:59:59Z') }))).toBe('Allowed');
    expect(authorizer.decide(p, arn('GET', '/x'), facts({ now: new Date('2025-07-01T00:00:00Z') }))).toBe('ImplicitlyDenied');
    expect(authorizer.decide(p, arn('GET', '/x'), facts({ now: new Date('2025-07-02T00:00:00Z') }))).toBe('ImplicitlyDenied');
    expect(authorizer.stats).toMatchObject({ hits: 0, misses: 3 });
  });

  it('matches actions case-insensitively and by wildcard', () => {
    const anyExecuteApi = policy({ Effect: 'Allow', Action: 'execute-api:*', Resource: '*' });
    const lowerCase = policy({ Effect: 'Allow', Action: 'execute-api:invoke', Resource: `${EXECUTION_ARN}/*` });
    expect(decide(anyExecuteApi, arn('GET', '/x'))).toBe('Allowed');
    expect(decide(lowerCase, arn('GET', '/x'))).toBe('Allowed');
  });

  it("denies when the only action is another service's", () => {
    expect(decide(policy({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }), arn('GET', '/x'))).toBe('ImplicitlyDenied');
  });

  it('grants nothing without policies', () => {
    expect(new Authorizer().decide(principal('t'), arn('GET', '/x'), facts())).toBe('ImplicitlyDenied');
  });

  it('substitutes policy variables from the principal', () => {
    const p = policy(allowInvoke(`${EXECUTION_ARN}/$default/GET/users/\${aws:username}/*`));
    expect(decide(p, arn('GET', '/users/iam-http-api-dev-t/profile'))).toBe('Allowed');
    expect(decide(p, arn('GET', '/users/someone-else/profile'))).toBe('ImplicitlyDenied');
  });

  it('puts the optional user id and tags into the context', () => {
    const tagged: Principal = { ...principal('t'), userId: 'AIDAEXAMPLE', tags: { team: 'api' } };
    const withPolicy = (p: PolicyDocument): Principal => ({ ...tagged, policies: [p] });
    const byTag = policy(allowInvoke(`${EXECUTION_ARN}/$default/GET/\${aws:PrincipalTag/team}/*`));
    const byUserId = policy(allowInvoke('*', { Condition: { StringEquals: { 'aws:userid': 'AIDAEXAMPLE', 'aws:PrincipalType': 'User' } } }));
    const authorizer = new Authorizer();
    expect(authorizer.decide(withPolicy(byTag), arn('GET', '/api/x'), facts())).toBe('Allowed');
    expect(authorizer.decide(withPolicy(byTag), arn('GET', '/web/x'), facts())).toBe('ImplicitlyDenied');
    expect(authorizer.decide(withPolicy(byUserId), arn('GET', '/x'), facts())).toBe('Allowed');
    expect(authorizer.decide({ ...withPolicy(byUserId), userId: 'AIDAOTHER' }, arn('GET', '/x'), facts())).toBe('ImplicitlyDenied');
  });

  it('applies Bool aws:SecureTransport (false for plain http)', () => {
    const p = policy(allowInvoke('*'), {
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
    expect(decide(p, arn('GET', '/x'), facts({ secureTransport: false }))).toBe('ExplicitlyDenied');
    expect(decide(p, arn('GET', '/x'), facts({ secureTransport: true }))).toBe('Allowed');
  });
});

describe('Authorizer works around iam-simulate mismatches with IAM', () => {
  const decide = (p: PolicyDocument, resource: string, f: RequestFacts = facts()) =>
    new Authorizer().decide(principal('t', p), resource, f);

  it('W1: matches a wildcard in the API-id segment (the library compares it literally)', () => {
    expect(decide(policy(allowInvoke('arn:aws:execute-api:*:*:*/*/GET/*')), arn('GET', '/x'))).toBe('Allowed');
    expect(decide(policy(allowInvoke('arn:aws:execute-api:us-east-1:123456789012:abc*/$default/GET/*')), arn('GET', '/x'))).toBe(
      'Allowed',
    );
    const deny = policy(allowInvoke('*'), { Effect: 'Deny', Action: 'execute-api:Invoke', Resource: 'arn:aws:execute-api:*:*:*/*/DELETE/*' });
    expect(decide(deny, arn('DELETE', '/x'))).toBe('ExplicitlyDenied');
  });

  it('W2: reads a * in the request path literally (the library treats it as a wildcard)', () => {
    const secretOnly = policy(allowInvoke(`${EXECUTION_ARN}/$default/GET/secret`));
    expect(decide(secretOnly, arn('GET', '/*'))).toBe('ImplicitlyDenied');
    expect(decide(policy(allowInvoke(`${EXECUTION_ARN}/$default/GET/*`)), arn('GET', '/a*b'))).toBe('Allowed');
    const literalStar = policy(allowInvoke(`${EXECUTION_ARN}/$default/GET/a\${*}`));
    expect(decide(literalStar, arn('GET', '/a*'))).toBe('Allowed');
    expect(decide(literalStar, arn('GET', '/ab'))).toBe('ImplicitlyDenied');
  });

  it('W3: lets * match a line terminator in the path', () => {
    expect(decide(policy(allowInvoke(`${EXECUTION_ARN}/$default/GET/*`)), arn('GET', '/a\nb'))).toBe('Allowed');
  });

  it('W4: compares epoch and ISO 8601 date values in one unit', () => {
    const now = facts({ now: new Date('2025-06-01T12:00:00Z') });
    const epoch2030 = String(Date.parse('2030-01-01T00:00:00Z') / 1000);
    const before2030 = policy(allowInvoke('*', { Condition: { DateLessThan: { 'aws:CurrentTime': epoch2030 } } }));
    expect(decide(before2030, arn('GET', '/x'), now)).toBe('Allowed');
    const after2020 = policy(allowInvoke('*', { Condition: { DateGreaterThan: { 'aws:EpochTime': '2020-01-01T00:00:00Z' } } }));
    expect(decide(after2020, arn('GET', '/x'), now)).toBe('Allowed');
    const numeric = policy(allowInvoke('*', { Condition: { NumericLessThan: { 'aws:EpochTime': epoch2030 } } }));
    expect(decide(numeric, arn('GET', '/x'), now)).toBe('Allowed');
    expect(decide(numeric, arn('GET', '/x'), facts({ now: new Date('2031-01-01T00:00:00Z') }))).toBe('ImplicitlyDenied');
  });

  it('W5: substitutes policy variables only under Version 2012-10-17', () => {
    const statement = allowInvoke(`${EXECUTION_ARN}/$default/GET/\${aws:username}`);
    const resource = arn('GET', '/iam-http-api-dev-t');
    expect(decide({ Version: '2012-10-17', Statement: [statement] }, resource)).toBe('Allowed');
    expect(decide({ Statement: [statement] }, resource)).toBe('ImplicitlyDenied');
    expect(decide({ Version: '2008-10-17', Statement: [statement] }, arn('GET', '/${aws:username}'))).toBe('Allowed');
  });

  it('denies a principal whose policy IAM would reject (statement without Resource), reporting it', () => {
    const errors: string[][] = [];
    const authorizer = new Authorizer({ onPolicyError: (_principal, e) => errors.push([...e]) });
    const p = principal('t', policy({ Effect: 'Allow', Action: 'execute-api:Invoke' }));
    expect(authorizer.decide(p, arn('GET', '/x'), facts())).toBe('ImplicitlyDenied');
    expect(authorizer.decide(p, arn('GET', '/y'), facts())).toBe('ImplicitlyDenied');
    expect(errors).toHaveLength(1);
    expect(errors[0].join()).toMatch(/Resource/);
  });
});

describe('Authorizer cache', () => {
  const viewer = principal('viewer', synthesized([`${EXECUTION_ARN}/$default/GET/*`]));

  it('answers a second identical decide() from the cache', () => {
    const authorizer = new Authorizer();
    expect(authorizer.decide(viewer, arn('GET', '/items'), facts())).toBe('Allowed');
    expect(authorizer.stats).toMatchObject({ hits: 0, misses: 1 });
    expect(authorizer.decide(viewer, arn('GET', '/items'), facts())).toBe('Allowed');
    expect(authorizer.stats).toMatchObject({ hits: 1, misses: 1 });
  });

  it('misses when the same user name has a changed policy document', () => {
    const authorizer = new Authorizer();
    expect(authorizer.decide(viewer, arn('POST', '/items'), facts())).toBe('ImplicitlyDenied');
    const promoted = principal('viewer', synthesized([`${EXECUTION_ARN}/$default/GET/*`, `${EXECUTION_ARN}/$default/POST/*`]));
    expect(authorizer.decide(promoted, arn('POST', '/items'), facts())).toBe('Allowed');
    expect(authorizer.stats).toMatchObject({ hits: 0, misses: 2 });
  });

  it('keys on the resource ARN', () => {
    const authorizer = new Authorizer();
    authorizer.decide(viewer, arn('GET', '/a'), facts());
    authorizer.decide(viewer, arn('GET', '/b'), facts());
    expect(authorizer.stats).toMatchObject({ hits: 0, misses: 2 });
  });

  it('ignores facts the policies do not read', () => {
    const authorizer = new Authorizer();
    authorizer.decide(viewer, arn('GET', '/items'), facts());
    const other = facts({ sourceIp: '10.1.2.3', now: new Date('2031-01-01T00:00:00Z'), userAgent: 'curl/8', secureTransport: true });
    expect(authorizer.decide(viewer, arn('GET', '/items'), other)).toBe('Allowed');
    expect(authorizer.stats).toMatchObject({ hits: 1, misses: 1 });
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
    expect(authorizer.decide(p, arn('GET', '/x'), facts({ sourceIp: '127.0.0.1' }))).toBe('Allowed');
    expect(authorizer.decide(p, arn('GET', '/x'), facts({ sourceIp: '192.168.0.1' }))).toBe('ImplicitlyDenied');
    expect(authorizer.decide(p, arn('GET', '/x'), facts({ sourceIp: '127.0.0.1' }))).toBe('Allowed');
    expect(authorizer.stats).toMatchObject({ hits: 1, misses: 2 });
  });

  it('keys on the user agent only when read, including its absence', () => {
    const authorizer = new Authorizer();
    const p = principal('t', policy(allowInvoke('*', { Condition: { Null: { 'aws:UserAgent': 'false' } } })));
    expect(authorizer.decide(p, arn('GET', '/x'), facts({ userAgent: 'curl/8' }))).toBe('Allowed');
    expect(authorizer.decide(p, arn('GET', '/x'), facts({ userAgent: undefined }))).toBe('ImplicitlyDenied');
    expect(authorizer.stats).toMatchObject({ hits: 0, misses: 2 });
  });

  it('caches a time-boxed grant between its boundaries', () => {
    const authorizer = new Authorizer();
    const window = { DateGreaterThanEquals: { 'aws:CurrentTime': '2025-06-01T00:00:00Z' }, DateLessThan: { 'aws:CurrentTime': '2025-07-01T00:00:00Z' } };
    const p = principal('t', policy(allowInvoke('*', { Condition: window })));
    const at = (iso: string) => authorizer.decide(p, arn('GET', '/x'), facts({ now: new Date(iso) }));
    expect(at('2025-05-31T23:59:59Z')).toBe('ImplicitlyDenied');
    expect(at('2025-06-01T00:00:00Z')).toBe('Allowed');
    expect(at('2025-06-15T08:00:00Z')).toBe('Allowed');
    expect(at('2025-06-20T17:30:00Z')).toBe('Allowed'); // same side of both boundaries: hit
    expect(at('2025-06-30T23:59:59Z')).toBe('Allowed'); // hit
    expect(at('2025-07-01T00:00:00Z')).toBe('ImplicitlyDenied');
    expect(at('2025-08-01T00:00:00Z')).toBe('ImplicitlyDenied');
    // misses: before, at the start, inside, at the end, after; hits: the two other instants inside
    expect(authorizer.stats).toEqual({ hits: 2, misses: 5, bypasses: 0 });
  });

  it('does not cache a principal that reads the time in a way it cannot key', () => {
    const authorizer = new Authorizer();
    const p = principal('t', policy(allowInvoke('*', { Condition: { StringLike: { 'aws:CurrentTime': '2025-06-*' } } })));
    expect(authorizer.decide(p, arn('GET', '/x'), facts({ now: new Date('2025-06-30T23:59:59Z') }))).toBe('Allowed');
    expect(authorizer.decide(p, arn('GET', '/x'), facts({ now: new Date('2025-07-01T00:00:00Z') }))).toBe('ImplicitlyDenied');
    expect(authorizer.stats).toEqual({ hits: 0, misses: 2, bypasses: 2 });
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
    expect(authorizer.stats).toMatchObject({ hits: 2, misses: 4 });
  });

  it('rejects a maxEntries that is not a positive integer', () => {
    expect(() => new Authorizer({ maxEntries: 0 })).toThrow(RangeError);
    expect(() => new Authorizer({ maxEntries: 1.5 })).toThrow(RangeError);
  });
});

describe('Authorizer resource ARN shapes', () => {
  const decide = (resource: string, request: string) =>
    new Authorizer().decide(principal('t', policy(allowInvoke(resource))), request, facts());

  it.each([
    ['arn:aws:execute-api:us-east-1:123456789012:*', 'Allowed'],
    ['arn:aws:execute-api:*:*:*', 'Allowed'],
    ['arn:aws:execute-api:*', 'Allowed'],
    ['arn:aws:execute-api:us-east-1:123456789012:abc123/*', 'Allowed'],
    ['arn:aws:execute-api:us-east-1:123456789012:abc123/$default/GET/items', 'Allowed'],
    ['arn:aws:execute-api:us-east-1:123456789012:abc123/$default/GET/Items', 'ImplicitlyDenied'],
    ['arn:aws:execute-api:us-west-2:123456789012:abc123/*', 'ImplicitlyDenied'],
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
    const paths = ['GET /a', 'GET /', 'POST /a'];
    const cached = new Authorizer();
    const seen = new Set<string>();
    for (let round = 0; round < 2; round++) {
      for (const instant of instants) {
        for (const sourceIp of ips) {
          for (const route of paths) {
            const [method, path] = route.split(' ');
            const f = facts({ now: new Date(instant), sourceIp });
            const expected = new Authorizer().decide(p, arn(method, path), f);
            expect([instant, sourceIp, route, cached.decide(p, arn(method, path), f)]).toEqual([instant, sourceIp, route, expected]);
            seen.add(expected);
          }
        }
      }
    }
    expect([...seen].sort()).toEqual(['Allowed', 'ExplicitlyDenied', 'ImplicitlyDenied']);
    expect(cached.stats.hits).toBeGreaterThan(cached.stats.misses);
    expect(cached.stats.bypasses).toBe(0);
  });
});
