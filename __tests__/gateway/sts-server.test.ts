/**
 * The local STS (sts-server.ts) with the gateway, on the project's dev stack (iam-http-api.config.ts:
 * the role invoker `deployer`, GET only, assumable by `admin`): AssumeRole → session credentials
 * → the gateway; AWS's errors; GetCallerIdentity. Then the same with clients nobody here wrote:
 * the machine's AWS CLI and curl --aws-sigv4.
 */
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Testing } from 'cdktf';
import config from '../../iam-http-api.config';
import { ensureInvokerKeys, type InvokerKey } from '../../src/gateway/credentials';
import { loadStack, type LoadedStack } from '../../src/gateway/load-stack';
import { LocalGateway } from '../../src/gateway/server';
import { StsServer, whoMayAssume } from '../../src/gateway/sts-server';
import { FIXTURES } from '../support/gateway';
import { synthStack } from '../support/synth';
import { credentialsOf, signedApiCall, stsQuery, xmlTag, type Creds } from '../support/sts-requests';

const run = promisify(execFile);

let dir: string;
let outdir: string;
let stack: LoadedStack;
let keys: ReadonlyMap<string, InvokerKey>;
let gateway: LocalGateway;
let sts: StsServer;
let gatewayUrl: string;
let stsUrl: string;
let credentialsFile: string;
let deployerArn: string;
const stsLog: string[] = [];

beforeAll(async () => {
  const { stack: synthesized } = synthStack(config, 'dev');
  outdir = Testing.fullSynth(synthesized);
  const loaded = loadStack(outdir, 'dev');
  stack = { ...loaded, integration: { ...loaded.integration, bundleFile: path.join(FIXTURES, 'echo-event.mjs') } };
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iam-http-api-sts-'));
  credentialsFile = path.join(dir, 'credentials');
  keys = ensureInvokerKeys(credentialsFile, stack.invokers.map((i) => i.name));
  const sessionKey = randomBytes(32);
  gateway = new LocalGateway({ stack, keys, port: 0, sessionKey, workers: 1, log: () => undefined, functionLog: () => undefined });
  gatewayUrl = await gateway.listen();
  sts = new StsServer({ gateway, sessionKey, port: 0, log: (line) => stsLog.push(line) });
  stsUrl = await sts.listen();
  deployerArn = stack.roles!.find((r) => r.name.endsWith('-deployer'))!.arn;
}, 120_000);
afterAll(async () => {
  await sts?.close();
  await gateway?.close();
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(outdir, { recursive: true, force: true });
});

function user(name: string): Creds {
  const key = keys.get(name)!;
  return { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey };
}

const stsCall = (credentials: Creds | undefined, parameters: Record<string, string>) => stsQuery(stsUrl, stack.region, credentials, parameters);

const tag = xmlTag;

async function assume(caller: Creds, parameters: Record<string, string> = {}): Promise<Creds & { body: string }> {
  const reply = await stsCall(caller, { Action: 'AssumeRole', RoleArn: deployerArn, RoleSessionName: 'alice', ...parameters });
  expect(reply.status).toBe(200);
  return { accessKeyId: tag(reply.body, 'AccessKeyId')!, secretAccessKey: tag(reply.body, 'SecretAccessKey')!, sessionToken: tag(reply.body, 'SessionToken')!, body: reply.body };
}

const gatewayCall = (credentials: Creds, method: string, pathname: string) => signedApiCall(gatewayUrl, stack.region, credentials, method, pathname);

