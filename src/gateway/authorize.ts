/**
 * Authorization of a SigV4-verified caller: does the IAM user's identity policy set allow
 * `execute-api:Invoke` on the request's ARN, exactly as IAM would decide it?
 *
 * Evaluation is delegated to `@cloud-copilot/iam-simulate` (`runUnsafeSimulation`, which is
 * synchronous and over 10x faster than the validating, async `runSimulation`). What this module adds:
 *
 *  1. Validation, once per policy set, with `@cloud-copilot/iam-policy`'s `validateIdentityPolicy`
 *     (the unsafe entry point skips it, and would e.g. treat a statement without `Resource` as
 *     matching everything). An invalid set grants nothing, as IAM would never have accepted it.
 *  2. An input encoding that works around places where the library's matching differs from IAM's
 *     (see "Library workarounds" below). It only rewrites inputs; matching stays the library's.
 *  3. A bounded LRU cache of decisions keyed by principal + policy fingerprint, resource ARN and
 *     only the request facts the policies can read (see "Cache key").
 *
 * Library workarounds (iam-simulate 0.1.173):
 *  - W1 wildcard in the first resource segment: the library compares an ARN's "product" (the
 *    resource part up to the first `/` or `:`) literally, so `arn:aws:execute-api:*:*:*\/*\/GET/*`
 *    never matches and, as a Deny, fails open. Both the policy ARNs and the request ARN get a fixed
 *    product segment (`_/`) prepended to their resource part, so the API id is matched as a pattern.
 *  - W2 `*` in a request path: the library treats `*` in the *request* ARN as a wildcard (an
 *    `Allow .../GET/secret` then allows `GET /*`). The request's `*` becomes a private-use
 *    character (and a policy's literal-star escape `${*}` the same character).
 *  - W3 line terminators in a request path are not matched by a policy's `*` (regex `.`); they are
 *    mapped to private-use characters on both sides too.
 *  - W4 date units: the library reads an integer date as epoch *seconds* but an ISO date as epoch
 *    *milliseconds*, then compares them. Date-operator values are rewritten to the unit the request
 *    value has: ISO for `aws:CurrentTime` (and other date keys), epoch seconds for `aws:EpochTime`.
 *  - W5 policy variables are substituted whatever the policy `Version`; IAM substitutes them only
 *    under `2012-10-17`. Elsewhere `${` is escaped to the library's literal form `${$}{`.
 *
 * Cache key: `sha256(principal identity + policies)`, the resource ARN, and the values of only
 * those facts whose context key occurs (case-insensitively) anywhere in the policies' text
 * (`aws:SourceIp`, `aws:SecureTransport`, `aws:UserAgent`, `aws:RequestedRegion`); a superset of
 * what the Condition blocks and policy variables read, so never too few. Principal-derived keys
 * (`aws:username`, `aws:PrincipalArn`, ...) are constant per principal and covered by the
 * fingerprint. Time (`aws:CurrentTime`, `aws:EpochTime`) is keyed exactly: for each threshold in
 * a Date/Numeric condition on a time key, whether "now" is before, at or after it. Two instants
 * with the same signature get the same answer from every such operator, so the cache never serves
 * a stale decision, yet a time-boxed grant is still cached between its boundaries. A time key used
 * any other way (a String operator, a policy variable, ...) makes that principal uncacheable.
 */
import { createHash } from 'node:crypto';
import { runUnsafeSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
// A dependency of iam-simulate (not listed in package.json): the validator runSimulation uses.
import { validateIdentityPolicy } from '@cloud-copilot/iam-policy';

/** The parsed JSON of an inline (identity) policy of a user. */
export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: unknown;
}

