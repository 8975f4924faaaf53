/**
 * fast-check generators of (principal, policies, requests) cases for the IAM differential tests.
 *
 * Arbitraries produce small *specs* (choices from pools); `renderCase` turns a spec into concrete values.
 * Resource patterns are rendered from the case's first request (its region, API id, method, path), with some
 * parts replaced by wildcards, case variants or policy variables, so that a good share of the cases are
 * allowed; later requests of a case vary the first one (method, path, address, time, ...).
 */
import fc from 'fast-check';
import type { IamUserPrincipal, NamedPolicy, PolicySource, Principal, RoleSessionPrincipal } from '../../../src/iam/principal';
import type { AuthorizationRequest } from '../../../src/iam/decide';

export const ACCOUNT = '123456789012';

/** What a generator may produce. `libSafe` leaves out what @cloud-copilot/iam-simulate 0.1.173 gets wrong. */
export interface GenOptions {
  readonly libSafe: boolean;
  /**
   * Conditions for role sessions (session-differential.test.ts): adds keys a session's context holds
   * (aws:TokenIssueTime, aws:SourceIdentity, more aws:PrincipalTag/*, role ARNs for aws:PrincipalArn) and
   * leaves out StringLike on aws:CurrentTime, whose text form the documentation does not fix.
   */
  readonly session?: boolean;
  /** With `session`: conditions on aws:SourceIdentity too. */
  readonly sourceIdentity?: boolean;
  /**
   * With `session`: leave out conditions on aws:MultiFactorAuthPresent (the project's session context once lacked
   * the key, a finding of session-differential.test.ts, now fixed; the test sets this to false).
   */
  readonly withoutMfa?: boolean;
}

// ------------------------------------------------------------------------------------------------
// Principal
// ------------------------------------------------------------------------------------------------

export interface PrincipalSpec {
  readonly role: boolean;
  readonly name: string;
  readonly path: string;
  readonly userId: string;
  readonly roleName: string;
  readonly sessionName: string;
  readonly tags: ReadonlyArray<readonly [string, string]>;
  readonly groups: readonly string[];
}

const principalSpecArb = (o: GenOptions): fc.Arbitrary<PrincipalSpec> =>
  fc.record({
    role: o.libSafe ? fc.constant(false) : fc.boolean(),
    name: fc.constantFrom('alice', 'bob', 'Bob', 'iam-http-api-dev-editor', 'a.b@c'),
    path: fc.constantFrom('/', '/iam-http-api/', '/a/b/'),
    userId: fc.constantFrom('AIDAEXAMPLEUSER', 'AIDA0000000000000001'),
    roleName: fc.constantFrom('deployer', 'reader'),
    sessionName: fc.constantFrom('sess1', 'alice'),
    tags: fc.tuple(
      fc.option(fc.constantFrom('blue', 'red', 'items', 'Blue'), { nil: undefined }),
      fc.option(fc.constantFrom('dev', 'prod'), { nil: undefined }),
      fc.option(fc.constantFrom('12345', 'a b'), { nil: undefined }),
    ).map(([team, env, cc]) => {
      const t: Array<[string, string]> = [];
      if (team !== undefined) t.push(['team', team]);
      if (env !== undefined) t.push(['Env', env]);
      if (cc !== undefined) t.push(['cost-center', cc]);
      return t;
    }),
    groups: fc.subarray(['admins', 'readers']),
  });

// ------------------------------------------------------------------------------------------------
// Requests
// ------------------------------------------------------------------------------------------------

const PATH_SEGMENTS_SAFE = ['?', 'x?y', '${aws:username}', 'items', 'Items', 'users', '1', '%2F', 'a%20b', 'caf\u00e9', '\u65e5\u672c', 'a b', '', 'x:y', '$default', '{username}', '{team}', 'company-wide', 'v1'];
/** `*` in the request path and line terminators: see the library's known mismatches in reference-vs-library.test.ts. */
const PATH_SEGMENTS_ALL = [...PATH_SEGMENTS_SAFE, '*', 'a*b', '${*}', 'a\nb', '..', '*?'];

const IPS = ['127.0.0.1', '10.1.2.3', '10.1.2.200', '203.0.113.7', '0.0.0.0', '255.255.255.255', '::1', '2001:db8::1', '2001:db8:1234:5678::abcd', 'fe80::1', '2001:db9::1'];
const IPS_SAFE = IPS.filter((ip) => ip !== '0.0.0.0');
const TIMES = ['2025-06-15T12:00:00Z', '2025-06-01T00:00:00Z', '2026-11-30T23:59:59Z', '2024-02-29T08:30:00Z', '2025-06-15T11:59:59Z'];
const USER_AGENTS = ['curl/8.5.0', 'aws-cli/2.15.0 Python/3.11', 'Mozilla/5.0 (X11)', 'iam-http-api-cli/0.1.0', 'UA \u00fcn\u00efcode'];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];

