/**
 * A deployed stack's Terraform outputs (api_url, region, invoker_<name>_access_key_id,
 * invoker_<name>_secret_access_key), read with `terraform output -json` in
 * cdktf.out/stacks/<stack>, the folder cdktf deploys from. Only run when asked (--stack and no
 * local gateway serving it): it is slow and needs terraform and the stack's state.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { outdirOf } from '../../src/commands/synth-if-stale';
import { CliError } from './errors';

export interface StackOutputs {
  readonly stack: string;
  /** The folder terraform ran in. */
  readonly dir: string;
  readonly values: ReadonlyMap<string, { readonly value: unknown; readonly sensitive: boolean }>;
}

export function stackDir(root: string, env: NodeJS.ProcessEnv, stack: string): string {
  return path.join(outdirOf(root, env), 'stacks', stack);
}

export function outputString(outputs: StackOutputs, name: string): string | undefined {
  const value = outputs.values.get(name)?.value;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export async function readStackOutputs(root: string, env: NodeJS.ProcessEnv, stack: string): Promise<StackOutputs> {
  const dir = stackDir(root, env, stack);
  const instead = 'or pass --url URL (npx cdktf output shows api_url)';
  if (!fs.existsSync(path.join(dir, 'cdk.tf.json'))) {
    throw new CliError(`No synthesized stack "${stack}" in ${dir}: check the name, run npm run synth and deploy it (npx cdktf deploy ${stack}), ${instead}.`);
  }
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile('terraform', ['output', '-no-color', '-json'], { cwd: dir, env, maxBuffer: 16 * 1024 * 1024 }, (error, out, err) => {
      if (!error) return resolve(out);
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return reject(new CliError(`terraform is not installed or not on PATH; it is needed to read the outputs of the deployed stack "${stack}". Install it (https://developer.hashicorp.com/terraform/install), ${instead}.`));
      }
      const lines = String(err).split('\n').map((line) => line.replace(/^[\s│╷╵]+/, '').trim());
      const reason = lines.map((line) => /^Error: (.+)/.exec(line)?.[1]).find(Boolean) ?? lines.find(Boolean) ?? error.message;
      reject(new CliError(`terraform output -json failed in ${dir}: ${reason}\nDeploy the stack first (npx cdktf deploy ${stack}), ${instead}.`));
    });
  });
  let parsed: Record<string, { value?: unknown; sensitive?: boolean }>;
  try {
    parsed = JSON.parse(stdout) as typeof parsed;
  } catch {
    throw new CliError(`terraform output -json in ${dir} did not print JSON; run it there to see why, ${instead}.`);
  }
  const values = new Map(Object.entries(parsed).map(([name, output]) => [name, { value: output?.value, sensitive: output?.sensitive === true }]));
  if (values.size === 0) {
    throw new CliError(`The stack "${stack}" has no outputs in its Terraform state (${dir}): deploy it first (npx cdktf deploy ${stack}), ${instead}.`);
  }
  return { stack, dir, values };
}
