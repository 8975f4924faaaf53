/**
 * Wildcard patterns of IAM policies (`*` any run of characters, `?` any one character),
 * compiled to anchored regular expressions.
 *
 * Where AWS's documentation leaves two readings open, the pattern is compiled under both and
 * the caller combines them so that no reading AWS might use is more permissive than ours
 * (see `tri-state.ts`):
 *  - ARNs (Resource, NotResource, Arn* conditions). IAM User Guide, "IAM JSON policy
 *    elements: Resource" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html):
 *    "You can use wildcard characters (* and ?) within the individual segments of an ARN (the
 *    parts separated by colons) ... If the * wildcard is the last character of a resource ARN
 *    segment, it can expand to match beyond the colon boundaries." Reading `strict`: any other
 *    `*` or `?` stays within its segment; reading `lenient`: every wildcard may cross `:`. Both
 *    anchor the whole ARN, so an ARN with fewer segments and no trailing `*` matches nothing,
 *    and both are case-sensitive ("the IAM user name is case sensitive"; ARN matching is).
 *  - A policy variable's value containing `*` or `?`: `strict` takes it literally, `lenient`
 *    as wildcards (the documentation does not say).
 */
import type { ResolvedPart } from './policy-variables';

export type Reading = 'strict' | 'lenient';

export interface GlobOptions {
  /** Action names and StringEqualsIgnoreCase-like matching. */
  readonly ignoreCase?: boolean;
  /** Colon-delimited ARN matching (see the header). */
  readonly arn?: boolean;
}

const SPECIAL_RE = /[\\^$.|+()[\]{}*?]/g;

function escape(text: string): string {
  return text.replace(SPECIAL_RE, '\\$&');
}

/** The regex source of `parts` under `reading`. */
export function globSource(parts: readonly ResolvedPart[], options: GlobOptions, reading: Reading): string {
  // Flatten to characters tagged "wildcard-capable" so "last character of a segment" can be seen
  // across part boundaries.
  let source = '';
  const flat: { ch: string; wild: boolean }[] = [];
  for (const part of parts) {
    const wild = part.kind === 'text' || (part.kind === 'value' && reading === 'lenient');
    for (const ch of part.text) flat.push({ ch, wild });
  }
  for (let i = 0; i < flat.length; i++) {
    const { ch, wild } = flat[i];
    if (wild && ch === '*') {
      const segmentEnd = i === flat.length - 1 || flat[i + 1].ch === ':';
      source += options.arn && reading === 'strict' && !segmentEnd ? '[^:]*' : '[\\s\\S]*';
    } else if (wild && ch === '?') {
      source += options.arn && reading === 'strict' ? '[^:]' : '[\\s\\S]';
    } else {
      source += escape(ch);
    }
  }
  return `^${source}$`;
}

/** A compiled pattern: one regex, or two when the readings differ. */
export interface Glob {
  readonly strict: RegExp;
  /** Present only when the lenient reading differs from the strict one. */
  readonly lenient?: RegExp;
}

export function compileGlob(parts: readonly ResolvedPart[], options: GlobOptions): Glob {
  const flags = options.ignoreCase ? 'iu' : 'u';
  const strict = globSource(parts, options, 'strict');
  const lenient = globSource(parts, options, 'lenient');
  return lenient === strict ? { strict: new RegExp(strict, flags) } : { strict: new RegExp(strict, flags), lenient: new RegExp(lenient, flags) };
}

/** A glob of plain policy text (no variables). */
export function textGlob(text: string, options: GlobOptions): Glob {
  return compileGlob([{ kind: 'text', text }], options);
}