export interface RequestSpec {
  readonly action: string;
  readonly region: string;
  readonly apiId: string;
  readonly method: string;
  readonly path: readonly string[];
  readonly ip: string;
  readonly time: string;
  readonly userAgent?: string;
  readonly secure: boolean;
  readonly mfa?: string;
}

export const requestSpecArb = (o: GenOptions): fc.Arbitrary<RequestSpec> =>
  fc.record(
    {
      action: fc.oneof(
        { weight: 19, arbitrary: fc.constant('execute-api:Invoke') },
        { weight: 1, arbitrary: fc.constant('execute-api:InvalidateCache') },
      ),
      region: fc.oneof({ weight: 5, arbitrary: fc.constant('us-east-1') }, { weight: 1, arbitrary: fc.constant('eu-west-1') }),
      apiId: fc.oneof({ weight: 5, arbitrary: fc.constant('abc123') }, { weight: 1, arbitrary: fc.constant('zzz999') }),
      method: fc.constantFrom(...METHODS),
      path: fc.array(fc.constantFrom(...(o.libSafe ? PATH_SEGMENTS_SAFE : PATH_SEGMENTS_ALL)), { minLength: 0, maxLength: 3 }),
      ip: fc.constantFrom(...(o.libSafe ? IPS_SAFE : IPS)),
      time: fc.constantFrom(...TIMES),
      userAgent: fc.option(fc.constantFrom(...USER_AGENTS), { nil: undefined }),
      secure: fc.boolean(),
      mfa: fc.option(fc.constantFrom('true', 'false'), { nil: undefined }),
    },
    { requiredKeys: ['action', 'region', 'apiId', 'method', 'path', 'ip', 'time', 'secure'] },
  );

/** A later request of a case: the first one with a few things changed. */
export const variantArb = (o: GenOptions): fc.Arbitrary<Partial<RequestSpec>> =>
  requestSpecArb(o).chain((r) =>
    fc
      .subarray(['method', 'path', 'ip', 'time', 'userAgent', 'secure', 'region', 'apiId', 'mfa'] as const, { minLength: 1, maxLength: 3 })
      .map((keys) => Object.fromEntries(keys.map((k) => [k, r[k]])) as Partial<RequestSpec>),
  );

// ------------------------------------------------------------------------------------------------
// Policies
// ------------------------------------------------------------------------------------------------

/** How one part of a resource pattern is written, relative to the first request. */
interface ResourceSpec {
  readonly kind: 'star' | 'arn' | 'other';
  readonly partition: string;
  readonly service: string;
  readonly region: string;
  readonly account: string;
  readonly apiId: string;
  readonly stage: string;
  readonly method: string;
  readonly path: string;
  readonly collapse: 'none' | 'rest' | 'afterApi' | 'stageOn';
  readonly short: 0 | 3 | 4 | 5;
  readonly shortTrail: 'none' | 'colonStar' | 'appendStar';
  readonly other: string;
}

export const w = <T>(weight: number, value: T) => ({ weight, arbitrary: fc.constant(value) });

