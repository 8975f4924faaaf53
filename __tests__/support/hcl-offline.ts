/**
 * Test support for the HCL export (`npm run export:hcl`): run real terraform on a COPY of an
 * exported stack folder, offline.
 *
 * The archive provider is not in this machine's provider mirror, so in the copy the
 * `data "archive_file"` blocks are replaced by literals from a zip built here
 * (buildDeterministicZip), exactly as terraform-offline.ts does for the JSON stacks, but on
 * HCL text: blocks are found by their header and the closing brace at the same indentation
 * (findBlock, from src/commands/export-hcl.ts). Every shape this does not know throws.
 * The override files (provider aimed at moto, local state inside the copy) are the same JSON
 * files as for the JSON stacks: Terraform merges `*_override.tf.json` into HCL configs too.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { blockEnd, findBlock, findBlocks, type HclBlockSpan } from '../../src/hcl/hcl-blocks';
import {
  buildDeterministicZip,
  offlineTerraformIn,
  writeBackendOverride,
  writeMotoCompatOverride,
  writeProviderOverride,
  type CommandResult,
  type JsonObject,
  type OfflineTerraform,
  type PrebuiltArchive,
} from './terraform-offline';

/** The stack file `cdktf synth --hcl` writes in each stack folder. */
export const HCL_STACK_FILE = 'cdk.tf';

/** Attributes of `archive_file` (data source) this replacement understands. */
const ARCHIVE_ATTRIBUTES = new Set(['type', 'source_dir', 'source_file', 'output_path', 'output_file_mode', 'excludes']);

/** Attributes a reference may read, with the literal each becomes. */
const ARCHIVE_OUTPUTS = new Set<string>([
  'output_path',
  'output_size',
  'output_base64sha256',
  'output_base64sha512',
  'output_md5',
  'output_sha',
  'output_sha256',
  'output_sha512',
  'id',
]);

/** Builds the zip for one archive_file; {@link buildDeterministicZip} unless a test injects one. */
export type ZipBuilder = (source: string, outPath: string, excludes: readonly string[], fileMode?: string) => PrebuiltArchive;

/** Options for {@link replaceArchiveFileInHcl}. */
export interface ReplaceArchiveOptions {
  /** Default {@link buildDeterministicZip}. */
  buildZip?: ZipBuilder;
  /**
   * The text `output_path` references become, by data source name. Default: the zip's absolute
   * path (`<stackDir>/handler.zip`), as the JSON replacement does.
   */
  outputPathLiteral?: (name: string, archive: PrebuiltArchive) => string;
}

/** An error in the HCL's shape: the replacement does not guess. */
export class HclShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HclShapeError';
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Decodes an HCL quoted string without templates (other than `${path.module}`) or a JSON-ish list of them. */
function decodeValue(raw: string, where: string): string | string[] {
  const text = raw.trim();
  try {
    const parsed = JSON.parse(text.replace(/,\s*\]$/, ']')) as unknown;
    if (typeof parsed === 'string') return parsed;
    if (Array.isArray(parsed) && parsed.every((x): x is string => typeof x === 'string')) return parsed;
  } catch {
    // fall through
  }
  throw new HclShapeError(`${where}: value ${text} is not a plain string or list of strings`);
}

/** The direct attributes of a block (one `name = value` per line, lists may span lines). */
export function blockAttributes(lines: readonly string[], span: HclBlockSpan, where: string): Map<string, string | string[]> {
  const indent = `${span.indent}  `;
  const attrs = new Map<string, string | string[]>();
  for (let i = span.start + 1; i < span.end; i++) {
    const line = lines[i] ?? '';
    if (line.trim() === '') continue;
    const m = new RegExp(`^${indent}([A-Za-z_][A-Za-z0-9_-]*)\\s*=\\s*(.*)$`).exec(line);
    if (m === null) throw new HclShapeError(`${where}: line ${i + 1} is not a simple attribute (nested blocks are not supported): ${line.trim()}`);
    const [, name = '', first = ''] = m;
    let raw = first;
    if (first.trim() === '[') {
      const close = lines.indexOf(`${indent}]`, i + 1);
      if (close < 0 || close > span.end) throw new HclShapeError(`${where}: list ${name} at line ${i + 1} is not closed`);
      raw = `[${lines.slice(i + 1, close).join('')}]`;
      i = close;
    }
    if (attrs.has(name)) throw new HclShapeError(`${where}: attribute ${name} appears twice`);
    attrs.set(name, decodeValue(raw, `${where}.${name}`));
  }
  return attrs;
}

