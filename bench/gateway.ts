/**
 * `node --import tsx bench/gateway.ts`: signed requests per second and latency through the local
 * gateway (parse → route → verify SigV4 → authorize → event → invoke in the worker pool →
 * response) against a bare node:http server returning the same JSON (bench/bare-server.ts),
 * both measured in this one run, the same way, with autocannon.
 * Goal (the issue): the gateway sustains >= 0.6 of the bare server's throughput with a warm
 * decision cache. Prints req/s, p50/p99 for each, the ratio, the decision-cache hit rate over
 * the measured rounds, the gateway's worker-pool size and the machine.
 *
 * How it measures:
 *  - Both servers listen on 127.0.0.1 in this process. Each gets a warm-up (BENCH_WARMUP, 2 s),
 *    then BENCH_DURATION (10 s) of measurement split into BENCH_ROUNDS (2) alternating rounds in
 *    ABBA order (bare, gateway, gateway, bare), so a machine that speeds up or slows down during
 *    the run affects both alike; totals are summed over the rounds. Same connections
 *    (BENCH_CONNECTIONS, 10), pipelining 1, a 10 s request timeout; BENCH_WORKERS sets the
 *    gateway's pool (default 2, as `npm start`). The gateway runs without an access log
 *    (`npm start` prints one line per request to the console; that is not what is measured).
 *  - Requests: a pool of BENCH_PATHS (256) distinct `GET /items/<n>`, signed as the `viewer`
 *    invoker with @smithy/signature-v4 (service execute-api, region of the stack, header
 *    host 127.0.0.1:<port>) BEFORE the runs, so signing is not in the measurement; autocannon
 *    cycles through them (`requests`). SigV4 signatures are accepted for 5 minutes after their
 *    X-Amz-Date; the run takes well under a minute, and the bench refuses settings that would
 *    outlast the pool. The bare server gets the same requests (same headers, its own host).
 *  - Correctness first: every request of the pool is sent once to each server; each must answer
 *    200 application/json with the handler's echo (`{"method":"GET","path":...,"body":""}`).
 *    That pass also fills the decision cache (one miss per path); then the warm-ups. In every
 *    run every response must be 2xx with no errors or timeouts, or the bench fails.
 *  - Hit rate: `gateway.authorizerStats` just before and after each measured gateway round.
 *  - Latency: every response's latency as autocannon times it (hrtime per request, sub-ms);
 *    p50/p99 are exact over all samples of all rounds (autocannon's own histogram keeps whole
 *    milliseconds only).
 *
 * Why autocannon runs in a child process (bench/load-generator.ts): in this process it would
 * share the event loop with the server under test, so its request building and response
 * parsing would be counted as the server's time and would block it. A worker thread would get
 * its own event loop too, but its CPU would be counted in this process's `process.cpuUsage()`;
 * a child process keeps the accounting apart: "server CPU" is this process (the server's main
 * thread plus, for the gateway, its Lambda worker threads), "load-gen CPU" the child's. Both
 * servers are driven by the same child, the same way. The machine is small (the CPU count is
 * printed; 2 where this was written): load generator, the server's main thread and the
 * gateway's workers compete for the same cores, which caps both runs. The CPU columns and the
 * event-loop utilization of the main thread ("main ELU") show who is saturated; "other/steal"
 * is the CPU that neither used (other processes, from /proc/stat) and the hypervisor's steal:
 * when it is high the run was disturbed and the bench says so.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { Testing } from 'cdktf';
// cdktf's Testing only (no jest globals), checked: importing it under plain node works.
import { removeSynthScratch, synthStack } from '../__tests__/support/synth';
import { ensureInvokerKeys, type InvokerKey } from '../src/gateway/credentials';
import { loadStack } from '../src/gateway/load-stack';
import { LocalGateway } from '../src/gateway/server';
import { startBareServer, type BareServer } from './bare-server';
import type { LoadCommand, LoadMessage, LoadReport, LoadRequest } from './load-generator';

const GOAL = 0.6;
const INVOKER = 'viewer';
/** A signature is accepted up to 5 minutes after its X-Amz-Date; keep a margin. */
const MAX_POOL_AGE_MS = 4 * 60 * 1000;

