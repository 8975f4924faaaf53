/**
 * Synth speed and memory, measured in one run on the same stacks:
 *   - the cdktf template's way: ts-node app importing the provider barrel, via `cdktf synth`
 *   - this project through the CLI: `npx cdktf synth` (app: node --import tsx main.ts)
 *   - this project directly: `npm run synth`'s command
 * Goal: `npm run synth` at least 8x faster than the template way and under 150 MB peak.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { measure, type Measurement } from './measure';

const root = path.resolve(__dirname, '..');
const bin = (name: string): string => path.join(root, 'node_modules', '.bin', name);

/** A scratch folder with a cdktf.json whose app is `app`, so the CLI runs it as a user's would. */
function cdktfProject(app: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iam-http-api-bench-'));
  fs.writeFileSync(path.join(dir, 'cdktf.json'), JSON.stringify({ language: 'typescript', app, sendCrashReports: 'false', output: path.join(dir, 'cdktf.out') }));
  return dir;
}

function row(label: string, m: Measurement, baseline?: Measurement): string {
  const ratio = baseline ? `${(baseline.wallMs / m.wallMs).toFixed(1)}x faster` : 'baseline';
  return `${label.padEnd(44)} ${(m.wallMs / 1000).toFixed(2).padStart(6)} s  ${m.peakProcessMb.toFixed(0).padStart(5)} MB process  ${m.peakTreeMb.toFixed(0).padStart(5)} MB tree  ${ratio}`;
}

export async function benchSynth(): Promise<{ speedup: number; peakMb: number }> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'iam-http-api-bench-'));
  const cliConfig = path.join(scratch, 'terraformrc');
  fs.writeFileSync(cliConfig, '');
  const env = { ...process.env, CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: cliConfig, TF_CLOUD_ORGANIZATION: '' };
  const templateDir = cdktfProject(`${bin('ts-node')} --project ${path.join(root, 'tsconfig.json')} ${path.join(root, 'bench', 'template-way', 'main.ts')}`);
  const directOut = fs.mkdtempSync(path.join(os.tmpdir(), 'iam-http-api-bench-out-'));
  try {
    const template = await measure(bin('cdktf'), ['synth'], { cwd: templateDir, env });
    const cli = await measure(bin('cdktf'), ['synth', '--output', path.join(scratch, 'cli.out')], { cwd: root, env });
    const direct = await measure(process.execPath, ['--import', 'tsx', 'main.ts'], { cwd: root, env: { ...env, CDKTF_OUTDIR: directOut } });
    console.log('Synth of the dev and prod stacks (one run each, this machine):');
    console.log(row('template way: cdktf synth, ts-node + barrel', template));
    console.log(row('npx cdktf synth (tsx app, deep imports)', cli, template));
    console.log(row('npm run synth (app run directly)', direct, template));
    const speedup = template.wallMs / direct.wallMs;
    console.log(`npm run synth: ${speedup.toFixed(1)}x faster than the template way (goal >= 8x), peak ${direct.peakProcessMb.toFixed(0)} MB (goal < 150 MB)`);
    return { speedup, peakMb: direct.peakProcessMb };
  } finally {
    for (const dir of [templateDir, scratch, directOut]) fs.rmSync(dir, { recursive: true, force: true });
  }
}
