/**
 * Runs the cdktf app (`npm run synth`'s command) when any source is newer than the stack's
 * synthesized JSON, so `npm start` is fast when nothing changed and never serves stale output.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** What the synthesized output depends on, relative to the project root. */
const SOURCES = ['main.ts', 'iam-http-api.config.ts', 'cdktf.json', 'package-lock.json', 'src/app', 'src/config', 'src/stack', 'handler'];

/** cdktf's output folder: `CDKTF_OUTDIR` (cdktf's own variable) or `<root>/cdktf.out`. */
export function outdirOf(root: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(root, env.CDKTF_OUTDIR || 'cdktf.out');
}

export function stackJsonPath(outdir: string, stack: string): string {
  return path.join(outdir, 'stacks', stack, 'cdk.tf.json');
}

function newestMtime(file: string): number {
  if (!fs.existsSync(file)) return 0;
  const stat = fs.statSync(file);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...fs.readdirSync(file).map((entry) => newestMtime(path.join(file, entry))));
}

export function isStale(root: string, outdir: string, stack: string): boolean {
  const output = stackJsonPath(outdir, stack);
  if (!fs.existsSync(output)) return true;
  const built = fs.statSync(output).mtimeMs;
  return SOURCES.some((source) => newestMtime(path.join(root, source)) > built);
}

/** Runs the cdktf app (all stacks) into `outdir`; exits the process with the app's message on failure. */
export function synthesize(root: string, outdir: string): void {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'main.ts'], { cwd: root, stdio: 'inherit', env: { ...process.env, CDKTF_OUTDIR: outdir } });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

/** What a synthesis in the background (watch mode) printed, and whether it worked. */
export interface SynthRun {
  readonly ok: boolean;
  /** Its stdout and stderr together: on failure, the app's message (a ConfigError's, esbuild's, tsx's). */
  readonly output: string;
}

/**
 * Runs the cdktf app (all stacks) into `outdir` as synthesize() does, in a child process the
 * caller does not wait for: the gateway keeps serving meanwhile (watch mode). `started` gets
 * the child, so that stopping npm start can end it.
 */
export function synthesizeInBackground(root: string, outdir: string, started?: (child: ChildProcess) => void): Promise<SynthRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'main.ts'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CDKTF_OUTDIR: outdir } });
    started?.(child);
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { output += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { output += chunk; });
    child.on('error', (error) => resolve({ ok: false, output: `${output}${error.message}` }));
    child.on('close', (code, signal) => resolve({ ok: code === 0, output: code === 0 || output.trim() !== '' ? output : `the cdktf app ended with ${signal ? `signal ${signal}` : `exit status ${code}`}` }));
  });
}

/** Synthesizes all stacks when `stack` is stale. */
export function synthIfStale(root: string, outdir: string, stack: string): 'synthesized' | 'up to date' {
  if (!isStale(root, outdir, stack)) return 'up to date';
  synthesize(root, outdir);
  return 'synthesized';
}
