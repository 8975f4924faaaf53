/**
 * The API's callers. Per user invoker: an IAM user, an inline policy allowing
 * `execute-api:Invoke` on exactly its routes, and an access key; outputs the key id, and the
 * secret as a sensitive output (or, with a PGP key, only the encrypted secret).
 * Per role invoker: an IAM role whose trust policy names who may assume it (user invokers,
 * other accounts, AWS services, GitHub Actions through OIDC), the same kind of inline invoke
 * policy, and its ARN as an output; each user it trusts gets a policy allowing
 * `sts:AssumeRole` on it. GitHub's OIDC provider is created once, when a role needs it, unless
 * the roles reference an existing one (`githubOidc.providerArn`: IAM allows one per URL per
 * account, so a second stack in the account uses the first one's).
 */
import { Construct } from 'constructs';
import { TerraformOutput } from 'cdktf';
import { IamAccessKey } from '@cdktf/provider-aws/lib/iam-access-key';
import { IamOpenidConnectProvider } from '@cdktf/provider-aws/lib/iam-openid-connect-provider';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamUser } from '@cdktf/provider-aws/lib/iam-user';
import { IamUserPolicy } from '@cdktf/provider-aws/lib/iam-user-policy';
import {
  DEFAULT_MAX_SESSION_SECONDS,
  GITHUB_OIDC_AUDIENCE,
  GITHUB_OIDC_URL,
  type GithubOidcTrust,
  type RoleInvokerSettings,
  type UserInvokerSettings,
} from '../config/types';
import { invokerIamName } from '../config/iam-names';
import { invokePolicyDocument } from './invoke-arns';
import { named, toIdentifier } from './logical-id';

export interface InvokersProps {
  /** Prefix of every user name, e.g. `iam-http-api-dev`. */
  readonly namePrefix: string;
  /** IAM path the users and roles are created under, so they are easy to find and to scope. */
  readonly userPath: string;
}

/** The GitHub OIDC token's claims as IAM condition keys (the issuer host is their prefix). */
const GITHUB_TOKEN_KEY = GITHUB_OIDC_URL.replace(/^https:\/\//, '');

export interface RoleInvoker {
  readonly name: string;
  readonly role: IamRole;
  readonly policy: IamRolePolicy;
}

export interface Invoker {
  readonly name: string;
  readonly user: IamUser;
  readonly policy: IamUserPolicy;
  readonly accessKey: IamAccessKey;
}

export class Invokers extends Construct {
  public readonly invokers: Invoker[] = [];
  public readonly roles: RoleInvoker[] = [];
  /** GitHub Actions' OIDC provider, once a role trusts GitHub. */
  private githubOidc?: IamOpenidConnectProvider;

  constructor(scope: Construct, id: string, private readonly props: InvokersProps) {
    super(scope, id);
  }

  /** Creates invoker `name` allowed to call `settings.allow` on the API `executionArn`. */
  public grant(name: string, settings: UserInvokerSettings, executionArn: string): Invoker {
    const scope = new Construct(this, name);
    const id = toIdentifier(name);
    const user = named(
      new IamUser(scope, 'user', { name: invokerIamName(this.props.namePrefix, name), path: this.props.userPath }),
      'invoker', id,
    );
    const policy = named(
      new IamUserPolicy(scope, 'policy', {
        name: 'invoke-api',
        user: user.name,
        policy: invokePolicyDocument(executionArn, settings.allow),
      }),
      'invoker', id, 'invoke',
    );
    const accessKey = named(
      new IamAccessKey(scope, 'key', { user: user.name, pgpKey: settings.pgpKey }),
      'invoker', id,
    );

    named(
      new TerraformOutput(scope, 'access-key-id', {
        value: accessKey.id,
        description: `Access key id of invoker ${name}`,
      }),
      'invoker', id, 'access_key_id',
    );
    if (settings.pgpKey) {
      named(
        new TerraformOutput(scope, 'encrypted-secret', {
          value: accessKey.encryptedSecret,
          description: `Secret access key of invoker ${name}, encrypted with its PGP key (base64)`,
        }),
        'invoker', id, 'encrypted_secret',
      );
    } else {
      named(
        new TerraformOutput(scope, 'secret', {
          value: accessKey.secret,
          sensitive: true,
          description: `Secret access key of invoker ${name}; read it with: terraform output -raw invoker_${id}_secret_access_key`,
        }),
        'invoker', id, 'secret_access_key',
      );
    }

    const invoker = { name, user, policy, accessKey };
    this.invokers.push(invoker);
    return invoker;
  }

  /**
   * Creates role invoker `name` allowed to call `settings.allow` on the API `executionArn`.
   * The user invokers it names must have been granted first.
   */
  public grantRole(name: string, settings: RoleInvokerSettings, executionArn: string): RoleInvoker {
    const scope = new Construct(this, name);
    const id = toIdentifier(name);
    const roleName = invokerIamName(this.props.namePrefix, name);
    const trusted = (settings.assumableBy.invokers ?? []).map((userName) => {
      const invoker = this.invokers.find((i) => i.name === userName);
      if (!invoker) throw new Error(`role invoker ${name}: user invoker ${userName} must be granted before the role`);
      return invoker;
    });
    const github = settings.assumableBy.githubOidc;
    const role = named(
      new IamRole(scope, 'role', {
        name: roleName,
        path: this.props.userPath,
        description: `Invoker ${name} of the HTTP API (assumed for temporary credentials)`,
        maxSessionDuration: settings.maxSessionDurationSeconds ?? DEFAULT_MAX_SESSION_SECONDS,
        assumeRolePolicy: trustPolicyDocument({
          userArns: trusted.map((i) => i.user.arn),
          accounts: settings.assumableBy.accounts ?? [],
          services: settings.assumableBy.services ?? [],
          github: github && { providerArn: github.providerArn ?? this.githubOidcProvider().arn, trust: github },
        }),
      }),
      'invoker', id,
    );
    const policy = named(
      new IamRolePolicy(scope, 'policy', {
        name: 'invoke-api',
        role: role.id,
        policy: invokePolicyDocument(executionArn, settings.allow),
      }),
      'invoker', id, 'invoke',
    );
    // Each trusted user may call sts:AssumeRole on exactly this role. In the same account AWS
    // does not require it when the trust policy names the user's ARN ("When a resource-based
    // policy grants access to a principal in the same account, no additional identity-based
    // policy is required", STS AssumeRole API reference); it makes the grant visible among
    // the user's own policies and keeps working if the trust is widened to the account.
    for (const user of trusted) {
      const userId = toIdentifier(user.name);
      named(
        new IamUserPolicy(scope, `assume-${userId}`, {
          name: `assume-${roleName}`,
          user: user.user.name,
          policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Sid: 'AssumeInvokerRole', Effect: 'Allow', Action: 'sts:AssumeRole', Resource: role.arn }],
          }),
        }),
        'invoker', userId, 'assume', id,
      );
    }
    named(
      new TerraformOutput(scope, 'role-arn', {
        value: role.arn,
        description: `ARN of role invoker ${name}; assume it (sts:AssumeRole) for temporary credentials`,
      }),
      'invoker', id, 'role_arn',
    );
    const roleInvoker = { name, role, policy };
    this.roles.push(roleInvoker);
    return roleInvoker;
  }

  /** The stack's one GitHub Actions OIDC provider, created on first use (never when the roles reference one by ARN). */
  private githubOidcProvider(): IamOpenidConnectProvider {
    // thumbprint_list is left out: optional in hashicorp/aws 5.100 (and in IAM's API, which
    // then uses the certificate chain it trusts itself; AWS verifies GitHub through its own CAs).
    this.githubOidc ??= named(
      new IamOpenidConnectProvider(this, 'github-oidc', {
        url: GITHUB_OIDC_URL,
        clientIdList: [GITHUB_OIDC_AUDIENCE],
      }),
      'github_actions',
    );
    return this.githubOidc;
  }
}

