/**
 * Test support: run the REAL terraform binary, fully offline, against a moto server.
 *
 * - `terraform init` installs hashicorp/aws only from the filesystem mirror (no registry).
 * - The synthesized stack is used as shipped, except in a throw-away copy:
 *   the `aws` provider is aimed at moto by an override file, the backend by another,
 *   and `data.archive_file` (its provider is not in the mirror) is replaced by a zip
 *   the test builds itself.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { TF_PLUGIN_MIRROR } from './moto-server';

/** Provider source address of the only provider the mirror holds. */
export const AWS_PROVIDER_ADDRESS = 'registry.terraform.io/hashicorp/aws';

/** Dummy credentials handed to terraform and boto3; moto accepts any. */
export const TEST_AWS_ACCESS_KEY_ID = 'testing';
/** Dummy secret; never a real one. */
export const TEST_AWS_SECRET_ACCESS_KEY = 'testing';

/** Services the provider override points at moto by default. */
export const DEFAULT_MOTO_SERVICES: readonly string[] = ['apigatewayv2', 'lambda', 'iam', 'sts', 'logs'];

/** Default bound for one terraform command. */
export const DEFAULT_TF_TIMEOUT_MS = 5 * 60 * 1000;

/** A JSON value (what `JSON.parse` returns). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** Result of one terraform (or helper) process. */
export interface CommandResult {
  /** Exit code; -1 when killed by a signal or the timeout. */
  code: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  /** The arguments as run (for messages). */
  args: string[];
}

/** Options for {@link runTerraform}. */
export interface RunTerraformOptions {
  /** Working directory (the stack copy). */
  cwd: string;
  /** Path of the CLI config file from {@link writeOfflineCliConfig}. */
  cliConfigPath: string;
  /** AWS region exported as AWS_REGION / AWS_DEFAULT_REGION. Default us-east-1. */
  region?: string;
  /** Bound for the command; SIGTERM then SIGKILL. Default 5 min. */
  timeoutMs?: number;
  /** Insert `-no-color` after the subcommand when it takes it. Default true. */
  noColor?: boolean;
  /** Extra environment (e.g. TF_LOG). Applied last. */
  env?: Record<string, string>;
}

/** Everything a test needs to drive terraform in a prepared work dir. */
export interface OfflineTerraform {
  /** The stack copy terraform runs in. */
  workDir: string;
  /** Temp dir holding the CLI config (and the fake HOME). */
  cliConfigDir: string;
  cliConfigPath: string;
  /** moto endpoint the provider is aimed at. */
  endpoint: string;
  /** Region of the default `aws` provider. */
  region: string;
  /** Zips built in place of `data.archive_file`, by data source name. */
  archives: Record<string, PrebuiltArchive>;
  /** Runs terraform in workDir with the offline env. */
  run(args: string[], opts?: Partial<Omit<RunTerraformOptions, 'cwd' | 'cliConfigPath'>>): Promise<CommandResult>;
  /** Removes workDir and cliConfigDir. */
  cleanup(): void;
}

/** Attributes of a zip built in place of one `data.archive_file`. */
export interface PrebuiltArchive {
  output_path: string;
  output_size: number;
  output_base64sha256: string;
  output_base64sha512: string;
  output_md5: string;
  output_sha: string;
  output_sha256: string;
  output_sha512: string;
  id: string;
}

/** Outcome of `terraform plan -detailed-exitcode`. */
export type PlanStatus = 'no-changes' | 'changes' | 'error';

/** One `terraform output -json` entry. */
export interface TerraformOutput {
  value: JsonValue;
  sensitive: boolean;
  type: JsonValue;
}

// ---------------------------------------------------------------------------
// small utilities

/** The last `lines` lines of `text` (for failure messages). */
export function tail(text: string, lines = 40): string {
  return text.split('\n').slice(-lines).join('\n');
}

/** A one-paragraph failure description of a command: args, code, output tails. */
/** Runs a terraform step that must succeed; a failure throws with the output's tail. */
export async function runStep(tf: OfflineTerraform | undefined, args: string[]): Promise<void> {
  if (!tf) throw new Error('terraform was not prepared (an earlier step failed)');
  const result = await tf.run(args);
  if (result.code !== 0) throw new Error(describeFailure(result));
}

