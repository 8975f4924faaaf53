/**
 * `npm run deploy|diff|destroy`: cdktf's command for the environments `STACK=` names
 * (required: these touch real infrastructure). Synthesizes first with the whole environment,
 * then runs `cdktf <command> --skip-synth <stacks…>` WITHOUT TF_WORKSPACE: this project reads
 * it as the Terraform Cloud workspace prefix, while terraform (run by cdktf) would take it as
 * a workspace name that must match the `cloud` block. Extra arguments pass through:
 * `STACK=dev npm run deploy -- --auto-approve`.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import config from '../../iam-http-api.config';
import { ConfigError, resolveConfig } from '../config/resolve';
import { withoutTfWorkspace } from '../plan/terraform-cli';
import { CDKTF_COMMANDS, cdktfArgs, isCdktfCommand } from './cdktf-stack-args';
import { StackSelectionError, selectStacks } from './stack-selection';
import { outdirOf, synthesize } from './synth-if-stale';

const root = path.resolve(__dirname, '..', '..');
function main(): void {
  const [command, ...extra] = process.argv.slice(2);
  if (!isCdktfCommand(command)) throw new StackSelectionError(`unknown command ${JSON.stringify(command)}; use one of ${CDKTF_COMMANDS.join(', ')}`);
  const stacks = selectStacks(process.env.STACK, resolveConfig(config).map((c) => c.environment), {
    required: true,
    example: `STACK=dev npm run ${command}`,
  });
  synthesize(root, outdirOf(root));
  const cdktf = path.join(root, 'node_modules', '.bin', 'cdktf');
  const child = spawn(cdktf, cdktfArgs(command, stacks, extra), { cwd: root, stdio: 'inherit', env: withoutTfWorkspace() });
  // Ctrl-C reaches cdktf too (same process group); wait for it to stop cleanly.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.once('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

try {
  main();
} catch (error) {
  if (error instanceof StackSelectionError || error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
