/**
 * fast-check generators for trust-differential.test.ts: a role's trust policy (Principal as an IAM user ARN,
 * a role ARN, an assumed-role session ARN, the account root or bare 12-digit id, another account, `*`,
 * `{"AWS": "*"}`, Service, Federated; Action with wildcards such as sts:* and sts:Assume*; conditions on
 * sts:ExternalId, sts:RoleSessionName, aws:PrincipalTag, aws:RequestTag, aws:TagKeys, sts:TransitiveTagKeys,
 * GitHub's token.actions.githubusercontent.com:sub / :aud with StringLike wildcards; now and then a document
 * IAM refuses, NotPrincipal among them), a caller (IAM users and role sessions of the role's account or
 * another one, with or without identity Allow/Deny of sts:AssumeRole, boundaries, session policies; AWS
 * services; GitHub OIDC and Cognito identities) and a few AssumeRole* requests (action, session name,
 * ExternalId, SourceIdentity, session tags, transitive keys).
 */
import fc from 'fast-check';
import type { IamUserPrincipal, NamedPolicy, PolicyDocument } from '../../../src/iam/principal';
import type { ContextValue, RequestContext } from '../../../src/iam/decide';
import { referenceSessionContext, referenceSessionPrincipal, type ReferenceFacts, type ReferenceRole, type ReferenceSession } from './session';
import type { ReferenceAssumeRoleParameters, ReferenceTrustCaller } from './trust';