const resourceSpecArb = (o: GenOptions): fc.Arbitrary<ResourceSpec> =>
  fc.record({
    kind: fc.oneof(w(2, 'star' as const), w(15, 'arn' as const), w(1, 'other' as const)),
    partition: o.libSafe ? fc.oneof(w(9, 'same'), w(1, '*')) : fc.oneof(w(18, 'same'), w(1, 'AWS'), w(1, '*'), w(1, 'aws-cn')),
    service: o.libSafe ? fc.constant('same') : fc.oneof(w(18, 'same'), w(1, 'EXECUTE-API'), w(1, 'execute-api ')),
    region: o.libSafe
      ? fc.oneof(w(6, 'same'), w(2, '*'), w(1, 'us-*'), w(1, '?s-east-1'), w(1, 'eu-west-1'))
      : fc.oneof(w(6, 'same'), w(2, '*'), w(1, 'us-*'), w(1, '?s-east-1'), w(1, 'US-EAST-1'), w(1, 'eu-west-1'), w(1, '')),
    account: fc.oneof(w(6, 'same'), w(2, '*'), w(1, '1234*'), w(1, '999999999999'), w(1, '12345678901?')),
    apiId: o.libSafe
      ? fc.oneof(w(6, 'same'), w(1, 'zzz999'))
      : fc.oneof(w(6, 'same'), w(2, '*'), w(1, 'abc*'), w(1, 'ab?123'), w(1, 'ABC123'), w(1, 'zzz999'), w(1, '${aws:PrincipalTag/team}')),
    stage: fc.oneof(w(6, '$default'), w(2, '*'), w(1, '${$}default'), w(1, 'prod'), w(1, '$DEFAULT'), w(1, '$*')),
    method: fc.oneof(w(6, 'same'), w(3, '*'), w(1, 'lower'), w(1, 'G?T'), w(1, 'GET'), w(1, 'P*'), w(1, 'DELETE')),
    path: fc.oneof(
      w(5, 'same'),
      w(4, '*'),
      w(2, 'prefix*'),
      w(1, 'qmark'),
      w(1, 'upper'),
      w(1, 'escaped'),
      w(1, '${aws:username}/*'),
      w(1, '${aws:username}'),
      w(1, '${aws:PrincipalTag/team}/*'),
      w(1, "${aws:PrincipalTag/nope, 'company-wide'}"),
      w(1, "${aws:PrincipalTag/team, 'company-wide'}*"),
      w(1, '${aws:userid}*'),
      w(1, ''),
    ),
    collapse: fc.oneof(w(12, 'none' as const), w(1, 'rest' as const), w(1, 'afterApi' as const), w(1, 'stageOn' as const)),
    short: o.libSafe ? fc.constant(0 as const) : fc.oneof(w(14, 0 as const), w(1, 3 as const), w(1, 4 as const), w(1, 5 as const)),
    shortTrail: fc.constantFrom('none' as const, 'colonStar' as const, 'appendStar' as const),
    other: fc.constantFrom('arn:aws:s3:::bucket/*', 'arn:aws:execute-api:us-east-1:123456789012:other/*', 'arn:aws:execute-api:*:*:zzz999/*'),
  });

const ACTIONS_ALLOWING = ['execute-api:Invoke', 'execute-api:*', '*', 'execute-api:invoke', 'EXECUTE-API:INVOKE', 'execute-api:Inv?ke', 'execute-api:I*', 'execute-api:*oke', 'Execute-Api:InVoKe'];
const ACTIONS_OTHER = ['execute-api:ManageConnections', 's3:GetObject', 'execute-api:Invoke?', 'execute-api:Invoke*', 's3:*', 'execute-api:InvalidateCache', 'execute-api:Inv'];

interface ClauseSpec {
  readonly operator: string;
  readonly key: string;
  readonly values: ReadonlyArray<string | boolean | number>;
  readonly single: boolean;
}

type KeyDef = { key: string; ops: readonly string[]; values: ReadonlyArray<string | boolean | number> };

const STRING_OPS = ['StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', 'StringLike', 'StringNotLike'];
const DATE_OPS = ['DateEquals', 'DateNotEquals', 'DateLessThan', 'DateLessThanEquals', 'DateGreaterThan', 'DateGreaterThanEquals'];
const NUMERIC_OPS = ['NumericEquals', 'NumericNotEquals', 'NumericLessThan', 'NumericLessThanEquals', 'NumericGreaterThan', 'NumericGreaterThanEquals'];
const ARN_OPS = ['ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike'];

export const epoch = (iso: string) => String(Date.parse(iso) / 1000);

