/**
 * The browser page (clients/web) in real headless Chromium (Debian's, /usr/bin/chromium,
 * installed by scripts/setup-browser.sh), driven by playwright-core: the page is served by
 * startPageServer() on one loopback port and calls a test gateway on another, whose CORS
 * configuration allows the page's origin, so Chromium sends real preflights.
 *
 * Without /usr/bin/chromium the browser tests skip and say why, unless
 * IAM_HTTP_API_REQUIRE_BROWSER is set (as .ci/run does), which makes that a failure.
 * Screenshot: __tests__/artifacts/web-page.png on every run; docs/web-page.png (the README's)
 * when it is missing or IAM_HTTP_API_UPDATE_SCREENSHOT=1.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { PagePortInUseError, startPageServer, type PageServer } from '../../src/commands/page-server';
import type { AccessLogEntry } from '../../src/gateway/server';
import { startTestGateway, type TestGateway } from '../support/gateway';

const root = path.resolve(__dirname, '..', '..');
/** Debian's Chromium by default; IAM_HTTP_API_CHROMIUM names another Chromium or Chrome (GitHub's runners have Chrome). */
const CHROMIUM = process.env.IAM_HTTP_API_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'];
const ARTIFACT = path.join(root, '__tests__', 'artifacts', 'web-page.png');
const README_SCREENSHOT = path.join(root, 'docs', 'web-page.png');

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
      expect(await (await fetch(`${server.url}/config.json`)).json()).toEqual({ gatewayUrl: 'http://127.0.0.1:3999', region: 'eu-central-1' });
      const script = await fetch(`${server.url}/main.js`);
      expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(await script.text()).toContain('AWS4-HMAC-SHA256');
      expect((await fetch(`${server.url}/nope`)).status).toBe(404);
      expect((await fetch(`${server.url}/`, { method: 'POST' })).status).toBe(405);
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
    pageServer = await startPageServer({ port: pagePort, gatewayUrl: gw.url, region: gw.stack.region });
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