export const ROLE_ACCOUNT = '123456789012';
export const OTHER_ACCOUNT = '210987654321';
export const ROLE_ARN = `arn:aws:iam::${ROLE_ACCOUNT}:role/deployer`;
export const GITHUB = `arn:aws:iam::${ROLE_ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;

const w = <T>(weight: number, value: T) => ({ weight, arbitrary: fc.constant(value) });
const doc = (...Statement: object[]): PolicyDocument => ({ Version: '2012-10-17', Statement });

// ------------------------------------------------------------------------------------------------
// Trust policies
// ------------------------------------------------------------------------------------------------

const AWS_PRINCIPALS = [
  `arn:aws:iam::${ROLE_ACCOUNT}:user/alice`,
  `arn:aws:iam::${ROLE_ACCOUNT}:user/Alice`,
  `arn:aws:iam::${ROLE_ACCOUNT}:user/bob`,
  `arn:aws:iam::${ROLE_ACCOUNT}:user/*`,
  `arn:aws:iam::${ROLE_ACCOUNT}:root`,
  ROLE_ACCOUNT,
  `arn:aws:iam::${OTHER_ACCOUNT}:root`,
  OTHER_ACCOUNT,
  `arn:aws:iam::${OTHER_ACCOUNT}:user/alice`,
  `arn:aws:iam::${ROLE_ACCOUNT}:role/ci`,
  `arn:aws:iam::${OTHER_ACCOUNT}:role/ci`,
  `arn:aws:sts::${ROLE_ACCOUNT}:assumed-role/ci/run1`,
  `arn:aws:sts::${ROLE_ACCOUNT}:assumed-role/ci/*`,
  `arn:aws:sts::${OTHER_ACCOUNT}:assumed-role/ci/run1`,
  ROLE_ARN,
  '*',
];
const SERVICES = ['lambda.amazonaws.com', 'ecs-tasks.amazonaws.com', 'ec2.amazonaws.com'];
const PROVIDERS = [GITHUB, 'cognito-identity.amazonaws.com', `arn:aws:iam::${OTHER_ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`];
const ACTIONS = ['sts:AssumeRole', 'sts:AssumeRole', 'sts:*', 'sts:Assume*', 'sts:AssumeRoleWith*', 'sts:AssumeRoleWithWebIdentity', 'sts:TagSession', 'sts:SetSourceIdentity', '*', 'STS:assumerole', 'sts:AssumeRole?', 'sts:Tag*', 's3:GetObject'];

type Clause = readonly [operator: string, key: string, values: readonly string[]];
const CLAUSES: readonly Clause[] = [
  ['StringEquals', 'sts:ExternalId', ['x-1']],
  ['StringEquals', 'sts:ExternalId', ['x-1', 'x-2']],
  ['StringLike', 'sts:ExternalId', ['x-*']],
  ['StringNotEquals', 'sts:ExternalId', ['x-2']],
  ['Null', 'sts:ExternalId', ['false']],
  ['StringLike', 'sts:RoleSessionName', ['s*']],
  ['StringEquals', 'sts:RoleSessionName', ['${aws:username}']],
  ['StringEquals', 'sts:RoleSessionName', ['alice']],
  ['StringEquals', 'aws:PrincipalTag/team', ['blue']],
  ['StringNotEquals', 'aws:PrincipalTag/team', ['red']],
  ['StringEquals', 'aws:RequestTag/team', ['blue']],
  ['StringLike', 'aws:RequestTag/team', ['b*', 'r*']],
  ['ForAllValues:StringEquals', 'aws:TagKeys', ['team', 'Project']],
  ['ForAnyValue:StringEquals', 'aws:TagKeys', ['team']],
  ['ForAllValues:StringEquals', 'sts:TransitiveTagKeys', ['team']],
  ['ForAnyValue:StringLike', 'sts:TransitiveTagKeys', ['t*']],
  ['StringLike', 'token.actions.githubusercontent.com:sub', ['repo:acme/app:*']],
  ['StringLike', 'token.actions.githubusercontent.com:sub', ['repo:acme/app:ref:refs/heads/main', 'repo:acme/*:environment:prod']],
  ['StringLike', 'token.actions.githubusercontent.com:sub', ['repo:*']],
  ['StringEquals', 'token.actions.githubusercontent.com:sub', ['repo:acme/app:ref:refs/heads/main']],
  ['StringEquals', 'token.actions.githubusercontent.com:aud', ['sts.amazonaws.com']],
  ['ArnLike', 'aws:PrincipalArn', [`arn:aws:iam::${ROLE_ACCOUNT}:user/*`]],
  ['ArnEquals', 'aws:PrincipalArn', [`arn:aws:iam::${ROLE_ACCOUNT}:role/ci`]],
  ['ArnNotLike', 'aws:PrincipalArn', [`arn:aws:iam::${OTHER_ACCOUNT}:*`]],
  ['StringLike', 'sts:SourceIdentity', ['a*']],
  ['Null', 'sts:SourceIdentity', ['false']],
  ['StringEquals', 'aws:PrincipalAccount', [ROLE_ACCOUNT]],
  ['StringEquals', 'aws:PrincipalType', ['AssumedRole']],
];

/** Ways IAM refuses a trust policy (trust.ts parseTrustPolicy). */
const INVALID = ['not-principal-deny', 'resource', 'no-principal', 'canonical-user', 'effect-lowercase', 'principal-empty'] as const;

interface TrustStatementSpec {
  readonly effect: 'Allow' | 'Deny';
  readonly principal: { readonly star: true } | { readonly AWS?: readonly string[]; readonly Service?: readonly string[]; readonly Federated?: readonly string[] };
  readonly notAction: boolean;
  readonly actions: readonly string[];
  readonly conditions: readonly Clause[];
}

export interface TrustPolicySpec {
  readonly version: '2012-10-17' | '2008-10-17' | undefined;
  readonly statements: readonly TrustStatementSpec[];
  readonly invalid?: (typeof INVALID)[number];
}

const some = <T>(pool: readonly T[], max = 2) => fc.uniqueArray(fc.constantFrom(...pool), { minLength: 1, maxLength: max });

/** `hints`: principal strings naming the case's caller, so that a good share of statements name it. */
const principalArb = (hints: readonly string[]): fc.Arbitrary<TrustStatementSpec['principal']> => fc.oneof(
  w(1, { star: true } as const),
  { weight: 5, arbitrary: some(AWS_PRINCIPALS).map((AWS) => ({ AWS })) },
  ...(hints.length > 0 ? [{ weight: 3, arbitrary: fc.tuple(fc.constantFrom(...hints), fc.option(fc.constantFrom(...AWS_PRINCIPALS), { nil: undefined })).map(([h, x]) => ({ AWS: x === undefined || x === h ? [h] : [h, x] })) }] : []),
  { weight: 2, arbitrary: some(SERVICES).map((Service) => ({ Service })) },
  { weight: 2, arbitrary: some(PROVIDERS, 1).map((Federated) => ({ Federated })) },
  { weight: 1, arbitrary: fc.tuple(some(AWS_PRINCIPALS), some(SERVICES, 1)).map(([AWS, Service]) => ({ AWS, Service })) },
);