const baseKeyDefs = (o: GenOptions): KeyDef[] => [
  {
    key: 'aws:SourceIp',
    ops: ['IpAddress', 'NotIpAddress'],
    values: [
      '127.0.0.0/8',
      '127.0.0.1',
      '127.0.0.1/32',
      '10.0.0.0/8',
      '10.1.2.0/24',
      '10.1.2.3/25',
      '203.0.113.0/24',
      '::1/128',
      '2001:db8::/32',
      '2001:DB8:1234:5678::/64',
      'fe80::/10',
      '::/0',
      ...(o.libSafe ? [] : ['0.0.0.0/0', '255.255.255.255/32']),
    ],
  },
  {
    key: 'aws:CurrentTime',
    ops: DATE_OPS,
    values: [
      '2025-06-15T12:00:00Z',
      '2025-06-01T00:00:00Z',
      '2025-06-15T14:00:00+02:00',
      '2025-06-15T12:00:00.000Z',
      '2026-01-01T00:00:00Z',
      '2025-06-15',
      '2024-02-29T08:30Z',
      ...(o.libSafe ? [] : [epoch('2025-06-15T12:00:00Z'), epoch('2026-01-01T00:00:00Z'), Number(epoch('2025-06-01T00:00:00Z'))]),
    ],
  },
  { key: 'aws:CurrentTime', ops: ['StringLike', 'StringNotLike'], values: ['2025-06-*', '2025-06-15T12:00:00Z', '202?-*'] },
  {
    key: 'aws:EpochTime',
    ops: NUMERIC_OPS,
    values: [epoch('2025-06-15T12:00:00Z'), epoch('2026-01-01T00:00:00Z'), Number(epoch('2025-06-01T00:00:00Z')), '1700000000.5'],
  },
  {
    key: 'aws:EpochTime',
    ops: DATE_OPS,
    values: [epoch('2025-06-15T12:00:00Z'), epoch('2026-01-01T00:00:00Z'), ...(o.libSafe ? [] : ['2025-06-15T12:00:00Z', '2025-06-01T00:00:00Z'])],
  },
  { key: 'aws:UserAgent', ops: STRING_OPS, values: ['curl/*', 'curl/8.5.0', 'CURL/8.5.0', 'aws-cli*', '*Python*', 'Mozilla/5.0 (X11)', '*', 'UA \u00fc*'] },
  {
    key: 'aws:username',
    ops: STRING_OPS,
    values: ['alice', 'Alice', 'a*', '${aws:username}', 'bob', 'iam-http-api-dev-*', '${aws:PrincipalTag/team}', "${aws:PrincipalTag/nope, 'alice'}", 'a.b@?'],
  },
  { key: 'aws:userid', ops: STRING_OPS, values: ['AIDA*', 'AIDAEXAMPLEUSER', '*:sess1', 'AROAEXAMPLEROLE:*', '${aws:userid}', '${aws:username}'] },
  {
    key: 'aws:PrincipalArn',
    ops: [...ARN_OPS, 'StringLike', 'StringEquals'],
    values: [
      'arn:aws:iam::123456789012:user/*',
      'arn:aws:iam::*:user/iam-http-api/*',
      'arn:aws:iam::123456789012:role/*',
      'arn:aws:iam::123456789012:user/alice',
      'arn:aws:iam::123456789012:*',
      'arn:aws:iam::999999999999:user/*',
      'arn:aws:iam::${aws:PrincipalAccount}:user/*',
      'arn:aws:iam::123456789012:user/${aws:username}',
      'arn:aws:iam::123456789012:user/*/${aws:username}',
      'arn:aws:iam::12345678901?:role/deployer',
    ],
  },
  { key: 'aws:PrincipalTag/team', ops: STRING_OPS, values: ['blue', 'Blue', 'red', 'b*', '${aws:PrincipalTag/Env}', 'items'] },
  { key: 'aws:principaltag/TEAM', ops: ['StringEquals', 'StringNotEquals'], values: ['blue', 'red'] },
  { key: 'aws:PrincipalTag/Env', ops: ['StringEquals', 'StringLike', 'StringNotEquals'], values: ['dev', 'prod', 'd*'] },
  { key: 'aws:PrincipalType', ops: ['StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase'], values: ['User', 'AssumedRole', 'user'] },
  { key: 'aws:SecureTransport', ops: ['Bool'], values: ['true', 'false', true, false] },
  { key: 'aws:RequestedRegion', ops: ['StringEquals', 'StringLike', 'StringNotEquals'], values: ['us-east-1', 'us-*', 'eu-west-1'] },
  { key: 'aws:MultiFactorAuthPresent', ops: ['Bool'], values: ['true', 'false'] },
  { key: 'aws:TokenIssueTime', ops: ['DateGreaterThan', 'DateLessThan'], values: ['2025-01-01T00:00:00Z', '2030-01-01T00:00:00Z'] },
];

const NULL_KEYS = ['aws:MultiFactorAuthPresent', 'aws:UserAgent', 'aws:PrincipalTag/team', 'aws:username', 'aws:TokenIssueTime', 'aws:nope', 'AWS:SOURCEIP'];

/** Keys a role session's request context holds (reference/session.ts builds it from the documentation). */
const sessionKeyDefs = (o: GenOptions): KeyDef[] => [
  {
    key: 'aws:PrincipalArn',
    ops: [...ARN_OPS, 'StringLike', 'StringEquals', 'StringEqualsIgnoreCase'],
    values: [
      'arn:aws:iam::123456789012:role/deployer',
      'arn:aws:iam::123456789012:role/*',
      'arn:aws:iam::123456789012:role/iam-http-api/*',
      'arn:aws:iam::123456789012:role/Deployer',
      'arn:aws:sts::123456789012:assumed-role/deployer/*',
      'arn:aws:sts::123456789012:assumed-role/deployer/sess1',
      'arn:aws:iam::*:role/*deployer',
      'arn:aws:iam::${aws:PrincipalAccount}:role/*',
    ],
  },
  { key: 'aws:userid', ops: STRING_OPS, values: ['AROAEXAMPLEROLE0001:*', '*:sess1', 'AROA*', 'AROAEXAMPLEROLE0001:sess1', '*:${aws:PrincipalTag/team}', 'AROAEXAMPLEROLE0001'] },
  {
    key: 'aws:TokenIssueTime',
    ops: DATE_OPS,
    values: ['2025-01-01T00:00:00Z', '2025-06-01T00:00:00Z', '2025-06-15T11:00:00Z', '2030-01-01T00:00:00Z', '2025-06-01T02:00:00+02:00', epoch('2025-06-01T00:00:00Z')],
  },
  { key: 'aws:PrincipalTag/Team', ops: STRING_OPS, values: ['blue', 'red', 'Blue', '${aws:PrincipalTag/env}'] },
  { key: 'aws:PrincipalTag/env', ops: ['StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringLike'], values: ['dev', 'prod', 'DEV', 'p*'] },
  { key: 'aws:PrincipalTag/cost-center', ops: ['StringEquals', 'StringNotEquals', 'StringLike'], values: ['12345', 'a b', '1*'] },
  { key: 'aws:PrincipalType', ops: ['StringEquals', 'StringNotEquals', 'StringLike'], values: ['AssumedRole', 'Role', 'User', 'Assumed*'] },
  ...(o.sourceIdentity ? [{ key: 'aws:SourceIdentity', ops: STRING_OPS, values: ['alice', 'a*', 'ci@example.com', '${aws:PrincipalTag/team}'] }] : []),
];

