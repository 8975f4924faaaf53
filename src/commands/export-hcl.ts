/**
 * `npm run export:hcl`: the stacks as HCL you can commit and keep using without cdktf.
 *
 * `cdktf synth --hcl` alone is not enough. cdktf 0.21.0 (its last release) renders a string that
 * holds both an interpolation and a double quote without escaping the quotes
 * (hashicorp/terraform-cdk#3911), and its formatter then spreads the broken string into tokens:
 *
 *   policy = "{" Version ":" 2012 - 10 - 17 "," Statement ":[{" ... $ { aws_....arn } : * "}]}"
 *
 * which `terraform` rejects. Every IAM policy here that names a resource is such a string. It
 * also writes `depends_on` entries as quoted strings, which Terraform warns are deprecated.
 *
 * So this command runs `cdktf synth --hcl --output DIR`, then repairs exactly those strings:
 * it synthesizes the same app as JSON into a scratch folder (the JSON is correct), finds each
 * affected attribute in the HCL by its block header and path, checks that the HCL line is
 * cdktf's rendering of that very JSON value (ignoring whitespace), and rewrites the line with
 * the value correctly quoted, and unquotes `depends_on` references. Anything it cannot find or
 * match stops it with an error; it never writes a file it is not sure of. Last, when terraform
 * is on PATH, `terraform fmt` puts each file in Terraform's canonical style.
 *
 * Usage: node --import tsx src/commands/export-hcl.ts [--output DIR]   (default DIR: cdktf.hcl)
 *
 * The output folder must not hold JSON stacks (cdk.tf.json): Terraform would load both files of
 * a stack and fail on duplicate resources. That is why the default is not cdktf.out.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The project root: where package.json and cdktf.json live. */
const ROOT = path.resolve(__dirname, '..', '..');

/** Where `npm run export:hcl` writes when `--output` is not given. */
export const DEFAULT_HCL_OUTDIR = 'cdktf.hcl';

/** A JSON value, as `JSON.parse` returns it. */
type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type JsonMap = { [key: string]: Json };

function isMap(v: Json | undefined): v is JsonMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An error in cdktf's HCL output that this module will not guess its way around. */
export class HclExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HclExportError';
  }
}

// ---------------------------------------------------------------------------
// HCL text: blocks found by header and matching closing brace (cdktf's output is formatted:
// two-space indentation, every block's `}` alone on a line at the header's indentation)

/** A block in HCL text, as line indexes: `start` is the header line, `end` its closing `}`. */
export interface HclBlockSpan {
  start: number;
  end: number;
  /** Indentation of the header (and of the closing brace). */
  indent: string;
}

const HEREDOC_START = /<<-?([A-Za-z_][A-Za-z0-9_-]*)\s*$/;

/**
 * The closing line of the block whose header is `lines[start]`: the first later line that is
 * exactly `<indent>}`, skipping heredoc bodies. Throws when there is none, or when a line in
 * between is not indented deeper (the text is not shaped as cdktf writes it).
 */
export function blockEnd(lines: readonly string[], start: number): number {
  const header = lines[start];
  if (header === undefined || !/\{\s*$/.test(header)) throw new HclExportError(`line ${start + 1} does not open a block: ${String(header)}`);
  const indent = /^\s*/.exec(header)?.[0] ?? '';
  let heredoc: string | undefined;
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (heredoc !== undefined) {
      if (line.trim() === heredoc) heredoc = undefined;
      continue;
    }
    if (line === `${indent}}`) return i;
    if (line.trim() !== '' && !line.startsWith(`${indent} `)) {
      throw new HclExportError(`block "${header.trim()}" (line ${start + 1}) is not closed at its indentation before line ${i + 1}: ${line}`);
    }
    heredoc = HEREDOC_START.exec(line)?.[1];
  }
  throw new HclExportError(`block "${header.trim()}" (line ${start + 1}) has no closing brace at its indentation`);
}

/**
 * Every block whose header is exactly `<indent><header>` between lines `from` and `to`
 * (exclusive), e.g. `findBlocks(lines, 'data "archive_file" "handler" {')`.
 */
export function findBlocks(lines: readonly string[], header: string, indent = '', from = 0, to = lines.length): HclBlockSpan[] {
  const spans: HclBlockSpan[] = [];
  for (let i = from; i < to; i++) {
    if (lines[i] !== `${indent}${header}`) continue;
    const end = blockEnd(lines, i);
    if (end >= to) throw new HclExportError(`block "${header}" at line ${i + 1} ends outside its parent`);
    spans.push({ start: i, end, indent });
    i = end;
  }
  return spans;
}

