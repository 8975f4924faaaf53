/**
 * `npm start -- --inspect=<port>` (issue 12), through the real command in a copy of the project
 * (copyProject) whose handler throws on one path and whose function times out after 1 s: the
 * Lambda runs in one process with Node's inspector on 127.0.0.1:<port> (one target listed), a
 * breakpoint set in handler/index.ts through the bundle's source map is hit by a request, a
 * handler paused longer than its timeout is not stopped, and a handler's error in the log names
 * handler/index.ts:<line>, not the minified bundle. What Terraform zips has no source map.
 */
import * as fs from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { InvokerKey } from '../../src/gateway/credentials';
import { loadStack } from '../../src/gateway/load-stack';
import { CdpClient } from '../support/cdp';
import { freePort } from '../support/moto-server';
import { copyProject, printed, profileKey, ready, start, type Started } from '../support/npm-start';
import { send, smithySign } from '../support/smithy-sign';

/** 1-based line of the first line of `text` containing `needle`. */
function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(needle));
  if (index < 0) throw new Error(`no line with ${needle}`);
  return index + 1;
}

type Target = { type: string; url: string; webSocketDebuggerUrl: string };

/** The inspector's targets (GET /json/list), once it answers: the Lambda process opens it once started, maybe after the banner. */
async function inspectorTargets(port: number, timeoutMs = 10_000): Promise<Target[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await (await fetch(`http://127.0.0.1:${port}/json/list`)).json() as Target[];
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

describe('npm start --inspect', () => {
  let project: string;
  let credentials: string;
  let port: number;
  let inspectPort: number;
  let gateway: Started;
  let source: string;
  const keyOf = (name: string): InvokerKey => profileKey(credentials, name);
  const get = async (urlPath: string) =>
    send(await smithySign(keyOf('viewer'), 'us-east-1', { method: 'GET', url: `http://127.0.0.1:${port}${urlPath}` }));

  beforeAll(async () => {
    project = copyProject('start-inspect-test-');
    credentials = path.join(project, '.iam-http-api', 'credentials');
    const handlerFile = path.join(project, 'handler', 'index.ts');
    source = fs.readFileSync(handlerFile, 'utf8').replace(
      "if (method === 'OPTIONS') return { statusCode: 204 };",
      "if (method === 'OPTIONS') return { statusCode: 204 };\n  if (path === '/boom') throw new Error('boom from the handler');",
    );
    fs.writeFileSync(handlerFile, source);
    const configFile = path.join(project, 'iam-http-api.config.ts');
    fs.writeFileSync(configFile, fs.readFileSync(configFile, 'utf8').replace('lambda: { logRetentionDays: 7 },', 'lambda: { logRetentionDays: 7, timeoutSeconds: 1 },'));
    port = await freePort();
    inspectPort = await freePort();
    // 3 workers asked for: --inspect makes it one process all the same.
    gateway = start({ IAM_HTTP_API_CREDENTIALS: credentials, STACK: 'dev', PORT: String(port), PAGE_PORT: String(await freePort()), IAM_HTTP_API_WORKERS: '3' }, { root: project, args: [`--inspect=${inspectPort}`] });
    await ready(gateway);
  }, 60_000);
  afterAll(async () => {
    if (gateway && gateway.child.exitCode === null) {
      gateway.child.kill('SIGTERM');
      await gateway.exited;
    }
    fs.rmSync(project, { recursive: true, force: true });
  });

  it('says so in the banner: one process, the inspector\'s address, timeouts suspended', () => {
    expect(gateway.stdout).toContain(`Debugging (--inspect): the Lambda runs in 1 process (one debugger target) with Node's inspector on 127.0.0.1:${inspectPort}`);
    expect(gateway.stdout).toContain('Timeouts are suspended while --inspect is on');
  });

  it('names handler/index.ts:<line> in a handler error\'s stack trace in the log', async () => {
    const from = { stdout: gateway.stdout.length, stderr: gateway.stderr.length };
    expect((await get('/boom')).status).toBe(500);
    const [line] = await printed(gateway, /Invoke Error[^\n]*/, from);
    expect(line).toContain('boom from the handler');
    expect(line).toContain(`handler/index.ts:${lineOf(source, "throw new Error('boom from the handler')")}:`);
    expect(line).not.toMatch(/index\.mjs:\d/);
  }, 30_000);

  it('lists one inspector target, and a breakpoint in handler/index.ts (by source map) is hit; a paused handler outlives its 1 s timeout', async () => {
    const targets = await inspectorTargets(inspectPort);
    expect(targets).toHaveLength(1);
    expect(targets[0].url).toMatch(/lambda-worker\.mjs$/);

    const cdp = await CdpClient.connect(targets[0].webSocketDebuggerUrl);
    try {
      await cdp.send('Debugger.enable');
      // The bundle the process runs: the gateway's local copy, carrying its source map inline.
      const parsed = await cdp.waitFor('Debugger.scriptParsed', (p) => /\/\.build\/local-handler\/dev-\d+\/index\.mjs$/.test(String(p.url)));
      const mapUrl = String(parsed.params.sourceMapURL);
      expect(mapUrl).toMatch(/^data:application\/json/);
      const payload = JSON.parse(Buffer.from(mapUrl.slice(mapUrl.indexOf(',') + 1), 'base64').toString('utf8')) as SourceMapPayload;
      const handlerUrl = pathToFileURL(path.join(project, 'handler', 'index.ts')).href;
      expect(payload.sources).toEqual([handlerUrl]);

      // Where the handler's first line is in the bundle, as a debugger finds it: the first
      // position mapped to it (V8 moves a breakpoint to the next place it can stop, here still
      // in that statement).
      const target = lineOf(source, 'const { method, path } = event.requestContext.http;');
      const map = new SourceMap(payload);
      const bundle = fs.readFileSync(new URL(String(parsed.params.url)), 'utf8').split('\n');
      let at: { lineNumber: number; columnNumber: number } | undefined;
      for (let line = 0; line < bundle.length && !at; line++) {
        for (let column = 0; column < bundle[line].length; column++) {
          const entry = map.findEntry(line, column) as { generatedLine?: number; generatedColumn?: number; originalSource?: string; originalLine?: number };
          if (entry.originalSource === handlerUrl && entry.originalLine === target - 1 && entry.generatedLine === line && entry.generatedColumn === column) {
            at = { lineNumber: line, columnNumber: column };
            break;
          }
        }
      }
      expect(at).toBeDefined();
      await cdp.send('Debugger.setBreakpointByUrl', { url: parsed.params.url, ...at });

      const answer = get('/paused');
      const paused = await cdp.waitFor('Debugger.paused');
      const top = (paused.params.callFrames as Array<{ location: { lineNumber: number; columnNumber: number } }>)[0].location;
      const entry = map.findEntry(top.lineNumber, top.columnNumber) as { originalSource?: string; originalLine?: number };
      expect(entry.originalSource).toBe(handlerUrl);
      expect(entry.originalLine).toBe(target - 1);
      // Longer than the function's 1 s timeout: a debugging session is not stopped.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await cdp.send('Debugger.resume');
      const response = await answer;
      expect(response.status).toBe(200);
      expect(response.json()).toEqual({ method: 'GET', path: '/paused', body: '' });
      expect(gateway.stdout).not.toContain('Task timed out');
    } finally {
      cdp.close();
    }
  }, 30_000);

  it('after a handler edit, the new process opens the inspector on the same port and its errors name the edited lines', async () => {
    const handlerFile = path.join(project, 'handler', 'index.ts');
    source = source.replace("if (path === '/boom')", "// one line more\n  if (path === '/boom')");
    const from = { stdout: gateway.stdout.length, stderr: gateway.stderr.length };
    fs.writeFileSync(handlerFile, source);
    await printed(gateway, /reloaded handler in \d+ ms/, from);
    expect((await get('/boom')).status).toBe(500);
    const [line] = await printed(gateway, /Invoke Error[^\n]*/, from);
    expect(line).toContain(`handler/index.ts:${lineOf(source, "throw new Error('boom from the handler')")}:`);
    const targets = await inspectorTargets(inspectPort);
    expect(targets).toHaveLength(1);
    expect(gateway.stdout + gateway.stderr).not.toContain('Inspector not opened');
  }, 30_000);

  it('leaves the bundle Terraform zips without a source map', () => {
    const asset = fs.readFileSync(loadStack(path.join(project, 'cdktf.out'), 'dev').integration.bundleFile, 'utf8');
    expect(asset).not.toContain('sourceMappingURL');
  });
});

describe('npm start --inspect=<not a local port>', () => {
  it('refuses another host or a bad port in one line, before serving anything', async () => {
    for (const arg of ['--inspect=0.0.0.0:9229', '--inspect=70000']) {
      const refused = start({ PORT: '0', PAGE_PORT: '0' }, { args: [arg] });
      expect(await refused.exited).toBe(1);
      expect(refused.stderr.trim()).toBe(`npm start: ${JSON.stringify(arg)} is not an inspector port; use --inspect (port 9229) or --inspect=<1-65535>, e.g. npm start -- --inspect=9230 (it listens on 127.0.0.1 only: whoever reaches it can run code)`);
    }
  }, 30_000);
});
