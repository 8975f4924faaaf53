/**
 * The browser page (clients/web) in real headless Chromium (Debian's, /usr/bin/chromium,
 * installed by scripts/setup-browser.sh), driven by playwright-core: the page is served by
 * startPageServer() on one loopback port and calls a test gateway on another, whose CORS
 * configuration allows the page's origin, so Chromium sends real preflights.
 *
 * Without /usr/bin/chromium the browser tests skip and say why, unless
 * IAM_HTTP_API_REQUIRE_BROWSER is set (as .ci/run does), which makes that a failure.
 * Screenshots: __tests__/artifacts/web-page.png and web-page-role.png ("Call as a role") on
 * every run; docs/web-page.png and docs/web-page-role.png (the README's) when missing or
 * IAM_HTTP_API_UPDATE_SCREENSHOT=1.
 *
 * "Call as a role" runs against the project's dev stack with a gateway and the local STS in this
 * process (startRoleEnvironment), on a clock the test moves together with the page's.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import * as ts from 'typescript';
import { Testing } from 'cdktf';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import projectConfig from '../../iam-http-api.config';
import { PagePortInUseError, startPageServer, type PageServer } from '../../src/commands/page-server';
import { ensureInvokerKeys, type InvokerKey } from '../../src/gateway/credentials';
import { loadStack, type LoadedStack } from '../../src/gateway/load-stack';
import { LocalGateway, type AccessLogEntry } from '../../src/gateway/server';
import { StsServer, whoMayAssume } from '../../src/gateway/sts-server';
import { FIXTURES, startTestGateway, type TestGateway } from '../support/gateway';
import { ready, start } from '../support/npm-start';
import { synthStack } from '../support/synth';

const root = path.resolve(__dirname, '..', '..');
/** Debian's Chromium by default; IAM_HTTP_API_CHROMIUM names another Chromium or Chrome (GitHub's runners have Chrome). */
const CHROMIUM = process.env.IAM_HTTP_API_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'];
const ARTIFACT = path.join(root, '__tests__', 'artifacts', 'web-page.png');
const README_SCREENSHOT = path.join(root, 'docs', 'web-page.png');
const ROLE_ARTIFACT = path.join(root, '__tests__', 'artifacts', 'web-page-role.png');
const README_ROLE_SCREENSHOT = path.join(root, 'docs', 'web-page-role.png');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** `describe`, or `describe.skip` with the reason printed, or a failing suite when the browser is required. */
function describeWithChromium(name: string, body: () => void): void {
  if (fs.existsSync(CHROMIUM)) {
    describe(name, body);
  } else if (process.env.IAM_HTTP_API_REQUIRE_BROWSER) {
    describe(name, () => {
      it('has Chromium at /usr/bin/chromium (IAM_HTTP_API_REQUIRE_BROWSER is set)', () => {
        throw new Error(`cannot run: ${CHROMIUM} is missing; install it with: bash scripts/setup-browser.sh`);
      });
    });
  } else {
    console.warn(`Skipping "${name}": ${CHROMIUM} is missing (install it with: bash scripts/setup-browser.sh). Set IAM_HTTP_API_REQUIRE_BROWSER=1 to make this a failure.`);
    describe.skip(name, body);
  }
}

