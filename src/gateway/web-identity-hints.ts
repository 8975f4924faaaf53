/**
 * For npm start's banner: the stack's roles that GitHub Actions may assume (a trust statement
 * with `Principal.Federated` = GitHub's OIDC provider and `sts:AssumeRoleWithWebIdentity`), the
 * `sub` each accepts, and the commands that mint a matching token with the local issuer and use
 * it as a CI job would (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN + AWS_ENDPOINT_URL_STS). Pure.
 */
import { GITHUB_OIDC_URL } from '../config/types';
import type { RoleDefinition } from './load-roles';
import { providerHost } from './load-oidc-providers';

const HOST = providerHost(GITHUB_OIDC_URL);

/** The `sub` patterns of a trust policy's GitHub statements; none when GitHub may not assume it. */
export function githubSubjects(role: Pick<RoleDefinition, 'assumeRolePolicy'>): string[] {
  const raw = (role.assumeRolePolicy as { Statement?: unknown }).Statement;
  const statements = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]) as Record<string, unknown>[];
  const subjects: string[] = [];
  for (const statement of statements) {
    if (statement?.Effect !== 'Allow') continue;
    const federated = (statement.Principal as { Federated?: unknown } | undefined)?.Federated;
    const providers = (Array.isArray(federated) ? federated : [federated]).filter((v): v is string => typeof v === 'string');
    if (!providers.some((p) => p.endsWith(`:oidc-provider/${HOST}`))) continue;
    const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
    if (!actions.some((a) => a === 'sts:AssumeRoleWithWebIdentity' || a === 'sts:*' || a === '*')) continue;
    const conditions = (statement.Condition ?? {}) as Record<string, Record<string, unknown>>;
    const values = Object.values(conditions).flatMap((block) => Object.entries(block).filter(([key]) => key.toLowerCase() === `${HOST}:sub`).flatMap(([, v]) => (Array.isArray(v) ? v : [v])));
    subjects.push(...(values.length > 0 ? values.filter((v): v is string => typeof v === 'string') : ['*']));
  }
  return subjects;
}

/** `web-token` options that mint a token whose `sub` matches `pattern` (a `*` becomes a sample value). */
export function webTokenOptions(pattern: string): string | undefined {
  const match = /^repo:([^:*]+\/[^:*]+):(?:ref:refs\/heads\/(.+)|environment:(.+)|\*)$/.exec(pattern);
  if (!match) return undefined;
  const [, repository, branch, environment] = match;
  if (environment !== undefined) return `--repository ${repository} --environment ${environment.replace(/\*/g, 'prod')}`;
  return `--repository ${repository} --branch ${branch === undefined ? 'main' : branch.replace(/\*/g, 'main')}`;
}

/** Banner lines (none when no role trusts GitHub). */
export function webIdentityHints(roles: readonly RoleDefinition[], stsUrl: string | undefined, region: string): string[] {
  const trusted = roles.map((role) => ({ role, subjects: githubSubjects(role) })).filter((r) => r.subjects.length > 0);
  if (trusted.length === 0) return [];
  const lines = ['', stsUrl
    ? 'GitHub Actions roles (AssumeRoleWithWebIdentity with a token of the local issuer, .iam-http-api/oidc-key.pem; real GitHub tokens are refused):'
    : 'GitHub Actions roles (the local STS is not running, so none can be assumed):'];
  for (const { role, subjects } of trusted) lines.push(`  ${role.name}  sub ${subjects.join(' | ')}`);
  const first = trusted[0];
  const options = first && first.subjects.map(webTokenOptions).find((o) => o !== undefined);
  if (stsUrl && first && options) {
    lines.push(`  e.g. npx iam-http-api web-token ${options} > .iam-http-api/web-token.jwt`);
    lines.push(`       AWS_WEB_IDENTITY_TOKEN_FILE=.iam-http-api/web-token.jwt AWS_ROLE_ARN=${first.role.arn} AWS_ROLE_SESSION_NAME=ci AWS_ENDPOINT_URL_STS=${stsUrl} AWS_DEFAULT_REGION=${region} aws sts get-caller-identity`);
  }
  return lines;
}
