/**
 * A reference IAM evaluator for identity-based policies, written directly from AWS's documentation
 * and from nothing else (it does not look at the project's evaluator in src/iam/, nor at any library).
 * It is meant to be obviously correct, not fast: every rule below quotes the page it comes from.
 *
 * Pages followed (AWS Identity and Access Management User Guide, https://docs.aws.amazon.com/IAM/latest/UserGuide/):
 *  - reference_policies_evaluation-logic.html and reference_policies_evaluation-logic_policy-eval-denyallow.html
 *    ("Policy evaluation logic", "How AWS enforcement code logic evaluates requests to allow or deny access")
 *  - reference_policies_grammar.html ("Grammar of the IAM JSON policy language")
 *  - reference_policies_elements_version.html, _effect.html, _action.html, _notaction.html,
 *    _resource.html, _notresource.html, _condition.html, _condition_operators.html
 *  - reference_policies_variables.html ("IAM policy elements: Variables and tags")
 *  - reference_policies_condition-logic-multiple-context-keys-or-values.html and
 *    reference_policies_condition-single-vs-multi-valued-context-keys.html (formerly
 *    reference_policies_multi-value-conditions.html: "Multivalued context keys", set operators)
 *  - access_policies_boundaries.html ("Permissions boundaries for IAM entities")
 *  - access_policies.html#policies_session ("Session policies")
 *  - reference_policies_condition-keys.html ("AWS global condition context keys")
 *
 * Where the documentation is ambiguous, the reading chosen is marked "AMBIGUOUS:" below.
 *
 * Scope: identity-based policies (user, group, role), a permissions boundary and session policies of
 * one principal, for a request in the principal's own account. No resource-based policies, SCPs or RCPs.
 * The request context is taken exactly as given (`request.context`): the caller puts the principal's
 * keys (aws:username, aws:PrincipalTag/..., ...) into it.
 */
import type { NamedPolicy, Principal } from '../../../src/iam/principal';
import type { AuthorizationRequest, ContextValue, RequestContext, Verdict } from '../../../src/iam/decide';

// ---------------------------------------------------------------------------------------------
// Parsing and validation (reference_policies_grammar.html and the element pages)
// ---------------------------------------------------------------------------------------------

type ConditionValue = string; // numbers and booleans are turned into strings (see normalizeConditionValue)

interface ConditionClause {
  readonly operator: string; // as written, e.g. "ForAnyValue:StringLikeIfExists"
  readonly setOperator?: 'ForAllValues' | 'ForAnyValue';
  readonly base: BaseOperator;
  readonly ifExists: boolean;
  readonly key: string;
  readonly values: readonly ConditionValue[];
}

export interface ParsedStatement {
  readonly effect: 'Allow' | 'Deny';
  readonly action?: readonly string[];
  readonly notAction?: readonly string[];
  readonly resource?: readonly string[];
  readonly notResource?: readonly string[];
  readonly conditions: readonly ConditionClause[];
}

export interface ParsedPolicy {
  /** Undefined when the policy has no Version element. */
  readonly version?: '2008-10-17' | '2012-10-17';
  readonly statements: readonly ParsedStatement[];
}

/**
 * reference_policies_elements_condition_operators.html lists the operators:
 * String (StringEquals, StringNotEquals, StringEqualsIgnoreCase, StringNotEqualsIgnoreCase, StringLike,
 * StringNotLike), Numeric (NumericEquals, NumericNotEquals, NumericLessThan, NumericLessThanEquals,
 * NumericGreaterThan, NumericGreaterThanEquals), Date (DateEquals, DateNotEquals, DateLessThan,
 * DateLessThanEquals, DateGreaterThan, DateGreaterThanEquals), Bool, BinaryEquals, IpAddress,
 * NotIpAddress, ArnEquals, ArnLike, ArnNotEquals, ArnNotLike, Null.
 */
const BASE_OPERATORS = [
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
  'NumericEquals',
  'NumericNotEquals',
  'NumericLessThan',
  'NumericLessThanEquals',
  'NumericGreaterThan',
  'NumericGreaterThanEquals',
  'DateEquals',
  'DateNotEquals',
  'DateLessThan',
  'DateLessThanEquals',
  'DateGreaterThan',
  'DateGreaterThanEquals',
  'Bool',
  'BinaryEquals',
  'IpAddress',
  'NotIpAddress',
  'ArnEquals',
  'ArnLike',
  'ArnNotEquals',
  'ArnNotLike',
  'Null',
] as const;
export type BaseOperator = (typeof BASE_OPERATORS)[number];

/**
 * The negated ("NotEquals"/"NotLike"/"NotIpAddress") operators. reference_policies_elements_condition_operators.html:
 * "If the policy condition requires that the key is *not* matched, such as StringNotLike or ArnNotLike, and
 * the right key is not present, the condition is *true*."
 */
const NEGATED: Readonly<Partial<Record<BaseOperator, BaseOperator>>> = {
  StringNotEquals: 'StringEquals',
  StringNotEqualsIgnoreCase: 'StringEqualsIgnoreCase',
  StringNotLike: 'StringLike',
  NumericNotEquals: 'NumericEquals',
  DateNotEquals: 'DateEquals',
  NotIpAddress: 'IpAddress',
  ArnNotEquals: 'ArnEquals',
  ArnNotLike: 'ArnLike',
};