const keyDefs = (o: GenOptions): KeyDef[] =>
  o.session
    ? [
        ...baseKeyDefs(o).filter((d) => !(d.key === 'aws:CurrentTime' && d.ops.includes('StringLike')) && !(o.withoutMfa && d.key === 'aws:MultiFactorAuthPresent')),
        ...sessionKeyDefs(o),
        ...sessionKeyDefs(o),
      ]
    : baseKeyDefs(o);

const nullKeys = (o: GenOptions): string[] => [
  ...NULL_KEYS.filter((k) => !(o.session && o.withoutMfa && k === 'aws:MultiFactorAuthPresent')),
  ...(o.session && o.sourceIdentity ? ['aws:SourceIdentity'] : []),
];

const recase = (key: string, how: number): string => (how === 1 ? key.toLowerCase() : how === 2 ? key.toUpperCase() : key);

const clauseArb = (o: GenOptions): fc.Arbitrary<ClauseSpec> => {
  const defs = keyDefs(o);
  const typed = fc
    .record({
      def: fc.constantFrom(...defs),
      opIndex: fc.nat(),
      values: fc.array(fc.nat(), { minLength: 1, maxLength: 2 }),
      set: fc.oneof(w(8, ''), w(1, 'ForAllValues:'), w(1, 'ForAnyValue:')),
      ifExists: fc.oneof(w(4, false), w(1, true)),
      keyCase: fc.oneof(w(6, 0), w(1, 1), w(1, 2)),
      single: fc.boolean(),
    })
    .map(({ def, opIndex, values, set, ifExists, keyCase, single }) => ({
      operator: `${set}${def.ops[opIndex % def.ops.length]}${ifExists ? 'IfExists' : ''}`,
      key: recase(def.key, keyCase),
      values: [...new Set(values.map((i) => def.values[i % def.values.length]))],
      single,
    }));
  const nullClause = fc.record({
    operator: fc.constant('Null'),
    key: fc.constantFrom(...nullKeys(o)),
    values: fc.constantFrom<ReadonlyArray<string | boolean>>(['true'], ['false'], [true], [false]),
    single: fc.boolean(),
  });
  return fc.oneof({ weight: 6, arbitrary: typed }, { weight: 1, arbitrary: nullClause });
};

interface StatementSpec {
  readonly effect: 'Allow' | 'Deny';
  readonly notAction: boolean;
  readonly actions: readonly string[];
  readonly notResource: boolean;
  readonly resources: readonly ResourceSpec[];
  readonly conditions: readonly ClauseSpec[];
  readonly sid?: string;
}

const statementSpecArb = (o: GenOptions, effect: fc.Arbitrary<'Allow' | 'Deny'>): fc.Arbitrary<StatementSpec> =>
  fc.record(
    {
      effect,
      notAction: fc.oneof(w(7, false), w(1, true)),
      actions: fc.array(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...ACTIONS_ALLOWING) }, { weight: 1, arbitrary: fc.constantFrom(...ACTIONS_OTHER) }), {
        minLength: 1,
        maxLength: 2,
      }),
      notResource: fc.oneof(w(7, false), w(1, true)),
      resources: fc.array(resourceSpecArb(o), { minLength: 1, maxLength: 2 }),
      conditions: fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 2, arbitrary: fc.array(clauseArb(o), { minLength: 1, maxLength: 2 }) }),
      // Mostly unique per document ('unique' renders as S<index>); 'Dup' twice in a document is invalid.
      sid: o.libSafe ? fc.constant('unique') : fc.oneof(w(6, 'unique'), w(1, 'Dup')),
    },
    { requiredKeys: ['effect', 'notAction', 'actions', 'notResource', 'resources', 'conditions'] },
  );