describe('local STS', () => {
  it('knows who may assume deployer', () => {
    expect(deployerArn).toBe('arn:aws:iam::123456789012:role/iam-http-api/iam-http-api-dev-deployer');
    expect(whoMayAssume(stack).map(({ role, invokers }) => [role.arn, invokers])).toContainEqual([deployerArn, ['admin']]);
  });

  it('admin assumes deployer: the session may GET as the assumed role, not POST', async () => {
    const session = await assume(user('admin'), { DurationSeconds: '900' });
    expect(session.accessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
    expect(tag(session.body, 'Arn')).toBe('arn:aws:sts::123456789012:assumed-role/iam-http-api-dev-deployer/alice');
    expect(tag(session.body, 'AssumedRoleId')).toMatch(/^AROA[A-Z0-9]{17}:alice$/);
    const expiration = Date.parse(tag(session.body, 'Expiration')!);
    expect(Math.abs(expiration - (Date.now() + 900_000))).toBeLessThan(5_000);
    expect(session.body).toMatch(/^<AssumeRoleResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/">/);
    expect(tag(session.body, 'RequestId')).toMatch(/^[0-9a-f-]{36}$/);

    const get = await gatewayCall(session, 'GET', '/hello');
    expect(get.status).toBe(200);
    expect(JSON.parse(get.body).event.requestContext.authorizer.iam).toMatchObject({
      accessKey: session.accessKeyId,
      userArn: 'arn:aws:sts::123456789012:assumed-role/iam-http-api-dev-deployer/alice',
    });
    expect(await gatewayCall(session, 'POST', '/items')).toEqual({ status: 403, body: '{"message":"Forbidden"}' });
  });

  it('viewer is not trusted: 403 AccessDenied in AWS\'s XML', async () => {
    const viewer = stack.invokers.find((i) => i.name === 'viewer')!.principal.arn;
    const reply = await stsCall(user('viewer'), { Action: 'AssumeRole', RoleArn: deployerArn, RoleSessionName: 'eve' });
    expect(reply.status).toBe(403);
    expect(tag(reply.body, 'Type')).toBe('Sender');
    expect(tag(reply.body, 'Code')).toBe('AccessDenied');
    expect(tag(reply.body, 'Message')).toBe(`User: ${viewer} is not authorized to perform: sts:AssumeRole on resource: ${deployerArn}`);
    expect(reply.body).toMatch(/^<ErrorResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/">/);
    // A role not in the stack is refused the same way.
    const missing = await stsCall(user('admin'), { Action: 'AssumeRole', RoleArn: 'arn:aws:iam::123456789012:role/nope', RoleSessionName: 'eve' });
    expect([missing.status, tag(missing.body, 'Code')]).toEqual([403, 'AccessDenied']);
  });

  it('a bad session name and a duration over the role\'s maximum: 400 ValidationError', async () => {
    const badName = await stsCall(user('admin'), { Action: 'AssumeRole', RoleArn: deployerArn, RoleSessionName: 'a/b' });
    expect(badName.status).toBe(400);
    expect(tag(badName.body, 'Code')).toBe('ValidationError');
    expect(tag(badName.body, 'Message')).toBe("1 validation error detected: Value 'a/b' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*");
    const tooLong = await stsCall(user('admin'), { Action: 'AssumeRole', RoleArn: deployerArn, RoleSessionName: 'alice', DurationSeconds: '7200' });
    expect([tooLong.status, tag(tooLong.body, 'Code'), tag(tooLong.body, 'Message')]).toEqual([400, 'ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.']);
  });

  it('a session policy narrowing GET to /items: /hello is 403 at the gateway', async () => {
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: `${stack.executionArn}/*/GET/items/*` }] });
    const session = await assume(user('admin'), { Policy: policy });
    expect((await gatewayCall(session, 'GET', '/items/1')).status).toBe(200);
    expect(await gatewayCall(session, 'GET', '/hello')).toEqual({ status: 403, body: '{"message":"Forbidden"}' });
  });

  it('GetCallerIdentity for a user and for a session', async () => {
    const admin = stack.invokers.find((i) => i.name === 'admin')!.principal;
    const me = await stsCall(user('admin'), { Action: 'GetCallerIdentity' });
    expect([me.status, tag(me.body, 'Arn'), tag(me.body, 'UserId'), tag(me.body, 'Account')]).toEqual([200, admin.arn, admin.userId, '123456789012']);
    const session = await assume(user('admin'));
    const them = await stsCall(session, { Action: 'GetCallerIdentity' });
    expect(tag(them.body, 'Arn')).toBe('arn:aws:sts::123456789012:assumed-role/iam-http-api-dev-deployer/alice');
    expect(tag(them.body, 'UserId')).toMatch(/^AROA[A-Z0-9]{17}:alice$/);
  });

  it('signature problems are answered in STS\'s XML', async () => {
    const unsigned = await stsCall(undefined, { Action: 'GetCallerIdentity' });
    expect([unsigned.status, tag(unsigned.body, 'Code')]).toEqual([403, 'MissingAuthenticationToken']);
    const wrongSecret = await stsCall({ ...user('admin'), secretAccessKey: 'x'.repeat(40) }, { Action: 'GetCallerIdentity' });
    expect([wrongSecret.status, tag(wrongSecret.body, 'Code')]).toEqual([403, 'SignatureDoesNotMatch']);
    const unknown = await stsCall({ accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: 'x' }, { Action: 'GetCallerIdentity' });
    expect([unknown.status, tag(unknown.body, 'Code'), tag(unknown.body, 'Message')]).toEqual([403, 'InvalidClientTokenId', 'The security token included in the request is invalid.']);
  });

  it('a session another gateway issued (another session key) is invalid, and the log says where such tokens come from', async () => {
    const otherKey = randomBytes(32);
    const other = new LocalGateway({ stack, keys, port: 0, sessionKey: otherKey, workers: 1, log: () => undefined, functionLog: () => undefined });
    const otherSts = new StsServer({ gateway: other, sessionKey: otherKey, port: 0 });
    const otherUrl = await otherSts.listen();
    try {
      const reply = await stsQuery(otherUrl, stack.region, user('admin'), { Action: 'AssumeRole', RoleArn: deployerArn, RoleSessionName: 'elsewhere' });
      const foreign = credentialsOf(reply.body);
      const answer = await stsCall(foreign, { Action: 'GetCallerIdentity' });
      expect([answer.status, tag(answer.body, 'Code'), tag(answer.body, 'Message')]).toEqual([403, 'InvalidClientTokenId', 'The security token included in the request is invalid.']);
      expect(stsLog.at(-1)).toBe("sts GetCallerIdentity - 403 InvalidClientTokenId (a session token this gateway did not issue: from another npm start, an earlier .iam-http-api/session-key, or a client's cache such as ~/.aws/cli/cache)");
    } finally {
      await otherSts.close();
      await other.close();
    }
  });
});