/** Parses an operator name; undefined when IAM would not know it. */
export function parseOperator(
  name: string,
): { setOperator?: 'ForAllValues' | 'ForAnyValue'; base: BaseOperator; ifExists: boolean } | undefined {
  let rest = name;
  let setOperator: 'ForAllValues' | 'ForAnyValue' | undefined;
  // reference_policies_condition-single-vs-multi-valued-context-keys.html: "The ForAllValues and
  // ForAnyValue qualifiers add set-operation functionality to the condition operator", written
  // "ForAllValues:StringLike".
  for (const prefix of ['ForAllValues', 'ForAnyValue'] as const) {
    if (rest.startsWith(`${prefix}:`)) {
      setOperator = prefix;
      rest = rest.slice(prefix.length + 1);
    }
  }
  // reference_policies_elements_condition_operators.html#Conditions_IfExists: "You can add IfExists to
  // the end of any condition operator name except the Null condition".
  let ifExists = false;
  if (rest.endsWith('IfExists')) {
    ifExists = true;
    rest = rest.slice(0, -'IfExists'.length);
  }
  const base = BASE_OPERATORS.find((op) => op === rest);
  if (!base) return undefined;
  if (ifExists && base === 'Null') return undefined;
  return { setOperator, base, ifExists };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * reference_policies_grammar.html: "Arrays can take one or more values ... If the element takes an array
 * ... but only one value is included, the brackets are optional." Returns undefined when the value is
 * neither a string nor a non-empty array of strings.
 */
function stringList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) return [...value];
  return undefined;
}

/**
 * reference_policies_grammar.html: "Values are enclosed in quotation marks. Quotation marks are optional
 * for numeric and Boolean values." So a condition value may be a JSON number or boolean: we read its text.
 */
function normalizeConditionValue(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  return undefined;
}

/**
 * Validates a policy document as IAM would before accepting it, and parses it. Returns undefined for a
 * document IAM would reject; such a document grants nothing and denies nothing.
 */
export function parsePolicy(document: unknown): ParsedPolicy | undefined {
  if (!isPlainObject(document)) return undefined;
  // Grammar: policy = { <version_block?> <id_block?> <statement_block> }. Nothing else.
  for (const key of Object.keys(document)) if (!['Version', 'Id', 'Statement'].includes(key)) return undefined;
  // reference_policies_grammar.html, notes: "The id_block ... must *not* be included in identity-based
  // policies." Every policy evaluated here (identity, boundary, session) is identity-based.
  if ('Id' in document) return undefined;
  // Grammar: <version_block> = "Version" : ("2008-10-17" | "2012-10-17")
  let version: ParsedPolicy['version'];
  if ('Version' in document) {
    if (document.Version !== '2008-10-17' && document.Version !== '2012-10-17') return undefined;
    version = document.Version;
  }
  // Grammar: <statement_block> = "Statement" : [ <statement>, <statement>, ... ]; brackets optional for one.
  const raw = document.Statement;
  const list = Array.isArray(raw) ? raw : raw === undefined ? undefined : [raw];
  if (!list || list.length === 0) return undefined;
  // reference_policies_elements_sid.html: "In IAM, the Sid value must be unique within a JSON policy."
  const sids = list.filter((s) => isPlainObject(s) && typeof s.Sid === 'string').map((s) => (s as { Sid: string }).Sid);
  if (new Set(sids).size !== sids.length) return undefined;
  const statements: ParsedStatement[] = [];
  for (const s of list) {
    const parsed = parseStatement(s);
    if (!parsed) return undefined; // one bad statement: IAM rejects the whole document
    statements.push(parsed);
  }
  return { version, statements };
}

export function parseStatement(s: unknown): ParsedStatement | undefined {
  if (!isPlainObject(s)) return undefined;
  const allowed = ['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition', 'Principal', 'NotPrincipal'];
  for (const key of Object.keys(s)) if (!allowed.includes(key)) return undefined;
  // reference_policies_grammar.html, notes: "The principal_block element is required in resource-based
  // policies ... It must *not* be included in identity-based policies."
  if ('Principal' in s || 'NotPrincipal' in s) return undefined;
  // reference_policies_grammar.html, sid_string: "For IAM policies, basic alphanumeric characters
  // (A-Z,a-z,0-9) are the only allowed characters in the Sid value." (reference_policies_elements_sid.html:
  // "The Sid element supports ASCII uppercase letters (A-Z), lowercase letters (a-z), and numbers (0-9).")
  if ('Sid' in s && !(typeof s.Sid === 'string' && /^[A-Za-z0-9]*$/.test(s.Sid))) return undefined;
  // reference_policies_elements_effect.html: "Valid values for Effect are Allow and Deny. The Effect
  // value is case sensitive." Grammar: <effect_block> is not optional.
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny') return undefined;
  // reference_policies_elements_action.html: "Statements must include either an Action or NotAction element."
  // Grammar: <action_block> = ("Action" | "NotAction") : ... (exactly one of them).
  if ('Action' in s === 'NotAction' in s) return undefined;
  const actions = stringList('Action' in s ? s.Action : s.NotAction);
  // Grammar notes, action_string: "Consists of a service namespace, a colon, and the name of an action."
  // Grammar: ("*" | [<action_string>, ...]).
  if (!actions || !actions.every((a) => a === '*' || /^[^:]+:[^:]+$/.test(a))) return undefined;
  // reference_policies_elements_resource.html: "Statements must include either a Resource or a NotResource element."
  if ('Resource' in s === 'NotResource' in s) return undefined;
  const resources = stringList('Resource' in s ? s.Resource : s.NotResource);
  // reference_policies_elements_resource.html: "You specify a resource using an ARN"; grammar notes,
  // resource_string: "In most cases, consists of an Amazon Resource Name (ARN)"; "*" is the other form.
  // AMBIGUOUS: what exactly IAM accepts as a resource string; we accept "*" and anything starting "arn:".
  if (!resources || !resources.every((r) => r === '*' || r.startsWith('arn:'))) return undefined;
  const conditions: ConditionClause[] = [];
  if ('Condition' in s) {
    // Grammar: <condition_block> = "Condition" : { <condition_type_string> : { <condition_key_string> :
    // <condition_value_list> }, ... }
    if (!isPlainObject(s.Condition)) return undefined;
    for (const [operator, block] of Object.entries(s.Condition)) {
      // Grammar notes, condition_type_string: "For a complete list of condition types, see IAM JSON policy
      // elements: Condition operators." An operator not in that list is an error.
      const op = parseOperator(operator);
      if (!op || !isPlainObject(block)) return undefined;
      for (const [key, rawValues] of Object.entries(block)) {
        const list = Array.isArray(rawValues) ? rawValues : [rawValues];
        const values = list.map(normalizeConditionValue);
        if (values.some((v) => v === undefined)) return undefined;
        conditions.push({ operator, ...op, key, values: values as string[] });
      }
    }
  }
  return {
    effect: s.Effect,
    ...('Action' in s ? { action: actions } : { notAction: actions }),
    ...('Resource' in s ? { resource: resources } : { notResource: resources }),
    conditions,
  };
}

