import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { parseIni } from '../../src/gateway/credentials';
import { loadStack } from '../../src/gateway/load-stack';
import { FIXTURES } from '../support/gateway';
import { send, smithySign } from '../support/smithy-sign';
import { freePort } from '../support/moto-server';
import { ready, start, type Started } from '../support/npm-start';

const root = path.resolve(__dirname, '..', '..');
describe('npm start', () => {
  let scratch: string;
  let env: Record<string, string>;
  beforeAll(() => {
    fs.mkdirSync(path.join(root, '.build'), { recursive: true });
    scratch = fs.mkdtempSync(path.join(root, '.build', 'start-test-'));
    env = { CDKTF_OUTDIR: path.join(scratch, 'cdktf.out'), IAM_HTTP_API_CREDENTIALS: path.join(scratch, 'credentials'), STACK: 'dev' };
  });
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

  it('synthesizes, serves the stack, prints keys but never a secret, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const gateway = start({ ...env, PORT: String(port) });
    await ready(gateway);

    const credentials = parseIni(fs.readFileSync(env.IAM_HTTP_API_CREDENTIALS, 'utf8'));
    expect([...credentials.keys()]).toEqual(['admin', 'editor', 'viewer']);
    expect(fs.statSync(env.IAM_HTTP_API_CREDENTIALS).mode & 0o777).toBe(0o600);
    expect(gateway.stdout).toContain(`at http://127.0.0.1:${port}`);
    for (const [name, profile] of credentials) {
      expect(gateway.stdout).toMatch(new RegExp(`${name}\\s+${profile.aws_access_key_id}\\s+may invoke`));
      expect(gateway.stdout + gateway.stderr).not.toContain(profile.aws_secret_access_key);
    }
    expect(gateway.stdout).toContain(env.IAM_HTTP_API_CREDENTIALS.replace(`${process.cwd()}/`, ''));

    const running = JSON.parse(fs.readFileSync(path.join(scratch, 'gateway.json'), 'utf8'));
    const deployer = 'arn:aws:iam::123456789012:role/iam-http-api/iam-http-api-dev-deployer';
    expect(running).toEqual({
      url: `http://127.0.0.1:${port}`, stack: 'dev', region: 'us-east-1', pid: gateway.child.pid, credentialsFile: env.IAM_HTTP_API_CREDENTIALS, denialsFile: path.join(scratch, 'denials.json'),
      stsUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), roles: [{ name: 'iam-http-api-dev-deployer', arn: deployer, assumableBy: ['admin'] }],
    });
    // The local STS (STS_PORT=0 here): in the banner with its roles, its session key beside the credentials.
    expect(gateway.stdout).toContain(`Roles (assume with the local STS at ${running.stsUrl}):`);
    expect(gateway.stdout).toMatch(new RegExp(`deployer\\s+${deployer}\\s+assumable by admin`));
    expect(fs.statSync(path.join(scratch, 'session-key')).mode & 0o777).toBe(0o600);
    expect((await fetch(running.stsUrl, { method: 'POST', body: new URLSearchParams({ Action: 'GetCallerIdentity', Version: '2011-06-15' }) })).status).toBe(403);

    const viewer = credentials.get('viewer')!;
    const response = await smithySign({ accessKeyId: viewer.aws_access_key_id, secretAccessKey: viewer.aws_secret_access_key }, 'us-east-1', { method: 'GET', url: `http://127.0.0.1:${port}/hello` }).then(send);
    expect(response.json()).toEqual({ method: 'GET', path: '/hello', body: '' });

    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toBe(0);
    expect(gateway.stdout).toContain('SIGTERM: stopping the local gateway');
    expect(fs.existsSync(path.join(scratch, 'gateway.json'))).toBe(false);
    expect(gateway.stdout + gateway.stderr).not.toContain(viewer.aws_secret_access_key);
  }, 30_000);

  it('keeps the same keys across restarts', async () => {
    const before = fs.readFileSync(env.IAM_HTTP_API_CREDENTIALS, 'utf8');
    const gateway = start({ ...env, PORT: String(await freePort()) });
    await ready(gateway);
    gateway.child.kill('SIGINT');
    expect(await gateway.exited).toBe(0);
    expect(fs.readFileSync(env.IAM_HTTP_API_CREDENTIALS, 'utf8')).toBe(before);
  }, 30_000);

  it('says clearly, without a stack trace, that the port is busy', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => blocker.once('listening', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const gateway = start({ ...env, PORT: String(port) });
      expect(await gateway.exited).toBe(1);
      expect(gateway.stderr.trim()).toBe(`Port ${port} on 127.0.0.1 is already in use. Stop the program using it, or start on another port: PORT=${port + 1} npm start`);
    } finally {
      blocker.close();
    }
  }, 30_000);

  it('stops when npm, which started it, is killed (npm does not pass the SIGTERM on)', async () => {
    const port = await freePort();
    const npm = spawn('npm', ['start', '--silent'], { cwd: root, env: { ...process.env, ...env, PORT: String(port), PAGE_PORT: String(await freePort()), STS_PORT: '0' }, stdio: 'ignore' });
    const answers = async (): Promise<boolean> => {
      try {
        await (await fetch(`http://127.0.0.1:${port}/hello`)).text();
        return true;
      } catch {
        return false;
      }
    };
    while (!(await answers())) await new Promise((resolve) => setTimeout(resolve, 25));
    npm.kill('SIGTERM');
    // The gateway notices within half a second that its parent is gone, then stops gracefully.
    const deadline = Date.now() + 10_000;
    while ((await answers()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await answers()).toBe(false);
  }, 30_000);

  it('names the stack it cannot find', async () => {
    const gateway = start({ ...env, STACK: 'staging', PORT: String(await freePort()) });
    expect(await gateway.exited).toBe(1);
    expect(gateway.stderr.trim()).toBe(`No synthesized stack "staging": ${path.join(env.CDKTF_OUTDIR, 'stacks', 'staging', 'cdk.tf.json')} does not exist. Run npm run synth, or pick a stack with STACK=<name>.`);
  }, 30_000);
});