/** `${path.module}/x` (or `x`) → `<stackDir>/x`; anything else interpolated throws. */
function resolveModulePath(p: string, stackDir: string, where: string): string {
  const stripped = p.replace(/^\$\{path\.module\}\/?/, '');
  if (stripped.includes('${') || path.isAbsolute(stripped)) throw new HclShapeError(`${where}: cannot resolve path ${p} inside the stack folder`);
  return path.resolve(stackDir, stripped);
}

/** HCL quoted-string form of a literal (no template sequences left in it). */
function hclLiteral(text: string): string {
  return `"${hclTemplateText(text)}"`;
}

/** `text` escaped for the inside of an HCL quoted template. */
function hclTemplateText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$\{/g, '$${').replace(/%\{/g, '%%{');
}

/** Whether position `at` of `line` is inside a double-quoted string (counting unescaped quotes). */
function insideString(line: string, at: number): boolean {
  let inside = false;
  for (let i = 0; i < at; i++) {
    if (line[i] === '\\') i++;
    else if (line[i] === '"') inside = !inside;
  }
  return inside;
}

/** Replaces the references to `data.archive_file.<name>.<attr>` in one line. */
function replaceReferences(line: string, name: string, literalOf: (attr: string) => string): string {
  const ref = `data\\.archive_file\\.${escapeRegExp(name)}\\.([A-Za-z0-9_]+)`;
  // 1. the whole string is the interpolation: "${data.archive_file.x.attr}" → "literal"
  let out = line.replace(new RegExp(`"\\$\\{${ref}\\}"`, 'g'), (_m: string, attr: string) => hclLiteral(literalOf(attr)));
  // 2. inside a larger template: "...${data.archive_file.x.attr}..." → "...literal..."
  out = out.replace(new RegExp(`\\$\\{${ref}\\}`, 'g'), (_m: string, attr: string) => hclTemplateText(literalOf(attr)));
  // 3. a bare expression (terraform fmt's style): data.archive_file.x.attr → "literal"
  const bare = new RegExp(`(?<![\\w.])${ref}(?![\\w.\\[])`, 'g');
  out = out.replace(bare, (m: string, attr: string, offset: number, whole: string) => {
    if (insideString(whole, offset)) throw new HclShapeError(`unsupported reference to ${m} inside a string expression: ${line.trim()}`);
    return hclLiteral(literalOf(attr));
  });
  return out;
}

/** Removes `data.archive_file.<name>` entries from depends_on lists (one per line or one-line lists). */
function dropDependsOn(lines: string[], name: string): string[] {
  const entry = new RegExp(`^\\s*"?data\\.archive_file\\.${escapeRegExp(name)}"?,?\\s*$`);
  const inline = new RegExp(`\\s*"?data\\.archive_file\\.${escapeRegExp(name)}"?\\s*,?`, 'g');
  return lines
    .filter((l) => !entry.test(l))
    .map((l) => (/^\s*depends_on\s*=\s*\[.*\]\s*$/.test(l) ? l.replace(inline, '').replace(/\[\s*,/, '[').replace(/,\s*\]/, ']') : l));
}

/** Removes lines [start, end] of each span (last first). */
function removeSpans(lines: string[], spans: HclBlockSpan[]): void {
  for (const s of [...spans].sort((a, b) => b.start - a.start)) {
    // Also drop one blank line left behind, to keep the text tidy.
    const extra = lines[s.end + 1] === '' && (s.start === 0 || lines[s.start - 1] === '') ? 1 : 0;
    lines.splice(s.start, s.end - s.start + 1 + extra);
  }
}