// ---------------------------------------------------------------------------------------------
// The request context
// ---------------------------------------------------------------------------------------------

/**
 * reference_policies_elements_condition.html: "Condition key *names* are not case-sensitive. For example,
 * including the aws:SourceIP condition key is equivalent to testing for AWS:SourceIp."
 * reference_policies_variables.html: "Key names are case-insensitive. For example, aws:CurrentTime is
 * equivalent to AWS:currenttime."
 */
export function lookup(context: RequestContext, key: string): ContextValue | undefined {
  const wanted = key.toLowerCase();
  for (const [k, v] of Object.entries(context)) if (k.toLowerCase() === wanted) return v;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Patterns: wildcards and policy variables
// ---------------------------------------------------------------------------------------------

/** One character of a pattern: a literal (`text` tells whether it was typed in the policy) or a wildcard. */
type Tok = { readonly kind: 'lit'; readonly ch: string; readonly text: boolean } | { readonly kind: 'star' } | { readonly kind: 'qmark' };

/** Characters by code point. AMBIGUOUS: "any single character" (`?`) is read as one Unicode code point. */
const chars = (s: string): string[] => Array.from(s);

/**
 * Expands a policy string into pattern characters.
 *
 * - `wildcards`: whether `*` and `?` are wildcards (Resource, Action, StringLike, ArnLike) or literal.
 * - `variables`: whether policy variables are substituted. reference_policies_variables.html: "In order to
 *   use policy variables, you must include the Version element in a statement, and the version must be set
 *   to a version that supports policy variables. Variables were introduced in version 2012-10-17. ...
 *   If you don't include the Version element ... variables like ${aws:username} are treated as literal
 *   strings in the policy." reference_policies_elements_version.html (2008-10-17): "variables such as
 *   ${aws:username} aren't recognized as variables and are instead treated as literal strings".
 *
 * Returns undefined when a variable has no value and no default (the caller decides what that means).
 */
function expand(raw: string, wildcards: boolean, variables: boolean, context: RequestContext): Tok[] | undefined {
  const out: Tok[] = [];
  const pushText = (s: string) => {
    for (const ch of chars(s)) {
      if (wildcards && ch === '*') out.push({ kind: 'star' });
      else if (wildcards && ch === '?') out.push({ kind: 'qmark' });
      else out.push({ kind: 'lit', ch, text: true });
    }
  };
  // A substituted value is data, not pattern: AMBIGUOUS (the docs do not say whether a `*` inside a
  // variable's value is a wildcard); we read it literally, like the ${*} escapes below.
  const pushValue = (s: string) => {
    for (const ch of chars(s)) out.push({ kind: 'lit', ch, text: false });
  };
  if (!variables) {
    pushText(raw);
    return out;
  }
  let i = 0;
  while (i < raw.length) {
    const start = raw.indexOf('${', i);
    if (start < 0) break;
    const end = raw.indexOf('}', start + 2);
    if (end < 0) break; // an unterminated "${" is plain text
    pushText(raw.slice(i, start));
    const inner = raw.slice(start + 2, end);
    // reference_policies_variables.html, "Special characters": "${*} - use where you need an * (asterisk)
    // character. ${?} - use where you need a ? (question mark) character. ${$} - use where you need a $
    // (dollar sign) character."
    if (inner === '*' || inner === '?' || inner === '$') {
      pushValue(inner);
    } else {
      // reference_policies_variables.html, "Specifying default values": "surround the default value with
      // single quotes (' '), and separate the variable text and the default value with a comma and space (, )."
      // Example: ${aws:PrincipalTag/team, 'company-wide'}.
      const withDefault = /^(.*), '(.*)'$/s.exec(inner);
      const key = withDefault ? withDefault[1] : inner;
      const fallback = withDefault ? withDefault[2] : undefined;
      const value = lookup(context, key);
      // reference_policies_variables.html: "You can use any single-valued condition key as a variable. You
      // can't use a multivalued condition key as a variable." A list value is not usable.
      if (typeof value === 'string') pushValue(value);
      else if (fallback !== undefined) pushValue(fallback);
      else return undefined; // "Policy variables with no value": "the value is effectively null"
    }
    i = end + 1;
  }
  pushText(raw.slice(i));
  return out;
}

/** Whole-string wildcard match by dynamic programming: `*` any run (also empty), `?` exactly one character. */
function globMatch(pattern: readonly Tok[], text: readonly string[]): boolean {
  // m[i][j]: pattern[0..i) matches text[0..j)
  const m: boolean[][] = Array.from({ length: pattern.length + 1 }, () => new Array<boolean>(text.length + 1).fill(false));
  m[0][0] = true;
  for (let i = 1; i <= pattern.length; i++) {
    const t = pattern[i - 1];
    for (let j = 0; j <= text.length; j++) {
      if (t.kind === 'star') m[i][j] = m[i - 1][j] || (j > 0 && m[i][j - 1]);
      else if (j > 0) m[i][j] = m[i - 1][j - 1] && (t.kind === 'qmark' || t.ch === text[j - 1]);
    }
  }
  return m[pattern.length][text.length];
}

// ---------------------------------------------------------------------------------------------
// Action / NotAction
// ---------------------------------------------------------------------------------------------

/**
 * reference_policies_elements_action.html: "The prefix and the action name are case insensitive. For
 * example, iam:ListAccessKeys is the same as IAM:listaccesskeys." "You can use a wildcard (*) to give
 * access to all the actions the specific AWS product offers" and "as part of the action name"
 * (`iam:*AccessKey*`); the current page adds "You can also use wildcards (* or ?)". Grammar: `"Action":"*"`.
 */
function actionMatches(pattern: string, action: string): boolean {
  return globMatch(expand(pattern.toLowerCase(), true, false, {})!, chars(action.toLowerCase()));
}

export function statementMatchesAction(s: ParsedStatement, action: string): boolean {
  if (s.action) return s.action.some((p) => actionMatches(p, action));
  // reference_policies_elements_notaction.html: "NotAction is an advanced policy element that explicitly
  // matches everything *except* the specified list of actions."
  return !s.notAction!.some((p) => actionMatches(p, action));
}

// ---------------------------------------------------------------------------------------------
// Resource / NotResource
// ---------------------------------------------------------------------------------------------

/**
 * Splits an ARN into its six parts: arn:partition:service:region:account-id:resource. The resource part
 * keeps any further colons (reference-arns.html: "arn:partition:service:region:account-id:resource-type:resource-id").
 */
function splitArn(arn: string): string[] {
  const parts: string[] = [];
  let rest = arn;
  for (let k = 0; k < 5; k++) {
    const at = rest.indexOf(':');
    if (at < 0) break;
    parts.push(rest.slice(0, at));
    rest = rest.slice(at + 1);
  }
  parts.push(rest);
  return parts;
}

/** The same split for a pattern: only colons typed in the policy separate segments, at most five of them. */
function splitPattern(p: readonly Tok[]): Tok[][] {
  const segments: Tok[][] = [[]];
  for (const t of p) {
    if (t.kind === 'lit' && t.text && t.ch === ':' && segments.length < 6) segments.push([]);
    else segments[segments.length - 1].push(t);
  }
  return segments;
}

/**
 * ARN matching, segment by segment (the Resource element and the Arn* condition operators).
 *
 * reference_policies_elements_resource.html, "Using wildcards in resource ARNs": "You can use wildcard
 * characters (* and ?) within the individual segments of an ARN (the parts separated by colons) ... You can
 * use multiple * or ? characters in each segment. If the * wildcard is the last character of a resource ARN
 * segment, it can expand to match beyond the colon boundaries." and "The asterisk (*) character can expand to
 * replace everything within a segment, including characters like a forward slash (/)".
 * reference_policies_elements_condition_operators.html (ArnLike): "Each of the six colon-delimited components
 * of the ARN is checked separately and each can include multi-character match wildcards (*) or
 * single-character match wildcards (?)."
 *
 * AMBIGUOUS (1): "last character of a resource ARN segment ... can expand beyond the colon boundaries". Read
 * as: a pattern with all six segments is matched segment by segment (a `*` inside the region segment never
 * swallows the account); a pattern with fewer segments matches only if it ends in a `*`, which then stands
 * for the rest of the ARN, colons included (`arn:aws:execute-api:*`). A shorter pattern without a trailing
 * `*` matches nothing. Matching is case-sensitive (the page's note: "In the Resource element, the IAM user
 * name is case sensitive"; the ARN operators: "Case-sensitive matching of the ARN").
 *
 * AMBIGUOUS (2): are colons *inside* the resource part (after the fifth colon; reference-arns.html also shows
 * "arn:partition:service:region:account-id:resource-type:resource-id") segment boundaries too? Main reading
 * ('six-parts', from "Each of the six colon-delimited components"): no, the resource part is one segment and
 * `?` or a non-final `*` may match a colon in it. Alternative reading ('every-colon'): every colon separates
 * segments, and only a `*` ending the pattern reaches across them. The differential test skips the (few)
 * decisions where the two readings disagree and reports them as ambiguous.
 */
export type ColonReading = 'six-parts' | 'every-colon';
let colonReading: ColonReading = 'six-parts';

function arnMatches(pattern: readonly Tok[], arn: string): boolean {
  const want = colonReading === 'six-parts' ? splitArn(arn) : arn.split(':');
  if (want.length < 6) return false;
  const segs = colonReading === 'six-parts' ? splitPattern(pattern) : splitPatternEveryColon(pattern);
  if (segs.length === want.length) return segs.every((seg, i) => globMatch(seg, chars(want[i])));
  if (segs.length > want.length) return false;
  const last = segs[segs.length - 1];
  if (last.length === 0 || last[last.length - 1].kind !== 'star') return false;
  for (let i = 0; i < segs.length - 1; i++) if (!globMatch(segs[i], chars(want[i]))) return false;
  const rest = want.slice(segs.length - 1).join(':');
  // 'every-colon': only the `*` that ends the pattern reaches across the remaining colons; the
  // other wildcards of that last segment stay within one colon-delimited part.
  return colonReading === 'six-parts' ? globMatch(last, chars(rest)) : colonBoundedMatch(last, rest);
}

function colonBoundedMatch(pattern: readonly Tok[], text: string): boolean {
  const escape = (ch: string): string => ch.replace(/[\\^$.|+()[\]{}*?]/g, '\\$&');
  const source = pattern.map((t, i) => (t.kind === 'star' ? (i === pattern.length - 1 ? '[\\s\\S]*' : '[^:]*') : t.kind === 'qmark' ? '[^:]' : escape(t.ch))).join('');
  return new RegExp(`^${source}$`, 'u').test(text);
}

function splitPatternEveryColon(p: readonly Tok[]): Tok[][] {
  const segments: Tok[][] = [[]];
  for (const t of p) {
    if (t.kind === 'lit' && t.text && t.ch === ':') segments.push([]);
    else segments[segments.length - 1].push(t);
  }
  return segments;
}

/**
 * One entry of a Resource/NotResource list. Policy variables: reference_policies_variables.html,
 * "Resource element": "You can use a policy variable in the Resource element, but only in the resource
 * portion of the ARN." And "Policy variables with no value": "If a variable that has no value in the
 * authorization context is used as part of the Resource or NotResource element of a policy, the resource
 * that includes a policy variable with no value will not match any resource."
 */
function resourceEntryMatches(entry: string, resource: string, variables: boolean, context: RequestContext): boolean {
  // Grammar: ("*" | <resource_string> | [...]); "*" alone is every resource.
  if (entry === '*') return true;
  const pattern = expand(entry, true, variables, context);
  if (!pattern) return false;
  return arnMatches(pattern, resource);
}

function statementMatchesResource(s: ParsedStatement, resource: string, variables: boolean, context: RequestContext): boolean {
  if (s.resource) return s.resource.some((r) => resourceEntryMatches(r, resource, variables, context));
  // reference_policies_elements_notresource.html: "NotResource is an advanced policy element that explicitly
  // matches every resource except those specified." AMBIGUOUS: an entry whose variable has no value
  // "will not match any resource", so it excludes nothing.
  return !s.notResource!.some((r) => resourceEntryMatches(r, resource, variables, context));
}

// ---------------------------------------------------------------------------------------------
// Condition operators (reference_policies_elements_condition_operators.html)
// ---------------------------------------------------------------------------------------------

/** Number syntax: an optionally signed decimal ("10", "-2.5"). AMBIGUOUS: the page only says "integer or decimal value". */
function parseNumber(s: string): number | undefined {
  return /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(s) ? Number(s) : undefined;
}

/**
 * Date values, in ms since the epoch. reference_policies_elements_condition_operators.html (Date): "You
 * must specify date/time values with one of the W3C implementations of the ISO 8601 date formats or in
 * epoch (UNIX) time." W3C NOTE-datetime forms: YYYY-MM-DD, YYYY-MM-DDThh:mmTZD, YYYY-MM-DDThh:mm:ssTZD,
 * YYYY-MM-DDThh:mm:ss.sTZD with TZD = Z | +hh:mm | -hh:mm (also YYYY and YYYY-MM). Epoch time is in
 * seconds (reference_policies_condition-keys.html, aws:EpochTime: "date in epoch or Unix time").
 * AMBIGUOUS: an all-digit value is read as epoch seconds (a four-digit one could also be a W3C year).
 */
export function parseDate(s: string): number | undefined {
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2}))?)?)?$/.exec(s);
  if (!m) return undefined;
  const [, y, mo = '01', d = '01', h = '00', mi = '00', sec = '00', frac = '', tz = 'Z'] = m;
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  const nums = [Number(mo), Number(d), Number(h), Number(mi), Number(sec)];
  if (nums[0] < 1 || nums[0] > 12 || nums[1] < 1 || nums[1] > 31 || nums[2] > 23 || nums[3] > 59 || nums[4] > 59) return undefined;
  let t = Date.UTC(Number(y), nums[0] - 1, nums[1], nums[2], nums[3], nums[4], ms);
  if (new Date(t).getUTCDate() !== nums[1]) return undefined; // e.g. 02-30
  if (tz !== 'Z') {
    const sign = tz[0] === '+' ? 1 : -1;
    t -= sign * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(4, 6))) * 60_000;
  }
  return t;
}

