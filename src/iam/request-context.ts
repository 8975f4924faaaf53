/**
 * The request context IAM evaluates a policy against: global condition keys for the
 * principal and the request. Keys are looked up case-insensitively ("Condition key names are
 * not case-sensitive", IAM User Guide, "IAM JSON policy elements: Condition",
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html).
 *
 * Which keys exist, from "AWS global condition context keys"
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html),
 * for a request to execute-api signed by:
 *  - an IAM user with a long-term key: aws:username, aws:userid (the user's AIDA id),
 *    aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType = User, aws:PrincipalTag/<k>
 *    (the user's tags), aws:PrincipalIsAWSService = false, aws:ResourceAccount, aws:SourceIp, aws:CurrentTime,
 *    aws:EpochTime, aws:UserAgent (when sent), aws:RequestedRegion, aws:SecureTransport.
 *    Absent: aws:MultiFactorAuthPresent and aws:MultiFactorAuthAge ("not present when ... an
 *    IAM user's access key is used"), aws:TokenIssueTime (temporary credentials only).
 *  - an assumed-role session: aws:userid = `<role id>:<session name>`, aws:PrincipalArn = the
 *    role's ARN, aws:PrincipalType = AssumedRole, aws:PrincipalTag/<k> from the role's tags
 *    with session tags winning, aws:TokenIssueTime; no aws:username; aws:SourceIdentity when
 *    the role was assumed with one ("included in the request context after a source identity
 *    has been set when a role is assumed ... present ... for all actions taken by the role").
 *  - an IAM user with temporary credentials of its own (GetSessionToken): the user's keys, plus
 *    aws:TokenIssueTime.
 * With temporary credentials aws:MultiFactorAuthPresent is present ("included in the request
 * context only when the principal uses temporary credentials") and "false": nothing here
 * authenticates with MFA. Leaving it out would let the usual `"Bool":
 * {"aws:MultiFactorAuthPresent": "false"}` Deny pass (found by the session differential test).
 * aws:SecureTransport is "true": API Gateway serves execute-api over HTTPS only, and the local
 * gateway decides what AWS would decide for the deployed API even though it listens on http.
 */
import type { Principal } from './principal';
import type { ContextValue, RequestContext } from './decide';

/** Case-insensitive read access to a request context. */
export interface ContextLookup {
  get(key: string): ContextValue | undefined;
}

/** A lookup over `context`: keys lower-cased once, in a prototype-free map. */
export function contextLookup(context: RequestContext): ContextLookup {
  const map = new Map<string, ContextValue>();
  for (const key of Object.keys(context)) map.set(key.toLowerCase(), context[key]);
  return { get: (key) => map.get(key.toLowerCase()) };
}

/** Facts of one request that IAM puts into the context. */
export interface RequestFacts {
  /** `aws:SourceIp`. */
  readonly sourceIp: string;
  /** `aws:CurrentTime` / `aws:EpochTime`, at second precision. */
  readonly now: Date;
  /** `aws:UserAgent`; absent from the context when the request has none. */
  readonly userAgent?: string;
  /** `aws:RequestedRegion`: the region of the API. */
  readonly region: string;
  /** `aws:SecureTransport`: true for what AWS would serve (execute-api is HTTPS-only). */
  readonly secureTransport: boolean;
  /** `aws:ResourceAccount`: the API's account; the principal's when not given. */
  readonly resourceAccount?: string;
}

/** Request-dependent keys (lower-case): what a decision cache must key on when a policy reads them. */
export const REQUEST_KEYS = ['aws:sourceip', 'aws:useragent', 'aws:currenttime', 'aws:epochtime', 'aws:requestedregion', 'aws:securetransport', 'aws:resourceaccount'] as const;
/** Keys whose value changes with the clock. */
export const TIME_KEYS = ['aws:currenttime', 'aws:epochtime'] as const;

/** The context AWS builds for `principal` calling execute-api with these request facts. */
export function requestContext(principal: Principal, facts: RequestFacts): Record<string, ContextValue> {
  const seconds = Math.floor(facts.now.getTime() / 1000);
  const context: Record<string, ContextValue> = Object.create(null) as Record<string, ContextValue>;
  context['aws:SourceIp'] = facts.sourceIp;
  context['aws:CurrentTime'] = new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
  context['aws:EpochTime'] = String(seconds);
  context['aws:SecureTransport'] = String(facts.secureTransport);
  context['aws:RequestedRegion'] = facts.region;
  context['aws:PrincipalAccount'] = principal.accountId;
  context['aws:ResourceAccount'] = facts.resourceAccount ?? principal.accountId;
  context['aws:PrincipalIsAWSService'] = 'false';
  context['aws:ViaAWSService'] = 'false';
  context['aws:userid'] = principal.userId;
  if (facts.userAgent !== undefined) context['aws:UserAgent'] = facts.userAgent;
  if (principal.type === 'User') {
    context['aws:username'] = principal.name;
    context['aws:PrincipalArn'] = principal.arn;
    context['aws:PrincipalType'] = 'User';
  } else {
    context['aws:PrincipalArn'] = principal.roleArn;
    context['aws:PrincipalType'] = 'AssumedRole';
    if (principal.sourceIdentity !== undefined) context['aws:SourceIdentity'] = principal.sourceIdentity;
  }
  if (principal.tokenIssueTime !== undefined) {
    context['aws:TokenIssueTime'] = principal.tokenIssueTime.toISOString().replace(/\.\d{3}Z$/, 'Z');
    context['aws:MultiFactorAuthPresent'] = 'false';
  }
  for (const [tag, value] of Object.entries(principal.tags)) context[`aws:PrincipalTag/${tag}`] = value;
  return context;
}
