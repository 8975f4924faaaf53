/**
 * `data.aws_iam_policy_document` rendered as the AWS provider 5.100 renders it, so the
 * local gateway evaluates the document Terraform would send to IAM. Pure: no files, no
 * references (the loader resolves those first).
 *
 * Sources, read from hashicorp/terraform-provider-aws:
 * - internal/service/iam/policy_document_data_source.go (dataSourcePolicyDocumentRead):
 *   `version` defaults to 2012-10-17, `policy_id` becomes `Id`, `effect` defaults to Allow;
 *   `actions`, `not_actions`, `resources`, `not_resources` are sets, rendered by
 *   policyDecodeConfigStringList (policy_model.go): one element as a plain string, more
 *   sorted in reverse; `&{` becomes `${` in resources, not_resources and condition values
 *   (dataSourcePolicyDocumentVarReplacer), refused with version 2008-10-17; a condition's
 *   `values` with one element is a plain string. The document is merged as
 *   source_policy_documents (in order, Sids unique across them), then the data source's own
 *   statements, then override_policy_documents (in order), by IAMPolicyDoc.Merge: a statement
 *   with a Sid replaces the earlier one with that Sid in place, others are appended; a
 *   non-empty Id is adopted and the greater Version wins. `json` is
 *   json.MarshalIndent(doc, "", "  "), `minified_json` json.Marshal(doc).
 * - policy_model.go (marshalling): empty Sid, Effect, Version, Id and an empty Statement list
 *   are omitted (Sid since v5.0.0, PR #28539); condition blocks with the same test merge into
 *   one operator object, the same test and variable into one value list (issue #33068), a
 *   single value flattened to a string; a source document's values are read by Go's
 *   encoding/json (field names matched case-insensitively, unknown fields dropped, a boolean
 *   condition value becomes "true"/"false", a number or null one is dropped, a principal's
 *   identifiers sorted in reverse, `"*"` for every principal of type `*`).
 * - website/docs/d/iam_policy_document.html.markdown (the merge rules above, as documented).
 * Checked against the real provider 5.100.0 (terraform apply of these cases, offline).
 *
 * One difference: `condition` is a set in the provider, so blocks repeating a test and
 * variable concatenate their values in the set's hash order; here in the order written. The
 * values are ORed, so the decision is the same.
 *
 * `principals` / `not_principals` blocks are refused: the gateway reads these documents as
 * identity-based policies (a user's or group's), which have no Principal.
 */

/** A problem with the data source's arguments; the loader names the data source. */
export class PolicyDocumentDataError extends Error {
  constructor(readonly attribute: string, readonly problem: string) {
    super(`${attribute} ${problem}`);
    this.name = 'PolicyDocumentDataError';
  }
}

export interface ConditionArguments {
  readonly test: string;
  readonly variable: string;
  readonly values: readonly string[];
}

export interface StatementArguments {
  readonly sid?: string;
  readonly effect?: string;
  readonly actions?: readonly string[];
  readonly notActions?: readonly string[];
  readonly resources?: readonly string[];
  readonly notResources?: readonly string[];
  readonly conditions?: readonly ConditionArguments[];
}

/** The data source's arguments, references already resolved. */
export interface PolicyDocumentArguments {
  readonly version?: string;
  readonly policyId?: string;
  readonly sourcePolicyDocuments?: readonly string[];
  readonly overridePolicyDocuments?: readonly string[];
  readonly statements?: readonly StatementArguments[];
}