/** An IP address as bits; undefined if not an IPv4 or IPv6 address. */
function parseIp(s: string): { bits: bigint; width: 32 | 128 } | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(s)) {
    const parts = s.split('.').map(Number);
    if (parts.some((p) => p > 255)) return undefined;
    return { bits: parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n), width: 32 };
  }
  if (!/^[0-9A-Fa-f:]+$/.test(s)) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string): string[] | undefined => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return undefined;
  const all = [...head, ...new Array<string>(halves.length === 2 ? fill : 0).fill('0'), ...tail];
  if (all.some((g) => !/^[0-9A-Fa-f]{1,4}$/.test(g))) return undefined;
  return { bits: all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n), width: 128 };
}

/**
 * reference_policies_elements_condition_operators.html (IP address): "The value must be in the standard CIDR
 * format (for example, 203.0.113.0/24 or 2001:DB8:1234:5678::/64). If you specify an IP address without the
 * associated routing prefix, IAM uses the default prefix value of /32." AMBIGUOUS: an IPv6 address without a
 * prefix is read as /128 (one address, as /32 is for IPv4), and bits beyond the prefix are ignored
 * (10.1.2.3/24 is 10.1.2.0/24).
 */
function ipInCidr(ip: string, cidr: string): boolean {
  const slash = cidr.indexOf('/');
  const net = parseIp(slash < 0 ? cidr : cidr.slice(0, slash));
  const addr = parseIp(ip);
  if (!net || !addr || net.width !== addr.width) return false;
  let prefix: number = net.width;
  if (slash >= 0) {
    const p = cidr.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > net.width) return false;
    prefix = Number(p);
  }
  const shift = BigInt(net.width - prefix);
  return net.bits >> shift === addr.bits >> shift;
}

