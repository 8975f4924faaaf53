/**
 * Test support: run a local moto server (Python `moto_server`) as an AWS stand-in.
 *
 * Used by the offline Terraform tests (see terraform-offline.ts). Nothing here
 * talks to real AWS, and nothing binds anything but 127.0.0.1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';

/** Directory of the provider filesystem mirror that `terraform init` uses offline. */
export const TF_PLUGIN_MIRROR = '/opt/tf-plugins';

/** The AWS provider's directory inside the mirror; its absence means no offline init. */
export const TF_AWS_MIRROR_DIR = path.join(TF_PLUGIN_MIRROR, 'registry.terraform.io', 'hashicorp', 'aws');

/** Account id that moto reports from STS GetCallerIdentity (and puts in every ARN). */
export const MOTO_ACCOUNT_ID = '123456789012';

/** A running moto server. */
export interface MotoServer {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  readonly endpoint: string;
  /** TCP port moto listens on. */
  readonly port: number;
  /** Last `lines` lines moto wrote to stdout/stderr (for failure messages). */
  logTail(lines?: number): string;
  /** Wipe all moto state (POST /moto-api/reset). */
  reset(): Promise<void>;
  /** SIGTERM, then SIGKILL after a bound; resolves once the process exited. Idempotent. */
  stop(): Promise<void>;
}

/** Options for {@link startMotoServer}. */
export interface StartMotoOptions {
  /** Total time to wait for moto to answer HTTP. Default 20 000 ms. */
  readyTimeoutMs?: number;
  /** Grace period between SIGTERM and SIGKILL on stop. Default 5 000 ms. */
  killGraceMs?: number;
  /** Executable to run. Default `moto_server` (looked up on PATH). */
  command?: string;
  /**
   * Preload AWS managed IAM policies (MOTO_IAM_LOAD_MANAGED_POLICIES=true) so that
   * attaching e.g. arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole works.
   * moto 5 does not load them by default (AttachRolePolicy then fails with NoSuchEntity).
   * Default true.
   */
  loadAwsManagedPolicies?: boolean;
  /** Extra environment for the moto process. */
  env?: Record<string, string>;
}

const LOG_LIMIT_BYTES = 64 * 1024;

/** Returns the absolute path of `cmd` on PATH, or undefined. */
export function findOnPath(cmd: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter((d) => d.length > 0);
  for (const dir of dirs) {
    const candidate = path.join(dir, cmd);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

/**
 * Why the offline Terraform + moto tests cannot run here, or undefined when they can.
 * Checks `terraform` and `moto_server` on PATH and the AWS provider in the mirror.
 */
export function whichMissing(): string | undefined {
  const reasons: string[] = [];
  if (findOnPath('terraform') === undefined) reasons.push('`terraform` is not on PATH');
  if (findOnPath('moto_server') === undefined) reasons.push('`moto_server` (pip install "moto[server]") is not on PATH');
  if (findOnPath('python3') === undefined) reasons.push('`python3` is not on PATH');
  if (!fs.existsSync(TF_AWS_MIRROR_DIR)) reasons.push(`provider mirror ${TF_AWS_MIRROR_DIR} is missing`);
  return reasons.length > 0 ? `offline terraform/moto tests skipped: ${reasons.join('; ')}` : undefined;
}

/** Finds a free TCP port on 127.0.0.1 by listening on port 0 and closing again. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('could not get a free port'))));
    });
  });
}

/** One HTTP request to moto; resolves with the status code and body. */
function httpRequest(url: string, method: 'GET' | 'POST', timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Keeps the last LOG_LIMIT_BYTES of a child's output. */
class LogBuffer {
  private text = '';
  append(chunk: Buffer | string): void {
    this.text += chunk.toString();
    if (this.text.length > LOG_LIMIT_BYTES) this.text = this.text.slice(-LOG_LIMIT_BYTES);
  }
  tail(lines: number): string {
    return this.text.split('\n').slice(-lines - 1).join('\n');
  }
}

/** Resolves when `child` has exited (immediately if it already has). */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Polls `url` until it answers any HTTP status, the child dies, or the deadline passes. */
async function waitUntilAnswering(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 50;
  let lastError = 'no attempt made';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`moto_server exited early (code ${String(child.exitCode)}, signal ${String(child.signalCode)})`);
    }
    try {
      const res = await httpRequest(url, 'GET', Math.min(2000, Math.max(100, deadline - Date.now())));
      if (res.status > 0) return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, Math.min(delay, Math.max(0, deadline - Date.now()))));
    delay = Math.min(delay * 2, 500);
  }
  throw new Error(`moto_server did not answer ${url} within ${timeoutMs} ms (last error: ${lastError})`);
}

/** Sends SIGTERM, then SIGKILL after `graceMs`, and resolves once the child exited. */
async function killChild(child: ChildProcess, graceMs: number): Promise<void> {
  const done = exited(child);
  if (child.exitCode !== null || child.signalCode !== null) return done;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    await done;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Spawns `moto_server -H 127.0.0.1 -p <free port>` and waits (bounded, ~20 s) until
 * `/moto-api/` answers. Rejects with moto's last log lines if it does not come up.
 */
export async function startMotoServer(opts: StartMotoOptions = {}): Promise<MotoServer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const log = new LogBuffer();
  const graceMs = opts.killGraceMs ?? 5000;
  const child = spawn(opts.command ?? 'moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PYTHONUNBUFFERED: '1',
      MOTO_IAM_LOAD_MANAGED_POLICIES: opts.loadAwsManagedPolicies === false ? 'false' : 'true',
      ...opts.env,
    },
  });
  child.stdout?.on('data', (c: Buffer) => log.append(c));
  child.stderr?.on('data', (c: Buffer) => log.append(c));
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
  spawnError.catch(() => undefined);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= killChild(child, graceMs));
  try {
    await Promise.race([waitUntilAnswering(`${endpoint}/moto-api/`, child, opts.readyTimeoutMs ?? 20_000), spawnError]);
  } catch (err) {
    await stop();
    const msg = err instanceof Error ? err.message : String(err);
    throw new Error(`${msg}\n--- moto_server output (tail) ---\n${log.tail(30)}`);
  }
  return {
    endpoint,
    port,
    logTail: (lines = 30) => log.tail(lines),
    reset: async () => {
      const res = await httpRequest(`${endpoint}/moto-api/reset`, 'POST', 10_000);
      if (res.status >= 300) throw new Error(`moto reset failed: HTTP ${res.status} ${res.body}`);
    },
    stop,
  };
}
