/**
 * The developer loop, timed on a copy of the project (copyProject: no real source is edited),
 * each figure against its goal:
 *   - cold start: `npm start` when it must synthesize (no cdktf.out), to the first answered request;
 *   - warm start: `npm start` with an up-to-date cdktf.out, to the first answered request;
 *   - synth: `npm run synth`'s command (node --import tsx main.ts), wall time;
 *   - handler edit to live: a write of handler/index.ts to the first response of the new code
 *     (median of 5);
 *   - config edit to live: a write of iam-http-api.config.ts to the first request the new policy
 *     decides (viewer loses GET /hello: 403).
 * `npm start` is timed as its command, `node --import tsx src/commands/start.ts` (what `npm
 * start` runs, without npm's own start-up). Run: node --import tsx bench/dev-loop.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { InvokerKey } from '../src/gateway/credentials';
import { freePort } from '../__tests__/support/moto-server';
import { copyProject, printed, profileKey, ready, start, type Started } from '../__tests__/support/npm-start';
import { send, smithySign } from '../__tests__/support/smithy-sign';
import { measure } from './measure';

export interface DevLoopFigures {
  readonly coldStartMs: number;
  readonly warmStartMs: number;
  readonly synthMs: number;
  readonly handlerEditMs: number;
  readonly configEditMs: number;
}

/** Goals, ms (issue 12; the handler edit's is watch mode's own, checked in start-watch.test.ts). */
export const GOALS: Readonly<Record<keyof DevLoopFigures, number>> = {
  warmStartMs: 1_000,
  coldStartMs: 3_000,
  synthMs: 1_000,
  handlerEditMs: 300,
  configEditMs: 3_000,
};

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const keyOf = profileKey;

async function get(port: number, key: InvokerKey): Promise<{ status: number; text: string }> {
  return send(await smithySign(key, 'us-east-1', { method: 'GET', url: `http://127.0.0.1:${port}/hello` }));
}

/** Polls (every 2 ms, no fixed sleeps) until `done` holds for a response to GET /hello; throws after `timeoutMs`. */
async function until(port: number, key: () => InvokerKey, done: (r: { status: number; text: string }) => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      if (done(await get(port, key()))) return;
    } catch {
      // Not listening yet, or no credentials file yet.
    }
    if (performance.now() > deadline) throw new Error(`no such answer on port ${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Starts npm start's command in `project`; resolves with the time to its first 200 and the running gateway. */
async function startTimed(project: string, credentials: string): Promise<{ ms: number; port: number; gateway: Started }> {
  const port = await freePort();
  const pagePort = await freePort();
  const started = performance.now();
  const gateway = start({ IAM_HTTP_API_CREDENTIALS: credentials, STACK: 'dev', PORT: String(port), PAGE_PORT: String(pagePort) }, { root: project });
  const failed = gateway.exited.then((code) => { throw new Error(`npm start exited ${code}: ${gateway.stderr}`); });
  await Promise.race([until(port, () => keyOf(credentials, 'viewer'), (r) => r.status === 200), failed]);
  const ms = performance.now() - started;
  await ready(gateway);
  return { ms, port, gateway };
}

async function stop(gateway: Started): Promise<void> {
  if (gateway.child.exitCode !== null) return;
  gateway.child.kill('SIGTERM');
  await gateway.exited;
}

export async function benchDevLoop(): Promise<DevLoopFigures> {
  const project = copyProject('bench-dev-loop-');
  const credentials = path.join(project, '.iam-http-api', 'credentials');
  const handlerFile = path.join(project, 'handler', 'index.ts');
  const configFile = path.join(project, 'iam-http-api.config.ts');
  let gateway: Started | undefined;
  try {
    // Cold: the copy has no cdktf.out. The credentials do not exist yet either, so the first
    // request waits for the file as well as for the gateway.
    const cold = await startTimed(project, credentials);
    await stop(cold.gateway);

    // Warm: cdktf.out is up to date now; the median of 3 starts.
    const warmTimes: number[] = [];
    let port = 0;
    for (let i = 0; i < 3; i++) {
      const warm = await startTimed(project, credentials);
      warmTimes.push(warm.ms);
      if (i < 2) await stop(warm.gateway);
      else ({ gateway, port } = warm);
    }

    // Handler edits, median of 5.
    const viewer = keyOf(credentials, 'viewer');
    const edits: number[] = [];
    const original = fs.readFileSync(handlerFile, 'utf8');
    for (let i = 1; i <= 5; i++) {
      const written = performance.now();
      fs.writeFileSync(handlerFile, `export async function handler() {\n  return { statusCode: 200, body: ${JSON.stringify(`bench v${i}`)} };\n}\n`);
      await until(port, () => viewer, (r) => r.text === `bench v${i}`);
      edits.push(performance.now() - written);
    }
    fs.writeFileSync(handlerFile, original);
    await until(port, () => viewer, (r) => r.status === 200 && r.text.includes('"path":"/hello"'));

    // A config edit: viewer may no longer GET /hello.
    const from = { stdout: gateway!.stdout.length, stderr: gateway!.stderr.length };
    const written = performance.now();
    const before = fs.readFileSync(configFile, 'utf8');
    const edited = before.replace("        viewer: { allow: ['GET /*'] },\n", "        viewer: { allow: ['GET /items'] },\n");
    if (edited === before) throw new Error(`dev-loop: could not find the dev viewer's allow rule in ${configFile}`);
    fs.writeFileSync(configFile, edited);
    await until(port, () => viewer, (r) => r.status === 403);
    const configEditMs = performance.now() - written;
    await printed(gateway!, /reloaded stack dev/, from);
    await stop(gateway!);
    gateway = undefined;

    // npm run synth's command, in the copy (its own cdktf.out), median of 3.
    const synthTimes: number[] = [];
    for (let i = 0; i < 3; i++) synthTimes.push((await measure(process.execPath, ['--import', 'tsx', 'main.ts'], { cwd: project })).wallMs);

    const figures: DevLoopFigures = {
      warmStartMs: median(warmTimes),
      coldStartMs: cold.ms,
      synthMs: median(synthTimes),
      handlerEditMs: median(edits),
      configEditMs,
    };
    const row = (label: string, key: keyof DevLoopFigures, detail: string): string => {
      const ms = figures[key];
      const shown = ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`;
      const goal = GOALS[key] < 1000 ? `${GOALS[key]} ms` : `${(GOALS[key] / 1000).toFixed(1)} s`;
      return `  ${label.padEnd(40)} ${shown.padStart(9)}   goal <= ${goal.padEnd(7)} ${ms <= GOALS[key] ? 'ok' : 'MISSED'}   ${detail}`;
    };
    console.log('Developer loop (a copy of the project; npm start timed as node --import tsx src/commands/start.ts):');
    console.log(row('warm start, to the first answer', 'warmStartMs', `median of ${warmTimes.map((t) => t.toFixed(0)).join(', ')} ms`));
    console.log(row('cold start (synthesizes), first answer', 'coldStartMs', 'no cdktf.out, no credentials file'));
    console.log(row('synth (npm run synth\'s command)', 'synthMs', `median of ${synthTimes.map((t) => t.toFixed(0)).join(', ')} ms`));
    console.log(row('handler edit to live', 'handlerEditMs', `median of ${edits.map((t) => t.toFixed(0)).join(', ')} ms`));
    console.log(row('config edit to live (policy enforced)', 'configEditMs', 'viewer refused GET /hello'));
    return figures;
  } finally {
    if (gateway) await stop(gateway);
    fs.rmSync(project, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchDevLoop().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