/**
 * Does one request value match one policy value under a positive (non-negated) operator?
 * A policy value holding a variable with no value matches nothing: reference_policies_variables.html,
 * "Policy variables with no value": "Condition operators like StringEquals or StringLike do not match ...
 * Inverted condition operators like StringNotEquals or StringNotLike do match against a null value" (the
 * negated operators are computed as NOT of the positive match, see evaluateClause).
 */
function positiveMatch(op: BaseOperator, requestValue: string, policyValue: string, variables: boolean, context: RequestContext): boolean {
  switch (op) {
    // String: "StringEquals: Exact matching, case sensitive"; "StringEqualsIgnoreCase: Exact matching,
    // ignoring case"; "StringLike: Case-sensitive matching. The values can include multi-character match
    // wildcards (*) and single-character match wildcards (?) anywhere in the string."
    // reference_policies_variables.html: "You can use a policy variable for Condition values in any condition
    // that involves the string operators or the ARN operators."
    case 'StringEquals':
    case 'StringEqualsIgnoreCase':
    case 'StringLike': {
      const like = op === 'StringLike';
      const ignoreCase = op === 'StringEqualsIgnoreCase';
      const p = expand(policyValue, like, variables, context);
      if (!p) return false;
      const fold = (s: string) => (ignoreCase ? s.toLowerCase() : s);
      if (!like) return fold(p.map((t) => (t.kind === 'lit' ? t.ch : '')).join('')) === fold(requestValue);
      return globMatch(p, chars(requestValue));
    }
    // Numeric: "NumericEquals Matching", "NumericLessThan 'Less than' matching", ... "You can not use a
    // policy variable with the Numeric condition operator."
    case 'NumericEquals':
    case 'NumericLessThan':
    case 'NumericLessThanEquals':
    case 'NumericGreaterThan':
    case 'NumericGreaterThanEquals':
    // Date: "DateEquals Matching a specific date", "DateLessThan Matching before a specific date and time",
    // ... "You can not use a policy variable with the Date condition operator."
    case 'DateEquals':
    case 'DateLessThan':
    case 'DateLessThanEquals':
    case 'DateGreaterThan':
    case 'DateGreaterThanEquals': {
      const parse = op.startsWith('Numeric') ? parseNumber : parseDate;
      const r = parse(requestValue);
      const p = parse(policyValue);
      if (r === undefined || p === undefined) return false;
      const cmp = op.replace(/^(Numeric|Date)/, '');
      if (cmp === 'Equals') return r === p;
      if (cmp === 'LessThan') return r < p;
      if (cmp === 'LessThanEquals') return r <= p;
      if (cmp === 'GreaterThan') return r > p;
      return r >= p;
    }
    // Bool: "Boolean conditions let you construct Condition elements that restrict access based on comparing a
    // key to "true" or "false"." AMBIGUOUS: the operators page says "You can use a policy variable with the
    // Boolean condition operator", the variables page says you can't; we substitute none (never generated).
    case 'Bool':
      return requestValue.toLowerCase() === policyValue.toLowerCase() && ['true', 'false'].includes(policyValue.toLowerCase());
    // Binary: "compares the value of the specified key byte for byte against a base-64 encoded representation
    // of the binary value in the policy". The request value is taken as the base-64 text of those bytes.
    case 'BinaryEquals':
      return requestValue === policyValue;
    // IP address: "IpAddress: The specified IP address or range". "You can not use a policy variable with the
    // IpAddress condition operator."
    case 'IpAddress':
      return ipInCidr(requestValue, policyValue);
    // ARN: "ArnEquals, ArnLike: Case-sensitive matching of the ARN. Each of the six colon-delimited components
    // of the ARN is checked separately ... The ArnEquals and ArnLike condition operators behave identically."
    case 'ArnEquals':
    case 'ArnLike': {
      const p = expand(policyValue, true, variables, context);
      if (!p) return false;
      return arnMatches(p, requestValue);
    }
    default:
      throw new Error(`not a positive operator: ${op}`);
  }
}

