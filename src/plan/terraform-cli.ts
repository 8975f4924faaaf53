/**
 * Runs the `terraform` on PATH, capturing its output. Terraform's own env variables pass
 * through (TF_CLI_CONFIG_FILE, TF_TOKEN_*, AWS_*), except TF_WORKSPACE: this project uses it
 * as the Terraform Cloud workspace *prefix* at synth time, and Terraform would read it as a
 * workspace *name* that must match the synthesized `cloud` block.
 */
import { spawn } from 'node:child_process';

export interface TerraformResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class TerraformError extends Error {}

/** `env` without TF_WORKSPACE (see above). */
export function withoutTfWorkspace(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  delete out.TF_WORKSPACE;
  return out;
}

/** The environment terraform runs with when this project drives it non-interactively. */
export function terraformEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...withoutTfWorkspace(env), TF_IN_AUTOMATION: '1', TF_INPUT: '0' };
}

export function runTerraform(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<TerraformResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('terraform', [...args], { cwd: options.cwd, env: terraformEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'ENOENT' ? new TerraformError('terraform is not on PATH; install Terraform 1.11 (https://developer.hashicorp.com/terraform/install)') : error);
    });
    child.once('close', (code) => {
      resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** Runs terraform; throws TerraformError with the command and the tail of its output on failure. */
export async function terraformOrThrow(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<string> {
  const result = await runTerraform(args, options);
  if (result.code !== 0) {
    const tail = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-30).join('\n');
    throw new TerraformError(`terraform ${args[0] ?? ''} failed (exit ${result.code}) in ${options.cwd}:\n${tail}`);
  }
  return result.stdout;
}
