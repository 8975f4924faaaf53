/**
 * The local STS's AssumeRole, apart from HTTP (sts-server.ts calls it): a role of the stack,
 * decided with its trust policy and the caller's own policies (trust-policy.ts), then a session
 * minted with the gateway's session key (session-tokens.ts).
 *
 *  - Passing tags also needs sts:TagSession, a SourceIdentity sts:SetSourceIdentity, as in AWS.
 *  - A role that is not in the stack is refused as AWS refuses one the caller may not assume
 *    (AccessDenied), so callers cannot probe for roles.
 *  - `PolicyArns.member.N.arn`: customer managed policies of the stack (the role's account: "The
 *    policies must exist in the same account as the role", API Reference, AssumeRole,
 *    PolicyArns), resolved to their documents and kept in the session as session policies beside
 *    `Policy`; the session may do what the role allows and every session policy allows (the
 *    stricter reading of several session policies, decide.ts). An ARN the stack does not define is refused with IAM's words for a policy that
 *    does not exist ("Policy <arn> does not exist or is not attachable."; that STS uses the same
 *    text is unconfirmed), an AWS managed policy with a local message: its document is not here.
 *  - Session tags in a role chain (sts-session-tags.ts): the caller session's transitive tags pass
 *    on, stay transitive, and cannot be passed again; in the trust policy's evaluation they stand
 *    for the role's tags of the same key (`aws:ResourceTag/<k>`: "the value of a transitive tag
 *    overrides the role matching the ResourceTag value before the evaluation of the role trust
 *    policy", IAM User Guide, id_session-tags.html).
 *  - PackedPolicySize (packed-policy.ts) is answered when session policies or tags are passed.
 *  - [source-identity] A SourceIdentity "persists when a role is used to assume another role ...
 *    The value that is set cannot be changed during the role session"; in a chain "permissions for
 *    sts:SetSourceIdentity are required in both the permissions policy of the principal who is
 *    assuming the role and in the role trust policy of the target role" (IAM User Guide, "Monitor
 *    and control actions taken with assumed roles", id_credentials_temp_control-access_monitor.html):
 *    the inherited value is passed on and needs sts:SetSourceIdentity; another value is refused.
 */
import type { Principal } from '../iam/principal';
import { requestContext } from '../iam/request-context';
import { assumeRoleContext, decideAssumeRole, type TrustAction } from '../iam/trust-policy';
import type { LoadedStack } from './load-stack';
import { checkPackedPolicySize, packedPolicySize } from './packed-policy';
import { mintSession, type SessionClaims } from './session-tokens';
import { assumeRoleDenied, checkDuration, parseAssumeRole, StsError } from './sts-query';
import { chainSessionTags, inheritedTags } from './sts-session-tags';
import { assumeRoleXml } from './sts-xml';

export interface AssumeRoleCaller {
  readonly principal: Principal;
  /** The caller's session claims, when it signs with temporary credentials. */
  readonly claims?: SessionClaims;
}

export interface AssumeRoleEnvironment {
  readonly stack: LoadedStack;
  readonly sessionKey: Buffer;
  readonly now: Date;
  readonly sourceIp: string;
  readonly userAgent?: string;
  /** Why a request was denied (the trust decision's explanation). */
  readonly log?: (line: string) => void;
}

