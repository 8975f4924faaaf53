/**
 * The reference's view of an assumed-role session, written from AWS's documentation only (not from
 * src/iam or src/gateway): which policies apply to it, and the request context IAM builds for a request it
 * signs. The decision itself is referenceDecide (evaluate.ts), which already follows "Policy evaluation
 * logic" for session principals (identity, boundary, session policies).
 *
 * Pages (https://docs.aws.amazon.com/IAM/latest/UserGuide/ unless a full address is given):
 *  - access_policies.html#policies_session ("Session policies")
 *  - reference_policies_evaluation-logic.html ("Policy evaluation logic")
 *  - access_policies_boundaries.html ("Permissions boundaries for IAM entities")
 *  - reference_policies_condition-keys.html ("AWS global condition context keys")
 *  - reference_policies_variables.html#principaltable ("Principal key values")
 *  - id_session-tags.html ("Pass session tags in AWS STS")
 *  - https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html (the Tags parameter)
 */
import type { NamedPolicy, RoleSessionPrincipal } from '../../../src/iam/principal';
import type { AuthorizationRequest, ContextValue, RequestContext } from '../../../src/iam/decide';
import { type ColonReading, referenceDecide, type ReferenceDecision, type SessionPoliciesReading } from './evaluate';

/** An IAM role as the reference needs it. */
export interface ReferenceRole {
  readonly accountId: string;
  readonly name: string;
  /** IAM path, `/` or `/a/b/`. */
  readonly path: string;
  /** The role's unique id, `AROA...`. */
  readonly roleId: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Inline and managed policies of the role. */
  readonly identityPolicies: readonly NamedPolicy[];
  readonly permissionsBoundary?: NamedPolicy;
}

/** What AssumeRole was called with. */
export interface ReferenceSession {
  readonly sessionName: string;
  readonly issuedAt: Date;
  readonly sessionPolicies: readonly NamedPolicy[];
  readonly tags: Readonly<Record<string, string>>;
  readonly sourceIdentity?: string;
}

/** Facts of one request. */
export interface ReferenceFacts {
  readonly sourceIp: string;
  readonly now: Date;
  readonly userAgent?: string;
  readonly region: string;
  readonly secureTransport: boolean;
}

export const roleArnOf = (role: ReferenceRole): string => `arn:aws:iam::${role.accountId}:role${role.path}${role.name}`;

/** `2025-06-15T12:00:00Z`: ISO 8601 at second precision, as the generators write times. */
const iso = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * The session's principal tags: the role's tags with the session tags over them, keys compared without case.
 *
 * id_session-tags.html, "Things to know about session tags": "New session tags override existing assumed role
 * or federated user tags with the same tag key, regardless of case."
 * API_AssumeRole.html, Tags: "You can pass a session tag with the same key as a tag that is already attached
 * to the role. When you do, session tags override a role tag with the same key. Tag key–value pairs are not
 * case sensitive, but case is preserved. This means that you cannot have separate Department and department
 * tag keys. Assume that the role has the Department=Marketing tag and you pass the department=engineering
 * session tag. Department and department are not saved as separate tags, and the session tag passed in the
 * request takes precedence over the role tag."
 */
export function referencePrincipalTags(roleTags: Readonly<Record<string, string>>, sessionTags: Readonly<Record<string, string>>): Record<string, string> {
  const byLower = new Map<string, [string, string]>();
  for (const [k, v] of Object.entries(roleTags)) byLower.set(k.toLowerCase(), [k, v]);
  for (const [k, v] of Object.entries(sessionTags)) byLower.set(k.toLowerCase(), [k, v]);
  return Object.fromEntries(byLower.values());
}

