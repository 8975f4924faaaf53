/**
 * For the banner and gateway.json: each role of the stack, the user invokers whose AssumeRole
 * (a plain session name, no tags) its trust policy and their identity policies allow, and the
 * other accounts' local identities (account-identities.ts) that may assume it — with the
 * ExternalId the trust policy asks of them, read from its `sts:ExternalId` condition (an external
 * id is not a secret: "The external ID is not a secret", IAM User Guide, "How to use an external
 * ID when granting access to your AWS resources to a third party").
 */
import type { ContextValue } from '../iam/decide';
import type { IamUserPrincipal, PolicyDocument } from '../iam/principal';
import { requestContext } from '../iam/request-context';
import { assumeRoleContext, decideAssumeRole } from '../iam/trust-policy';
import { accountIdentities } from './account-identities';
import type { RoleDefinition } from './load-roles';
import type { LoadedStack } from './load-stack';

export interface AccountAssumer {
  /** The profile: `account-<id>`. */
  readonly profile: string;
  readonly accountId: string;
  /** The ExternalId to pass, when the trust policy asks for one. */
  readonly externalId?: string;
}

export interface RoleAssumers {
  readonly role: RoleDefinition;
  /** Profiles of user invokers (this account) that may assume it. */
  readonly invokers: readonly string[];
  /** Other accounts' local identities that may assume it. */
  readonly accounts: readonly AccountAssumer[];
  /**
   * Callers that are not IAM principals, named by the trust policy's Allow statements: `GitHub
   * Actions` for the GitHub OIDC provider, `federated <provider>` for another, `service <name>`
   * for an AWS service (which nothing local can act as).
   */
  readonly others: readonly string[];
}

/** The Service and Federated principals of the trust policy's Allow statements, described. */
function otherTrusted(document: PolicyDocument): string[] {
  const found = new Set<string>();
  const raw = document.Statement;
  for (const statement of (Array.isArray(raw) ? raw : [raw]) as unknown[]) {
    const { Effect, Principal } = (statement ?? {}) as { Effect?: unknown; Principal?: unknown };
    if (Effect !== 'Allow' || typeof Principal !== 'object' || Principal === null) continue;
    const values = (type: string): string[] => {
      const value = (Principal as Record<string, unknown>)[type];
      return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
    };
    for (const provider of values('Federated')) found.add(provider.endsWith(':oidc-provider/token.actions.githubusercontent.com') ? 'GitHub Actions' : `federated ${provider}`);
    for (const service of values('Service')) found.add(`service ${service}`);
  }
  return [...found];
}

/** `sts:ExternalId` values the trust policy's StringEquals/StringLike conditions name (no wildcards). */
function externalIdsOf(document: PolicyDocument): string[] {
  const found = new Set<string>();
  const raw = document.Statement;
  for (const statement of (Array.isArray(raw) ? raw : [raw]) as unknown[]) {
    const condition = (statement as { Condition?: Record<string, Record<string, unknown>> } | undefined)?.Condition;
    for (const [operator, keys] of Object.entries(condition ?? {})) {
      if (!/^String(Equals|Like)$/.test(operator) || typeof keys !== 'object' || keys === null) continue;
      for (const [key, value] of Object.entries(keys)) {
        if (key.toLowerCase() !== 'sts:externalid') continue;
        for (const v of Array.isArray(value) ? value : [value]) if (typeof v === 'string' && !/[*?]/.test(v)) found.add(v);
      }
    }
  }
  return [...found];
}

function mayAssume(stack: LoadedStack, role: RoleDefinition, principal: IamUserPrincipal, now: Date, externalId?: string): boolean {
  const context: Record<string, ContextValue> = assumeRoleContext(
    requestContext(principal, { sourceIp: '127.0.0.1', now, region: stack.region, secureTransport: true, resourceAccount: role.accountId }),
    { roleSessionName: 'session', ...(externalId !== undefined ? { externalId } : {}) },
  );
  return decideAssumeRole(role.assumeRolePolicy, {
    action: 'sts:AssumeRole', roleArn: role.arn, roleAccountId: role.accountId, context,
    caller: { kind: 'AWS', arn: principal.arn, accountId: principal.accountId, user: principal },
  }).verdict === 'Allowed';
}

export function whoMayAssume(stack: LoadedStack, now: Date = new Date()): RoleAssumers[] {
  const roles = stack.roles ?? [];
  const identities = accountIdentities(roles, stack.accountId);
  return roles.map((role) => {
    const externalIds = externalIdsOf(role.assumeRolePolicy);
    const accounts: AccountAssumer[] = [];
    for (const identity of identities.filter((i) => i.roles.includes(role))) {
      const externalId = [undefined, ...externalIds].find((id) => mayAssume(stack, role, identity.principal, now, id));
      if (mayAssume(stack, role, identity.principal, now, externalId)) accounts.push({ profile: identity.name, accountId: identity.accountId, ...(externalId !== undefined ? { externalId } : {}) });
    }
    return { role, invokers: stack.invokers.filter((i) => mayAssume(stack, role, i.principal, now)).map((i) => i.name), accounts, others: otherTrusted(role.assumeRolePolicy) };
  });
}