/** Removes `archive` from `terraform { required_providers { ... } }` (block or one-line form). */
function removeArchiveRequirement(lines: string[]): void {
  for (const tf of findBlocks(lines, 'terraform {')) {
    for (let i = tf.start + 1; i < tf.end; i++) {
      if (lines[i] !== '  required_providers {') continue;
      const rp = { start: i, end: blockEnd(lines, i), indent: '  ' };
      const spans: HclBlockSpan[] = [];
      for (let j = rp.start + 1; j < rp.end; j++) {
        const line = lines[j] ?? '';
        if (/^ {4}archive\s*=\s*\{$/.test(line)) {
          spans.push({ start: j, end: blockEnd(lines, j), indent: '    ' });
        } else if (/^ {4}archive\s*=\s*\{.*\}\s*$/.test(line)) {
          spans.push({ start: j, end: j, indent: '    ' });
        }
      }
      removeSpans(lines, spans);
      return;
    }
  }
}

/**
 * In the HCL text of one stack: builds each `data "archive_file"` zip (type zip; source_dir or
 * source_file and output_path relative to `stackDir`, optionally `${path.module}/`-prefixed;
 * optional excludes and output_file_mode), removes the block, rewrites every reference to it
 * (`"${data.archive_file.x.attr}"`, `${...}` inside a larger string, or the bare
 * `data.archive_file.x.attr` terraform fmt writes) to the literal from that zip, drops it from
 * depends_on, and removes `archive` from required_providers and every `provider "archive"`
 * block. Throws on any shape it does not know and when anything of the archive is left.
 */
export function replaceArchiveFileInHcl(
  hcl: string,
  stackDir: string,
  opts: ReplaceArchiveOptions = {},
): { hcl: string; archives: Record<string, PrebuiltArchive> } {
  let lines = hcl.split('\n');
  const buildZip = opts.buildZip ?? buildDeterministicZip;
  const archives: Record<string, PrebuiltArchive> = {};
  const headers = lines.filter((l) => /^data "archive_file" "[^"]+" \{$/.test(l));
  if (lines.some((l) => /data\s+"archive_file"/.test(l) && !headers.includes(l))) {
    throw new HclShapeError('a data "archive_file" block is not at the top level in the expected form `data "archive_file" "<name>" {`');
  }
  for (const header of headers) {
    const name = /"([^"]+)" \{$/.exec(header)?.[1] ?? '';
    const where = `data.archive_file.${name}`;
    const span = findBlock(lines, header);
    const attrs = blockAttributes(lines, span, where);
    for (const key of attrs.keys()) if (!ARCHIVE_ATTRIBUTES.has(key)) throw new HclShapeError(`${where}: attribute ${key} is not supported`);
    if (attrs.get('type') !== 'zip') throw new HclShapeError(`${where}: only type = "zip" is supported`);
    const src = attrs.get('source_dir') ?? attrs.get('source_file');
    const out = attrs.get('output_path');
    if (typeof src !== 'string' || typeof out !== 'string') throw new HclShapeError(`${where}: needs source_dir or source_file, and output_path, as strings`);
    const excludes = attrs.get('excludes') ?? [];
    const mode = attrs.get('output_file_mode');
    archives[name] = buildZip(
      resolveModulePath(src, stackDir, where),
      resolveModulePath(out, stackDir, where),
      Array.isArray(excludes) ? excludes : [excludes],
      typeof mode === 'string' ? mode : undefined,
    );
    removeSpans(lines, [span]);
  }
  for (const [name, archive] of Object.entries(archives)) {
    const literalOf = (attr: string): string => {
      if (!ARCHIVE_OUTPUTS.has(attr)) throw new HclShapeError(`unsupported reference data.archive_file.${name}.${attr}`);
      if (attr === 'output_path' && opts.outputPathLiteral) return opts.outputPathLiteral(name, archive);
      return String(archive[attr as keyof PrebuiltArchive]);
    };
    lines = dropDependsOn(lines, name).map((l) => replaceReferences(l, name, literalOf));
  }
  removeSpans(lines, findBlocks(lines, 'provider "archive" {'));
  removeArchiveRequirement(lines);
  const text = lines.join('\n');
  const leftover = /data\.archive_file\.[\w-]+|data\s+"archive_file"|provider\s+"archive"|hashicorp\/archive|^\s*archive\s*=/m.exec(text);
  if (leftover !== null) throw new HclShapeError(`left after the archive replacement: ${leftover[0]}`);
  return { hcl: text, archives };
}

