/**
 * The local STS's session features through a running StsServer and LocalGateway, on a dev stack
 * whose role invokers trust other accounts (config `assumableBy.accounts`), plus a managed policy
 * and two roles written with cdktf constructs for role chaining:
 *  - `first`: assumable by admin (with tags), may pass on to `chained`;
 *  - `chained`: its trust policy names `first`'s role ARN; it may GET only while
 *    aws:PrincipalTag/project is `apollo` (its own tag says otherwise: a transitive session tag
 *    must override it).
 * PolicyArns and PackedPolicySize, transitive session tags, the role-ARN trust rule, GetSessionToken,
 * and the other accounts' local identities.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Testing } from 'cdktf';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import config from '../../iam-http-api.config';
import type { ProjectConfigInput } from '../../src/config/types';
import { ensureInvokerKeys, type InvokerKey } from '../../src/gateway/credentials';
import { modelOf, type LoadedStack } from '../../src/gateway/load-stack';
import { LocalGateway } from '../../src/gateway/server';
import { openSession } from '../../src/gateway/session-tokens';
import { StsServer, whoMayAssume } from '../../src/gateway/sts-server';
import { FIXTURES } from '../support/gateway';
import { synthStack } from '../support/synth';
import { credentialsOf, signedApiCall, stsQuery, xmlTag, type Creds } from '../support/sts-requests';

const PARTNER = '111122223333';
const OTHER = '444455556666';
const EXECUTION_ARN = '${aws_apigatewayv2_api.api.execution_arn}';

const input: ProjectConfigInput = {
  ...config,
  environments: {
    dev: {
      ...config.environments?.dev,
      invokers: {
        admin: { allow: ['* /*'] },
        viewer: { allow: ['GET /*'] },
        deployer: { kind: 'role', allow: ['GET /*'], assumableBy: { invokers: ['admin'], accounts: [{ id: PARTNER, externalId: 'partner-42' }] } },
        reader: { kind: 'role', allow: ['GET /*'], assumableBy: { accounts: [{ id: OTHER }] } },
      },
    },
  },
};

const { stack: synthesized } = synthStack(input, 'dev');
const outdir = Testing.fullSynth(synthesized);
const stackDir = path.join(outdir, 'stacks', 'dev');
const tf = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
const extra = JSON.parse(Testing.synthScope((scope) => {
  new IamPolicy(scope, 'items_only', {
    name: 'items-only',
    policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: `${EXECUTION_ARN}/*/GET/items/*` }] }),
  });
  const first = new IamRole(scope, 'first', {
    name: 'first',
    maxSessionDuration: 7200,
    assumeRolePolicy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '${aws_iam_user.invoker_admin.arn}' }, Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'] }] }),
  });
  new IamRolePolicy(scope, 'first_invoke', { name: 'invoke', role: first.id, policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: `${EXECUTION_ARN}/*` }] }) });
  const chained = new IamRole(scope, 'chained', {
    name: 'chained',
    maxSessionDuration: 7200,
    tags: { project: 'role-value' },
    assumeRolePolicy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '${aws_iam_role.first.arn}' }, Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'] }] }),
  });
  new IamRolePolicy(scope, 'chained_invoke', {
    name: 'invoke', role: chained.id,
    policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: `${EXECUTION_ARN}/*/GET/*`, Condition: { StringEquals: { 'aws:PrincipalTag/project': 'apollo' } } }] }),
  });
}));
for (const [type, byName] of Object.entries<Record<string, unknown>>(extra.resource)) tf.resource[type] = { ...tf.resource[type], ...byName };

const sessionKey = randomBytes(32);
let dir: string;
let stack: LoadedStack;
let keys: ReadonlyMap<string, InvokerKey>;
let gateway: LocalGateway;
let sts: StsServer;
let gatewayUrl: string;
let stsUrl: string;
let credentialsFile: string;
const ACCOUNT = '123456789012';
const arnOf = (name: string): string => stack.roles!.find((r) => r.name === name || r.name.endsWith(`-${name}`))!.arn;

beforeAll(async () => {
  const loaded = modelOf(tf, 'dev', stackDir);
  stack = { ...loaded, integration: { ...loaded.integration, bundleFile: path.join(FIXTURES, 'echo-event.mjs') } };
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iam-http-api-sts-sessions-'));
  credentialsFile = path.join(dir, 'credentials');
  keys = ensureInvokerKeys(credentialsFile, stack.invokers.map((i) => i.name));
  gateway = new LocalGateway({
    stack, keys, port: 0, sessionKey, workers: 1, log: () => undefined, functionLog: () => undefined,
    accountKeys: (profiles) => ensureInvokerKeys(credentialsFile, profiles),
  });
  gatewayUrl = await gateway.listen();
  sts = new StsServer({ gateway, sessionKey, port: 0 });
  stsUrl = await sts.listen();
}, 120_000);
afterAll(async () => {
  await sts?.close();
  await gateway?.close();
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(outdir, { recursive: true, force: true });
});

function profile(name: string): Creds {
  const key = (keys.get(name) ?? ensureInvokerKeys(credentialsFile, [name]).get(name))!;
  return { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey };
}

const stsCall = (credentials: Creds, parameters: Record<string, string>) => stsQuery(stsUrl, stack.region, credentials, parameters);

const tag = xmlTag;

function error(reply: { status: number; body: string }): [number, string | undefined, string | undefined] {
  return [reply.status, tag(reply.body, 'Code'), tag(reply.body, 'Message')];
}

async function assume(caller: Creds, roleArn: string, parameters: Record<string, string> = {}): Promise<Creds & { body: string }> {
  const reply = await stsCall(caller, { Action: 'AssumeRole', RoleArn: roleArn, RoleSessionName: 's1', ...parameters });
  if (reply.status !== 200) throw new Error(`AssumeRole ${reply.status}: ${tag(reply.body, 'Code')} ${tag(reply.body, 'Message')}`);
  return { ...credentialsOf(reply.body), body: reply.body };
}

const gatewayCall = (credentials: Creds, method: string, pathname: string) => signedApiCall(gatewayUrl, stack.region, credentials, method, pathname);

describe('PolicyArns and PackedPolicySize', () => {
  const itemsOnly = `arn:aws:iam::${ACCOUNT}:policy/items-only`;

  it('a managed policy of the stack narrows the session: /items 200, /hello 403; PackedPolicySize answered', async () => {
    const session = await assume(profile('admin'), arnOf('deployer'), { 'PolicyArns.member.1.arn': itemsOnly });
    expect(Number(tag(session.body, 'PackedPolicySize'))).toBeGreaterThan(0);
    expect((await gatewayCall(session, 'GET', '/items/1')).status).toBe(200);
    expect(await gatewayCall(session, 'GET', '/hello')).toEqual({ status: 403, body: '{"message":"Forbidden"}' });
    // Without session policies or tags there is no PackedPolicySize.
    expect(tag((await assume(profile('admin'), arnOf('deployer'))).body, 'PackedPolicySize')).toBeUndefined();
  });

  it('an ARN the stack does not define, and an AWS managed policy, are refused', async () => {
    const missing = await stsCall(profile('admin'), { Action: 'AssumeRole', RoleArn: arnOf('deployer'), RoleSessionName: 's1', 'PolicyArns.member.1.arn': `arn:aws:iam::${ACCOUNT}:policy/nope` });
    expect(error(missing)).toEqual([400, 'InvalidParameterValue', `Policy arn:aws:iam::${ACCOUNT}:policy/nope does not exist or is not attachable.`]);
    const awsManaged = await stsCall(profile('admin'), { Action: 'AssumeRole', RoleArn: arnOf('deployer'), RoleSessionName: 's1', 'PolicyArns.member.1.arn': 'arn:aws:iam::aws:policy/ReadOnlyAccess' });
    expect(error(awsManaged)).toEqual([400, 'InvalidParameterValue', 'Policy arn:aws:iam::aws:policy/ReadOnlyAccess is an AWS managed policy: its document is not in the stack, so the local STS cannot apply it as a session policy (define the policy with aws_iam_policy and pass its ARN instead).']);
  });

  it('a session policy and tags too large when packed: PackedPolicyTooLarge', async () => {
    const actions = Array.from({ length: 40 }, (_, i) => `service${i % 7}:Action${(i * 7919) % 1000}Name${i}`);
    const reply = await stsCall(profile('admin'), { Action: 'AssumeRole', RoleArn: arnOf('deployer'), RoleSessionName: 's1', Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] }) });
    expect(reply.status).toBe(400);
    expect(tag(reply.body, 'Code')).toBe('PackedPolicyTooLarge');
    expect(tag(reply.body, 'Message')).toMatch(/^Packed policy consumes 1\d\d% of allotted space$/);
  });
});

describe('role chaining with transitive session tags', () => {
  it('a transitive tag passes on, stays transitive and overrides the next role\'s tag; others do not pass', async () => {
    const one = await assume(profile('admin'), arnOf('first'), { 'Tags.member.1.Key': 'project', 'Tags.member.1.Value': 'apollo', 'Tags.member.2.Key': 'team', 'Tags.member.2.Value': 'blue', 'TransitiveTagKeys.member.1': 'project' });
    const two = await assume(one, arnOf('chained'), { RoleSessionName: 's2' });
    expect(tag(two.body, 'Arn')).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/chained/s2`);
    // The role's tag project=role-value would not match; the transitive session tag does.
    expect((await gatewayCall(two, 'GET', '/hello')).status).toBe(200);
    const opened = openSession(sessionKey, two.accessKeyId, two.sessionToken!, new Date());
    expect(opened.ok && opened.claims.kind !== 'user' ? [opened.claims.tags, opened.claims.transitiveTagKeys] : opened).toEqual([{ project: 'apollo' }, ['project']]);
  });

  it('without the transitive key the next session has the role\'s own tag: 403', async () => {
    const one = await assume(profile('admin'), arnOf('first'), { 'Tags.member.1.Key': 'project', 'Tags.member.1.Value': 'apollo' });
    const two = await assume(one, arnOf('chained'), { RoleSessionName: 's2' });
    expect((await gatewayCall(two, 'GET', '/hello')).status).toBe(403);
  });

  it('an inherited transitive tag cannot be passed again', async () => {
    const one = await assume(profile('admin'), arnOf('first'), { 'Tags.member.1.Key': 'project', 'Tags.member.1.Value': 'apollo', 'TransitiveTagKeys.member.1': 'project' });
    const reply = await stsCall(one, { Action: 'AssumeRole', RoleArn: arnOf('chained'), RoleSessionName: 's2', 'Tags.member.1.Key': 'Project', 'Tags.member.1.Value': 'x' });
    expect(error(reply)).toEqual([400, 'InvalidParameterValue', 'The session tag Project cannot be set: the calling session passes on the transitive session tag project, which a session in a role chain cannot override.']);
  });

  it('a SourceIdentity persists through the chain and cannot be changed', async () => {
    const one = await assume(profile('admin'), arnOf('first'), { SourceIdentity: 'alice' });
    const two = await assume(one, arnOf('chained'), { RoleSessionName: 's2' });
    expect(tag(two.body, 'SourceIdentity')).toBe('alice');
    expect(error(await stsCall(one, { Action: 'AssumeRole', RoleArn: arnOf('chained'), RoleSessionName: 's2', SourceIdentity: 'mallory' })))
      .toEqual([400, 'InvalidParameterValue', 'The source identity alice of the calling session cannot be changed in a role chain.']);
    // deployer's trust policy does not allow sts:SetSourceIdentity.
    expect(error(await stsCall(profile('admin'), { Action: 'AssumeRole', RoleArn: arnOf('deployer'), RoleSessionName: 's1', SourceIdentity: 'alice' }))[2]).toContain('is not authorized to perform: sts:SetSourceIdentity');
  });

  it('the trust policy names first\'s role ARN: its sessions may assume chained, others may not; the hour limit applies', async () => {
    const one = await assume(profile('admin'), arnOf('first'));
    expect(error(await stsCall(one, { Action: 'AssumeRole', RoleArn: arnOf('chained'), RoleSessionName: 's2', DurationSeconds: '7200' })))
      .toEqual([400, 'ValidationError', 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.']);
    const deployer = await assume(profile('admin'), arnOf('deployer'));
    expect(error(await stsCall(deployer, { Action: 'AssumeRole', RoleArn: arnOf('chained'), RoleSessionName: 's2' })))
      .toEqual([403, 'AccessDenied', `User: arn:aws:sts::${ACCOUNT}:assumed-role/iam-http-api-dev-deployer/s1 is not authorized to perform: sts:AssumeRole on resource: ${arnOf('chained')}`]);
    // admin itself is not named by chained's trust policy.
    expect((await stsCall(profile('admin'), { Action: 'AssumeRole', RoleArn: arnOf('chained'), RoleSessionName: 's2' })).status).toBe(403);
  });
});

describe('GetSessionToken', () => {
  it('a user\'s own temporary credentials: 12 hours by default, the user\'s identity and policies', async () => {
    const admin = stack.invokers.find((i) => i.name === 'admin')!.principal;
    const reply = await stsCall(profile('admin'), { Action: 'GetSessionToken' });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatch(/^<GetSessionTokenResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/">/);
    const session = credentialsOf(reply.body);
    expect(session.accessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
    expect(Math.abs(Date.parse(tag(reply.body, 'Expiration')!) - (Date.now() + 43_200_000))).toBeLessThan(5_000);
    const me = await stsCall(session, { Action: 'GetCallerIdentity' });
    expect([tag(me.body, 'Arn'), tag(me.body, 'UserId'), tag(me.body, 'Account')]).toEqual([admin.arn, admin.userId, ACCOUNT]);
    const get = await gatewayCall(session, 'POST', '/items');
    expect(get.status).toBe(200);
    expect(JSON.parse(get.body).event.requestContext.authorizer.iam).toMatchObject({ accessKey: session.accessKeyId, userArn: admin.arn, userId: admin.userId });
    const viewer = credentialsOf((await stsCall(profile('viewer'), { Action: 'GetSessionToken', DurationSeconds: '900' })).body);
    expect((await gatewayCall(viewer, 'GET', '/hello')).status).toBe(200);
    expect(await gatewayCall(viewer, 'POST', '/items')).toEqual({ status: 403, body: '{"message":"Forbidden"}' });
  });

  it('session credentials cannot call it; they may AssumeRole, within role chaining\'s one hour', async () => {
    const session = credentialsOf((await stsCall(profile('admin'), { Action: 'GetSessionToken' })).body);
    expect(error(await stsCall(session, { Action: 'GetSessionToken' }))).toEqual([403, 'AccessDenied', 'Cannot call GetSessionToken with session credentials']);
    const role = await assume(profile('admin'), arnOf('deployer'));
    expect(error(await stsCall(role, { Action: 'GetSessionToken' }))).toEqual([403, 'AccessDenied', 'Cannot call GetSessionToken with session credentials']);
    // Two hours, within first's maximum, is over role chaining's one: AWS answers GetSessionToken
    // credentials as it answers a role session here (users' reports; sts-assume-role.ts).
    const tooLong = await stsCall(session, { Action: 'AssumeRole', RoleArn: arnOf('first'), RoleSessionName: 's1', DurationSeconds: '7200' });
    expect(error(tooLong)).toEqual([400, 'ValidationError', 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.']);
    const assumed = await assume(session, arnOf('first'), { DurationSeconds: '3600' });
    expect(tag(assumed.body, 'Arn')).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/first/s1`);
  });

  it('duration limits and MFA parameters', async () => {
    expect(error(await stsCall(profile('admin'), { Action: 'GetSessionToken', DurationSeconds: '129601' }))[1]).toBe('ValidationError');
    expect(error(await stsCall(profile('admin'), { Action: 'GetSessionToken', SerialNumber: 'arn:aws:iam::123456789012:mfa/admin', TokenCode: '123456' })).slice(0, 2)).toEqual([403, 'AccessDenied']);
  });
});

describe('other accounts\' local identities', () => {
  const partner = `account-${PARTNER}`;

  it('whoMayAssume lists them, with the ExternalId the trust policy asks', () => {
    const byRole = Object.fromEntries(whoMayAssume(stack).map(({ role, invokers, accounts }) => [role.name, { invokers, accounts }]));
    expect(byRole['iam-http-api-dev-deployer']).toEqual({ invokers: ['admin'], accounts: [{ profile: partner, accountId: PARTNER, externalId: 'partner-42' }] });
    expect(byRole['iam-http-api-dev-reader']).toEqual({ invokers: [], accounts: [{ profile: `account-${OTHER}`, accountId: OTHER }] });
    expect(byRole.chained).toEqual({ invokers: [], accounts: [] });
  });

  it('the profile is in the credentials file; GetCallerIdentity shows its account', async () => {
    expect(fs.readFileSync(credentialsFile, 'utf8')).toContain(`[${partner}]`);
    const me = await stsCall(profile(partner), { Action: 'GetCallerIdentity' });
    expect([me.status, tag(me.body, 'Arn'), tag(me.body, 'Account')]).toEqual([200, `arn:aws:iam::${PARTNER}:user/iam-http-api-local`, PARTNER]);
    expect(tag(me.body, 'UserId')).toMatch(/^AIDA[A-Z0-9]{17}$/);
  });

  it('assumes the role that trusts its account, with the ExternalId; its session calls the API', async () => {
    const denied = await stsCall(profile(partner), { Action: 'AssumeRole', RoleArn: arnOf('deployer'), RoleSessionName: 'partner' });
    expect(error(denied)).toEqual([403, 'AccessDenied', `User: arn:aws:iam::${PARTNER}:user/iam-http-api-local is not authorized to perform: sts:AssumeRole on resource: ${arnOf('deployer')}`]);
    expect((await stsCall(profile(partner), { Action: 'AssumeRole', RoleArn: arnOf('deployer'), RoleSessionName: 'partner', ExternalId: 'wrong-1' })).status).toBe(403);
    const session = await assume(profile(partner), arnOf('deployer'), { RoleSessionName: 'partner', ExternalId: 'partner-42' });
    expect(tag(session.body, 'Arn')).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/iam-http-api-dev-deployer/partner`);
    expect((await gatewayCall(session, 'GET', '/hello')).status).toBe(200);
    // A role that trusts another account only.
    expect((await stsCall(profile(partner), { Action: 'AssumeRole', RoleArn: arnOf('reader'), RoleSessionName: 'partner' })).status).toBe(403);
    expect((await assume(profile(`account-${OTHER}`), arnOf('reader'))).accessKeyId).toMatch(/^ASIA/);
  });

  it('its own key is refused by the API: 403 Forbidden (no invoke permission; HTTP APIs have no resource policy)', async () => {
    expect(await gatewayCall(profile(partner), 'GET', '/hello')).toEqual({ status: 403, body: '{"message":"Forbidden"}' });
  });
});
