/**
 * May a caller assume a role? A role's trust policy (`assume_role_policy`) is a resource-based
 * policy: its statements name who they apply to (`Principal`; never `NotPrincipal`: "You cannot
 * use the NotPrincipal element in an IAM identity-based policy or in an IAM role trust policy",
 * IAM User Guide, "AWS JSON policy elements: NotPrincipal"), have no
 * `Resource` (the role is the resource), and are otherwise read as any policy (Action,
 * Condition with `sts:ExternalId`, `sts:RoleSessionName`, `aws:PrincipalTag/*`,
 * `aws:RequestTag/*` ...; conditions.ts, wildcard.ts and tri-state.ts do the matching).
 *
 * The rule, from AWS:
 *  - IAM User Guide, "AWS JSON policy elements: Principal"
 *    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html):
 *    "The IAM resource-based policy type is a role trust policy. In IAM roles, use the Principal
 *    element in the role trust policy to specify who can assume the role."
 *  - Role trust policies are one of the two resource-based policies (with KMS key policies)
 *    that must allow a principal even within the same account: the identity policy alone never
 *    suffices (re:Post, "allow only a particular principal arn from same account in trust
 *    policy": "the special set of rules that apply to just two types of resource-based policies
 *    in AWS, one being these IAM role trust policies ... and the other being KMS key policies";
 *    with the account root as principal "additionally grant the corresponding sts:AssumeRole
 *    permission in the identity-based policy").
 *  - Naming the account (`arn:aws:iam::<acct>:root` or the bare 12-digit id) "delegates"
 *    the decision to the account's identity policies: the caller needs an identity-policy Allow
 *    for the action on the role too; naming the caller's own ARN (or `*`) grants it by itself in
 *    the same account, and an implicit deny (no Allow, a permissions boundary without an Allow)
 *    in its identity policies does not take it away ("Policy evaluation logic", resource-based
 *    policies in the same account). Across accounts both sides must always allow.
 *  - An explicit Deny in the trust policy or in any of the caller's policies wins.
 * A `Service` principal (`lambda.amazonaws.com`) or a `Federated` provider is allowed by a
 * trust statement naming it; it has no identity policy here.
 *
 * Role chaining [role-principal]: a caller that is a session of role X
 * (`arn:aws:sts::<acct>:assumed-role/X/<session>`) is named by its session ARN, and also by X's
 * role ARN, with a difference (IAM User Guide, "Policy evaluation logic",
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
 * "IAM role – Resource-based policies that grant permissions to an IAM role ARN are limited by an
 * implicit deny in a permissions boundary or session policy"; "IAM role session – ... resource-
 * based policies that grant permissions to an IAM role session ARN grant permissions directly to
 * the assumed role session. Permissions granted directly to a session are not limited by an
 * implicit deny in an identity-based policy, a permissions boundary, or session policy"; and the
 * Principal page, "IAM role principals": "When you specify a role principal in a resource-based
 * policy, the effective permissions for the principal are limited by any policy types that limit
 * permissions for the role. This includes session policies and permissions boundaries."
 *
 * `Principal` values are matched exactly: "You cannot use a wildcard to match part of a
 * principal name or ARN" (Principal page); only the whole value `*` means everyone.
 */
import { evaluateCondition } from './conditions';
import { compilePrincipal, decide, type ContextValue, type Decision, type RequestContext } from './decide';
import { compilePolicy, type CompiledStatement } from './parse-policy';
import type { NamedPolicy, PolicyDocument, Principal, RoleSessionPrincipal } from './principal';
import { contextLookup, type ContextLookup } from './request-context';
import { and, type Tri } from './tri-state';

export type TrustAction = 'sts:AssumeRole' | 'sts:AssumeRoleWithWebIdentity' | 'sts:AssumeRoleWithSAML' | 'sts:TagSession' | 'sts:SetSourceIdentity';