/** Without `awsStarDeny`, a Deny statement's AWS principals never include `*` (see TrustGenOptions). */
const withoutAwsStar = (p: TrustStatementSpec['principal']): TrustStatementSpec['principal'] => {
  if ('star' in p || !p.AWS?.includes('*')) return p;
  const AWS = p.AWS.filter((x) => x !== '*');
  if (AWS.length > 0) return { ...p, AWS };
  const { AWS: _dropped, ...others } = p;
  return Object.keys(others).length > 0 ? others : { Service: ['lambda.amazonaws.com'] };
};

const statementArb = (hints: readonly string[]): fc.Arbitrary<TrustStatementSpec> => fc.record({
  effect: fc.oneof(w(5, 'Allow' as const), w(1, 'Deny' as const)),
  principal: principalArb(hints),
  notAction: fc.oneof(w(9, false), w(1, true)),
  actions: some(ACTIONS),
  conditions: fc.oneof({ weight: 3, arbitrary: fc.constant([] as Clause[]) }, { weight: 1, arbitrary: fc.uniqueArray(fc.constantFrom(...CLAUSES), { minLength: 1, maxLength: 2, selector: (c) => `${c[0]} ${c[1]}` }) }),
});

/** What the generators leave out: findings pinned by their own failing tests (trust-differential.test.ts). */
export interface TrustGenOptions {
  /** Generate trust policies with NotPrincipal (which IAM refuses in a role trust policy). */
  readonly notPrincipal: boolean;
  /**
   * Generate Deny statements naming `{"AWS": "*"}`: whether that names a service or a web identity is ambiguous
   * (trust.ts TrustReadings.awsStar), and the project reads it one way for Allow and Deny alike.
   */
  readonly awsStarDeny: boolean;
  /** Generate trust policies with an empty Principal object (`{}`), which the grammar does not allow. */
  readonly emptyPrincipal: boolean;
  /** The most session policies a session caller has (two or more: the readings of the documentation differ). */
  readonly maxSessionPolicies: number;
}

export const trustPolicySpecArb = (o: TrustGenOptions, hints: readonly string[] = []): fc.Arbitrary<TrustPolicySpec> =>
  fc.record(
    {
      version: fc.oneof(w(8, '2012-10-17' as const), w(1, '2008-10-17' as const), w(1, undefined)),
      statements: fc.array(
        statementArb(hints).map((st) => (o.awsStarDeny || st.effect === 'Allow' ? st : { ...st, principal: withoutAwsStar(st.principal) })),
        { minLength: 1, maxLength: 3 },
      ),
      invalid: fc.oneof(
        { weight: 25, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.constantFrom(...INVALID.filter((k) => (o.notPrincipal || k !== 'not-principal-deny') && (o.emptyPrincipal || k !== 'principal-empty'))) },
      ),
    },
    { requiredKeys: ['version', 'statements'] },
  );

