/**
 * Who a role's trust policy (`assume_role_policy`) lets assume the role, in words a reviewer
 * reads, and what changes between two versions of it: a principal, account, service, federated
 * provider or GitHub repository/branch/environment that can now assume the role, or one whose
 * conditions were dropped or relaxed (widened), and the reverse (narrowed).
 *
 * Pure: JSON text in, sentences out. Where a change cannot be proved to be narrowing (two
 * conditions that are not comparable, a pattern this module cannot compare) it counts as
 * widening: a false alarm costs a reviewer a glance, a missed one costs access.
 */
import type { JsonValue } from './plan-json';

/** The actions that assume a role; a statement allowing none of them grants no assumption. */
const ASSUME_ACTIONS = ['sts:AssumeRole', 'sts:AssumeRoleWithWebIdentity', 'sts:AssumeRoleWithSAML'];

/** The GitHub Actions OIDC issuer as IAM names its claims (`token.actions.githubusercontent.com:sub`). */
const GITHUB_HOST = 'token.actions.githubusercontent.com';
const GITHUB_SUB = `${GITHUB_HOST}:sub`;

export type TrustPrincipal =
  | { readonly kind: 'anyone' }
  | { readonly kind: 'account'; readonly account: string }
  | { readonly kind: 'arn'; readonly arn: string }
  /** A Terraform reference such as `${aws_iam_user.invoker_admin.arn}`: known after apply. */
  | { readonly kind: 'reference'; readonly reference: string; readonly type?: string; readonly resource?: string; readonly name?: string }
  | { readonly kind: 'service'; readonly service: string }
  /** A GitHub Actions workflow through the OIDC provider; `subject` undefined: no `sub` condition at all. */
  | { readonly kind: 'github'; readonly subject?: Pattern }
  | { readonly kind: 'federated'; readonly provider: string }
  | { readonly kind: 'canonical-user'; readonly id: string }
  /** An Allow statement with NotPrincipal: everyone but the listed principals. */
  | { readonly kind: 'anyone-except'; readonly except: readonly string[] };

/** A value of a string condition: literal (`StringEquals`) or an IAM wildcard pattern (`StringLike`). */
export interface Pattern {
  readonly text: string;
  readonly wildcard: boolean;
}

/** One condition of a statement: `StringEquals` `sts:ExternalId` [`partner-42`]. */
export interface TrustCondition {
  readonly operator: string;
  /** Lower-cased: IAM compares condition keys case-insensitively. */
  readonly key: string;
  /** The key as written, for messages. */
  readonly name: string;
  readonly values: readonly string[];
}

/** One principal a statement lets assume the role, with the conditions it must meet. */
export interface TrustGrant {
  readonly principal: TrustPrincipal;
  readonly conditions: readonly TrustCondition[];
}

export interface TrustContext {
  /** The account the role lives in (from its ARN), so an in-stack reference can be matched to an ARN. */
  readonly ownAccount?: string;
  /** The configured `name` of a resource (`aws_iam_user`, `invoker_admin`), for references known after apply. */
  readonly nameOf?: (type: string, resource: string) => string | undefined;
}

/** What changed, as predicates of a sentence about the role: "can now be assumed by account `111122223333`". */
export interface TrustDiff {
  readonly widened: readonly string[];
  readonly narrowed: readonly string[];
}

type Json = JsonValue | undefined;
type JsonObject = { [key: string]: JsonValue };

function isObject(v: Json): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asList(value: Json): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function wildcardRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
}

/** The assume actions a statement's Action / NotAction covers (IAM matches actions case-insensitively, with wildcards). */
function assumeActions(statement: JsonObject): string[] {
  if (statement.Action !== undefined) {
    const patterns = asList(statement.Action).map(wildcardRegExp);
    return ASSUME_ACTIONS.filter((a) => patterns.some((p) => p.test(a)));
  }
  if (statement.NotAction !== undefined) {
    const patterns = asList(statement.NotAction).map(wildcardRegExp);
    return ASSUME_ACTIONS.filter((a) => !patterns.some((p) => p.test(a)));
  }
  return [];
}

function conditionsOf(statement: JsonObject): TrustCondition[] {
  const out: TrustCondition[] = [];
  if (!isObject(statement.Condition)) return out;
  for (const [operator, block] of Object.entries(statement.Condition)) {
    if (!isObject(block)) continue;
    for (const [key, value] of Object.entries(block)) {
      const values = Array.isArray(value) ? value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))) : [typeof value === 'string' ? value : JSON.stringify(value)];
      out.push({ operator, key: key.toLowerCase(), name: key, values: [...new Set(values)].sort() });
    }
  }
  return out;
}

