/**
 * A statement's Condition block: every operator and every key must hold (AND); for one key,
 * any of the policy values may match (OR), and for a "Not" operator none may.
 *
 * IAM User Guide, "Condition operators" and "Multivalued context keys"
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html):
 *  - Missing key: "If the key that you specify in a policy condition is not present in the
 *    request context, the values do not match and the condition is false. If the policy
 *    condition requires that the key is not matched, such as StringNotLike or ArnNotLike, and
 *    the right key is not present, the condition is true." `...IfExists`: "If the policy key is
 *    present in the context of the request, process the key as specified in the policy. If the
 *    key is not present, evaluate the condition element as true."
 *  - `ForAllValues:` "returns true if every context key value in the request matches at least
 *    one context key value in the policy. It also returns true if there are no context keys in
 *    the request." `ForAnyValue:` "returns true if any one of the context key values in the
 *    request matches any one of the context key values in the policy. For context keys that
 *    have no matching context key or a null dataset, it returns false."
 *  - Null: `true` if the key is absent, `false` if it is present.
 */
import {
  ipMatches, OPERATORS, parseBool, parseCidr, parseInstant, parseNumber, relate, type OperatorSpec, type PolicyValue,
} from './condition-operators';
import { parseTemplate, resolveTemplate, variableKeys, type ResolvedPart, type Template } from './policy-variables';
import type { ContextLookup } from './request-context';
import { and, globMatches, or, type Tri } from './tri-state';
import { compileGlob, type Glob } from './wildcard';

export type SetQualifier = 'ForAnyValue' | 'ForAllValues';

export interface CompiledCondition {
  /** As written: `ForAnyValue:StringLikeIfExists`. */
  readonly operatorText: string;
  readonly operator: OperatorSpec;
  readonly qualifier?: SetQualifier;
  readonly ifExists: boolean;
  /** As written. */
  readonly key: string;
  readonly keyLower: string;
  /** As written, for explanations. */
  readonly sources: readonly string[];
  readonly values: readonly PolicyValue[];
}

/** Splits `ForAllValues:StringEqualsIfExists` into its parts; `undefined` if IAM knows no such operator. */
export function parseOperator(text: string): { operator: OperatorSpec; qualifier?: SetQualifier; ifExists: boolean } | undefined {
  let rest = text;
  let qualifier: SetQualifier | undefined;
  const colon = rest.indexOf(':');
  if (colon >= 0) {
    const prefix = rest.slice(0, colon).toLowerCase();
    if (prefix === 'forallvalues') qualifier = 'ForAllValues';
    else if (prefix === 'foranyvalue') qualifier = 'ForAnyValue';
    else return undefined;
    rest = rest.slice(colon + 1);
  }
  let ifExists = false;
  if (rest.toLowerCase().endsWith('ifexists')) {
    ifExists = true;
    rest = rest.slice(0, -'ifexists'.length);
  }
  const operator = OPERATORS.get(rest.toLowerCase());
  if (!operator) return undefined;
  // "You cannot use ...IfExists with the Null condition operator"; a set of nulls means nothing.
  if (operator.kind === 'null' && (ifExists || qualifier)) return undefined;
  return { operator, qualifier, ifExists };
}

/** Prepares one policy value for `operator`. */
export function compileValue(operator: OperatorSpec, source: string, variables: boolean): PolicyValue {
  switch (operator.kind) {
    case 'string':
    case 'arn':
      return { kind: 'template', template: parseTemplate(source, variables && operator.variables) };
    case 'numeric': {
      const value = parseNumber(source);
      return value === undefined ? { kind: 'unreadable', source } : { kind: 'number', value };
    }
    case 'date': {
      const ms = parseInstant(source);
      return ms === undefined ? { kind: 'unreadable', source } : { kind: 'instant', ms };
    }
    case 'bool':
    case 'null': {
      const value = parseBool(source);
      return value === undefined ? { kind: 'unreadable', source } : { kind: 'bool', value };
    }
    case 'binary':
      return { kind: 'text', value: source };
    case 'ip': {
      const block = parseCidr(source.trim());
      return block ? { kind: 'cidr', block } : { kind: 'unreadable', source };
    }
  }
}

