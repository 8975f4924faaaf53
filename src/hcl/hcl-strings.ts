/**
 * Strings: Terraform JSON string values are templates; HCL needs the same template quoted.
 * Also how cdktf 0.21.0 renders (wrongly) a template holding a double quote.
 */
import { HclExportError } from './hcl-export-error';
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