/**
 * Evaluates one (operator, key, values) clause.
 *
 * reference_policies_condition-logic-multiple-context-keys-or-values.html: "If a single condition operator
 * includes multiple values for a context key, those values are evaluated using a logical OR. If a single
 * negated matching condition operator includes multiple values for a context key, those values are evaluated
 * using a logical NOR."
 * reference_policies_elements_condition_operators.html: "If the key that you specify in a policy condition is
 * not present in the request context, the values do not match and the condition is *false*. If the policy
 * condition requires that the key is *not* matched, such as StringNotLike or ArnNotLike, and the right key is
 * not present, the condition is *true*. This logic applies to all condition operators except ...IfExists and
 * Null check."
 */
function evaluateClause(c: ConditionClause, variables: boolean, context: RequestContext): boolean {
  const found = lookup(context, c.key);
  if (c.base === 'Null') {
    // "Use a Null condition operator to check if a condition key is absent at the time of authorization. In the
    // policy statement, use either true (the key doesn't exist — it is null) or false (the key exists and its
    // value is not null)." Several values: OR.
    return c.values.some((v) => (v.toLowerCase() === 'true' ? found === undefined : v.toLowerCase() === 'false' ? found !== undefined : false));
  }
  // "...IfExists": "If the policy key is present in the context of the request, process the key as specified
  // in the policy. If the key is not present, evaluate the condition element as true."
  if (found === undefined && c.ifExists) return true;
  const positive = NEGATED[c.base];
  const op = positive ?? c.base;
  const usesVariables = variables && ['StringEquals', 'StringEqualsIgnoreCase', 'StringLike', 'ArnEquals', 'ArnLike'].includes(op);
  // One request value v against the policy's list: OR for positive operators, NOR for negated ones.
  const one = (v: string): boolean => {
    const any = c.values.some((p) => positiveMatch(op, v, p, usesVariables, context));
    return positive ? !any : any;
  };
  const requestValues: readonly string[] | undefined = found === undefined ? undefined : typeof found === 'string' ? [found] : found;
  if (c.setOperator === 'ForAllValues') {
    // reference_policies_condition-single-vs-multi-valued-context-keys.html: "ForAllValues ... The condition
    // returns true if every context key value in the request matches at least one context key value in the
    // policy. It also returns true if there are no context keys in the request" (and "if the key values
    // resolve to a null data set, such as an empty string" - the older page).
    // AMBIGUOUS: a single-valued key is a set of one value; with a negated operator each request value must
    // match none of the policy values (the NOR above, per value).
    if (requestValues === undefined || requestValues.length === 0) return true;
    return requestValues.every(one);
  }
  if (c.setOperator === 'ForAnyValue') {
    // "ForAnyValue ... The condition returns true if any one of the context key values in the request matches
    // any one of the context key values in the policy. For no matching key or a null dataset, the condition
    // returns false." AMBIGUOUS: with IfExists and a missing key, IfExists wins (true, handled above).
    if (requestValues === undefined || requestValues.length === 0) return false;
    return requestValues.some(one);
  }
  if (requestValues === undefined) return positive !== undefined; // missing key: negated true, positive false
  // AMBIGUOUS: a multivalued request value without a set operator ("Multivalued context keys require a
  // condition set operator") - read as: positive if any request value matches, negated if none does.
  return positive ? requestValues.every(one) : requestValues.some(one);
}