describe('browser page: build and page server (no browser needed)', () => {
  it('type-checks clients/web/main.ts with DOM types (clients/web/tsconfig.json)', () => {
    const configFile = path.join(root, 'clients', 'web', 'tsconfig.json');
    const { config, error } = ts.readConfigFile(configFile, (file) => ts.sys.readFile(file));
    expect(error).toBeUndefined();
    const parsed = ts.parseJsonConfigFileContent(config, ts.sys, path.dirname(configFile));
    const diagnostics = ts.getPreEmitDiagnostics(ts.createProgram(parsed.fileNames, parsed.options));
    expect(diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);
  }, 30_000);

  it('serves the page with the gateway URL and region filled in, the bundle, and a CSP allowing only the gateway', async () => {
    const server = await startPageServer({ port: 0, gatewayUrl: 'http://127.0.0.1:3999/', region: 'eu-central-1' });
    try {
      const index = await fetch(`${server.url}/`);
      expect(index.status).toBe(200);
      const html = await index.text();
      expect(html).toContain('data-gateway-url="http://127.0.0.1:3999" data-region="eu-central-1"');
      expect(html).not.toContain('{{');
      expect(index.headers.get('content-security-policy')).toContain('connect-src http://127.0.0.1:3999;');
      expect(await (await fetch(`${server.url}/config.json`)).json()).toEqual({ gatewayUrl: 'http://127.0.0.1:3999', region: 'eu-central-1', roles: [] });
      const script = await fetch(`${server.url}/main.js`);
      expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(await script.text()).toContain('AWS4-HMAC-SHA256');
      expect((await fetch(`${server.url}/nope`)).status).toBe(404);
      expect((await fetch(`${server.url}/`, { method: 'POST' })).status).toBe(405);
    } finally {
      await server.close();
    }
  });

  it('injects the STS URL and the roles (HTML-escaped JSON, read per request) and lets the page connect to the STS too', async () => {
    let roles = [{ name: 'r1', arn: 'arn:aws:iam::123456789012:role/r1', assumableBy: ['admin'] }];
    const server = await startPageServer({ port: 0, gatewayUrl: 'http://127.0.0.1:3999', region: 'us-east-1', stsUrl: 'http://127.0.0.1:3998/', roles: () => roles });
    try {
      const index = await fetch(`${server.url}/`);
      const html = await index.text();
      expect(html).toContain('data-sts-url="http://127.0.0.1:3998" data-roles="[{&#34;name&#34;:&#34;r1&#34;,&#34;arn&#34;:&#34;arn:aws:iam::123456789012:role/r1&#34;,&#34;assumableBy&#34;:[&#34;admin&#34;]}]"');
      expect(index.headers.get('content-security-policy')).toContain('connect-src http://127.0.0.1:3999 http://127.0.0.1:3998;');
      roles = [];
      expect(await (await fetch(`${server.url}/config.json`)).json()).toEqual({ gatewayUrl: 'http://127.0.0.1:3999', region: 'us-east-1', stsUrl: 'http://127.0.0.1:3998', roles: [] });
      expect(await (await fetch(`${server.url}/`)).text()).toContain('data-roles="[]"');
    } finally {
      await server.close();
    }
  });

  it('learns the STS URL after it starts (setStsUrl, as npm start does); before that the page gets none', async () => {
    const server = await startPageServer({ port: 0, gatewayUrl: 'http://127.0.0.1:3999', region: 'us-east-1' });
    try {
      const before = await fetch(`${server.url}/`);
      expect(await before.text()).toContain('data-sts-url=""');
      expect(before.headers.get('content-security-policy')).toContain('connect-src http://127.0.0.1:3999;');
      server.setStsUrl('http://127.0.0.1:3997');
      const after = await fetch(`${server.url}/`);
      expect(await after.text()).toContain('data-sts-url="http://127.0.0.1:3997"');
      expect(after.headers.get('content-security-policy')).toContain('connect-src http://127.0.0.1:3999 http://127.0.0.1:3997;');
      expect(() => server.setStsUrl('not a url')).toThrow('The STS URL "not a url" is not a URL');
    } finally {
      await server.close();
    }
  });

  it('rejects a busy port with PagePortInUseError, saying what to do', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => blocker.once('listening', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const started = startPageServer({ port, gatewayUrl: 'http://127.0.0.1:3000', region: 'us-east-1' });
      await expect(started).rejects.toBeInstanceOf(PagePortInUseError);
      await expect(started).rejects.toThrow(`Port ${port} on 127.0.0.1 is already in use, so the browser page cannot start. Stop the program using it, or serve the page on another port: PAGE_PORT=${port + 1} npm start`);
    } finally {
      blocker.close();
    }
  });
});

