/**
 * Who signed a request, as IAM sees it: the identity, its tags, and every policy that applies
 * to it, each with a name the explanation of a decision can quote.
 *
 * Two kinds of principal share one shape so the evaluator needs no rewrite for the second:
 * an IAM user with long-term keys (today), and an assumed-role session (a role's policies,
 * narrowed by session policies, tagged by the role and the session).
 */

/** A policy document exactly as written (parsed JSON); validated by `parse-policy.ts`. */
export interface PolicyDocument {
  readonly Version?: unknown;
  readonly Id?: unknown;
  readonly Statement?: unknown;
  readonly [element: string]: unknown;
}

/** Where a policy comes from; shown in explanations ("inline policy invoke-api of user viewer"). */
export type PolicySource =
  | 'user inline'
  | 'user managed'
  | 'group inline'
  | 'group managed'
  | 'role inline'
  | 'role managed'
  | 'permissions boundary'
  | 'session policy';

export interface NamedPolicy {
  /** The policy's IAM name (`invoke-api`, a managed policy's name, ...). */
  readonly name: string;
  readonly source: PolicySource;
  /** The group a group policy comes from. */
  readonly group?: string;
  /** The Terraform address it was read from (`aws_iam_user_policy.invoker_viewer_invoke`), if any. */
  readonly address?: string;
  readonly document: PolicyDocument;
}

interface PrincipalBase {
  /** 12 digits (`aws:PrincipalAccount`). */
  readonly accountId: string;
  /** Principal tags (`aws:PrincipalTag/<key>`): for a user its tags over the provider's `default_tags`. */
  readonly tags: Readonly<Record<string, string>>;
  /**
   * Identity-based policies: for a user its inline and managed policies and those of its
   * groups; for a session the role's inline and managed policies.
   */
  readonly identityPolicies: readonly NamedPolicy[];
  /** The permissions boundary of the user or role, if it has one (a managed policy). */
  readonly permissionsBoundary?: NamedPolicy;
}

/** An IAM user signing with a long-term access key (`AKIA...`). */
export interface IamUserPrincipal extends PrincipalBase {
  readonly type: 'User';
  /** `aws:username`. */
  readonly name: string;
  /** IAM path, `/` or `/a/b/`. */
  readonly path: string;
  /** `arn:aws:iam::<account>:user<path><name>` (`aws:PrincipalArn`). */
  readonly arn: string;
  /** The unique id, `AIDA...` (`aws:userid`). */
  readonly userId: string;
  /** Names of the groups the user is a member of (their policies are already in `identityPolicies`). */
  readonly groups: readonly string[];
  /**
   * Set when the user signs with temporary credentials of its own (GetSessionToken): when they
   * were issued (`aws:TokenIssueTime`). Absent for a long-term `AKIA...` key.
   */
  readonly tokenIssueTime?: Date;
}

/** A session of an assumed IAM role (`ASIA...` keys with a session token). */
export interface RoleSessionPrincipal extends PrincipalBase {
  readonly type: 'AssumedRole';
  readonly roleName: string;
  readonly rolePath: string;
  /** `arn:aws:iam::<account>:role<path><name>` (`aws:PrincipalArn` of a session is the role's ARN). */
  readonly roleArn: string;
  /** The role's unique id, `AROA...`. */
  readonly roleId: string;
  readonly sessionName: string;
  /** `arn:aws:sts::<account>:assumed-role/<name>/<session>`. */
  readonly arn: string;
  /** `<roleId>:<sessionName>` (`aws:userid`). */
  readonly userId: string;
  /** Session policies passed to AssumeRole; when present, they bound what the session may do. */
  readonly sessionPolicies: readonly NamedPolicy[];
  /** When the session's credentials were issued (`aws:TokenIssueTime`). */
  readonly tokenIssueTime: Date;
  /** The `SourceIdentity` set when the role was assumed (`aws:SourceIdentity`), kept through role chaining. */
  readonly sourceIdentity?: string;
}

export type Principal = IamUserPrincipal | RoleSessionPrincipal;

/** A human-readable name of a policy for explanations: `inline policy invoke-api of group admins`. */
export function describePolicy(policy: NamedPolicy): string {
  switch (policy.source) {
    case 'user inline':
      return `inline policy ${policy.name}`;
    case 'user managed':
    case 'role managed':
      return `managed policy ${policy.name}`;
    case 'group inline':
      return `inline policy ${policy.name} of group ${policy.group ?? '?'}`;
    case 'group managed':
      return `managed policy ${policy.name} of group ${policy.group ?? '?'}`;
    case 'role inline':
      return `inline policy ${policy.name} of the role`;
    case 'permissions boundary':
      return `permissions boundary ${policy.name}`;
    case 'session policy':
      return `session policy ${policy.name}`;
  }
}