const haveAws = (() => {
  try {
    execFileSync('which', ['aws'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const describeCli = haveAws ? describe : describe.skip;
if (!haveAws) console.warn('sts-server.test.ts: AWS CLI tests skipped: `which aws` finds no aws on this machine');

describeCli('with the AWS CLI and curl', () => {
  const env = (): NodeJS.ProcessEnv => ({
    ...process.env, AWS_SHARED_CREDENTIALS_FILE: credentialsFile, AWS_CONFIG_FILE: path.join(dir, 'no-config'), AWS_PROFILE: 'admin', AWS_DEFAULT_REGION: stack.region,
    AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_SESSION_TOKEN: '', AWS_EC2_METADATA_DISABLED: 'true', AWS_PAGER: '',
  });
  const cleanEnv = (): NodeJS.ProcessEnv => {
    const e = env();
    for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) delete e[k];
    return e;
  };

  it('aws sts get-caller-identity and assume-role, then curl --aws-sigv4 with the session', async () => {
    const identity = await run('aws', ['sts', 'get-caller-identity', '--endpoint-url', stsUrl, '--output', 'json'], { env: cleanEnv() });
    expect(JSON.parse(identity.stdout)).toEqual({ UserId: expect.stringMatching(/^AIDA/), Account: '123456789012', Arn: stack.invokers.find((i) => i.name === 'admin')!.principal.arn });

    const assumed = await run('aws', ['sts', 'assume-role', '--endpoint-url', stsUrl, '--role-arn', deployerArn, '--role-session-name', 'cli', '--output', 'json'], { env: cleanEnv() });
    const { Credentials: c, AssumedRoleUser: u } = JSON.parse(assumed.stdout);
    expect(u.Arn).toBe('arn:aws:sts::123456789012:assumed-role/iam-http-api-dev-deployer/cli');
    expect(c.AccessKeyId).toMatch(/^ASIA/);

    const denied = await run('aws', ['sts', 'assume-role', '--endpoint-url', stsUrl, '--role-arn', deployerArn, '--role-session-name', 'cli'], { env: { ...cleanEnv(), AWS_PROFILE: 'viewer' } }).then(() => 'ok', (error: { stderr: string }) => error.stderr);
    expect(denied).toContain('An error occurred (AccessDenied) when calling the AssumeRole operation: User: ');

    // The session's own identity, through the CLI with the session in the environment.
    const sessionEnv: NodeJS.ProcessEnv = { ...cleanEnv(), AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'none'), AWS_ACCESS_KEY_ID: c.AccessKeyId, AWS_SECRET_ACCESS_KEY: c.SecretAccessKey, AWS_SESSION_TOKEN: c.SessionToken };
    delete sessionEnv.AWS_PROFILE;
    const sessionIdentity = await run('aws', ['sts', 'get-caller-identity', '--endpoint-url', stsUrl, '--output', 'json'], { env: sessionEnv });
    expect(JSON.parse(sessionIdentity.stdout).Arn).toBe('arn:aws:sts::123456789012:assumed-role/iam-http-api-dev-deployer/cli');

    const scope = `aws:amz:${stack.region}:execute-api`;
    const get = await run('curl', ['-sS', '-w', '\n%{http_code}', '--aws-sigv4', scope, '--user', `${c.AccessKeyId}:${c.SecretAccessKey}`, '-H', `x-amz-security-token: ${c.SessionToken}`, `${gatewayUrl}/hello`]);
    expect(get.stdout.trim().split('\n').pop()).toBe('200');
    const post = await run('curl', ['-sS', '-w', '\n%{http_code}', '--aws-sigv4', scope, '--user', `${c.AccessKeyId}:${c.SecretAccessKey}`, '-H', `x-amz-security-token: ${c.SessionToken}`, '-H', 'content-type: application/json', '--data', '{"message":"hi"}', `${gatewayUrl}/items`]);
    expect(post.stdout.trim().split('\n').pop()).toBe('403');
  }, 60_000);

  it('aws sts get-session-token, and assume-role\'s --policy-arns, --tags and --transitive-tag-keys as the CLI sends them', async () => {
    const admin = stack.invokers.find((i) => i.name === 'admin')!.principal;
    const token = await run('aws', ['sts', 'get-session-token', '--endpoint-url', stsUrl, '--duration-seconds', '900', '--output', 'json'], { env: cleanEnv() });
    const { Credentials: c } = JSON.parse(token.stdout);
    expect(c.AccessKeyId).toMatch(/^ASIA/);
    const sessionEnv: NodeJS.ProcessEnv = { ...cleanEnv(), AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'none'), AWS_ACCESS_KEY_ID: c.AccessKeyId, AWS_SECRET_ACCESS_KEY: c.SecretAccessKey, AWS_SESSION_TOKEN: c.SessionToken };
    delete sessionEnv.AWS_PROFILE;
    expect(JSON.parse((await run('aws', ['sts', 'get-caller-identity', '--endpoint-url', stsUrl, '--output', 'json'], { env: sessionEnv })).stdout).Arn).toBe(admin.arn);
    const again = await run('aws', ['sts', 'get-session-token', '--endpoint-url', stsUrl], { env: sessionEnv }).then(() => 'ok', (error: { stderr: string }) => error.stderr);
    expect(again).toContain('An error occurred (AccessDenied) when calling the GetSessionToken operation: Cannot call GetSessionToken with session credentials');

    const assume = (...extra: string[]) => run('aws', ['sts', 'assume-role', '--endpoint-url', stsUrl, '--role-arn', deployerArn, '--role-session-name', 'cli', ...extra], { env: cleanEnv() }).then(() => 'ok', (error: { stderr: string }) => error.stderr);
    expect(await assume('--policy-arns', 'arn=arn:aws:iam::123456789012:policy/nope')).toContain('An error occurred (InvalidParameterValue) when calling the AssumeRole operation: Policy arn:aws:iam::123456789012:policy/nope does not exist or is not attachable.');
    expect(await assume('--tags', 'Key=project,Value=apollo', '--transitive-tag-keys', 'project')).toContain(`is not authorized to perform: sts:TagSession on resource: ${deployerArn}`);
    expect(await assume('--tags', 'Key=project,Value=apollo', '--transitive-tag-keys', 'team')).toContain('An error occurred (InvalidParameterValue) when calling the AssumeRole operation: The specified transitive tag key must be included in the requested tags.');
  }, 60_000);
});