function envInt(name: string, fallback: number, min = 1): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name}=${text}: expected a whole number >= ${min}`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// The load generator (child process)
// ---------------------------------------------------------------------------------------------

class LoadGenerator {
  private constructor(private readonly child: ChildProcess) {}

  static start(): Promise<LoadGenerator> {
    const child = fork(path.join(__dirname, 'load-generator.ts'), [], {
      cwd: path.resolve(__dirname, '..'),
      // Not this process's execArgv: a --cpu-prof of the server must not profile the load generator.
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // Typed arrays (the latencies) cross as such, not as JSON.
      serialization: 'advanced',
    });
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`the load generator exited with ${code} before it was ready`));
      child.once('error', reject);
      child.once('exit', onExit);
      child.once('message', (message: LoadMessage) => {
        child.off('exit', onExit);
        child.off('error', reject);
        if (message.type === 'ready') resolve(new LoadGenerator(child));
        else reject(new Error(`unexpected first message from the load generator: ${JSON.stringify(message)}`));
      });
    });
  }

  /** One autocannon run; bounded: fails if no report comes within the duration + 60 s. */
  run(command: LoadCommand): Promise<LoadReport> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error('the load generator did not report in time')), (command.durationSeconds + 60) * 1000);
      const onMessage = (message: LoadMessage): void => {
        if (message.type === 'report') finish(undefined, message.report);
        else if (message.type === 'error') finish(new Error(`load generator: ${message.message}`));
      };
      const onExit = (code: number | null): void => finish(new Error(`the load generator exited with ${code} during a run`));
      const finish = (error?: Error, report?: LoadReport): void => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
        if (error) reject(error);
        else resolve(report as LoadReport);
      };
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
      this.child.send(command);
    });
  }

  close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
      this.child.once('exit', () => { clearTimeout(timer); resolve(); });
      if (this.child.connected) this.child.disconnect();
      else this.child.kill();
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

export async function signPool(key: InvokerKey, region: string, host: string, size: number): Promise<LoadRequest[]> {
  const signer = new SignatureV4({
    service: 'execute-api',
    region,
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
    sha256: Hash.bind(null, 'sha256'),
  });
  const [hostname, port] = host.split(':');
  const pool: LoadRequest[] = [];
  for (let n = 0; n < size; n++) {
    const requestPath = `/items/${n}`;
    const signed = await signer.sign({ method: 'GET', protocol: 'http:', hostname, port: Number(port), path: requestPath, query: {}, headers: { host } });
    pool.push({ method: 'GET', path: requestPath, headers: { ...(signed.headers as Record<string, string>) } });
  }
  return pool;
}

/** The same requests for another host (the bare server): only the host header differs. */
function forHost(pool: readonly LoadRequest[], host: string): LoadRequest[] {
  return pool.map((r) => ({ ...r, headers: { ...r.headers, host } }));
}

function send(baseUrl: string, request: LoadRequest, agent: http.Agent): Promise<{ status: number; contentType: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${baseUrl}${request.path}`, { method: request.method, headers: request.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Every request once: 200, application/json and the handler's echo, or the bench fails. */
async function checkResponses(label: string, baseUrl: string, pool: readonly LoadRequest[]): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  try {
    for (const request of pool) {
      const response = await send(baseUrl, request, agent);
      const expected = JSON.stringify({ method: request.method, path: request.path, body: '' });
      if (response.status !== 200 || response.contentType !== 'application/json' || response.body !== expected) {
        throw new Error(`${label}: ${request.method} ${request.path} answered ${response.status} ${response.contentType ?? '(no content-type)'} ${response.body.slice(0, 300)}; expected 200 application/json ${expected}`);
      }
    }
  } finally {
    agent.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// Measuring
// ---------------------------------------------------------------------------------------------

/** Machine-wide CPU time from /proc/stat (Linux), in ticks; undefined elsewhere. */
function machineCpu(): { busy: number; steal: number; total: number } | undefined {
  try {
    const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    const [user, nice, system, , , irq, softirq, steal] = fields;
    return { busy: user + nice + system + irq + softirq, steal, total: fields.slice(0, 8).reduce((a, b) => a + b, 0) };
  } catch {
    return undefined;
  }
}

/** Everything measured for one server, summed over its rounds. */
class Totals {
  ok2xx = 0;
  responses = 0;
  durationSeconds = 0;
  wallMs = 0;
  /** This process (the server's main thread + its worker threads), ms. */
  serverCpuMs = 0;
  loadGeneratorCpuMs = 0;
  /** Machine CPU used by neither (other processes, kernel threads), ms; NaN off Linux. */
  otherCpuMs = 0;
  stealMs = 0;
  eluActiveMs = 0;
  eluTotalMs = 0;
  private readonly latencies: Float64Array[] = [];

  add(report: LoadReport, m: { wallMs: number; serverCpuMs: number; otherCpuMs: number; stealMs: number; eluActiveMs: number; eluTotalMs: number }): void {
    this.ok2xx += report.ok2xx;
    this.responses += report.responses;
    this.durationSeconds += report.durationSeconds;
    this.loadGeneratorCpuMs += report.cpuMs;
    this.latencies.push(report.latenciesMs);
    this.wallMs += m.wallMs;
    this.serverCpuMs += m.serverCpuMs;
    this.otherCpuMs += m.otherCpuMs;
    this.stealMs += m.stealMs;
    this.eluActiveMs += m.eluActiveMs;
    this.eluTotalMs += m.eluTotalMs;
  }

  get reqPerSec(): number {
    return this.ok2xx / this.durationSeconds;
  }

  /** Exact percentiles (ms) over every response of every round. */
  percentiles(...ps: number[]): number[] {
    const all = new Float64Array(this.latencies.reduce((n, l) => n + l.length, 0));
    let offset = 0;
    for (const l of this.latencies) { all.set(l, offset); offset += l.length; }
    all.sort();
    return ps.map((p) => (all.length === 0 ? Number.NaN : all[Math.min(all.length - 1, Math.ceil((p / 100) * all.length) - 1)]));
  }
}

function assertClean(label: string, report: LoadReport): void {
  if (report.non2xx !== 0 || report.errors !== 0 || report.timeouts !== 0 || report.ok2xx === 0) {
    throw new Error(`${label}: expected only 2xx responses, got ${report.ok2xx} 2xx, ${report.non2xx} non-2xx ${JSON.stringify(report.statusCodes)}, ${report.errors} errors, ${report.timeouts} timeouts`);
  }
}

interface Target {
  readonly label: string;
  readonly command: Omit<LoadCommand, 'durationSeconds'>;
  readonly totals: Totals;
}

/** One measured round against one server, added to its totals. */
async function measureRound(target: Target, loadGenerator: LoadGenerator, seconds: number): Promise<void> {
  const cpus = os.cpus().length;
  const machineBefore = machineCpu();
  const cpuBefore = process.cpuUsage();
  const eluBefore = performance.eventLoopUtilization();
  const started = performance.now();
  const report = await loadGenerator.run({ ...target.command, durationSeconds: seconds });
  const wallMs = performance.now() - started;
  const elu = performance.eventLoopUtilization(eluBefore);
  const cpu = process.cpuUsage(cpuBefore);
  const machineAfter = machineCpu();
  assertClean(target.label, report);
  const serverCpuMs = (cpu.user + cpu.system) / 1000;
  let otherCpuMs = Number.NaN;
  let stealMs = Number.NaN;
  if (machineBefore && machineAfter && machineAfter.total > machineBefore.total) {
    // Shares of all CPUs' time over the round, scaled to ms of one core.
    const capacityMs = wallMs * cpus;
    const total = machineAfter.total - machineBefore.total;
    const busyMs = ((machineAfter.busy - machineBefore.busy) / total) * capacityMs;
    stealMs = ((machineAfter.steal - machineBefore.steal) / total) * capacityMs;
    otherCpuMs = Math.max(0, busyMs - serverCpuMs - report.cpuMs);
  }
  target.totals.add(report, { wallMs, serverCpuMs, otherCpuMs, stealMs, eluActiveMs: elu.active, eluTotalMs: elu.active + elu.idle });
}

function row(label: string, t: Totals): string {
  const pct = (ms: number): string => (Number.isNaN(ms) ? 'n/a' : `${((ms / t.wallMs) * 100).toFixed(0)}%`);
  const [p50, p99] = t.percentiles(50, 99);
  return [
    label.padEnd(16),
    t.reqPerSec.toFixed(0).padStart(8),
    p50.toFixed(2).padStart(7),
    p99.toFixed(2).padStart(7),
    pct(t.serverCpuMs).padStart(11),
    pct(t.loadGeneratorCpuMs).padStart(13),
    `${pct(t.otherCpuMs)}/${pct(t.stealMs)}`.padStart(13),
    (t.eluActiveMs / t.eluTotalMs).toFixed(2).padStart(9),
  ].join(' ');
}

// ---------------------------------------------------------------------------------------------
// The benchmark
// ---------------------------------------------------------------------------------------------

export async function benchGateway(): Promise<{ ratio: number; p99Ms: number; hitRate: number }> {
  const warmupSeconds = envInt('BENCH_WARMUP', 2);
  const durationSeconds = envInt('BENCH_DURATION', 10);
  const rounds = envInt('BENCH_ROUNDS', 2);
  const connections = envInt('BENCH_CONNECTIONS', 10);
  const workers = envInt('BENCH_WORKERS', 2);
  const poolSize = envInt('BENCH_PATHS', 256);
  const timeoutSeconds = 10;
  if (durationSeconds % rounds !== 0) throw new Error(`BENCH_DURATION=${durationSeconds} must be a multiple of BENCH_ROUNDS=${rounds}`);
  const roundSeconds = durationSeconds / rounds;

  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'iam-http-api-bench-gw-'));
  let outdir: string | undefined;
  let gateway: LocalGateway | undefined;
  let bare: BareServer | undefined;
  let loadGenerator: LoadGenerator | undefined;
  try {
    const { stack: synthesized } = synthStack({}, 'dev');
    outdir = Testing.fullSynth(synthesized);
    const stack = loadStack(outdir, 'dev');
    const keys = ensureInvokerKeys(path.join(scratch, 'credentials'), stack.invokers.map((i) => i.name));
    const key = keys.get(INVOKER);
    if (!key) throw new Error(`the dev stack has no "${INVOKER}" invoker; have: ${stack.invokers.map((i) => i.name).join(', ')}`);

    // The function log (START/END/REPORT per request) is still written and read; only not printed.
    gateway = new LocalGateway({ stack, keys, port: 0, workers, functionLog: () => undefined });
    const gatewayUrl = await gateway.listen();
    bare = await startBareServer();
    loadGenerator = await LoadGenerator.start();

    const signedAt = Date.now();
    const gatewayPool = await signPool(key, stack.region, new URL(gatewayUrl).host, poolSize);
    const barePool = forHost(gatewayPool, new URL(bare.url).host);
    await checkResponses('bare server', bare.url, barePool);
    await checkResponses('gateway', gatewayUrl, gatewayPool);
    const expectedEnd = Date.now() + (2 * warmupSeconds + 2 * durationSeconds + 10) * 1000;
    if (expectedEnd - signedAt > MAX_POOL_AGE_MS) {
      throw new Error('the pre-signed requests would expire before the end of the run; shorten BENCH_DURATION/BENCH_WARMUP');
    }

    const common = { connections, timeoutSeconds };
    const bareTarget: Target = { label: 'bare server', command: { ...common, url: bare.url, requests: barePool }, totals: new Totals() };
    const gatewayTarget: Target = { label: 'gateway', command: { ...common, url: gatewayUrl, requests: gatewayPool }, totals: new Totals() };
    for (const target of [bareTarget, gatewayTarget]) {
      assertClean(`${target.label} (warm-up)`, await loadGenerator.run({ ...target.command, durationSeconds: warmupSeconds }));
    }
    // Alternating rounds, ABBA order, so a drift in the machine's speed hits both alike.
    let hits = 0;
    let misses = 0;
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? [bareTarget, gatewayTarget] : [gatewayTarget, bareTarget];
      for (const target of order) {
        const before = gateway.authorizerStats;
        await measureRound(target, loadGenerator, roundSeconds);
        if (target === gatewayTarget) {
          const after = gateway.authorizerStats;
          hits += after.hits - before.hits;
          misses += after.misses - before.misses;
        }
      }
    }
    const hitRate = hits + misses === 0 ? 0 : hits / (hits + misses);
    const ratio = gatewayTarget.totals.reqPerSec / bareTarget.totals.reqPerSec;
    const [p99Ms] = gatewayTarget.totals.percentiles(99);

    const cpus = os.cpus();
    console.log(`gateway vs bare node:http (autocannon in a child process): ${durationSeconds} s each in ${rounds} alternating rounds after ${warmupSeconds} s warm-up,`);
    console.log(`  ${connections} connections, pipelining 1, ${poolSize} pre-signed GET /items/<n> as ${INVOKER}; gateway pool: ${workers} workers;`);
    console.log(`  machine: ${cpus.length} CPUs (${cpus[0]?.model.trim() ?? 'unknown'}), node ${process.version}`);
    console.log(`${''.padEnd(16)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'server CPU'.padStart(11)} ${'load-gen CPU'.padStart(13)} ${'other/steal'.padStart(13)} ${'main ELU'.padStart(9)}`);
    console.log(row('bare node:http', bareTarget.totals));
    console.log(row('gateway', gatewayTarget.totals));
    console.log(`  (${bareTarget.totals.ok2xx} and ${gatewayTarget.totals.ok2xx} requests, all 2xx; CPU in % of one core; main ELU: event-loop utilization of the servers' main thread)`);
    const other = (bareTarget.totals.otherCpuMs + gatewayTarget.totals.otherCpuMs) / (bareTarget.totals.wallMs + gatewayTarget.totals.wallMs);
    if (other > 0.15) console.log(`  note: other processes used ${(other * 100).toFixed(0)}% of a core during the runs; the numbers are disturbed, run again on a quiet machine`);
    console.log(`gateway/bare throughput: ${ratio.toFixed(2)} (goal >= ${GOAL}: ${ratio >= GOAL ? 'met' : 'NOT met'}); gateway p99 ${p99Ms.toFixed(2)} ms; decision-cache hit rate over the measured rounds: ${(hitRate * 100).toFixed(1)}% (${hits} hits, ${misses} misses)`);
    return { ratio, p99Ms, hitRate };
  } finally {
    await loadGenerator?.close();
    await gateway?.close();
    await bare?.close();
    removeSynthScratch();
    if (outdir) fs.rmSync(outdir, { recursive: true, force: true });
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchGateway().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