const REFERENCE = /^\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.arn\}$/;

/**
 * An `AWS` principal: `*`; an account as its id or root ARN ("The account ARN and the
 * shortened account ID behave the same way. Both delegate permissions to the account", IAM
 * User Guide, Principal element, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-accounts);
 * any other ARN; or a Terraform reference.
 */
function awsPrincipal(value: string, ctx: TrustContext): TrustPrincipal {
  if (value === '*') return { kind: 'anyone' };
  if (/^\d{12}$/.test(value)) return { kind: 'account', account: value };
  const root = /^arn:aws[a-z-]*:iam::(\d{12}):root$/.exec(value);
  if (root) return { kind: 'account', account: root[1] as string };
  const ref = REFERENCE.exec(value);
  if (ref) {
    const [, type, resource] = ref as unknown as [string, string, string];
    const name = ctx.nameOf?.(type, resource);
    return { kind: 'reference', reference: value, type, resource, ...(name === undefined ? {} : { name }) };
  }
  return { kind: 'arn', arn: value };
}

function isGithubProvider(provider: string, conditions: readonly TrustCondition[]): boolean {
  if (provider.endsWith(`:oidc-provider/${GITHUB_HOST}`)) return true;
  return REFERENCE.test(provider) && conditions.some((c) => c.key.startsWith(`${GITHUB_HOST}:`));
}

/**
 * `StringLike` / `StringEquals` under the qualifiers that change nothing for a claim every
 * GitHub token carries (`sub` is single-valued and always present): `ForAnyValue:`,
 * `ForAllValues:`, `...IfExists`. Undefined for anything else.
 */
function subjectOperator(operator: string): 'StringLike' | 'StringEquals' | undefined {
  const base = operator.replace(/^(?:ForAnyValue|ForAllValues):/, '').replace(/IfExists$/, '');
  return base === 'StringLike' || base === 'StringEquals' ? base : undefined;
}

/** GitHub: one grant per `sub` value (each a repository/branch/environment), the `sub` condition taken out. */
function githubGrants(conditions: readonly TrustCondition[]): TrustGrant[] {
  const sub = conditions.find((c) => c.key === GITHUB_SUB && subjectOperator(c.operator) !== undefined);
  if (!sub) return [{ principal: { kind: 'github' }, conditions }];
  const rest = conditions.filter((c) => c !== sub);
  const wildcard = subjectOperator(sub.operator) === 'StringLike';
  return sub.values.map((text) => ({ principal: { kind: 'github', subject: { text, wildcard } }, conditions: rest }));
}

function statementGrants(statement: JsonObject, ctx: TrustContext): TrustGrant[] {
  const conditions = conditionsOf(statement);
  if (statement.NotPrincipal !== undefined) {
    const except = isObject(statement.NotPrincipal) ? Object.values(statement.NotPrincipal).flatMap(asList) : asList(statement.NotPrincipal);
    return [{ principal: { kind: 'anyone-except', except: except.sort() }, conditions }];
  }
  const principal = statement.Principal;
  if (principal === '*') return [{ principal: { kind: 'anyone' }, conditions }];
  if (!isObject(principal)) return [];
  const grants: TrustGrant[] = [];
  for (const [type, value] of Object.entries(principal)) {
    for (const item of asList(value)) {
      if (type === 'AWS') grants.push({ principal: awsPrincipal(item, ctx), conditions });
      else if (type === 'Service') grants.push({ principal: { kind: 'service', service: item.toLowerCase() }, conditions });
      else if (type === 'Federated') {
        if (isGithubProvider(item, conditions)) grants.push(...githubGrants(conditions));
        else grants.push({ principal: { kind: 'federated', provider: item }, conditions });
      } else if (type === 'CanonicalUser') grants.push({ principal: { kind: 'canonical-user', id: item }, conditions });
      else grants.push({ principal: { kind: 'arn', arn: `${type}:${item}` }, conditions });
    }
  }
  return grants;
}

interface ParsedTrust {
  readonly grants: readonly TrustGrant[];
  /** Deny statements as canonical JSON, and how a reviewer names each. */
  readonly denies: ReadonlyMap<string, string>;
}

function canonical(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isObject(value)) return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k] as JsonValue)}`).join(',')}}`;
  return JSON.stringify(value);
}

