/**
 * Identities of other AWS accounts, so the cross-account flow runs locally: for every account a
 * role of the stack trusts as a whole (its trust policy names `arn:aws:iam::<id>:root` or the bare
 * 12-digit id: config `assumableBy.accounts`), one IAM user of that
 * account, `arn:aws:iam::<id>:user/iam-http-api-local`, whose credentials `npm start` keeps in
 * the local credentials file as profile `account-<id>`.
 *
 * Its only policy allows sts:AssumeRole (with sts:TagSession and sts:SetSourceIdentity) on the
 * roles that trust its account: across accounts "the identity-based policy of the caller and the
 * resource-based policy (trust policy) must both allow" (IAM User Guide, "Cross-account policy
 * evaluation logic", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html).
 * It has no execute-api permission, and an HTTP API has no resource policy that could grant one
 * to another account ("HTTP APIs don't support resource policies", API Gateway Developer Guide,
 * "Choosing between REST APIs and HTTP APIs"), so its direct calls to the API are 403: the way in
 * is to assume a role of the API's account.
 */
import { createHash } from 'node:crypto';
import type { IamUserPrincipal, PolicyDocument } from '../iam/principal';
import type { RoleDefinition } from './load-roles';

/** The user each other account gets locally. */
export const ACCOUNT_USER_NAME = 'iam-http-api-local';

export interface AccountIdentity {
  /** The profile in the credentials file: `account-<id>`. */
  readonly name: string;
  readonly accountId: string;
  readonly principal: IamUserPrincipal;
  /** The stack's roles whose trust policy names this account. */
  readonly roles: readonly RoleDefinition[];
}

/** `account-<12 digits>`: the profile of another account's local identity. */
export function accountProfile(accountId: string): string {
  return `account-${accountId}`;
}

/**
 * Accounts other than `ownAccount` that `document`'s Allow statements name as a whole in
 * `Principal.AWS` (root ARN or 12-digit id; a named user or role of another account is not
 * this local identity, so it does not count).
 */
export function trustedAccounts(document: PolicyDocument, ownAccount: string): string[] {
  const found = new Set<string>();
  const raw = document.Statement;
  const statements = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  for (const statement of statements as unknown[]) {
    if (typeof statement !== 'object' || statement === null) continue;
    const { Effect, Principal } = statement as { Effect?: unknown; Principal?: unknown };
    if (Effect !== 'Allow' || typeof Principal !== 'object' || Principal === null) continue;
    const aws = (Principal as { AWS?: unknown }).AWS;
    for (const value of Array.isArray(aws) ? aws : [aws]) {
      if (typeof value !== 'string') continue;
      const id = /^[0-9]{12}$/.test(value) ? value : /^arn:aws[\w-]*:iam::([0-9]{12}):root$/.exec(value)?.[1];
      if (id && id !== ownAccount) found.add(id);
    }
  }
  return [...found];
}

/** One identity per account the roles trust, in the order the roles first name them. */
export function accountIdentities(roles: readonly RoleDefinition[], ownAccount: string): AccountIdentity[] {
  const byAccount = new Map<string, RoleDefinition[]>();
  for (const role of roles) {
    for (const id of trustedAccounts(role.assumeRolePolicy, ownAccount)) byAccount.set(id, [...(byAccount.get(id) ?? []), role]);
  }
  return [...byAccount].map(([accountId, trusting]) => ({
    name: accountProfile(accountId),
    accountId,
    roles: trusting,
    principal: {
      type: 'User',
      accountId,
      name: ACCOUNT_USER_NAME,
      path: '/',
      arn: `arn:aws:iam::${accountId}:user/${ACCOUNT_USER_NAME}`,
      userId: `AIDA${createHash('sha256').update(`account:${accountId}`).digest('hex').toUpperCase().slice(0, 17)}`,
      groups: [],
      tags: {},
      identityPolicies: [{
        name: 'assume-roles-trusting-this-account',
        source: 'user inline',
        document: {
          Version: '2012-10-17',
          Statement: [{ Sid: 'AssumeRolesTrustingThisAccount', Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'], Resource: trusting.map((r) => r.arn) }],
        },
      }],
    },
  }));
}
