/**
 * `npm run export:hcl`: the stacks as HCL you can commit and keep using without cdktf.
 *
 * Runs `cdktf synth --hcl --output DIR`, then repairs what cdktf 0.21.0 renders wrongly (see
 * src/hcl/repair-cdktf-hcl.ts) from the same app synthesized as JSON, and runs `terraform fmt`.
 *
 * Usage: node --import tsx src/commands/export-hcl.ts [--output DIR]   (default DIR: cdktf.hcl)
 *
 * The output folder must not hold JSON stacks (cdk.tf.json): Terraform would load both files of
 * a stack and fail on duplicate resources. That is why the default is not cdktf.out.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HclExportError } from '../hcl/hcl-export-error';
import { isMap, repairCdktfHcl, type Json, type JsonMap } from '../hcl/repair-cdktf-hcl';

/** The project root: where package.json and cdktf.json live. */
const ROOT = path.resolve(__dirname, '..', '..');

/** Where `npm run export:hcl` writes when `--output` is not given. */
export const DEFAULT_HCL_OUTDIR = 'cdktf.hcl';

/** Stack folders under `<outdir>/stacks` that hold a JSON stack. */
function jsonStacksIn(outdir: string): string[] {
  const stacks = path.join(outdir, 'stacks');
  if (!fs.existsSync(stacks)) return [];
  return fs.readdirSync(stacks).filter((s) => fs.existsSync(path.join(stacks, s, 'cdk.tf.json')));
}

function readJsonMap(file: string): JsonMap {
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Json;
  if (!isMap(parsed)) throw new HclExportError(`${file} is not a JSON object`);
  return parsed;
}

/**
 * `terraform fmt` on a stack folder, when terraform is installed: Terraform's canonical style
 * (e.g. `"${aws_iam_role.handler.arn}"` becomes `aws_iam_role.handler.arn`), so a CI
 * `terraform fmt -check` passes on the committed HCL. Throws when fmt rejects the file.
 */
function terraformFmt(dir: string): string {
  const fmt = spawnSync('terraform', ['fmt', '-no-color', '-list=false', dir], { encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
  if (fmt.error !== undefined && (fmt.error as NodeJS.ErrnoException).code === 'ENOENT') return 'not formatted (terraform is not on PATH; run terraform fmt)';
  if (fmt.status !== 0) throw new HclExportError(`terraform fmt ${dir} failed (exit ${String(fmt.status)}):\n${fmt.stderr}`);
  return 'formatted with terraform fmt';
}

/** Runs the export; returns the process exit code. */
export function exportHcl(outdir: string, log: (line: string) => void = console.log): number {
  const withJson = jsonStacksIn(outdir);
  if (withJson.length > 0) {
    log(`${outdir} holds JSON stacks (${withJson.join(', ')}): Terraform would read cdk.tf.json and cdk.tf together and fail on duplicates. Use another --output (default ${DEFAULT_HCL_OUTDIR}).`);
    return 1;
  }
  const cdktf = path.join(ROOT, 'node_modules', '.bin', 'cdktf');
  const synth = spawnSync(cdktf, ['synth', '--hcl', '--output', outdir], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, CHECKPOINT_DISABLE: '1' },
  });
  if (synth.status !== 0) {
    log(`cdktf synth --hcl failed (exit ${String(synth.status)})`);
    return synth.status ?? 1;
  }
  // The same app as JSON, which cdktf renders correctly: the source of the repaired values.
  fs.mkdirSync(path.join(ROOT, '.build'), { recursive: true });
  const jsonOut = fs.mkdtempSync(path.join(ROOT, '.build', 'export-hcl-json-'));
  try {
    const app = String(readJsonMap(path.join(ROOT, 'cdktf.json')).app);
    const json = spawnSync(app, { cwd: ROOT, shell: true, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, CDKTF_OUTDIR: jsonOut } });
    if (json.status !== 0) {
      log(`the JSON synthesis (${app}) failed (exit ${String(json.status)})`);
      return json.status ?? 1;
    }
    const manifest = readJsonMap(path.join(outdir, 'manifest.json'));
    const stacks = isMap(manifest.stacks) ? manifest.stacks : {};
    for (const [name, entry] of Object.entries(stacks)) {
      const rel = isMap(entry) ? entry.synthesizedStackPath : undefined;
      if (typeof rel !== 'string') throw new HclExportError(`manifest.json: stack ${name} has no synthesizedStackPath`);
      const file = path.join(outdir, rel);
      const stack = readJsonMap(path.join(jsonOut, 'stacks', name, 'cdk.tf.json'));
      const result = repairCdktfHcl(fs.readFileSync(file, 'utf8'), stack);
      fs.writeFileSync(file, result.hcl);
      const formatted = terraformFmt(path.dirname(file));
      log(`${path.relative(process.cwd(), file) || file}: rewrote ${result.repaired.length} attribute(s) (IAM policies as jsonencode, strings cdktf renders wrongly: hashicorp/terraform-cdk#3911)${result.repaired.length > 0 ? `: ${result.repaired.join(', ')}` : ''}; unquoted ${result.unquotedDependsOn} depends_on reference(s); ${formatted}`);
    }
    return 0;
  } finally {
    fs.rmSync(jsonOut, { recursive: true, force: true });
  }
}

function main(argv: string[]): number {
  let output = DEFAULT_HCL_OUTDIR;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--output' || arg === '-o') {
      const value = argv[++i];
      if (value === undefined || value === '') {
        console.error('--output needs a folder');
        return 1;
      }
      output = value;
    } else if (arg === '--help' || arg === '-h') {
      console.log(`Usage: npm run export:hcl -- [--output DIR]   (default ${DEFAULT_HCL_OUTDIR}): every stack as HCL in DIR/stacks/<env>/cdk.tf`);
      return 0;
    } else {
      console.error(`unknown argument ${String(arg)}; usage: npm run export:hcl -- [--output DIR]`);
      return 1;
    }
  }
  try {
    return exportHcl(path.resolve(output));
  } catch (error) {
    if (error instanceof HclExportError) {
      console.error(`export:hcl stopped: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
