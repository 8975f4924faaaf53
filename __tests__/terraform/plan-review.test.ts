/**
 * `npm run plan` with the real terraform against moto: the review summary a team reads in a
 * pull request. After an apply the plan is clean; a policy edited through the AWS API shows
 * up as drift with the access it gave; applying the saved plan puts it back; a change
 * to the configuration that gives `viewer` POST is announced by name; and so is a change that
 * lets more callers assume the `deployer` role (its trust policy), planned on the same state.
 *
 * The command runs as a user runs it (`node --import tsx src/commands/plan.ts`), with
 * `--no-synth` on a stack folder prepared for moto (see terraform-offline.ts: the archive
 * provider is not in the offline mirror, so data.archive_file is replaced by a built zip).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import config from '../../iam-http-api.config';
import { buildApp } from '../../src/app/build-app';
import { resolveConfig } from '../../src/config/resolve';
import type { InvokeRule, ProjectConfigInput } from '../../src/config/types';
import { widenUserPolicyOutOfBand } from '../support/moto-iam';
import { startMotoServer, type MotoServer } from '../support/moto-server';
import { describeWithOfflineTools } from '../support/offline-tools';
import { destroyAndCleanUp, offlineEnv, prepareOfflineTerraform, terraformOutputs, type OfflineTerraform, runStep } from '../support/terraform-offline';

const root = path.resolve(__dirname, '..', '..');
const STEP_TIMEOUT = 5 * 60 * 1000;

/** The project's config with dev's viewer also allowed POST. */
function viewerGetsPost(): ProjectConfigInput {
  const dev = resolveConfig(config).find((c) => c.environment === 'dev');
  if (!dev) throw new Error('no dev environment in iam-http-api.config.ts');
  const invokers = Object.fromEntries(
    Object.entries(dev.invokers).map(([name, s]) => [name, { ...s, allow: name === 'viewer' ? [...s.allow, 'POST /*' as InvokeRule] : [...s.allow] }]),
  );
  return { ...config, environments: { ...config.environments, dev: { ...config.environments?.dev, invokers } } };
}

/** The project's config with dev's deployer role assumable also by editor, an account without an external id, and GitHub. */
function deployerTrustWidened(): ProjectConfigInput {
  const dev = config.environments?.dev;
  const deployer = dev?.invokers?.deployer;
  if (!dev?.invokers || deployer?.kind !== 'role') throw new Error('no dev role invoker "deployer" in iam-http-api.config.ts');
  const widened = {
    ...deployer,
    assumableBy: { invokers: ['admin', 'editor'], accounts: [{ id: '111122223333' }], githubOidc: { repository: 'my-org/app', branch: 'main' } },
  };
  return { ...config, environments: { ...config.environments, dev: { ...dev, invokers: { ...dev.invokers, deployer: widened } } } };
}

interface PlanRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** cdktf.out/plans/dev.md as written. */
  markdown: string;
}