export function renderTrustPolicy(spec: TrustPolicySpec): Record<string, unknown> {
  const statements = spec.statements.map((s) => {
    const out: Record<string, unknown> = { Effect: s.effect };
    out.Principal = 'star' in s.principal ? '*' : Object.fromEntries(Object.entries(s.principal).map(([k, v]) => [k, v.length === 1 ? v[0] : [...v]]));
    out[s.notAction ? 'NotAction' : 'Action'] = s.actions.length === 1 ? s.actions[0] : [...s.actions];
    if (s.conditions.length > 0) {
      const condition: Record<string, Record<string, unknown>> = {};
      for (const [op, key, values] of s.conditions) (condition[op] ??= {})[key] = values.length === 1 ? values[0] : [...values];
      out.Condition = condition;
    }
    return out;
  });
  const first = statements[0];
  switch (spec.invalid) {
    case 'not-principal-deny':
      // reference_policies_elements_notprincipal.html's own example shape: Deny everyone but the named ones.
      statements.push({ Effect: 'Deny', NotPrincipal: { AWS: [`arn:aws:iam::${ROLE_ACCOUNT}:user/alice`, `arn:aws:iam::${ROLE_ACCOUNT}:root`] }, Action: 'sts:AssumeRole' });
      break;
    case 'resource':
      first.Resource = ROLE_ARN;
      break;
    case 'no-principal':
      delete first.Principal;
      break;
    case 'canonical-user':
      first.Principal = { CanonicalUser: '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be' };
      break;
    case 'effect-lowercase':
      first.Effect = String(first.Effect).toLowerCase();
      break;
    case 'principal-empty':
      first.Principal = {};
      break;
  }
  return { ...(spec.version ? { Version: spec.version } : {}), Statement: statements };
}

// ------------------------------------------------------------------------------------------------
// Callers
// ------------------------------------------------------------------------------------------------

