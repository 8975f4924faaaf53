/**
 * Temporary credentials from `npm start`'s local STS with clients nobody here wrote, on the
 * project's dev stack (the role `deployer`, GET only, assumable by `admin`): boto3/botocore,
 * @aws-sdk/client-sts and the machine's AWS CLI, then this project's CLI with the same
 * assume-role profile, all finding the STS and the gateway as a user would (the banner's
 * gateway.json, the credentials file, a config file with the profile).
 *
 * The AWS CLI's --endpoint-url runs of AssumeRole/GetCallerIdentity are in
 * __tests__/gateway/sts-server.test.ts; here it resolves a role profile by itself.
 * Secrets are compared as booleans and never printed; the python script prints none.
 */
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Testing } from 'cdktf';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromIni } from '@aws-sdk/credential-providers';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import config from '../../iam-http-api.config';
import type { RunningGateway } from '../../src/gateway/running-gateway';
import { freePort } from '../support/moto-server';
import { printed, profileKey, ready, start, type Started } from '../support/npm-start';
import { synthStack } from '../support/synth';

const root = path.resolve(__dirname, '..', '..');
const ACCOUNT = '123456789012';
const assumedArn = (session: string): string => `arn:aws:sts::${ACCOUNT}:assumed-role/iam-http-api-dev-deployer/${session}`;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: root, env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

