/**
 * Plans one synthesized stack folder with the real terraform: `init`, `plan -out`, then
 * `show -json` on the saved plan, summarized for review. The saved plan holds the prior
 * state (and so the invokers' secret keys): it is written mode 0600 outside the stack
 * folder, so a Terraform Cloud upload of the folder never carries it, and its JSON is only
 * ever held in memory.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parsePlanJson } from './plan-json';
import { renderSummary } from './render-summary';
import { summarizePlan, type PlanSummary } from './summarize-plan';
import { terraformOrThrow } from './terraform-cli';

export interface PlanStackOptions {
  readonly environment: string;
  /** The synthesized stack folder (holds cdk.tf.json). */
  readonly stackDir: string;
  /** Where the binary plan goes (mode 0600). */
  readonly planFile: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Progress lines (to stderr, by the command). */
  readonly progress?: (line: string) => void;
}

export interface StackPlan {
  readonly summary: PlanSummary;
  readonly markdown: string;
}

type StackJson = { resource?: Record<string, Record<string, Record<string, unknown>>> };

function readStackJson(stackDir: string): StackJson {
  const file = path.join(stackDir, 'cdk.tf.json');
  if (!fs.existsSync(file)) throw new Error(`No synthesized stack in ${stackDir}: cdk.tf.json is missing. Run npm run synth.`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as StackJson;
}

export async function planStack(options: PlanStackOptions): Promise<StackPlan> {
  const { stackDir, environment } = options;
  const stack = readStackJson(stackDir);
  const run = { cwd: stackDir, env: options.env };
  options.progress?.(`${environment}: terraform init`);
  await terraformOrThrow(['init', '-input=false', '-no-color'], run);
  options.progress?.(`${environment}: terraform plan`);
  fs.mkdirSync(path.dirname(options.planFile), { recursive: true });
  fs.rmSync(options.planFile, { force: true });
  try {
    await terraformOrThrow(['plan', '-input=false', '-no-color', '-lock-timeout=120s', `-out=${options.planFile}`], run);
  } finally {
    if (fs.existsSync(options.planFile)) fs.chmodSync(options.planFile, 0o600);
  }
  const plan = parsePlanJson(await terraformOrThrow(['show', '-json', '-no-color', options.planFile], run));
  const summary = summarizePlan(plan, {
    environment,
    configuredAttribute: (type, name, attribute) => {
      const value = stack.resource?.[type]?.[name]?.[attribute];
      return typeof value === 'string' ? value : undefined;
    },
  });
  return { summary, markdown: renderSummary(summary) };
}