/**
 * The `aws` provider blocks of an HCL stack as the JSON shape writeProviderOverride reads
 * (`{ provider: { aws: [{ region, alias? }] } }`), from their `region` and `alias` lines.
 */
export function awsProvidersFromHcl(hcl: string): JsonObject {
  const lines = hcl.split('\n');
  const blocks = findBlocks(lines, 'provider "aws" {').map((span): JsonObject => {
    const entry: JsonObject = {};
    for (let i = span.start + 1; i < span.end; i++) {
      const m = /^ {2}(region|alias)\s*=\s*"([^"\\$]*)"\s*$/.exec(lines[i] ?? '');
      if (m !== null) entry[m[1] as string] = m[2] as string;
      else if (/^ {2}[A-Za-z_][\w-]*\s*(=|\{)/.test(lines[i] ?? '') && /\{$/.test(lines[i] ?? '')) i = blockEnd(lines, i);
    }
    return entry;
  });
  return { provider: { aws: blocks } };
}

/** Options for {@link prepareOfflineHcl}. */
export interface PrepareHclOptions {
  /** An exported stack folder (cdk.tf and assets/). Copied, never modified. */
  stackDir: string;
  /** moto endpoint the provider is aimed at (for validate, any URL: nothing is called). */
  endpoint: string;
  /** Where to put the copy; default a fresh temp dir. */
  workDir?: string;
  /** The same stack's JSON (cdk.tf.json), to write moto_compat_override.tf.json from. */
  motoCompatStack?: JsonObject;
  /** See {@link ReplaceArchiveOptions.outputPathLiteral}. */
  outputPathLiteral?: ReplaceArchiveOptions['outputPathLiteral'];
}

/**
 * Copies an exported HCL stack folder, replaces its archive_file (see
 * {@link replaceArchiveFileInHcl}), writes provider and backend override files (and the moto
 * compat override when a JSON stack is given) and an offline CLI config. Does not run terraform.
 */
export function prepareOfflineHcl(opts: PrepareHclOptions): OfflineTerraform {
  const file = path.join(opts.stackDir, HCL_STACK_FILE);
  if (!fs.existsSync(file)) throw new Error(`${file} does not exist: not an HCL stack folder`);
  if (fs.existsSync(path.join(opts.stackDir, 'cdk.tf.json'))) throw new Error(`${opts.stackDir} holds cdk.tf.json beside cdk.tf: terraform would load both`);
  const workDir = opts.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tf-hcl-'));
  fs.cpSync(opts.stackDir, workDir, {
    recursive: true,
    filter: (src) => !/(^|\/)(\.terraform|terraform\.tfstate(\.backup)?|\.terraform\.lock\.hcl)$/.test(src),
  });
  const original = fs.readFileSync(path.join(workDir, HCL_STACK_FILE), 'utf8');
  const { hcl, archives } = replaceArchiveFileInHcl(original, workDir, { outputPathLiteral: opts.outputPathLiteral });
  fs.writeFileSync(path.join(workDir, HCL_STACK_FILE), hcl);
  const providers = awsProvidersFromHcl(hcl);
  writeProviderOverride(workDir, providers, { endpoint: opts.endpoint });
  writeBackendOverride(workDir);
  if (opts.motoCompatStack !== undefined) writeMotoCompatOverride(workDir, opts.motoCompatStack);
  const main = ((providers.provider as JsonObject).aws as JsonObject[]).find((p) => p.alias === undefined);
  const region = typeof main?.region === 'string' ? main.region : 'us-east-1';
  return offlineTerraformIn({ workDir, endpoint: opts.endpoint, region, archives });
}

/** One diagnostic of `terraform validate -json`. */
export interface ValidateDiagnostic {
  severity: 'error' | 'warning';
  summary: string;
  detail?: string;
  range?: { filename: string; start: { line: number; column: number }; end: { line: number; column: number } };
}

/** `terraform validate -json` output. */
export interface ValidateResult {
  valid: boolean;
  error_count: number;
  warning_count: number;
  diagnostics: ValidateDiagnostic[];
}

