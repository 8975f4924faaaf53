/**
 * Runs a command and measures its wall time and peak memory: the largest resident set of any
 * one process of its tree, and the largest sum over the tree, sampled from /proc every 20 ms.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';

export interface Measurement {
  readonly wallMs: number;
  /** Peak RSS of the largest single process, MB. */
  readonly peakProcessMb: number;
  /** Peak RSS summed over the whole process tree, MB. */
  readonly peakTreeMb: number;
}

function childrenOf(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function rssKb(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

function tree(pid: number): number[] {
  return [pid, ...childrenOf(pid).flatMap(tree)];
}

export function measure(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    let peakProcessKb = 0;
    let peakTreeKb = 0;
    const sample = (): void => {
      if (child.pid === undefined) return;
      const sizes = tree(child.pid).map(rssKb);
      peakProcessKb = Math.max(peakProcessKb, ...sizes);
      peakTreeKb = Math.max(peakTreeKb, sizes.reduce((a, b) => a + b, 0));
    };
    const timer = setInterval(sample, 20);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(timer);
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${stderr.slice(-2000)}`));
      else resolve({ wallMs, peakProcessMb: peakProcessKb / 1024, peakTreeMb: peakTreeKb / 1024 });
    });
  });
}
