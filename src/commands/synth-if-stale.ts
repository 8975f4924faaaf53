/**
 * Runs the cdktf app (`npm run synth`'s command) when any source is newer than the stack's
 * synthesized JSON, so `npm start` is fast when nothing changed and never serves stale output.
 */
import { spawnSync } from 'node:child_process';
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

/** Synthesizes all stacks when `stack` is stale. */
export function synthIfStale(root: string, outdir: string, stack: string): 'synthesized' | 'up to date' {
  if (!isStale(root, outdir, stack)) return 'up to date';
  synthesize(root, outdir);
  return 'synthesized';
}