/** The one block with this header; throws when there is none or more than one. */
export function findBlock(lines: readonly string[], header: string, indent = '', from = 0, to = lines.length): HclBlockSpan {
  const spans = findBlocks(lines, header, indent, from, to);
  if (spans.length !== 1) throw new HclExportError(`expected one block "${header}", found ${spans.length}`);
  return spans[0] as HclBlockSpan;
}

/** `name` as an HCL object key as cdktf writes it (quoted when not an identifier). */
function keyPattern(name: string): string {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(name) ? `(?:${escaped}|"${escaped}")` : `"${escaped}"`;
}

/**
 * Direct children of a block named `name`: nested blocks (`name {`) and object attributes
 * (`name = {`), in order, with their spans.
 */
function childBlocks(lines: readonly string[], parent: HclBlockSpan, name: string): HclBlockSpan[] {
  const indent = `${parent.indent}  `;
  const re = new RegExp(`^${indent}${keyPattern(name)}(?:\\s*=)?\\s*\\{$`);
  const spans: HclBlockSpan[] = [];
  for (let i = parent.start + 1; i < parent.end; i++) {
    if (!re.test(lines[i] ?? '')) continue;
    const end = blockEnd(lines, i);
    spans.push({ start: i, end, indent });
    i = end;
  }
  return spans;
}

/** Line indexes of the direct attribute `name = ...` of a block (skipping nested blocks). */
function attributeLines(lines: readonly string[], parent: HclBlockSpan, name: string): number[] {
  const indent = `${parent.indent}  `;
  const re = new RegExp(`^${indent}${keyPattern(name)}\\s*=`);
  const found: number[] = [];
  for (let i = parent.start + 1; i < parent.end; i++) {
    const line = lines[i] ?? '';
    if (re.test(line)) found.push(i);
    if (line.startsWith(indent) && !line.startsWith(`${indent} `) && /\{$/.test(line)) i = blockEnd(lines, i);
  }
  return found;
}

// ---------------------------------------------------------------------------
// strings: Terraform JSON string values are templates; HCL needs the same template quoted

/** Index just past the `}` closing the template sequence whose `{` is at `open`. */
function templateSequenceEnd(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) return i + 1;
    } else if (c === '"') {
      // A string inside the expression: skip it, including escapes and nested templates.
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\') i += 2;
        else if ((s[i] === '$' || s[i] === '%') && s[i + 1] === '{') i = templateSequenceEnd(s, i + 1);
        else i++;
      }
      if (i >= s.length) throw new HclExportError(`unterminated string in template expression: ${s}`);
    }
  }
  throw new HclExportError(`unterminated template sequence at ${open} in: ${s}`);
}

/** A template string cut into literal text and `${...}` / `%{...}` sequences (kept verbatim). */
export function templateParts(s: string): Array<{ literal: boolean; text: string }> {
  const parts: Array<{ literal: boolean; text: string }> = [];
  let literal = '';
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    const next = s[i + 1];
    if ((c === '$' || c === '%') && next === c && s[i + 2] === '{') {
      literal += s.slice(i, i + 3); // `$${` and `%%{` are escapes, the same in JSON and HCL
      i += 3;
    } else if ((c === '$' || c === '%') && next === '{') {
      if (literal !== '') parts.push({ literal: true, text: literal });
      literal = '';
      const end = templateSequenceEnd(s, i + 1);
      parts.push({ literal: false, text: s.slice(i, end) });
      i = end;
    } else {
      literal += c;
      i++;
    }
  }
  if (literal !== '') parts.push({ literal: true, text: literal });
  return parts;
}

