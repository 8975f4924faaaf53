/** Synthesizes one stack of a configuration in a scratch app, for assertions on its JSON. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Testing } from 'cdktf';
import { resolveConfig } from '../../src/config/resolve';
import type { ProjectConfigInput } from '../../src/config/types';
import { chooseBackend, type BackendEnv } from '../../src/stack/backend';
import { IamHttpApiStack } from '../../src/stack/iam-http-api-stack';

/** One esbuild output folder per test process, so parallel jest workers never share a file. */
const buildDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iam-http-api-build-'));
const scratchDirs = [buildDir];

/** Removes every folder this module made (called after each test file by __tests__/setup.ts). */
export function removeSynthScratch(): void {
  for (const dir of scratchDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

export interface SynthResult {
  /** cdk.tf.json as text, for cdktf's matchers. */
  readonly json: string;
  /** cdk.tf.json parsed. */
  readonly tf: TerraformJson;
  readonly stack: IamHttpApiStack;
}

/** The parts of cdk.tf.json the tests read. */
export interface TerraformJson {
  readonly terraform: { readonly backend?: Record<string, Record<string, unknown>>; readonly cloud?: Record<string, unknown>; readonly required_providers: Record<string, { source: string; version: string }> };
  readonly resource: Record<string, Record<string, Record<string, unknown>>>;
  readonly data: Record<string, Record<string, Record<string, unknown>>>;
  readonly output: Record<string, { value: unknown; sensitive?: boolean; description?: string }>;
  readonly provider: Record<string, Record<string, unknown>[]>;
}

export function synthStack(input: ProjectConfigInput = {}, environment = 'dev', env: BackendEnv = {}): SynthResult {
  const config = resolveConfig(input).find((c) => c.environment === environment);
  if (!config) throw new Error(`no environment ${environment} in the configuration`);
  const app = Testing.app();
  scratchDirs.push(app.outdir);
  const stack = new IamHttpApiStack(app, environment, {
    config,
    backend: chooseBackend(env, config.name, environment, path.join('cdktf.out', 'stacks', environment)),
    buildDir,
  });
  const json = Testing.synth(stack);
  return { json, tf: JSON.parse(json) as TerraformJson, stack };
}

/** The resource `type.name` of a synthesized stack; fails the test when it is missing. */
export function resourceOf(tf: TerraformJson, type: string, name: string): Record<string, unknown> {
  const resource = tf.resource[type]?.[name];
  if (!resource) {
    throw new Error(`no ${type}.${name}; have: ${Object.keys(tf.resource[type] ?? {}).join(', ') || 'none of that type'}`);
  }
  return resource;
}

/** Parses a resource's JSON policy string (an IAM policy document). */
export function policyOf(resource: Record<string, unknown>, attribute = 'policy'): { Statement: Array<Record<string, unknown>> } {
  return JSON.parse(String(resource[attribute]));
}

/**
 * Runs the cdktf app as `npm run synth` does, into `outdir` (local backend: TF_CLOUD_ORGANIZATION
 * cleared). Returns the exit status and stderr for the caller to assert on.
 */
export function runApp(outdir: string): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'main.ts'], {
    cwd: path.resolve(__dirname, '..', '..'),
    env: { ...process.env, CDKTF_OUTDIR: outdir, TF_CLOUD_ORGANIZATION: '' },
    encoding: 'utf8',
  });
  return { status: result.status, stderr: result.stderr };
}