/**
 * reference_policies_condition-logic-multiple-context-keys-or-values.html: "If your policy statement has
 * multiple condition operators, the condition operators are evaluated using a logical AND. If your policy
 * statement has multiple context keys attached to a single condition operator, the context keys are evaluated
 * using a logical AND."
 */
export function statementMatchesConditions(s: ParsedStatement, variables: boolean, context: RequestContext): boolean {
  return s.conditions.every((c) => evaluateClause(c, variables, context));
}

// ---------------------------------------------------------------------------------------------
// Statements and policies
// ---------------------------------------------------------------------------------------------

/** A statement applies to a request when its action, resource and condition all match. */
function statementApplies(policy: ParsedPolicy, s: ParsedStatement, request: AuthorizationRequest): boolean {
  const variables = policy.version === '2012-10-17';
  return (
    statementMatchesAction(s, request.action) &&
    statementMatchesResource(s, request.resource, variables, request.context) &&
    statementMatchesConditions(s, variables, request.context)
  );
}

function anyStatement(policies: readonly ParsedPolicy[], effect: 'Allow' | 'Deny', request: AuthorizationRequest): boolean {
  return policies.some((p) => p.statements.some((s) => s.effect === effect && statementApplies(p, s, request)));
}

export interface ReferenceDecision {
  readonly verdict: Verdict;
  /** Short reason, for failure messages. */
  readonly why: string;
}

const parseNamed = (p: NamedPolicy): ParsedPolicy | undefined => parsePolicy(p.document);

/**
 * Whether any of `policies` has an Allow statement that applies to the request (an invalid policy allows
 * nothing). For the trust reference (trust.ts): a permissions boundary or session policy bounding a session.
 */
