/**
 * The load generator of bench/gateway.ts, run as a child process (`fork` with `--import tsx`,
 * advanced IPC serialization): autocannon in its own process, so it never shares an event loop
 * (or the parent's CPU accounting) with the server under test. The parent sends one
 * {@link LoadCommand} at a time and gets one {@link LoadReport} back; the child exits when the
 * parent disconnects.
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
  /** Responses received (any status). */
  readonly responses: number;
  readonly ok2xx: number;
  readonly non2xx: number;
  readonly statusCodes: Readonly<Record<string, number>>;
  readonly errors: number;
  readonly timeouts: number;
  /** autocannon's measured duration of the run, seconds. */
  readonly durationSeconds: number;
  /** Every response's latency (ms, sub-ms resolution) as autocannon timed it (hrtime per request). */
  readonly latenciesMs: Float64Array;
  /** CPU time of this load-generator process during the run (user + system), ms. */
  readonly cpuMs: number;
}

export type LoadMessage = { readonly type: 'ready' } | { readonly type: 'report'; readonly report: LoadReport } | { readonly type: 'error'; readonly message: string };

async function run(command: LoadCommand): Promise<LoadReport> {
  const latencies: number[] = [];
  const cpuBefore = process.cpuUsage();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({
      url: command.url,
      connections: command.connections,
      pipelining: 1,
      duration: command.durationSeconds,
      timeout: command.timeoutSeconds,
      requests: command.requests.map((r) => ({ method: r.method, path: r.path, headers: { ...r.headers } })),
    }, (error: unknown, done: autocannon.Result) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(done)));
    instance.on('response', (_client, _statusCode, _bytes, responseTime) => { latencies.push(responseTime); });
  });
  const cpu = process.cpuUsage(cpuBefore);
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stat.count ?? 0;
  return {
    responses: latencies.length,
    ok2xx: result['2xx'],
    non2xx: result.non2xx,
    statusCodes,
    errors: result.errors,
    timeouts: result.timeouts,
    durationSeconds: result.duration,
    latenciesMs: Float64Array.from(latencies),
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