export function describeFailure(res: CommandResult, lines = 40): string {
  return [
    `terraform ${res.args.join(' ')} exited ${res.code}${res.timedOut ? ' (timed out)' : ''} after ${res.durationMs} ms`,
    '--- stderr (tail) ---',
    tail(res.stderr, lines),
    '--- stdout (tail) ---',
    tail(res.stdout, lines),
  ].join('\n');
}

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Provider blocks in cdktf JSON are a list (`[{...}]`) or a single object. */
function providerEntries(v: JsonValue | undefined): JsonObject[] {
  if (Array.isArray(v)) return v.filter(isObject);
  return isObject(v) ? [v] : [];
}

function writeJson(file: string, value: JsonValue): void {
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** Reads `cdk.tf.json` (or another file) from a directory. */
export function readStackJson(dir: string, file = 'cdk.tf.json'): JsonObject {
  const parsed = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as JsonValue;
  if (!isObject(parsed)) throw new Error(`${file} in ${dir} is not a JSON object`);
  return parsed;
}

// ---------------------------------------------------------------------------
// CLI config, provider override, backend override

/**
 * Writes a Terraform CLI config that installs hashicorp/aws only from the filesystem
 * mirror and allows no network install at all. Returns its path.
 * @param dir directory to write into (created if missing); a fresh temp dir by default.
 */
export function writeOfflineCliConfig(dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-cli-'))): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'offline.tfrc');
  const hcl = [
    'disable_checkpoint = true',
    'provider_installation {',
    '  filesystem_mirror {',
    `    path    = ${JSON.stringify(TF_PLUGIN_MIRROR)}`,
    `    include = [${JSON.stringify(AWS_PROVIDER_ADDRESS)}]`,
    '  }',
    '  direct {',
    `    exclude = [${JSON.stringify(AWS_PROVIDER_ADDRESS)}]`,
    '  }',
    '}',
    '',
  ].join('\n');
  fs.writeFileSync(file, hcl);
  return file;
}

/** Options for {@link buildAwsProviderOverride}. */
export interface ProviderOverrideOptions {
  /** moto endpoint, e.g. http://127.0.0.1:40123. */
  endpoint: string;
  /** Services aimed at moto. Default {@link DEFAULT_MOTO_SERVICES}. */
  services?: readonly string[];
  /** Region when a provider block has none. Default us-east-1. */
  defaultRegion?: string;
  /**
   * Provider max_retries. Default 1: moto answers unimplemented actions with HTTP 500,
   * which the provider would otherwise retry (25 times, with backoff) for minutes.
   */
  maxRetries?: number;
}

/**
 * Builds `provider_override.tf.json` content: one override per `aws` provider block of the
 * stack (matched by alias, as Terraform merges overrides per name+alias), aiming the given
 * services at moto with test credentials. Credentials validation and the account-id lookup
 * stay ON, so the provider asks moto's STS and ARNs carry moto's account 123456789012.
 */
export function buildAwsProviderOverride(stack: JsonObject, opts: ProviderOverrideOptions): JsonObject {
  const providers = isObject(stack.provider) ? stack.provider : {};
  const entries = providerEntries(providers.aws);
  const blocks = (entries.length > 0 ? entries : [{}]).map((entry): JsonObject => {
    const endpoints: JsonObject = {};
    for (const svc of opts.services ?? DEFAULT_MOTO_SERVICES) endpoints[svc] = opts.endpoint;
    const block: JsonObject = {
      region: typeof entry.region === 'string' ? entry.region : opts.defaultRegion ?? 'us-east-1',
      access_key: TEST_AWS_ACCESS_KEY_ID,
      secret_key: TEST_AWS_SECRET_ACCESS_KEY,
      skip_credentials_validation: false,
      skip_requesting_account_id: false,
      skip_metadata_api_check: true,
      skip_region_validation: true,
      max_retries: opts.maxRetries ?? 1,
      endpoints: [endpoints],
    };
    if (typeof entry.alias === 'string') block.alias = entry.alias;
    return block;
  });
  return { provider: { aws: blocks } };
}

/** Region of the default (un-aliased) `aws` provider block, or `fallback`. */
export function stackRegion(stack: JsonObject, fallback = 'us-east-1'): string {
  const providers = isObject(stack.provider) ? stack.provider : {};
  const main = providerEntries(providers.aws).find((p) => p.alias === undefined);
  return main !== undefined && typeof main.region === 'string' ? main.region : fallback;
}

/** Writes `provider_override.tf.json` into `workDir` (see {@link buildAwsProviderOverride}). */
export function writeProviderOverride(workDir: string, stack: JsonObject, opts: ProviderOverrideOptions): string {
  const file = path.join(workDir, 'provider_override.tf.json');
  writeJson(file, buildAwsProviderOverride(stack, opts));
  return file;
}

/** Writes `backend_override.tf.json`: local state `terraform.tfstate` inside `workDir`. */
export function writeBackendOverride(workDir: string): string {
  const file = path.join(workDir, 'backend_override.tf.json');
  writeJson(file, { terraform: { backend: { local: { path: 'terraform.tfstate' } } } });
  return file;
}

/** What the test copy changes for one resource type to cope with a moto gap. */
export interface MotoCompatRule {
  /** Attributes moto does not store/return: added to lifecycle.ignore_changes when set. */
  ignore?: readonly string[];
  /** Arguments forced to a value when the resource sets them (attribute → value). */
  force?: Readonly<Record<string, JsonValue>>;
}

/**
 * moto 5.2.1 gaps that break an apply → plan (no changes) → destroy cycle, per resource
 * type. Applied only to the throw-away test copy, through an override file; the shipped
 * configuration keeps these attributes, which are correct for AWS.
 */
export const MOTO_COMPAT_RULES: Readonly<Record<string, MotoCompatRule>> = {
  // moto's Lambda has no LoggingConfig: CreateFunction drops it, GetFunction omits it,
  // so every plan shows `+ logging_config {...}` (update in place).
  aws_lambda_function: { ignore: ['logging_config'] },
  // moto's Logs never returns logGroupClass: every plan shows `+ log_group_class` and,
  // as it forces replacement, a destroy/create of the log group (and its dependents).
  aws_cloudwatch_log_group: { ignore: ['log_group_class'] },
  // force_destroy=true makes the provider call iam:ListServiceSpecificCredentials on destroy;
  // moto answers 500 NotImplemented, the provider retries until the timeout. Terraform
  // already deletes the user's keys and inline policies first, so false is equivalent here.
  aws_iam_user: { force: { force_destroy: false } },
};

/** The override entry for one resource, or undefined when no rule applies to it. */
function compatEntry(cfg: JsonObject, rule: MotoCompatRule): JsonObject | undefined {
  const entry: JsonObject = {};
  for (const [attr, value] of Object.entries(rule.force ?? {})) {
    if (cfg[attr] !== undefined && JSON.stringify(cfg[attr]) !== JSON.stringify(value)) entry[attr] = value;
  }
  const present = (rule.ignore ?? []).filter((a) => cfg[a] !== undefined);
  const lifecycle = isObject(cfg.lifecycle) ? cfg.lifecycle : {};
  const existing = lifecycle.ignore_changes;
  if (present.length > 0 && existing !== 'all') {
    const own = Array.isArray(existing) ? existing.filter((e): e is string => typeof e === 'string') : [];
    entry.lifecycle = { ignore_changes: [...new Set([...own, ...present])] };
  }
  return Object.keys(entry).length > 0 ? entry : undefined;
}

/**
 * Builds `moto_compat_override.tf.json` content from {@link MOTO_COMPAT_RULES}: per affected
 * resource, forced arguments and a `lifecycle.ignore_changes` (unioned with the resource's own
 * list, since an override replaces that argument). Undefined when nothing applies.
 */
export function buildMotoCompatOverride(
  stack: JsonObject,
  rules: Readonly<Record<string, MotoCompatRule>> = MOTO_COMPAT_RULES,
): JsonObject | undefined {
  const resources = isObject(stack.resource) ? stack.resource : {};
  const out: JsonObject = {};
  for (const [type, rule] of Object.entries(rules)) {
    const ofType = resources[type];
    if (!isObject(ofType)) continue;
    const byType: JsonObject = {};
    for (const [name, cfg] of Object.entries(ofType)) {
      const entry = isObject(cfg) ? compatEntry(cfg, rule) : undefined;
      if (entry !== undefined) byType[name] = entry;
    }
    if (Object.keys(byType).length > 0) out[type] = byType;
  }
  return Object.keys(out).length > 0 ? { resource: out } : undefined;
}

/** Writes `moto_compat_override.tf.json` when needed; returns its path or undefined. */
export function writeMotoCompatOverride(workDir: string, stack: JsonObject): string | undefined {
  const content = buildMotoCompatOverride(stack);
  if (content === undefined) return undefined;
  const file = path.join(workDir, 'moto_compat_override.tf.json');
  writeJson(file, content);
  return file;
}

// ---------------------------------------------------------------------------
// data.archive_file replacement

const ZIP_SCRIPT = `
import os, sys, zipfile, json
src, out, excludes = sys.argv[1], sys.argv[2], set(json.loads(sys.argv[3]))
fixed_mode = int(sys.argv[4], 8) if sys.argv[4] else None
files = []
if os.path.isdir(src):
    for root, dirs, names in os.walk(src):
        dirs.sort()
        for n in names:
            full = os.path.join(root, n)
            rel = os.path.relpath(full, src).replace(os.sep, "/")
            if rel not in excludes:
                files.append((rel, full))
else:
    files.append((os.path.basename(src), src))
files.sort()
os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for rel, full in files:
        info = zipfile.ZipInfo(rel, date_time=(1980, 1, 1, 0, 0, 0))
        mode = fixed_mode if fixed_mode is not None else (0o755 if os.access(full, os.X_OK) else 0o644)
        info.external_attr = (0o100000 | mode) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        with open(full, "rb") as f:
            z.writestr(info, f.read())
print(len(files))
`;

/** Strips a leading `${path.module}/` and resolves against `baseDir`. */
function resolveModulePath(p: string, baseDir: string): string {
  const stripped = p.replace(/^\$\{path\.module\}\/?/, '');
  if (stripped.includes('${')) throw new Error(`cannot resolve interpolated archive path: ${p}`);
  return path.resolve(baseDir, stripped);
}

/**
 * Builds a deterministic zip (sorted entries, 1980-01-01 timestamps, modes 0644/0755 from the
 * exec bit, or `fileMode` (octal string, like archive_file's output_file_mode) for every entry)
 * of a directory or single file with python3's zipfile, and returns archive_file-style
 * attributes computed from the bytes written.
 */
export function buildDeterministicZip(
  source: string,
  outPath: string,
  excludes: readonly string[] = [],
  fileMode?: string,
): PrebuiltArchive {
  if (fileMode !== undefined && !/^0?[0-7]{3}$/.test(fileMode)) throw new Error(`bad output_file_mode ${fileMode}`);
  if (!fs.existsSync(source)) throw new Error(`archive source ${source} does not exist`);
  const res = spawnSync('python3', ['-c', ZIP_SCRIPT, source, outPath, JSON.stringify(excludes), fileMode ?? ''], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (res.status !== 0) throw new Error(`zip build failed (${String(res.status)}): ${res.stderr}`);
  if (Number(res.stdout.trim()) === 0) throw new Error(`archive source ${source} holds no files`);
  const bytes = fs.readFileSync(outPath);
  const digest = (alg: string, enc: 'hex' | 'base64'): string => crypto.createHash(alg).update(bytes).digest(enc);
  return {
    output_path: outPath,
    output_size: bytes.length,
    output_base64sha256: digest('sha256', 'base64'),
    output_base64sha512: digest('sha512', 'base64'),
    output_md5: digest('md5', 'hex'),
    output_sha: digest('sha1', 'hex'),
    output_sha256: digest('sha256', 'hex'),
    output_sha512: digest('sha512', 'hex'),
    id: digest('sha1', 'hex'),
  };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Replaces references to `data.archive_file.<name>.<attr>` inside one string. */
function replaceArchiveRefsInString(s: string, name: string, attrs: PrebuiltArchive): string {
  const ref = new RegExp(`data\\.archive_file\\.${escapeRegExp(name)}\\.([A-Za-z0-9_]+)`, 'g');
  const lookup = (attr: string): string => {
    if (!(attr in attrs)) throw new Error(`unsupported reference data.archive_file.${name}.${attr}`);
    return String(attrs[attr as keyof PrebuiltArchive]);
  };
  const whole = new RegExp(`^\\$\\{data\\.archive_file\\.${escapeRegExp(name)}\\.([A-Za-z0-9_]+)\\}$`).exec(s);
  if (whole !== null) return lookup(whole[1] ?? '');
  // Inside a larger template: substitute an HCL string literal within each ${ ... }.
  return s.replace(/\$\{([^{}]*)\}/g, (m: string, expr: string) =>
    ref.test(expr) ? `\${${expr.replace(ref, (_r: string, attr: string) => JSON.stringify(lookup(attr)))}}` : m,
  );
}

/** Recursively rewrites every string in `v`; drops `depends_on` entries naming the data source. */
function rewriteArchiveRefs(v: JsonValue, name: string, attrs: PrebuiltArchive, key?: string): JsonValue {
  if (typeof v === 'string') return replaceArchiveRefsInString(v, name, attrs);
  if (Array.isArray(v)) {
    const items = key === 'depends_on' ? v.filter((d) => d !== `data.archive_file.${name}`) : v;
    return items.map((item) => rewriteArchiveRefs(item, name, attrs));
  }
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, child] of Object.entries(v)) out[k] = rewriteArchiveRefs(child, name, attrs, k);
    return out;
  }
  return v;
}