/** A way IAM would reject a document (reference_policies_grammar.html and the element pages). */
const INVALID_KINDS = [
  'effect-lowercase',
  'effect-other',
  'action-and-notaction',
  'no-action',
  'no-resource',
  'resource-and-notresource',
  'principal',
  'notprincipal',
  'unknown-operator',
  'unknown-version',
  'resource-not-arn',
  'no-statement',
  'unknown-element',
  'sid-not-alnum',
  'no-effect',
] as const;
type InvalidKind = (typeof INVALID_KINDS)[number];

export interface PolicySpec {
  readonly version: '2012-10-17' | '2008-10-17' | undefined;
  readonly statements: readonly StatementSpec[];
  readonly singleObject: boolean;
  readonly invalid?: InvalidKind;
}

export const policySpecArb = (o: GenOptions, effects: fc.Arbitrary<'Allow' | 'Deny'>): fc.Arbitrary<PolicySpec> =>
  fc.record(
    {
      version: fc.oneof(w(7, '2012-10-17' as const), w(2, '2008-10-17' as const), w(1, undefined)),
      statements: fc.array(statementSpecArb(o, effects), { minLength: 1, maxLength: 3 }),
      singleObject: fc.oneof(w(5, false), w(1, true)),
      invalid: o.libSafe
        ? fc.constant(undefined)
        : fc.oneof({ weight: 24, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(...INVALID_KINDS) }),
    },
    { requiredKeys: ['version', 'statements', 'singleObject'] },
  );

export interface CaseSpec {
  readonly principal: PrincipalSpec;
  readonly first: RequestSpec;
  readonly variants: ReadonlyArray<Partial<RequestSpec>>;
  readonly identity: readonly PolicySpec[];
  readonly boundary?: PolicySpec;
  readonly sessions: readonly PolicySpec[];
}

export const allowMostly = fc.oneof(w(3, 'Allow' as const), w(2, 'Deny' as const));
export const allowOnly = fc.oneof(w(6, 'Allow' as const), w(1, 'Deny' as const));

export const caseSpecArb = (o: GenOptions, requestsPerCase: number): fc.Arbitrary<CaseSpec> =>
  fc.record(
    {
      principal: principalSpecArb(o),
      first: requestSpecArb(o),
      variants: fc.array(variantArb(o), { minLength: requestsPerCase - 1, maxLength: requestsPerCase - 1 }),
      identity: fc.array(policySpecArb(o, allowMostly), { minLength: 1, maxLength: 3 }),
      boundary: fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: policySpecArb(o, allowOnly) }),
      sessions: o.libSafe
        ? fc.constant<PolicySpec[]>([])
        : fc.oneof(
            { weight: 1, arbitrary: fc.constant<PolicySpec[]>([]) },
            { weight: 1, arbitrary: fc.array(policySpecArb(o, allowOnly), { minLength: 1, maxLength: 2 }) },
          ),
    },
    { requiredKeys: ['principal', 'first', 'variants', 'identity', 'sessions'] },
  );

// ------------------------------------------------------------------------------------------------
// Rendering
// ------------------------------------------------------------------------------------------------

export interface RenderedCase {
  readonly principal: Principal;
  readonly requests: readonly AuthorizationRequest[];
}

