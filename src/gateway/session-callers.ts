/**
 * Resolves a request signed with temporary credentials (`ASIA…` key + X-Amz-Security-Token)
 * to the secret to verify its signature with and the assumed-role session principal to
 * authorize it as. The token is opened with the session key (session-tokens.ts); the role is
 * the stack's current one (a role's policies changed after AssumeRole apply to its sessions, as
 * in IAM), and a session of a role no longer in the stack is refused like an invalid token.
 */
import type { RoleSessionPrincipal } from '../iam/principal';
import { errors } from './errors';
import { sessionPrincipal, type RoleDefinition } from './load-roles';
import { isSessionAccessKeyId, openSession } from './session-tokens';

export interface SessionCaller {
  readonly secretAccessKey: string;
  readonly principal: RoleSessionPrincipal;
}

/** Opened sessions kept (principal objects are what the Authorizer caches compiled policies by). */
const MAX_CACHED = 1_000;

export class SessionCallers {
  private readonly roles: ReadonlyMap<string, RoleDefinition>;
  private readonly cache = new Map<string, SessionCaller & { expiresAt: number }>();

  constructor(private readonly key: Buffer, roles: readonly RoleDefinition[]) {
    this.roles = new Map(roles.map((r) => [r.arn, r]));
  }

  /**
   * The caller of `accessKeyId` with `token`: undefined when the key is not a session key, the
   * token is missing, not issued by this gateway, altered, or its role is gone (the caller answers
   * errors.unknownAccessKey()); throws errors.expiredToken() for an authentic, expired token.
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
    const role = this.roles.get(opened.claims.roleArn);
    if (!role) return undefined;
    const caller = {
      secretAccessKey: opened.secretAccessKey,
      principal: sessionPrincipal(role, {
        sessionName: opened.claims.sessionName,
        issuedAt: new Date(opened.claims.issuedAt),
        sessionPolicies: opened.claims.sessionPolicies,
        tags: opened.claims.tags,
      }),
      expiresAt: opened.claims.expiresAt,
    };
    if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(cacheKey, caller);
    return caller;
  }
}
