/**
 * The findings of the issue that replaced @cloud-copilot/iam-simulate with src/iam/, each as an
 * allowed and a denied case against `decide()`, plus the agreements with IAM that must stay.
 * Contexts are built by `requestContext()` exactly as the gateway builds them (execute-api is
 * HTTPS-only, so aws:SecureTransport is true).
 */
import { compilePrincipal, decide, type Decision, type Verdict } from '../../src/iam/decide';
import type { IamUserPrincipal, NamedPolicy, PolicyDocument, Principal, RoleSessionPrincipal } from '../../src/iam/principal';
import { requestContext, type RequestFacts } from '../../src/iam/request-context';

const ACCOUNT = '123456789012';
const E = `arn:aws:execute-api:us-east-1:${ACCOUNT}:abc123`;
const INVOKE = 'execute-api:Invoke';

type Statement = Record<string, unknown>;

const doc = (...Statement: Statement[]): PolicyDocument => ({ Version: '2012-10-17', Statement });
const inline = (name: string, ...statements: Statement[]): NamedPolicy => ({ name, source: 'user inline', document: doc(...statements) });
const allow = (Resource: string | string[], extra: Statement = {}): Statement => ({ Effect: 'Allow', Action: INVOKE, Resource, ...extra });
const deny = (Resource: string | string[], extra: Statement = {}): Statement => ({ Effect: 'Deny', Action: INVOKE, Resource, ...extra });
/** The user's own policy allowing everything on the API. */
const ALLOW_ALL = inline('invoke-all', allow(`${E}/*`));

const user = (identityPolicies: NamedPolicy[], more: Partial<IamUserPrincipal> = {}): IamUserPrincipal => {
  const name = more.name ?? 'alice';
  const path = more.path ?? '/';
  return {
    type: 'User',
    name,
    path,
    arn: `arn:aws:iam::${ACCOUNT}:user${path}${name}`,
    userId: 'AIDAEXAMPLEALICE00',
    accountId: ACCOUNT,
    tags: {},
    groups: [],
    identityPolicies,
    ...more,
  };
};

