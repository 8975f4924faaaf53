/**
 * Terraform Cloud receives only the stack folder (cdktf.out/stacks/<env>) when it runs a plan
 * remotely. With TF_CLOUD_ORGANIZATION set, each environment gets its own `cloud` block, and
 * the folder must hold everything plan needs: no absolute path, no path leading out of it.
 *
 * Proof by doing: only the folder is copied to an unrelated temp dir (as the upload does),
 * the cloud block is swapped for local state by an override file (as a TFC run swaps in its
 * own state), and the real terraform plans it against moto. The one substitution is the
 * offline harness's (terraform-offline.ts): data.archive_file becomes a zip built from the
 * folder's own assets, since the archive provider is not in this machine's mirror.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import config from '../../iam-http-api.config';
import { buildApp } from '../../src/app/build-app';
import { startMotoServer, type MotoServer } from '../support/moto-server';
import { describeWithOfflineTools } from '../support/offline-tools';
import { describeFailure, planDetailed, prepareOfflineTerraform, type JsonValue, type OfflineTerraform } from '../support/terraform-offline';

const root = path.resolve(__dirname, '..', '..');
const STEP_TIMEOUT = 5 * 60 * 1000;
const ENVIRONMENTS = ['dev', 'prod'];
/** Arguments that name a file on the machine running terraform. */
const FILE_ATTRIBUTES = new Set(['filename', 'source_dir', 'source_file', 'output_path', 'content_file', 'source_code_hash_file']);

/** Every string in a JSON value, with where it is. */
function strings(value: JsonValue, at = ''): Array<{ at: string; text: string }> {
  if (typeof value === 'string') return [{ at, text: value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${at}[${i}]`));
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([k, v]) => strings(v, at ? `${at}.${k}` : k));
  return [];
}

describeWithOfflineTools('the Terraform Cloud upload: each stack folder alone is enough to plan', () => {
  let scratch: string;
  let moto: MotoServer | undefined;
  const copies: OfflineTerraform[] = [];
  const stackDir = (env: string) => path.join(scratch, 'cdktf.out', 'stacks', env);
  const stackJson = (env: string) => JSON.parse(fs.readFileSync(path.join(stackDir(env), 'cdk.tf.json'), 'utf8')) as { [key: string]: JsonValue };

  beforeAll(async () => {
    fs.mkdirSync(path.join(root, '.build'), { recursive: true });
    scratch = fs.mkdtempSync(path.join(root, '.build', 'cloud-upload-'));
    buildApp(config, { outdir: path.join(scratch, 'cdktf.out'), env: { TF_CLOUD_ORGANIZATION: 'acme' }, buildDir: path.join(scratch, 'build') }).synth();
    moto = await startMotoServer();
  }, STEP_TIMEOUT);

  afterAll(async () => {
    await moto?.stop();
    for (const copy of copies) copy.cleanup();
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  }, STEP_TIMEOUT);

  it.each(ENVIRONMENTS)('%s: a cloud block for its own workspace, and no local backend', (env) => {
    const terraform = stackJson(env).terraform as { cloud?: JsonValue; backend?: JsonValue };
    expect(terraform.cloud).toEqual({ organization: 'acme', hostname: 'app.terraform.io', workspaces: { name: `iam-http-api-${env}` } });
    expect(terraform.backend).toBeUndefined();
  });

  it.each(ENVIRONMENTS)('%s: no absolute path and no path out of the folder; every ${path.module} file is inside it', (env) => {
    const all = strings(stackJson(env));
    const machinePaths = [root, scratch, os.tmpdir(), os.homedir()];
    const outside = all.filter(
      ({ at, text }) =>
        text.includes('../') ||
        machinePaths.some((p) => text.includes(p)) ||
        // Attributes that name files must name them inside the folder.
        (FILE_ATTRIBUTES.has(at.split('.').pop() ?? '') && !/^\$\{path\.module\}\/|^\$\{data\.archive_file\.\w+\.output_path\}$/.test(text)),
    );
    expect(outside).toEqual([]);
    const moduleFiles = all.flatMap(({ at, text }) => [...text.matchAll(/\$\{path\.module\}\/([^"'\s}]+)/g)].map((m) => ({ at, file: m[1] ?? '' })));
    expect(moduleFiles.map((m) => m.at).sort()).toEqual(['data.archive_file.handler.output_path', 'data.archive_file.handler.source_dir']);
    const source = moduleFiles.find((m) => m.at.endsWith('source_dir'))!.file;
    expect(fs.readdirSync(path.join(stackDir(env), source))).toEqual(['index.mjs']);
  });

  it.each(ENVIRONMENTS)('%s: the folder alone, copied elsewhere, plans with the real terraform', async (env) => {
    const copy = prepareOfflineTerraform({ stackDir: stackDir(env), endpoint: moto!.endpoint });
    copies.push(copy);
    expect(path.relative(scratch, copy.workDir).startsWith('..')).toBe(true);
    const init = await copy.run(['init', '-input=false']);
    if (init.code !== 0) throw new Error(describeFailure(init));
    const { status, result } = await planDetailed(copy);
    expect({ status, error: status === 'error' ? describeFailure(result) : undefined }).toEqual({ status: 'changes', error: undefined });
    const resources = Object.values(stackJson(env).resource as { [type: string]: { [name: string]: JsonValue } }).reduce((n, byName) => n + Object.keys(byName).length, 0);
    expect(result.stdout).toContain(`Plan: ${resources} to add, 0 to change, 0 to destroy.`);
  }, STEP_TIMEOUT);
});