describeWithOfflineTools('npm run plan against moto: review summary, drift, access warnings', () => {
  let scratch: string;
  let moto: MotoServer | undefined;
  let tf: OfflineTerraform | undefined;
  /** The handle of the second preparation (same work dir, its own CLI config dir). */
  let changed: OfflineTerraform | undefined;
  /** The third (deployer's trust widened), same work dir again. */
  let widened: OfflineTerraform | undefined;
  /** Plays cdktf.out: <outdir>/stacks/dev is the prepared work dir. */
  let outdir: string;
  let secrets: string[] = [];

  function synth(input: unknown, name: string): string {
    const dir = path.join(scratch, name);
    buildApp(input, { outdir: dir, env: {}, buildDir: path.join(scratch, `${name}-build`) }).synth();
    return path.join(dir, 'stacks', 'dev');
  }

  function runPlan(): PlanRun {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/commands/plan.ts', '--no-synth', '--detailed-exitcode'], {
      cwd: root,
      env: { ...offlineEnv(tf!.cliConfigPath, tf!.region), CDKTF_OUTDIR: outdir, STACK: 'dev' },
      encoding: 'utf8',
      timeout: STEP_TIMEOUT,
    });
    const mdFile = path.join(outdir, 'plans', 'dev.md');
    const markdown = fs.existsSync(mdFile) ? fs.readFileSync(mdFile, 'utf8') : '';
    for (const secret of secrets) {
      expect([result.stdout, result.stderr, markdown].some((text) => text.includes(secret))).toBe(false);
    }
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, markdown };
  }

  const step = (args: string[]): Promise<void> => runStep(tf, args);

  beforeAll(async () => {
    fs.mkdirSync(path.join(root, '.build'), { recursive: true });
    scratch = fs.mkdtempSync(path.join(root, '.build', 'plan-review-'));
    const stackDir = synth(config, 'as-configured');
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-outdir-'));
    moto = await startMotoServer();
    tf = prepareOfflineTerraform({ stackDir, endpoint: moto.endpoint, workDir: path.join(outdir, 'stacks', 'dev') });
    await step(['init', '-input=false']);
    await step(['apply', '-auto-approve', '-input=false']);
    const outputs = await terraformOutputs(tf);
    secrets = Object.entries(outputs).filter(([name]) => name.endsWith('_secret_access_key')).map(([, o]) => String(o.value));
    expect(secrets).toHaveLength(3);
  }, STEP_TIMEOUT);

  afterAll(() => destroyAndCleanUp({ tf, moto, others: [changed, widened], dirs: [scratch, outdir] }), STEP_TIMEOUT);

  it('right after apply: no changes, no drift, exit 0', () => {
    const run = runPlan();
    expect({ status: run.status, stderr: run.status === 0 ? '' : run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(run.markdown).toContain('### `dev`: no changes. The infrastructure matches the configuration.');
    expect(run.markdown).not.toContain('Changed outside Terraform');
    expect(run.stdout).toContain(run.markdown.trim());
  }, STEP_TIMEOUT);

  it('after viewer\'s policy is edited through the AWS API: drift, named, with the access it gave; the plan puts it back', () => {
    const resources = widenUserPolicyOutOfBand({ endpoint: moto!.endpoint, user: 'iam-http-api-dev-viewer', from: '/GET/', to: '/POST/' });
    expect(resources.some((r) => r.endsWith('/$default/POST/*'))).toBe(true);

    const run = runPlan();
    expect({ status: run.status, stderr: run.status === 2 ? '' : run.stderr }).toEqual({ status: 2, stderr: '' });
    expect(run.markdown).toContain('### `dev`: 0 to add, 1 to change, 0 to destroy');
    expect(run.markdown).toContain('#### Changed outside Terraform (drift)');
    expect(run.markdown).toContain('| `aws_iam_user_policy.invoker_viewer_invoke` | `policy` (policy, below) | puts it back |');
    expect(run.markdown).toContain('invoker `viewer` (IAM user `iam-http-api-dev-viewer`) was given `POST /*` OUTSIDE Terraform');
    expect(run.markdown).toMatch(/^\+ +"arn:aws:execute-api:us-east-1:123456789012:\w+\/\$default\/POST\/\*"$/m);
  }, STEP_TIMEOUT);

  it('the saved plan (0600) applies and removes the drift', async () => {
    const planFile = path.join(outdir, 'plans', 'dev.tfplan');
    expect(fs.statSync(planFile).mode & 0o777).toBe(0o600);
    await step(['apply', '-input=false', planFile]);
    const run = runPlan();
    expect(run.status).toBe(0);
    expect(run.markdown).toContain('no changes');
  }, STEP_TIMEOUT);

  it('a configuration change giving viewer POST is announced loudly, with the policy diff', () => {
    // The same work dir (its state kept), the changed configuration copied over it.
    changed = prepareOfflineTerraform({ stackDir: synth(viewerGetsPost(), 'viewer-post'), endpoint: moto!.endpoint, workDir: tf!.workDir });
    const run = runPlan();
    expect({ status: run.status, stderr: run.status === 2 ? '' : run.stderr }).toEqual({ status: 2, stderr: '' });
    expect(run.markdown).toContain('### `dev`: 0 to add, 1 to change, 0 to destroy');
    expect(run.markdown).toContain('> [!CAUTION]');
    expect(run.markdown).toContain('> - ⚠️ invoker `viewer` (IAM user `iam-http-api-dev-viewer`) GAINS `POST /*`');
    expect(run.markdown).toContain('| ~ update | `aws_iam_user_policy.invoker_viewer_invoke` | `policy` (policy, below) |');
    expect(run.markdown).toMatch(/^\+ +"arn:aws:execute-api:us-east-1:123456789012:\w+\/\$default\/POST\/\*"$/m);
    expect(run.markdown).not.toContain('Changed outside Terraform');
  }, STEP_TIMEOUT);

  it('a configuration change letting more callers assume the deployer role is announced, with the trust-policy diff', () => {
    // The state is still the applied project's; the changed configuration copied over it again.
    widened = prepareOfflineTerraform({ stackDir: synth(deployerTrustWidened(), 'deployer-trust'), endpoint: moto!.endpoint, workDir: tf!.workDir });
    const run = runPlan();
    expect({ status: run.status, stderr: run.status === 2 ? '' : run.stderr }).toEqual({ status: 2, stderr: '' });
    // Added: GitHub's OIDC provider and editor's sts:AssumeRole policy; changed: the role's trust policy.
    expect(run.markdown).toContain('### `dev`: 2 to add, 1 to change, 0 to destroy');
    expect(run.markdown).toContain(
      [
        '> [!CAUTION]',
        '> **ROLE TRUST WIDENED. Review who can assume which role before applying:**',
        '> - ⚠️ role `deployer` (IAM role `iam-http-api-dev-deployer`) can now be assumed by invoker `editor` (IAM user `iam-http-api-dev-editor`)',
        '> - ⚠️ role `deployer` (IAM role `iam-http-api-dev-deployer`) can now be assumed by account `111122223333` without `sts:ExternalId`',
        '> - ⚠️ role `deployer` (IAM role `iam-http-api-dev-deployer`) can now be assumed by GitHub `repo:my-org/app:ref:refs/heads/main`',
        '',
      ].join('\n'),
    );
    // admin, trusted before and after, is not news, though the new policy names it by reference.
    expect(run.markdown).not.toContain('can now be assumed by invoker `admin`');
    expect(run.markdown).not.toContain('ACCESS GRANTED');
    expect(run.markdown).toContain('| ~ update | `aws_iam_role.invoker_deployer` | `assume_role_policy` (policy, below) |');
    expect(run.markdown).toContain('**`aws_iam_role.invoker_deployer`** `assume_role_policy` changes (as configured; ARNs are known after apply):');
    expect(run.markdown).toMatch(/^- +"arn:aws:iam::123456789012:user\/iam-http-api\/iam-http-api-dev-admin"$/m);
    expect(run.markdown).toMatch(/^\+ +"AWS": "arn:aws:iam::111122223333:root"$/m);
    expect(run.markdown).toMatch(/^\+ +"token\.actions\.githubusercontent\.com:sub": "repo:my-org\/app:ref:refs\/heads\/main"$/m);
  }, STEP_TIMEOUT);
});
