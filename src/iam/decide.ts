/**
 * IAM's decision for one request, and why.
 *
 * IAM User Guide, "Policy evaluation logic" and "Determining whether a request is allowed or
 * denied within an account"
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
 * .../reference_policies_evaluation-logic_policy-eval-denyallow.html), for identity-based
 * policies in one account (HTTP APIs have no resource policies; SCPs and RCPs are not modelled):
 *  1. "An explicit deny in any policy overrides any allows": a Deny that applies in an identity
 *     policy, the permissions boundary or a session policy denies.
 *  2. Permissions boundary: "An entity's permissions boundary allows it to perform only the
 *     actions that are allowed by both its identity-based policies and its permissions
 *     boundaries" — without an Allow in the boundary, the request is implicitly denied.
 *  3. Session policies: "The resulting session's permissions are the intersection of the
 *     role's identity-based policy and the session policies." With several session policies
 *     (`Policy` and `PolicyArns`) the documentation does not say whether they are one set (any
 *     of them allowing suffices) or each bounds the session; the stricter reading is taken:
 *     every session policy must allow (found by the session differential test).
 *  4. An Allow in an identity policy (the user's, its groups', attached managed policies);
 *     otherwise the request is implicitly denied ("By default, all requests are implicitly
 *     denied").
 * Where the documentation allows two readings, see tri-state.ts: an Allow needs both, a Deny
 * either.
 */
import { evaluateCondition, globOf, keysRead, type CompiledCondition } from './conditions';
import { compilePolicy, type CompiledPolicy, type CompiledStatement } from './parse-policy';
import { resolveTemplate, type Template } from './policy-variables';
import { describePolicy, type NamedPolicy, type Principal } from './principal';
import { contextLookup, type ContextLookup } from './request-context';
import { and, globMatches, or, type Tri } from './tri-state';

/** A request-context value: single-valued keys are strings, multivalued keys lists. */
export type ContextValue = string | readonly string[];
/** The request context, keys as AWS spells them (matched case-insensitively). */
export type RequestContext = Readonly<Record<string, ContextValue>>;

export interface AuthorizationRequest {
  /** `execute-api:Invoke`. */
  readonly action: string;
  /** The resource ARN, e.g. `arn:aws:execute-api:us-east-1:123456789012:abc/$default/GET/x`. */
  readonly resource: string;
  readonly context: RequestContext;
}

export type Verdict = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

export interface StatementRef {
  readonly policy: NamedPolicy;
  /** 0-based position in the policy's Statement list. */
  readonly index: number;
  readonly sid?: string;
}

export interface Decision {
  readonly verdict: Verdict;
  /** One line: why, naming the deciding statement or the nearest miss. */
  readonly explanation: string;
  /** The Deny statement that decided, or an Allow statement that allowed. */
  readonly deciding?: StatementRef;
}

/** A principal's policies, validated and compiled once. */
export interface CompiledPrincipal {
  readonly identity: readonly CompiledPolicy[];
  readonly boundary?: CompiledPolicy;
  /** Session policies of an assumed-role session; empty when it has none. */
  readonly session: readonly CompiledPolicy[];
  /** Every policy IAM would reject, with its errors. */
  readonly invalid: readonly CompiledPolicy[];
  /** Lower-cased context keys any condition or policy variable reads. */
  readonly keysRead: ReadonlySet<string>;
}

const compiledPrincipals = new WeakMap<Principal, CompiledPrincipal>();

/** Compiles (once per principal object; treat principals as immutable) its policies. */
export function compilePrincipal(principal: Principal): CompiledPrincipal {
  const known = compiledPrincipals.get(principal);
  if (known) return known;
  const identity = principal.identityPolicies.map(compilePolicy);
  const boundary = principal.permissionsBoundary && compilePolicy(principal.permissionsBoundary);
  const session = principal.type === 'AssumedRole' ? principal.sessionPolicies.map(compilePolicy) : [];
  const all = [...identity, ...(boundary ? [boundary] : []), ...session];
  const keys = new Set<string>();
  for (const policy of all) {
    for (const statement of policy.statements) {
      for (const condition of statement.conditions) for (const key of keysRead(condition)) keys.add(key);
      for (const resource of statement.resources) {
        for (const part of resource.template.parts) if (part.kind === 'variable') keys.add(part.key.toLowerCase());
      }
    }
  }
  const compiled: CompiledPrincipal = { identity, boundary, session, invalid: all.filter((p) => p.errors.length > 0), keysRead: keys };
  compiledPrincipals.set(principal, compiled);
  return compiled;
}

