/**
 * A readable line diff of two JSON documents (IAM policies, mostly): both pretty-printed
 * with sorted keys, then compared line by line (longest common subsequence). Policies are
 * small, so the quadratic table is fine.
 */

/** Pretty JSON with object keys sorted, so the same policy always prints the same way. */
export function prettyJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
  }
  return value;
}

/**
 * Lines prefixed `+ `, `- ` or `  ` (unified-diff style, whole documents). A trailing comma
 * does not make a line different (JSON adds one when an item is appended after it); common
 * lines are shown as they are after the change.
 */
export function lineDiff(before: string, after: string): string[] {
  const a = before === '' ? [] : before.split('\n');
  const b = after === '' ? [] : after.split('\n');
  const ka = a.map((l) => l.replace(/,$/, ''));
  const kb = b.map((l) => l.replace(/,$/, ''));
  // lcs[i][j]: length of the LCS of a[i..] and b[j..]
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = ka[i] === kb[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && ka[i] === kb[j]) {
      out.push(`  ${b[j]}`);
      i++;
      j++;
    } else if (i < a.length && (j === b.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      out.push(`- ${a[i]}`);
      i++;
    } else {
      out.push(`+ ${b[j]}`);
      j++;
    }
  }
  return out;
}

/** The diff of two JSON texts; a side that is not JSON is shown as it is. */
export function jsonTextDiff(before: string | undefined, after: string | undefined): string[] {
  const pretty = (text: string | undefined): string => {
    if (text === undefined) return '';
    try {
      return prettyJson(JSON.parse(text));
    } catch {
      return text;
    }
  };
  return lineDiff(pretty(before), pretty(after));
}
