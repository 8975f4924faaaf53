/**
 * Policy variables (`${aws:username}`, `${aws:PrincipalTag/team, 'none'}`, `${*}`): a string
 * of a policy is parsed once into literal and variable parts, and resolved per request.
 *
 * Source: IAM User Guide, "IAM policy elements: Variables and tags"
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html):
 *  - "You must specify the Version element ... 2012-10-17. Earlier versions of the policy
 *    language don't support policy variables. If you don't include the Version element and
 *    set it to an appropriate version date, variables like ${aws:username} are treated as
 *    literal strings in the policy."
 *  - "To add a default value to a variable, surround the default value with single quotes
 *    (' '), and separate the variable text and the default value with a comma and space (, )."
 *  - Special characters: `${*}`, `${?}`, `${$}` stand for a literal `*`, `?` and `$`.
 *  - "If the policy variable ... is not present in the request context ... the element
 *    [that uses it] does not match" (a variable that cannot be resolved makes its string
 *    match nothing); here the same holds for a malformed `${...}`, the stricter reading.
 */
import type { ContextLookup } from './request-context';

export type TemplatePart =
  | { readonly kind: 'text'; readonly text: string }
  /** A literal character from `${*}`, `${?}` or `${$}`: never a wildcard. */
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'variable'; readonly key: string; readonly fallback?: string }
  /** `${...}` that is not a variable IAM can read: the string never matches. */
  | { readonly kind: 'invalid'; readonly source: string };

export interface Template {
  readonly source: string;
  readonly parts: readonly TemplatePart[];
  /** True when the template holds no variable: it resolves to the same parts every time. */
  readonly constant: boolean;
}

const VARIABLE_RE = /\$\{([^}]*)\}/g;
const SPECIAL: Readonly<Record<string, string>> = { '*': '*', '?': '?', $: '$' };
/** `key` or `key, 'default'` (IAM: a comma and a space before the quoted default). */
const BODY_RE = /^\s*([^\s,'{}$]+)\s*(?:,\s*'([^']*)'\s*)?$/;

/** Parses `source`; with `variables` false (policy Version 2008-10-17 or none), all of it is text. */
export function parseTemplate(source: string, variables: boolean): Template {
  if (!variables || !source.includes('${')) return { source, parts: [{ kind: 'text', text: source }], constant: true };
  const parts: TemplatePart[] = [];
  let last = 0;
  let constant = true;
  for (const match of source.matchAll(VARIABLE_RE)) {
    const index = match.index ?? 0;
    if (index > last) parts.push({ kind: 'text', text: source.slice(last, index) });
    last = index + match[0].length;
    const body = match[1];
    const special = SPECIAL[body];
    if (special !== undefined) {
      parts.push({ kind: 'literal', text: special });
      continue;
    }
    const parsed = BODY_RE.exec(body);
    constant = false;
    if (!parsed) {
      parts.push({ kind: 'invalid', source: match[0] });
      continue;
    }
    parts.push(parsed[2] === undefined ? { kind: 'variable', key: parsed[1] } : { kind: 'variable', key: parsed[1], fallback: parsed[2] });
  }
  if (last < source.length) parts.push({ kind: 'text', text: source.slice(last) });
  return { source, parts, constant };
}

/**
 * A resolved part: `text` (policy text) may hold wildcards; `literal` (`${*}`, `${?}`, `${$}`)
 * never does ("use where you need an * (asterisk) character ... that would be interpreted as a
 * wildcard"); `value` (a variable's value) is literal or wildcard depending on the reading.
 */
export type ResolvedPart =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'value'; readonly text: string };

/**
 * The parts with every variable replaced by its single value from the request context (or
 * its default); `undefined` when a variable is missing, multivalued or malformed.
 */
export function resolveTemplate(template: Template, context: ContextLookup): ResolvedPart[] | undefined {
  const resolved: ResolvedPart[] = [];
  for (const part of template.parts) {
    switch (part.kind) {
      case 'text':
        resolved.push(part);
        break;
      case 'literal':
        resolved.push(part);
        break;
      case 'invalid':
        return undefined;
      case 'variable': {
        const value = context.get(part.key);
        if (typeof value === 'string') resolved.push({ kind: 'value', text: value });
        else if (value === undefined && part.fallback !== undefined) resolved.push({ kind: 'value', text: part.fallback });
        else return undefined;
      }
    }
  }
  return resolved;
}

/** The keys of the variables a template reads, lower-cased. */
export function variableKeys(template: Template): string[] {
  return template.parts.flatMap((part) => (part.kind === 'variable' ? [part.key.toLowerCase()] : []));
}