/** Who asks to assume the role. */
export type TrustCaller =
  /**
   * An IAM user (or an account root, `arn:aws:iam::<acct>:root`), or a role session
   * (`arn:aws:sts::<acct>:assumed-role/<role>/<session>`, role chaining), by ARN and account;
   * `user`: its principal, whose identity policies are evaluated too.
   */
  | { readonly kind: 'AWS'; readonly arn: string; readonly accountId: string; readonly user?: Principal }
  /** An AWS service, `lambda.amazonaws.com`. */
  | { readonly kind: 'Service'; readonly service: string }
  /** A federated provider: `cognito-identity.amazonaws.com`, an OIDC provider's ARN, ... */
  | { readonly kind: 'Federated'; readonly provider: string };

export interface TrustRequest {
  readonly action: TrustAction;
  readonly roleArn: string;
  /** The role's account. */
  readonly roleAccountId: string;
  readonly caller: TrustCaller;
  /** Request context: the caller's global keys and the STS request's (`sts:ExternalId`, `aws:RequestTag/k` ...). */
  readonly context: RequestContext;
}

export interface TrustDecision {
  readonly verdict: 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';
  /** One line: the deciding statement, or why nothing allowed. */
  readonly explanation: string;
}

/**
 * How a statement's Principal names the caller: not at all, through its account, through the
 * role a session is of (role chaining), or the caller itself (user ARN, session ARN, `*`).
 */
type PrincipalMatch = 'none' | 'account' | 'role' | 'principal';

const MATCH_RANK: Readonly<Record<PrincipalMatch, number>> = { none: 0, account: 1, role: 2, principal: 3 };

const TRUST_ELEMENTS = new Set(['Sid', 'Effect', 'Action', 'NotAction', 'Condition', 'Principal']);

/** A trust policy's problems IAM would reject (empty when it is valid). */
export function trustPolicyProblems(document: PolicyDocument): string[] {
  return compileTrust(document, 'arn:aws:iam::000000000000:role/x').errors;
}

interface CompiledTrust {
  readonly errors: string[];
  /** Each compiled statement with its raw Principal / NotPrincipal. */
  readonly statements: { readonly compiled: CompiledStatement; readonly principal?: unknown; readonly notPrincipal?: unknown }[];
}

/**
 * Compiles the trust policy with parse-policy.ts: Principal / NotPrincipal are taken out of
 * each statement (an identity policy may not have them) and the role's ARN is put in as its
 * Resource, so the action globs and conditions are compiled exactly as for any policy.
 */
function compileTrust(document: PolicyDocument, roleArn: string): CompiledTrust {
  const errors: string[] = [];
  const raw = (document as { Statement?: unknown }).Statement;
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  const principals: { principal?: unknown; notPrincipal?: unknown }[] = [];
  const rewritten = list.map((statement: unknown, index) => {
    if (typeof statement !== 'object' || statement === null || Array.isArray(statement)) return statement;
    const { Principal, NotPrincipal, ...rest } = statement as Record<string, unknown>;
    for (const element of Object.keys(statement)) {
      if (element === 'NotPrincipal') errors.push(`statement ${index}: a role trust policy cannot use NotPrincipal (IAM User Guide, "AWS JSON policy elements: NotPrincipal")`);
      else if (!TRUST_ELEMENTS.has(element)) errors.push(`statement ${index}: a trust policy has no ${element} element (IAM: "Has prohibited field ${element}")`);
    }
    if (Principal === undefined && NotPrincipal === undefined) errors.push(`statement ${index}: it has no Principal`);
    if (Principal !== undefined) errors.push(...principalProblems(Principal).map((problem) => `statement ${index}: ${problem}`));
    principals[index] = { principal: Principal, notPrincipal: NotPrincipal };
    delete rest.Resource;
    delete rest.NotResource;
    return { ...rest, Resource: roleArn };
  });
  const named: NamedPolicy = { name: 'trust policy', source: 'role inline', document: { ...document, Statement: rewritten } };
  const compiled = compilePolicy(named);
  errors.push(...compiled.errors);
  if (errors.length > 0) return { errors, statements: [] };
  return { errors, statements: compiled.statements.map((c) => ({ compiled: c, ...principals[c.index] })) };
}

