/**
 * `npm run plan`: for each environment (`STACK=dev` or `STACK=dev,prod` picks; default all in
 * iam-http-api.config.ts), synthesize when stale, `terraform plan`, and print a review
 * summary: what is added/changed/destroyed, IAM policy diffs as JSON, changes made outside
 * Terraform, and a loud warning when anyone gains access: a route an invoker may newly call, or a
 * principal, account, service or GitHub repository that may newly assume a role (trust-grants.ts).
 *
 * Writes `cdktf.out/plans/<env>.md` (the summary, also the PR comment) and
 * `cdktf.out/plans/<env>.tfplan` (the saved plan for `terraform apply`; holds state, so
 * secrets: mode 0600, never upload it).
 *
 * Flags: --no-synth (plan cdktf.out as it is), --detailed-exitcode (exit 2 when anything
 * would change, like terraform's own flag), --help.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import config from '../../iam-http-api.config';
import { resolveConfig, ConfigError } from '../config/resolve';
import { planStack } from '../plan/plan-stack';
import { hasChanges } from '../plan/summarize-plan';
import { TerraformError } from '../plan/terraform-cli';
import { StackSelectionError, selectStacks } from './stack-selection';
import { outdirOf, stackJsonPath, synthIfStale } from './synth-if-stale';

const root = path.resolve(__dirname, '..', '..');
const USAGE = 'usage: [STACK=<env>[,<env>…]] npm run plan [-- --no-synth] [-- --detailed-exitcode]';

class UsageError extends Error {}

interface Flags {
  readonly synth: boolean;
  readonly detailedExitcode: boolean;
}

function parseFlags(argv: readonly string[]): Flags | 'help' {
  let synth = true;
  let detailedExitcode = false;
  for (const arg of argv) {
    if (arg === '--help' || arg === '-h') return 'help';
    else if (arg === '--no-synth') synth = false;
    else if (arg === '--detailed-exitcode') detailedExitcode = true;
    else throw new UsageError(`unknown argument ${JSON.stringify(arg)}\n${USAGE}`);
  }
  return { synth, detailedExitcode };
}

async function main(): Promise<number> {
  const flags = parseFlags(process.argv.slice(2));
  if (flags === 'help') {
    console.log(USAGE);
    return 0;
  }
  const envs = selectStacks(process.env.STACK, resolveConfig(config).map((c) => c.environment), { required: false, example: 'STACK=dev npm run plan' });
  const outdir = outdirOf(root);
  let changes = false;
  for (const environment of envs) {
    if (flags.synth) synthIfStale(root, outdir, environment);
    const stackJson = stackJsonPath(outdir, environment);
    const stackDir = path.dirname(stackJson);
    if (!fs.existsSync(stackJson)) {
      throw new UsageError(`No synthesized stack "${environment}" in ${path.relative(root, outdir) || '.'}: run npm run synth (or drop --no-synth)`);
    }
    const plansDir = path.join(outdir, 'plans');
    const { summary, markdown } = await planStack({
      environment,
      stackDir,
      planFile: path.join(plansDir, `${environment}.tfplan`),
      progress: (line) => console.error(line),
    });
    fs.writeFileSync(path.join(plansDir, `${environment}.md`), markdown);
    console.log(markdown);
    console.error(`${environment}: summary in ${path.relative(process.cwd(), path.join(plansDir, `${environment}.md`))}, saved plan in ${path.relative(process.cwd(), path.join(plansDir, `${environment}.tfplan`))}`);
    changes ||= hasChanges(summary);
  }
  return flags.detailedExitcode && changes ? 2 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const expected = error instanceof UsageError || error instanceof StackSelectionError || error instanceof TerraformError || error instanceof ConfigError;
    console.error(expected ? (error as Error).message : error);
    process.exit(1);
  },
);