/**
 * The archive provider is not in the offline mirror, so: for each `data.archive_file.<name>`
 * (type zip, `source_dir` or `source_file` relative to `stackDir`, optionally `${path.module}/`-
 * prefixed, `output_path`, optional `excludes` and `output_file_mode`), build the zip here, rewrite every
 * `${data.archive_file.<name>.<attr>}` (output_path, output_base64sha256, output_base64sha512,
 * output_md5, output_sha, output_sha256, output_sha512, output_size, id) to literals from that
 * zip, and delete the data source plus `archive` from `required_providers` and `provider`.
 * `output_path` becomes absolute. Returns a new object; `stack` is not mutated.
 */
export function replaceArchiveFileWithPrebuiltZip(
  stack: JsonObject,
  stackDir: string,
): { stack: JsonObject; archives: Record<string, PrebuiltArchive> } {
  let out = JSON.parse(JSON.stringify(stack)) as JsonObject;
  const data = isObject(out.data) ? out.data : undefined;
  const archiveFiles = data !== undefined && isObject(data.archive_file) ? data.archive_file : {};
  const archives: Record<string, PrebuiltArchive> = {};
  for (const [name, cfg] of Object.entries(archiveFiles)) {
    if (!isObject(cfg)) throw new Error(`data.archive_file.${name} is not an object`);
    if (cfg.type !== 'zip') throw new Error(`data.archive_file.${name}: only type "zip" is supported`);
    const src = typeof cfg.source_dir === 'string' ? cfg.source_dir : cfg.source_file;
    if (typeof src !== 'string' || typeof cfg.output_path !== 'string') {
      throw new Error(`data.archive_file.${name}: needs source_dir or source_file, and output_path`);
    }
    const excludes = Array.isArray(cfg.excludes) ? cfg.excludes.filter((e): e is string => typeof e === 'string') : [];
    archives[name] = buildDeterministicZip(
      resolveModulePath(src, stackDir),
      resolveModulePath(cfg.output_path, stackDir),
      excludes,
      typeof cfg.output_file_mode === 'string' ? cfg.output_file_mode : undefined,
    );
  }
  if (data !== undefined && Object.keys(archives).length > 0) {
    delete data.archive_file;
    if (Object.keys(data).length === 0) delete out.data;
  }
  for (const [name, attrs] of Object.entries(archives)) out = rewriteArchiveRefs(out, name, attrs) as JsonObject;
  removeArchiveProvider(out);
  const leftover = /data\.archive_file\.[A-Za-z0-9_-]+/.exec(JSON.stringify(out));
  if (leftover !== null) throw new Error(`reference left after archive replacement: ${leftover[0]}`);
  return { stack: out, archives };
}