describeWithChromium('browser page in headless Chromium: signs with aws4fetch, CORS preflight, keys kept in memory', () => {
  let gw: TestGateway | undefined;
  let pageServer: PageServer | undefined;
  let context: BrowserContext | undefined;
  let userDataDir: string | undefined;
  let page: Page;
  const requests: Array<{ method: string; url: string; headers: Record<string, string>; postData: string | null }> = [];
  /** Chromium's own network log (CDP), which, unlike page.on('request'), includes CORS preflights. */
  const network: Array<{ id: string; method: string; url: string; initiator: string; headers: Record<string, string> }> = [];
  /** Request ids in the order their responses arrived. */
  const responded: string[] = [];
  const consoleLines: string[] = [];

  const key = (invoker: string) => gw!.keys.get(invoker)!;
  const accessLog = (): AccessLogEntry[] => gw!.log.map((line) => JSON.parse(line) as AccessLogEntry).filter((e) => e.httpMethod !== undefined);

  beforeAll(async () => {
    const pagePort = await freePort();
    gw = await startTestGateway({ config: { cors: { allowOrigins: [`http://127.0.0.1:${pagePort}`] } } });
    // The page as npm start serves it: with the local STS's URL and the roles (nothing here calls the
    // STS; the role flow is tested below), so the README's screenshot shows the page as users see it.
    const served = gw;
    pageServer = await startPageServer({
      port: pagePort, gatewayUrl: gw.url, region: gw.stack.region, stsUrl: 'http://127.0.0.1:3001',
      roles: () => whoMayAssume(served.stack).map(({ role, invokers }) => ({ name: role.name, arn: role.arn, assumableBy: invokers })),
    });
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iam-http-api-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 860, height: 900 },
      timeout: 30_000,
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(10_000);
    page.on('request', (request) => {
      requests.push({ method: request.method(), url: request.url(), headers: request.headers(), postData: request.postData() });
    });
    page.on('console', (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
    const cdp = await context.newCDPSession(page);
    cdp.on('Network.requestWillBeSent', (event) => {
      const headers = Object.fromEntries(Object.entries(event.request.headers).map(([name, value]) => [name.toLowerCase(), String(value)]));
      network.push({ id: event.requestId, method: event.request.method, url: event.request.url, initiator: event.initiator.type, headers });
    });
    cdp.on('Network.responseReceived', (event) => responded.push(event.requestId));
    await cdp.send('Network.enable');
    await page.goto(pageServer.url);
  }, 60_000);

  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await pageServer?.close();
    await gw?.close();
    if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  }, 30_000);

  /** Fills the form, presses Send, waits for the response to be shown and returns what the page shows. */
  async function send(invoker: string | { accessKeyId: string; secretAccessKey: string }, method: string, urlPath: string, message?: string) {
    const credentials = typeof invoker === 'string' ? key(invoker) : invoker;
    await page.fill('#access-key-id', credentials.accessKeyId);
    await page.fill('#secret-access-key', credentials.secretAccessKey);
    await page.selectOption('#method', method);
    await page.fill('#path', urlPath);
    if (message !== undefined) await page.fill('#message', message);
    await page.evaluate("delete document.getElementById('result').dataset.state");
    await page.click('#send');
    await page.waitForSelector('#result[data-state="done"]');
    const text = async (selector: string) => (await page.textContent(selector)) ?? '';
    return {
      status: await text('#status'),
      error: (await page.isVisible('#error')) ? await text('#error') : undefined,
      headers: await text('#headers'),
      body: await text('#body'),
    };
  }

  /**
   * Chromium sent a CORS preflight for `urlPath` from the page's origin and had its answer
   * before the actual request's; the gateway answered the preflight with 204 before it saw
   * the actual request. (CDP announces the fetch before its preflight, so the order of
   * requestWillBeSent proves nothing; the order of the responses does.)
   */
  function expectPreflightBefore(method: string, urlPath: string): void {
    const toGateway = network.filter((r) => r.url === `${gw!.url}${urlPath}`);
    const preflight = toGateway.find((r) => r.method === 'OPTIONS' && r.initiator === 'preflight');
    const actual = toGateway.filter((r) => r.method === method).at(-1);
    expect(preflight).toBeDefined();
    expect(actual).toBeDefined();
    expect(preflight!.headers).toMatchObject({ origin: pageServer!.url, 'access-control-request-method': method });
    expect(preflight!.headers['access-control-request-headers']).toContain('authorization');
    expect(responded.indexOf(preflight!.id)).toBeGreaterThanOrEqual(0);
    expect(responded.indexOf(actual!.id)).toBeGreaterThan(responded.indexOf(preflight!.id));

    const log = accessLog();
    const answered = log.findIndex((e) => e.httpMethod === 'OPTIONS' && e.path === urlPath && e.status === '204');
    expect(answered).toBeGreaterThanOrEqual(0);
    expect(log.findIndex((e) => e.httpMethod === method && e.path === urlPath)).toBeGreaterThan(answered);
  }

  it('shows labelled fields, a password field for the secret, the injected region, and "Remember" unticked', async () => {
    for (const id of ['access-key-id', 'secret-access-key', 'region', 'method', 'path', 'message', 'remember']) {
      expect(await page.textContent(`label[for="${id}"]`)).toBeTruthy();
    }
    expect(await page.getAttribute('#secret-access-key', 'type')).toBe('password');
    expect(await page.inputValue('#region')).toBe(gw!.stack.region);
    expect(await page.inputValue('#path')).toBe('/hello');
    expect(await page.$$eval('#method option', (options) => options.map((o) => o.textContent))).toEqual(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
    expect(await page.isChecked('#remember')).toBe(false);
    expect(await page.isVisible('#remember-warning')).toBe(false);
  });

  it('viewer GET /hello → 200 with the echoed method and path, after a real CORS preflight', async () => {
    const shown = await send('viewer', 'GET', '/hello');
    expect(shown.status).toBe('200 OK');
    expect(shown.error).toBeUndefined();
    expect(JSON.parse(shown.body)).toEqual({ method: 'GET', path: '/hello', body: '' });
    expect(shown.headers).toContain('content-type: application/json');

    const sent = requests.filter((r) => r.url === `${gw!.url}/hello`);
    expect(sent.map((r) => r.method)).toContain('GET');
    const get = sent.find((r) => r.method === 'GET')!;
    expect(get.headers.authorization).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=${key('viewer').accessKeyId}/\\d{8}/${gw!.stack.region}/execute-api/aws4_request, `));
    expectPreflightBefore('GET', '/hello');
  });

  it('viewer POST → 403, with the gateway\'s "Forbidden" shown prominently', async () => {
    const shown = await send('viewer', 'POST', '/items', 'not allowed');
    expect(shown.status).toBe('403 Forbidden');
    expect(shown.error).toBe('403: Forbidden');
    expect(JSON.parse(shown.body)).toEqual({ message: 'Forbidden' });
    expectPreflightBefore('POST', '/items');
  });

  it('a wrong secret → AWS\'s signature error text', async () => {
    const shown = await send({ accessKeyId: key('viewer').accessKeyId, secretAccessKey: 'x'.repeat(40) }, 'GET', '/hello');
    expect(shown.status).toBe('403 Forbidden');
    expect(shown.error).toBe('403: The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.');
  });

  it('admin POST with a JSON message → 200 echoing the message', async () => {
    const shown = await send('admin', 'POST', '/items', 'hello from the browser');
    expect(shown.status).toBe('200 OK');
    expect(shown.error).toBeUndefined();
    expect(JSON.parse(shown.body)).toEqual({ method: 'POST', path: '/items', body: { message: 'hello from the browser' } });
    const post = requests.filter((r) => r.method === 'POST' && r.url === `${gw!.url}/items`).at(-1)!;
    expect(post.headers['content-type']).toBe('application/json');
    expect(post.postData).toBe('{"message":"hello from the browser"}');
    expect(accessLog().at(-1)).toMatchObject({ httpMethod: 'POST', path: '/items', status: '200', userArn: expect.stringContaining('admin') });

    fs.mkdirSync(path.dirname(ARTIFACT), { recursive: true });
    await page.screenshot({ path: ARTIFACT, fullPage: true });
    if (!fs.existsSync(README_SCREENSHOT) || process.env.IAM_HTTP_API_UPDATE_SCREENSHOT) {
      fs.mkdirSync(path.dirname(README_SCREENSHOT), { recursive: true });
      fs.copyFileSync(ARTIFACT, README_SCREENSHOT);
    }
  });

  it('admin POST to the API root → 200, after a real CORS preflight answered by the stack\'s OPTIONS / route', async () => {
    const shown = await send('admin', 'POST', '/', 'to the root');
    expect(shown.status).toBe('200 OK');
    expect(JSON.parse(shown.body)).toEqual({ method: 'POST', path: '/', body: { message: 'to the root' } });
    expectPreflightBefore('POST', '/');
    expect(accessLog().find((e) => e.httpMethod === 'OPTIONS' && e.path === '/')).toMatchObject({ routeKey: 'OPTIONS /', status: '204' });
  });

  it('never writes a secret to storage, cookies, IndexedDB, the URL, the DOM, the console or a request', async () => {
    const secrets = ['viewer', 'admin'].map((name) => key(name).secretAccessKey);
    // Evaluated in the page (as source text: the tests' tsconfig has no DOM types).
    const inPage = await page.evaluate<{ lengths: number[]; dump: string }>(`(async () => {
      const found = [];
      for (const storage of [localStorage, sessionStorage]) {
        for (let i = 0; i < storage.length; i++) found.push(storage.key(i), storage.getItem(storage.key(i)));
      }
      found.push(document.cookie);
      found.push(...(await indexedDB.databases()).map((db) => db.name));
      found.push(...(await caches.keys()));
      found.push(location.href, document.documentElement.outerHTML);
      return { lengths: [localStorage.length, sessionStorage.length], dump: found.join('\\n') };
    })()`);
    expect(inPage.lengths).toEqual([0, 0]);
    const everywhere = [
      inPage.dump,
      JSON.stringify(await context!.storageState({ indexedDB: true })),
      consoleLines.join('\n'),
      JSON.stringify(requests),
      JSON.stringify(network),
    ].join('\n');
    for (const secret of secrets) expect(everywhere.includes(secret)).toBe(false);
    expect(consoleLines.filter((line) => /Content Security Policy|Refused to/i.test(line))).toEqual([]);
  });

  it('"Remember" stores the keys only when ticked, under a clearly labelled warning, and forgets them when unticked', async () => {
    const admin = key('admin');
    await page.fill('#access-key-id', admin.accessKeyId);
    await page.fill('#secret-access-key', admin.secretAccessKey);
    await page.check('#remember');
    expect(await page.isVisible('#remember-warning')).toBe(true);
    expect(await page.textContent('#remember-warning')).toMatch(/Warning: the secret access key is stored in plain text.*localStorage/s);
    const stored = () => page.evaluate<string>("Object.entries(localStorage).map(([k, v]) => k + '=' + v).join('\\n')");
    expect(await stored()).toContain(admin.secretAccessKey);

    await page.reload();
    expect(await page.isChecked('#remember')).toBe(true);
    expect(await page.inputValue('#access-key-id')).toBe(admin.accessKeyId);
    expect(await page.inputValue('#secret-access-key')).toBe(admin.secretAccessKey);
    expect(await page.isVisible('#remember-warning')).toBe(true);

    await page.uncheck('#remember');
    expect(await page.isVisible('#remember-warning')).toBe(false);
    expect(await stored()).toBe('');
    await page.reload();
    expect(await page.isChecked('#remember')).toBe(false);
    expect(await page.inputValue('#secret-access-key')).toBe('');
  });
});

/**
 * "Call as a role" against the project's dev stack (iam-http-api.config.ts: `deployer`, GET
 * only, assumable by `admin`): a gateway with a session key and the local STS in this process,
 * on one clock the test moves together with the page's (Playwright's page.clock), so the
 * automatic refresh is seen without waiting 10 minutes.
 */
interface RoleEnvironment {
  readonly stack: LoadedStack;
  readonly keys: ReadonlyMap<string, InvokerKey>;
  readonly gatewayUrl: string;
  readonly stsUrl: string;
  readonly pageServer: PageServer;
  readonly stsLog: string[];
  /** Moves the gateway's and the STS's clock forward. */
  advance(ms: number): void;
  close(): Promise<void>;
}

async function startRoleEnvironment(): Promise<RoleEnvironment> {
  const pagePort = await freePort();
  const pageOrigin = `http://127.0.0.1:${pagePort}`;
  const dev = projectConfig.environments!.dev!;
  const { stack: synthesized } = synthStack({ ...projectConfig, environments: { ...projectConfig.environments, dev: { ...dev, cors: { allowOrigins: [pageOrigin] } } } }, 'dev');
  const outdir = Testing.fullSynth(synthesized);
  const loaded = loadStack(outdir, 'dev');
  const stack: LoadedStack = { ...loaded, integration: { ...loaded.integration, bundleFile: path.join(FIXTURES, 'echo-event.mjs') } };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iam-http-api-web-role-'));
  const keys = ensureInvokerKeys(path.join(dir, 'credentials'), stack.invokers.map((i) => i.name));
  const sessionKey = randomBytes(32);
  let skewMs = 0;
  const now = (): Date => new Date(Date.now() + skewMs);
  const gateway = new LocalGateway({ stack, keys, port: 0, now, sessionKey, workers: 1, log: () => undefined, functionLog: () => undefined });
  const gatewayUrl = await gateway.listen();
  const stsLog: string[] = [];
  const sts = new StsServer({ gateway, sessionKey, port: 0, now, allowOrigins: [pageOrigin], log: (line) => stsLog.push(line) });
  const stsUrl = await sts.listen();
  const pageServer = await startPageServer({
    port: pagePort, gatewayUrl, region: stack.region, stsUrl,
    roles: () => whoMayAssume(gateway.stack).map(({ role, invokers }) => ({ name: role.name, arn: role.arn, assumableBy: invokers })),
  });
  return {
    stack, keys, gatewayUrl, stsUrl, pageServer, stsLog,
    advance: (ms) => { skewMs += ms; },
    async close() {
      await pageServer.close();
      await sts.close();
      await gateway.close();
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(outdir, { recursive: true, force: true });
    },
  };
}

describe('local STS CORS (no browser needed)', () => {
  let env: RoleEnvironment | undefined;
  beforeAll(async () => { env = await startRoleEnvironment(); }, 120_000);
  afterAll(async () => { await env?.close(); });

  const preflight = (origin: string) => fetch(`${env!.stsUrl}/`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-amz-date,x-amz-security-token' },
  });

  it('answers a preflight from the page\'s origin with 204 naming that origin (never *), no credentials flag', async () => {
    const reply = await preflight(env!.pageServer.url);
    expect(reply.status).toBe(204);
    expect(Object.fromEntries([...reply.headers].filter(([name]) => name.startsWith('access-control-') || name === 'vary'))).toEqual({
      'access-control-allow-origin': env!.pageServer.url,
      'access-control-allow-methods': 'GET,POST',
      'access-control-allow-headers': 'authorization,content-type,x-amz-date,x-amz-security-token,x-amz-content-sha256,x-amz-user-agent,amz-sdk-invocation-id,amz-sdk-request',
      'access-control-max-age': '600',
      vary: 'Origin',
    });
  });

  it('refuses a preflight from a foreign origin: 403, no Access-Control-Allow-Origin', async () => {
    const reply = await preflight('http://127.0.0.1:1');
    expect(reply.status).toBe(403);
    expect(reply.headers.get('access-control-allow-origin')).toBeNull();
    expect(await reply.text()).toBe('CORS preflight refused: the local STS answers pages from the browser page\'s origin and the stack\'s cors.allowOrigins only, not http://127.0.0.1:1.\n');
  });

  it('puts the CORS headers on STS\'s error answers for the page\'s origin, and none for a foreign origin', async () => {
    const post = (origin: string) => fetch(`${env!.stsUrl}/`, { method: 'POST', headers: { origin, 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=GetCallerIdentity&Version=2011-06-15' });
    const allowed = await post(env!.pageServer.url);
    expect(allowed.status).toBe(403);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(env!.pageServer.url);
    expect(allowed.headers.get('access-control-expose-headers')).toBe('x-amzn-requestid');
    expect(await allowed.text()).toContain('<Code>MissingAuthenticationToken</Code>');
    const foreign = await post('https://evil.example');
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    expect(foreign.headers.get('vary')).toBe('Origin');
  });
});

describeWithChromium('browser page in headless Chromium: call as a role with temporary credentials from the local STS', () => {
  let env: RoleEnvironment | undefined;
  let context: BrowserContext | undefined;
  let userDataDir: string | undefined;
  let page: Page;
  const network: Array<{ id: string; method: string; url: string; initiator: string; headers: Record<string, string> }> = [];
  const responded: string[] = [];
  const consoleLines: string[] = [];
  /** AssumeRole answers as the page received them (to check their secrets never leak). */
  const stsAnswers: string[] = [];

  const key = (invoker: string) => env!.keys.get(invoker)!;
  const deployer = () => env!.stack.roles!.find((r) => r.name.endsWith('-deployer'))!;

  beforeAll(async () => {
    env = await startRoleEnvironment();
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iam-http-api-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, viewport: { width: 860, height: 1400 }, timeout: 30_000 });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(10_000);
    page.on('console', (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
    page.on('response', (response) => {
      if (response.url().startsWith(env!.stsUrl) && response.request().method() === 'POST') void response.text().then((body) => stsAnswers.push(body), () => undefined);
    });
    const cdp = await context.newCDPSession(page);
    cdp.on('Network.requestWillBeSent', (event) => {
      const headers = Object.fromEntries(Object.entries(event.request.headers).map(([name, value]) => [name.toLowerCase(), String(value)]));
      network.push({ id: event.requestId, method: event.request.method, url: event.request.url, initiator: event.initiator.type, headers });
    });
    cdp.on('Network.responseReceived', (event) => responded.push(event.requestId));
    await cdp.send('Network.enable');
    // The page's clock: real time, flowing, until the test moves it (with the servers').
    await page.clock.install();
    await page.goto(env.pageServer.url, { timeout: 30_000 });
  }, 120_000);

  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await env?.close();
    if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  }, 30_000);

  const text = async (selector: string) => ((await page.textContent(selector)) ?? '').trim();

  async function enterKeys(invoker: string): Promise<void> {
    await page.fill('#access-key-id', key(invoker).accessKeyId);
    await page.fill('#secret-access-key', key(invoker).secretAccessKey);
  }

  /** Presses Assume role with the form as filled, and waits for AssumeRole's outcome. */
  async function assume(options: { roleArn?: string; sessionName?: string; duration?: string } = {}): Promise<string> {
    if (options.roleArn) await page.selectOption('#role-arn', options.roleArn);
    if (options.sessionName !== undefined) await page.fill('#session-name', options.sessionName);
    if (options.duration !== undefined) await page.fill('#duration-seconds', options.duration);
    await page.click('#assume');
    await page.waitForSelector('#role-session:is([data-state="active"], [data-state="error"])');
    return (await page.getAttribute('#role-session', 'data-state'))!;
  }

  async function send(method: string, urlPath: string) {
    await page.selectOption('#method', method);
    await page.fill('#path', urlPath);
    await page.evaluate("delete document.getElementById('result').dataset.state");
    await page.click('#send');
    await page.waitForSelector('#result[data-state="done"]');
    return { status: await text('#status'), signedAs: await text('#signed-as'), body: await text('#body'), error: (await page.isVisible('#error')) ? await text('#error') : undefined };
  }

  const shownKeyId = () => page.getAttribute('#role-session', 'data-access-key-id');
  /** Waits until the page shows another temporary access key id than `old`. */
  const newKeyIdShown = (old: string | null) => page.waitForSelector(`#role-session:not([data-access-key-id=""]):not([data-access-key-id="${old}"])`);

  it('offers the stack\'s roles with who may assume them, and the STS the page calls', async () => {
    expect(await page.$$eval('#role-arn option', (options) => options.map((o) => [o.getAttribute('value'), o.textContent]))).toEqual([
      [deployer().arn, `${deployer().name} (assumable by admin)`],
      ['other', 'Another role ARN…'],
    ]);
    expect(await text('#sts-url')).toBe(env!.stsUrl);
    expect(await page.isVisible('#sts-missing')).toBe(false);
    expect(await text('#role-status')).toBe('Not assuming a role: requests are signed with the keys above.');
    expect(await page.isDisabled('#refresh')).toBe(true);
  });

  it('viewer may not assume deployer: the page shows STS\'s AccessDenied, code and message', async () => {
    await enterKeys('viewer');
    expect(await assume({ roleArn: deployer().arn, sessionName: 'alice', duration: '900' })).toBe('error');
    const viewerArn = env!.stack.invokers.find((i) => i.name === 'viewer')!.principal.arn;
    expect(await text('#sts-error')).toBe(`STS refused: AccessDenied (HTTP 403): User: ${viewerArn} is not authorized to perform: sts:AssumeRole on resource: ${deployer().arn}`);
    expect(await page.isVisible('#role-identity')).toBe(false);
  });

  it('a bad session name: STS\'s ValidationError, shown as STS wrote it', async () => {
    await enterKeys('admin');
    expect(await assume({ sessionName: 'no spaces allowed' })).toBe('error');
    expect(await text('#sts-error')).toMatch(/^STS refused: ValidationError \(HTTP 400\): .*roleSessionName/);
  });

  it('"Another role ARN…" takes any ARN; one the stack does not have is refused as AWS refuses it (AccessDenied)', async () => {
    await page.selectOption('#role-arn', 'other');
    expect(await page.isVisible('#role-arn-other')).toBe(true);
    await page.fill('#role-arn-other', 'arn:aws:iam::123456789012:role/nope');
    expect(await assume({ sessionName: 'alice' })).toBe('error');
    const adminArn = env!.stack.invokers.find((i) => i.name === 'admin')!.principal.arn;
    expect(await text('#sts-error')).toBe(`STS refused: AccessDenied (HTTP 403): User: ${adminArn} is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/nope`);
  });

  it('admin assumes deployer (900 s): the page shows the assumed-role ARN, an ASIA key id and the expiry, after a CORS preflight to the STS', async () => {
    await enterKeys('admin');
    expect(await assume({ roleArn: deployer().arn, sessionName: 'alice', duration: '900' })).toBe('active');
    expect(await page.isVisible('#role-arn-other')).toBe(false);
    expect(await page.isVisible('#sts-error')).toBe(false);
    expect(await text('#role-arn-assumed')).toBe('arn:aws:sts::123456789012:assumed-role/iam-http-api-dev-deployer/alice');
    expect(await text('#role-assumed-id')).toMatch(/^AROA[A-Z0-9]{17}:alice$/);
    expect(await shownKeyId()).toMatch(/^ASIA[A-Z0-9]{16}$/);
    expect(await text('#role-access-key-id')).toBe(await shownKeyId());
    expect(await text('#role-countdown')).toMatch(/^in 1[45]:\d\d$/);
    const expires = Date.parse((await text('#role-expires')).match(/\((.*)\)$/)![1]);
    expect(Math.abs(expires - (Date.now() + 900_000))).toBeLessThan(10_000);
    const refreshAt = Date.parse((await text('#role-refresh-at')).match(/\((.*)\)$/)![1]);
    expect(expires - refreshAt).toBe(300_000);

    const toSts = network.filter((r) => r.url === `${env!.stsUrl}/`);
    const preflight = toSts.find((r) => r.method === 'OPTIONS' && r.initiator === 'preflight');
    expect(preflight).toBeDefined();
    expect(preflight!.headers).toMatchObject({ origin: env!.pageServer.url, 'access-control-request-method': 'POST' });
    const post = toSts.filter((r) => r.method === 'POST').at(-1)!;
    expect(post.headers.authorization).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=${key('admin').accessKeyId}/\\d{8}/${env!.stack.region}/sts/aws4_request, `));
    expect(responded.indexOf(post.id)).toBeGreaterThan(responded.indexOf(preflight!.id));
  });

  it('GET as the role → 200, and the event names the assumed role and the ASIA key', async () => {
    const shown = await send('GET', '/hello');
    expect(shown.status).toBe('200 OK');
    const keyId = await shownKeyId();
    expect(shown.signedAs).toBe(`Signed as arn:aws:sts::123456789012:assumed-role/iam-http-api-dev-deployer/alice with temporary credentials ${keyId}`);
    expect(JSON.parse(shown.body).event.requestContext.authorizer.iam).toMatchObject({
      accessKey: keyId,
      userArn: 'arn:aws:sts::123456789012:assumed-role/iam-http-api-dev-deployer/alice',
    });
    const get = network.filter((r) => r.method === 'GET' && r.url === `${env!.gatewayUrl}/hello`).at(-1)!;
    expect(get.headers['x-amz-security-token']).toBeTruthy();
  });

  it('POST as the role → 403 Forbidden (deployer may only GET), though admin itself may POST', async () => {
    const shown = await send('POST', '/items');
    expect(shown.status).toBe('403 Forbidden');
    expect(shown.error).toBe('403: Forbidden');
    expect(shown.signedAs).toMatch(/^Signed as arn:aws:sts::123456789012:assumed-role\/iam-http-api-dev-deployer\/alice /);

    // The README's picture of the role section (no token in it: a 403 echoes nothing).
    fs.mkdirSync(path.dirname(ROLE_ARTIFACT), { recursive: true });
    await page.screenshot({ path: ROLE_ARTIFACT, fullPage: true });
    if (!fs.existsSync(README_ROLE_SCREENSHOT) || process.env.IAM_HTTP_API_UPDATE_SCREENSHOT) fs.copyFileSync(ROLE_ARTIFACT, README_ROLE_SCREENSHOT);
  });

  it('Refresh gets new temporary credentials: a new ASIA key id on show, and requests signed with it', async () => {
    const before = await shownKeyId();
    await page.click('#refresh');
    await newKeyIdShown(before);
    const after = await shownKeyId();
    expect(after).toMatch(/^ASIA[A-Z0-9]{16}$/);
    expect(after).not.toBe(before);
    expect(await text('#role-access-key-id')).toBe(after);
    expect((await send('GET', '/hello')).signedAs).toContain(`with temporary credentials ${after}`);
  });

  it('refreshes by itself 5 minutes before expiry (page and servers 10 minutes on), and keeps working', async () => {
    const before = await shownKeyId();
    const assumeCalls = env!.stsLog.filter((line) => line.startsWith('sts AssumeRole')).length;
    env!.advance(600_000);
    await page.clock.fastForward(600_000);
    await newKeyIdShown(before);
    expect(env!.stsLog.filter((line) => line.startsWith('sts AssumeRole')).length).toBe(assumeCalls + 1);
    expect(await text('#role-countdown')).toMatch(/^in 1[45]:\d\d$/);
    const shown = await send('GET', '/hello');
    expect(shown.status).toBe('200 OK');
    expect(shown.signedAs).toContain(`with temporary credentials ${await shownKeyId()}`);
  });

  it('keeps the temporary credentials in memory only, even with "Remember" ticked, and never logs', async () => {
    const secretsOf = (body: string) => ['SecretAccessKey', 'SessionToken'].map((tag) => new RegExp(`<${tag}>([^<]+)</${tag}>`).exec(body)?.[1] ?? '').filter(Boolean);
    await page.check('#remember');
    const answered = page.waitForResponse((r) => r.url() === `${env!.stsUrl}/` && r.request().method() === 'POST');
    await page.click('#refresh');
    const latest = secretsOf(await (await answered).text());
    await page.waitForSelector('#role-session[data-state="active"]');
    expect(latest).toHaveLength(2);
    const inPage = await page.evaluate<string>(`(async () => {
      const found = [];
      for (const storage of [localStorage, sessionStorage]) {
        for (let i = 0; i < storage.length; i++) found.push(storage.key(i), storage.getItem(storage.key(i)));
      }
      found.push(document.cookie, location.href);
      found.push(...(await indexedDB.databases()).map((db) => db.name), ...(await caches.keys()));
      return found.join('\\n');
    })()`);
    expect(inPage).toContain(key('admin').secretAccessKey); // "Remember" stores the long-term keys, as it says
    const stored = [inPage, JSON.stringify(await context!.storageState({ indexedDB: true })), consoleLines.join('\n')].join('\n');
    // Every session so far: never stored or logged. (The echo handler's answers show the tokens
    // the page sent; the latest session, not used yet, is not in the DOM either.)
    const all = stsAnswers.flatMap(secretsOf);
    expect(all.length).toBeGreaterThanOrEqual(8);
    expect(all.filter((secret) => stored.includes(secret))).toHaveLength(0);
    const dom = await page.evaluate<string>('document.documentElement.outerHTML');
    expect(latest.filter((secret) => dom.includes(secret))).toHaveLength(0);
    // Nothing the page logs; only Chromium's own lines for the 4xx answers the tests provoked.
    expect(consoleLines.filter((line) => !line.startsWith('error: Failed to load resource: the server responded with a status of 4'))).toEqual([]);
    await page.uncheck('#remember');

  });

  it('"Stop using the role" goes back to the entered keys', async () => {
    await page.click('#forget');
    expect(await page.getAttribute('#role-session', 'data-state')).toBe('none');
    expect(await page.isVisible('#role-identity')).toBe(false);
    const shown = await send('POST', '/items');
    expect(shown.status).toBe('200 OK');
    expect(shown.signedAs).toBe(`Signed with the keys of ${key('admin').accessKeyId}`);
  });

  it('a failed refresh shows STS\'s error and keeps the session until it expires; then the page says it expired, and Refresh assumes the role again', async () => {
    expect(await assume({ sessionName: 'bob', duration: '900' })).toBe('active');
    const keyId = await shownKeyId();
    // Only the page's clock moves: its refresh is signed 10 minutes ahead of the STS's clock.
    await page.clock.fastForward(600_000);
    await page.waitForSelector('#sts-error:not([hidden])');
    expect(await text('#sts-error')).toMatch(/^STS refused: SignatureDoesNotMatch \(HTTP 403\): Signature not yet current: /);
    expect(await page.getAttribute('#role-session', 'data-state')).toBe('active');
    expect(await shownKeyId()).toBe(keyId);
    await page.clock.fastForward(300_000);
    await page.waitForSelector('#role-session[data-state="expired"]');
    expect(await text('#role-status')).toMatch(/^The role's temporary credentials expired at \d\d:\d\d:\d\d \(.*Z\): requests are signed with the keys above\. Refresh to assume the role again\.$/);
    expect(await page.isVisible('#role-identity')).toBe(false);
    expect(await page.isDisabled('#refresh')).toBe(false);
    env!.advance(900_000); // the servers catch up with the page
    await page.click('#refresh');
    await page.waitForSelector('#role-session[data-state="active"]');
    expect(await shownKeyId()).not.toBe(keyId);
    expect(await page.isVisible('#sts-error')).toBe(false);
  });

  it('a page on a foreign origin cannot read the STS: the browser blocks it (no Access-Control-Allow-Origin)', async () => {
    const foreign = await startPageServer({ port: 0, gatewayUrl: env!.gatewayUrl, region: env!.stack.region, stsUrl: env!.stsUrl });
    const other = await context!.newPage();
    try {
      await other.goto(foreign.url);
      const outcome = await other.evaluate<string>(`fetch(${JSON.stringify(`${env!.stsUrl}/`)}, { method: 'POST', headers: { authorization: 'AWS4-HMAC-SHA256 x', 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=GetCallerIdentity&Version=2011-06-15' })
        .then((r) => 'read ' + r.status, (e) => e.name + ': ' + e.message)`);
      expect(outcome).toBe('TypeError: Failed to fetch');
    } finally {
      await other.close();
      await foreign.close();
    }
  });
});

describe('npm start wires the page to its local STS (no browser needed)', () => {
  it('serves the page with the STS\'s URL (STS_PORT=0: the port it got), the roles, a CSP allowing the STS, and the STS answers the page\'s preflight', async () => {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'iam-http-api-web-start-'));
    const pagePort = await freePort();
    const pageUrl = `http://127.0.0.1:${pagePort}`;
    const started = start({ IAM_HTTP_API_CREDENTIALS: path.join(scratch, 'credentials'), STACK: 'dev', PORT: String(await freePort()), PAGE_PORT: String(pagePort), IAM_HTTP_API_WORKERS: '1' }, { args: ['--no-watch'] });
    try {
      await ready(started);
      const state = JSON.parse(fs.readFileSync(path.join(scratch, 'gateway.json'), 'utf8')) as { stsUrl: string; roles: { name: string; arn: string; assumableBy: string[] }[] };
      expect(state.stsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const index = await fetch(`${pageUrl}/`);
      const html = await index.text();
      expect(html).toContain(`data-sts-url="${state.stsUrl}"`);
      expect(index.headers.get('content-security-policy')).toContain(` ${state.stsUrl};`);
      const config = await (await fetch(`${pageUrl}/config.json`)).json() as { stsUrl: string; roles: unknown };
      expect(config).toMatchObject({ stsUrl: state.stsUrl, roles: state.roles });
      expect(state.roles).toContainEqual({ name: 'iam-http-api-dev-deployer', arn: 'arn:aws:iam::123456789012:role/iam-http-api/iam-http-api-dev-deployer', assumableBy: ['admin'] });
      // The page's port is not in the dev stack's cors.allowOrigins: the STS allows it because npm start passed it.
      const preflight = await fetch(`${state.stsUrl}/`, { method: 'OPTIONS', headers: { origin: pageUrl, 'access-control-request-method': 'POST' } });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe(pageUrl);
    } finally {
      started.child.kill('SIGTERM');
      await started.exited;
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  }, 90_000);
});