/**
 * What IAM would refuse in a trust policy's Principal: `"*"`, or an object of the principal types
 * a role can trust (`AWS`, `Service`, `Federated`: the Principal page's "How to specify a
 * principal"; `CanonicalUser` is Amazon S3's), each a string or a list of strings.
 */
function principalProblems(element: unknown): string[] {
  if (element === '*') return [];
  if (typeof element !== 'object' || element === null || Array.isArray(element)) return ['its Principal is neither "*" nor an object of principal types'];
  // The grammar's <principal_map> has at least one entry (IAM User Guide, "Grammar of the IAM JSON
  // policy language"); an empty object names nobody. Refused, so the statement cannot be read as
  // naming nobody in a Deny while IAM would reject the policy (found by the trust differential test).
  if (Object.keys(element).length === 0) return ['its Principal is an empty object: it names no principal'];
  const problems: string[] = [];
  for (const [type, value] of Object.entries(element)) {
    if (!['AWS', 'Service', 'Federated'].includes(type)) problems.push(`a role trust policy has no ${type} principals`);
    else if (!(typeof value === 'string' || (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')))) problems.push(`its Principal ${type} is not a string or a list of strings`);
  }
  return problems;
}

/** The values of one principal type in a Principal element (`"*"` means every type). */
function principalValues(element: unknown, type: 'AWS' | 'Service' | 'Federated'): string[] | '*' {
  if (element === '*') return '*';
  if (typeof element !== 'object' || element === null || Array.isArray(element)) return [];
  const value = (element as Record<string, unknown>)[type];
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.filter((v): v is string => typeof v === 'string');
}

/**
 * `effect`: whether `{"AWS": "*"}` names a service or federated caller is not documented (the
 * Principal page describes it as everyone "AWS" — identities). The stricter reading each way: an
 * Allow with it admits AWS identities only, a Deny with it applies to every caller (found by the
 * trust differential test: Allow Service lambda + Deny AWS "*" allowed lambda).
 */
function matchPrincipal(element: unknown, caller: TrustCaller, effect: 'Allow' | 'Deny'): PrincipalMatch {
  const type = caller.kind;
  const values = principalValues(element, type);
  if (values === '*') return 'principal';
  if (effect === 'Deny' && caller.kind !== 'AWS') {
    const aws = principalValues(element, 'AWS');
    if (aws !== '*' && aws.includes('*')) return 'principal';
  }
  let best: PrincipalMatch = 'none';
  for (const value of values) {
    if (value === '*') return 'principal';
    if (caller.kind === 'AWS') {
      if (value === caller.arn) return 'principal';
      // A session of role X is named by X's ARN too, limited by the session's boundary and
      // session policies [role-principal]; only the account root or 12-digit id names the account.
      if (caller.user?.type === 'AssumedRole' && value === caller.user.roleArn) best = 'role';
      else if ((value === caller.accountId || value === `arn:aws:iam::${caller.accountId}:root`) && best === 'none') best = 'account';
    } else if (caller.kind === 'Service' ? value === caller.service : value === caller.provider) {
      return 'principal';
    }
  }
  return best;
}

function statementApplies(statement: CompiledStatement, action: string, context: ContextLookup): Tri {
  const matched = statement.actions.some((glob) => glob.strict.test(action));
  if (statement.notAction ? matched : !matched) return false;
  let result: Tri = true;
  for (const condition of statement.conditions) result = and(result, evaluateCondition(condition, context));
  return result;
}

/**
 * Why an Allow statement that names the caller does not apply: the action it allows, or its first
 * condition that does not hold, with the value the request has (`absent` for a missing ExternalId).
 */
function nearMiss(statement: CompiledStatement, action: string, context: ContextLookup): string {
  const matched = statement.actions.some((glob) => glob.strict.test(action));
  if (statement.notAction ? matched : !matched) {
    return `${describe(statement)} names the caller but ${statement.notAction ? 'excludes' : 'allows'} ${statement.actionSources.join(', ')} only`;
  }
  for (const condition of statement.conditions) {
    const holds = evaluateCondition(condition, context);
    if (holds === true) continue;
    const actual = context.get(condition.key);
    const ambiguous = holds === 'unknown' ? ' (undecidable from AWS\'s documentation, so the stricter applies)' : '';
    return `${describe(statement)} names the caller but requires ${condition.operatorText} ${condition.key} ${JSON.stringify(condition.sources.length === 1 ? condition.sources[0] : condition.sources)}, and ${condition.key} is ${actual === undefined ? 'absent' : JSON.stringify(actual)}${ambiguous}`;
  }
  return `${describe(statement)} names the caller but applies only under one reading of AWS's documentation, so the stricter applies`;
}

function describe(statement: CompiledStatement): string {
  return `statement ${statement.index}${statement.sid ? ` (${statement.sid})` : ''} of the trust policy`;
}

/**
 * Evaluates the trust policy alone. `needsIdentityAllow` is true when the trust policy allows
 * the caller only through its account (or the caller is in another account): then the caller's
 * identity policies must allow the action on the role too (decideAssumeRole).
 */
export function evaluateTrustPolicy(document: PolicyDocument, request: TrustRequest): TrustDecision & { readonly needsIdentityAllow: boolean; readonly needsSessionAllow?: boolean } {
  const trust = compileTrust(document, request.roleArn);
  if (trust.errors.length > 0) {
    return { verdict: 'ImplicitlyDenied', needsIdentityAllow: false, explanation: `implicit deny: the trust policy is invalid and allows nothing (${trust.errors[0]})` };
  }
  const context = contextLookup(request.context);
  let allowedBy: { statement: CompiledStatement; match: PrincipalMatch } | undefined;
  let nearest: string | undefined;
  for (const { compiled, principal, notPrincipal } of trust.statements) {
    const match = principal !== undefined ? matchPrincipal(principal, request.caller, compiled.effect) : matchPrincipal(notPrincipal, request.caller, compiled.effect) === 'none' ? 'principal' : 'none';
    if (match === 'none') continue;
    const applies = statementApplies(compiled, request.action, context);
    if (compiled.effect === 'Allow' && applies !== true) nearest ??= nearMiss(compiled, request.action, context);
    if (compiled.effect === 'Deny' && applies !== false) {
      return { verdict: 'ExplicitlyDenied', needsIdentityAllow: false, explanation: `explicit deny: ${describe(compiled)} denies ${request.action} on ${request.roleArn}` };
    }
    if (compiled.effect === 'Allow' && applies === true && (!allowedBy || MATCH_RANK[match] > MATCH_RANK[allowedBy.match])) allowedBy = { statement: compiled, match };
  }
  if (!allowedBy) {
    return { verdict: 'ImplicitlyDenied', needsIdentityAllow: false, explanation: `implicit deny: no statement of the trust policy allows ${callerName(request.caller)} to ${request.action} on ${request.roleArn}${nearest ? `; nearest: ${nearest}` : ''}` };
  }
  const crossAccount = request.caller.kind === 'AWS' && request.caller.accountId !== request.roleAccountId;
  const why = allowedBy.match === 'account' ? ' (it names the account, so the caller\'s identity policies must allow it too)'
    : allowedBy.match === 'role' ? ' (it names the role the caller is a session of, so the session\'s permissions boundary and session policies must allow it too)' : '';
  return {
    verdict: 'Allowed',
    needsIdentityAllow: request.caller.kind === 'AWS' && (allowedBy.match === 'account' || crossAccount),
    ...(allowedBy.match === 'role' ? { needsSessionAllow: true } : {}),
    explanation: `allowed by ${describe(allowedBy.statement)}${why}`,
  };
}

function callerName(caller: TrustCaller): string {
  return caller.kind === 'AWS' ? caller.arn : caller.kind === 'Service' ? caller.service : caller.provider;
}

/**
 * The whole decision for an IAM user calling `request.action` on a role: the trust policy, and
 * the user's own policies (identity, permissions boundary) for `action` on the role's ARN.
 */
export function decideAssumeRole(document: PolicyDocument, request: TrustRequest): TrustDecision {
  const trust = evaluateTrustPolicy(document, request);
  const user = request.caller.kind === 'AWS' ? request.caller.user : undefined;
  let identity: Decision | undefined;
  if (user) {
    compilePrincipal(user);
    identity = decide(user, { action: request.action, resource: request.roleArn, context: request.context });
    if (identity.verdict === 'ExplicitlyDenied') return { verdict: 'ExplicitlyDenied', explanation: identity.explanation };
  }
  if (trust.verdict !== 'Allowed') return { verdict: trust.verdict, explanation: trust.explanation };
  if (!trust.needsIdentityAllow && trust.needsSessionAllow && user?.type === 'AssumedRole') {
    // [role-principal]: only the boundary and the session policies limit what the trust policy grants.
    const limits = sessionLimits(user, request);
    if (limits) return { verdict: 'ImplicitlyDenied', explanation: `${limits} (${trust.explanation})` };
  }
  if (!trust.needsIdentityAllow) return { verdict: 'Allowed', explanation: trust.explanation };
  if (!identity) {
    return { verdict: 'ImplicitlyDenied', explanation: `implicit deny: ${trust.explanation}, and the caller has no identity policy here` };
  }
  if (identity.verdict !== 'Allowed') return { verdict: 'ImplicitlyDenied', explanation: `${identity.explanation} (the trust policy allows only through the account: ${trust.explanation})` };
  return { verdict: 'Allowed', explanation: `${trust.explanation}; ${identity.explanation}` };
}

/**
 * Why the session's permissions boundary or session policies do not allow `request.action` on
 * the role (an implicit deny there), or undefined when they allow it or the session has none.
 * Each is decided as the only policy of a principal otherwise like the session, so explicit
 * denies (already decided by the caller's full decision) are not the question here.
 */
function sessionLimits(session: RoleSessionPrincipal, request: TrustRequest): string | undefined {
  const ask = (policies: readonly NamedPolicy[]): Decision => {
    const only: RoleSessionPrincipal = { ...session, identityPolicies: policies, sessionPolicies: [] };
    delete (only as { permissionsBoundary?: NamedPolicy }).permissionsBoundary;
    compilePrincipal(only);
    return decide(only, { action: request.action, resource: request.roleArn, context: request.context });
  };
  if (session.permissionsBoundary) {
    const boundary = ask([session.permissionsBoundary]);
    if (boundary.verdict !== 'Allowed') return `implicit deny: the session's permissions boundary ${session.permissionsBoundary.name} does not allow ${request.action} on ${request.roleArn}`;
  }
  // Each session policy must allow: the stricter reading of several session policies (decide.ts, step 3).
  for (const policy of session.sessionPolicies) {
    if (ask([policy]).verdict !== 'Allowed') return `implicit deny: the caller's session policy ${policy.name} does not allow ${request.action} on ${request.roleArn}`;
  }
  return undefined;
}

/** Context keys of an STS AssumeRole request, added to the caller's (request-context.ts). */
export interface AssumeRoleParameters {
  readonly roleSessionName: string;
  readonly externalId?: string;
  readonly sourceIdentity?: string;
  /** Session tags (`aws:RequestTag/<k>`, `aws:TagKeys`). */
  readonly tags?: Readonly<Record<string, string>>;
  readonly transitiveTagKeys?: readonly string[];
}

export function assumeRoleContext(base: RequestContext, parameters: AssumeRoleParameters): Record<string, ContextValue> {
  const context: Record<string, ContextValue> = Object.assign(Object.create(null) as Record<string, ContextValue>, base);
  context['sts:RoleSessionName'] = parameters.roleSessionName;
  if (parameters.externalId !== undefined) context['sts:ExternalId'] = parameters.externalId;
  if (parameters.sourceIdentity !== undefined) context['sts:SourceIdentity'] = parameters.sourceIdentity;
  const tags = parameters.tags ?? {};
  for (const [key, value] of Object.entries(tags)) context[`aws:RequestTag/${key}`] = value;
  if (Object.keys(tags).length > 0) context['aws:TagKeys'] = Object.keys(tags);
  if (parameters.transitiveTagKeys && parameters.transitiveTagKeys.length > 0) context['sts:TransitiveTagKeys'] = [...parameters.transitiveTagKeys];
  return context;
}
