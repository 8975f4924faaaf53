/**
 * Three-valued logic for places where AWS's documentation allows two readings: a statement
 * element is `true` or `false` when both readings agree, `unknown` when they differ. An Allow
 * statement applies only when every element is `true`; a Deny applies unless some element is
 * `false`. So the local decision is never more permissive than AWS's, whichever reading AWS
 * uses, and equals it wherever the documentation is clear.
 */
import type { Glob } from './wildcard';

export type Tri = true | false | 'unknown';

/** Kleene AND. */
export function and(a: Tri, b: Tri): Tri {
  if (a === false || b === false) return false;
  if (a === true && b === true) return true;
  return 'unknown';
}

/** Kleene OR. */
export function or(a: Tri, b: Tri): Tri {
  if (a === true || b === true) return true;
  if (a === false && b === false) return false;
  return 'unknown';
}

export function not(a: Tri): Tri {
  return a === 'unknown' ? a : !a;
}

/** Whether `glob` matches `value` under both readings, neither, or only one. */
export function globMatches(glob: Glob, value: string): Tri {
  const strict = glob.strict.test(value);
  if (!glob.lenient) return strict;
  return strict === glob.lenient.test(value) ? strict : 'unknown';
}