export interface RenderedPolicyDocument {
  /** The `json` attribute (indented by two spaces). */
  readonly json: string;
  /** The `minified_json` attribute. */
  readonly minifiedJson: string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Principal {
  readonly type: string;
  readonly identifiers: string | string[];
}

interface Condition {
  readonly test: string;
  readonly variable: string;
  readonly values: string | string[];
}

/** IAMPolicyStatement: undefined is Go's nil (omitted), '' an omitted string. */
interface Statement {
  sid: string;
  effect: string;
  actions?: Json;
  notActions?: Json;
  resources?: Json;
  notResources?: Json;
  principals?: Principal[];
  notPrincipals?: Principal[];
  conditions?: Condition[];
}

interface Document {
  version: string;
  id: string;
  statements: Statement[];
}

const VERSIONS = ['2008-10-17', '2012-10-17'];

/** Renders the data source's `json` and `minified_json`. */
export function renderPolicyDocument(args: PolicyDocumentArguments): RenderedPolicyDocument {
  const merged: Document = { version: '', id: '', statements: [] };

  const sids = new Set<string>();
  (args.sourcePolicyDocuments ?? []).forEach((text, index) => {
    const source = decodeDocument(text, `source_policy_documents[${index}]`);
    source.statements.forEach((statement, statementIndex) => {
      if (statement.sid === '') return;
      if (sids.has(statement.sid)) {
        throw new PolicyDocumentDataError(`source_policy_documents[${index}]`, `has a duplicate Sid (${statement.sid}) (statement ${statementIndex}). Remove the Sid or ensure Sids are unique.`);
      }
      sids.add(statement.sid);
    });
    merge(merged, source);
  });

  merge(merged, ownDocument(args));

  (args.overridePolicyDocuments ?? []).forEach((text, index) => merge(merged, decodeDocument(text, `override_policy_documents[${index}]`)));

  const value = encodeDocument(merged);
  return { json: goJson(JSON.stringify(value, null, 2)), minifiedJson: goJson(JSON.stringify(value)) };
}

/** The data source's own `version`, `policy_id` and `statement` blocks. */
function ownDocument(args: PolicyDocumentArguments): Document {
  const version = args.version ?? '2012-10-17';
  if (!VERSIONS.includes(version)) throw new PolicyDocumentDataError('version', `is ${JSON.stringify(version)}; expected 2008-10-17 or 2012-10-17`);
  const sids = new Set<string>();
  const statements = (args.statements ?? []).map((block, index): Statement => {
    const at = `statement[${index}]`;
    const sid = block.sid ?? '';
    if (!/^[a-zA-Z0-9]*$/.test(sid)) throw new PolicyDocumentDataError(`${at}.sid`, `is ${JSON.stringify(sid)}; it must only include alphanumeric characters`);
    if (sid !== '' && sids.has(sid)) throw new PolicyDocumentDataError(`${at}.sid`, `is a duplicate Sid (${sid}). Remove the Sid or ensure the Sid is unique.`);
    if (sid !== '') sids.add(sid);
    const effect = block.effect ?? 'Allow';
    if (effect !== 'Allow' && effect !== 'Deny') throw new PolicyDocumentDataError(`${at}.effect`, `is ${JSON.stringify(effect)}; expected Allow or Deny`);
    const statement: Statement = { sid, effect };
    if (block.actions?.length) statement.actions = setOfStrings(block.actions);
    if (block.notActions?.length) statement.notActions = setOfStrings(block.notActions);
    if (block.resources?.length) statement.resources = replaceVariables(setOfStrings(block.resources), version, `${at}.resources`);
    if (block.notResources?.length) statement.notResources = replaceVariables(setOfStrings(block.notResources), version, `${at}.not_resources`);
    if (block.conditions?.length) statement.conditions = conditionsOf(block.conditions, version, at);
    return statement;
  });
  return { version, id: args.policyId ?? '', statements };
}

/** A set of strings as the provider writes it: one as a string, more sorted in reverse. */
function setOfStrings(values: readonly string[]): string | string[] {
  const unique = [...new Set(values)];
  if (unique.length === 1) return unique[0];
  return unique.sort(compareBytes).reverse();
}

/** Go's string order (bytes of UTF-8), for the provider's sorts. */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** `&{aws:username}` → `${aws:username}`, refused in a 2008-10-17 document. */
function replaceVariables<T extends string | string[]>(value: T, version: string, attribute: string): T {
  const replace = (text: string): string => {
    if (version === '2008-10-17' && text.includes('&{')) {
      throw new PolicyDocumentDataError(attribute, `contains the &{ sequence in (${text}), which is not supported in document version 2008-10-17`);
    }
    return text.split('&{').join('${');
  };
  return (typeof value === 'string' ? replace(value) : value.map(replace)) as T;
}

function conditionsOf(blocks: readonly ConditionArguments[], version: string, at: string): Condition[] {
  const seen = new Set<string>();
  const conditions: Condition[] = [];
  blocks.forEach((block, index) => {
    // A set: identical blocks are one.
    const key = JSON.stringify([block.test, block.variable, block.values]);
    if (seen.has(key)) return;
    seen.add(key);
    const values = replaceVariables([...block.values], version, `${at}.condition[${index}].values`);
    conditions.push({ test: block.test, variable: block.variable, values: values.length === 1 ? values[0] : values });
  });
  return conditions;
}

/** IAMPolicyDoc.Merge. */
function merge(into: Document, next: Document): void {
  if (next.id.length > 0) into.id = next.id;
  if (next.version > into.version) into.version = next.version;
  for (const statement of next.statements) {
    const existing = statement.sid === '' ? -1 : into.statements.findIndex((s) => s.sid === statement.sid);
    if (existing >= 0) into.statements[existing] = statement;
    else into.statements.push(statement);
  }
}

// ---- decoding a JSON document as Go's encoding/json does into IAMPolicyDoc ----

function decodeDocument(text: string, attribute: string): Document {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new PolicyDocumentDataError(attribute, `is not valid JSON: ${(error as Error).message}`);
  }
  const document: Document = { version: '', id: '', statements: [] };
  if (parsed === null) return document;
  const problem = (what: string): never => {
    throw new PolicyDocumentDataError(attribute, `cannot be merged: ${what}`);
  };
  if (!isObject(parsed)) return problem('it is not a JSON object');
  const fields = fieldsOf(parsed, ['Version', 'Id', 'Statement']);
  document.version = optionalString(fields.Version, () => problem('Version is not a string'));
  document.id = optionalString(fields.Id, () => problem('Id is not a string'));
  const statements = fields.Statement;
  if (statements !== undefined && statements !== null) {
    if (!Array.isArray(statements)) return problem('Statement is not a list');
    document.statements = statements.map((value, index) => decodeStatement(value, (what) => problem(`Statement[${index}]: ${what}`)));
  }
  return document;
}

