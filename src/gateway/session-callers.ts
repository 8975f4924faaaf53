/**
 * Resolves a request signed with temporary credentials (`ASIA…` key + X-Amz-Security-Token)
 * to the secret to verify its signature with and the principal to authorize it as. The token is
 * opened with the session key (session-tokens.ts); what it names is looked up in the stack as it
 * is now (a role's or user's policies changed after the session was issued apply to it, as in
 * IAM), and a session whose role or user is no longer there is refused like an invalid token.
 *
 * Two kinds of session:
 *  - a role session (AssumeRole): the role's policies, narrowed by the session's (load-roles.ts
 *    sessionPrincipal);
 *  - a user session (GetSessionToken): the user itself, same ARN and policies, with the time its
 *    token was issued (`aws:TokenIssueTime`). "The temporary credentials ... have the same
 *    permissions as the IAM user" (IAM User Guide, "Requesting temporary security credentials",
 *    GetSessionToken, https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_request.html).
 */
import type { IamUserPrincipal, Principal } from '../iam/principal';
import { errors } from './errors';
import { sessionPrincipal, type RoleDefinition } from './load-roles';
import { isSessionAccessKeyId, openSession, type SessionClaims } from './session-tokens';

/** An IAM user signing with GetSessionToken credentials: the user, and when its token was issued. */
export type UserSessionPrincipal = IamUserPrincipal & { readonly tokenIssueTime: Date };

/**
 * For log lines (the gateway's and the STS's) when a request's session token does not open: it was
 * sealed with another session key.
 */
export const FOREIGN_SESSION_HINT = "a session token this gateway did not issue: from another npm start, an earlier .iam-http-api/session-key, or a client's cache such as ~/.aws/cli/cache";

export interface SessionCaller {
  readonly secretAccessKey: string;
  readonly principal: Principal;
  /** For logs: `assumed-role/<role>/<session>`, or `<profile> (session)` for a user session. */
  readonly name: string;
  /** What the token says (the STS reads the transitive tags of a chained session from it). */
  readonly claims: SessionClaims;
}

/** A user that may hold GetSessionToken sessions: its profile name and principal. */
export interface SessionUser {
  readonly name: string;
  readonly principal: IamUserPrincipal;
}

/** Opened sessions kept (principal objects are what the Authorizer caches compiled policies by). */
const MAX_CACHED = 1_000;

export class SessionCallers {
  private readonly roles: ReadonlyMap<string, RoleDefinition>;
  private readonly users: ReadonlyMap<string, SessionUser>;
  private readonly cache = new Map<string, SessionCaller & { expiresAt: number }>();

  constructor(private readonly key: Buffer, roles: readonly RoleDefinition[], users: readonly SessionUser[] = []) {
    this.roles = new Map(roles.map((r) => [r.arn, r]));
    this.users = new Map(users.map((u) => [u.principal.arn, u]));
  }

  /**
   * The caller of `accessKeyId` with `token`: undefined when the key is not a session key, the
   * token is missing, not issued by this gateway, altered, or its role or user is gone (the caller
   * answers errors.unknownAccessKey()); throws errors.expiredToken() for an authentic, expired token.
   */
  resolve(accessKeyId: string, token: string | undefined, now: Date): SessionCaller | undefined {
    if (!isSessionAccessKeyId(accessKeyId) || token === undefined) return undefined;
    const cacheKey = `${accessKeyId}\u0000${token}`;
    const cached = this.cache.get(cacheKey);
    if (cached) {
      if (now.getTime() >= cached.expiresAt) throw errors.expiredToken();
      return cached;
    }
    const opened = openSession(this.key, accessKeyId, token, now);
    if (!opened.ok) {
      if (opened.reason === 'expired') throw errors.expiredToken();
      return undefined;
    }
    const { claims } = opened;
    let caller: SessionCaller & { expiresAt: number };
    if (claims.kind === 'user') {
      const user = this.users.get(claims.userArn);
      if (!user) return undefined;
      const principal: UserSessionPrincipal = { ...user.principal, tokenIssueTime: new Date(claims.issuedAt) };
      caller = { secretAccessKey: opened.secretAccessKey, principal, name: `${user.name} (session)`, claims, expiresAt: claims.expiresAt };
    } else {
      const role = this.roles.get(claims.roleArn);
      if (!role) return undefined;
      const principal = sessionPrincipal(role, { sessionName: claims.sessionName, issuedAt: new Date(claims.issuedAt), sessionPolicies: claims.sessionPolicies, tags: claims.tags, ...(claims.sourceIdentity !== undefined ? { sourceIdentity: claims.sourceIdentity } : {}) });
      caller = { secretAccessKey: opened.secretAccessKey, principal, name: `assumed-role/${principal.roleName}/${principal.sessionName}`, claims, expiresAt: claims.expiresAt };
    }
    if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(cacheKey, caller);
    return caller;
  }
}
