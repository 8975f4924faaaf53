/**
 * `npm start`'s watch mode (src/commands/watch.ts), through the real command, run in a copy of
 * the project (copyProject) whose handler and configuration the tests edit: a handler edit is
 * served without a restart, a config edit adds and removes invokers, a broken edit of either
 * keeps the last good version serving and prints the tool's own message, and `--no-watch`
 * picks nothing up.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { InvokerKey } from '../../src/gateway/credentials';
import { loadStack } from '../../src/gateway/load-stack';
import { freePort } from '../support/moto-server';
import { copyProject, printed, profileKey, ready, start, type Started } from '../support/npm-start';
import { send, smithySign } from '../support/smithy-sign';

/** A handler that answers `{ version }` to every request. */
const handlerSource = (version: string): string =>
  `export async function handler() {\n  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ version: ${JSON.stringify(version)} }) };\n}\n`;

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

describe('npm start, watch mode', () => {
  let project: string;
  let credentials: string;
  let port: number;
  let gateway: Started;
  const keyOf = (name: string): InvokerKey => profileKey(credentials, name);
  const get = async (key: InvokerKey, urlPath = '/hello') =>
    send(await smithySign(key, 'us-east-1', { method: 'GET', url: `http://127.0.0.1:${port}${urlPath}` }));
  /** Polls until `done` holds for a response (no fixed sleeps); returns that response. */
  const until = async (key: InvokerKey, done: (r: Awaited<ReturnType<typeof get>>) => boolean, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const response = await get(key);
      if (done(response)) return response;
      if (Date.now() > deadline) throw new Error(`still ${response.status} ${response.text} after ${timeoutMs} ms\n${gateway.stdout}\n${gateway.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  const offsets = () => ({ stdout: gateway.stdout.length, stderr: gateway.stderr.length });
  const configFile = () => path.join(project, 'iam-http-api.config.ts');
  const handlerFile = () => path.join(project, 'handler', 'index.ts');

  beforeAll(async () => {
    project = copyProject('start-watch-test-');
    credentials = path.join(project, '.iam-http-api', 'credentials');
    port = await freePort();
    gateway = start({ IAM_HTTP_API_CREDENTIALS: credentials, STACK: 'dev', PORT: String(port), PAGE_PORT: String(await freePort()), IAM_HTTP_API_WORKERS: '2' }, { root: project });
    await ready(gateway);
  }, 60_000);
  afterAll(async () => {
    if (gateway && gateway.child.exitCode === null) {
      gateway.child.kill('SIGTERM');
      await gateway.exited;
    }
    fs.rmSync(project, { recursive: true, force: true });
  });

  it('serves a handler edit without a restart, within 300 ms of the write (median of 5 edits)', async () => {
    expect(gateway.stdout).toContain('Watching handler/');
    const viewer = keyOf('viewer');
    expect((await get(viewer)).json()).toEqual({ method: 'GET', path: '/hello', body: '' });
    const asset = loadStack(path.join(project, 'cdktf.out'), 'dev').integration.bundleFile;
    const synthesized = fs.readFileSync(asset);
    const times: number[] = [];
    for (let i = 1; i <= 5; i++) {
      const from = offsets();
      const written = performance.now();
      fs.writeFileSync(handlerFile(), handlerSource(`v${i}`));
      await until(viewer, (r) => r.status === 200 && r.text.includes(`"v${i}"`));
      times.push(performance.now() - written);
      await printed(gateway, /reloaded handler in \d+ ms/, from);
    }
    // eslint-disable-next-line no-console
    console.log(`handler edit to first new response: ${times.map((t) => t.toFixed(0)).join(', ')} ms; median ${median(times).toFixed(0)} ms`);
    expect(median(times)).toBeLessThanOrEqual(300);
    // What Terraform zips is still what synth wrote: the rebuilds went to the gateway's own copy.
    expect(fs.readFileSync(asset).equals(synthesized)).toBe(true);
  }, 60_000);

  it('keeps serving the last good handler when an edit does not build, prints esbuild\'s error with file:line:column, and recovers on the next good save', async () => {
    const viewer = keyOf('viewer');
    fs.writeFileSync(handlerFile(), handlerSource('good'));
    await until(viewer, (r) => r.text.includes('"good"'));
    const from = offsets();
    fs.writeFileSync(handlerFile(), 'export async function handler() {\n  return { statusCode: 200 body: "broken" };\n}\n');
    const [message] = await printed(gateway, /handler not reloaded[^]*?handler\/index\.ts:2:\d+:/, from);
    expect(message).toContain('still serving the last good version');
    expect(message).toMatch(/\[ERROR\] Expected "}" but found "body"/);
    expect((await get(viewer)).json()).toEqual({ version: 'good' });

    fs.writeFileSync(handlerFile(), handlerSource('fixed'));
    await until(viewer, (r) => r.text.includes('"fixed"'));
  }, 30_000);

  it('adds an invoker whose new key works, and refuses a removed invoker\'s key as AWS refuses a deleted user\'s', async () => {
    const viewer = keyOf('viewer');
    const editor = keyOf('editor');
    expect((await get(editor)).status).toBe(200);
    const from = offsets();
    const written = performance.now();
    const before = fs.readFileSync(configFile(), 'utf8');
    const edited = before.replace("        editor: { allow: ['GET /*', 'POST /*', 'PUT /*', 'PATCH /*'] },\n", "        auditor: { allow: ['GET /hello'] },\n");
    expect(edited).not.toBe(before);
    fs.writeFileSync(configFile(), edited);
    const [line] = await printed(gateway, /reloaded stack dev in [\d.]+ m?s: ([^\n]*)\n {2}auditor +(AKIA[A-Z0-9]{16}) +may invoke [^\n]*/, from);
    const elapsed = performance.now() - written;
    // eslint-disable-next-line no-console
    console.log(`config edit to new policy enforced: ${elapsed.toFixed(0)} ms (${line.split('\n')[0]})`);
    expect(elapsed).toBeLessThanOrEqual(3_000);
    expect(line).toContain('+invoker auditor');
    expect(line).toContain('-invoker editor');
    expect(line).toContain('routes unchanged');

    const auditor = keyOf('auditor');
    expect(line).toContain(auditor.accessKeyId);
    const allowed = await get(auditor);
    expect(allowed.status).toBe(200);
    expect((await get(auditor, '/other')).status).toBe(403);
    const refused = await get(editor);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('x-amzn-errortype')).toBe('UnrecognizedClientException');
    expect(refused.json()).toEqual({ message: 'The security token included in the request is invalid.' });
    // Invokers that stayed keep their keys.
    expect(keyOf('viewer')).toEqual(viewer);
    expect((await get(viewer)).status).toBe(200);
  }, 30_000);

  it('keeps serving when a config edit does not validate, and prints the validator\'s message', async () => {
    const viewer = keyOf('viewer');
    const from = offsets();
    const good = fs.readFileSync(configFile(), 'utf8');
    fs.writeFileSync(configFile(), good.replace('accessLogRetentionDays: 7,', 'accessLogRetentionDays: 8,'));
    const [message] = await printed(gateway, /stack dev not reloaded[^]*?Invalid configuration \(iam-http-api\.config\.ts\), 1 problem:\n {2}- [^\n]*accessLogRetentionDays[^\n]*/, from);
    expect(message).toContain('still serving the last good version');
    expect((await get(viewer)).status).toBe(200);
    expect((await get(keyOf('auditor'))).status).toBe(200);

    // A syntax error: tsx's (esbuild's) message, with file:line:column and no stack trace.
    const syntax = offsets();
    fs.writeFileSync(configFile(), good.replace("name: 'iam-http-api',", "name: 'iam-http-api'"));
    const [broken] = await printed(gateway, /stack dev not reloaded[^]*?iam-http-api\.config\.ts:\d+:\d+: ERROR: Expected "}" but found "region"/, syntax);
    expect(broken).toContain('still serving the last good version');
    expect(gateway.stderr.slice(syntax.stderr)).not.toMatch(/^\s+at /m);
    expect((await get(viewer)).status).toBe(200);

    const recovered = offsets();
    fs.writeFileSync(configFile(), good);
    await printed(gateway, /reloaded stack dev in [\d.]+ m?s: invokers unchanged, routes unchanged/, recovered);
  }, 30_000);

  it('with --no-watch, serves what it started with and picks no edit up', async () => {
    const own = await freePort();
    const unwatched = start({ IAM_HTTP_API_CREDENTIALS: credentials, STACK: 'dev', PORT: String(own), PAGE_PORT: String(await freePort()) }, { root: project, args: ['--no-watch'] });
    try {
      await ready(unwatched);
      expect(unwatched.stdout).toContain('Not watching for edits (--no-watch)');
      const viewer = keyOf('viewer');
      const ask = async () => send(await smithySign(viewer, 'us-east-1', { method: 'GET', url: `http://127.0.0.1:${own}/hello` }));
      const before = (await ask()).text;
      fs.writeFileSync(handlerFile(), handlerSource('unwatched'));
      // The watching gateway (same project) picks the edit up; this one must not, well after that.
      await until(viewer, (r) => r.text.includes('"unwatched"'));
      const deadline = Date.now() + 1_000;
      while (Date.now() < deadline) expect((await ask()).text).toBe(before);
      expect(unwatched.stdout + unwatched.stderr).not.toContain('reloaded');
    } finally {
      unwatched.child.kill('SIGTERM');
      expect(await unwatched.exited).toBe(0);
    }
  }, 60_000);

  it('closes its watchers on SIGTERM and exits 0', async () => {
    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toBe(0);
  }, 30_000);
});