/** The IAM user a request was signed by, with its identity policies. */
export interface Principal {
  /** e.g. `iam-http-api-dev-viewer` (`aws:username`). */
  readonly userName: string;
  /** e.g. `arn:aws:iam::123456789012:user/iam-http-api/iam-http-api-dev-viewer` (`aws:PrincipalArn`). */
  readonly userArn: string;
  /** e.g. `123456789012` (`aws:PrincipalAccount`). */
  readonly accountId: string;
  /** Identity (inline) policies; treat as immutable, a new document means a new fingerprint. */
  readonly policies: readonly PolicyDocument[];
  /** The user's unique id (`AIDA...`, `aws:userid`), when known. */
  readonly userId?: string;
  /** The user's tags (`aws:PrincipalTag/<key>`), when known. */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Request-dependent facts IAM puts into the request context. */
export interface RequestFacts {
  /** `aws:SourceIp`. */
  readonly sourceIp: string;
  /** `aws:CurrentTime` / `aws:EpochTime` (at second precision). */
  readonly now: Date;
  /** `aws:SecureTransport` (false for plain http on 127.0.0.1). */
  readonly secureTransport: boolean;
  /** `aws:UserAgent`; absent from the context when undefined. */
  readonly userAgent?: string;
  /** `aws:RequestedRegion`. */
  readonly region: string;
}

/** IAM's verdict: only `Allowed` lets the request through. */
export type Decision = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

/** Options of an {@link Authorizer}. */
export interface AuthorizerOptions {
  /** Bound of the decision cache (LRU); default 10 000. */
  readonly maxEntries?: number;
  /**
   * Called once per distinct principal/policy set that fails validation, and whenever the
   * library throws; such requests are denied (`ImplicitlyDenied`).
   */
  readonly onPolicyError?: (principal: Principal, errors: readonly string[]) => void;
}

/** Cache counters: every `decide` is either a hit or a miss; `bypasses` counts uncacheable misses. */
export interface AuthorizerStats {
  readonly hits: number;
  readonly misses: number;
  readonly bypasses: number;
}

/** The one action the gateway authorizes. */
export const INVOKE_ACTION = 'execute-api:Invoke';

/** Default bound of the decision cache. */
export const DEFAULT_MAX_ENTRIES = 10_000;

/**
 * Decides `execute-api:Invoke` for signed callers with iam-simulate, caching decisions.
 * Synchronous: a miss costs one library evaluation (~0.1 ms), a hit a hash and a map lookup.
 */
export class Authorizer {
  private readonly decisions: LruCache<Decision>;
  private readonly analyses: LruCache<Analysis>;
  private readonly counters = { hits: 0, misses: 0, bypasses: 0 };
  private readonly onPolicyError?: AuthorizerOptions['onPolicyError'];

  constructor(options: AuthorizerOptions = {}) {
    const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
    }
    this.decisions = new LruCache(maxEntries);
    this.analyses = new LruCache(Math.min(maxEntries, 1_000));
    this.onPolicyError = options.onPolicyError;
  }

  /** Evaluates (or answers from cache) whether `principal` may `execute-api:Invoke` `resourceArn`. */
  public decide(principal: Principal, resourceArn: string, facts: RequestFacts): Decision {
    const analysis = this.analysisOf(principal);
    const key = decisionKey(analysis, resourceArn, facts);
    const cached = key === undefined ? undefined : this.decisions.get(key);
    if (cached !== undefined) {
      this.counters.hits++;
      return cached;
    }
    this.counters.misses++;
    const decision = this.evaluate(analysis, principal, resourceArn, facts);
    if (key === undefined) this.counters.bypasses++;
    else this.decisions.set(key, decision);
    return decision;
  }

  /** A snapshot of the cache counters. */
  public get stats(): AuthorizerStats {
    return { ...this.counters };
  }

  /** Number of cached decisions. */
  public get size(): number {
    return this.decisions.size;
  }

  /** Forgets every cached decision and analysis (counters are kept). */
  public clear(): void {
    this.decisions.clear();
    this.analyses.clear();
  }

  private readonly fingerprints = new WeakMap<Principal, string>();