/**
 * The request context of a request signed with the session's credentials.
 *
 * reference_policies_condition-keys.html:
 *  - aws:PrincipalArn: "For IAM roles, the request context returns the ARN of the role, not the ARN of the user
 *    that assumed the role." ... "IAM role – ... Do not specify the assumed role session ARN as a value for this
 *    condition key." So the value is arn:aws:iam::<account>:role<path><name>.
 *  - aws:userid, aws:username, aws:PrincipalType: "For specific examples of principal key values, see Principal
 *    key values" (reference_policies_variables.html#principaltable), whose row for a role reads: aws:username
 *    "not present", aws:userid "role-id:caller-specified-role-name", aws:PrincipalType "AssumedRole".
 *    aws:username: "Anonymous requests and requests that are made using the AWS account root user or IAM roles
 *    do not include this key."
 *  - aws:PrincipalAccount: "This key is included in the request context for all requests".
 *  - aws:PrincipalTag/tag-key: "It is included for a principal using an IAM role with attached tags or session
 *    tags" (merged as referencePrincipalTags says).
 *  - aws:TokenIssueTime: "This key is included in the request context only when the principal uses temporary
 *    credentials to make the request."
 *  - aws:MultiFactorAuthPresent: "This key is included in the request context only when the principal uses
 *    temporary credentials to make the request." A session from AssumeRole without SerialNumber/TokenCode
 *    was not validated with MFA: the value is "false".
 *  - aws:SourceIdentity: "This key is included in the request context after a source identity has been set when
 *    a role is assumed ... It is present in the request context for all actions taken by the role."
 *  - aws:SourceIp, aws:CurrentTime, aws:EpochTime, aws:UserAgent, aws:RequestedRegion, aws:SecureTransport: the
 *    request's own facts, as for any principal.
 */
export function referenceSessionContext(role: ReferenceRole, session: ReferenceSession, facts: ReferenceFacts): RequestContext {
  const context: Record<string, ContextValue> = {
    'aws:SourceIp': facts.sourceIp,
    'aws:CurrentTime': iso(facts.now),
    'aws:EpochTime': String(Math.floor(facts.now.getTime() / 1000)),
    'aws:RequestedRegion': facts.region,
    'aws:SecureTransport': String(facts.secureTransport),
    'aws:PrincipalAccount': role.accountId,
    'aws:PrincipalArn': roleArnOf(role),
    'aws:userid': `${role.roleId}:${session.sessionName}`,
    'aws:PrincipalType': 'AssumedRole',
    'aws:TokenIssueTime': iso(session.issuedAt),
    'aws:MultiFactorAuthPresent': 'false',
  };
  if (facts.userAgent !== undefined) context['aws:UserAgent'] = facts.userAgent;
  if (session.sourceIdentity !== undefined) context['aws:SourceIdentity'] = session.sourceIdentity;
  for (const [k, v] of Object.entries(referencePrincipalTags(role.tags, session.tags))) context[`aws:PrincipalTag/${k}`] = v;
  return context;
}

/**
 * The policies that apply to the session. access_policies.html#policies_session: "The permissions for a session
 * are the intersection of the identity-based policies for the IAM entity (user or role) used to create the
 * session and the session policies." ... "A permissions boundary can set the maximum permissions for a user or
 * role that is used to create a session. In that case, the resulting session's permissions are the intersection
 * of the session policy, the permissions boundary, and the identity-based policy."
 * The shape is the project's Principal type only because referenceDecide takes it; every field is filled here.
 */
export function referenceSessionPrincipal(role: ReferenceRole, session: ReferenceSession): RoleSessionPrincipal {
  return {
    type: 'AssumedRole',
    accountId: role.accountId,
    tags: referencePrincipalTags(role.tags, session.tags),
    identityPolicies: role.identityPolicies,
    ...(role.permissionsBoundary ? { permissionsBoundary: role.permissionsBoundary } : {}),
    roleName: role.name,
    rolePath: role.path,
    roleArn: roleArnOf(role),
    roleId: role.roleId,
    sessionName: session.sessionName,
    arn: `arn:aws:sts::${role.accountId}:assumed-role/${role.name}/${session.sessionName}`,
    userId: `${role.roleId}:${session.sessionName}`,
    sessionPolicies: session.sessionPolicies,
    tokenIssueTime: session.issuedAt,
  };
}

/** The reference decision for `action` on `resource` by the session, with the context referenceSessionContext builds. */
export function referenceSessionDecide(
  role: ReferenceRole,
  session: ReferenceSession,
  facts: ReferenceFacts,
  request: Omit<AuthorizationRequest, 'context'>,
  readings: { readonly colon?: ColonReading; readonly sessionPolicies?: SessionPoliciesReading } = {},
): ReferenceDecision {
  const context = referenceSessionContext(role, session, facts);
  return referenceDecide(referenceSessionPrincipal(role, session), { ...request, context }, readings.colon, readings.sessionPolicies);
}
