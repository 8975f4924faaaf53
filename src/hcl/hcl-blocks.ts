/**
 * HCL text as cdktf writes it (formatted: two-space indentation, every block's `}` alone on a
 * line at the header's indentation): blocks found by header and matching closing brace, and
 * the attribute lines inside them.
 */
import { HclExportError } from './hcl-export-error';

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
export function childBlocks(lines: readonly string[], parent: HclBlockSpan, name: string): HclBlockSpan[] {
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
export function attributeLines(lines: readonly string[], parent: HclBlockSpan, name: string): number[] {
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