  private analysisOf(principal: Principal): Analysis {
    // Principals are immutable (see Principal.policies): one fingerprint per object.
    let fingerprint = this.fingerprints.get(principal);
    if (fingerprint === undefined) {
      fingerprint = fingerprintOf(principal);
      this.fingerprints.set(principal, fingerprint);
    }
    const known = this.analyses.get(fingerprint);
    if (known) return known;
    const analysis = analyze(fingerprint, principal.policies);
    if (analysis.errors.length > 0) this.onPolicyError?.(principal, analysis.errors);
    this.analyses.set(fingerprint, analysis);
    return analysis;
  }

  private evaluate(analysis: Analysis, principal: Principal, resourceArn: string, facts: RequestFacts): Decision {
    if (analysis.errors.length > 0) return 'ImplicitlyDenied';
    try {
      return runUnsafeSimulation(simulationFor(analysis, principal, resourceArn, facts), {});
    } catch (error) {
      this.onPolicyError?.(principal, [`evaluation failed: ${(error as Error).message}`]);
      return 'ImplicitlyDenied';
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Analysis of a principal's policy set (once per fingerprint)
// ---------------------------------------------------------------------------------------------

/** Facts keyed by value when a policy mentions one of their context keys. */
const VALUE_FACTS: readonly { readonly key: string; readonly value: (facts: RequestFacts) => string | null }[] = [
  { key: 'aws:sourceip', value: (facts) => facts.sourceIp },
  { key: 'aws:securetransport', value: (facts) => String(facts.secureTransport) },
  { key: 'aws:useragent', value: (facts) => facts.userAgent ?? null },
  { key: 'aws:requestedregion', value: (facts) => facts.region },
];

const CURRENT_TIME = 'aws:currenttime';
const EPOCH_TIME = 'aws:epochtime';
const TIME_KEYS_RE = /aws:(?:currenttime|epochtime)/gi;

/** "now" compared with a condition value: `seconds * scale` against `value`. */
interface TimeThreshold {
  readonly scale: number;
  readonly value: number;
}

/** What the cache and the evaluation need to know about one principal + policy set. */
interface Analysis {
  readonly fingerprint: string;
  /** Validation errors; non-empty means every request is denied. */
  readonly errors: readonly string[];
  /** The policies as handed to the library (workarounds W1-W5 applied). */
  readonly policies: readonly PolicyDocument[];
  /** The policies' JSON, lower-cased: a context key absent from it cannot be read. */
  readonly text: string;
  /** Indexes into {@link VALUE_FACTS} of the facts the policies may read. */
  readonly valueFacts: readonly number[];
  /** Time thresholds to key on; `undefined` when time is read in a way that cannot be keyed. */
  readonly timeThresholds: readonly TimeThreshold[] | undefined;
}

/** sha256 over the principal's identity and its policies' content. */
function fingerprintOf(principal: Principal): string {
  const tags = principal.tags ? Object.entries(principal.tags).sort(([a], [b]) => (a < b ? -1 : 1)) : null;
  const identity = [principal.userName, principal.userArn, principal.accountId, principal.userId ?? null, tags];
  return createHash('sha256').update(JSON.stringify([identity, principal.policies])).digest('base64');
}

function analyze(fingerprint: string, documents: readonly PolicyDocument[]): Analysis {
  const errors = documents.flatMap(validationErrors);
  const policies = errors.length > 0 ? [] : documents.map(normalizePolicy);
  const text = JSON.stringify(policies);
  const lower = text.toLowerCase();
  return {
    fingerprint,
    errors,
    policies,
    text: lower,
    valueFacts: VALUE_FACTS.flatMap((fact, index) => (lower.includes(fact.key) ? [index] : [])),
    timeThresholds: timeThresholds(policies, text),
  };
}

function validationErrors(document: PolicyDocument, index: number): string[] {
  try {
    return validateIdentityPolicy(document).map((e) => `policy ${index}: ${e.path}: ${e.message}`);
  } catch (error) {
    return [`policy ${index}: ${(error as Error).message}`];
  }
}

// ---------------------------------------------------------------------------------------------
// Cache key
// ---------------------------------------------------------------------------------------------

/** The decision-cache key, or `undefined` when this principal's decisions must not be cached. */
function decisionKey(analysis: Analysis, resourceArn: string, facts: RequestFacts): string | undefined {
  if (!analysis.timeThresholds) return undefined;
  const values = analysis.valueFacts.map((index) => VALUE_FACTS[index].value(facts));
  const time = timeSignature(analysis.timeThresholds, epochSeconds(facts.now));
  return JSON.stringify([analysis.fingerprint, resourceArn, values, time]);
}

/** For each threshold: is now before (`<`), at (`=`) or after (`>`) it. */
function timeSignature(thresholds: readonly TimeThreshold[], seconds: number): string {
  let signature = '';
  for (const { scale, value } of thresholds) {
    const now = seconds * scale;
    signature += now < value ? '<' : now > value ? '>' : '=';
  }
  return signature;
}

/**
 * The thresholds of every condition on a time key, or `undefined` if time is read in any way
 * other than by a Date/Numeric/Null condition with plainly parseable values (then the number of
 * textual mentions of a time key exceeds the number of analysed condition keys).
 */
function timeThresholds(policies: readonly PolicyDocument[], text: string): TimeThreshold[] | undefined {
  const thresholds: TimeThreshold[] = [];
  let analysed = 0;
  for (const condition of conditionEntries(policies)) {
    const key = condition.key.toLowerCase();
    if (key !== CURRENT_TIME && key !== EPOCH_TIME) continue;
    const found = thresholdsOf(baseOperator(condition.operator), key, condition.values);
    if (!found) return undefined;
    thresholds.push(...found);
    analysed++;
  }
  const mentions = text.match(TIME_KEYS_RE)?.length ?? 0;
  return mentions === analysed ? thresholds : undefined;
}

const ISO_CANONICAL_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** An integer exactly as `parseInt(v).toString()` prints it, i.e. what the library reads as epoch seconds. */
const INTEGER_RE = /^(?:0|[1-9]\d{0,14})$/;
const DECIMAL_RE = /^\d{1,15}(?:\.\d{1,15})?$/;

/** Thresholds of one (already normalized) condition on a time key; `undefined` if not keyable. */
function thresholdsOf(operator: string, key: string, values: readonly string[]): TimeThreshold[] | undefined {
  if (operator === 'null') return [];
  const parse = thresholdParser(operator, key);
  if (!parse) return undefined;
  const thresholds = values.map(parse);
  return thresholds.every((t): t is TimeThreshold => t !== undefined) ? thresholds : undefined;
}

type ThresholdParser = (value: string) => TimeThreshold | undefined;

/**
 * How the library reads a value of `operator` on time `key`, restricted to value shapes every
 * parser agrees on: canonical ISO dates (ms) for `aws:CurrentTime`, integers or decimals (s)
 * for `aws:EpochTime`. Any other combination (a String operator, ...) is not keyable.
 */
function thresholdParser(operator: string, key: string): ThresholdParser | undefined {
  const date = operator.startsWith('date');
  if (date && key === CURRENT_TIME) return (v) => (ISO_CANONICAL_RE.test(v) ? { scale: 1000, value: Date.parse(v) } : undefined);
  if (date && key === EPOCH_TIME) return (v) => (INTEGER_RE.test(v) ? { scale: 1, value: Number(v) } : undefined);
  if (operator.startsWith('numeric') && key === EPOCH_TIME) {
    return (v) => (DECIMAL_RE.test(v) ? { scale: 1, value: Number(v) } : undefined);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Evaluation input
// ---------------------------------------------------------------------------------------------

function simulationFor(analysis: Analysis, principal: Principal, resourceArn: string, facts: RequestFacts): Simulation {
  return {
    request: {
      principal: principal.userArn,
      action: INVOKE_ACTION,
      resource: { resource: encodeRequestArn(resourceArn), accountId: arnAccount(resourceArn) ?? principal.accountId },
      contextVariables: mentioned(contextVariables(principal, facts), analysis.text),
    },
    identityPolicies: analysis.policies.map((policy, index) => ({ name: `inline-${index}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  };
}

/** The request context IAM builds for a request signed with an IAM user's long-term key. */
function contextVariables(principal: Principal, facts: RequestFacts): Record<string, string> {
  const seconds = epochSeconds(facts.now);
  const context: Record<string, string> = {
    'aws:SourceIp': facts.sourceIp,
    'aws:CurrentTime': new Date(seconds * 1000).toISOString().replace('.000Z', 'Z'),
    'aws:EpochTime': String(seconds),
    'aws:SecureTransport': String(facts.secureTransport),
    'aws:RequestedRegion': facts.region,
    'aws:PrincipalArn': principal.userArn,
    'aws:PrincipalAccount': principal.accountId,
    'aws:PrincipalType': 'User',
    'aws:username': principal.userName,
    'aws:PrincipalIsAWSService': 'false',
    'aws:ViaAWSService': 'false',
  };
  if (facts.userAgent !== undefined) context['aws:UserAgent'] = facts.userAgent;
  if (principal.userId !== undefined) context['aws:userid'] = principal.userId;
  for (const [tag, value] of Object.entries(principal.tags ?? {})) context[`aws:PrincipalTag/${tag}`] = value;
  return context;
}

/**
 * Only the context keys the policies mention (halves the library's cost). A key can only be read
 * by name, or, as `prefix/${variable}`, by its prefix; keys mentioned neither way cannot matter.
 */
function mentioned(context: Record<string, string>, text: string): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [key, value] of Object.entries(context)) {
    const lower = key.toLowerCase();
    const slash = lower.indexOf('/');
    if (text.includes(lower) || (slash >= 0 && text.includes(lower.slice(0, slash + 1)))) kept[key] = value;
  }
  return kept;
}

function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

/** The account segment of an ARN, if it has one. */
function arnAccount(arn: string): string | undefined {
  const account = arn.split(':')[4];
  return account ? account : undefined;
}

// ---------------------------------------------------------------------------------------------
// Input encoding (workarounds W1-W5)
// ---------------------------------------------------------------------------------------------

/** W2: a request's literal `*` and a policy's `${*}` both become this character. */
const LITERAL_STAR = '\uE000';
/** W3: characters a regex `.` does not match, and their stand-ins. */
const LINE_TERMINATORS: Readonly<Record<string, string>> = { '\n': '\uE001', '\r': '\uE002', '\u2028': '\uE003', '\u2029': '\uE004' };
const LINE_TERMINATOR_RE = /[\n\r\u2028\u2029]/g;
/** W1: the fixed "product" segment prepended to every ARN's resource part. */
const PRODUCT = '_/';

function encodeRequestArn(arn: string): string {
  return withProduct(encodeLineTerminators(arn.replace(/\*/g, LITERAL_STAR)));
}

function encodePolicyResource(resource: string, substitutesVariables: boolean): string {
  const literal = substitutesVariables ? resource.split('${*}').join(LITERAL_STAR) : escapeVariables(resource);
  return withProduct(encodeLineTerminators(literal));
}

function encodeLineTerminators(value: string): string {
  return value.replace(LINE_TERMINATOR_RE, (c) => LINE_TERMINATORS[c]);
}

/** W5: `${` read literally, in the library's escape syntax. */
function escapeVariables(value: string): string {
  return value.split('${').join('${$}{');
}

/** W1: `arn:p:s:r:a:<resource>` → `arn:p:s:r:a:_/<resource>`; other strings unchanged. */
function withProduct(arn: string): string {
  if (!arn.startsWith('arn:')) return arn;
  let index = -1;
  for (let colons = 0; colons < 5; colons++) {
    index = arn.indexOf(':', index + 1);
    if (index === -1) return arn;
  }
  return arn.slice(0, index + 1) + PRODUCT + arn.slice(index + 1);
}

// ---------------------------------------------------------------------------------------------
// Policy normalization
// ---------------------------------------------------------------------------------------------

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

function statementsOf(policy: PolicyDocument): JsonObject[] {
  return asList(policy.Statement).filter(isObject);
}

/** A copy of `policy` with workarounds W1-W5 applied to its resources and conditions. */
function normalizePolicy(policy: PolicyDocument): PolicyDocument {
  const copy = structuredClone(policy) as PolicyDocument;
  const substitutesVariables = copy.Version === '2012-10-17';
  for (const statement of statementsOf(copy)) {
    for (const element of ['Resource', 'NotResource']) {
      const value = statement[element];
      if (value === undefined) continue;
      const encoded = asList(value).map((r) => (typeof r === 'string' ? encodePolicyResource(r, substitutesVariables) : r));
      statement[element] = Array.isArray(value) ? encoded : encoded[0];
    }
    if (isObject(statement.Condition)) normalizeConditions(statement.Condition, substitutesVariables);
  }
  return copy;
}

function normalizeConditions(condition: JsonObject, substitutesVariables: boolean): void {
  for (const [operator, block] of Object.entries(condition)) {
    if (!isObject(block)) continue;
    const base = baseOperator(operator);
    for (const [key, values] of Object.entries(block)) {
      const normalize = valueNormalizer(base, key.toLowerCase(), substitutesVariables);
      if (!normalize) continue;
      block[key] = Array.isArray(values) ? values.map(normalize) : normalize(values);
    }
  }
}

/** How to rewrite one condition's values, if at all (W4 for dates, W5 for variables). */
function valueNormalizer(operator: string, key: string, substitutesVariables: boolean): ((value: unknown) => unknown) | undefined {
  if (operator.startsWith('date')) return key === EPOCH_TIME ? toEpochSeconds : toIsoDate;
  if (!substitutesVariables && (operator.startsWith('string') || operator.startsWith('arn'))) {
    return (value) => (typeof value === 'string' ? escapeVariables(value) : value);
  }
  return undefined;
}

/** W4: a date value as epoch seconds, the unit of `aws:EpochTime` (unchanged if unparseable). */
function toEpochSeconds(value: unknown): unknown {
  const text = String(value);
  if (INTEGER_RE.test(text)) return text;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? value : String(Math.floor(ms / 1000));
}

/** W4: a date value as canonical ISO 8601, the unit of `aws:CurrentTime` (unchanged if unparseable). */
function toIsoDate(value: unknown): unknown {
  const text = String(value);
  const ms = INTEGER_RE.test(text) ? Number(text) * 1000 : Date.parse(text);
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? value : date.toISOString();
}

/** A condition operator without set prefix and `IfExists`, lower-cased: `datelessthan`. */
function baseOperator(operator: string): string {
  return operator
    .toLowerCase()
    .replace(/^for(?:any|all)values:/, '')
    .replace(/ifexists$/, '');
}

interface ConditionEntry {
  readonly operator: string;
  readonly key: string;
  readonly values: readonly string[];
}

/** Every (operator, key, values) triple in the policies' Condition blocks. */
function conditionEntries(policies: readonly PolicyDocument[]): ConditionEntry[] {
  const entries: ConditionEntry[] = [];
  for (const statement of policies.flatMap(statementsOf)) {
    if (!isObject(statement.Condition)) continue;
    for (const [operator, block] of Object.entries(statement.Condition)) {
      if (!isObject(block)) continue;
      for (const [key, values] of Object.entries(block)) {
        entries.push({ operator, key, values: asList(values).map(String) });
      }
    }
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------
// LRU
// ---------------------------------------------------------------------------------------------

/** A Map-backed LRU: a read moves the entry to the back, an insert evicts from the front. */
class LruCache<V> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly maxEntries: number) {}

  public get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  public set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  public get size(): number {
    return this.entries.size;
  }

  public clear(): void {
    this.entries.clear();
  }
}