/** Deletes `archive` from terraform.required_providers and from provider (in place). */
function removeArchiveProvider(stack: JsonObject): void {
  const tf = stack.terraform;
  if (isObject(tf) && isObject(tf.required_providers)) delete tf.required_providers.archive;
  if (isObject(stack.provider)) {
    delete stack.provider.archive;
    if (Object.keys(stack.provider).length === 0) delete stack.provider;
  }
}

// ---------------------------------------------------------------------------
// running terraform

const NO_COLOR_SUBCOMMANDS = new Set(['init', 'validate', 'plan', 'apply', 'destroy', 'output', 'show', 'refresh', 'import', 'console', 'providers']);
const OUTPUT_LIMIT = 8 * 1024 * 1024;

/**
 * A clean environment for AWS tooling (boto3, aws CLI) aimed at moto: PATH, the given HOME,
 * test credentials; no inherited AWS_* (profiles, real keys, CA bundle), no proxies, and
 * shared config/credentials files pointed at paths that do not exist.
 */
export function testAwsEnv(region = 'us-east-1', home = os.tmpdir()): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    TMPDIR: os.tmpdir(),
    LANG: 'C.UTF-8',
    AWS_ACCESS_KEY_ID: TEST_AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: TEST_AWS_SECRET_ACCESS_KEY,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_CONFIG_FILE: path.join(home, '.no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, '.no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  if (process.env.PYENV_ROOT !== undefined) env.PYENV_ROOT = process.env.PYENV_ROOT;
  return env;
}

