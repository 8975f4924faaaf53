/**
 * A reference evaluator for role trust policies (may this caller assume this role?), written from AWS's
 * documentation only, not from src/iam. Statements' Action/NotAction and Condition are matched by the
 * reference evaluator's own code (evaluate.ts); this file adds what is particular to trust policies: the
 * Principal element, which statements bind which callers, and how the trust policy and the caller's own
 * policies combine.
 *
 * Pages (https://docs.aws.amazon.com/IAM/latest/UserGuide/ unless a full address is given):
 *  - reference_policies_elements_principal.html ("AWS JSON policy elements: Principal")
 *  - reference_policies_elements_notprincipal.html ("AWS JSON policy elements: NotPrincipal")
 *  - reference_policies_evaluation-logic.html ("Policy evaluation logic", resource-based policies in one account)
 *  - reference_policies_evaluation-logic-cross-account.html ("Cross-account policy evaluation logic")
 *  - id_roles_compare-resource-policies.html ("How IAM roles differ from resource-based policies")
 *  - access_policies.html#policies_session ("Session policies" with resource-based policies)
 *  - reference_policies_grammar.html ("Grammar of the IAM JSON policy language")
 *  - reference_policies_iam-condition-keys.html (sts:ExternalId, sts:RoleSessionName, sts:SourceIdentity,
 *    sts:TransitiveTagKeys) and reference_policies_condition-keys.html (aws:RequestTag/*, aws:TagKeys)
 *  - id_session-tags.html ("Pass session tags in AWS STS": sts:TagSession)
 * Where the documentation is ambiguous the reading is marked "AMBIGUOUS:" and both readings are available.
 */
import type { Principal } from '../../../src/iam/principal';
import type { ContextValue, RequestContext, Verdict } from '../../../src/iam/decide';
import { parseStatement, type ParsedPolicy, type ParsedStatement, referenceDecide, type ReferenceDecision, referencePoliciesAllow, referenceStatementApplies, type SessionPoliciesReading } from './evaluate';

/** Who asks to assume the role. An AWS caller is an IAM user or an assumed-role session, with its policies. */
export type ReferenceTrustCaller =
  | { readonly kind: 'AWS'; readonly principal: Principal }
  | { readonly kind: 'Service'; readonly service: string }
  | { readonly kind: 'Federated'; readonly provider: string };

export interface ReferenceTrustQuestion {
  readonly document: unknown;
  readonly action: string;
  readonly roleArn: string;
  readonly roleAccountId: string;
  readonly caller: ReferenceTrustCaller;
  readonly context: RequestContext;
}

/**
 * AMBIGUOUS readings:
 *  - `awsStar`: whether `"Principal": {"AWS": "*"}` names AWS services and federated (web identity) callers too.
 *    reference_policies_elements_principal.html, "All principals": "You can use a wildcard (*) to specify all
 *    principals ... For anonymous users, the following elements are equivalent: "Principal": "*" and
 *    "Principal" : { "AWS" : "*" }". Equivalent for anonymous users; the page does not say so for a service or
 *    a web identity. 'all': it names everyone; 'aws-only': only callers with AWS credentials (users, sessions).
 *  - `sessionPolicies`: several session policies of a session caller (SessionPoliciesReading, evaluate.ts).
 */
export interface TrustReadings {
  readonly awsStar?: 'all' | 'aws-only';
  readonly sessionPolicies?: SessionPoliciesReading;
}

interface TrustStatement {
  readonly parsed: ParsedStatement;
  /** `*` or the Principal object's lists. */
  readonly principal: '*' | { readonly AWS?: readonly string[]; readonly Service?: readonly string[]; readonly Federated?: readonly string[] };
}