function parseTrust(policyText: string, ctx: TrustContext): ParsedTrust | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(policyText);
  } catch {
    return undefined;
  }
  if (!isObject(doc as Json) || !('Statement' in (doc as JsonObject))) return undefined;
  const statements = [(doc as JsonObject).Statement as JsonValue].flat();
  const grants: TrustGrant[] = [];
  const denies = new Map<string, string>();
  statements.forEach((statement, index) => {
    if (!isObject(statement) || assumeActions(statement).length === 0) return;
    if (statement.Effect === 'Deny') {
      denies.set(canonical(statement), typeof statement.Sid === 'string' ? `\`${statement.Sid}\`` : `#${index + 1}`);
    } else if (statement.Effect === 'Allow') {
      grants.push(...statementGrants(statement, ctx));
    }
  });
  return { grants, denies };
}

/** Every grant of a trust policy given as JSON text; undefined when the text is not a policy. */
export function trustGrants(policyText: string, ctx: TrustContext = {}): TrustGrant[] | undefined {
  const parsed = parseTrust(policyText, ctx);
  return parsed && [...parsed.grants];
}

// ---- comparing patterns and conditions --------------------------------------------------

/**
 * Whether every string `inner` matches is matched by `outer` (IAM wildcards: `*` any run, `?`
 * one character). Sufficient, not complete: when it says no, the change is treated as widening.
 * With `stopAt`, a `*` of `outer` does not run over that character (ArnLike: "each of the six
 * colon-delimited components of the ARN is checked separately", IAM User Guide, Condition operators).
 */
