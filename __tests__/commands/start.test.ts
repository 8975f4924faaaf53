import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { parseIni } from '../../src/gateway/credentials';
import { send, smithySign } from '../support/smithy-sign';
import { freePort } from '../support/moto-server';
import { ready, start } from '../support/npm-start';

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
    expect(running).toEqual({ url: `http://127.0.0.1:${port}`, stack: 'dev', region: 'us-east-1', pid: gateway.child.pid, credentialsFile: env.IAM_HTTP_API_CREDENTIALS, denialsFile: path.join(scratch, 'denials.json') });

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

  it('names the stack it cannot find', async () => {
    const gateway = start({ ...env, STACK: 'staging', PORT: String(await freePort()) });
    expect(await gateway.exited).toBe(1);
    expect(gateway.stderr.trim()).toBe(`No synthesized stack "staging": ${path.join(env.CDKTF_OUTDIR, 'stacks', 'staging', 'cdk.tf.json')} does not exist. Run npm run synth, or pick a stack with STACK=<name>.`);
  }, 30_000);
});