const STATEMENT_FIELDS = ['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Principal', 'NotPrincipal', 'Condition'];

function decodeStatement(value: unknown, problem: (what: string) => never): Statement {
  if (!isObject(value)) return problem('not a JSON object');
  const fields = fieldsOf(value, STATEMENT_FIELDS);
  const statement: Statement = {
    sid: optionalString(fields.Sid, () => problem('Sid is not a string')),
    effect: optionalString(fields.Effect, () => problem('Effect is not a string')),
  };
  const any = (field: string): Json | undefined => (fields[field] === null ? undefined : (fields[field] as Json | undefined));
  statement.actions = any('Action');
  statement.notActions = any('NotAction');
  statement.resources = any('Resource');
  statement.notResources = any('NotResource');
  if (fields.Principal !== undefined) statement.principals = decodePrincipals(fields.Principal, (what) => problem(`Principal: ${what}`));
  if (fields.NotPrincipal !== undefined) statement.notPrincipals = decodePrincipals(fields.NotPrincipal, (what) => problem(`NotPrincipal: ${what}`));
  if (fields.Condition !== undefined) statement.conditions = decodeConditions(fields.Condition, (what) => problem(`Condition: ${what}`));
  return statement;
}

/** Go's field matching: exact name or case-insensitive, the last matching key winning. */
function fieldsOf(object: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    const name = names.find((n) => n === key) ?? names.find((n) => n.toLowerCase() === key.toLowerCase());
    if (name) fields[name] = value;
  }
  return fields;
}

function optionalString(value: unknown, problem: () => never): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') return problem();
  return value;
}