function renderPrincipal(p: PrincipalSpec, sessions: readonly NamedPolicy[], identity: readonly NamedPolicy[], boundary?: NamedPolicy): Principal {
  const tags = Object.fromEntries(p.tags);
  if (p.role) {
    const r: RoleSessionPrincipal = {
      type: 'AssumedRole',
      accountId: ACCOUNT,
      tags,
      identityPolicies: identity,
      ...(boundary ? { permissionsBoundary: boundary } : {}),
      roleName: p.roleName,
      rolePath: p.path,
      roleArn: `arn:aws:iam::${ACCOUNT}:role${p.path}${p.roleName}`,
      roleId: 'AROAEXAMPLEROLE',
      sessionName: p.sessionName,
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${p.roleName}/${p.sessionName}`,
      userId: `AROAEXAMPLEROLE:${p.sessionName}`,
      sessionPolicies: sessions,
      tokenIssueTime: new Date('2025-06-01T00:00:00Z'),
    };
    return r;
  }
  const u: IamUserPrincipal = {
    type: 'User',
    accountId: ACCOUNT,
    tags,
    identityPolicies: identity,
    ...(boundary ? { permissionsBoundary: boundary } : {}),
    name: p.name,
    path: p.path,
    arn: `arn:aws:iam::${ACCOUNT}:user${p.path}${p.name}`,
    userId: p.userId,
    groups: p.groups,
  };
  return u;
}

function pathSegment(seg: string, p: PrincipalSpec): string {
  if (seg === '{username}') return p.role ? p.sessionName : p.name;
  if (seg === '{team}') return p.tags.find(([k]) => k === 'team')?.[1] ?? 'blue';
  return seg;
}

export function renderRequest(r: RequestSpec, p: PrincipalSpec): AuthorizationRequest {
  const path = r.path.map((s) => pathSegment(s, p)).join('/');
  const resource = `arn:aws:execute-api:${r.region}:${ACCOUNT}:${r.apiId}/$default/${r.method}/${path}`;
  const context: Record<string, string> = {
    'aws:SourceIp': r.ip,
    'aws:CurrentTime': r.time,
    'aws:EpochTime': epoch(r.time),
    'aws:SecureTransport': String(r.secure),
    'aws:RequestedRegion': r.region,
    'aws:PrincipalAccount': ACCOUNT,
  };
  if (r.userAgent !== undefined) context['aws:UserAgent'] = r.userAgent;
  if (p.role) {
    context['aws:userid'] = `AROAEXAMPLEROLE:${p.sessionName}`;
    context['aws:PrincipalArn'] = `arn:aws:iam::${ACCOUNT}:role${p.path}${p.roleName}`;
    context['aws:PrincipalType'] = 'AssumedRole';
    context['aws:TokenIssueTime'] = '2025-06-01T00:00:00Z';
    // aws:MultiFactorAuthPresent: present for temporary credentials (role sessions), absent for long-term keys.
    if (r.mfa !== undefined) context['aws:MultiFactorAuthPresent'] = r.mfa;
  } else {
    context['aws:username'] = p.name;
    context['aws:userid'] = p.userId;
    context['aws:PrincipalArn'] = `arn:aws:iam::${ACCOUNT}:user${p.path}${p.name}`;
    context['aws:PrincipalType'] = 'User';
  }
  for (const [k, v] of p.tags) context[`aws:PrincipalTag/${k}`] = v;
  return { action: r.action, resource, context };
}

/** Renders a resource pattern relative to the first request. */
function renderResource(s: ResourceSpec, r: RequestSpec, p: PrincipalSpec): string {
  if (s.kind === 'star') return '*';
  if (s.kind === 'other') return s.other;
  const pick = (choice: string, same: string) => (choice === 'same' ? same : choice);
  const partition = pick(s.partition, 'aws');
  const service = pick(s.service, 'execute-api');
  const region = pick(s.region, r.region);
  const account = pick(s.account, ACCOUNT);
  const apiId = pick(s.apiId, r.apiId);
  const method = s.method === 'lower' ? r.method.toLowerCase() : pick(s.method, r.method);
  const segs = r.path.map((x) => pathSegment(x, p));
  const path = r.path.length === 0 ? '' : segs.join('/');
  let pathPattern: string;
  switch (s.path) {
    case 'same':
      pathPattern = path;
      break;
    case 'prefix*':
      pathPattern = segs.length > 0 ? `${segs[0]}*` : '*';
      break;
    case 'qmark': {
      const cs = Array.from(path);
      if (cs.length > 0) cs[Math.floor(cs.length / 2)] = '?';
      pathPattern = cs.join('');
      break;
    }
    case 'upper':
      pathPattern = path.toUpperCase();
      break;
    case 'escaped':
      // The request path written with the special variables, so that * ? $ are literal characters (2012-10-17).
      pathPattern = path.replace(/[*?$]/g, (c) => `\${${c}}`);
      break;
    default:
      pathPattern = s.path;
  }
  let rest: string;
  switch (s.collapse) {
    case 'rest':
      rest = '*';
      break;
    case 'afterApi':
      rest = `${apiId}/*`;
      break;
    case 'stageOn':
      rest = `${apiId}/${s.stage}/*`;
      break;
    default:
      rest = `${apiId}/${s.stage}/${method}/${pathPattern}`;
  }
  const all = ['arn', partition, service, region, account, rest];
  if (s.short === 0) return all.join(':');
  const kept = all.slice(0, s.short).join(':');
  if (s.shortTrail === 'colonStar') return `${kept}:*`;
  if (s.shortTrail === 'appendStar') return `${kept}*`;
  return kept;
}

function renderStatement(s: StatementSpec, index: number, r: RequestSpec, p: PrincipalSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (s.sid !== undefined) out.Sid = s.sid === 'unique' ? `S${index}` : s.sid;
  out.Effect = s.effect;
  out[s.notAction ? 'NotAction' : 'Action'] = s.actions.length === 1 ? s.actions[0] : [...s.actions];
  const resources = s.resources.map((x) => renderResource(x, r, p));
  out[s.notResource ? 'NotResource' : 'Resource'] = resources.length === 1 ? resources[0] : resources;
  if (s.conditions.length > 0) {
    const condition: Record<string, Record<string, unknown>> = {};
    for (const c of s.conditions) {
      const block = (condition[c.operator] ??= {});
      block[c.key] = c.single && c.values.length === 1 ? c.values[0] : [...c.values];
    }
    out.Condition = condition;
  }
  return out;
}

export function renderPolicy(spec: PolicySpec, r: RequestSpec, p: PrincipalSpec): Record<string, unknown> {
  const statements = spec.statements.map((s, i) => renderStatement(s, i, r, p));
  const doc: Record<string, unknown> = {};
  if (spec.version !== undefined) doc.Version = spec.version;
  doc.Statement = spec.singleObject && statements.length === 1 ? statements[0] : statements;
  if (spec.invalid) applyInvalid(doc, statements[0], spec.invalid);
  return doc;
}

function applyInvalid(doc: Record<string, unknown>, s: Record<string, unknown>, kind: InvalidKind): void {
  switch (kind) {
    case 'effect-lowercase':
      s.Effect = String(s.Effect).toLowerCase();
      break;
    case 'effect-other':
      s.Effect = 'Permit';
      break;
    case 'no-effect':
      delete s.Effect;
      break;
    case 'action-and-notaction':
      s.Action = 'execute-api:Invoke';
      s.NotAction = 's3:*';
      break;
    case 'no-action':
      delete s.Action;
      delete s.NotAction;
      break;
    case 'no-resource':
      delete s.Resource;
      delete s.NotResource;
      break;
    case 'resource-and-notresource':
      s.Resource = '*';
      s.NotResource = 'arn:aws:s3:::bucket';
      break;
    case 'principal':
      s.Principal = '*';
      break;
    case 'notprincipal':
      s.NotPrincipal = { AWS: `arn:aws:iam::${ACCOUNT}:root` };
      break;
    case 'unknown-operator':
      s.Condition = { ...((s.Condition as object) ?? {}), StringEqualz: { 'aws:username': 'alice' } };
      break;
    case 'unknown-version':
      doc.Version = '2012-10-18';
      break;
    case 'resource-not-arn':
      s.Resource = 'execute-api:us-east-1:123456789012:abc123/*';
      delete s.NotResource;
      break;
    case 'no-statement':
      delete doc.Statement;
      break;
    case 'unknown-element':
      s.Resources = '*';
      break;
    case 'sid-not-alnum':
      s.Sid = 'allow invoke!';
      break;
  }
}

export function renderCase(spec: CaseSpec): RenderedCase {
  const p = spec.principal;
  const r = spec.first;
  const identitySources: PolicySource[] = p.role ? ['role inline', 'role managed'] : ['user inline', 'user managed', 'group inline', 'group managed'];
  const identity: NamedPolicy[] = spec.identity.map((ps, i) => {
    const source = identitySources[i % identitySources.length];
    return {
      name: `policy-${i}`,
      source,
      ...(source.startsWith('group') ? { group: p.groups[0] ?? 'admins' } : {}),
      document: renderPolicy(ps, r, p),
    };
  });
  const boundary: NamedPolicy | undefined = spec.boundary
    ? { name: 'boundary', source: 'permissions boundary', document: renderPolicy(spec.boundary, r, p) }
    : undefined;
  const sessions: NamedPolicy[] = p.role
    ? spec.sessions.map((ps, i) => ({ name: `session-${i}`, source: 'session policy' as const, document: renderPolicy(ps, r, p) }))
    : [];
  const principal = renderPrincipal(p, sessions, identity, boundary);
  const requests = [spec.first, ...spec.variants.map((v) => ({ ...spec.first, ...v }))].map((x) => renderRequest(x, p));
  return { principal, requests };
}

/** A compact, copy-pasteable description of one decision for failure messages. */
export function describeCase(principal: Principal, request: AuthorizationRequest): string {
  const policies: Record<string, unknown> = {};
  for (const p of principal.identityPolicies) policies[`${p.source}:${p.name}`] = p.document;
  if (principal.permissionsBoundary) policies.boundary = principal.permissionsBoundary.document;
  if (principal.type === 'AssumedRole') principal.sessionPolicies.forEach((p, i) => (policies[`session:${i}`] = p.document));
  const who =
    principal.type === 'User'
      ? { type: 'User', name: principal.name, arn: principal.arn, userId: principal.userId, tags: principal.tags }
      : { type: 'AssumedRole', arn: principal.arn, roleArn: principal.roleArn, userId: principal.userId, tags: principal.tags };
  return JSON.stringify({ principal: who, policies, request }, null, 1);
}