/** Decides whether `principal` may perform `request.action` on `request.resource`. */
export function decide(principal: Principal, request: AuthorizationRequest): Decision {
  const compiled = compilePrincipal(principal);
  const context = contextLookup(request.context);
  const sets = [...compiled.identity, ...(compiled.boundary ? [compiled.boundary] : []), ...compiled.session];

  // 1. Explicit deny anywhere.
  for (const policy of sets) {
    for (const statement of policy.statements) {
      if (statement.effect !== 'Deny') continue;
      if (applies(statement, request, context).result !== false) {
        const ref = refOf(policy, statement);
        return { verdict: 'ExplicitlyDenied', explanation: `explicit deny: ${describeStatement(ref)} denies ${request.action} on ${request.resource}`, deciding: ref };
      }
    }
  }
  // 2. The permissions boundary must allow.
  if (compiled.boundary && !allowingStatement([compiled.boundary], request, context)) {
    return implicitDeny(`the ${describePolicy(compiled.boundary.policy)} does not allow it`, [compiled.boundary], request, context);
  }
  // 3. Session policies, when the session has any: each must allow (the stricter reading, above).
  for (const policy of compiled.session) {
    if (!allowingStatement([policy], request, context)) {
      return implicitDeny(compiled.session.length === 1 ? 'no session policy allows it' : `the ${describePolicy(policy.policy)} does not allow it`, [policy], request, context);
    }
  }
  // 4. An identity policy must allow.
  const allowing = allowingStatement(compiled.identity, request, context);
  if (!allowing) return implicitDeny(`no statement allows ${request.action} on ${request.resource}`, compiled.identity, request, context);
  return { verdict: 'Allowed', explanation: `allowed by ${describeStatement(allowing)}`, deciding: allowing };
}

/** Why each element of a statement did or did not match. */
interface Applicability {
  readonly result: Tri;
  readonly action: boolean;
  readonly resource: Tri;
  /** The first condition that is not `true`, if any. */
  readonly failedCondition?: { readonly condition: CompiledCondition; readonly result: Tri };
}

function applies(statement: CompiledStatement, request: AuthorizationRequest, context: ContextLookup): Applicability {
  let actionMatch = false;
  for (const glob of statement.actions) {
    if (glob.strict.test(request.action)) {
      actionMatch = true;
      break;
    }
  }
  const action = statement.notAction ? !actionMatch : actionMatch;
  if (!action) return { result: false, action, resource: 'unknown' };
  let resourceMatch: Tri = false;
  for (const pattern of statement.resources) {
    let match = templateMatches(pattern.template, request.resource, context);
    if (pattern.literal) {
      const literal = templateMatches(pattern.literal, request.resource, context);
      if (literal !== match) match = 'unknown';
    }
    resourceMatch = or(resourceMatch, match);
    if (resourceMatch === true) break;
  }
  const resource: Tri = statement.notResource ? (resourceMatch === 'unknown' ? resourceMatch : !resourceMatch) : resourceMatch;
  let result: Tri = resource;
  if (result === false) return { result, action, resource };
  for (const condition of statement.conditions) {
    const holds = evaluateCondition(condition, context);
    result = and(result, holds);
    if (holds !== true) return { result, action, resource, failedCondition: { condition, result: holds } };
  }
  return { result, action, resource };
}

/** Whether a Resource template matches; an unresolvable variable matches nothing. */
function templateMatches(template: Template, resource: string, context: ContextLookup): Tri {
  const parts = resolveTemplate(template, context);
  return parts ? globMatches(globOf(template, parts, true), resource) : false;
}