/** IAMPolicyStatementPrincipalSet.UnmarshalJSON. */
function decodePrincipals(value: unknown, problem: (what: string) => never): Principal[] | undefined {
  if (typeof value === 'string') return [{ type: '*', identifiers: ['*'] }];
  if (!isObject(value)) return problem('unsupported data type');
  const principals: Principal[] = [];
  for (const [type, identifiers] of Object.entries(value)) {
    if (typeof identifiers === 'string') {
      principals.push({ type, identifiers });
    } else if (Array.isArray(identifiers)) {
      if (identifiers.some((i) => typeof i !== 'string')) return problem(`identifiers of ${type} must be strings`);
      principals.push({ type, identifiers: [...(identifiers as string[])].sort(compareBytes) });
    } else {
      return problem(`unsupported data type for the identifiers of ${type}`);
    }
  }
  return principals.length ? principals : undefined;
}

/** IAMPolicyStatementConditionSet.UnmarshalJSON. */
function decodeConditions(value: unknown, problem: (what: string) => never): Condition[] | undefined {
  if (value === null) return undefined;
  if (!isObject(value)) return problem('not a JSON object');
  const conditions: Condition[] = [];
  for (const [test, variables] of Object.entries(value)) {
    if (variables === null) continue;
    if (!isObject(variables)) return problem(`${test} is not a JSON object`);
    for (const [variable, values] of Object.entries(variables)) {
      if (typeof values === 'string') conditions.push({ test, variable, values: [values] });
      else if (typeof values === 'boolean') conditions.push({ test, variable, values: String(values) });
      else if (Array.isArray(values)) {
        if (values.some((v) => typeof v !== 'string')) return problem(`${test}.${variable} must list strings only`);
        conditions.push({ test, variable, values: values as string[] });
      }
      // Numbers, null and objects are dropped, as the provider's decoder does.
    }
  }
  return conditions.length ? conditions : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---- encoding, as Go's encoding/json marshals IAMPolicyDoc ----

function encodeDocument(document: Document): Json {
  const out: { [key: string]: Json } = {};
  if (document.version) out.Version = document.version;
  if (document.id) out.Id = document.id;
  if (document.statements.length) out.Statement = document.statements.map(encodeStatement);
  return out;
}

function encodeStatement(statement: Statement): Json {
  const out: { [key: string]: Json } = {};
  if (statement.sid) out.Sid = statement.sid;
  if (statement.effect) out.Effect = statement.effect;
  if (statement.actions !== undefined) out.Action = statement.actions;
  if (statement.notActions !== undefined) out.NotAction = statement.notActions;
  if (statement.resources !== undefined) out.Resource = statement.resources;
  if (statement.notResources !== undefined) out.NotResource = statement.notResources;
  if (statement.principals?.length) out.Principal = encodePrincipals(statement.principals);
  if (statement.notPrincipals?.length) out.NotPrincipal = encodePrincipals(statement.notPrincipals);
  if (statement.conditions?.length) out.Condition = encodeConditions(statement.conditions);
  return out;
}

/** IAMPolicyStatementPrincipalSet.MarshalJSON. */
function encodePrincipals(principals: readonly Principal[]): Json {
  if (principals.length === 1 && principals[0].type === '*') {
    const ids = principals[0].identifiers;
    if (ids === '*' || (Array.isArray(ids) && ids.length === 1 && ids[0] === '*')) return '*';
  }
  const raw = new Map<string, string | string[]>();
  for (const { type, identifiers } of principals) {
    const existing = raw.get(type);
    if (Array.isArray(identifiers)) {
      const list = existing === undefined ? [] : typeof existing === 'string' ? [existing] : existing;
      raw.set(type, [...list, ...[...identifiers].sort(compareBytes).reverse()]);
    } else {
      raw.set(type, existing === undefined ? identifiers : typeof existing === 'string' ? [existing, identifiers] : [...existing, identifiers]);
    }
  }
  return sortedObject(raw);
}

/** IAMPolicyStatementConditionSet.MarshalJSON. */
function encodeConditions(conditions: readonly Condition[]): Json {
  const raw = new Map<string, Map<string, string[]>>();
  for (const { test, variable, values } of conditions) {
    const variables = raw.get(test) ?? new Map<string, string[]>();
    raw.set(test, variables);
    variables.set(variable, [...(variables.get(variable) ?? []), ...(typeof values === 'string' ? [values] : values)]);
  }
  const tests = new Map<string, Json>();
  for (const [test, variables] of raw) {
    const flattened = new Map<string, Json>();
    for (const [variable, values] of variables) flattened.set(variable, values.length === 1 ? values[0] : values);
    tests.set(test, sortedObject(flattened));
  }
  return sortedObject(tests);
}

/** A Go map marshals with its keys sorted. */
function sortedObject(map: ReadonlyMap<string, Json>): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  for (const key of [...map.keys()].sort(compareBytes)) out[key] = map.get(key) as Json;
  return out;
}

