/**
 * Validates a policy document as IAM does when it is created, and compiles it for evaluation.
 * A document IAM would reject never reaches AWS (the `terraform apply` fails), so it grants
 * nothing here; its errors are reported, naming the policy.
 *
 * Grammar: IAM User Guide, "Grammar of the IAM JSON policy language"
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html) and the
 * element pages. Only rules AWS documents or states in its own error messages are enforced:
 *  - the elements Version / Id / Statement; Version "2012-10-17" or "2008-10-17" ("Version ...
 *    Other values are not valid");
 *  - per statement: Effect `Allow` or `Deny`; exactly one of Action / NotAction and of
 *    Resource / NotResource ("Statements must include either a Resource or a NotResource
 *    element"); no Principal / NotPrincipal in an identity policy (IAM's error: "Policy
 *    document should not specify a principal."); a Resource is `*` or an ARN (IAM's error:
 *    "Resource ... must be in ARN format or \"*\"."); an Action is `*` or `service:action`
 *    ("Actions/Conditions must be prefaced by a vendor"); Sids unique within the policy and
 *    alphanumeric (IAM's error: "Statement IDs (SID) must be alpha-numeric");
 *  - conditions: known operators only, each mapping keys to a value or list of values.
 */
import type { CompiledCondition } from './conditions';
import { compileValue, parseOperator } from './conditions';
import { parseTemplate, type Template } from './policy-variables';
import type { NamedPolicy, PolicyDocument } from './principal';
import { textGlob, type Glob } from './wildcard';

export interface CompiledStatement {
  readonly index: number;
  readonly sid?: string;
  readonly effect: 'Allow' | 'Deny';
  /** `true` for NotAction. */
  readonly notAction: boolean;
  readonly actions: readonly Glob[];
  readonly actionSources: readonly string[];
  /** `true` for NotResource. */
  readonly notResource: boolean;
  readonly resources: readonly ResourcePattern[];
  readonly conditions: readonly CompiledCondition[];
}

/**
 * A Resource entry. Policy variables belong "only in the resource portion of the ARN ... after
 * the fifth colon" (IAM User Guide, "Policy variables"); what IAM does with one before it is
 * not documented, so such an entry is also matched with the variable read literally, and the
 * two readings combined (tri-state.ts).
 */
export interface ResourcePattern {
  readonly template: Template;
  readonly literal?: Template;
}

export interface CompiledPolicy {
  readonly policy: NamedPolicy;
  /** Empty when the document is valid. */
  readonly errors: readonly string[];
  /** Empty when the document is invalid. */
  readonly statements: readonly CompiledStatement[];
  /** Whether policy variables are substituted (Version 2012-10-17). */
  readonly variables: boolean;
}

const VERSIONS = new Set(['2012-10-17', '2008-10-17']);
const POLICY_ELEMENTS = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_ELEMENTS = new Set(['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition', 'Principal', 'NotPrincipal']);
const SID_RE = /^[0-9A-Za-z]*$/;
const ACTION_RE = /^[^:\s]+:\S*$/;

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Compiles `policy`; `errors` names everything IAM would reject, one line each. */
export function compilePolicy(policy: NamedPolicy): CompiledPolicy {
  const errors: string[] = [];
  const document: PolicyDocument | unknown = policy.document;
  if (!isObject(document)) return { policy, errors: ['the policy is not a JSON object'], statements: [], variables: false };
  for (const element of Object.keys(document)) {
    if (!POLICY_ELEMENTS.has(element)) errors.push(`unknown element "${element}" (a policy has Version, Id and Statement)`);
  }
  const version = document.Version;
  if (version !== undefined && (typeof version !== 'string' || !VERSIONS.has(version))) {
    errors.push(`Version is ${JSON.stringify(version)}; IAM accepts "2012-10-17" or "2008-10-17"`);
  }
  const variables = version === '2012-10-17';
  const raw = document.Statement;
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  if (raw === undefined) errors.push('it has no Statement');
  else if (list.length === 0) errors.push('Statement is an empty list');
  const statements: CompiledStatement[] = [];
  const sids = new Set<string>();
  list.forEach((statement, index) => {
    const where = `statement ${index}`;
    if (!isObject(statement)) {
      errors.push(`${where} is not a JSON object`);
      return;
    }
    const compiled = compileStatement(statement, index, variables, (problem) => errors.push(`${where}${typeof statement.Sid === 'string' && statement.Sid ? ` (${statement.Sid})` : ''}: ${problem}`));
    if (compiled?.sid !== undefined && compiled.sid !== '') {
      if (sids.has(compiled.sid)) errors.push(`${where}: Sid "${compiled.sid}" is used twice (IAM: SIDs in a single policy must be unique)`);
      sids.add(compiled.sid);
    }
    if (compiled) statements.push(compiled);
  });
  return errors.length > 0 ? { policy, errors, statements: [], variables } : { policy, errors, statements, variables };
}