const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/deployer`;
const SESSION_ARN = `arn:aws:sts::${ACCOUNT}:assumed-role/deployer/ci`;
const session = (roleStatements: Statement[], sessionPolicies: NamedPolicy[]): RoleSessionPrincipal => ({
  type: 'AssumedRole',
  roleName: 'deployer',
  rolePath: '/',
  roleArn: ROLE_ARN,
  roleId: 'AROAEXAMPLEDEPLOYER',
  sessionName: 'ci',
  arn: SESSION_ARN,
  userId: 'AROAEXAMPLEDEPLOYER:ci',
  accountId: ACCOUNT,
  tags: {},
  identityPolicies: [{ name: 'invoke', source: 'role inline', document: doc(...roleStatements) }],
  sessionPolicies,
  tokenIssueTime: new Date('2025-06-01T11:00:00Z'),
});

const FACTS: RequestFacts = {
  sourceIp: '127.0.0.1',
  now: new Date('2025-06-01T12:00:00Z'),
  userAgent: 'aws4fetch/1.0.20',
  region: 'us-east-1',
  secureTransport: true,
};

/** `GET /items` → the ARN the gateway builds: `<E>/$default/GET/items`. */
const arnOf = (request: string): string => {
  const space = request.indexOf(' ');
  return `${E}/$default/${request.slice(0, space)}/${request.slice(space + 2)}`;
};

interface Case {
  readonly desc: string;
  readonly principal: Principal;
  /** `METHOD /path` on API E, stage $default. */
  readonly request: string;
  readonly facts?: Partial<RequestFacts>;
  readonly verdict: Verdict;
  readonly explanation?: string;
}

const run = (principal: Principal, request: string, facts: Partial<RequestFacts> = {}): Decision =>
  decide(principal, { action: INVOKE, resource: arnOf(request), context: requestContext(principal, { ...FACTS, ...facts }) });

const check = ({ principal, request, facts, verdict, explanation }: Case): void => {
  const decision = run(principal, request, facts);
  expect(decision.verdict).toBe(verdict);
  if (explanation !== undefined) expect(decision.explanation).toBe(explanation);
};

/** Every table must hold at least one allowed and one denied case. */
const table = (cases: Case[]): Case[] => {
  if (!cases.some((c) => c.verdict === 'Allowed') || !cases.some((c) => c.verdict !== 'Allowed')) {
    throw new Error('a table needs an allowed and a denied case');
  }
  return cases;
};

const noStatementAllows = (request: string): string => `implicit deny: no statement allows ${INVOKE} on ${arnOf(request)}`;
const explicitDeny = (statement: string, request: string): string => `explicit deny: ${statement} denies ${INVOKE} on ${arnOf(request)}`;

// =============================================================================================
// Findings
// =============================================================================================

describe('finding 1: policies of the groups a user belongs to', () => {
  const noDelete: NamedPolicy = { name: 'no-delete', source: 'group inline', group: 'admins', document: doc(deny(`${E}/$default/DELETE/*`)) };
  const member = user([ALLOW_ALL, noDelete], { groups: ['admins'] });
  const readers = user([{ name: 'read', source: 'group inline', group: 'readers', document: doc(allow(`${E}/$default/GET/*`)) }], { groups: ['readers'] });
  it.each(table([
    {
      desc: "a group's inline Deny stops a member's DELETE that its own policy allows",
      principal: member, request: 'DELETE /items/1', verdict: 'ExplicitlyDenied',
      explanation: explicitDeny('statement 0 of inline policy no-delete of group admins', 'DELETE /items/1'),
    },
    { desc: 'the member may still GET', principal: member, request: 'GET /items/1', verdict: 'Allowed', explanation: 'allowed by statement 0 of inline policy invoke-all' },
    { desc: "a group's inline Allow grants its member", principal: readers, request: 'GET /items', verdict: 'Allowed', explanation: 'allowed by statement 0 of inline policy read of group readers' },
    {
      desc: "a group's inline Allow grants nothing beyond it",
      principal: readers, request: 'POST /items', verdict: 'ImplicitlyDenied',
      explanation: `${noStatementAllows('POST /items')}; nearest: statement 0 of inline policy read of group readers allows $default/GET/* only`,
    },
  ]))('$desc', check);
});

describe('finding 2: permissions boundary', () => {
  const boundary: NamedPolicy = { name: 'get-only', source: 'permissions boundary', document: doc(allow(`${E}/$default/GET/*`)) };
  const bounded = user([ALLOW_ALL], { permissionsBoundary: boundary });
  it.each(table([
    {
      desc: 'a boundary allowing only GET implicitly denies DELETE, naming the boundary',
      principal: bounded, request: 'DELETE /items/1', verdict: 'ImplicitlyDenied',
      explanation: 'implicit deny: the permissions boundary get-only does not allow it; nearest: statement 0 of permissions boundary get-only allows $default/GET/* only',
    },
    { desc: 'GET, allowed by both, is allowed', principal: bounded, request: 'GET /items/1', verdict: 'Allowed', explanation: 'allowed by statement 0 of inline policy invoke-all' },
    {
      desc: 'the boundary alone grants nothing',
      principal: user([], { permissionsBoundary: boundary }), request: 'GET /items/1', verdict: 'ImplicitlyDenied',
      explanation: `${noStatementAllows('GET /items/1')}; it has no policy that could`,
    },
    {
      desc: 'a Deny in the boundary denies',
      principal: user([ALLOW_ALL], { permissionsBoundary: { ...boundary, document: doc(allow('*'), deny(`${E}/$default/GET/secret`)) } }),
      request: 'GET /secret', verdict: 'ExplicitlyDenied',
      explanation: explicitDeny('statement 1 of permissions boundary get-only', 'GET /secret'),
    },
  ]))('$desc', check);
});

describe('finding 3: managed policies apply like inline ones', () => {
  const readOnly = (source: 'user managed' | 'group managed', group?: string): NamedPolicy => ({ name: 'ApiReadOnly', source, ...(group ? { group } : {}), document: doc(allow(`${E}/$default/GET/*`)) });
  const denyDelete: NamedPolicy = { name: 'DenyDelete', source: 'group managed', group: 'admins', document: doc(deny(`${E}/$default/DELETE/*`)) };
  it.each(table([
    { desc: 'a user managed Allow allows', principal: user([readOnly('user managed')]), request: 'GET /items', verdict: 'Allowed', explanation: 'allowed by statement 0 of managed policy ApiReadOnly' },
    {
      desc: 'a user managed Allow grants nothing beyond it',
      principal: user([readOnly('user managed')]), request: 'DELETE /items', verdict: 'ImplicitlyDenied',
      explanation: `${noStatementAllows('DELETE /items')}; nearest: statement 0 of managed policy ApiReadOnly allows $default/GET/* only`,
    },
    {
      desc: 'a group managed Allow allows', principal: user([readOnly('group managed', 'readers')], { groups: ['readers'] }), request: 'GET /items',
      verdict: 'Allowed', explanation: 'allowed by statement 0 of managed policy ApiReadOnly of group readers',
    },
    {
      desc: 'a group managed Deny denies', principal: user([ALLOW_ALL, denyDelete], { groups: ['admins'] }), request: 'DELETE /items',
      verdict: 'ExplicitlyDenied', explanation: explicitDeny('statement 0 of managed policy DenyDelete of group admins', 'DELETE /items'),
    },
    { desc: 'a group managed Deny leaves GET allowed', principal: user([ALLOW_ALL, denyDelete], { groups: ['admins'] }), request: 'GET /items', verdict: 'Allowed' },
  ]))('$desc', check);
});

describe('finding 5: principal tags', () => {
  const noDev = (key: string): NamedPolicy => inline('no-dev', deny(`${E}/*`, { Condition: { StringEquals: { [key]: 'dev' } } }));
  const tagged = (Environment: string | undefined, key = 'aws:PrincipalTag/Environment'): IamUserPrincipal =>
    user([ALLOW_ALL, noDev(key)], { tags: Environment === undefined ? {} : { Environment } });
  it.each(table([
    { desc: 'a Deny on Environment=dev applies to a user tagged dev', principal: tagged('dev'), request: 'GET /x', verdict: 'ExplicitlyDenied', explanation: explicitDeny('statement 0 of inline policy no-dev', 'GET /x') },
    { desc: '... with the key in lower case', principal: tagged('dev', 'aws:principaltag/environment'), request: 'GET /x', verdict: 'ExplicitlyDenied' },
    { desc: '... with the key in upper case', principal: tagged('dev', 'AWS:PRINCIPALTAG/ENVIRONMENT'), request: 'GET /x', verdict: 'ExplicitlyDenied' },
    { desc: 'it does not apply to a user tagged prod', principal: tagged('prod'), request: 'GET /x', verdict: 'Allowed', explanation: 'allowed by statement 0 of inline policy invoke-all' },
    { desc: '... nor with the key in other letter cases', principal: tagged('prod', 'Aws:PrincipalTag/environment'), request: 'GET /x', verdict: 'Allowed' },
    { desc: '... nor to an untagged user', principal: tagged(undefined), request: 'GET /x', verdict: 'Allowed' },
    {
      desc: 'an Allow on a tag allows the tagged user',
      principal: user([inline('team-api', allow(`${E}/*`, { Condition: { StringEquals: { 'aws:PrincipalTag/team': 'api' } } }))], { tags: { team: 'api' } }),
      request: 'GET /x', verdict: 'Allowed',
    },
  ]))('$desc', check);
});

describe('finding 6: aws:userid', () => {
  const denyLike = (pattern: string): NamedPolicy => inline('no-users', deny(`${E}/*`, { Condition: { StringLike: { 'aws:userid': pattern } } }));
  const allowIf = (operator: string, value: string): NamedPolicy => inline('if-anonymous', allow(`${E}/*`, { Condition: { [operator]: { 'aws:userid': value } } }));
  it.each(table([
    { desc: 'a Deny on StringLike aws:userid AIDA* applies to a user', principal: user([ALLOW_ALL, denyLike('AIDA*')]), request: 'GET /x', verdict: 'ExplicitlyDenied', explanation: explicitDeny('statement 0 of inline policy no-users', 'GET /x') },
    { desc: 'a Deny on StringLike aws:userid AROA* does not', principal: user([ALLOW_ALL, denyLike('AROA*')]), request: 'GET /x', verdict: 'Allowed' },
    {
      desc: 'an Allow on Null aws:userid true does not allow (the key is present)',
      principal: user([allowIf('Null', 'true')]), request: 'GET /x', verdict: 'ImplicitlyDenied',
      explanation: `${noStatementAllows('GET /x')}; nearest: statement 0 of inline policy if-anonymous requires Null aws:userid "true", and aws:userid is "AIDAEXAMPLEALICE00"`,
    },
    { desc: 'an Allow on Null aws:userid false allows', principal: user([allowIf('Null', 'false')]), request: 'GET /x', verdict: 'Allowed' },
    { desc: "an Allow on StringEquals aws:userid = the user's id allows", principal: user([allowIf('StringEquals', 'AIDAEXAMPLEALICE00')]), request: 'GET /x', verdict: 'Allowed' },
  ]))('$desc', check);
});

describe('finding 7: ${aws:username} in Resource', () => {
  const ownFolder = inline('own-folder', allow(`${E}/$default/GET/users/\${aws:username}/*`));
  const nearest = '; nearest: statement 0 of inline policy own-folder allows $default/GET/users/${aws:username}/* only';
  it.each(table([
    { desc: "alice may GET her own folder", principal: user([ownFolder]), request: 'GET /users/alice/profile', verdict: 'Allowed', explanation: 'allowed by statement 0 of inline policy own-folder' },
    { desc: 'alice may GET deeper in it', principal: user([ownFolder]), request: 'GET /users/alice/a/b', verdict: 'Allowed' },
    { desc: 'bob may GET his own with the same policy', principal: user([ownFolder], { name: 'bob' }), request: 'GET /users/bob/profile', verdict: 'Allowed' },
    { desc: "alice may not GET bob's", principal: user([ownFolder]), request: 'GET /users/bob/profile', verdict: 'ImplicitlyDenied', explanation: `${noStatementAllows('GET /users/bob/profile')}${nearest}` },
    { desc: 'nor a segment that only starts with her name', principal: user([ownFolder]), request: 'GET /users/alicex/profile', verdict: 'ImplicitlyDenied' },
    { desc: 'nor the folder itself without the trailing slash', principal: user([ownFolder]), request: 'GET /users/alice', verdict: 'ImplicitlyDenied' },
    { desc: 'the name matches case-sensitively', principal: user([ownFolder], { name: 'Alice' }), request: 'GET /users/alice/profile', verdict: 'ImplicitlyDenied' },
  ]))('$desc', check);
});

describe('finding 8: a Resource with fewer segments and no trailing wildcard matches nothing', () => {
  const REGION_ONLY = 'arn:aws:execute-api:us-east-1';
  const ACCOUNT_ONLY = `arn:aws:execute-api:us-east-1:${ACCOUNT}`;
  it.each(table([
    {
      desc: `Allow ${REGION_ONLY} allows nothing`, principal: user([inline('short', allow(REGION_ONLY))]), request: 'GET /x', verdict: 'ImplicitlyDenied',
      explanation: `${noStatementAllows('GET /x')}; nearest: statement 0 of inline policy short allows ${REGION_ONLY} only`,
    },
    { desc: `Allow ${ACCOUNT_ONLY} allows nothing`, principal: user([inline('short', allow(ACCOUNT_ONLY))]), request: 'GET /x', verdict: 'ImplicitlyDenied' },
    { desc: `Deny ${REGION_ONLY} does not deny`, principal: user([ALLOW_ALL, inline('short', deny(REGION_ONLY))]), request: 'GET /x', verdict: 'Allowed' },
    { desc: `Deny ${ACCOUNT_ONLY} does not deny`, principal: user([ALLOW_ALL, inline('short', deny(ACCOUNT_ONLY))]), request: 'GET /x', verdict: 'Allowed' },
    {
      desc: `Deny NotResource ${REGION_ONLY} denies (the request is not in it)`,
      principal: user([ALLOW_ALL, inline('short', { Effect: 'Deny', Action: INVOKE, NotResource: REGION_ONLY })]), request: 'GET /x', verdict: 'ExplicitlyDenied',
      explanation: explicitDeny('statement 0 of inline policy short', 'GET /x'),
    },
    { desc: `Deny NotResource ${ACCOUNT_ONLY} denies`, principal: user([ALLOW_ALL, inline('short', { Effect: 'Deny', Action: INVOKE, NotResource: ACCOUNT_ONLY })]), request: 'GET /x', verdict: 'ExplicitlyDenied' },
    { desc: `Allow ${REGION_ONLY}:* allows (a trailing * crosses colons)`, principal: user([inline('short', allow(`${REGION_ONLY}:*`))]), request: 'GET /x', verdict: 'Allowed' },
    { desc: `Allow ${ACCOUNT_ONLY}:* allows`, principal: user([inline('short', allow(`${ACCOUNT_ONLY}:*`))]), request: 'GET /x', verdict: 'Allowed' },
    { desc: `Deny ${REGION_ONLY}:* denies`, principal: user([ALLOW_ALL, inline('short', deny(`${REGION_ONLY}:*`))]), request: 'GET /x', verdict: 'ExplicitlyDenied' },
  ]))('$desc', check);
});

describe('finding 9: partition, service, region, account and API id are case-sensitive', () => {
  const allowOn = (resource: string): IamUserPrincipal => user([inline('p', allow(resource))]);
  it.each(table([
    { desc: 'the exact ARN allows', principal: allowOn(`${E}/*`), request: 'GET /x', verdict: 'Allowed' },
    { desc: 'an upper-case region allows nothing', principal: allowOn(`arn:aws:execute-api:US-EAST-1:${ACCOUNT}:abc123/*`), request: 'GET /x', verdict: 'ImplicitlyDenied' },
    { desc: 'an upper-case partition allows nothing', principal: allowOn(`arn:AWS:execute-api:us-east-1:${ACCOUNT}:abc123/*`), request: 'GET /x', verdict: 'ImplicitlyDenied' },
    { desc: 'a mixed-case service allows nothing', principal: allowOn(`arn:aws:Execute-API:us-east-1:${ACCOUNT}:abc123/*`), request: 'GET /x', verdict: 'ImplicitlyDenied' },
    { desc: 'an upper-case API id allows nothing', principal: allowOn(`arn:aws:execute-api:us-east-1:${ACCOUNT}:ABC123/*`), request: 'GET /x', verdict: 'ImplicitlyDenied' },
    { desc: 'a Deny with an upper-case region does not deny', principal: user([ALLOW_ALL, inline('p', deny(`arn:aws:execute-api:US-EAST-1:${ACCOUNT}:abc123/*`))]), request: 'GET /x', verdict: 'Allowed' },
  ]))('$desc', check);
});

describe('finding 10: IpAddress with /0 blocks', () => {
  const denyFrom = (operator: string, cidr: string): IamUserPrincipal =>
    user([ALLOW_ALL, inline('from', deny(`${E}/*`, { Condition: { [operator]: { 'aws:SourceIp': cidr } } }))]);
  const allowFrom = (operator: string, cidr: string): IamUserPrincipal =>
    user([inline('from', allow(`${E}/*`, { Condition: { [operator]: { 'aws:SourceIp': cidr } } }))]);
  it.each(table([
    { desc: 'Deny IpAddress 0.0.0.0/0 denies 127.0.0.1', principal: denyFrom('IpAddress', '0.0.0.0/0'), request: 'GET /x', facts: { sourceIp: '127.0.0.1' }, verdict: 'ExplicitlyDenied', explanation: explicitDeny('statement 0 of inline policy from', 'GET /x') },
    { desc: 'Deny IpAddress 0.0.0.0/0 denies 203.0.113.9', principal: denyFrom('IpAddress', '0.0.0.0/0'), request: 'GET /x', facts: { sourceIp: '203.0.113.9' }, verdict: 'ExplicitlyDenied' },
    { desc: 'Deny IpAddress 0.0.0.0/0 does not deny an IPv6 caller', principal: denyFrom('IpAddress', '0.0.0.0/0'), request: 'GET /x', facts: { sourceIp: '::1' }, verdict: 'Allowed' },
    { desc: 'Allow IpAddress 0.0.0.0/0 allows 203.0.113.9', principal: allowFrom('IpAddress', '0.0.0.0/0'), request: 'GET /x', facts: { sourceIp: '203.0.113.9' }, verdict: 'Allowed' },
    {
      desc: 'Allow NotIpAddress 0.0.0.0/0 allows no IPv4 caller', principal: allowFrom('NotIpAddress', '0.0.0.0/0'), request: 'GET /x', facts: { sourceIp: '127.0.0.1' }, verdict: 'ImplicitlyDenied',
      explanation: `${noStatementAllows('GET /x')}; nearest: statement 0 of inline policy from requires NotIpAddress aws:SourceIp "0.0.0.0/0", and aws:SourceIp is "127.0.0.1"`,
    },
    { desc: '... nor 203.0.113.9', principal: allowFrom('NotIpAddress', '0.0.0.0/0'), request: 'GET /x', facts: { sourceIp: '203.0.113.9' }, verdict: 'ImplicitlyDenied' },
    { desc: 'Allow NotIpAddress 0.0.0.0/0 allows an IPv6 caller (not in an IPv4 block)', principal: allowFrom('NotIpAddress', '0.0.0.0/0'), request: 'GET /x', facts: { sourceIp: '::1' }, verdict: 'Allowed' },
    { desc: 'Allow IpAddress ::/0 allows ::1', principal: allowFrom('IpAddress', '::/0'), request: 'GET /x', facts: { sourceIp: '::1' }, verdict: 'Allowed' },
    { desc: 'Allow IpAddress ::/0 allows 2001:db8::9', principal: allowFrom('IpAddress', '::/0'), request: 'GET /x', facts: { sourceIp: '2001:db8::9' }, verdict: 'Allowed' },
    { desc: 'Allow IpAddress ::/0 does not allow an IPv4 caller', principal: allowFrom('IpAddress', '::/0'), request: 'GET /x', facts: { sourceIp: '127.0.0.1' }, verdict: 'ImplicitlyDenied' },
    { desc: 'Deny IpAddress ::/0 denies an IPv6 caller', principal: denyFrom('IpAddress', '::/0'), request: 'GET /x', facts: { sourceIp: '2001:db8::9' }, verdict: 'ExplicitlyDenied' },
    { desc: 'Allow NotIpAddress ::/0 allows no IPv6 caller', principal: allowFrom('NotIpAddress', '::/0'), request: 'GET /x', facts: { sourceIp: '::1' }, verdict: 'ImplicitlyDenied' },
  ]))('$desc', check);
});

// =============================================================================================
// Agreements with IAM that must stay
// =============================================================================================

describe('explicit Deny wins', () => {
  it.each(table([
    {
      desc: 'a Deny beats an Allow of the same request', principal: user([ALLOW_ALL, inline('no-delete', deny(`${E}/*/DELETE/*`))]), request: 'DELETE /items/1', verdict: 'ExplicitlyDenied',
      explanation: explicitDeny('statement 0 of inline policy no-delete', 'DELETE /items/1'),
    },
    { desc: '... whatever the order of the policies', principal: user([inline('no-delete', deny(`${E}/*/DELETE/*`)), ALLOW_ALL]), request: 'DELETE /items/1', verdict: 'ExplicitlyDenied' },
    { desc: '... and of the statements', principal: user([inline('mixed', allow('*'), { Sid: 'NoDelete', ...deny(`${E}/*/DELETE/*`) })]), request: 'DELETE /x', verdict: 'ExplicitlyDenied', explanation: explicitDeny('statement 1 (NoDelete) of inline policy mixed', 'DELETE /x') },
    { desc: 'a request the Deny does not cover is allowed', principal: user([ALLOW_ALL, inline('no-delete', deny(`${E}/*/DELETE/*`))]), request: 'GET /items/1', verdict: 'Allowed' },
  ]))('$desc', check);
});

describe('Action and NotAction: case-insensitive, with * and ?', () => {
  const withAction = (Action: string | string[]): IamUserPrincipal => user([inline('p', { Effect: 'Allow', Action, Resource: '*' })]);
  const withNotAction = (NotAction: string): IamUserPrincipal => user([inline('p', { Effect: 'Allow', NotAction, Resource: '*' })]);
  it.each(table([
    { desc: 'Action EXECUTE-API:INVOKE', principal: withAction('EXECUTE-API:INVOKE'), request: 'GET /x', verdict: 'Allowed' },
    { desc: 'Action execute-api:invoke', principal: withAction('execute-api:invoke'), request: 'GET /x', verdict: 'Allowed' },
    { desc: 'Action execute-api:*', principal: withAction('execute-api:*'), request: 'GET /x', verdict: 'Allowed' },
    { desc: 'Action *', principal: withAction('*'), request: 'GET /x', verdict: 'Allowed' },
    { desc: 'Action execute-api:In*e', principal: withAction('execute-api:In*e'), request: 'GET /x', verdict: 'Allowed' },
    { desc: 'Action execute-api:inv?ke', principal: withAction('execute-api:inv?ke'), request: 'GET /x', verdict: 'Allowed' },
    { desc: 'Action execute-api:Invoke? (one character too many)', principal: withAction('execute-api:Invoke?'), request: 'GET /x', verdict: 'ImplicitlyDenied' },
    {
      desc: 'Action of another service', principal: withAction(['s3:GetObject', 'execute-api:ManageConnections']), request: 'GET /x', verdict: 'ImplicitlyDenied',
      explanation: `${noStatementAllows('GET /x')}; nearest: statement 0 of inline policy p allows s3:GetObject, execute-api:ManageConnections only`,
    },
    { desc: 'NotAction s3:* allows', principal: withNotAction('s3:*'), request: 'GET /x', verdict: 'Allowed' },
    {
      desc: 'NotAction EXECUTE-API:inv?ke excludes it', principal: withNotAction('EXECUTE-API:inv?ke'), request: 'GET /x', verdict: 'ImplicitlyDenied',
      explanation: `${noStatementAllows('GET /x')}; nearest: statement 0 of inline policy p excludes EXECUTE-API:inv?ke only`,
    },
    { desc: 'a Deny with NotAction s3:* denies', principal: user([ALLOW_ALL, inline('d', { Effect: 'Deny', NotAction: 's3:*', Resource: '*' })]), request: 'GET /x', verdict: 'ExplicitlyDenied' },
    { desc: 'a Deny with NotAction execute-api:* does not', principal: user([ALLOW_ALL, inline('d', { Effect: 'Deny', NotAction: 'Execute-Api:*', Resource: '*' })]), request: 'GET /x', verdict: 'Allowed' },
  ]))('$desc', check);
});

describe('wildcards in the API id, stage, method and path', () => {
  const allowOn = (resource: string): IamUserPrincipal => user([inline('p', allow(resource))]);
  it.each(table([
    { desc: 'abc* in the API id', principal: allowOn(`arn:aws:execute-api:us-east-1:${ACCOUNT}:abc*/$default/GET/*`), request: 'GET /items', verdict: 'Allowed' },
    { desc: 'abc??? in the API id', principal: allowOn(`arn:aws:execute-api:us-east-1:${ACCOUNT}:abc???/$default/GET/*`), request: 'GET /items', verdict: 'Allowed' },
    { desc: '*:*:*/*/GET/*', principal: allowOn('arn:aws:execute-api:*:*:*/*/GET/*'), request: 'GET /items', verdict: 'Allowed' },
    { desc: 'another API id', principal: allowOn(`arn:aws:execute-api:us-east-1:${ACCOUNT}:xyz*/*`), request: 'GET /items', verdict: 'ImplicitlyDenied' },
    { desc: '* as the stage', principal: allowOn(`${E}/*/GET/items`), request: 'GET /items', verdict: 'Allowed' },
    { desc: 'another stage', principal: allowOn(`${E}/prod/GET/*`), request: 'GET /items', verdict: 'ImplicitlyDenied' },
    { desc: '* as the method', principal: allowOn(`${E}/$default/*/items`), request: 'DELETE /items', verdict: 'Allowed' },
    { desc: 'G?T as the method', principal: allowOn(`${E}/$default/G?T/items`), request: 'GET /items', verdict: 'Allowed' },
    { desc: 'G?T is not POST', principal: allowOn(`${E}/$default/G?T/items`), request: 'POST /items', verdict: 'ImplicitlyDenied' },
    { desc: '* across path segments', principal: allowOn(`${E}/$default/GET/items/*`), request: 'GET /items/1/details', verdict: 'Allowed' },
    { desc: '* under another prefix', principal: allowOn(`${E}/$default/GET/items/*`), request: 'GET /other/1', verdict: 'ImplicitlyDenied' },
    { desc: '? is one character', principal: allowOn(`${E}/$default/GET/item?`), request: 'GET /items', verdict: 'Allowed' },
    { desc: '? is not zero characters', principal: allowOn(`${E}/$default/GET/item?`), request: 'GET /item', verdict: 'ImplicitlyDenied' },
    { desc: '? is not two characters', principal: allowOn(`${E}/$default/GET/item?`), request: 'GET /itemss', verdict: 'ImplicitlyDenied' },
    { desc: 'the path is case-sensitive', principal: allowOn(`${E}/$default/GET/items`), request: 'GET /Items', verdict: 'ImplicitlyDenied' },
    { desc: 'a Deny on *:*:*/*/DELETE/* denies', principal: user([ALLOW_ALL, inline('d', deny('arn:aws:execute-api:*:*:*/*/DELETE/*'))]), request: 'DELETE /x', verdict: 'ExplicitlyDenied' },
  ]))('$desc', check);
});

describe('* and ? in a request path are read literally; * matches line terminators', () => {
  const allowOn = (path: string): IamUserPrincipal => user([inline('p', allow(`${E}/$default/GET/${path}`))]);
  it.each(table([
    { desc: 'a request for /* is not a wildcard', principal: allowOn('secret'), request: 'GET /*', verdict: 'ImplicitlyDenied' },
    { desc: 'a request for /secre? is not a wildcard', principal: allowOn('secret'), request: 'GET /secre?', verdict: 'ImplicitlyDenied' },
    { desc: 'a policy * matches a literal * in the path', principal: allowOn('*'), request: 'GET /a*b', verdict: 'Allowed' },
    { desc: '${*} in a policy is a literal *', principal: allowOn('a${*}'), request: 'GET /a*', verdict: 'Allowed' },
    { desc: '${*} is no wildcard', principal: allowOn('a${*}'), request: 'GET /ab', verdict: 'ImplicitlyDenied' },
    { desc: '${?} in a policy is a literal ?', principal: allowOn('a${?}'), request: 'GET /a?', verdict: 'Allowed' },
    { desc: '${?} is no wildcard', principal: allowOn('a${?}'), request: 'GET /ab', verdict: 'ImplicitlyDenied' },
    { desc: '* matches \\n', principal: allowOn('*'), request: 'GET /a\nb', verdict: 'Allowed' },
    { desc: '* matches \\r\\n', principal: allowOn('a*b'), request: 'GET /a\r\nb', verdict: 'Allowed' },
    { desc: '* matches U+2028', principal: allowOn('*'), request: 'GET /a\u2028b', verdict: 'Allowed' },
    { desc: '? matches \\n', principal: allowOn('a?b'), request: 'GET /a\nb', verdict: 'Allowed' },
    { desc: 'a Deny with * covers a path with a line break', principal: user([ALLOW_ALL, inline('d', deny(`${E}/$default/GET/a*`))]), request: 'GET /a\nsecret', verdict: 'ExplicitlyDenied' },
  ]))('$desc', check);
});

describe('policy variables: only under Version 2012-10-17; defaults', () => {
  const versioned = (Version: string | undefined, resource: string): IamUserPrincipal =>
    user([{ name: 'p', source: 'user inline', document: { ...(Version ? { Version } : {}), Statement: [allow(resource)] } }]);
  const byTeam = (resource: string, tags: Record<string, string>): IamUserPrincipal => user([inline('p', allow(resource))], { tags });
  it.each(table([
    { desc: '2012-10-17 substitutes ${aws:username}', principal: versioned('2012-10-17', `${E}/$default/GET/users/\${aws:username}`), request: 'GET /users/alice', verdict: 'Allowed' },
    { desc: '2008-10-17 does not', principal: versioned('2008-10-17', `${E}/$default/GET/users/\${aws:username}`), request: 'GET /users/alice', verdict: 'ImplicitlyDenied' },
    { desc: '2008-10-17 reads it literally', principal: versioned('2008-10-17', `${E}/$default/GET/users/\${aws:username}`), request: 'GET /users/${aws:username}', verdict: 'Allowed' },
    { desc: 'no Version does not', principal: versioned(undefined, `${E}/$default/GET/users/\${aws:username}`), request: 'GET /users/alice', verdict: 'ImplicitlyDenied' },
    { desc: 'no Version reads it literally', principal: versioned(undefined, `${E}/$default/GET/users/\${aws:username}`), request: 'GET /users/${aws:username}', verdict: 'Allowed' },
    { desc: "${aws:PrincipalTag/team, 'default'} with the tag", principal: byTeam(`${E}/$default/GET/\${aws:PrincipalTag/team, 'default'}/*`, { team: 'api' }), request: 'GET /api/x', verdict: 'Allowed' },
    { desc: '... the tag, not the default', principal: byTeam(`${E}/$default/GET/\${aws:PrincipalTag/team, 'default'}/*`, { team: 'api' }), request: 'GET /default/x', verdict: 'ImplicitlyDenied' },
    { desc: '... the default without the tag', principal: byTeam(`${E}/$default/GET/\${aws:PrincipalTag/team, 'default'}/*`, {}), request: 'GET /default/x', verdict: 'Allowed' },
    { desc: '... nothing else without the tag', principal: byTeam(`${E}/$default/GET/\${aws:PrincipalTag/team, 'default'}/*`, {}), request: 'GET /api/x', verdict: 'ImplicitlyDenied' },
    { desc: 'a variable without default and without the tag matches nothing', principal: byTeam(`${E}/$default/GET/\${aws:PrincipalTag/team}/*`, {}), request: 'GET /api/x', verdict: 'ImplicitlyDenied' },
    {
      desc: 'a variable in a condition value',
      principal: user([inline('p', allow(`${E}/*`, { Condition: { StringEquals: { 'aws:PrincipalTag/owner': '${aws:username}' } } }))], { tags: { owner: 'alice' } }),
      request: 'GET /x', verdict: 'Allowed',
    },
  ]))('$desc', check);
});

describe('condition operators on missing keys: IfExists, negated operators, set qualifiers', () => {
  const allowIf = (condition: Record<string, Record<string, string | string[]>>, tags: Record<string, string> = {}): IamUserPrincipal =>
    user([inline('p', allow(`${E}/*`, { Condition: condition }))], { tags });
  const denyIf = (condition: Record<string, Record<string, string | string[]>>): IamUserPrincipal =>
    user([ALLOW_ALL, inline('d', deny(`${E}/*`, { Condition: condition }))]);
  it.each(table([
    {
      desc: 'StringEquals on a missing key is false', principal: allowIf({ StringEquals: { 'aws:PrincipalTag/team': 'web' } }), request: 'GET /x', verdict: 'ImplicitlyDenied',
      explanation: `${noStatementAllows('GET /x')}; nearest: statement 0 of inline policy p requires StringEquals aws:PrincipalTag/team "web", and aws:PrincipalTag/team is absent`,
    },
    { desc: 'StringNotEquals on a missing key is true', principal: allowIf({ StringNotEquals: { 'aws:PrincipalTag/team': 'web' } }), request: 'GET /x', verdict: 'Allowed' },
    { desc: 'StringNotLike on a missing key is true (a Deny applies)', principal: denyIf({ StringNotLike: { 'aws:PrincipalTag/team': 'api*' } }), request: 'GET /x', verdict: 'ExplicitlyDenied' },
    { desc: 'ArnNotLike on a missing key is true', principal: allowIf({ ArnNotLike: { 'aws:SourceArn': 'arn:aws:s3:::*' } }), request: 'GET /x', verdict: 'Allowed' },
    { desc: 'StringEqualsIfExists on a missing key is true', principal: allowIf({ StringEqualsIfExists: { 'aws:PrincipalTag/team': 'api' } }), request: 'GET /x', verdict: 'Allowed' },
    { desc: 'StringEqualsIfExists on a present key compares', principal: allowIf({ StringEqualsIfExists: { 'aws:PrincipalTag/team': 'api' } }, { team: 'web' }), request: 'GET /x', verdict: 'ImplicitlyDenied' },
    { desc: 'StringEqualsIfExists on a present, equal key', principal: allowIf({ StringEqualsIfExists: { 'aws:PrincipalTag/team': 'api' } }, { team: 'api' }), request: 'GET /x', verdict: 'Allowed' },
    { desc: 'ForAnyValue on a missing key is false', principal: allowIf({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['team'] } }), request: 'GET /x', verdict: 'ImplicitlyDenied' },
    { desc: 'ForAllValues on a missing key is true', principal: allowIf({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['team'] } }), request: 'GET /x', verdict: 'Allowed' },
    { desc: 'a Deny with ForAllValues on a missing key applies', principal: denyIf({ 'ForAllValues:StringNotEquals': { 'aws:TagKeys': ['team'] } }), request: 'GET /x', verdict: 'ExplicitlyDenied' },
    { desc: 'ForAnyValue on a present key matches any policy value', principal: allowIf({ 'ForAnyValue:StringEquals': { 'aws:PrincipalTag/team': ['api', 'web'] } }, { team: 'web' }), request: 'GET /x', verdict: 'Allowed' },
    { desc: 'several policy values are ORed', principal: allowIf({ StringEquals: { 'aws:username': ['bob', 'alice'] } }), request: 'GET /x', verdict: 'Allowed' },
    { desc: 'several keys are ANDed', principal: allowIf({ StringEquals: { 'aws:username': 'alice', 'aws:PrincipalType': 'AssumedRole' } }), request: 'GET /x', verdict: 'ImplicitlyDenied' },
  ]))('$desc', check);
});

describe('Date and Numeric conditions on aws:CurrentTime and aws:EpochTime', () => {
  const JULY = '2025-07-01T00:00:00Z';
  const JULY_EPOCH = String(Date.parse(JULY) / 1000);
  const allowIf = (operator: string, key: string, value: string): IamUserPrincipal => user([inline('p', allow(`${E}/*`, { Condition: { [operator]: { [key]: value } } }))]);
  it.each(table([
    { desc: 'DateLessThan aws:CurrentTime (ISO) before', principal: allowIf('DateLessThan', 'aws:CurrentTime', JULY), request: 'GET /x', facts: { now: new Date('2025-06-30T23:59:59Z') }, verdict: 'Allowed' },
    {
      desc: 'DateLessThan aws:CurrentTime (ISO) at the deadline', principal: allowIf('DateLessThan', 'aws:CurrentTime', JULY), request: 'GET /x', facts: { now: new Date(JULY) }, verdict: 'ImplicitlyDenied',
      explanation: `${noStatementAllows('GET /x')}; nearest: statement 0 of inline policy p requires DateLessThan aws:CurrentTime "${JULY}", and aws:CurrentTime is "${JULY}"`,
    },
    { desc: 'DateLessThan aws:CurrentTime with an epoch value', principal: allowIf('DateLessThan', 'aws:CurrentTime', JULY_EPOCH), request: 'GET /x', verdict: 'Allowed' },
    { desc: 'DateLessThan aws:CurrentTime with an epoch value, after it', principal: allowIf('DateLessThan', 'aws:CurrentTime', JULY_EPOCH), request: 'GET /x', facts: { now: new Date('2025-08-01T00:00:00Z') }, verdict: 'ImplicitlyDenied' },
    { desc: 'DateGreaterThan aws:EpochTime with an ISO value', principal: allowIf('DateGreaterThan', 'aws:EpochTime', '2020-01-01T00:00:00Z'), request: 'GET /x', verdict: 'Allowed' },
    { desc: 'DateGreaterThan aws:EpochTime with an ISO value in the future', principal: allowIf('DateGreaterThan', 'aws:EpochTime', '2030-01-01T00:00:00Z'), request: 'GET /x', verdict: 'ImplicitlyDenied' },
    { desc: 'NumericLessThan aws:EpochTime before', principal: allowIf('NumericLessThan', 'aws:EpochTime', JULY_EPOCH), request: 'GET /x', verdict: 'Allowed' },
    { desc: 'NumericLessThan aws:EpochTime after', principal: allowIf('NumericLessThan', 'aws:EpochTime', JULY_EPOCH), request: 'GET /x', facts: { now: new Date('2025-07-01T00:00:01Z') }, verdict: 'ImplicitlyDenied' },
    { desc: 'DateEquals aws:CurrentTime at second precision', principal: allowIf('DateEquals', 'aws:CurrentTime', '2025-06-01T12:00:00Z'), request: 'GET /x', facts: { now: new Date('2025-06-01T12:00:00.700Z') }, verdict: 'Allowed' },
  ]))('$desc', check);
});

describe('aws:SecureTransport is true; aws:MultiFactorAuthPresent is absent for an access key', () => {
  const allowIf = (operator: string, key: string, value: string): IamUserPrincipal => user([inline('p', allow(`${E}/*`, { Condition: { [operator]: { [key]: value } } }))]);
  const denyIf = (operator: string, key: string, value: string): IamUserPrincipal => user([ALLOW_ALL, inline('d', deny(`${E}/*`, { Condition: { [operator]: { [key]: value } } }))]);
  it.each(table([
    { desc: 'Allow Bool aws:SecureTransport true allows', principal: allowIf('Bool', 'aws:SecureTransport', 'true'), request: 'GET /x', verdict: 'Allowed' },
    { desc: 'Allow Bool aws:SecureTransport false does not', principal: allowIf('Bool', 'aws:SecureTransport', 'false'), request: 'GET /x', verdict: 'ImplicitlyDenied' },
    { desc: 'the usual Deny on aws:SecureTransport false does not deny', principal: denyIf('Bool', 'aws:SecureTransport', 'false'), request: 'GET /x', verdict: 'Allowed' },
    {
      desc: 'Allow Bool aws:MultiFactorAuthPresent true does not allow', principal: allowIf('Bool', 'aws:MultiFactorAuthPresent', 'true'), request: 'GET /x', verdict: 'ImplicitlyDenied',
      explanation: `${noStatementAllows('GET /x')}; nearest: statement 0 of inline policy p requires Bool aws:MultiFactorAuthPresent "true", and aws:MultiFactorAuthPresent is absent`,
    },
    { desc: 'Allow Null aws:MultiFactorAuthPresent true allows (the key is absent)', principal: allowIf('Null', 'aws:MultiFactorAuthPresent', 'true'), request: 'GET /x', verdict: 'Allowed' },
    // AWS, aws:MultiFactorAuthPresent ("AWS global condition context keys"; also the re:Post
    // article "mfa-iam-user-aws-cli"): with Bool, a missing key does not match, so the Deny does
    // not apply to requests signed with long-term access keys...
    { desc: 'a Deny on Bool aws:MultiFactorAuthPresent false does not deny', principal: denyIf('Bool', 'aws:MultiFactorAuthPresent', 'false'), request: 'GET /x', verdict: 'Allowed' },
    // ...while BoolIfExists evaluates a missing key as true, so that Deny does apply ("It also
    // denies requests made using long-term credentials").
    { desc: 'a Deny on BoolIfExists aws:MultiFactorAuthPresent false denies', principal: denyIf('BoolIfExists', 'aws:MultiFactorAuthPresent', 'false'), request: 'GET /x', verdict: 'ExplicitlyDenied' },
  ]))('$desc', check);
});

describe('an assumed-role session', () => {
  const getOnly: NamedPolicy = { name: 'get-only', source: 'session policy', document: doc(allow(`${E}/$default/GET/*`)) };
  const anything: NamedPolicy = { name: 'anything', source: 'session policy', document: doc(allow('*')) };
  it.each(table([
    { desc: 'a session policy narrows the role: GET allowed', principal: session([allow(`${E}/*`)], [getOnly]), request: 'GET /items', verdict: 'Allowed', explanation: 'allowed by statement 0 of inline policy invoke of the role' },
    {
      desc: 'a session policy narrows the role: DELETE denied', principal: session([allow(`${E}/*`)], [getOnly]), request: 'DELETE /items', verdict: 'ImplicitlyDenied',
      explanation: 'implicit deny: no session policy allows it; nearest: statement 0 of session policy get-only allows $default/GET/* only',
    },
    {
      desc: 'a session policy does not widen the role', principal: session([allow(`${E}/$default/GET/*`)], [anything]), request: 'DELETE /items', verdict: 'ImplicitlyDenied',
      explanation: `${noStatementAllows('DELETE /items')}; nearest: statement 0 of inline policy invoke of the role allows $default/GET/* only`,
    },
    { desc: 'without session policies the role decides', principal: session([allow(`${E}/*`)], []), request: 'DELETE /items', verdict: 'Allowed' },
    { desc: 'aws:PrincipalArn is the role ARN', principal: session([allow(`${E}/*`, { Condition: { ArnEquals: { 'aws:PrincipalArn': ROLE_ARN } } })], []), request: 'GET /x', verdict: 'Allowed' },
    { desc: 'aws:PrincipalArn is not the session ARN', principal: session([allow(`${E}/*`, { Condition: { StringEquals: { 'aws:PrincipalArn': SESSION_ARN } } })], []), request: 'GET /x', verdict: 'ImplicitlyDenied' },
    { desc: 'aws:userid is <role id>:<session>', principal: session([allow(`${E}/*`, { Condition: { StringLike: { 'aws:userid': 'AROA*:ci' } } })], []), request: 'GET /x', verdict: 'Allowed' },
    { desc: 'a session has no aws:username', principal: session([allow(`${E}/$default/GET/users/\${aws:username}/*`)], []), request: 'GET /users/ci/x', verdict: 'ImplicitlyDenied' },
  ]))('$desc', check);
});

// =============================================================================================
// Validation: a policy IAM would reject grants nothing
// =============================================================================================

describe('a policy IAM would reject grants nothing and is listed as invalid', () => {
  const allowAll = { Effect: 'Allow', Action: INVOKE, Resource: '*' };
  it.each<[string, PolicyDocument, string[]]>([
    ['a Principal element', doc({ ...allowAll, Principal: { AWS: '*' } }), ['statement 0: an identity policy must not specify a Principal (IAM: "Policy document should not specify a principal.")']],
    ['both Action and NotAction', doc({ ...allowAll, NotAction: 's3:*' }), ['statement 0: it has both Action and NotAction; IAM allows one']],
    ['no Resource', doc({ Sid: 'NoResource', Effect: 'Allow', Action: INVOKE }), ['statement 0 (NoResource): it has neither Resource nor NotResource']],
    ['an unknown condition operator', doc({ ...allowAll, Condition: { StringEqualz: { 'aws:username': 'alice' } } }), ['statement 0: unknown condition operator "StringEqualz"']],
    ['Version 2013-01-01', { Version: '2013-01-01', Statement: [allowAll] }, ['Version is "2013-01-01"; IAM accepts "2012-10-17" or "2008-10-17"']],
  ])('%s', (_desc, document, errors) => {
    const bad: NamedPolicy = { name: 'bad', source: 'user inline', document };
    const principal = user([bad]);
    expect(compilePrincipal(principal).invalid.map((p) => [p.policy.name, p.errors])).toEqual([['bad', errors]]);
    const decision = run(principal, 'GET /x');
    expect(decision).toEqual({
      verdict: 'ImplicitlyDenied',
      explanation: `${noStatementAllows('GET /x')}; inline policy bad is invalid and grants nothing (${errors[0]})`,
    });
  });

  it('a valid policy beside an invalid one still grants', () => {
    const principal = user([{ name: 'bad', source: 'user inline', document: doc({ ...allowAll, Principal: '*' }) }, inline('good', allow(`${E}/$default/GET/*`))]);
    expect(compilePrincipal(principal).invalid.map((p) => p.policy.name)).toEqual(['bad']);
    expect(run(principal, 'GET /x').verdict).toBe('Allowed');
    expect(run(principal, 'POST /x')).toEqual({
      verdict: 'ImplicitlyDenied',
      explanation: `${noStatementAllows('POST /x')}; nearest: statement 0 of inline policy good allows $default/GET/* only; inline policy bad is invalid and grants nothing (statement 0: an identity policy must not specify a Principal (IAM: "Policy document should not specify a principal."))`,
    });
  });
});