/** Go's encoding/json escapes <, >, & and U+2028/U+2029 in strings; JSON.stringify does not. */
function goJson(text: string): string {
  return text.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// ---- reading the data source's block as cdktf writes it in cdk.tf.json ----

/** Resolves one string attribute of the block (Terraform template → value). */
export type ResolveString = (value: unknown, attribute: string) => string;

/**
 * The arguments of a `data.aws_iam_policy_document` block as cdktf synthesizes it
 * (`statement: [{ actions: [...], condition: [{ test, variable, values }] }]`), every string
 * passed through `resolve`. Principals are refused (see the top of this file).
 */
export function readPolicyDocumentData(block: Readonly<Record<string, unknown>>, resolve: ResolveString): PolicyDocumentArguments {
  for (const key of ['count', 'for_each', 'dynamic']) {
    if (block[key] !== undefined) throw new PolicyDocumentDataError(key, 'is not supported by the local gateway');
  }
  for (const key of ['source_json', 'override_json']) {
    if (block[key] !== undefined && resolve(block[key], key) !== '') {
      throw new PolicyDocumentDataError(key, `must be empty (provider 5.x no longer reads it); use ${key.replace('_json', '_policy_documents')}`);
    }
  }
  const optional = (value: unknown, attribute: string): string | undefined => (value === undefined || value === null ? undefined : resolve(value, attribute));
  const list = (value: unknown, attribute: string): string[] | undefined => {
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) throw new PolicyDocumentDataError(attribute, `is ${JSON.stringify(value)}; expected a list of strings`);
    return value.map((item, index) => resolve(item, `${attribute}[${index}]`));
  };
  const blocks = (value: unknown, attribute: string): Record<string, unknown>[] => {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value) || value.some((item) => !isObject(item))) throw new PolicyDocumentDataError(attribute, 'is not a list of blocks');
    return value as Record<string, unknown>[];
  };

  const statements = blocks(block.statement, 'statement').map((statement, index): StatementArguments => {
    const at = `statement[${index}]`;
    if (statement.dynamic !== undefined) throw new PolicyDocumentDataError(`${at}.dynamic`, 'is not supported by the local gateway');
    for (const key of ['principals', 'not_principals']) {
      if (blocks(statement[key], `${at}.${key}`).length > 0) {
        throw new PolicyDocumentDataError(`${at}.${key}`, 'is set, but the local gateway reads this document as a user\'s or group\'s policy, and an identity-based policy has no Principal');
      }
    }
    return {
      sid: optional(statement.sid, `${at}.sid`),
      effect: optional(statement.effect, `${at}.effect`),
      actions: list(statement.actions, `${at}.actions`),
      notActions: list(statement.not_actions, `${at}.not_actions`),
      resources: list(statement.resources, `${at}.resources`),
      notResources: list(statement.not_resources, `${at}.not_resources`),
      conditions: blocks(statement.condition, `${at}.condition`).map((condition, c) => ({
        test: resolve(condition.test, `${at}.condition[${c}].test`),
        variable: resolve(condition.variable, `${at}.condition[${c}].variable`),
        values: list(condition.values, `${at}.condition[${c}].values`) ?? [],
      })),
    };
  });

  return {
    version: optional(block.version, 'version'),
    policyId: optional(block.policy_id, 'policy_id'),
    sourcePolicyDocuments: list(block.source_policy_documents, 'source_policy_documents'),
    overridePolicyDocuments: list(block.override_policy_documents, 'override_policy_documents'),
    statements,
  };
}
