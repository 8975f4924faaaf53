/**
 * The Node CLI (bin/iam-http-api.js), run as a child process against a local gateway. Every
 * run gets an explicit environment: no inherited AWS_* variables, HOME an empty folder, PATH
 * without terraform unless a test puts a fake one there. Secrets are compared as booleans,
 * so a failure never prints one.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { freePort } from '../support/moto-server';

const root = path.resolve(__dirname, '..', '..');
const BIN = path.join(root, 'bin', 'iam-http-api.js');

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: root, env, timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

const pretty = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;


describe('iam-http-api (Node CLI)', () => {
  let gw: TestGateway;
  let scratch: string;
  let home: string;
  let emptyBin: string;
  /** The local gateway found through gateway.json, its credentials also in AWS_SHARED_CREDENTIALS_FILE. */
  let env: Record<string, string>;
  /** Nothing local: no gateway.json, no credentials file, an empty outdir. */
  let bare: Record<string, string>;
  const secretOf = (name: string): string => gw.keys.get(name)!.secretAccessKey;
  const keyOf = (name: string): string => gw.keys.get(name)!.accessKeyId;
  /** The invokers whose secret is in the output: names only, so a failing test prints none. */
  const leaked = (result: Run): string[] => [...gw.keys].filter(([, key]) => `${result.stdout}${result.stderr}`.includes(key.secretAccessKey)).map(([name]) => name);
  /** Runs without printing a secret: checked first, so a later assertion never shows one. */
  const runQuiet = async (args: string[], runEnv: Record<string, string>): Promise<Run> => {
    const result = await run(args, runEnv);
    expect(leaked(result)).toEqual([]);
    return result;
  };
  const call = (args: string[], runEnv = env): Promise<Run> => runQuiet(['call', ...args, '--retries', '0'], runEnv);

  beforeAll(async () => {
    gw = await startTestGateway();
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'iam-http-api-cli-'));
    home = path.join(scratch, 'home');
    emptyBin = path.join(scratch, 'empty-bin');
    fs.mkdirSync(home);
    fs.mkdirSync(emptyBin);
    // What `npm start` writes beside its credentials file while it runs (this process stands in for its pid).
    fs.writeFileSync(
      path.join(path.dirname(gw.credentialsFile), 'gateway.json'),
      JSON.stringify({ url: gw.url, stack: 'dev', region: gw.stack.region, pid: process.pid, credentialsFile: gw.credentialsFile, denialsFile: gw.denialsFile }),
    );
    const common = { HOME: home, PATH: emptyBin, CDKTF_OUTDIR: path.join(scratch, 'cdktf.out') };
    env = { ...common, IAM_HTTP_API_CREDENTIALS: gw.credentialsFile, AWS_SHARED_CREDENTIALS_FILE: gw.credentialsFile };
    bare = { ...common, IAM_HTTP_API_CREDENTIALS: path.join(scratch, 'no-gateway', 'credentials'), AWS_SHARED_CREDENTIALS_FILE: path.join(scratch, 'missing-credentials') };
  });
  afterAll(async () => {
    await gw.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  describe('call', () => {
    it('GETs as the viewer from the running local gateway: status line on stderr, pretty JSON on stdout, exit 0', async () => {
      const result = await call(['/hello', '--profile', 'viewer']);
      expect(result).toEqual({ code: 0, stdout: pretty({ method: 'GET', path: '/hello', body: '' }), stderr: 'HTTP/1.1 200 OK\n' });
    });

    it('shows the 403 and says why when the viewer may not POST, exit 4', async () => {
      const result = await call(['/items', '--profile', 'viewer', '--data', '{"message":"hi"}']);
      expect(result.code).toBe(4);
      expect(result.stdout).toBe(pretty({ message: 'Forbidden' }));
      expect(result.stderr).toBe(
        'HTTP/1.1 403 Forbidden\n' +
          `Denied: ${keyOf('viewer')} (profile viewer from ${gw.credentialsFile}) may not POST /items; its IAM policy does not allow execute-api:Invoke on this route. ` +
          "Call as an invoker that may (the local gateway's banner lists what each may invoke), or change its allow rules in iam-http-api.config.ts.\n" +
          `Why (the local gateway's IAM decision): viewer POST /items: implicit deny: no statement allows execute-api:Invoke on ${gw.stack.executionArn}/$default/POST/items; ` +
          'nearest: statement 0 (InvokeAllowedRoutes) of inline policy invoke-api allows $default/GET/* only\n',
      );
      const denials = JSON.parse(fs.readFileSync(gw.denialsFile, 'utf8'));
      expect(fs.statSync(gw.denialsFile).mode & 0o777).toBe(0o600);
      expect(JSON.stringify(denials)).not.toContain(secretOf('viewer'));
    });

    it('POSTs --data as the admin (POST is the default method with --data) and gets the echo', async () => {
      const result = await call(['/items', '--profile', 'admin', '--data', '{"message":"hi"}']);
      expect(result).toEqual({ code: 0, stdout: pretty({ method: 'POST', path: '/items', body: { message: 'hi' } }), stderr: 'HTTP/1.1 200 OK\n' });
    });

    it('sends --data @file with an explicit METHOD, the profile from AWS_PROFILE', async () => {
      const file = path.join(scratch, 'body.json');
      fs.writeFileSync(file, '{"message":"from a file"}');
      const result = await call(['PUT', '/items/7', '--data', `@${file}`], { ...env, AWS_PROFILE: 'editor' });
      expect(result).toEqual({ code: 0, stdout: pretty({ method: 'PUT', path: '/items/7', body: { message: 'from a file' } }), stderr: 'HTTP/1.1 200 OK\n' });
    });

    it('signs --header values, and --verbose shows the signed request with the signature redacted and never the secret', async () => {
      const result = await call(['/items?q=1', '--profile', 'admin', '--header', 'x-request-id: 42', '--verbose']);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(pretty({ method: 'GET', path: '/items', body: '' }));
      const lines = result.stderr.split('\n');
      expect(lines.slice(0, 5)).toEqual([
        `* URL ${gw.url}/items?q=1 (from the running local gateway, stack dev)`,
        `* region ${gw.stack.region} (from the running local gateway, stack dev), service execute-api`,
        `* credentials: ${keyOf('admin')} (profile admin from ${gw.credentialsFile})`,
        '> GET /items?q=1 HTTP/1.1',
        `> host: ${gw.host}`,
      ]);
      expect(lines).toContainEqual(expect.stringMatching(
        new RegExp(`^> authorization: AWS4-HMAC-SHA256 Credential=${keyOf('admin')}/\\d{8}/${gw.stack.region}/execute-api/aws4_request, SignedHeaders=host;x-amz-date;x-request-id, Signature=<redacted>$`),
      ));
      expect(lines).toContain('> x-request-id: 42');
      expect(lines).toContain('< HTTP/1.1 200 OK');
      expect(/Signature=[0-9a-f]{64}/.test(result.stderr)).toBe(false);
      expect(result.stderr.includes(secretOf('admin'))).toBe(false);
    });

    it('uses AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, and --verbose redacts X-Amz-Security-Token', async () => {
      const token = 'session-token-that-must-not-be-printed';
      const result = await call(['/hello', '--verbose'], { ...env, AWS_ACCESS_KEY_ID: keyOf('viewer'), AWS_SECRET_ACCESS_KEY: secretOf('viewer'), AWS_SESSION_TOKEN: token });
      expect(result.stderr).toContain(`* credentials: ${keyOf('viewer')} (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)\n`);
      expect(result.stderr).toContain('> x-amz-security-token: <redacted>\n');
      expect(result.stderr.includes(token) || result.stdout.includes(token)).toBe(false);
      expect(result.stderr.includes(secretOf('viewer'))).toBe(false);
    });

    it('fails without credentials, listing everything it tried', async () => {
      const result = await call(['/hello', '--url', gw.url, '--region', 'us-east-1'], bare);
      expect(result).toEqual({
        code: 1,
        stdout: '',
        stderr: [
          'No credentials found. Tried:',
          '  AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: not set',
          '  profile "default" (no --profile given, AWS_PROFILE not set) in:',
          `    ${bare.AWS_SHARED_CREDENTIALS_FILE} (AWS_SHARED_CREDENTIALS_FILE): no such file`,
          `    ${bare.IAM_HTTP_API_CREDENTIALS} (local gateway keys): no such file`,
          `    ${path.join(home, '.aws', 'credentials')}: no such file`,
          "Pass --profile NAME or set AWS_PROFILE (`npm start` creates the local gateway's profiles), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.",
          '',
        ].join('\n'),
      });
    });

    it('without a profile, names the profiles the local gateway has', async () => {
      const result = await call(['/hello']);
      expect(result).toEqual({
        code: 1,
        stdout: '',
        stderr: [
          'No credentials found. Tried:',
          '  AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: not set',
          '  profile "default" (no --profile given, AWS_PROFILE not set) in:',
          `    ${gw.credentialsFile} (AWS_SHARED_CREDENTIALS_FILE): no profile "default"; it has admin, editor, viewer`,
          `    ${path.join(home, '.aws', 'credentials')}: no such file`,
          'Pass --profile NAME with one of: admin, editor, viewer (or set AWS_PROFILE), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.',
          '',
        ].join('\n'),
      });
    });

    it('rejects a bad --url', async () => {
      const result = await call(['/hello', '--profile', 'viewer', '--url', 'notaurl']);
      expect(result).toEqual({
        code: 1,
        stdout: '',
        stderr: '--url "notaurl" is not an http(s) URL; use e.g. --url http://127.0.0.1:3000 or --url https://<api-id>.execute-api.<region>.amazonaws.com.\n',
      });
    });

    it('says to run npm start when nothing listens, exit 2', async () => {
      const port = await freePort();
      const result = await call(['/hello', '--profile', 'viewer', '--url', `http://127.0.0.1:${port}`, '--region', 'us-east-1']);
      expect(result).toEqual({
        code: 2,
        stdout: '',
        stderr: `Could not connect to http://127.0.0.1:${port} (URL from --url): connection refused. Is \`npm start\` running? Start the local gateway with \`npm start\` (it prints its URL), or pass --url with the right port.\n`,
      });
    });

    it('says where a URL could come from when there is none', async () => {
      const result = await call(['/hello', '--profile', 'viewer'], bare);
      expect(result).toEqual({
        code: 1,
        stdout: '',
        stderr: 'No URL to call: start the local gateway with `npm start`, or pass --url URL, or set API_URL, or pass --stack NAME to call a deployed stack (its api_url output).\n',
      });
    });

    it('rejects an unknown option and a malformed --header before doing anything', async () => {
      expect(await call(['/hello', '--frobnicate'])).toEqual({ code: 1, stdout: '', stderr: 'Unknown option --frobnicate for "call". Run iam-http-api help for the commands and options.\n' });
      expect(await call(['/hello', '--header', 'no colon'])).toEqual({ code: 1, stdout: '', stderr: '--header "no colon" is not "Name: value", e.g. --header \'x-request-id: 42\'.\n' });
    });
  });

  describe('keys', () => {
    it('lists key ids and the credentials file, never a secret', async () => {
      const result = await runQuiet(['keys'], env);
      expect(result).toEqual({
        code: 0,
        stderr: '',
        stdout: [
          `Invoker keys of the local gateway (${gw.credentialsFile}):`,
          `  admin   ${keyOf('admin')}`,
          `  editor  ${keyOf('editor')}`,
          `  viewer  ${keyOf('viewer')}`,
          'The secrets are in that file. iam-http-api keys INVOKER --show-secret prints one; --env prints export lines for a shell.',
          '',
        ].join('\n'),
      });
    });

    it('shows one invoker: key id and where the secret is', async () => {
      const result = await runQuiet(['keys', 'viewer'], env);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(`viewer  ${keyOf('viewer')}\nsecret  in ${gw.credentialsFile}, profile [viewer]; iam-http-api keys viewer --show-secret prints it\n`);
    });

    it('prints the secret with --show-secret, and export lines with --env', async () => {
      const shown = await run(['keys', 'viewer', '--show-secret'], env);
      expect(shown.code).toBe(0);
      expect(shown.stdout === `${secretOf('viewer')}\n`).toBe(true);
      const exported = await run(['keys', 'viewer', '--env'], env);
      expect(exported.code).toBe(0);
      const lines = exported.stdout.split('\n');
      expect(lines[0]).toBe(`export AWS_ACCESS_KEY_ID='${keyOf('viewer')}'`);
      expect(lines[1] === `export AWS_SECRET_ACCESS_KEY='${secretOf('viewer')}'`).toBe(true);
      expect(lines.slice(2)).toEqual(['unset AWS_SESSION_TOKEN', '']);
    });

    it('names the invokers when asked for one that does not exist', async () => {
      expect(await runQuiet(['keys', 'nobody'], env)).toEqual({ code: 1, stdout: '', stderr: `No invoker "nobody". Invoker keys of the local gateway (${gw.credentialsFile}): admin, editor, viewer.\n` });
    });
  });

  describe('a deployed stack (--stack, read with terraform output -json)', () => {
    let deployed: Record<string, string>;
    beforeAll(() => {
      const stackDir = path.join(scratch, 'cdktf.out', 'stacks', 'prod');
      fs.mkdirSync(stackDir, { recursive: true });
      fs.writeFileSync(path.join(stackDir, 'cdk.tf.json'), '{}');
      const outputs = path.join(scratch, 'outputs.json');
      fs.writeFileSync(outputs, JSON.stringify({
        api_url: { sensitive: false, type: 'string', value: gw.url },
        region: { sensitive: false, type: 'string', value: gw.stack.region },
        invoker_viewer_access_key_id: { sensitive: false, type: 'string', value: keyOf('viewer') },
        invoker_viewer_secret_access_key: { sensitive: true, type: 'string', value: secretOf('viewer') },
      }) + '\n');
      // A stand-in for terraform, shell builtins only (PATH holds nothing else).
      const fakeBin = path.join(scratch, 'fake-terraform');
      fs.mkdirSync(fakeBin);
      fs.writeFileSync(path.join(fakeBin, 'terraform'), `#!/bin/sh\n[ "$*" = "output -no-color -json" ] || exit 3\nwhile IFS= read -r line; do printf '%s\\n' "$line"; done < '${outputs}'\n`, { mode: 0o755 });
      deployed = { ...bare, PATH: fakeBin, AWS_SHARED_CREDENTIALS_FILE: gw.credentialsFile };
    });

    it('calls the api_url output, signing for the region output', async () => {
      const result = await call(['/hello', '--stack', 'prod', '--profile', 'viewer', '--verbose'], deployed);
      expect(result).toEqual({
        code: 0,
        stdout: pretty({ method: 'GET', path: '/hello', body: '' }),
        stderr: expect.stringContaining(
          `* URL ${gw.url}/hello (from the api_url output of the deployed stack prod)\n` +
            `* region ${gw.stack.region} (from the region output of the deployed stack prod), service execute-api\n`,
        ),
      });
    });

    it('shows the deployed keys, and --env exports the URL and region too', async () => {
      expect(await runQuiet(['keys', 'viewer', '--stack', 'prod'], deployed)).toEqual({
        code: 0,
        stderr: '',
        stdout: `viewer  ${keyOf('viewer')}\nsecret  the sensitive Terraform output invoker_viewer_secret_access_key of stack prod, in its state; iam-http-api keys viewer --stack prod --show-secret prints it\n`,
      });
      const exported = await run(['keys', 'viewer', '--stack', 'prod', '--env'], deployed);
      expect(exported.code).toBe(0);
      const lines = exported.stdout.split('\n');
      expect(lines[1] === `export AWS_SECRET_ACCESS_KEY='${secretOf('viewer')}'`).toBe(true);
      expect(lines.slice(2)).toEqual(['unset AWS_SESSION_TOKEN', `export AWS_REGION='${gw.stack.region}'`, `export API_URL='${gw.url}'`, '']);
    });

    it('says so when terraform is missing', async () => {
      const result = await call(['/hello', '--stack', 'prod', '--profile', 'viewer'], { ...deployed, PATH: emptyBin });
      expect(result).toEqual({
        code: 1,
        stdout: '',
        stderr: 'terraform is not installed or not on PATH; it is needed to read the outputs of the deployed stack "prod". Install it (https://developer.hashicorp.com/terraform/install), or pass --url URL (npx cdktf output shows api_url).\n',
      });
    });
  });
});
