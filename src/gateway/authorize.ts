/**
 * Authorization of a SigV4-verified caller: may this principal `execute-api:Invoke` the
 * request's ARN? The decision is the project's own IAM evaluator's (`src/iam/decide.ts`);
 * this module adds the request context and a bounded cache of decisions.
 *
 * Cache key: a fingerprint of the principal (identity, tags and every policy's content), the
 * resource ARN, and the values of only those request-dependent context keys the principal's
 * policies read, in a condition or as a policy variable (`aws:SourceIp`, `aws:UserAgent`, ...).
 * A policy that reads the time (`aws:CurrentTime`, `aws:EpochTime`) adds the current second,
 * the context's own precision, so a cached decision never outlives the instant it was made
 * for. Principal keys (`aws:username`, tags, ...) are constant per fingerprint.
 */
import { createHash } from 'node:crypto';
import { compilePrincipal, decide, type CompiledPrincipal, type Decision } from '../iam/decide';
import type { Principal } from '../iam/principal';
import { REQUEST_KEYS, requestContext, TIME_KEYS, type RequestFacts } from '../iam/request-context';

export type { Decision } from '../iam/decide';
export type { RequestFacts } from '../iam/request-context';

/** The one action the gateway authorizes. */
export const INVOKE_ACTION = 'execute-api:Invoke';

/** Default bound of the decision cache. */
export const DEFAULT_MAX_ENTRIES = 10_000;

export interface AuthorizerOptions {
  /** Bound of the decision cache (LRU); default 10 000. */
  readonly maxEntries?: number;
  /** Called once per principal with policies IAM would reject (they grant nothing). */
  readonly onInvalidPolicies?: (principal: Principal, problems: readonly string[]) => void;
}

/** Cache counters: every `decide` is either a hit or a miss. */
export interface AuthorizerStats {
  readonly hits: number;
  readonly misses: number;
}

interface PrincipalEntry {
  readonly fingerprint: string;
  readonly compiled: CompiledPrincipal;
  /** Request-dependent keys the policies read, in REQUEST_KEYS order. */
  readonly requestKeys: readonly string[];
  readonly readsTime: boolean;
}

/** Decides `execute-api:Invoke` for signed callers, caching decisions. Synchronous. */
export class Authorizer {
  private readonly decisions: LruCache<Decision>;
  private readonly entries = new WeakMap<Principal, PrincipalEntry>();
  private readonly counters = { hits: 0, misses: 0 };

  constructor(private readonly options: AuthorizerOptions = {}) {
    const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
    }
    this.decisions = new LruCache(maxEntries);
  }

  /** Whether `principal` may invoke `resourceArn`, and why. */
  public decide(principal: Principal, resourceArn: string, facts: RequestFacts): Decision {
    const entry = this.entryOf(principal);
    const key = this.keyOf(entry, resourceArn, facts);
    const cached = this.decisions.get(key);
    if (cached !== undefined) {
      this.counters.hits++;
      return cached;
    }
    this.counters.misses++;
    const decision = decide(principal, { action: INVOKE_ACTION, resource: resourceArn, context: requestContext(principal, facts) });
    this.decisions.set(key, decision);
    return decision;
  }

  /** What IAM would reject in `principal`'s policies, one line each (empty when all are valid). */
  public problems(principal: Principal): string[] {
    return problemsOf(this.entryOf(principal).compiled);
  }

  public get stats(): AuthorizerStats {
    return { ...this.counters };
  }

  /** Number of cached decisions. */
  public get size(): number {
    return this.decisions.size;
  }

  /** Forgets every cached decision (counters are kept). */
  public clear(): void {
    this.decisions.clear();
  }

  private entryOf(principal: Principal): PrincipalEntry {
    let entry = this.entries.get(principal);
    if (entry) return entry;
    const compiled = compilePrincipal(principal);
    entry = {
      fingerprint: createHash('sha256').update(JSON.stringify(principal)).digest('base64'),
      compiled,
      requestKeys: REQUEST_KEYS.filter((k) => compiled.keysRead.has(k) && !(TIME_KEYS as readonly string[]).includes(k)),
      readsTime: TIME_KEYS.some((k) => compiled.keysRead.has(k)),
    };
    this.entries.set(principal, entry);
    const problems = problemsOf(compiled);
    if (problems.length > 0) this.options.onInvalidPolicies?.(principal, problems);
    return entry;
  }

  private keyOf(entry: PrincipalEntry, resourceArn: string, facts: RequestFacts): string {
    let key = `${entry.fingerprint}\u0000${resourceArn}`;
    for (const k of entry.requestKeys) {
      const value = factValue(k, facts);
      key += value === undefined ? '\u0000-' : `\u0000+${value}`;
    }
    if (entry.readsTime) key += `\u0000${Math.floor(facts.now.getTime() / 1000)}`;
    return key;
  }
}

function factValue(key: string, facts: RequestFacts): string | undefined {
  switch (key) {
    case 'aws:sourceip':
      return facts.sourceIp;
    case 'aws:useragent':
      return facts.userAgent;
    case 'aws:requestedregion':
      return facts.region;
    case 'aws:securetransport':
      return String(facts.secureTransport);
    case 'aws:resourceaccount':
      return facts.resourceAccount;
    default:
      throw new Error(`no request fact for ${key}`);
  }
}

function problemsOf(compiled: CompiledPrincipal): string[] {
  return compiled.invalid.flatMap((policy) => policy.errors.map((error) => `${policy.policy.name} (${policy.policy.source}): ${error}`));
}

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
