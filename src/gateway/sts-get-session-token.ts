/**
 * GetSessionToken: temporary credentials for an IAM user, the user itself (same ARN, same
 * policies), with `aws:TokenIssueTime` on its requests and no MFA.
 *
 * From AWS:
 *  - STS API Reference, GetSessionToken
 *    (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetSessionToken.html): DurationSeconds
 *    900–129600, default 43200 ("sessions for IAM users can range from 900 seconds (15 minutes) to
 *    129,600 seconds (36 hours), with 43,200 seconds (12 hours) as the default"); SerialNumber
 *    9–256 `[\w+=/:,.@-]*`, TokenCode 6 `[\d]*`.
 *  - IAM User Guide, "Comparing the AWS STS API operations"
 *    (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_request.html#stsapi_comparison):
 *    who may call it: "IAM user or AWS account root user"; its credentials "Cannot call AWS STS API
 *    operations except AssumeRole or GetCallerIdentity"; AssumeRole's credentials "Cannot call
 *    GetFederationToken or GetSessionToken".
 *  - The answer to session credentials, as AWS returns it (quoted by many tools, e.g. "An error
 *    occurred (AccessDenied) when calling the GetSessionToken operation: Cannot call
 *    GetSessionToken with session credentials").
 * MFA (SerialNumber/TokenCode) is refused rather than ignored: the stack has no MFA devices and
 * the local STS cannot verify a code, and credentials claiming MFA would satisfy
 * `aws:MultiFactorAuthPresent` conditions they should not (the stricter choice; our wording).
 */
import type { Principal } from '../iam/principal';
import { mintSession, type SessionCredentials } from './session-tokens';
import { readDurationSeconds, StsError, validationError } from './sts-query';

export const DEFAULT_SESSION_TOKEN_SECONDS = 43_200;

export interface GetSessionTokenRequest {
  readonly durationSeconds: number;
}

/** Reads and checks GetSessionToken's parameters. */
export function parseGetSessionToken(parameters: ReadonlyMap<string, string>): GetSessionTokenRequest {
  const problems: string[] = [];
  const durationSeconds = readDurationSeconds(parameters, 129_600, problems) ?? DEFAULT_SESSION_TOKEN_SECONDS;
  if (problems.length > 0) throw validationError(problems);
  if (parameters.has('SerialNumber') || parameters.has('TokenCode')) {
    throw new StsError(403, 'AccessDenied', 'MultiFactorAuthentication failed: the local STS has no MFA devices and cannot verify SerialNumber or TokenCode; call GetSessionToken without them.');
  }
  return { durationSeconds };
}

/** Issues a user session for `caller` (an IAM user signing with its long-term key). */
export function getSessionToken(caller: Principal, request: GetSessionTokenRequest, sessionKey: Buffer, now: Date): SessionCredentials {
  if (caller.type !== 'User' || 'tokenIssueTime' in caller) {
    throw new StsError(403, 'AccessDenied', 'Cannot call GetSessionToken with session credentials');
  }
  return mintSession(sessionKey, { kind: 'user', userArn: caller.arn, issuedAt: now.getTime(), expiresAt: now.getTime() + request.durationSeconds * 1000 });
}