/** Identity policies of callers, by what they say about assuming the role. */
const IDENTITY_POLICIES: Readonly<Record<string, PolicyDocument>> = {
  'allow-assume-role': doc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: ROLE_ARN }),
  'allow-sts-any': doc({ Effect: 'Allow', Action: 'sts:*', Resource: '*' }),
  'allow-assume-wildcard-role': doc({ Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:TagSession'], Resource: 'arn:aws:iam::*:role/deploy*' }),
  'allow-other-role': doc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: `arn:aws:iam::${ROLE_ACCOUNT}:role/other` }),
  'allow-invoke-only': doc({ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' }),
  'deny-assume-role': doc({ Effect: 'Deny', Action: 'sts:AssumeRole', Resource: ROLE_ARN }),
  'deny-tag-session': doc({ Effect: 'Deny', Action: 'sts:TagSession', Resource: '*' }),
  'allow-if-blue-tag': doc({ Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'], Resource: ROLE_ARN, Condition: { StringEquals: { 'aws:RequestTag/team': 'blue' } } }),
  'deny-without-external-id': doc({ Effect: 'Deny', Action: 'sts:AssumeRole', Resource: '*', Condition: { Null: { 'sts:ExternalId': 'true' } } }),
};
const BOUNDARIES: Readonly<Record<string, PolicyDocument>> = {
  'sts-all': doc({ Effect: 'Allow', Action: 'sts:*', Resource: '*' }),
  'invoke-only': doc({ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' }),
  'assume-only': doc({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: ROLE_ARN }),
};

export type CallerSpec =
  | {
      readonly kind: 'user' | 'session';
      readonly account: string;
      /** User name, or the session's role's name. */
      readonly name: string;
      readonly sessionName: string;
      readonly identity: readonly string[];
      readonly boundary?: string;
      readonly sessionPolicies: readonly string[];
      readonly team?: string;
      /** IAM path of the user or of the session's role (an assumed-role ARN has none; the role ARN has it). */
      readonly path: string;
    }
  | { readonly kind: 'service'; readonly service: string }
  | { readonly kind: 'federated'; readonly provider: string; readonly sub: string; readonly aud: string };

const awsCallerArb = (kind: 'user' | 'session', o: TrustGenOptions): fc.Arbitrary<CallerSpec> =>
  fc.record(
    {
      kind: fc.constant(kind),
      account: fc.oneof(w(3, ROLE_ACCOUNT), w(1, OTHER_ACCOUNT)),
      name: kind === 'user' ? fc.constantFrom('alice', 'bob') : fc.constantFrom('ci', 'deployer'),
      sessionName: fc.constantFrom('run1', 'alice'),
      identity: fc.uniqueArray(fc.constantFrom(...Object.keys(IDENTITY_POLICIES)), { minLength: 0, maxLength: 2 }),
      boundary: fc.option(fc.constantFrom(...Object.keys(BOUNDARIES)), { nil: undefined }),
      sessionPolicies:
        kind === 'session'
          ? fc.oneof(w(2, [] as string[]), { weight: 2, arbitrary: fc.uniqueArray(fc.constantFrom(...Object.keys(BOUNDARIES)), { minLength: 1, maxLength: o.maxSessionPolicies }) })
          : fc.constant([]),
      team: fc.option(fc.constantFrom('blue', 'red'), { nil: undefined }),
      path: fc.oneof(w(3, '/'), w(1, '/iam-http-api/')),
    },
    { requiredKeys: ['kind', 'account', 'name', 'sessionName', 'identity', 'sessionPolicies', 'path'] },
  );

export const callerSpecArb = (o: TrustGenOptions): fc.Arbitrary<CallerSpec> => fc.oneof(
  { weight: 5, arbitrary: awsCallerArb('user', o) },
  { weight: 3, arbitrary: awsCallerArb('session', o) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('service' as const), service: fc.constantFrom(...SERVICES) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('federated' as const),
      provider: fc.constantFrom(...PROVIDERS),
      sub: fc.constantFrom('repo:acme/app:ref:refs/heads/main', 'repo:acme/app:ref:refs/heads/dev', 'repo:acme/app:environment:prod', 'repo:evil/app:ref:refs/heads/main', 'repo:acme/app:pull_request'),
      aud: fc.constantFrom('sts.amazonaws.com', 'https://github.com/acme'),
    }),
  },
);

export interface AssumeSpec {
  readonly action: string;
  readonly params: ReferenceAssumeRoleParameters;
}

export const assumeSpecArb: fc.Arbitrary<AssumeSpec> = fc.record({
  action: fc.oneof(w(6, 'sts:AssumeRole'), w(2, 'sts:TagSession'), w(1, 'sts:SetSourceIdentity'), w(2, 'sts:AssumeRoleWithWebIdentity')),
  params: fc.record(
    {
      roleSessionName: fc.constantFrom('s1', 'alice', 'run1'),
      externalId: fc.option(fc.constantFrom('x-1', 'x-2'), { nil: undefined }),
      sourceIdentity: fc.option(fc.constantFrom('alice', 'bob'), { nil: undefined }),
      tags: fc.option(fc.subarray([['team', 'blue'], ['team', 'red'], ['Project', 'p1']] as const, { minLength: 1 }).map((t) => Object.fromEntries(t)), { nil: undefined }),
      transitiveTagKeys: fc.option(fc.constantFrom(['team'], ['team', 'Project']), { nil: undefined }),
    },
    { requiredKeys: ['roleSessionName'] },
  ),
});

/** One rendered caller: the reference's view (its Principal for AWS callers) and its base request context. */
export interface RenderedCaller {
  readonly spec: CallerSpec;
  readonly caller: ReferenceTrustCaller;
  /** The reference's role and session of a session caller (the test builds the project's from them). */
  readonly role?: ReferenceRole;
  readonly session?: ReferenceSession;
  /** The base context the reference builds from the documentation (trust.ts, session.ts). */
  readonly baseContext: RequestContext;
}

const FACTS: ReferenceFacts = { sourceIp: '203.0.113.7', now: new Date('2025-06-15T12:00:00Z'), region: 'us-east-1', secureTransport: true };

const named = (source: NamedPolicy['source'], names: readonly string[], pool: Readonly<Record<string, PolicyDocument>>): NamedPolicy[] =>
  names.map((name) => ({ name, source, document: pool[name] }));

/**
 * reference_policies_condition-keys.html for an IAM user with a long-term key: aws:username ("always included
 * in the request context for IAM users"), aws:userid ("For IAM users, the request context value is the user
 * ID"), aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType (User, reference_policies_variables.html
 * #principaltable), aws:PrincipalTag/* ("if the principal is using an IAM user with attached tags"); no
 * aws:TokenIssueTime and no aws:MultiFactorAuthPresent (long-term credentials).
 */
function userContext(u: IamUserPrincipal): Record<string, ContextValue> {
  const context: Record<string, ContextValue> = {
    'aws:SourceIp': FACTS.sourceIp,
    'aws:CurrentTime': '2025-06-15T12:00:00Z',
    'aws:EpochTime': String(FACTS.now.getTime() / 1000),
    'aws:RequestedRegion': FACTS.region,
    'aws:SecureTransport': 'true',
    'aws:PrincipalAccount': u.accountId,
    'aws:PrincipalArn': u.arn,
    'aws:PrincipalType': 'User',
    'aws:username': u.name,
    'aws:userid': u.userId,
  };
  for (const [k, v] of Object.entries(u.tags)) context[`aws:PrincipalTag/${k}`] = v;
  return context;
}

export function renderCaller(spec: CallerSpec): RenderedCaller {
  if (spec.kind === 'service') {
    return { spec, caller: { kind: 'Service', service: spec.service }, baseContext: { 'aws:SourceIp': FACTS.sourceIp, 'aws:CurrentTime': '2025-06-15T12:00:00Z' } };
  }
  if (spec.kind === 'federated') {
    // id_roles_providers_oidc / GitHub's OIDC: the token's claims as `<provider>:sub` and `<provider>:aud`.
    const host = spec.provider.replace(/^arn:aws:iam::\d{12}:oidc-provider\//, '');
    return {
      spec,
      caller: { kind: 'Federated', provider: spec.provider },
      baseContext: { 'aws:SourceIp': FACTS.sourceIp, 'aws:CurrentTime': '2025-06-15T12:00:00Z', [`${host}:sub`]: spec.sub, [`${host}:aud`]: spec.aud },
    };
  }
  const tags: Record<string, string> = spec.team ? { team: spec.team } : {};
  if (spec.kind === 'user') {
    const user: IamUserPrincipal = {
      type: 'User',
      accountId: spec.account,
      tags,
      identityPolicies: named('user inline', spec.identity, IDENTITY_POLICIES),
      ...(spec.boundary ? { permissionsBoundary: { name: spec.boundary, source: 'permissions boundary', document: BOUNDARIES[spec.boundary] } } : {}),
      name: spec.name,
      path: spec.path,
      arn: `arn:aws:iam::${spec.account}:user${spec.path}${spec.name}`,
      userId: spec.name === 'alice' ? 'AIDAALICE0000000001' : 'AIDABOB000000000001',
      groups: [],
    };
    return { spec, caller: { kind: 'AWS', principal: user }, baseContext: userContext(user) };
  }
  const role: ReferenceRole = {
    accountId: spec.account,
    name: spec.name,
    path: spec.path,
    roleId: spec.name === 'ci' ? 'AROACIROLE000000001' : 'AROADEPLOYER0000001',
    tags,
    identityPolicies: named('role inline', spec.identity, IDENTITY_POLICIES),
    ...(spec.boundary ? { permissionsBoundary: { name: spec.boundary, source: 'permissions boundary', document: BOUNDARIES[spec.boundary] } } : {}),
  };
  const session: ReferenceSession = { sessionName: spec.sessionName, issuedAt: new Date('2025-06-15T11:00:00Z'), sessionPolicies: named('session policy', spec.sessionPolicies, BOUNDARIES), tags: {} };
  return { spec, caller: { kind: 'AWS', principal: referenceSessionPrincipal(role, session) }, role, session, baseContext: referenceSessionContext(role, session, FACTS) };
}

export const TRUST_FACTS = FACTS;

/** Principal strings that name an AWS caller: its ARN, its role's ARN (a session), its account in both forms. */
export function callerHints(spec: CallerSpec): string[] {
  // With a path, the ARN without it too: it names no one (an ARN is compared whole).
  const paths = spec.kind === 'service' || spec.kind === 'federated' ? [] : [...new Set([spec.path, '/'])];
  if (spec.kind === 'user') return [...paths.map((p) => `arn:aws:iam::${spec.account}:user${p}${spec.name}`), `arn:aws:iam::${spec.account}:root`, spec.account];
  if (spec.kind === 'session') return [`arn:aws:sts::${spec.account}:assumed-role/${spec.name}/${spec.sessionName}`, ...paths.map((p) => `arn:aws:iam::${spec.account}:role${p}${spec.name}`), `arn:aws:iam::${spec.account}:root`, spec.account];
  return [];
}