interface ParsedTrust {
  readonly version: ParsedPolicy['version'];
  readonly statements: readonly TrustStatement[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] | undefined =>
  typeof v === 'string' ? [v] : Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string') ? [...(v as string[])] : undefined;

/**
 * Validates and parses a trust policy; undefined when IAM would refuse it (then it allows nothing).
 *  - reference_policies_grammar.html: policy = { <version_block?> <id_block?> <statement_block> }; the notes:
 *    "The principal_block element is required in resource-based policies (for example, in Amazon S3 bucket
 *    policies) and in trust policies for IAM roles."
 *  - reference_policies_elements_notprincipal.html: "You cannot use the NotPrincipal element in an IAM
 *    identity-based policy or in an IAM role trust policy."
 *  - A trust policy has no Resource: the role is the resource. IAM answers CreateRole/UpdateAssumeRolePolicy
 *    with "MalformedPolicyDocument: Has prohibited field Resource" (quoted in localstack/localstack#6644 and
 *    terraform-aws-modules/terraform-aws-eks-pod-identity#34).
 *  - Principal values: reference_policies_elements_principal.html lists the forms "AWS" (account ARN or
 *    12-digit id, role, role session, user ARNs), "Federated", "Service" and "*"; an array is "a logical OR".
 *  - Effect, Action/NotAction, Condition, Sid: as in any policy (evaluate.ts parseStatement, given the role as
 *    its Resource only so that it accepts the statement).
 */
export function parseTrustPolicy(document: unknown): ParsedTrust | undefined {
  if (!isObject(document)) return undefined;
  for (const key of Object.keys(document)) if (!['Version', 'Id', 'Statement'].includes(key)) return undefined;
  let version: ParsedPolicy['version'];
  if ('Version' in document) {
    if (document.Version !== '2008-10-17' && document.Version !== '2012-10-17') return undefined;
    version = document.Version;
  }
  const raw = document.Statement;
  const list = Array.isArray(raw) ? raw : raw === undefined ? undefined : [raw];
  if (!list || list.length === 0) return undefined;
  const sids = list.filter((s) => isObject(s) && typeof s.Sid === 'string').map((s) => (s as { Sid: string }).Sid);
  if (new Set(sids).size !== sids.length) return undefined;
  const statements: TrustStatement[] = [];
  for (const s of list) {
    if (!isObject(s)) return undefined;
    if ('NotPrincipal' in s || 'Resource' in s || 'NotResource' in s || !('Principal' in s)) return undefined;
    let principal: TrustStatement['principal'];
    if (s.Principal === '*') principal = '*';
    else if (isObject(s.Principal) && Object.keys(s.Principal).length > 0) {
      const out: { AWS?: string[]; Service?: string[]; Federated?: string[] } = {};
      for (const [type, value] of Object.entries(s.Principal)) {
        if (type !== 'AWS' && type !== 'Service' && type !== 'Federated') return undefined;
        const values = strings(value);
        if (!values) return undefined;
        out[type] = values;
      }
      principal = out;
    } else return undefined;
    const { Principal: _principal, ...rest } = s;
    const parsed = parseStatement({ ...rest, Resource: '*' });
    if (!parsed) return undefined;
    statements.push({ parsed, principal });
  }
  return { version, statements };
}

/** How a statement's Principal names the caller. */
type Naming = 'none' | 'direct' | 'role' | 'account';

/**
 * reference_policies_elements_principal.html:
 *  - "You cannot use a wildcard to match part of a principal name or ARN." Values are compared whole.
 *  - AWS account principals: "you can use the account ARN (arn:aws:iam::account-ID:root), or a shortened form
 *    that consists of the "AWS": prefix followed by the account ID" ... "The account ARN and the shortened
 *    account ID behave the same way. Both delegate permissions to the account. Using the account ARN in the
 *    Principal element does not limit permissions to only the root user of the account." -> 'account'.
 *  - IAM user principals: "the user name part of the Amazon Resource Name (ARN) is case sensitive" -> the
 *    user's ARN, compared exactly: 'direct'.
 *  - Role session principals: "arn:aws:sts::AWS-account-ID:assumed-role/role-name/role-session-name" ->
 *    'direct' for that session.
 *  - IAM role principals: "When you specify a role principal in a resource-based policy, the effective
 *    permissions for the principal are limited by any policy types that limit permissions for the role. This
 *    includes session policies and permissions boundaries." A role's ARN names its sessions -> 'role'.
 *  - All principals: "You can use a wildcard (*) to specify all principals" -> 'direct' (see TrustReadings
 *    for {"AWS": "*"} and callers that are not AWS identities).
 *  - AWS service principals (`"Service"`) and web identity / SAML session principals (`"Federated"`): the
 *    named service or identity provider, compared whole -> 'direct'.
 */
function naming(statement: TrustStatement, caller: ReferenceTrustCaller, readings: TrustReadings): Naming {
  const p = statement.principal;
  if (p === '*') return 'direct';
  const found: Naming[] = [];
  if (caller.kind === 'AWS') {
    const who = caller.principal;
    for (const v of p.AWS ?? []) {
      if (v === '*' || v === who.arn) found.push('direct');
      else if (who.type === 'AssumedRole' && v === who.roleArn) found.push('role');
      else if (v === who.accountId || v === `arn:aws:iam::${who.accountId}:root`) found.push('account');
    }
  } else {
    if ((p.AWS ?? []).includes('*') && (readings.awsStar ?? 'all') === 'all') found.push('direct');
    const list = caller.kind === 'Service' ? p.Service : p.Federated;
    const name = caller.kind === 'Service' ? caller.service : caller.provider;
    if ((list ?? []).includes(name)) found.push('direct');
  }
  return found.includes('direct') ? 'direct' : found.includes('role') ? 'role' : found.includes('account') ? 'account' : 'none';
}

/**
 * The decision for one action (sts:AssumeRole, sts:TagSession, sts:SetSourceIdentity,
 * sts:AssumeRoleWithWebIdentity, ...) of `caller` on the role.
 *
 * 1. reference_policies_evaluation-logic.html, "Deny evaluation": "The AWS enforcement code evaluates all
 *    policies within the account that apply to the request. These include ... resource-based policies,
 *    identity-based policies, IAM permissions boundaries, and session policies. ... If the enforcement code
 *    finds even one explicit deny that applies, the code returns a final decision of Deny." For a caller in
 *    another account, reference_policies_evaluation-logic-cross-account.html: "AWS evaluates the request in the
 *    trusting account and the trusted account" - a Deny in the caller's policies denies there. A Deny statement
 *    of the trust policy applies when its Principal names the caller in any form (the account form included:
 *    it "does not limit permissions to only the root user of the account").
 * 2. "For most resources, you only need an explicit allow for the principal in either an identity-based policy
 *    or a resource-based policy to grant access. IAM role trust policies and KMS key policies are exceptions to
 *    this logic, because they must explicitly allow access for principals." No Allow of the trust policy naming
 *    the caller: implicit deny, whatever the caller's own policies say.
 * 3. Cross-account (the caller's account is not the role's): "The request is allowed only if both account
 *    policy evaluations allow the request" - the caller's own evaluation (identity policies, boundary, session
 *    policies) must allow the action on the role.
 * 4. Same account, by how the Allow names the caller (reference_policies_evaluation-logic.html, resource-based
 *    policies): "IAM user – Within the same account, resource-based policies that grant permissions to an IAM
 *    user ARN ... are not limited by an implicit deny in an identity-based policy or permissions boundary";
 *    "IAM role session – ... grant permissions directly to the assumed role session ... not limited by an
 *    implicit deny in an identity-based policy, a permissions boundary, or session policy"; "IAM role –
 *    Resource-based policies that grant permissions to an IAM role ARN are limited by an implicit deny in a
 *    permissions boundary or session policy"; all principals ("*", reference_policies_elements_principal.html):
 *    "For IAM users and role principals within your account, no other permissions are required."; the account:
 *    it "delegates authority to the account" (principal page), so the caller's identity-based policies must
 *    allow (with its boundary and session policies).
 *    Services and federated callers have no policies of their own here: an Allow naming them suffices.
 */
export function referenceTrustDecide(q: ReferenceTrustQuestion, readings: TrustReadings = {}): ReferenceDecision {
  const request = { action: q.action, resource: q.roleArn, context: q.context };
  const own = q.caller.kind === 'AWS' ? referenceDecide(q.caller.principal, request, 'six-parts', readings.sessionPolicies) : undefined;
  if (own?.verdict === 'ExplicitlyDenied') return { verdict: 'ExplicitlyDenied', why: "a Deny in the caller's own policies" };
  const trust = parseTrustPolicy(q.document);
  if (!trust) return { verdict: 'ImplicitlyDenied', why: 'the trust policy is invalid (IAM would refuse it): it allows nothing' };
  const applying = trust.statements
    .map((s) => ({ s, naming: naming(s, q.caller, readings) }))
    .filter(({ s, naming: n }) => n !== 'none' && referenceStatementApplies(trust.version, s.parsed, q.action, q.context));
  if (applying.some(({ s }) => s.parsed.effect === 'Deny')) return { verdict: 'ExplicitlyDenied', why: 'a Deny statement of the trust policy applies' };
  const allows = new Set(applying.filter(({ s }) => s.parsed.effect === 'Allow').map(({ naming: n }) => n));
  if (allows.size === 0) return { verdict: 'ImplicitlyDenied', why: 'no Allow statement of the trust policy names the caller and applies' };
  if (q.caller.kind !== 'AWS') return { verdict: 'Allowed', why: 'the trust policy allows the service / identity provider' };
  const who = q.caller.principal;
  const ownAllows = own!.verdict === 'Allowed';
  if (who.accountId !== q.roleAccountId) {
    return ownAllows ? { verdict: 'Allowed', why: 'cross-account: the trust policy and the caller\'s own policies allow' } : { verdict: 'ImplicitlyDenied', why: `cross-account: the caller's own policies do not allow (${own!.why})` };
  }
  if (allows.has('direct')) return { verdict: 'Allowed', why: 'the trust policy names the caller itself (or *)' };
  if (allows.has('role') && who.type === 'AssumedRole') {
    const boundaryOk = !who.permissionsBoundary || referencePoliciesAllow([who.permissionsBoundary], request);
    const sessionOk = who.sessionPolicies.length === 0 || referencePoliciesAllow(who.sessionPolicies, request, readings.sessionPolicies);
    if (boundaryOk && sessionOk) return { verdict: 'Allowed', why: "the trust policy names the session's role; its boundary and session policies allow" };
    if (!allows.has('account')) return { verdict: 'ImplicitlyDenied', why: `the trust policy names the session's role, but its ${boundaryOk ? 'session policies do' : 'permissions boundary does'} not allow` };
  }
  return ownAllows ? { verdict: 'Allowed', why: "the trust policy names the account and the caller's own policies allow" } : { verdict: 'ImplicitlyDenied', why: `the trust policy names the account only, and the caller's own policies do not allow (${own!.why})` };
}

/** AssumeRole parameters that become request-context keys. */
export interface ReferenceAssumeRoleParameters {
  readonly roleSessionName: string;
  readonly externalId?: string;
  readonly sourceIdentity?: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly transitiveTagKeys?: readonly string[];
}

/**
 * The request-context keys an AssumeRole call adds to the caller's.
 *  - reference_policies_iam-condition-keys.html: sts:RoleSessionName "is present in the request when the
 *    principal assumes the role using ... any AWS STS AssumeRole API operation"; sts:ExternalId "is present in
 *    the request when the principal provides an external ID while assuming a role"; sts:SourceIdentity "is
 *    present in the request when the principal provides a source identity while assuming a role";
 *    sts:TransitiveTagKeys: "compare the transitive session tag keys in the request with those specified in the
 *    policy" (multivalued; here: present when TransitiveTagKeys are passed).
 *  - reference_policies_condition-keys.html: aws:RequestTag/tag-key "is included in the request context when
 *    tag key-value pairs are passed in the request ... one context key for each tag key-value pair";
 *    aws:TagKeys "a list of tag keys without values". AMBIGUOUS: aws:TagKeys "is included in the request
 *    context if the operation supports passing tags in the request" - with no tags passed, absent or an empty
 *    list; here absent (the generators never ask Null or IfExists of it, where the two would differ).
 */
export function referenceAssumeRoleContext(base: RequestContext, p: ReferenceAssumeRoleParameters): RequestContext {
  const context: Record<string, ContextValue> = { ...base, 'sts:RoleSessionName': p.roleSessionName };
  if (p.externalId !== undefined) context['sts:ExternalId'] = p.externalId;
  if (p.sourceIdentity !== undefined) context['sts:SourceIdentity'] = p.sourceIdentity;
  const tags = Object.entries(p.tags ?? {});
  for (const [k, v] of tags) context[`aws:RequestTag/${k}`] = v;
  if (tags.length > 0) context['aws:TagKeys'] = tags.map(([k]) => k);
  if (p.transitiveTagKeys && p.transitiveTagKeys.length > 0) context['sts:TransitiveTagKeys'] = [...p.transitiveTagKeys];
  return context;
}

/** The verdicts of every reading (for the test's "never Allowed where a reading denies"). */
export function referenceTrustReadings(q: ReferenceTrustQuestion): { readonly verdict: Verdict; readonly why: string; readonly readings: TrustReadings }[] {
  const out: { verdict: Verdict; why: string; readings: TrustReadings }[] = [];
  for (const awsStar of ['all', 'aws-only'] as const) {
    for (const sessionPolicies of ['any', 'every'] as const) out.push({ ...referenceTrustDecide(q, { awsStar, sessionPolicies }), readings: { awsStar, sessionPolicies } });
  }
  return out;
}

