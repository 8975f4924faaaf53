/**
 * The stack's IAM OIDC identity providers (`aws_iam_openid_connect_provider`), for the local
 * STS's AssumeRoleWithWebIdentity (sts-web-identity.ts): each provider's issuer URL, ARN and
 * client-id list (the audiences IAM accepts).
 *
 * - The ARN IAM gives a provider: `arn:aws:iam::<account>:oidc-provider/<url without https://>`
 *   (e.g. `…:oidc-provider/token.actions.githubusercontent.com`, as trust policies name it:
 *   IAM User Guide, "Creating a role for web identity or OpenID Connect federation").
 *   Terraform's `id` of the resource is that ARN (hashicorp/aws, aws_iam_openid_connect_provider,
 *   "Attribute Reference": `arn` and `id`, "The ARN assigned by AWS for this provider").
 * - `registerOidcProviderReferences` puts `${aws_iam_openid_connect_provider.X.arn}` / `.id` /
 *   `.url` into the stack's references, so a role whose trust policy names the provider that way
 *   (what src/stack/invokers.ts writes for a GitHub OIDC role) loads. load-stack.ts must call it
 *   before loadRoles.
 * - A trust policy may also name a provider outside the stack by a literal ARN (one made by
 *   another stack: IAM allows one provider per URL per account). Its client-id list is not in
 *   the stack; for GitHub's issuer the local STS assumes `sts.amazonaws.com` only, the audience
 *   GitHub's docs tell AWS users to register ("For the Audience: use sts.amazonaws.com if you are
 *   using the official action", "Configuring OpenID Connect in Amazon Web Services"), the
 *   stricter choice. Its account is the deployed one (config githubOidc.providerArn), which the
 *   local account stands for, so the local STS does not compare it with the role's.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GITHUB_OIDC_AUDIENCE, GITHUB_OIDC_URL } from '../config/types';
import type { PolicyDocument } from '../iam/principal';
import { entries, stringList } from './load-principals';
import { References, StackLoadError, type TerraformJson } from './stack-json';

export interface OidcProvider {
  /** `https://token.actions.githubusercontent.com`: what a token's `iss` must be. */
  readonly url: string;
  readonly arn: string;
  /** The audiences IAM accepts for this provider (`client_id_list`). */
  readonly clientIds: readonly string[];
  /** `aws_iam_openid_connect_provider.<address>`, or undefined when only a trust policy names it. */
  readonly address?: string;
}

const TYPE = 'aws_iam_openid_connect_provider';

/** `https://host/path` → `host/path`, how IAM names a provider in its ARN and in condition keys. */
export function providerHost(url: string): string {
  return url.replace(/^https:\/\//i, '').replace(/\/$/, '');
}

export function providerArn(accountId: string, url: string): string {
  return `arn:aws:iam::${accountId}:oidc-provider/${providerHost(url)}`;
}

/**
 * The stack's OIDC providers. `refs` resolves references in client_id_list (a literal list needs
 * none). A provider the gateway cannot read (its URL computed by Terraform, e.g. an EKS
 * cluster's issuer; count / for_each) is left out, as load-roles.ts leaves out a role it cannot
 * read: a token of that issuer then finds no provider, and the stack still loads.
 */
export function loadOidcProviders(tf: TerraformJson, accountId: string, refs: References = new References()): OidcProvider[] {
  return entries(tf.resource ?? {}, TYPE).flatMap(([address, attributes]): OidcProvider[] => {
    if (attributes.count !== undefined || attributes.for_each !== undefined) return [];
    const url = literalUrl(attributes.url);
    if (url === undefined) return [];
    try {
      const clientIds = stringList(refs, attributes.client_id_list, TYPE, address, 'client_id_list');
      return [{ url, arn: providerArn(accountId, url), clientIds, address }];
    } catch (error) {
      if (error instanceof StackLoadError) return [];
      throw error;
    }
  });
}

/** An https URL with no interpolation (IAM: "The URL must begin with https://"), without a trailing slash. */
function literalUrl(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.includes('${') || !/^https:\/\/[^\s/]+/i.test(value)) return undefined;
  return value.replace(/\/$/, '');
}

/** Registers `aws_iam_openid_connect_provider.X.{arn,id,url}` of the providers it can read; call before loadRoles. */
export function registerOidcProviderReferences(tf: TerraformJson, refs: References, accountId: string): void {
  for (const [address, attributes] of entries(tf.resource ?? {}, TYPE)) {
    const url = attributes.count === undefined && attributes.for_each === undefined ? literalUrl(attributes.url) : undefined;
    if (url === undefined) continue;
    const arn = providerArn(accountId, url);
    refs.set(`${TYPE}.${address}.arn`, arn);
    refs.set(`${TYPE}.${address}.id`, arn);
    // The provider's `url` attribute is read back without the scheme (IAM's GetOpenIDConnectProvider).
    refs.set(`${TYPE}.${address}.url`, providerHost(url));
  }
}

/** The `Federated` principals of a trust policy that are OIDC providers (`…:oidc-provider/…`). */
function federatedOidcArns(document: PolicyDocument): string[] {
  const raw = (document as { Statement?: unknown }).Statement;
  const statements = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  const arns: string[] = [];
  for (const statement of statements) {
    const principal = (statement as { Principal?: unknown } | null)?.Principal;
    if (typeof principal !== 'object' || principal === null) continue;
    const federated = (principal as { Federated?: unknown }).Federated;
    for (const value of Array.isArray(federated) ? federated : [federated]) {
      if (typeof value === 'string' && /^arn:aws[\w-]*:iam::\d{12}:oidc-provider\/./.test(value)) arns.push(value);
    }
  }
  return arns;
}

/**
 * The providers the local STS knows: the stack's, then those the roles' trust policies name by
 * ARN that the stack does not define (only GitHub's issuer; its audience as above).
 */
export function knownOidcProviders(stackProviders: readonly OidcProvider[], trustPolicies: readonly PolicyDocument[]): OidcProvider[] {
  const providers = [...stackProviders];
  for (const arn of trustPolicies.flatMap(federatedOidcArns)) {
    if (providers.some((p) => p.arn === arn)) continue;
    const host = arn.slice(arn.indexOf(':oidc-provider/') + ':oidc-provider/'.length);
    if (`https://${host}` !== GITHUB_OIDC_URL) continue;
    providers.push({ url: GITHUB_OIDC_URL, arn, clientIds: [GITHUB_OIDC_AUDIENCE] });
  }
  return providers;
}

const byStack = new WeakMap<object, readonly OidcProvider[]>();

/**
 * The OIDC providers of a loaded stack: its own list when the loader kept one, else read once
 * from `<stackDir>/cdk.tf.json` (the file the stack was loaded from; a watch-mode reload makes a
 * new stack object, so a changed provider is read again). None when the file cannot be read.
 */
export function oidcProvidersOfStack(stack: { readonly stackDir: string; readonly accountId: string; readonly oidcProviders?: readonly OidcProvider[] }): readonly OidcProvider[] {
  if (stack.oidcProviders) return stack.oidcProviders;
  let providers = byStack.get(stack);
  if (!providers) {
    try {
      providers = loadOidcProviders(JSON.parse(fs.readFileSync(path.join(stack.stackDir, 'cdk.tf.json'), 'utf8')) as TerraformJson, stack.accountId);
    } catch {
      providers = [];
    }
    byStack.set(stack, providers);
  }
  return providers;
}
