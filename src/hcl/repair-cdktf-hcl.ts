/**
 * Repairs `cdktf synth --hcl` output so that Terraform accepts it.
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
 */
import { HclExportError } from './hcl-export-error';
import { attributeLines, childBlocks, findBlocks } from './hcl-blocks';
import { cdktfMisrenders, cdktfRendering, hclQuote } from './hcl-strings';
import { jsonencodeExpression, policyDocument } from './jsonencode';

/** A JSON value, as `JSON.parse` returns it. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonMap = { [key: string]: Json };

export function isMap(v: Json | undefined): v is JsonMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

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
  /** An IAM policy document: written as `jsonencode({...})` rather than a quoted string. */
  policy?: { [key: string]: Json };
}

function collectTargets(v: Json, base: Omit<RepairTarget, 'path' | 'value' | 'address'>, address: string, at: Array<string | number>, out: RepairTarget[]): void {
  if (typeof v === 'string') {
    if (v.includes('\n') && v.split(/\r?\n/).some((line) => line.trim() === 'EOF')) {
      throw new HclExportError(`${address}: a multi-line string with a line "EOF" breaks cdktf's heredoc; not supported`);
    }
    const attribute = at[at.length - 1];
    const policy = typeof attribute === 'string' ? policyDocument(attribute, v) : undefined;
    if (cdktfMisrenders(v) || policy !== undefined) out.push({ ...base, path: at, value: v, address, ...(policy ? { policy } : {}) });
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
  const replacements = new Map<number, string>();
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
    const indent = /^\s*/.exec(prefix)?.[0] ?? '';
    replacements.set(i, `${prefix}${t.policy ? jsonencodeExpression(t.policy, indent) : hclQuote(t.value)}`);
    repaired.push(t.address);
  }
  // Applied last: a jsonencode spans several lines, and the search above works line by line.
  for (const [i, text] of replacements) lines[i] = text;
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
