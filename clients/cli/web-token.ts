/**
 * `iam-http-api web-token --repository OWNER/REPO (--branch B | --environment E) [--audience A]
 * [--expires-in SECONDS]`: mints a GitHub Actions-shaped OIDC token with the local issuer's key
 * (src/gateway/oidc-issuer.ts), the one beside the running local gateway's credentials file
 * (`oidc-key.pem`; created there if absent). The local STS accepts it for
 * AssumeRoleWithWebIdentity; AWS never would (it is not signed by GitHub).
 *
 * The token is a credential: it goes to stdout only, because this command exists to print it,
 * and nowhere else (--verbose describes it on stderr without it). A newline follows it only on a
 * terminal, so `web-token > token.jwt` writes exactly the token.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_TOKEN_SECONDS, ensureOidcKey, githubClaims, githubTokenProblems, MAX_TOKEN_SECONDS, oidcKeyPath, signJwt } from '../../src/gateway/oidc-issuer';
import type { Context } from './call';
import { CliError, EXIT } from './errors';
import { localKeysFile } from './local';

export const WEB_TOKEN_USAGE = `web-token:
      --repository OWNER/REPO  The repository whose workflow the token is for (required)
      --branch BRANCH          The branch it runs on (sub repo:OWNER/REPO:ref:refs/heads/BRANCH; main by default)
      --environment NAME       Or the job's deployment environment (sub repo:OWNER/REPO:environment:NAME)
      --audience AUD           The aud claim (default sts.amazonaws.com)
      --expires-in SECONDS     Lifetime, 1 to ${MAX_TOKEN_SECONDS} (default ${DEFAULT_TOKEN_SECONDS})
  -v, --verbose                Describe the token on stderr (claims, key file); the token itself only on stdout
  Prints a token signed by the local OIDC issuer (.iam-http-api/oidc-key.pem), which only the local STS accepts:
  iam-http-api web-token --repository my-org/my-repo --branch main > token.jwt
  AWS_WEB_IDENTITY_TOKEN_FILE=token.jwt AWS_ROLE_ARN=<role ARN> AWS_ENDPOINT_URL_STS=http://127.0.0.1:3001 <any AWS SDK or CLI>
`;

export interface WebTokenCommand {
  readonly kind: 'web-token';
  readonly repository: string;
  readonly branch?: string;
  readonly environment?: string;
  readonly audience?: string;
  readonly expiresInSeconds?: number;
  readonly verbose: boolean;
}

const OPTIONS = {
  repository: { type: 'string' },
  branch: { type: 'string' },
  environment: { type: 'string' },
  audience: { type: 'string' },
  'expires-in': { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const;

const HINT = 'Run iam-http-api help for the commands and options.';

export function parseWebToken(args: string[]): WebTokenCommand | { kind: 'help' } {
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    const option = /'(?:-\w, )?(-[^' ]*)/.exec(message)?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new CliError(`Unknown option ${option} for "web-token". ${HINT}`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new CliError(`${option} needs a value (for a value starting with "-", write ${option}=VALUE). ${HINT}`);
    throw new CliError(`${message}. ${HINT}`);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (positionals.length > 0) throw new CliError(`web-token takes no arguments, only options: ${positionals.join(' ')}. ${HINT}`);
  if (values.repository === undefined) throw new CliError('Missing --repository OWNER/REPO: the repository whose workflow the token is for, e.g. iam-http-api web-token --repository my-org/my-repo --branch main');
  const expires = values['expires-in'];
  if (expires !== undefined && !/^\d+$/.test(expires)) throw new CliError(`--expires-in ${expires} is not allowed: use a whole number of seconds from 1 to ${MAX_TOKEN_SECONDS}.`);
  const command: WebTokenCommand = {
    kind: 'web-token',
    repository: values.repository,
    ...(values.branch !== undefined ? { branch: values.branch } : {}),
    ...(values.environment !== undefined ? { environment: values.environment } : {}),
    ...(values.audience !== undefined ? { audience: values.audience } : {}),
    ...(expires !== undefined ? { expiresInSeconds: Number(expires) } : {}),
    verbose: values.verbose ?? false,
  };
  const problems = githubTokenProblems(command);
  if (problems.length > 0) throw new CliError(`Cannot mint the token: ${problems.join('; ')}.`);
  return command;
}

export async function webToken(command: WebTokenCommand, context: Context): Promise<number> {
  const keyFile = oidcKeyPath(localKeysFile(context.root, context.env));
  let key;
  try {
    key = ensureOidcKey(keyFile);
  } catch (error) {
    throw new CliError(`The local OIDC issuer key cannot be used: ${(error as Error).message}`);
  }
  const claims = githubClaims({ ...command, now: new Date() });
  // No newline when redirected: `web-token > token.jwt` must hold the token exactly, since the
  // AWS_WEB_IDENTITY_TOKEN_FILE readers (botocore, the JavaScript SDK) send the file's bytes as they are.
  context.out.stdout(`${signJwt(key, claims)}${process.stdout.isTTY ? '\n' : ''}`);
  if (command.verbose) {
    const expires = new Date(Number(claims.exp) * 1000).toISOString();
    context.out.stderr(`Token for sub ${String(claims.sub)}, aud ${String(claims.aud)}, iss ${String(claims.iss)}, expires ${expires}; signed with ${path.relative(context.cwd, keyFile) || keyFile} (kid ${key.kid}). Only the local STS accepts it.\n`);
  }
  return EXIT.ok;
}
