/**
 * `node --import tsx bench/memory.ts`: the local gateway's memory after N (default 50,000)
 * signed requests (BENCH_REQUESTS), 10 at a time over keep-alive connections: the gateway
 * process's RSS and heap before and after, and the RSS of its Lambda processes, read from
 * /proc. A gateway that keeps something per request grows with N; one that does not levels off.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { Testing } from 'cdktf';
import { ensureInvokerKeys } from '../src/gateway/credentials';
import { loadStack } from '../src/gateway/load-stack';
import { LocalGateway } from '../src/gateway/server';
import { synthStack } from '../__tests__/support/synth';
import { signPool } from './gateway';

const MB = 1024 * 1024;

/** RSS in MB of this process's child processes (the Lambda processes), from /proc. */
function childrenRssMb(): number {
  let pids: string[] = [];
  try {
    pids = execFileSync('ps', ['-o', 'pid=', '--ppid', String(process.pid)], { encoding: 'utf8' }).split('\n').map((p) => p.trim()).filter(Boolean);
  } catch {
    return 0;
  }
  let kb = 0;
  for (const pid of pids) {
    const status = fs.existsSync(`/proc/${pid}/status`) ? fs.readFileSync(`/proc/${pid}/status`, 'utf8') : '';
    kb += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  }
  return kb / 1024;
}

function get(url: URL, request: { path: string; headers: Readonly<Record<string, string>> }, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: request.path, headers: request.headers, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

export async function benchMemory(total = Number(process.env.BENCH_REQUESTS ?? 50_000)): Promise<void> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'iam-http-api-bench-mem-'));
  const outdir = Testing.fullSynth(synthStack({}, 'dev').stack);
  const stack = loadStack(outdir, 'dev');
  const keys = ensureInvokerKeys(path.join(scratch, 'credentials'), stack.invokers.map((i) => i.name));
  const gateway = new LocalGateway({ stack, keys, port: 0, workers: 2, functionLog: () => undefined });
  const url = new URL(await gateway.listen());
  const agent = new http.Agent({ keepAlive: true, maxSockets: 10 });
  try {
    const pool = await signPool(keys.get('viewer')!, stack.region, url.host, 256);
    for (const request of pool) await get(url, request, agent); // warm: caches, processes
    global.gc?.();
    const before = { rss: process.memoryUsage().rss / MB, heap: process.memoryUsage().heapUsed / MB, children: childrenRssMb() };
    const started = Date.now();
    let sent = 0;
    let failed = 0;
    await Promise.all(Array.from({ length: 10 }, async () => {
      while (sent < total) {
        const request = pool[sent++ % pool.length];
        if ((await get(url, request, agent)) !== 200) failed++;
      }
    }));
    const seconds = (Date.now() - started) / 1000;
    global.gc?.();
    const after = { rss: process.memoryUsage().rss / MB, heap: process.memoryUsage().heapUsed / MB, children: childrenRssMb() };
    const f = (n: number): string => `${n.toFixed(0)} MB`;
    console.log(`memory after ${total.toLocaleString('en-US')} signed requests (${(total / seconds).toFixed(0)} req/s, client in-process, ${failed} not 200):`);
    console.log(`  gateway process RSS ${f(before.rss)} → ${f(after.rss)}; heap used ${f(before.heap)} → ${f(after.heap)}; Lambda processes RSS ${f(before.children)} → ${f(after.children)}`);
    if (failed > 0) throw new Error(`${failed} requests did not get 200`);
  } finally {
    agent.destroy();
    await gateway.close();
    fs.rmSync(scratch, { recursive: true, force: true });
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchMemory().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