/**
 * The environment terraform runs with: {@link testAwsEnv} with HOME = the CLI config's temp
 * dir, plus TF_CLI_CONFIG_FILE, TF_IN_AUTOMATION=1, TF_INPUT=0, CHECKPOINT_DISABLE=1.
 */
export function offlineEnv(cliConfigPath: string, region = 'us-east-1', extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...testAwsEnv(region, path.dirname(cliConfigPath)),
    TF_CLI_CONFIG_FILE: cliConfigPath,
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    CHECKPOINT_DISABLE: '1',
    ...extra,
  };
}

/** Inserts `-no-color` right after the subcommand when that subcommand accepts it. */
function withNoColor(args: string[]): string[] {
  const [sub, ...rest] = args;
  if (sub === undefined || !NO_COLOR_SUBCOMMANDS.has(sub) || rest.includes('-no-color')) return args;
  return [sub, '-no-color', ...rest];
}

/** Appends to a capped buffer (keeps the tail). */
function capped(prev: string, chunk: Buffer): string {
  const next = prev + chunk.toString('utf8');
  return next.length > OUTPUT_LIMIT ? next.slice(-OUTPUT_LIMIT) : next;
}

/**
 * Runs `terraform <args>` in `opts.cwd` with the offline env (see {@link offlineEnv}), bounded
 * by `opts.timeoutMs` (SIGTERM, SIGKILL 10 s later). Never prints; output is returned so the
 * caller can show a tail on failure. Never rejects for a non-zero exit.
 */