/** The HCL quoted-template form of a Terraform JSON string value (single line). */
export function hclQuote(value: string): string {
  const body = templateParts(value)
    .map((p) => (p.literal ? p.text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t') : p.text))
    .join('');
  return `"${body}"`;
}

/** How cdktf 0.21.0 renders a single-line string attribute (cdktf/lib/hcl/render.js renderString). */
export function cdktfRendering(value: string): string {
  return value.includes('${') ? `"${value}"` : `"${value.replace(/(?<!\\)"/g, '\\"')}"`;
}

/**
 * Whether cdktf's rendering of this string value is not the same string in HCL: it holds a
 * backslash outside template sequences (cdktf never escapes it), or a double quote outside
 * them while also holding an interpolation (cdktf then escapes nothing).
 */
export function cdktfMisrenders(value: string): boolean {
  if (/[\r\n]/.test(value)) return false; // heredoc: cdktf's form is right (checked separately)
  const literal = templateParts(value).filter((p) => p.literal).map((p) => p.text).join('');
  if (literal.includes('\\')) return true;
  return literal.includes('"') && value.includes('${');
}

// ---------------------------------------------------------------------------
// the repair

/** One attribute to rewrite: where it is and its value from the JSON synthesis. */
interface RepairTarget {
  /** Top-level block header, e.g. `resource "aws_iam_role_policy" "handler_write_logs" {`. */
  header: string;
  /** Which of the blocks with that header (providers may repeat). */
  occurrence: number;
  /** Path below the block: names, with an index after a name that is a list of blocks. */
  path: Array<string | number>;
  value: string;
  /** For messages: `aws_iam_role_policy.handler_write_logs.policy`. */
  address: string;
}

function collectTargets(v: Json, base: Omit<RepairTarget, 'path' | 'value' | 'address'>, address: string, at: Array<string | number>, out: RepairTarget[]): void {
  if (typeof v === 'string') {
    if (v.includes('\n') && v.split(/\r?\n/).some((line) => line.trim() === 'EOF')) {
      throw new HclExportError(`${address}: a multi-line string with a line "EOF" breaks cdktf's heredoc; not supported`);
    }
    if (cdktfMisrenders(v)) out.push({ ...base, path: at, value: v, address });
    return;
  }
  if (Array.isArray(v)) {
    v.forEach((item, i) => {
      if (typeof item === 'string' && cdktfMisrenders(item)) {
        throw new HclExportError(`${address}[${i}]: a misrendered string inside a list is not supported; repair it by hand`);
      }
      if (isMap(item)) collectTargets(item, base, `${address}[${i}]`, [...at, i], out);
    });
    return;
  }
  if (isMap(v)) {
    for (const [k, child] of Object.entries(v)) {
      if (k !== '//') collectTargets(child, base, `${address}.${k}`, [...at, k], out);
    }
  }
}

/** Every string of the JSON stack that cdktf renders wrongly in HCL, with where to find it. */
function repairTargets(stack: JsonMap): RepairTarget[] {
  const out: RepairTarget[] = [];
  for (const [top, content] of Object.entries(stack)) {
    if (top === '//') continue;
    if ((top === 'resource' || top === 'data') && isMap(content)) {
      for (const [type, byName] of Object.entries(content)) {
        if (!isMap(byName)) continue;
        for (const [name, cfg] of Object.entries(byName)) {
          const prefix = top === 'data' ? `data.${type}.${name}` : `${type}.${name}`;
          collectTargets(cfg, { header: `${top} "${type}" "${name}" {`, occurrence: 0 }, prefix, [], out);
        }
      }
    } else if (top === 'output' && isMap(content)) {
      for (const [name, cfg] of Object.entries(content)) collectTargets(cfg, { header: `output "${name}" {`, occurrence: 0 }, `output.${name}`, [], out);
    } else if (top === 'provider' && isMap(content)) {
      for (const [name, cfgs] of Object.entries(content)) {
        const list = Array.isArray(cfgs) ? cfgs : [cfgs];
        list.forEach((cfg, i) => collectTargets(cfg, { header: `provider "${name}" {`, occurrence: i }, `provider.${name}[${i}]`, [], out));
      }
    } else {
      // terraform, locals, variable, module, ...: not located by this repair, so refuse if needed.
      const found: RepairTarget[] = [];
      collectTargets(content, { header: top, occurrence: 0 }, top, [], found);
      if (found.length > 0) throw new HclExportError(`${found[0]?.address ?? top}: cdktf renders this string wrongly and the repair does not handle "${top}" yet`);
    }
  }
  return out;
}

/** The line of a target's attribute, found by block header and path. */
function locate(lines: readonly string[], t: RepairTarget): number {
  const blocks = findBlocks(lines, t.header);
  let span = blocks[t.occurrence];
  if (span === undefined) throw new HclExportError(`${t.address}: block "${t.header}" #${t.occurrence + 1} is not in the HCL`);
  const path = [...t.path];
  const attr = path.pop();
  if (typeof attr !== 'string') throw new HclExportError(`${t.address}: not an attribute`);
  while (path.length > 0) {
    const name = path.shift();
    if (typeof name !== 'string') throw new HclExportError(`${t.address}: unexpected list index`);
    const index = typeof path[0] === 'number' ? (path.shift() as number) : 0;
    const children = childBlocks(lines, span, name);
    const child = children[index];
    if (child === undefined) throw new HclExportError(`${t.address}: nested block "${name}" #${index + 1} is not in the HCL`);
    span = child;
  }
  const found = attributeLines(lines, span, attr);
  if (found.length !== 1) throw new HclExportError(`${t.address}: expected one "${attr} =" line in the HCL block, found ${found.length}`);
  return found[0] as number;
}

const NEXT_LINE_OK = /^\s*(?:$|\}|#|\/\/|[A-Za-z_"][^=]*=|[A-Za-z_][\w-]*(?:\s+"[^"]*")*\s*\{$)/;

/**
 * Rewrites, in cdktf's HCL for one stack, every attribute cdktf renders wrongly, with the
 * value taken from the same stack's JSON synthesis, and unquotes `depends_on` references.
 * Each rewritten line must be cdktf's rendering of that JSON value (whitespace aside); anything
 * else throws. Returns the new text and the addresses it repaired.
 */
export function repairCdktfHcl(hcl: string, stack: JsonMap): { hcl: string; repaired: string[]; unquotedDependsOn: number } {
  const lines = hcl.split('\n');
  const repaired: string[] = [];
  for (const t of repairTargets(stack)) {
    const i = locate(lines, t);
    const line = lines[i] as string;
    const m = /^(\s*\S+\s*=\s*)(.*)$/.exec(line);
    if (m === null) throw new HclExportError(`${t.address}: line ${i + 1} is not an attribute: ${line}`);
    const [, prefix = '', current = ''] = m;
    const squash = (s: string): string => s.replace(/\s+/g, '');
    if (squash(current) !== squash(cdktfRendering(t.value))) {
      throw new HclExportError(`${t.address}: line ${i + 1} is not cdktf's rendering of the JSON value; not repairing blindly.\n  HCL:  ${current}\n  JSON: ${JSON.stringify(t.value)}`);
    }
    const next = lines[i + 1];
    if (next !== undefined && !NEXT_LINE_OK.test(next)) {
      throw new HclExportError(`${t.address}: the value seems to continue on line ${i + 2}: ${next}`);
    }
    lines[i] = `${prefix}${hclQuote(t.value)}`;
    repaired.push(t.address);
  }
  const unquotedDependsOn = unquoteDependsOn(lines);
  let text = lines.join('\n');
  if (!text.endsWith('\n')) text += '\n';
  return { hcl: text, repaired, unquotedDependsOn };
}

const QUOTED_REF = /^"((?:data\.)?[A-Za-z_][\w-]*\.[A-Za-z_][\w-]*|module\.[A-Za-z_][\w-]*)"$/;

/** `depends_on = ["a.b"]` (JSON syntax's form) → `depends_on = [a.b]`, in place; returns how many. */
function unquoteDependsOn(lines: string[]): number {
  let count = 0;
  const unquote = (item: string): string => {
    const m = QUOTED_REF.exec(item.trim());
    if (m === null) throw new HclExportError(`depends_on entry is not a quoted reference: ${item.trim()}`);
    count++;
    return m[1] as string;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const oneLine = /^(\s*depends_on\s*=\s*\[)(.*)\]\s*$/.exec(line);
    if (oneLine !== null) {
      const items = (oneLine[2] ?? '').split(',').filter((s) => s.trim() !== '');
      lines[i] = `${oneLine[1] ?? ''}${items.map(unquote).join(', ')}]`;
      continue;
    }
    const open = /^(\s*)depends_on\s*=\s*\[$/.exec(line);
    if (open === null) continue;
    const indent = open[1] ?? '';
    let j = i + 1;
    for (; j < lines.length && lines[j] !== `${indent}]`; j++) {
      const item = /^(\s*)(.*?)(,?)\s*$/.exec(lines[j] as string);
      lines[j] = `${item?.[1] ?? ''}${unquote(item?.[2] ?? '')}${item?.[3] ?? ''}`;
    }
    if (j >= lines.length) throw new HclExportError(`depends_on at line ${i + 1} is not closed by "${indent}]"`);
    i = j;
  }
  return count;
}

// ---------------------------------------------------------------------------
// the command

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
      log(`${path.relative(process.cwd(), file) || file}: repaired ${result.repaired.length} string(s) cdktf renders wrongly (hashicorp/terraform-cdk#3911)${result.repaired.length > 0 ? `: ${result.repaired.join(', ')}` : ''}; unquoted ${result.unquotedDependsOn} depends_on reference(s); ${formatted}`);
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
