/**
 * The Go client (clients/go/main.go, aws-sdk-go-v2's v4 signer) against a local gateway.
 *
 * It is built once per run by the offline recipe in main.go's header, run as printed (only the
 * gateway's port changed) from a folder holding the gateway's `.iam-http-api/credentials` and a
 * link to clients/: GOPATH mode against Debian 12's golang-go (1.19) and
 * golang-github-aws-aws-sdk-go-v2-dev (1.17.1) in /usr/share/gocode, no module proxy. The Go
 * build cache is kept in .build/go-cache, so later runs build in well under a second.
 * The binary then reads its credentials as AWS tools do (AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE).
 *
 * With temporary credentials: the test assumes the dev stack's role `deployer` at a local STS
 * with @aws-sdk/client-sts and runs the client with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
 * and AWS_SESSION_TOKEN; aws-sdk-go-v2's config loads the token into aws.Credentials
 * (SessionToken) and its v4 signer sends it as X-Amz-Security-Token.
 *
 * Without Go or the SDK the tests skip and say why, unless IAM_HTTP_API_REQUIRE_GO is set (as
 * .ci/run does), which makes that a failure. `bash scripts/setup-go.sh` installs both.
 */
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { startStsGateway, type StsGateway } from '../support/sts-gateway';

const root = path.resolve(__dirname, '..', '..');
const MAIN_GO = path.join(root, 'clients', 'go', 'main.go');
const GO_CACHE = path.join(root, '.build', 'go-cache');
const SDK_SIGNER = '/usr/share/gocode/src/github.com/aws/aws-sdk-go-v2/aws/signer/v4';
const README_ORIGIN = 'http://127.0.0.1:3000';
const FORBIDDEN = { message: 'Forbidden' };
const BAD_REQUEST = { message: 'Bad Request' };
const SIGNATURE_MISMATCH = {
  message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
};

/** Why the Go client cannot be built here, or undefined when it can. */
function goMissing(): string | undefined {
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.error || go.status !== 0) return 'go is not installed';
  if (!fs.existsSync(SDK_SIGNER)) return `aws-sdk-go-v2 is not in /usr/share/gocode (${SDK_SIGNER} is missing)`;
  return undefined;
}

/** `describe`, or `describe.skip` with the reason printed, or a failing suite when Go is required. */
function describeWithGo(name: string, body: () => void): void {
  const missing = goMissing();
  if (!missing) {
    describe(name, body);
  } else if (process.env.IAM_HTTP_API_REQUIRE_GO) {
    describe(name, () => {
      it('has Go and aws-sdk-go-v2 (IAM_HTTP_API_REQUIRE_GO is set)', () => {
        throw new Error(`cannot run: ${missing}; install them with: bash scripts/setup-go.sh`);
      });
    });
  } else {
    console.warn(`Skipping "${name}": ${missing} (install Go and aws-sdk-go-v2 with: bash scripts/setup-go.sh). Set IAM_HTTP_API_REQUIRE_GO=1 to make this a failure.`);
    describe.skip(name, body);
  }
}