export function referencePoliciesAllow(policies: readonly NamedPolicy[], request: AuthorizationRequest, reading: SessionPoliciesReading = 'any'): boolean {
  const parsed = policies.map(parseNamed);
  if (reading === 'every') return parsed.every((p) => p !== undefined && anyStatement([p], 'Allow', request));
  return anyStatement(parsed.filter((p): p is ParsedPolicy => p !== undefined), 'Allow', request);
}

/** Whether a statement's Effect, Action/NotAction and Condition apply (no Resource: the trust reference's statements). */
export function referenceStatementApplies(version: ParsedPolicy['version'], s: ParsedStatement, action: string, context: RequestContext): boolean {
  const variables = version === '2012-10-17';
  return statementMatchesAction(s, action) && statementMatchesConditions(s, variables, context);
}

/**
 * The decision, following reference_policies_evaluation-logic_policy-eval-denyallow.html for a request within
 * one account with no resource-based policy and no SCP/RCP:
 *
 * 1. "Deny evaluation – By default, all requests are denied. This is called an implicit deny. The AWS
 *    enforcement code evaluates all policies within the account that apply to the request. These include ...
 *    identity-based policies, IAM permissions boundaries, and session policies. In all those policies, the
 *    enforcement code looks for a Deny statement that applies to the request. ... If the enforcement code finds
 *    even one explicit deny that applies, the code returns a final decision of Deny."
 * 2. "Identity-based policies – ... If there are no identity-based policies or no statements in identity-based
 *    policies that allow the requested action, then the request is implicitly denied". "For an IAM user, these
 *    include user policies and policies from groups to which the user belongs."
 * 3. "IAM permissions boundaries – ... If the policy that is used to set the permissions boundary does not allow
 *    the requested action, then the request is implicitly denied." (access_policies_boundaries.html: "The
 *    effective permissions are the intersection of both policy types. An explicit deny in either of these
 *    policies overrides the allow.")
 * 4. "Session policies – ... If the principal is not a session principal, the enforcement code returns a final
 *    decision of Allow. ... If a session policy is present and does not allow the requested action, then the
 *    request is implicitly denied. ... If there is no session policy, the code checks whether the principal is
 *    a role session. If the principal is a role session, then the request is Allowed." (access_policies.html
 *    #policies_session: "The permissions for a session are the intersection of the identity-based policies
 *    ... and the session policies.") AMBIGUOUS: several session policies (one inline `Policy` and up to 10
 *    `PolicyArns`): by default read as one set (the session may do what any of them allows); the other reading,
 *    each session policy bounds the session, is `sessionReading: 'every'` (SessionPoliciesReading).
 *
 * A policy IAM would reject (parsePolicy) grants nothing and denies nothing; an invalid permissions boundary
 * or session policy therefore allows nothing (the boundary or session check fails).
 */
export function referenceDecide(
  principal: Principal,
  request: AuthorizationRequest,
  reading: ColonReading = 'six-parts',
  sessionReading: SessionPoliciesReading = 'any',
): ReferenceDecision {
  const saved = colonReading;
  colonReading = reading;
  try {
    return decideWithReading(principal, request, sessionReading);
  } finally {
    colonReading = saved;
  }
}

/**
 * AMBIGUOUS: how several session policies (the inline `Policy` and up to ten `PolicyArns`) combine.
 * access_policies.html#policies_session: "The permissions for a session are the intersection of the
 * identity-based policies for the IAM entity (user or role) used to create the session and the session
 * policies." It does not say whether "the session policies" are first joined (the session may do what any of
 * them allows: 'any') or each intersected ('every': each session policy must allow). Both readings exist.
 */
export type SessionPoliciesReading = 'any' | 'every';

function decideWithReading(principal: Principal, request: AuthorizationRequest, sessionReading: SessionPoliciesReading): ReferenceDecision {
  const identity = principal.identityPolicies.map(parseNamed).filter((p): p is ParsedPolicy => p !== undefined);
  const hasBoundary = principal.permissionsBoundary !== undefined;
  const boundary = hasBoundary ? parseNamed(principal.permissionsBoundary!) : undefined;
  const sessionNamed = principal.type === 'AssumedRole' ? principal.sessionPolicies : [];
  const sessions = sessionNamed.map(parseNamed).filter((p): p is ParsedPolicy => p !== undefined);
  const all = [...identity, ...(boundary ? [boundary] : []), ...sessions];
  if (anyStatement(all, 'Deny', request)) return { verdict: 'ExplicitlyDenied', why: 'a Deny statement applies' };
  if (!anyStatement(identity, 'Allow', request)) return { verdict: 'ImplicitlyDenied', why: 'no identity Allow applies' };
  if (hasBoundary && !(boundary && anyStatement([boundary], 'Allow', request)))
    return { verdict: 'ImplicitlyDenied', why: boundary ? 'the permissions boundary does not allow' : 'the permissions boundary is invalid' };
  if (sessionNamed.length > 0 && !anyStatement(sessions, 'Allow', request))
    return { verdict: 'ImplicitlyDenied', why: 'no session policy allows' };
  if (sessionReading === 'every' && (sessions.length < sessionNamed.length || !sessions.every((p) => anyStatement([p], 'Allow', request))))
    return { verdict: 'ImplicitlyDenied', why: 'a session policy does not allow (reading: every session policy must allow)' };
  return { verdict: 'Allowed', why: 'allowed' };
}