describe('npm start, stopping', () => {
  // A stack synthesized into its own folder, whose bundle (that copy only) is a handler that
  // sleeps: the gateway under test runs exactly as `npm start` runs it.
  let scratch: string;
  let env: Record<string, string>;
  beforeAll(() => {
    fs.mkdirSync(path.join(root, '.build'), { recursive: true });
    scratch = fs.mkdtempSync(path.join(root, '.build', 'start-stop-test-'));
    env = { CDKTF_OUTDIR: path.join(scratch, 'cdktf.out'), IAM_HTTP_API_CREDENTIALS: path.join(scratch, 'credentials'), STACK: 'dev' };
    const synth = spawnSync(process.execPath, ['--import', 'tsx', 'main.ts'], { cwd: root, env: { ...process.env, CDKTF_OUTDIR: env.CDKTF_OUTDIR }, encoding: 'utf8' });
    if (synth.status !== 0) throw new Error(`synth failed: ${synth.stderr}`);
    fs.copyFileSync(path.join(FIXTURES, 'slow.mjs'), loadStack(env.CDKTF_OUTDIR, 'dev').integration.bundleFile);
  }, 60_000);
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

  /** Resolves when the process has printed `text` on stdout (after `from`), rejects if it ends first. */
  const printed = (started: Started, text: string | RegExp, from = 0): Promise<RegExpMatchArray> => new Promise((resolve, reject) => {
    const check = (): void => {
      const match = started.stdout.slice(from).match(text);
      if (match) resolve(match);
    };
    started.child.stdout!.on('data', check);
    check();
    void started.exited.then((code) => reject(new Error(`npm start exited ${code} before printing ${text}: ${started.stdout}${started.stderr}`)));
  });
  /** Resolves once process `pid` is gone (a killed child is reaped asynchronously). */
  const gone = async (pid: number): Promise<boolean> => {
    for (let i = 0; i < 100; i++) {
      try {
        process.kill(pid, 0);
      } catch {
        return true;
      }
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    return false;
  };
  const slowGet = async (port: number, ms: number) => {
    const viewer = parseIni(fs.readFileSync(env.IAM_HTTP_API_CREDENTIALS, 'utf8')).get('viewer')!;
    const signed = await smithySign({ accessKeyId: viewer.aws_access_key_id, secretAccessKey: viewer.aws_secret_access_key }, 'us-east-1', { method: 'GET', url: `http://127.0.0.1:${port}/slow?n=${ms}` });
    return send(signed);
  };

  it('on SIGTERM refuses new connections, answers the request in flight, closes its idle connection at once, and exits 0', async () => {
    const port = await freePort();
    const gateway = start({ ...env, PORT: String(port), PAGE_PORT: String(await freePort()) });
    await ready(gateway);
    const inFlight = slowGet(port, 1_500);
    const [, pid] = await printed(gateway, /slow handler started: pid (\d+)/);
    gateway.child.kill('SIGTERM');
    await printed(gateway, 'SIGTERM: stopping the local gateway');
    await expect(fetch(`http://127.0.0.1:${port}/hello`)).rejects.toThrow();

    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(response.json()).toEqual({ slept: 1500, path: '/slow' });
    // The client keeps its connection alive; the gateway closes it once idle, well before its
    // 5 s keep-alive timeout, and then exits.
    const answered = Date.now();
    expect(await gateway.exited).toBe(0);
    expect(Date.now() - answered).toBeLessThan(4_000);
    expect(await gone(Number(pid))).toBe(true);
    expect(fs.existsSync(path.join(scratch, 'gateway.json'))).toBe(false);
  }, 60_000);

  it('refuses a pool size that is not a number, in one line', async () => {
    const gateway = start({ ...env, PORT: String(await freePort()), IAM_HTTP_API_WORKERS: 'lots' });
    expect(await gateway.exited).toBe(1);
    expect(gateway.stderr.trim()).toBe('IAM_HTTP_API_WORKERS=lots is not a number of Lambda workers; use a whole number from 1 to 256, e.g. IAM_HTTP_API_WORKERS=4');
  }, 30_000);

  it('exits at once on a second SIGTERM while requests are still in flight', async () => {
    const port = await freePort();
    const gateway = start({ ...env, PORT: String(port), PAGE_PORT: String(await freePort()) });
    await ready(gateway);
    const inFlight = slowGet(port, 20_000).then(() => 'answered', () => 'cut');
    const [, pid] = await printed(gateway, /slow handler started: pid (\d+)/);
    gateway.child.kill('SIGTERM');
    const from = gateway.stdout.length;
    await printed(gateway, 'SIGTERM: stopping the local gateway');
    const again = Date.now();
    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toBe(143);
    expect(Date.now() - again).toBeLessThan(3_000);
    expect(gateway.stdout.slice(from)).toContain('SIGTERM again: stopping at once');
    expect(await inFlight).toBe('cut');
    // The Lambda process running the request ended with the gateway.
    expect(await gone(Number(pid))).toBe(true);
  }, 60_000);
});

describe('npm start, other accounts', () => {
  // The dev stack synthesized into its own folder, its deployer role then trusting account
  // 111122223333 with an ExternalId too (as `assumableBy.accounts` synthesizes it).
  let scratch: string;
  let env: Record<string, string>;
  const partner = 'account-111122223333';
  beforeAll(() => {
    fs.mkdirSync(path.join(root, '.build'), { recursive: true });
    scratch = fs.mkdtempSync(path.join(root, '.build', 'start-accounts-test-'));
    env = { CDKTF_OUTDIR: path.join(scratch, 'cdktf.out'), IAM_HTTP_API_CREDENTIALS: path.join(scratch, 'credentials'), STACK: 'dev' };
    const synth = spawnSync(process.execPath, ['--import', 'tsx', 'main.ts'], { cwd: root, env: { ...process.env, CDKTF_OUTDIR: env.CDKTF_OUTDIR }, encoding: 'utf8' });
    if (synth.status !== 0) throw new Error(`synth failed: ${synth.stderr}`);
    const file = path.join(env.CDKTF_OUTDIR, 'stacks', 'dev', 'cdk.tf.json');
    const tf = JSON.parse(fs.readFileSync(file, 'utf8'));
    const role = tf.resource.aws_iam_role.invoker_deployer;
    const trust = JSON.parse(role.assume_role_policy);
    trust.Statement.push({ Sid: 'AssumeByAccount111122223333', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': 'partner-42' } } });
    role.assume_role_policy = JSON.stringify(trust);
    fs.writeFileSync(file, JSON.stringify(tf, null, 2));
  }, 60_000);
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

  it('writes a profile for each trusted account, kept across restarts, named in the banner and gateway.json, never its secret', async () => {
    const gateway = start({ ...env, PORT: String(await freePort()) }, { args: ['--no-watch'] });
    await ready(gateway);
    const credentials = parseIni(fs.readFileSync(env.IAM_HTTP_API_CREDENTIALS, 'utf8'));
    expect([...credentials.keys()]).toEqual(['admin', 'editor', 'viewer', partner]);
    const key = credentials.get(partner)!;
    expect(key.aws_access_key_id).toMatch(/^AKIA[A-Z0-9]{16}$/);
    const deployer = 'arn:aws:iam::123456789012:role/iam-http-api/iam-http-api-dev-deployer';
    expect(gateway.stdout).toMatch(new RegExp(`deployer\\s+${deployer}\\s+assumable by admin, ${partner} \\(ExternalId partner-42\\)`));
    expect(gateway.stdout).toContain(`  ${partner}  ${key.aws_access_key_id}  may assume iam-http-api-dev-deployer`);
    expect(gateway.stdout).toContain(`AWS_PROFILE=${partner} aws sts assume-role --endpoint-url`);
    expect(gateway.stdout + gateway.stderr).not.toContain(key.aws_secret_access_key);
    const running = JSON.parse(fs.readFileSync(path.join(scratch, 'gateway.json'), 'utf8'));
    expect(running.roles).toEqual([{ name: 'iam-http-api-dev-deployer', arn: deployer, assumableBy: ['admin', partner], externalIds: { [partner]: 'partner-42' } }]);

    // The identity of that account, through the local STS.
    const sts = new URL(running.stsUrl);
    const body = 'Action=GetCallerIdentity&Version=2011-06-15';
    const signer = new SignatureV4({ service: 'sts', region: 'us-east-1', credentials: { accessKeyId: key.aws_access_key_id, secretAccessKey: key.aws_secret_access_key }, sha256: Hash.bind(null, 'sha256') });
    const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: sts.hostname, port: Number(sts.port), path: '/', query: {}, headers: { host: sts.host, 'content-type': 'application/x-www-form-urlencoded' }, body });
    expect(await (await fetch(sts, { method: 'POST', headers: signed.headers as Record<string, string>, body })).text()).toContain('<Arn>arn:aws:iam::111122223333:user/iam-http-api-local</Arn>');
    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toBe(0);

    const again = start({ ...env, PORT: String(await freePort()) }, { args: ['--no-watch'] });
    await ready(again);
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
    expect(parseIni(fs.readFileSync(env.IAM_HTTP_API_CREDENTIALS, 'utf8')).get(partner)).toEqual(key);
  }, 60_000);
});