export interface TrustPolicyInput {
  readonly userArns: readonly string[];
  readonly accounts: ReadonlyArray<{ readonly id: string; readonly externalId?: string }>;
  readonly services: readonly string[];
  readonly github?: { readonly providerArn: string; readonly trust: GithubOidcTrust };
}

/** The `sub` claim GitHub puts in a workflow's token, as an IAM StringLike pattern. */
export function githubSubject(trust: GithubOidcTrust): string {
  if (trust.environment !== undefined) return `repo:${trust.repository}:environment:${trust.environment}`;
  if (trust.branch !== undefined) return `repo:${trust.repository}:ref:refs/heads/${trust.branch}`;
  return `repo:${trust.repository}:*`;
}

/** A role invoker's trust policy: one statement per kind of principal (one per account). */
export function trustPolicyDocument(input: TrustPolicyInput): string {
  const statements: Record<string, unknown>[] = [];
  if (input.userArns.length > 0) {
    statements.push({ Sid: 'AssumeByInvokers', Effect: 'Allow', Principal: { AWS: [...input.userArns] }, Action: 'sts:AssumeRole' });
  }
  for (const account of input.accounts) {
    statements.push({
      Sid: `AssumeByAccount${account.id}`,
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${account.id}:root` },
      Action: 'sts:AssumeRole',
      ...(account.externalId === undefined ? {} : { Condition: { StringEquals: { 'sts:ExternalId': account.externalId } } }),
    });
  }
  if (input.services.length > 0) {
    statements.push({ Sid: 'AssumeByServices', Effect: 'Allow', Principal: { Service: [...input.services] }, Action: 'sts:AssumeRole' });
  }
  if (input.github) {
    statements.push({
      Sid: 'AssumeByGithubActions',
      Effect: 'Allow',
      Principal: { Federated: input.github.providerArn },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: {
        StringEquals: { [`${GITHUB_TOKEN_KEY}:aud`]: GITHUB_OIDC_AUDIENCE },
        StringLike: { [`${GITHUB_TOKEN_KEY}:sub`]: githubSubject(input.github.trust) },
      },
    });
  }
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}