function allowingStatement(policies: readonly CompiledPolicy[], request: AuthorizationRequest, context: ContextLookup): StatementRef | undefined {
  for (const policy of policies) {
    for (const statement of policy.statements) {
      if (statement.effect === 'Allow' && applies(statement, request, context).result === true) return refOf(policy, statement);
    }
  }
  return undefined;
}

function refOf(policy: CompiledPolicy, statement: CompiledStatement): StatementRef {
  return statement.sid ? { policy: policy.policy, index: statement.index, sid: statement.sid } : { policy: policy.policy, index: statement.index };
}

function describeStatement(ref: StatementRef): string {
  return `statement ${ref.index}${ref.sid ? ` (${ref.sid})` : ''} of ${describePolicy(ref.policy)}`;
}

// ---------------------------------------------------------------------------------------------
// Explanations of implicit denies: the nearest miss
// ---------------------------------------------------------------------------------------------

function implicitDeny(reason: string, policies: readonly CompiledPolicy[], request: AuthorizationRequest, context: ContextLookup): Decision {
  return { verdict: 'ImplicitlyDenied', explanation: `implicit deny: ${reason}${nearestMiss(policies, request, context)}` };
}

/** "; nearest: statement 0 of inline policy invoke-api allows $default/GET/* only", or why nothing is near. */
function nearestMiss(policies: readonly CompiledPolicy[], request: AuthorizationRequest, context: ContextLookup): string {
  const invalid = policies.filter((p) => p.errors.length > 0);
  const invalidNote = invalid.length > 0 ? `; ${invalid.map((p) => `${describePolicy(p.policy)} is invalid and grants nothing (${p.errors[0]})`).join('; ')}` : '';
  let best: { score: number; policy: CompiledPolicy; statement: CompiledStatement; why: Applicability } | undefined;
  for (const policy of policies) {
    for (const statement of policy.statements) {
      if (statement.effect !== 'Allow') continue;
      const why = applies(statement, request, context);
      const score = (why.action ? 4 : 0) + (why.resource === true ? 2 : why.resource === 'unknown' ? 1 : 0);
      if (!best || score > best.score) best = { score, policy, statement, why };
    }
  }
  if (!best) return policies.length === invalid.length && invalid.length === 0 ? '; it has no policy that could' : `${invalidNote || '; no Allow statement applies'}`;
  const where = describeStatement(refOf(best.policy, best.statement));
  const { statement, why } = best;
  let miss: string;
  if (!why.action) {
    miss = `${where} ${statement.notAction ? 'excludes' : 'allows'} ${statement.actionSources.join(', ')} only`;
  } else if (why.resource !== true) {
    const listed = statement.resources.map((r) => relativeTo(request.resource, r.template.source)).join(', ');
    const ambiguous = why.resource === 'unknown' ? ' (it matches only under one reading of AWS\'s wildcard rules, so the stricter applies)' : '';
    miss = statement.notResource ? `${where} excludes ${listed}${ambiguous}` : `${where} allows ${listed} only${ambiguous}`;
  } else if (why.failedCondition) {
    const { condition, result } = why.failedCondition;
    const actual = context.get(condition.key);
    const shown = actual === undefined ? 'absent' : JSON.stringify(actual);
    const ambiguous = result === 'unknown' ? ' (undecidable from AWS\'s documentation, so the stricter applies)' : '';
    miss = `${where} requires ${condition.operatorText} ${condition.key} ${JSON.stringify(condition.sources.length === 1 ? condition.sources[0] : condition.sources)}, and ${condition.key} is ${shown}${ambiguous}`;
  } else {
    miss = `${where} matches only under one reading of AWS's documentation, so the stricter applies`;
  }
  return `; nearest: ${miss}${invalidNote}`;
}

/** `arn:...:abc/$default/GET/*` relative to a request on API `abc` → `$default/GET/*`. */
function relativeTo(requestArn: string, resource: string): string {
  const slash = requestArn.indexOf('/');
  const prefix = slash < 0 ? requestArn : requestArn.slice(0, slash + 1);
  return resource.startsWith(prefix) && resource.length > prefix.length ? resource.slice(prefix.length) : resource;
}
