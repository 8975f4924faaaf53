/**
 * The load generator of bench/gateway.ts, run as a child process (`fork` with `--import tsx`):
 * autocannon in its own process, so it never shares an event loop (or the parent's CPU
 * accounting) with the server under test. The parent sends one {@link LoadCommand} at a time
 * over IPC and gets one {@link LoadReport} back; the child exits when the parent disconnects.
 */
import autocannon from 'autocannon';

/** One pre-signed request, sent as is (autocannon adds only `Connection: keep-alive`). */
export interface LoadRequest {
  readonly method: 'GET';
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface LoadCommand {
  readonly url: string;
  readonly requests: readonly LoadRequest[];
  readonly connections: number;
  readonly durationSeconds: number;
  /** Seconds autocannon waits for a response before counting a timeout. */
  readonly timeoutSeconds: number;
}

export interface LoadReport {
  /** autocannon's requests per second (mean of its per-second samples). */
  readonly reqPerSec: number;
  readonly total: number;
  readonly ok2xx: number;
  readonly non2xx: number;
  readonly statusCodes: Readonly<Record<string, number>>;
  readonly errors: number;
  readonly timeouts: number;
  readonly durationSeconds: number;
  /** Exact percentiles (ms) over every response's latency as autocannon timed it (hrtime, sub-ms). */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** autocannon's own histogram percentiles (whole ms), for comparison with its CLI output. */
  readonly autocannonP50Ms: number;
  readonly autocannonP99Ms: number;
  /** CPU time of this load-generator process during the run (user + system), ms. */
  readonly cpuMs: number;
}

export type LoadMessage = { readonly type: 'ready' } | { readonly type: 'report'; readonly report: LoadReport } | { readonly type: 'error'; readonly message: string };

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function run(command: LoadCommand): Promise<LoadReport> {
  const latencies: number[] = [];
  const cpuBefore = process.cpuUsage();
  const instance = autocannon({
    url: command.url,
    connections: command.connections,
    pipelining: 1,
    duration: command.durationSeconds,
    timeout: command.timeoutSeconds,
    requests: command.requests.map((r) => ({ method: r.method, path: r.path, headers: { ...r.headers } })),
  });
  instance.on('response', (_client, _statusCode, _bytes, responseTime) => { latencies.push(responseTime); });
  const result = await instance;
  const cpu = process.cpuUsage(cpuBefore);
  const sorted = Float64Array.from(latencies).sort();
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stat.count ?? 0;
  return {
    reqPerSec: result.requests.average,
    total: latencies.length,
    ok2xx: result['2xx'],
    non2xx: result.non2xx,
    statusCodes,
    errors: result.errors,
    timeouts: result.timeouts,
    durationSeconds: result.duration,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    autocannonP50Ms: result.latency.p50,
    autocannonP99Ms: result.latency.p99,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

if (require.main === module) {
  if (!process.send) throw new Error('bench/load-generator.ts runs as a child of bench/gateway.ts (it needs an IPC channel)');
  const send = (message: LoadMessage): void => { process.send?.(message); };
  process.on('message', (command: LoadCommand) => {
    run(command).then(
      (report) => send({ type: 'report', report }),
      (error: unknown) => send({ type: 'error', message: error instanceof Error ? error.stack ?? error.message : String(error) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready' });
}