const have = (command: string, args: string[]): boolean => {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

describe('temporary credentials from npm start\'s local STS, with clients nobody here wrote', () => {
  let outdir: string;
  let credentialsFile: string;
  let configFile: string;
  let gateway: Started;
  let running: RunningGateway;
  let deployerArn: string;
  let secrets: string[];
  /** No inherited AWS_* settings; the local credentials file and a config file with deployer-local. */
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    outdir = Testing.fullSynth(synthStack(config, 'dev').stack);
    credentialsFile = path.join(outdir, 'credentials');
    gateway = start({ CDKTF_OUTDIR: outdir, IAM_HTTP_API_CREDENTIALS: credentialsFile, STACK: 'dev', PORT: String(await freePort()), PAGE_PORT: String(await freePort()) }, { args: ['--no-watch'] });
    await ready(gateway);
    running = JSON.parse(fs.readFileSync(path.join(outdir, 'gateway.json'), 'utf8')) as RunningGateway;
    deployerArn = running.roles!.find((role) => role.name.endsWith('-deployer'))!.arn;
    secrets = ['admin', 'editor', 'viewer'].map((name) => profileKey(credentialsFile, name).secretAccessKey);
    configFile = path.join(outdir, 'aws-config');
    fs.writeFileSync(configFile, ['[profile deployer-local]', `role_arn = ${deployerArn}`, 'source_profile = admin', `endpoint_url = ${running.stsUrl}`, `region = ${running.region}`, ''].join('\n'));
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
    env = { ...inherited, HOME: outdir, AWS_SHARED_CREDENTIALS_FILE: credentialsFile, AWS_CONFIG_FILE: configFile, AWS_EC2_METADATA_DISABLED: 'true', AWS_PAGER: '' };
  }, 120_000);

  afterAll(async () => {
    gateway?.child.kill('SIGTERM');
    await gateway?.exited;
    if (outdir) fs.rmSync(outdir, { recursive: true, force: true });
  });

  const noSecretIn = (text: string): void => expect(secrets.filter((secret) => text.includes(secret))).toEqual([]);

  it('npm start records the STS and the roles in gateway.json', () => {
    expect(running.stsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(running.roles).toContainEqual({ name: 'iam-http-api-dev-deployer', arn: `arn:aws:iam::${ACCOUNT}:role/iam-http-api/iam-http-api-dev-deployer`, assumableBy: ['admin'] });
  });

  const describePython = have('python3', ['-c', 'import boto3']) ? describe : describe.skip;
  describePython('boto3 / botocore', () => {
    it('assume_role at endpoint_url, get_caller_identity as the session, SigV4Auth with the token: GET 200, POST 403; viewer AccessDenied; a role profile resolved by botocore', async () => {
      const result = await run('python3', [path.join(root, '__tests__', 'support', 'boto3-role-session.py')], {
        ...env, STS_URL: running.stsUrl, GATEWAY_URL: running.url, ROLE_ARN: deployerArn, REGION: running.region,
      });
      noSecretIn(`${result.stdout}${result.stderr}`);
      expect([result.code, result.stderr]).toEqual([0, '']);
      const summary = JSON.parse(result.stdout);
      const viewerArn = `arn:aws:iam::${ACCOUNT}:user/iam-http-api/iam-http-api-dev-viewer`;
      expect(summary).toEqual({
        assumed: { arn: assumedArn('boto3'), keyPrefix: 'ASIA', expiresInSeconds: expect.any(Number) },
        identity: assumedArn('boto3'),
        get: { status: 200, body: { method: 'GET', path: '/hello', body: '' }, signedToken: true },
        post: { status: 403, body: { message: 'Forbidden' }, signedToken: true },
        denied: { status: 403, code: 'AccessDenied', message: `User: ${viewerArn} is not authorized to perform: sts:AssumeRole on resource: ${deployerArn}` },
        profile: { identity: expect.stringMatching(new RegExp(`^${assumedArn('botocore-session-')}\\d+$`)), get: { status: 200, body: { method: 'GET', path: '/hello', body: '' }, signedToken: true } },
      });
      expect(Math.abs(summary.assumed.expiresInSeconds - 900)).toBeLessThan(30);
    }, 60_000);

    it('clients/python/call_api.py with the role profile: GET 200, POST 403', async () => {
      const script = path.join(root, 'clients', 'python', 'call_api.py');
      const get = await run('python3', [script, 'GET', `${running.url}/hello`, '--profile', 'deployer-local'], env);
      expect(get).toEqual({ code: 0, stderr: '', stdout: `HTTP 200 OK\n${JSON.stringify({ method: 'GET', path: '/hello', body: '' }, null, 2)}\n` });
      const post = await run('python3', [script, 'POST', `${running.url}/items`, '--data', '{"message":"hi"}', '--profile', 'deployer-local'], env);
      expect(post).toEqual({ code: 1, stderr: '', stdout: `HTTP 403 Forbidden\n${JSON.stringify({ message: 'Forbidden' }, null, 2)}\n` });
    }, 60_000);
  });

  describe('@aws-sdk/client-sts', () => {
    const signAndSend = async (credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, method: string, pathname: string, body?: string): Promise<{ status: number; body: unknown }> => {
      const url = new URL(pathname, running.url);
      const signer = new SignatureV4({ service: 'execute-api', region: running.region, credentials, sha256: Hash.bind(null, 'sha256') });
      const headers = { host: url.host, ...(body ? { 'content-type': 'application/json' } : {}) };
      const signed = await signer.sign({ method, protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, query: {}, headers, body });
      const response = await fetch(url, { method, headers: signed.headers as Record<string, string>, body });
      return { status: response.status, body: await response.json() };
    };

    it('AssumeRoleCommand and GetCallerIdentityCommand at the local endpoint; the session signs GET (200) and POST (403)', async () => {
      const admin = profileKey(credentialsFile, 'admin');
      const sts = new STSClient({ region: running.region, endpoint: running.stsUrl, credentials: admin });
      const { Credentials: c, AssumedRoleUser } = await sts.send(new AssumeRoleCommand({ RoleArn: deployerArn, RoleSessionName: 'js-sdk', DurationSeconds: 900 }));
      expect(AssumedRoleUser?.Arn).toBe(assumedArn('js-sdk'));
      expect(c?.AccessKeyId).toMatch(/^ASIA/);
      const session = { accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken! };
      const me = await new STSClient({ region: running.region, endpoint: running.stsUrl, credentials: session }).send(new GetCallerIdentityCommand({}));
      expect([me.Arn, me.Account, me.UserId]).toEqual([assumedArn('js-sdk'), ACCOUNT, expect.stringMatching(/^AROA[A-Z0-9]+:js-sdk$/)]);
      expect(await signAndSend(session, 'GET', '/hello')).toEqual({ status: 200, body: { method: 'GET', path: '/hello', body: '' } });
      expect(await signAndSend(session, 'POST', '/items', '{"message":"hi"}')).toEqual({ status: 403, body: { message: 'Forbidden' } });
    });

    it('a role profile: the SDK takes its endpoint_url only when the profile is AWS_PROFILE (so the CLI hands the endpoint over itself)', async () => {
      const saved = { ...process.env };
      // npm start logs one `sts <Action> <caller> <status>` line per STS request, in order.
      const assumeLines = (from: number): number => (gateway.stdout.slice(from).match(/^sts AssumeRole /gm) ?? []).length;
      try {
        Object.assign(process.env, { AWS_CONFIG_FILE: configFile, AWS_SHARED_CREDENTIALS_FILE: credentialsFile, AWS_EC2_METADATA_DISABLED: 'true' });
        delete process.env.AWS_PROFILE;
        const before = gateway.stdout.length;
        // Named in the call only: the STS client goes to AWS's endpoint, never to the local one. The
        // request handler records where it would go and sends nothing, so the test stays on loopback.
        const hosts: string[] = [];
        const requestHandler = { handle: async (request: { hostname?: string }): Promise<never> => { hosts.push(request.hostname ?? ''); throw new Error('not sent: this test stays on loopback'); } };
        await expect(fromIni({ profile: 'deployer-local', ignoreCache: true, clientConfig: { requestHandler } })()).rejects.toThrow();
        expect(hosts.length).toBeGreaterThan(0);
        expect(hosts.every((host) => /^sts(\.[a-z0-9-]+)?\.amazonaws\.com$/.test(host))).toBe(true);
        process.env.AWS_PROFILE = 'deployer-local';
        const credentials = await fromIni({ ignoreCache: true })();
        expect(credentials.accessKeyId).toMatch(/^ASIA/);
        // The second call's line is out, so a line of the first would be too: there is none.
        await printed(gateway, /^sts AssumeRole .* 200$/m, { stdout: before, stderr: gateway.stderr.length });
        expect(assumeLines(before)).toBe(1);
        expect(await signAndSend(credentials, 'GET', '/hello')).toEqual({ status: 200, body: { method: 'GET', path: '/hello', body: '' } });
      } finally {
        for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
        Object.assign(process.env, saved);
      }
    }, 30_000);
  });

  const describeAws = have('aws', ['--version']) ? describe : describe.skip;
  describeAws('the AWS CLI', () => {
    it('a role profile with endpoint_url: aws sts get-caller-identity assumes the role at the local STS by itself', async () => {
      const result = await run('aws', ['sts', 'get-caller-identity', '--profile', 'deployer-local', '--output', 'json'], env);
      expect([result.code, result.stderr]).toEqual([0, '']);
      expect(JSON.parse(result.stdout).Arn).toMatch(new RegExp(`^${assumedArn('botocore-session-')}\\d+$`));
    }, 60_000);

    it('AWS_ENDPOINT_URL_STS instead of --endpoint-url: assume-role as admin', async () => {
      const result = await run('aws', ['sts', 'assume-role', '--role-arn', deployerArn, '--role-session-name', 'env-endpoint', '--query', 'AssumedRoleUser.Arn', '--output', 'text'],
        { ...env, AWS_PROFILE: 'admin', AWS_DEFAULT_REGION: running.region, AWS_ENDPOINT_URL_STS: running.stsUrl });
      expect([result.code, result.stdout.trim(), result.stderr]).toEqual([0, assumedArn('env-endpoint'), '']);
    }, 60_000);
  });

  describe('iam-http-api (this project\'s CLI) against npm start', () => {
    const cli = async (args: string[], extra: NodeJS.ProcessEnv = {}): Promise<Run> => {
      const result = await run(process.execPath, [path.join(root, 'bin', 'iam-http-api.js'), 'call', ...args, '--retries', '0'], { ...env, IAM_HTTP_API_CREDENTIALS: credentialsFile, ...extra });
      noSecretIn(`${result.stdout}${result.stderr}`);
      return result;
    };

    it('the same assume-role profile: GET 200 as the role; POST 403 and why, from npm start\'s denials', async () => {
      const get = await cli(['/hello', '--profile', 'deployer-local', '--verbose']);
      expect(get.code).toBe(0);
      expect(get.stderr).toContain(`(profile deployer-local: role ${deployerArn} assumed at ${running.stsUrl} (endpoint_url of profile deployer-local in ${configFile}) with source_profile admin)\n`);
      const post = await cli(['/items', '--profile', 'deployer-local', '--data', '{"message":"hi"}']);
      expect(post.code).toBe(4);
      expect(post.stderr).toMatch(/\nWhy \(the local gateway's IAM decision\): assumed-role\/iam-http-api-dev-deployer\/aws-sdk-js-\d+ POST \/items: implicit deny: /);
    });

    it('eval "$(iam-http-api keys --role deployer --env)", then curl --aws-sigv4 with x-amz-security-token: GET 200, POST 403', async () => {
      const curl = `curl -s -w ' %{http_code}\\n' --aws-sigv4 "aws:amz:${running.region}:execute-api" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H "x-amz-security-token: $AWS_SESSION_TOKEN"`;
      const script = [
        `eval "$(node ${path.join(root, 'bin', 'iam-http-api.js')} keys --role deployer --env)"`,
        `${curl} ${running.url}/hello`,
        `${curl} -H 'content-type: application/json' --data '{"message":"hi"}' ${running.url}/items`,
      ].join('\n');
      const result = await run('bash', ['-e', '-c', script], { ...env, IAM_HTTP_API_CREDENTIALS: credentialsFile });
      noSecretIn(`${result.stdout}${result.stderr}`);
      expect(result).toEqual({ code: 0, stderr: '', stdout: '{"method":"GET","path":"/hello","body":""} 200\n{"message":"Forbidden"} 403\n' });
    });

    it('--role-arn finds npm start\'s STS in gateway.json', async () => {
      const result = await cli(['/hello', '--profile', 'admin', '--role-arn', deployerArn, '--role-session-name', 'cli', '--verbose']);
      expect(result.code).toBe(0);
      expect(result.stderr).toContain(`session cli, assumed at ${running.stsUrl} (the running local gateway's STS, stack dev) as `);
    });
  });
});