export function patternCovers(outer: Pattern, inner: Pattern, stopAt?: string): boolean {
  const p = outer.wildcard ? outer.text : outer.text.replace(/[*?]/g, (c) => `\u0000${c}`);
  const q = inner.wildcard ? inner.text : inner.text.replace(/[*?]/g, (c) => `\u0000${c}`);
  // Tokens: a wildcard ('*' | '?') or a literal character (an escaped * or ? is a literal).
  const tokens = (s: string): Array<{ wild?: '*' | '?'; ch?: string }> => {
    const out: Array<{ wild?: '*' | '?'; ch?: string }> = [];
    for (let i = 0; i < s.length; i++) {
      if (s[i] === '\u0000') out.push({ ch: s[++i] });
      else if (s[i] === '*' || s[i] === '?') out.push({ wild: s[i] as '*' | '?' });
      else out.push({ ch: s[i] });
    }
    return out;
  };
  const a = tokens(p);
  const b = tokens(q);
  const memo = new Map<string, boolean>();
  const covers = (i: number, j: number): boolean => {
    const key = `${i},${j}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    const x = a[i];
    const y = b[j];
    if (x === undefined) result = y === undefined;
    else if (x.wild === '*') {
      // '*' matches nothing, or swallows one more token of inner (a literal, '?' or '*').
      const swallow = y !== undefined && !(stopAt !== undefined && (y.ch === stopAt || y.wild !== undefined));
      result = covers(i + 1, j) || (swallow && covers(i, j + 1));
    } else if (y === undefined || y.wild === '*') result = false;
    else if (x.wild === '?') result = y.ch !== stopAt && covers(i + 1, j + 1);
    else result = y.wild === undefined && x.ch === y.ch && covers(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return covers(0, 0);
}

const POSITIVE_STRING = new Set(['StringEquals', 'StringLike', 'StringEqualsIgnoreCase', 'ArnEquals', 'ArnLike']);
const NEGATED = new Set(['StringNotEquals', 'StringNotLike', 'StringNotEqualsIgnoreCase', 'ArnNotEquals', 'ArnNotLike', 'NotIpAddress']);

/** Does value `v` (of operator `op`) fall within value `w` (of operator `opW`)? */
function valueWithin(op: string, v: string, opW: string, w: string): boolean {
  if (opW === 'StringEqualsIgnoreCase' || op === 'StringEqualsIgnoreCase') return opW === op && v.toLowerCase() === w.toLowerCase();
  const arn = op.startsWith('Arn') || opW.startsWith('Arn');
  return patternCovers({ text: w, wildcard: opW.endsWith('Like') }, { text: v, wildcard: op.endsWith('Like') }, arn ? ':' : undefined);
}

/**
 * Is condition `g` at least as strict as `b` (same key)? Positive string operators: every value
 * of `g` within some value of `b`; negated ones: `g` excludes at least `b`'s values; any other
 * operator: the same operator and values. `XIfExists` in `b` is satisfied by `X` in `g`
 * ("...IfExists" also passes when the key is absent, IAM User Guide, Condition operators,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists).
 */
function atLeastAsStrict(g: TrustCondition, b: TrustCondition): boolean {
  const bOp = b.operator.endsWith('IfExists') && !g.operator.endsWith('IfExists') ? b.operator.slice(0, -'IfExists'.length) : b.operator;
  if (POSITIVE_STRING.has(g.operator) && POSITIVE_STRING.has(bOp) && g.operator.startsWith('Arn') === bOp.startsWith('Arn')) {
    return g.values.every((v) => b.values.some((w) => valueWithin(g.operator, v, bOp, w)));
  }
  if (g.operator !== bOp) return false;
  if (NEGATED.has(bOp)) return b.values.every((w) => g.values.includes(w));
  return g.values.length === b.values.length && g.values.every((v, i) => v === b.values[i]);
}

/** The conditions of `b` that `g` does not meet at least as strictly (empty: `g` is no wider than `b`). */
function unmetConditions(b: readonly TrustCondition[], g: readonly TrustCondition[]): TrustCondition[] {
  return b.filter((bc) => !g.some((gc) => gc.key === bc.key && atLeastAsStrict(gc, bc)));
}

const ARN_ACCOUNT = /^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):/;

/** `arn:aws:iam::123456789012:user/path/name` → `{ type: 'user', account, name }`. */
function iamEntity(arn: string): { type: string; account: string; name: string } | undefined {
  const m = /^arn:aws[a-z-]*:iam::(\d{12}):(user|role)\/(?:.*\/)?([^/]+)$/.exec(arn);
  return m ? { account: m[1] as string, type: m[2] as string, name: m[3] as string } : undefined;
}

const REFERENCE_TYPES: Record<string, string> = { aws_iam_user: 'user', aws_iam_role: 'role' };

/** Is principal `g` the same as `b`, or one of those `b` delegates to (an account covers its own principals)? */
function principalWithin(g: TrustPrincipal, b: TrustPrincipal, ctx: TrustContext): boolean {
  if (b.kind === 'anyone') return true;
  switch (g.kind) {
    case 'anyone':
      return false;
    case 'account':
      return b.kind === 'account' && b.account === g.account;
    case 'arn':
      if (b.kind === 'arn') return b.arn === g.arn;
      if (b.kind === 'account') return ARN_ACCOUNT.exec(g.arn)?.[1] === b.account;
      if (b.kind === 'reference') return sameEntity(b, g.arn, ctx);
      return false;
    case 'reference':
      if (b.kind === 'reference') return b.reference === g.reference;
      if (b.kind === 'arn') return sameEntity(g, b.arn, ctx);
      // An in-stack user or role is in the role's own account.
      return b.kind === 'account' && ctx.ownAccount !== undefined && b.account === ctx.ownAccount && g.type !== undefined && g.type in REFERENCE_TYPES;
    case 'service':
      return b.kind === 'service' && b.service === g.service;
    case 'github':
      if (b.kind !== 'github') return false;
      if (b.subject === undefined) return true;
      return g.subject !== undefined && patternCovers(b.subject, g.subject);
    case 'federated':
      return b.kind === 'federated' && b.provider === g.provider;
    case 'canonical-user':
      return b.kind === 'canonical-user' && b.id === g.id;
    case 'anyone-except':
      return b.kind === 'anyone-except' && g.except.every((e) => b.except.includes(e));
  }
}

/** A reference to an in-stack user/role and an ARN name the same entity (same type, name, and the role's account). */
function sameEntity(ref: Extract<TrustPrincipal, { kind: 'reference' }>, arn: string, ctx: TrustContext): boolean {
  const entity = iamEntity(arn);
  if (!entity || ref.name === undefined || ref.type === undefined) return false;
  return REFERENCE_TYPES[ref.type] === entity.type && entity.name === ref.name && entity.account === ctx.ownAccount;
}

/** Same principal for reporting purposes (a relaxed condition rather than a new principal). */
function samePrincipal(a: TrustPrincipal, b: TrustPrincipal, ctx: TrustContext): boolean {
  if (a.kind === 'github' && b.kind === 'github') return a.subject?.text === b.subject?.text && a.subject?.wildcard === b.subject?.wildcard;
  return principalWithin(a, b, ctx) && principalWithin(b, a, ctx);
}

// ---- words -------------------------------------------------------------------------------

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

/** How a reviewer reads a principal: "account `111122223333`", "GitHub `repo:org/app:ref:refs/heads/main`". */
export function describePrincipal(p: TrustPrincipal): string {
  switch (p.kind) {
    case 'anyone':
      return 'ANYONE (Principal "*")';
    case 'account':
      return `account ${code(p.account)}`;
    case 'arn':
      return code(p.arn);
    case 'reference': {
      // In-stack users and roles by their configured names (and invoker, as the rest of the summary names them).
      const what = p.type === 'aws_iam_user' ? 'IAM user' : p.type === 'aws_iam_role' ? 'IAM role' : undefined;
      if (what === undefined || p.name === undefined) return `${code(p.reference)} (known after apply)`;
      const invoker = /^invoker_(.+)$/.exec(p.resource ?? '')?.[1];
      return invoker === undefined ? `${what} ${code(p.name)}` : `invoker ${code(invoker)} (${what} ${code(p.name)})`;
    }
    case 'service':
      return `service ${code(p.service)}`;
    case 'github':
      return p.subject === undefined
        ? `GitHub Actions workflows of ANY repository (no StringEquals/StringLike condition on ${code(GITHUB_SUB)})`
        : `GitHub ${code(p.subject.text)}`;
    case 'federated':
      return `federated provider ${code(p.provider)}`;
    case 'canonical-user':
      return `canonical user ${code(p.id)}`;
    case 'anyone-except':
      return `ANYONE except ${p.except.map(code).join(', ')} (NotPrincipal)`;
  }
}

/** " without `sts:ExternalId`", " with a changed `aws:SourceArn` condition". */
function conditionWords(unmet: readonly TrustCondition[], g: readonly TrustCondition[]): string {
  const names = new Map(unmet.map((c) => [c.key, c.name]));
  const missing = [...names].filter(([k]) => !g.some((c) => c.key === k)).map(([, name]) => name);
  const changed = [...names].filter(([k]) => g.some((c) => c.key === k)).map(([, name]) => name);
  const parts = [
    ...(missing.length > 0 ? [`without ${missing.map(code).join(' or ')}`] : []),
    ...changed.map((k) => `with a changed ${code(k)} condition`),
  ];
  return parts.length > 0 ? ` ${parts.join(', ')}` : '';
}

/** A new account principal with no external id: the confused-deputy guard is worth naming. */
function newGrantWords(g: TrustGrant): string {
  const guarded = g.conditions.some((c) => c.key === 'sts:externalid');
  return g.principal.kind === 'account' && !guarded ? ` without ${code('sts:ExternalId')}` : '';
}

function isCovered(g: TrustGrant, by: readonly TrustGrant[], ctx: TrustContext): boolean {
  return by.some((b) => principalWithin(g.principal, b.principal, ctx) && unmetConditions(b.conditions, g.conditions).length === 0);
}

/** What one side has that the other does not, as predicates. */
function gains(from: readonly TrustGrant[], to: readonly TrustGrant[], ctx: TrustContext, verb: 'now' | 'no longer'): string[] {
  const out: string[] = [];
  for (const g of to) {
    if (isCovered(g, from, ctx)) continue;
    const who = describePrincipal(g.principal);
    const same = from.find((b) => samePrincipal(g.principal, b.principal, ctx));
    if (verb === 'now') {
      out.push(same ? `can now be assumed by ${who}${conditionWords(unmetConditions(same.conditions, g.conditions), g.conditions)}` : `can now be assumed by ${who}${newGrantWords(g)}`);
    } else {
      out.push(same ? `can be assumed by ${who} only under stricter conditions` : `can no longer be assumed by ${who}`);
    }
  }
  return [...new Set(out)];
}

/**
 * How the trust changes from `before` (undefined: the role is new, so everything it trusts is
 * new) to `after`. Undefined when `after` (or a given `before`) is not a policy document.
 */
export function compareTrust(before: string | undefined, after: string, ctx: TrustContext = {}): TrustDiff | undefined {
  const b = before === undefined ? { grants: [], denies: new Map<string, string>() } : parseTrust(before, ctx);
  const a = parseTrust(after, ctx);
  if (!a || !b) return undefined;
  const widened = gains(b.grants, a.grants, ctx, 'now');
  const narrowed = gains(a.grants, b.grants, ctx, 'no longer');
  for (const [deny, name] of b.denies) if (!a.denies.has(deny)) widened.push(`no longer has its Deny statement ${name}`);
  for (const [deny, name] of a.denies) if (!b.denies.has(deny)) narrowed.push(`has a new Deny statement ${name}`);
  return { widened, narrowed };
}
