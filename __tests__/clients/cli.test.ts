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
import { startStsGateway, type StsGateway } from '../support/sts-gateway';
import { startWebIdentityStack, type WebIdentityStack } from '../support/web-identity-stack';
import { resolveStsEndpoint } from '../../clients/cli/sts-endpoint';
import { hint } from '../../clients/cli/show';

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
    // No instance metadata lookups (a network that drops them would make a run wait).
    const common = { HOME: home, PATH: emptyBin, CDKTF_OUTDIR: path.join(scratch, 'cdktf.out'), AWS_EC2_METADATA_DISABLED: 'true' };
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
          `    ${path.join(home, '.aws', 'config')}: no such file`,
          '  AWS_WEB_IDENTITY_TOKEN_FILE: not set',
          '  container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI): not set',
          '  EC2 instance metadata: off (AWS_EC2_METADATA_DISABLED)',
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
          `    ${path.join(home, '.aws', 'config')}: no such file`,
          '  AWS_WEB_IDENTITY_TOKEN_FILE: not set',
          '  container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI): not set',
          '  EC2 instance metadata: off (AWS_EC2_METADATA_DISABLED)',
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
        invoker_deployer_role_arn: { sensitive: false, type: 'string', value: 'arn:aws:iam::123456789012:role/iam-http-api/iam-http-api-prod-deployer' },
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

    it('lists the deployed keys and the role invokers\' ARNs', async () => {
      expect(await runQuiet(['keys', '--stack', 'prod'], deployed)).toEqual({
        code: 0,
        stderr: '',
        stdout: [
          `Invoker keys of the deployed stack prod (terraform output in ${path.join(scratch, 'cdktf.out', 'stacks', 'prod')}):`,
          `  viewer  ${keyOf('viewer')}`,
          "The secrets are sensitive Terraform outputs, in the stack's state. iam-http-api keys INVOKER --stack prod --show-secret prints one; --env prints export lines for a shell.",
          "Roles of the deployed stack prod (outputs invoker_<name>_role_arn; no keys, assume one at AWS's STS):",
          '  deployer  arn:aws:iam::123456789012:role/iam-http-api/iam-http-api-prod-deployer',
          'Call as one: iam-http-api call PATH --stack prod --profile PROFILE --role-arn ARN (PROFILE: credentials allowed to assume it)',
          '',
        ].join('\n'),
      });
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

describe('iam-http-api with temporary credentials (a local gateway with its STS; the dev stack\'s role deployer, GET only, assumable by admin)', () => {
  let gw: StsGateway;
  let scratch: string;
  let env: Record<string, string>;
  let configFile: string;
  const ACCOUNT = '123456789012';
  const assumedArn = (session: string): string => `arn:aws:sts::${ACCOUNT}:assumed-role/iam-http-api-dev-deployer/${session}`;
  /** Every secret of the run: the invokers' and, when known, a session's. */
  const secrets = (): string[] => [...gw.keys.values()].map((key) => key.secretAccessKey);
  const quiet = async (args: string[], runEnv: Record<string, string> = env): Promise<Run> => {
    const result = await run(['call', ...args, '--retries', '0'], runEnv);
    expect(secrets().filter((secret) => `${result.stdout}${result.stderr}`.includes(secret))).toEqual([]);
    // A session token is long base64: none may be printed either (stdout is the echo handler's
    // event, whose headers hold the token the CLI sent, as API Gateway passes them on).
    expect(/[A-Za-z0-9+/=_-]{100,}/.test(result.stderr)).toBe(false);
    return result;
  };
  const iamOf = (result: Run): { userArn: string; accessKey: string } => JSON.parse(result.stdout).event.requestContext.authorizer.iam;
  const writeConfig = (text: string): string => {
    const file = path.join(scratch, `config-${fs.readdirSync(scratch).length}`);
    fs.writeFileSync(file, text);
    return file;
  };

  beforeAll(async () => {
    gw = await startStsGateway();
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'iam-http-api-cli-sts-'));
    const home = path.join(scratch, 'home');
    fs.mkdirSync(home);
    fs.writeFileSync(
      path.join(path.dirname(gw.credentialsFile), 'gateway.json'),
      JSON.stringify({
        url: gw.url, stack: 'dev', region: gw.stack.region, pid: process.pid, credentialsFile: gw.credentialsFile, denialsFile: gw.denialsFile, stsUrl: gw.stsUrl,
        roles: [{ name: 'iam-http-api-dev-deployer', arn: gw.deployerArn, assumableBy: ['admin'] }],
      }),
    );
    configFile = path.join(scratch, 'config');
    fs.writeFileSync(configFile, [
      '[profile deployer-local]', `role_arn = ${gw.deployerArn}`, 'source_profile = admin', `endpoint_url = ${gw.stsUrl}`, 'role_session_name = laptop', '',
      '[profile deployer-aws]', `role_arn = ${gw.deployerArn}`, 'source_profile = admin', 'role_session_name = env-var', '',
    ].join('\n'));
    // The local gateway's credentials file is found through IAM_HTTP_API_CREDENTIALS (gateway.json beside it), not AWS_SHARED_CREDENTIALS_FILE.
    env = { HOME: home, PATH: path.join(scratch, 'no-bin'), CDKTF_OUTDIR: path.join(scratch, 'cdktf.out'), AWS_EC2_METADATA_DISABLED: 'true', IAM_HTTP_API_CREDENTIALS: gw.credentialsFile, AWS_CONFIG_FILE: configFile };
  }, 120_000);
  afterAll(async () => {
    await gw?.close();
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('an assume-role profile (role_arn, source_profile = the local admin, endpoint_url = the local STS): GET as the assumed role, POST 403 and why', async () => {
    const get = await quiet(['/hello', '--profile', 'deployer-local', '--verbose']);
    expect(get.code).toBe(0);
    expect(iamOf(get)).toEqual(expect.objectContaining({ userArn: assumedArn('laptop'), accessKey: expect.stringMatching(/^ASIA/) }));
    expect(get.stderr).toContain(`* credentials: ${iamOf(get).accessKey} (profile deployer-local: role ${gw.deployerArn} assumed at ${gw.stsUrl} (endpoint_url of profile deployer-local in ${configFile}) with source_profile admin)\n`);
    expect(get.stderr).toMatch(/\* credentials expire at \d{4}-\d\d-\d\dT/);
    expect(get.stderr).toContain('> x-amz-security-token: <redacted>\n');

    const post = await quiet(['/items', '--profile', 'deployer-local', '--data', '{"message":"hi"}']);
    expect([post.code, post.stdout]).toEqual([4, pretty({ message: 'Forbidden' })]);
    expect(post.stderr).toMatch(/^HTTP\/1.1 403 Forbidden\nDenied: ASIA[A-Z0-9]{16} \(profile deployer-local: role .* may not POST \/items; /);
    expect(post.stderr).toContain(
      "Why (the local gateway's IAM decision): assumed-role/iam-http-api-dev-deployer/laptop POST /items: implicit deny: no statement allows execute-api:Invoke on " +
        `${gw.stack.executionArn}/$default/POST/items; nearest: statement 0 (InvokeAllowedRoutes) of inline policy invoke-api of the role allows $default/GET/* only\n`,
    );
  });

  it('the same profile without endpoint_url calls AWS; AWS_ENDPOINT_URL_STS points it at the local STS', async () => {
    expect(resolveStsEndpoint({ env: {}, profileName: 'deployer-aws', profile: { role_arn: gw.deployerArn, source_profile: 'admin' }, config: { file: configFile }, region: 'us-east-1' }))
      .toEqual({ from: 'AWS, https://sts.us-east-1.amazonaws.com' });
    const result = await quiet(['/hello', '--profile', 'deployer-aws', '--verbose'], { ...env, AWS_ENDPOINT_URL_STS: gw.stsUrl });
    expect(result.code).toBe(0);
    expect(iamOf(result).userArn).toBe(assumedArn('env-var'));
    expect(result.stderr).toContain(`with source_profile admin)\n`);
    expect(result.stderr).toContain(`assumed at ${gw.stsUrl} (AWS_ENDPOINT_URL_STS)`);
  });

  it('--role-arn assumes the role for one call at the running local gateway\'s STS', async () => {
    const result = await quiet(['/hello', '--profile', 'admin', '--role-arn', gw.deployerArn, '--role-session-name', 'one-call', '--duration-seconds', '900', '--verbose']);
    expect(result.code).toBe(0);
    const { userArn, accessKey } = iamOf(result);
    expect(userArn).toBe(assumedArn('one-call'));
    expect(result.stderr).toContain(
      `* credentials: ${accessKey} (role ${gw.deployerArn}, session one-call, assumed at ${gw.stsUrl} (the running local gateway's STS, stack dev) as ${gw.keys.get('admin')!.accessKeyId} (profile admin from ${gw.credentialsFile}))\n`,
    );
    const expires = Date.parse(/\* credentials expire at (\S+)/.exec(result.stderr)![1]);
    expect(Math.abs(expires - (Date.now() + 900_000))).toBeLessThan(30_000);
  });

  it('--role-arn as a principal the trust policy does not name: STS\'s AccessDenied, exit 1', async () => {
    const result = await quiet(['/hello', '--profile', 'viewer', '--role-arn', gw.deployerArn]);
    const viewerArn = gw.stack.invokers.find((i) => i.name === 'viewer')!.principal.arn;
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `Could not assume role ${gw.deployerArn} at ${gw.stsUrl} (the running local gateway's STS, stack dev) as ${gw.keys.get('viewer')!.accessKeyId} (profile viewer from ${gw.credentialsFile}): ` +
        `AccessDenied: User: ${viewerArn} is not authorized to perform: sts:AssumeRole on resource: ${gw.deployerArn}\n` +
        'iam-http-api keys lists the local roles and who may assume each.\n',
    });
  });

  it('--duration-seconds over the role\'s maximum: STS\'s ValidationError', async () => {
    const result = await quiet(['/hello', '--profile', 'admin', '--role-arn', gw.deployerArn, '--duration-seconds', '7200']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(': ValidationError: The requested DurationSeconds exceeds the MaxSessionDuration set for this role.\n');
  });

  it('--sts-url where nothing listens: exit 2, says so', async () => {
    const port = await freePort();
    const result = await quiet(['/hello', '--profile', 'admin', '--role-arn', gw.deployerArn, '--sts-url', `http://127.0.0.1:${port}`]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`Could not assume role ${gw.deployerArn} at http://127.0.0.1:${port} (--sts-url) as ${gw.keys.get('admin')!.accessKeyId} (profile admin from ${gw.credentialsFile}): connection refused. Is \`npm start\` running (its banner shows the local STS)? Or pass --sts-url URL.\n`);
  });

  it('a role profile with credential_source = Environment: the role assumed with the keys in the environment', async () => {
    const admin = gw.keys.get('admin')!;
    const config = writeConfig(`[profile from-env]\nrole_arn = ${gw.deployerArn}\ncredential_source = Environment\nrole_session_name = from-env\nendpoint_url = ${gw.stsUrl}\n`);
    const result = await quiet(['/hello', '--profile', 'from-env', '--verbose'], { ...env, AWS_CONFIG_FILE: config, AWS_ACCESS_KEY_ID: admin.accessKeyId, AWS_SECRET_ACCESS_KEY: admin.secretAccessKey });
    expect(result.code).toBe(0);
    expect(iamOf(result).userArn).toBe(assumedArn('from-env'));
    expect(result.stderr).toContain(`(profile from-env: role ${gw.deployerArn} assumed at ${gw.stsUrl} (endpoint_url of profile from-env in ${config}) with credential_source Environment)\n`);
  });

  it('a role profile whose STS does not answer: exit 2, says where it tried', async () => {
    const port = await freePort();
    const config = writeConfig(`[profile gone]\nrole_arn = ${gw.deployerArn}\nsource_profile = admin\nendpoint_url = http://127.0.0.1:${port}\n`);
    expect(await quiet(['/hello', '--profile', 'gone'], { ...env, AWS_CONFIG_FILE: config })).toEqual({
      code: 2,
      stdout: '',
      stderr: `Profile "gone" could not assume role ${gw.deployerArn} at http://127.0.0.1:${port} (endpoint_url of profile gone in ${config}): connection refused. ` +
        'Is `npm start` running (its banner shows the local STS)? Or point the profile\'s endpoint_url, AWS_ENDPOINT_URL_STS or --sts-url at a running STS.\n',
    });
  });

  it('a credential_process profile whose process prints a session from the local STS', async () => {
    const script = path.join(scratch, 'session-process.js');
    fs.writeFileSync(script, [
      `const { STSClient, AssumeRoleCommand } = require(${JSON.stringify(require.resolve('@aws-sdk/client-sts'))});`,
      `const keys = ${JSON.stringify(gw.keys.get('admin'))};`,
      `new STSClient({ region: 'us-east-1', endpoint: ${JSON.stringify(gw.stsUrl)}, credentials: keys })`,
      `  .send(new AssumeRoleCommand({ RoleArn: ${JSON.stringify(gw.deployerArn)}, RoleSessionName: 'from-process' }))`,
      '  .then(({ Credentials: c }) => console.log(JSON.stringify({ Version: 1, AccessKeyId: c.AccessKeyId, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken, Expiration: c.Expiration.toISOString() })));',
    ].join('\n'));
    const config = writeConfig(`[profile proc]\ncredential_process = ${process.execPath} ${script}\n`);
    const result = await quiet(['/hello', '--profile', 'proc', '--verbose'], { ...env, AWS_CONFIG_FILE: config });
    expect(result.code).toBe(0);
    expect(iamOf(result).userArn).toBe(assumedArn('from-process'));
    expect(result.stderr).toContain(`(profile proc: credential_process)\n`);
  });

  it('a profile that exists nowhere: every file and its profiles, no fallback to instance metadata', async () => {
    const result = await quiet(['/hello', '--profile', 'nobody']);
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: [
        'No credentials found. Tried:',
        '  profile "nobody" (from --profile) in:',
        `    ${gw.credentialsFile} (local gateway keys): no profile "nobody"; it has admin, editor, viewer`,
        `    ${path.join(env.HOME, '.aws', 'credentials')}: no such file`,
        `    ${configFile} (AWS_CONFIG_FILE): no profile "nobody"; it has deployer-local, deployer-aws`,
        'Pass --profile NAME with one of: admin, editor, viewer, deployer-local, deployer-aws (or set AWS_PROFILE), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.',
        '',
      ].join('\n'),
    });
  });

  it('a profile without credentials of any kind, and role options without --role-arn', async () => {
    const config = writeConfig('[profile bare]\nregion = us-east-1\n');
    expect(await quiet(['/hello', '--profile', 'bare'], { ...env, AWS_CONFIG_FILE: config })).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Profile "bare" has no credentials: it needs aws_access_key_id and aws_secret_access_key, role_arn with source_profile or credential_source, credential_process, ' +
        `role_arn with web_identity_token_file, or sso_* settings (searched: ${config}).\n`,
    });
    expect(await quiet(['/hello', '--profile', 'admin', '--external-id', 'x'])).toEqual({ code: 1, stdout: '', stderr: '--external-id is for assuming a role: add --role-arn ARN.\n' });
    expect(await quiet(['/hello', '--role-arn', 'deployer'])).toEqual({ code: 1, stdout: '', stderr: '--role-arn "deployer" is not a role ARN, e.g. arn:aws:iam::123456789012:role/NAME.\n' });
  });

  it('AWS_PROFILE beats the environment\'s keys, as in the AWS SDKs, and says so', async () => {
    const viewer = gw.keys.get('viewer')!;
    const result = await quiet(['/hello', '--verbose'], { ...env, AWS_PROFILE: 'admin', AWS_ACCESS_KEY_ID: viewer.accessKeyId, AWS_SECRET_ACCESS_KEY: viewer.secretAccessKey });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('Note: AWS_PROFILE=admin is set, so AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not used (as in the AWS SDKs); unset one of them.\n');
    expect(result.stderr).toContain(`* credentials: ${gw.keys.get('admin')!.accessKeyId} (profile admin from ${gw.credentialsFile})\n`);
  });

  it('keys lists the roles and who may assume them', async () => {
    const result = await run(['keys'], env);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').slice(-4)).toEqual([
      `Roles of the local gateway (its STS: ${gw.stsUrl}):`,
      `  iam-http-api-dev-deployer  ${gw.deployerArn}  assumable by admin`,
      'Call as one: iam-http-api call PATH --profile INVOKER --role-arn ARN; a session for a shell: eval "$(iam-http-api keys --role NAME --env)"',
      '',
    ]);
  });

  it('keys --role deployer --env: export lines of a new session assumed by admin, which then call as the role', async () => {
    expect(await run(['keys', '--role', 'deployer'], env)).toEqual({
      code: 0,
      stderr: '',
      stdout: `iam-http-api-dev-deployer  ${gw.deployerArn}  assumable by admin\n` +
        'No keys of its own: iam-http-api keys --role deployer --env prints export lines of a new session; call --role-arn ARN assumes it for one call.\n',
    });
    const exported = await run(['keys', '--role', 'deployer', '--env'], env);
    expect([exported.code, exported.stderr]).toEqual([0, '']);
    const lines = exported.stdout.split('\n');
    expect(lines[0]).toMatch(/^# iam-http-api-dev-deployer assumed by admin, expires \d{4}-\d\d-\d\dT\S+Z$/);
    const values = Object.fromEntries(lines.slice(1, 4).map((line) => /^export (\w+)='([^']*)'$/.exec(line)!.slice(1, 3)));
    expect(Object.keys(values)).toEqual(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']);
    expect(values.AWS_ACCESS_KEY_ID).toMatch(/^ASIA/);
    const result = await quiet(['/hello', '--verbose'], { ...env, ...values });
    expect(result.code).toBe(0);
    expect(iamOf(result).userArn).toMatch(new RegExp(`^${assumedArn('iam-http-api-')}\\d+$`));
    expect(result.stderr).toContain(`* credentials: ${values.AWS_ACCESS_KEY_ID} (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)\n`);
    expect(await run(['keys', '--role', 'nope'], env)).toEqual({ code: 1, stdout: '', stderr: 'No role "nope" in the local gateway\'s stack dev; it has iam-http-api-dev-deployer.\n' });
  });

  it('a session token the gateway did not issue, or an expired one: AWS\'s answer, and what to do', async () => {
    const exported = await run(['keys', '--role', 'deployer', '--env'], env);
    const values = Object.fromEntries(exported.stdout.split('\n').slice(1, 4).map((line) => /^export (\w+)='([^']*)'$/.exec(line)!.slice(1, 3)));
    const token = values.AWS_SESSION_TOKEN;
    const tampered = `${token.slice(0, 10)}${token[10] === 'A' ? 'B' : 'A'}${token.slice(11)}`;
    const result = await quiet(['/hello'], { ...env, ...values, AWS_SESSION_TOKEN: tampered });
    expect(result).toEqual({
      code: 4,
      stdout: pretty({ message: 'The security token included in the request is invalid.' }),
      stderr: 'HTTP/1.1 403 Forbidden\n' +
        `The API does not accept the session token of ${values.AWS_ACCESS_KEY_ID} (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY): it was not issued by this API's STS, or it was altered. ` +
        'Local sessions come from the local gateway\'s STS (a restart of npm start keeps them; deleting .iam-http-api/session-key and restarting it ends them all); a deployed API takes AWS\'s.\n',
    });
    const expired = hint({
      status: 403, errorType: 'ExpiredTokenException', message: 'The security token included in the request is expired', method: 'GET', url: new URL(`${gw.url}/hello`),
      target: { url: new URL(`${gw.url}/hello`), urlFrom: '--url', region: 'us-east-1', regionFrom: '--region', loopback: true },
      credentials: { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'x', sessionToken: 'y', expiration: new Date('2026-01-01T00:00:00Z'), source: 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY' },
      retried: 0,
    });
    expect(expired).toBe('The session of ASIAEXAMPLE (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) expired at 2026-01-01T00:00:00.000Z: get new temporary credentials (assume the role again: --role-arn, a role profile, or iam-http-api keys --role NAME --env).');
  });
});

describe('iam-http-api with a web identity (a CI job: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, a token from iam-http-api web-token)', () => {
  let stack: WebIdentityStack;
  let scratch: string;
  let tokenFile: string;

  beforeAll(async () => {
    stack = await startWebIdentityStack();
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'iam-http-api-cli-oidc-'));
    const minted = await run(['web-token', '--repository', 'my-org/my-repo', '--branch', 'main'], { HOME: scratch, PATH: '', IAM_HTTP_API_CREDENTIALS: stack.credentialsFile });
    expect([minted.code, minted.stderr]).toEqual([0, '']);
    tokenFile = path.join(scratch, 'token.jwt');
    fs.writeFileSync(tokenFile, minted.stdout);
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('the SDK\'s chain assumes the role with the token at AWS_ENDPOINT_URL_STS (or --sts-url): GET 200 as the role', async () => {
    const base = { HOME: scratch, PATH: '', AWS_EC2_METADATA_DISABLED: 'true', AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile, AWS_ROLE_ARN: stack.ciArn, AWS_ROLE_SESSION_NAME: 'ci-job' };
    const target = ['call', '/hello', '--url', stack.gatewayUrl, '--region', stack.stack.region, '--retries', '0', '--verbose'];
    for (const [how, extraEnv, extraArgs] of [['AWS_ENDPOINT_URL_STS', { AWS_ENDPOINT_URL_STS: stack.stsUrl }, []], ['--sts-url', {}, ['--sts-url', stack.stsUrl]]] as const) {
      const result = await run([...target, ...extraArgs], { ...base, ...extraEnv });
      expect({ how, code: result.code }).toEqual({ how, code: 0 });
      expect(JSON.parse(result.stdout).event.requestContext.authorizer.iam.userArn).toBe(`arn:aws:sts::123456789012:assumed-role/iam-http-api-dev-ci/ci-job`);
      expect(result.stderr).toContain(`(web identity: role ${stack.ciArn} assumed with the token in AWS_WEB_IDENTITY_TOKEN_FILE)\n`);
    }
  });
});