/** AssumeRole's XML answer for `caller`, or throws the StsError AWS would answer. */
export function answerAssumeRole(caller: AssumeRoleCaller, parameters: ReadonlyMap<string, string>, env: AssumeRoleEnvironment, requestId: string): string {
  const { principal } = caller;
  const request = parseAssumeRole(parameters);
  const { stack, now } = env;
  const role = (stack.roles ?? []).find((r) => r.arn === request.roleArn);
  if (!role) throw assumeRoleDenied(principal.arn, 'sts:AssumeRole', request.roleArn);

  const managed = request.policyArns.map((arn) => {
    const policy = role.managedPolicy?.(arn);
    if (policy) return { name: policy.name, document: policy.document };
    if (/^arn:aws[\w-]*:iam::aws:policy\//.test(arn)) {
      throw new StsError(400, 'InvalidParameterValue', `Policy ${arn} is an AWS managed policy: its document is not in the stack, so the local STS cannot apply it as a session policy (define the policy with aws_iam_policy and pass its ARN instead).`);
    }
    throw new StsError(400, 'InvalidParameterValue', `Policy ${arn} does not exist or is not attachable.`);
  });

  const callerSession = caller.claims && caller.claims.kind !== 'user' ? caller.claims : undefined;
  const inherited = inheritedTags(callerSession && { tags: callerSession.tags, transitiveTagKeys: callerSession.transitiveTagKeys ?? [] });
  const session = chainSessionTags(inherited, { tags: request.tags, transitiveTagKeys: request.transitiveTagKeys });
  // [source-identity] set once, it persists through the chain and cannot be changed (our wording).
  const sourceIdentity = callerSession?.sourceIdentity ?? request.sourceIdentity;
  if (callerSession?.sourceIdentity !== undefined && request.sourceIdentity !== undefined && request.sourceIdentity !== callerSession.sourceIdentity) {
    throw new StsError(400, 'InvalidParameterValue', `The source identity ${callerSession.sourceIdentity} of the calling session cannot be changed in a role chain.`);
  }

  const context = assumeRoleContext(
    requestContext(principal, { sourceIp: env.sourceIp, now, region: stack.region, secureTransport: true, resourceAccount: role.accountId, ...(env.userAgent ? { userAgent: env.userAgent } : {}) }),
    {
      roleSessionName: request.roleSessionName, tags: request.tags, transitiveTagKeys: request.transitiveTagKeys,
      ...(request.externalId !== undefined ? { externalId: request.externalId } : {}),
      ...(sourceIdentity !== undefined ? { sourceIdentity } : {}),
    },
  );
  for (const [key, value] of Object.entries({ ...role.tags, ...inherited.tags })) context[`aws:ResourceTag/${key}`] = value;

  const actions: TrustAction[] = ['sts:AssumeRole'];
  if (Object.keys(request.tags).length > 0) actions.push('sts:TagSession');
  if (sourceIdentity !== undefined) actions.push('sts:SetSourceIdentity');
  for (const action of actions) {
    const decision = decideAssumeRole(role.assumeRolePolicy, {
      action, roleArn: role.arn, roleAccountId: role.accountId, context,
      caller: { kind: 'AWS', arn: principal.arn, accountId: principal.accountId, user: principal },
    });
    if (decision.verdict !== 'Allowed') {
      env.log?.(`sts AssumeRole ${principal.arn} denied: ${decision.explanation}`);
      throw assumeRoleDenied(principal.arn, action, role.arn);
    }
  }

  // Role chaining's one-hour cap applies to any caller with temporary credentials, a user's own
  // (GetSessionToken) included. AWS's pages do not say so for GetSessionToken credentials; users
  // report STS answering them "The requested DurationSeconds exceeds the 1 hour session limit for
  // roles assumed by role chaining" (github.com/mmmorris1975/aws-runas/issues/11,
  // github.com/99designs/aws-vault/issues/263): the stricter reading.
  const chained = principal.type === 'AssumedRole' || principal.tokenIssueTime !== undefined;
  const durationSeconds = request.durationSeconds ?? 3600;
  checkDuration(durationSeconds, role.maxSessionDurationSeconds, chained);
  const passed = request.policy !== undefined || request.policyArns.length > 0 || Object.keys(session.tags).length > 0;
  const packed = passed ? packedPolicySize({ ...(request.policy ? { policy: request.policy } : {}), policyArns: request.policyArns, tags: session.tags }) : undefined;
  if (packed !== undefined) checkPackedPolicySize(packed);

  const credentials = mintSession(env.sessionKey, {
    kind: 'role',
    roleArn: role.arn,
    sessionName: request.roleSessionName,
    issuedAt: now.getTime(),
    expiresAt: now.getTime() + durationSeconds * 1000,
    sessionPolicies: [...(request.policy ? [{ name: 'Policy', document: request.policy }] : []), ...managed],
    tags: session.tags,
    ...(session.transitiveTagKeys.length > 0 ? { transitiveTagKeys: session.transitiveTagKeys } : {}),
    ...(sourceIdentity !== undefined ? { sourceIdentity } : {}),
  });
  return assumeRoleXml(
    credentials,
    { assumedRoleId: `${role.roleId}:${request.roleSessionName}`, arn: `arn:aws:sts::${role.accountId}:assumed-role/${role.name}/${request.roleSessionName}` },
    requestId,
    { ...(packed !== undefined ? { packedPolicySize: packed } : {}), ...(sourceIdentity !== undefined ? { sourceIdentity } : {}) },
  );
}