/** The shell lines of the header's offline recipe (the first tab-indented comment block after "Offline"). */
function offlineRecipe(source: string): string[] {
  const lines = source.split('\n');
  const start = lines.findIndex((l) => l.startsWith('// Offline'));
  const first = lines.findIndex((l, i) => i > start && l.startsWith('//\t'));
  const recipe: string[] = [];
  for (let i = first; i >= 0 && lines[i].startsWith('//\t'); i++) recipe.push(lines[i].slice(3));
  return recipe;
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a process without blocking the event loop (the gateway answers from this process). */
function run(file: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { ...options, encoding: 'utf8', timeout: 120_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(error);
      else resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

interface CallResult {
  readonly code: number;
  readonly statusLine: string;
  readonly json: unknown;
}

describe('Go client: the recipe', () => {
  it("the README's Go block is main.go's offline recipe, line for line", () => {
    const recipe = offlineRecipe(fs.readFileSync(MAIN_GO, 'utf8'));
    expect(recipe).toHaveLength(3);
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const block = /\n```sh\n(D="\$\(mktemp -d\)"[\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(block.split('\n').filter((l) => l !== '' && !l.startsWith('#'))).toEqual(recipe);
  });
});

describeWithGo('Go client (clients/go/main.go, aws-sdk-go-v2 signer)', () => {
  let gw: TestGateway;
  let cwd: string;
  let buildDir: string;
  let recipeRun: Run;

  beforeAll(async () => {
    gw = await startTestGateway();
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'iam-http-api-go-'));
    fs.mkdirSync(path.join(cwd, '.iam-http-api'), { mode: 0o700 });
    fs.copyFileSync(gw.credentialsFile, path.join(cwd, '.iam-http-api', 'credentials'));
    fs.symlinkSync(path.join(root, 'clients'), path.join(cwd, 'clients'));
    fs.mkdirSync(GO_CACHE, { recursive: true });
    const recipe = offlineRecipe(fs.readFileSync(MAIN_GO, 'utf8'));
    const script = [...recipe.map((l) => l.split(README_ORIGIN).join(gw.url)), 'echo "@@build-dir=$D"'].join('\n');
    const env = { PATH: process.env.PATH, HOME: cwd, LANG: 'C.UTF-8', GOCACHE: GO_CACHE };
    recipeRun = await run('bash', ['-e', '-c', script], { cwd, env });
    const match = /@@build-dir=(.*)\n/.exec(recipeRun.stdout);
    buildDir = match ? match[1] : '';
  }, 180_000);

  afterAll(async () => {
    await gw?.close();
    if (cwd) fs.rmSync(cwd, { recursive: true, force: true });
    if (buildDir.startsWith(os.tmpdir())) fs.rmSync(buildDir, { recursive: true, force: true });
  });

  /** Runs the built client as `invoker`, with the gateway's credentials file. */
  async function call(invoker: string, method: string, target: string, body?: string): Promise<CallResult> {
    const env = { PATH: process.env.PATH, HOME: cwd, AWS_SHARED_CREDENTIALS_FILE: gw.credentialsFile, AWS_PROFILE: invoker };
    const args = [method, `${gw.url}${target}`, ...(body === undefined ? [] : [body])];
    const result = await run(path.join(buildDir, 'call'), args, { cwd, env });
    expect(result.stderr).toBe('');
    const newline = result.stdout.indexOf('\n');
    return { code: result.code, statusLine: result.stdout.slice(0, newline), json: JSON.parse(result.stdout.slice(newline + 1)) as unknown };
  }

  const OK = { code: 0, statusLine: 'HTTP/1.1 200 OK' };
  const echo = (method: string, echoedPath: string, body: unknown = '') => ({ ...OK, json: { method, path: echoedPath, body } });
  const denied = (status: string, json: unknown) => ({ code: 1, statusLine: `HTTP/1.1 ${status}`, json });

  it("builds offline and runs by the header's recipe, as printed: viewer GET /hello → 200 echo", () => {
    expect(recipeRun.stderr).toBe('');
    expect(recipeRun.code).toBe(0);
    expect(recipeRun.stdout).toBe(`HTTP/1.1 200 OK\n{"method":"GET","path":"/hello","body":""}\n@@build-dir=${buildDir}\n`);
    for (const key of gw.keys.values()) expect(recipeRun.stdout).not.toContain(key.secretAccessKey);
  });

  describe('the seed cases', () => {
    it('viewer GET /items → 200 echo', async () => {
      expect(await call('viewer', 'GET', '/items')).toEqual(echo('GET', '/items'));
    });
    it('viewer POST /items → 403 Forbidden, exit 1', async () => {
      expect(await call('viewer', 'POST', '/items', '{"n":1}')).toEqual(denied('403 Forbidden', FORBIDDEN));
    });
    it('admin POST /items with JSON → 200 echoing the body', async () => {
      expect(await call('admin', 'POST', '/items', '{"message":"hi"}')).toEqual(echo('POST', '/items', { message: 'hi' }));
    });
  });

  describe('what it signs as AWS does', () => {
    it.each([
      ['an encoded path (encoded twice in the canonical request)', '/files/a%20b/c', '/files/a b/c'],
      ['a non-ASCII path', '/files/café', '/files/café'],
      ["a raw '+' in the path", '/files/a+b', '/files/a+b'],
      ['an unsorted query (it sends the query sorted, as signed)', '/items?b=2&a=1', '/items'],
      ["'+' for a space in the query", '/items?q=a+b', '/items'],
      ['repeated keys whose values sort the same decoded and encoded', '/items?name=bob&name=alice', '/items'],
      ['one escaped non-ASCII value', '/items?name=%C3%A9mile', '/items'],
    ])('%s: GET %s → 200', async (_what, target, echoedPath) => {
      expect(await call('viewer', 'GET', target)).toEqual(echo('GET', echoedPath));
    });
  });

  describe('what it signs differently from AWS', () => {
    it.each([
      ['repeated values: sorted before encoding (zoe < émile), AWS sorts after (%C3%A9mile < zoe)', '/items?name=zoe&name=%C3%A9mile'],
      ['names: sorted before encoding too', '/items?zoe=1&%C3%A9mile=2'],
    ])('%s: GET %s → 403 signature mismatch', async (_what, target) => {
      expect(await call('viewer', 'GET', target)).toEqual(denied('403 Forbidden', SIGNATURE_MISMATCH));
    });

    it.each([
      ['a ".." segment', '/items/../hello'],
      ['a "." segment', '/items/./x'],
      ['an empty segment', '/items//x'],
    ])('no path normalization, %s is sent as written (and signed so, v4.go GetURIPath): GET %s → 400 from the gateway', async (_what, target) => {
      expect(await call('viewer', 'GET', target)).toEqual(denied('400 Bad Request', BAD_REQUEST));
    });
  });
  describe('with temporary credentials (the dev stack\'s role deployer, GET only, assumed at a local STS)', () => {
    let sts: StsGateway;
    let session: { accessKeyId: string; secretAccessKey: string; sessionToken: string };

    beforeAll(async () => {
      sts = await startStsGateway();
      const client = new STSClient({ region: sts.stack.region, endpoint: sts.stsUrl, credentials: sts.keys.get('admin')! });
      const { Credentials: c } = await client.send(new AssumeRoleCommand({ RoleArn: sts.deployerArn, RoleSessionName: 'go-client' }));
      session = { accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken! };
    }, 120_000);
    afterAll(async () => {
      await sts?.close();
    });

    /** Runs the built client with session credentials in the environment (no profile, no files). */
    async function callAsSession(method: string, target: string, token = session.sessionToken, body?: string): Promise<CallResult & { stdout: string }> {
      const env = {
        PATH: process.env.PATH, HOME: cwd, AWS_CONFIG_FILE: path.join(cwd, 'no-config'), AWS_SHARED_CREDENTIALS_FILE: path.join(cwd, 'no-credentials'),
        AWS_ACCESS_KEY_ID: session.accessKeyId, AWS_SECRET_ACCESS_KEY: session.secretAccessKey, AWS_SESSION_TOKEN: token,
      };
      const result = await run(path.join(buildDir, 'call'), [method, `${sts.url}${target}`, ...(body === undefined ? [] : [body])], { cwd, env });
      expect(result.stderr).toBe('');
      // The echo handler prints the event, whose headers hold the token as sent; never the secret.
      expect(result.stdout.includes(session.secretAccessKey)).toBe(false);
      const newline = result.stdout.indexOf('\n');
      return { code: result.code, statusLine: result.stdout.slice(0, newline), json: JSON.parse(result.stdout.slice(newline + 1)) as unknown, stdout: result.stdout };
    }

    it('GET → 200 as the assumed role: the gateway saw the session token and the ASIA key', async () => {
      const result = await callAsSession('GET', '/hello');
      expect([result.code, result.statusLine]).toEqual([0, 'HTTP/1.1 200 OK']);
      const { requestContext, headers } = (result.json as { event: { headers: Record<string, string>; requestContext: { authorizer: { iam: Record<string, unknown> } } } }).event;
      // Compared as a boolean, so a failure never prints the token.
      expect(headers['x-amz-security-token'] === session.sessionToken).toBe(true);
      expect(requestContext.authorizer.iam).toEqual(expect.objectContaining({
        accessKey: session.accessKeyId,
        userArn: 'arn:aws:sts::123456789012:assumed-role/iam-http-api-dev-deployer/go-client',
      }));
    });

    it('POST → 403 Forbidden: deployer may only GET', async () => {
      const result = await callAsSession('POST', '/items', session.sessionToken, '{"message":"hi"}');
      expect([result.code, result.statusLine, result.json]).toEqual([1, 'HTTP/1.1 403 Forbidden', FORBIDDEN]);
    });

    it('a tampered session token → 403 with AWS\'s words', async () => {
      const tampered = `${session.sessionToken.slice(0, -4)}${session.sessionToken.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
      const result = await callAsSession('GET', '/hello', tampered);
      expect([result.code, result.statusLine, result.json]).toEqual([1, 'HTTP/1.1 403 Forbidden', { message: 'The security token included in the request is invalid.' }]);
    });
  });
});