/** The context keys a condition reads: its key and the variables in its values (lower-case). */
export function keysRead(condition: CompiledCondition): string[] {
  const keys = [condition.keyLower];
  for (const value of condition.values) if (value.kind === 'template') keys.push(...variableKeys(value.template));
  return keys;
}

/** Whether the condition holds for the request (see tri-state.ts for `unknown`). */
export function evaluateCondition(condition: CompiledCondition, context: ContextLookup): Tri {
  const raw = context.get(condition.key);
  const { operator, qualifier } = condition;
  if (operator.kind === 'null') {
    // Null: true → the key must be absent; false → present. Unreadable values never decide.
    let result: Tri = false;
    for (const value of condition.values) {
      result = or(result, value.kind === 'bool' ? value.value === (raw === undefined) : 'unknown');
    }
    return result;
  }
  const requestValues = raw === undefined ? [] : typeof raw === 'string' ? [raw] : [...raw];
  if (requestValues.length === 0) {
    if (condition.ifExists) return true;
    if (qualifier === 'ForAllValues') return true;
    if (qualifier === 'ForAnyValue') return false;
    return operator.negated;
  }
  // One request value against the policy values: for a positive operator, does any policy value
  // match; for a "Not" operator, does none.
  const holdsFor = (requestValue: string): Tri => {
    let anyMatch: Tri = false;
    for (const value of condition.values) anyMatch = or(anyMatch, matchesValue(operator, value, requestValue, context));
    return operator.negated ? (anyMatch === 'unknown' ? anyMatch : !anyMatch) : anyMatch;
  };
  if (qualifier === 'ForAllValues') {
    let all: Tri = true;
    for (const v of requestValues) all = and(all, holdsFor(v));
    return all;
  }
  // ForAnyValue, and a plain operator (on a single-valued key there is one request value; on a
  // multivalued key without a qualifier, any value may satisfy it).
  let any: Tri = false;
  for (const v of requestValues) any = or(any, holdsFor(v));
  return any;
}

function matchesValue(operator: OperatorSpec, value: PolicyValue, request: string, context: ContextLookup): Tri {
  switch (value.kind) {
    case 'unreadable':
      return 'unknown';
    case 'template': {
      const parts = resolveTemplate(value.template, context);
      if (!parts) return false; // a variable that cannot be resolved matches nothing
      if (operator.wildcards) return globMatches(globOf(value.template, parts, operator.kind === 'arn'), request);
      const text = parts.map((p) => p.text).join('');
      return operator.ignoreCase ? text.toLowerCase() === request.toLowerCase() : text === request;
    }
    case 'number': {
      const number = parseNumber(request);
      return number !== undefined && relate(operator.relation ?? 'eq', number, value.value);
    }
    case 'instant': {
      const ms = parseInstant(request);
      return ms !== undefined && relate(operator.relation ?? 'eq', ms, value.ms);
    }
    case 'bool': {
      const bool = parseBool(request);
      return bool !== undefined && bool === value.value;
    }
    case 'text':
      return request === value.value;
    case 'cidr':
      return ipMatches(value.block, request);
  }
}

const constantGlobs = new WeakMap<Template, Glob>();

/** The glob of a resolved template; compiled once when the template holds no variable. */
export function globOf(template: Template, parts: readonly ResolvedPart[], arn: boolean): Glob {
  if (!template.constant) return compileGlob(parts, { arn });
  let glob = constantGlobs.get(template);
  if (!glob) {
    glob = compileGlob(parts, { arn });
    constantGlobs.set(template, glob);
  }
  return glob;
}