/** Parses `terraform validate -json` stdout; throws with the output when it is not that. */
export function parseValidate(res: CommandResult): ValidateResult {
  try {
    const parsed = JSON.parse(res.stdout) as ValidateResult;
    if (typeof parsed.valid !== 'boolean' || !Array.isArray(parsed.diagnostics)) throw new Error('unexpected shape');
    return parsed;
  } catch (err) {
    throw new Error(`terraform validate -json did not print its JSON (exit ${res.code}): ${err instanceof Error ? err.message : String(err)}\n${res.stdout}\n${res.stderr}`);
  }
}

/** A diagnostic as one readable line: `error cdk.tf:49 Invalid character: ...`. */
export function formatDiagnostic(d: ValidateDiagnostic): string {
  const where = d.range ? `${d.range.filename}:${d.range.start.line}` : '(no location)';
  return `${d.severity} ${where} ${d.summary}${d.detail ? `: ${d.detail.split('\n')[0] ?? ''}` : ''}`;
}

/** Top-level block addresses of HCL text: `resource.aws_x.y`, `data.archive_file.h`, `output.o`, ... */
export function topLevelAddresses(hcl: string): string[] {
  const out: string[] = [];
  for (const line of hcl.split('\n')) {
    const m = /^(resource|data|output|provider|variable|module|locals|terraform)((?:\s+"[^"]+")*)\s*\{$/.exec(line);
    if (m === null) continue;
    const labels = [...(m[2] ?? '').matchAll(/"([^"]+)"/g)].map((x) => x[1] ?? '');
    out.push([m[1], ...labels].join('.'));
  }
  return out;
}

/** Top-level directories of this machine's filesystem (an absolute path into one is machine-bound). */
function machinePathPrefix(p: string): boolean {
  const first = p.split('/')[1];
  return first !== undefined && first !== '' && fs.existsSync(`/${first}`);
}

/**
 * Why an exported stack folder is not self-contained, or [] when it is: machine paths (the
 * project root, temp and home folders, absolute paths into this machine's filesystem,
 * `${path.cwd}`), `${path.module}` paths leaving the folder, and `..` paths other than the local
 * backend's, which must lead to `<projectRoot>/terraform.<env>.tfstate`.
 */
export function selfContainmentProblems(stackDir: string, projectRoot: string, env: string): string[] {
  const hcl = fs.readFileSync(path.join(stackDir, HCL_STACK_FILE), 'utf8');
  const lines = hcl.split('\n');
  const problems: string[] = [];
  for (const needle of [projectRoot, `${os.tmpdir()}/`, `${os.homedir()}/`, '${path.cwd}']) {
    if (hcl.includes(needle)) problems.push(`mentions ${needle}`);
  }
  const backends = findBlocks(lines, 'terraform {').flatMap((tf) => findBlocks(lines, 'backend "local" {', '  ', tf.start + 1, tf.end));
  const backendPathLines = new Set(backends.flatMap((b) => lines.slice(b.start + 1, b.end).map((_l, k) => b.start + 1 + k)));
  lines.forEach((line, i) => {
    for (const m of line.matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
      const value = m[1] ?? '';
      const where = `${HCL_STACK_FILE}:${i + 1}`;
      if (value.startsWith('/') && machinePathPrefix(value)) problems.push(`${where}: absolute path ${value}`);
      if (value.startsWith('${path.module}/')) {
        const resolved = path.resolve(stackDir, value.slice('${path.module}/'.length));
        if (!resolved.startsWith(`${stackDir}${path.sep}`)) problems.push(`${where}: ${value} leaves the folder`);
      } else if (/(^|\/)\.\.(\/|$)/.test(value)) {
        const expected = path.join(projectRoot, `terraform.${env}.tfstate`);
        if (!backendPathLines.has(i) || path.resolve(stackDir, value) !== expected) {
          problems.push(`${where}: ${value} leaves the folder${backendPathLines.has(i) ? ` (resolves to ${path.resolve(stackDir, value)}, not ${expected})` : ''}`);
        }
      }
    }
  });
  return problems;
}