export function runTerraform(args: string[], opts: RunTerraformOptions): Promise<CommandResult> {
  const finalArgs = opts.noColor === false ? args : withNoColor(args);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('terraform', finalArgs, {
      cwd: opts.cwd,
      env: offlineEnv(opts.cliConfigPath, opts.region, opts.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (c: Buffer) => (stdout = capped(stdout, c)));
    child.stderr.on('data', (c: Buffer) => (stderr = capped(stderr, c)));
    let killTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    }, opts.timeoutMs ?? DEFAULT_TF_TIMEOUT_MS);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (killTimer !== undefined) clearTimeout(killTimer);
      resolve({ code: code ?? -1, stdout, stderr, durationMs: Date.now() - started, timedOut, args: finalArgs });
    });
  });
}

/**
 * `terraform plan -detailed-exitcode` (plus `extraArgs`): exit 0 → 'no-changes',
 * 2 → 'changes', anything else → 'error'.
 */
export async function planDetailed(tf: OfflineTerraform, extraArgs: string[] = []): Promise<{ status: PlanStatus; result: CommandResult }> {
  const result = await tf.run(['plan', '-detailed-exitcode', '-input=false', ...extraArgs]);
  const status: PlanStatus = result.code === 0 ? 'no-changes' : result.code === 2 ? 'changes' : 'error';
  return { status, result };
}

/** `terraform output -json`, parsed. Sensitive values are included: do not print them. */
export async function terraformOutputs(tf: OfflineTerraform): Promise<Record<string, TerraformOutput>> {
  const res = await tf.run(['output', '-json']);
  if (res.code !== 0) throw new Error(describeFailure(res));
  return JSON.parse(res.stdout) as Record<string, TerraformOutput>;
}

/** Options for {@link prepareOfflineTerraform}. */
export interface PrepareOptions {
  /** The synthesized stack folder (holding cdk.tf.json and assets/). Copied, never modified. */
  stackDir: string;
  /** moto endpoint. */
  endpoint: string;
  /** Services aimed at moto. Default {@link DEFAULT_MOTO_SERVICES}. */
  services?: readonly string[];
  /** Where to put the copy; default a fresh temp dir. */
  workDir?: string;
  /** Write moto_compat_override.tf.json (see {@link buildMotoCompatOverride}). Default true. */
  motoCompat?: boolean;
}

/**
 * Copies the stack folder to a temp work dir, replaces `data.archive_file` with prebuilt
 * zips, writes provider, backend and moto-compat override files there and an offline CLI config in a
 * separate temp dir. Does not run terraform.
 */
export function prepareOfflineTerraform(opts: PrepareOptions): OfflineTerraform {
  const workDir = opts.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tf-work-'));
  fs.cpSync(opts.stackDir, workDir, {
    recursive: true,
    filter: (src) => !/(^|\/)(\.terraform|terraform\.tfstate(\.backup)?|\.terraform\.lock\.hcl)$/.test(src),
  });
  const original = readStackJson(workDir);
  const { stack, archives } = replaceArchiveFileWithPrebuiltZip(original, workDir);
  writeJson(path.join(workDir, 'cdk.tf.json'), stack);
  writeProviderOverride(workDir, stack, { endpoint: opts.endpoint, services: opts.services });
  writeBackendOverride(workDir);
  if (opts.motoCompat !== false) writeMotoCompatOverride(workDir, stack);
  return offlineTerraformIn({ workDir, endpoint: opts.endpoint, region: stackRegion(stack), archives });
}