function compileStatement(statement: JsonObject, index: number, variables: boolean, error: (problem: string) => void): CompiledStatement | undefined {
  const before = { count: 0 };
  const fail = (problem: string): void => {
    before.count++;
    error(problem);
  };
  for (const element of Object.keys(statement)) {
    if (!STATEMENT_ELEMENTS.has(element)) fail(`unknown element "${element}"`);
  }
  if (Object.hasOwn(statement, 'Principal') || Object.hasOwn(statement, 'NotPrincipal')) fail('an identity policy must not specify a Principal (IAM: "Policy document should not specify a principal.")');
  const sid = statement.Sid;
  if (sid !== undefined && (typeof sid !== 'string' || !SID_RE.test(sid))) fail(`Sid ${JSON.stringify(sid)} is not alphanumeric`);
  const effect = statement.Effect;
  if (effect !== 'Allow' && effect !== 'Deny') fail(`Effect is ${JSON.stringify(effect)}; it must be "Allow" or "Deny"`);

  const actionElement = exactlyOne(statement, 'Action', 'NotAction', fail);
  const actionSources = actionElement ? strings(statement[actionElement], actionElement, fail) : [];
  for (const action of actionSources) {
    if (action !== '*' && !ACTION_RE.test(action)) fail(`${actionElement} "${action}" is not "*" or "service:action"`);
  }
  const resourceElement = exactlyOne(statement, 'Resource', 'NotResource', fail);
  const resourceSources = resourceElement ? strings(statement[resourceElement], resourceElement, fail) : [];
  for (const resource of resourceSources) {
    if (resource !== '*' && !resource.startsWith('arn:')) fail(`${resourceElement} "${resource}" must be in ARN format or "*"`);
  }
  const conditions = compileConditions(statement.Condition, variables, fail);
  if (before.count > 0 || !actionElement || !resourceElement) return undefined;
  return {
    index,
    sid: typeof sid === 'string' ? sid : undefined,
    effect: effect as 'Allow' | 'Deny',
    notAction: actionElement === 'NotAction',
    actions: actionSources.map((a) => textGlob(a, { ignoreCase: true })),
    actionSources,
    notResource: resourceElement === 'NotResource',
    resources: resourceSources.map((r) => resourcePattern(r, variables)),
    conditions,
  };
}

function resourcePattern(source: string, variables: boolean): ResourcePattern {
  const template = parseTemplate(source, variables);
  if (template.constant) return { template };
  const fifthColon = source.split(':', 5).join(':').length;
  const early = source.indexOf('${') >= 0 && source.indexOf('${') < fifthColon;
  return early ? { template, literal: parseTemplate(source, false) } : { template };
}

function exactlyOne(statement: JsonObject, a: string, b: string, fail: (problem: string) => void): string | undefined {
  const hasA = Object.hasOwn(statement, a);
  const hasB = Object.hasOwn(statement, b);
  if (hasA && hasB) fail(`it has both ${a} and ${b}; IAM allows one`);
  else if (!hasA && !hasB) fail(`it has neither ${a} nor ${b}`);
  else return hasA ? a : b;
  return undefined;
}

/** A string or a non-empty list of strings. */
function strings(value: unknown, element: string, fail: (problem: string) => void): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) fail(`${element} is an empty list`);
  if (list.some((v) => typeof v !== 'string')) {
    fail(`${element} must be a string or a list of strings, got ${JSON.stringify(value)}`);
    return [];
  }
  return list as string[];
}

function compileConditions(block: unknown, variables: boolean, fail: (problem: string) => void): CompiledCondition[] {
  if (block === undefined) return [];
  if (!isObject(block)) {
    fail('Condition must be an object of operators');
    return [];
  }
  const compiled: CompiledCondition[] = [];
  for (const [operatorText, entries] of Object.entries(block)) {
    const parsed = parseOperator(operatorText);
    if (!parsed) {
      fail(`unknown condition operator "${operatorText}"`);
      continue;
    }
    if (!isObject(entries) || Object.keys(entries).length === 0) {
      fail(`condition ${operatorText} must map condition keys to values`);
      continue;
    }
    for (const [key, values] of Object.entries(entries)) {
      const list = Array.isArray(values) ? values : [values];
      if (list.length === 0 || list.some((v) => !['string', 'number', 'boolean'].includes(typeof v))) {
        fail(`condition ${operatorText} ${key}: values must be strings, numbers or booleans, got ${JSON.stringify(values)}`);
        continue;
      }
      if (!/^[^\s]+$/.test(key)) {
        fail(`condition ${operatorText}: ${JSON.stringify(key)} is not a condition key`);
        continue;
      }
      const sources = list.map(String);
      compiled.push({
        operatorText,
        operator: parsed.operator,
        qualifier: parsed.qualifier,
        ifExists: parsed.ifExists,
        key,
        keyLower: key.toLowerCase(),
        sources,
        values: sources.map((source) => compileValue(parsed.operator, source, variables)),
      });
    }
  }
  return compiled;
}