/**
 * The {@link OfflineTerraform} handle for a work dir whose override files are written:
 * makes the offline CLI config in a temp dir of its own.
 */
export function offlineTerraformIn(args: { workDir: string; endpoint: string; region: string; archives: Record<string, PrebuiltArchive> }): OfflineTerraform {
  const { workDir, region, archives } = args;
  const cliConfigDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-cli-'));
  const cliConfigPath = writeOfflineCliConfig(cliConfigDir);
  return {
    workDir,
    cliConfigDir,
    cliConfigPath,
    endpoint: args.endpoint,
    region,
    archives,
    run: (tfArgs, runOpts = {}) => runTerraform(tfArgs, { region, ...runOpts, cwd: workDir, cliConfigPath }),
    cleanup: () => {
      fs.rmSync(workDir, { recursive: true, force: true });
      fs.rmSync(cliConfigDir, { recursive: true, force: true });
    },
  };
}

/**
 * Test teardown: `terraform destroy` in `tf` when it holds state (a failed destroy is printed,
 * not thrown), then, whatever happened, stops moto, removes the work dirs of `tf` and `others`
 * and every folder in `dirs`.
 */
export async function destroyAndCleanUp(parts: {
  tf?: OfflineTerraform;
  moto?: { stop(): Promise<void> };
  others?: ReadonlyArray<OfflineTerraform | undefined>;
  dirs?: ReadonlyArray<string | undefined>;
}): Promise<void> {
  const { tf, moto } = parts;
  try {
    if (tf && fs.existsSync(path.join(tf.workDir, 'terraform.tfstate'))) {
      const res = await tf.run(['destroy', '-auto-approve', '-input=false']);
      if (res.code !== 0) console.error(describeFailure(res));
    }
  } finally {
    await moto?.stop();
    for (const t of [tf, ...(parts.others ?? [])]) t?.cleanup();
    for (const dir of parts.dirs ?? []) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------
// reading back from moto (boto3)

/** One API Gateway v2 route as read back from moto. */
export interface MotoRoute {
  RouteId: string;
  RouteKey: string;
  AuthorizationType?: string;
  Target?: string;
}

/** One API Gateway v2 integration as read back from moto. */
export interface MotoIntegration {
  IntegrationId: string;
  IntegrationType: string;
  IntegrationUri?: string;
  IntegrationMethod?: string;
  PayloadFormatVersion?: string;
}

/** One IAM policy document (as boto3 decodes it). */
export interface PolicyDocument {
  Version?: string;
  Statement: JsonValue;
}

/** What {@link readApiFromMoto} returns. */
export interface MotoApiReadBack {
  api: { ApiId: string; Name: string; ProtocolType: string; ApiEndpoint?: string; CorsConfiguration?: JsonObject };
  routes: MotoRoute[];
  integrations: MotoIntegration[];
  stages: Array<{ StageName: string; AutoDeploy?: boolean; AccessLogSettings?: JsonObject; DefaultRouteSettings?: JsonObject }>;
  /** userName → policyName → document. */
  userPolicies: Record<string, Record<string, PolicyDocument>>;
  /** Present when `functionName` was given. */
  lambda?: {
    Runtime: string;
    Handler: string;
    Architectures: string[];
    MemorySize: number;
    Timeout: number;
    CodeSha256: string;
    /** Resource policy (lambda:GetPolicy), parsed; null when there is none. */
    Policy: PolicyDocument | null;
  };
}

const READBACK_SCRIPT = `
import json, sys, boto3
a = json.loads(sys.argv[1])
kw = dict(endpoint_url=a["endpoint"], region_name=a["region"],
          aws_access_key_id="testing", aws_secret_access_key="testing")
gw = boto3.client("apigatewayv2", **kw)
iam = boto3.client("iam", **kw)
api = gw.get_api(ApiId=a["apiId"])
api.pop("ResponseMetadata", None)
out = {
  "api": api,
  "routes": gw.get_routes(ApiId=a["apiId"])["Items"],
  "integrations": gw.get_integrations(ApiId=a["apiId"])["Items"],
  "stages": gw.get_stages(ApiId=a["apiId"])["Items"],
  "userPolicies": {},
}
for u in a["userNames"]:
    names = iam.list_user_policies(UserName=u)["PolicyNames"]
    docs = {}
    for n in names:
        doc = iam.get_user_policy(UserName=u, PolicyName=n)["PolicyDocument"]
        docs[n] = json.loads(doc) if isinstance(doc, str) else doc
    out["userPolicies"][u] = docs
if a.get("functionName"):
    lam = boto3.client("lambda", **kw)
    c = lam.get_function_configuration(FunctionName=a["functionName"])
    keys = ["Runtime", "Handler", "Architectures", "MemorySize", "Timeout", "CodeSha256"]
    out["lambda"] = {k: c.get(k) for k in keys}
    try:
        out["lambda"]["Policy"] = json.loads(lam.get_policy(FunctionName=a["functionName"])["Policy"])
    except lam.exceptions.ResourceNotFoundException:
        out["lambda"]["Policy"] = None
print(json.dumps(out, default=str))
`;

/**
 * Reads back, via boto3 against moto, the HTTP API, its routes (authorization types),
 * integrations (type, payload format version), stages, each user's inline policies and,
 * when `functionName` is given, the Lambda's configuration and resource policy.
 */
export function readApiFromMoto(args: {
  endpoint: string;
  apiId: string;
  userNames: string[];
  functionName?: string;
  region?: string;
}): MotoApiReadBack {
  const input = JSON.stringify({ ...args, region: args.region ?? 'us-east-1' });
  const env = testAwsEnv(args.region ?? 'us-east-1');
  const res = spawnSync('python3', ['-c', READBACK_SCRIPT, input], { encoding: 'utf8', timeout: 60_000, env });
  if (res.status !== 0) throw new Error(`boto3 read-back failed (${String(res.status)}): ${tail(res.stderr, 20)}`);
  return JSON.parse(res.stdout) as MotoApiReadBack;
}

/** What {@link readRolesFromMoto} returns. */
export interface MotoRolesReadBack {
  /** roleName → the role (null when moto has no such role), with its inline policies. */
  roles: Record<string, {
    Path: string;
    MaxSessionDuration: number;
    AssumeRolePolicyDocument: PolicyDocument;
    inlinePolicies: Record<string, PolicyDocument>;
  } | null>;
  /** Every OIDC provider of the account: its ARN, URL (without scheme, as IAM stores it) and audiences. */
  oidcProviders: Array<{ Arn: string; Url: string; ClientIDList: string[]; ThumbprintList: string[] }>;
}

const ROLES_READBACK_SCRIPT = `
import json, sys, boto3
from urllib.parse import unquote
a = json.loads(sys.argv[1])
kw = dict(endpoint_url=a["endpoint"], region_name=a["region"],
          aws_access_key_id="testing", aws_secret_access_key="testing")
iam = boto3.client("iam", **kw)
def doc(d):
    if isinstance(d, str):
        d = unquote(d)
        return json.loads(d)
    return d
out = {"roles": {}, "oidcProviders": []}
for name in a["roleNames"]:
    try:
        r = iam.get_role(RoleName=name)["Role"]
    except iam.exceptions.NoSuchEntityException:
        out["roles"][name] = None
        continue
    pols = {}
    for p in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        pols[p] = doc(iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"])
    out["roles"][name] = {"Path": r["Path"], "MaxSessionDuration": r.get("MaxSessionDuration"),
                          "AssumeRolePolicyDocument": doc(r["AssumeRolePolicyDocument"]), "inlinePolicies": pols}
for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]:
    d = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=p["Arn"])
    out["oidcProviders"].append({"Arn": p["Arn"], "Url": d.get("Url"), "ClientIDList": d.get("ClientIDList", []),
                                 "ThumbprintList": d.get("ThumbprintList", [])})
print(json.dumps(out, default=str))
`;

/** Reads back, via boto3 against moto, the named IAM roles (trust policy, inline policies) and the account's OIDC providers. */
export function readRolesFromMoto(args: { endpoint: string; roleNames: string[]; region?: string }): MotoRolesReadBack {
  const input = JSON.stringify({ ...args, region: args.region ?? 'us-east-1' });
  const res = spawnSync('python3', ['-c', ROLES_READBACK_SCRIPT, input], { encoding: 'utf8', timeout: 60_000, env: testAwsEnv(args.region ?? 'us-east-1') });
  if (res.status !== 0) throw new Error(`boto3 role read-back failed (${String(res.status)}): ${tail(res.stderr, 20)}`);
  return JSON.parse(res.stdout) as MotoRolesReadBack;
}
