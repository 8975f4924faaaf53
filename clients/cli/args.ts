/**
 * Command-line parsing (node:util parseArgs) and the usage text. The command comes first
 * (`call`, `keys`, `help`); each has its own options, and an option of another command is an
 * error rather than silently ignored.
 */
import { parseArgs } from 'node:util';
import type { RoleRequest } from './assume-role';
import { CliError } from './errors';
import { parseWebToken, WEB_TOKEN_USAGE, type WebTokenCommand } from './web-token';

export const USAGE = `Usage:
  iam-http-api call [METHOD] PATH [options]   Sign a request (SigV4, service execute-api), send it, print status and body
  iam-http-api keys [INVOKER] [options]       Show the invokers' key ids and where their secrets are
  iam-http-api web-token --repository O/R     Mint a GitHub Actions OIDC token the local STS accepts (AssumeRoleWithWebIdentity)
  iam-http-api help                           Show this text

call:
  METHOD                       GET by default; POST when --data is given
  PATH                         /path?query, joined to the base URL; or a full http(s) URL
  -d, --data JSON|@FILE|@-     The body, literally, from a file, or from stdin; sent as application/json when it is JSON
  -H, --header 'Name: value'   Add a header (repeatable)
      --profile NAME           A profile of the AWS config and credentials files or of .iam-http-api/credentials (static keys,
                               role_arn + source_profile, credential_process, SSO, web identity)
      --role-arn ARN           Assume this role for the call (STS AssumeRole with the credentials found) and sign as its session
      --role-session-name NAME The session's name (default iam-http-api-<unix seconds>)
      --external-id ID         The ExternalId the role's trust policy asks for
      --duration-seconds N     The session's lifetime, 900 to 43200 (at most the role's maximum)
      --sts-url URL            The STS to call (else AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, the profile's endpoint_url,
                               for --role-arn the running local gateway's STS, else AWS)
      --url URL                The base URL (else API_URL, the running local gateway, or --stack's deployed api_url)
      --stack NAME             The stack: its local gateway if that runs, else its deployed outputs (terraform output)
      --region REGION          The signing region (else AWS_REGION, the URL's, the gateway's, the stack's)
      --retries N              Retries on 429 and 5xx, with backoff (default 2)
  -v, --verbose                Where URL, region and credentials came from (which provider); the signed request (signature redacted)

keys:
  INVOKER                      One invoker (admin, editor, viewer); all when omitted
      --stack NAME             A deployed stack's keys (terraform output) instead of the local gateway's
      --show-secret            Print the invoker's secret access key (besides --env, the only way this tool prints a secret)
      --env                    Print export lines for a shell, secret included: eval "$(iam-http-api keys viewer --env)"
      --role NAME              A role of the local gateway: its ARN and who may assume it; with --env, export lines of a new
                               session (AWS_SESSION_TOKEN included) assumed by the first invoker allowed

${WEB_TOKEN_USAGE}
Credentials: the AWS SDK's provider chain. --profile NAME, else AWS_PROFILE; else AWS_ACCESS_KEY_ID +
AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), profile "default", AWS_WEB_IDENTITY_TOKEN_FILE, container or instance
metadata. Profiles are read from AWS_CONFIG_FILE (~/.aws/config) and the first of AWS_SHARED_CREDENTIALS_FILE, the
local gateway's credentials file and ~/.aws/credentials that has the profile.

Exit status: 0 for 2xx; 3, 4, 5 for a 3xx, 4xx, 5xx answer; 1 for a usage or setup error; 2 when the server
could not be reached.

Examples:
  iam-http-api call /hello --profile viewer
  iam-http-api call /items --profile editor --data '{"message":"hi"}'
  iam-http-api call DELETE /items/1 --profile admin --verbose
  iam-http-api call /hello --stack prod --profile viewer
  iam-http-api call /hello --profile admin --role-arn arn:aws:iam::123456789012:role/iam-http-api/iam-http-api-dev-deployer
  iam-http-api keys viewer
  eval "$(iam-http-api keys --role deployer --env)"
`;

export interface CallCommand {
  readonly kind: 'call';
  readonly method: string;
  /** A path (`/hello?x=1`) or a full URL. */
  readonly path: string;
  readonly data?: string;
  readonly headers: readonly string[];
  readonly profile?: string;
  readonly url?: string;
  readonly stack?: string;
  readonly region?: string;
  readonly retries: number;
  readonly verbose: boolean;
  /** --role-arn and its options: assume the role for this call. */
  readonly role?: RoleRequest;
  readonly stsUrl?: string;
}

export interface KeysCommand {
  readonly kind: 'keys';
  readonly invoker?: string;
  /** --role NAME: a local role; with --env, export lines of a fresh session of it. */
  readonly role?: string;
  readonly stack?: string;
  readonly showSecret: boolean;
  readonly env: boolean;
}

export type Command = { readonly kind: 'help' } | CallCommand | KeysCommand | WebTokenCommand;

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
export const DEFAULT_RETRIES = 2;
const MAX_RETRIES = 10;

const CALL_OPTIONS = {
  data: { type: 'string', short: 'd' },
  header: { type: 'string', short: 'H', multiple: true },
  profile: { type: 'string' },
  url: { type: 'string' },
  stack: { type: 'string' },
  region: { type: 'string' },
  retries: { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  'role-arn': { type: 'string' },
  'role-session-name': { type: 'string' },
  'external-id': { type: 'string' },
  'duration-seconds': { type: 'string' },
  'sts-url': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const KEYS_OPTIONS = {
  stack: { type: 'string' },
  role: { type: 'string' },
  'show-secret': { type: 'boolean' },
  env: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const HINT = 'Run iam-http-api help for the commands and options.';

/** parseArgs's errors, in this tool's words. */
function parse<T extends typeof CALL_OPTIONS | typeof KEYS_OPTIONS>(command: string, args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    const option = /'(?:-\w, )?(-[^' ]*)/.exec(message)?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new CliError(`Unknown option ${option} for "${command}". ${HINT}`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new CliError(`${option} needs a value (for a value starting with "-", write ${option}=VALUE). ${HINT}`);
    throw new CliError(`${message}. ${HINT}`);
  }
}

function parseCall(args: string[]): CallCommand | { kind: 'help' } {
  const { values, positionals } = parse('call', args, CALL_OPTIONS);
  if (values.help) return { kind: 'help' };
  let method: string | undefined;
  let target: string | undefined;
  if (positionals.length === 1) [target] = positionals;
  else if (positionals.length === 2) [method, target] = positionals;
  if (positionals.length > 2) throw new CliError(`Too many arguments: ${positionals.join(' ')}. Usage: iam-http-api call [METHOD] PATH. Quote a body: --data '{"a": 1}'.`);
  if (target === undefined || (method === undefined && METHODS.includes(target.toUpperCase()))) {
    throw new CliError(`Missing PATH: iam-http-api call [METHOD] PATH, e.g. iam-http-api call ${method ?? target ?? 'GET'} /hello`);
  }
  if (method !== undefined && !/^[A-Za-z]+$/.test(method)) throw new CliError(`"${method}" is not an HTTP method; use one of ${METHODS.join(', ')}.`);
  if (!target.startsWith('/') && !/^https?:\/\//i.test(target)) {
    throw new CliError(`PATH "${target}" must start with "/" (e.g. /${target}) or be a full http(s) URL.`);
  }
  const resolvedMethod = (method ?? (values.data !== undefined ? 'POST' : 'GET')).toUpperCase();
  if (values.data !== undefined && (resolvedMethod === 'GET' || resolvedMethod === 'HEAD')) {
    throw new CliError(`A ${resolvedMethod} request cannot have a body: drop --data, or use POST, PUT or PATCH.`);
  }
  let retries = DEFAULT_RETRIES;
  if (values.retries !== undefined) {
    retries = Number(values.retries);
    if (!/^\d+$/.test(values.retries) || retries > MAX_RETRIES) throw new CliError(`--retries ${values.retries} is not allowed; use a whole number from 0 to ${MAX_RETRIES}.`);
  }
  return {
    kind: 'call',
    role: parseRole(values),
    stsUrl: values['sts-url'],
    method: resolvedMethod,
    path: target,
    data: values.data,
    headers: values.header ?? [],
    profile: values.profile,
    url: values.url,
    stack: values.stack,
    region: values.region,
    retries,
    verbose: values.verbose ?? false,
  };
}

/** --role-arn and the options that only make sense with it. */
function parseRole(values: { 'role-arn'?: string; 'role-session-name'?: string; 'external-id'?: string; 'duration-seconds'?: string }): RoleRequest | undefined {
  const roleArn = values['role-arn'];
  if (roleArn === undefined) {
    const stray = (['role-session-name', 'external-id', 'duration-seconds'] as const).find((name) => values[name] !== undefined);
    if (stray) throw new CliError(`--${stray} is for assuming a role: add --role-arn ARN.`);
    return undefined;
  }
  // https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html: RoleArn 20-2048 characters.
  if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(roleArn)) throw new CliError(`--role-arn "${roleArn}" is not a role ARN, e.g. arn:aws:iam::123456789012:role/NAME.`);
  const sessionName = values['role-session-name'];
  // RoleSessionName: 2-64 characters of [\w+=,.@-].
  if (sessionName !== undefined && !/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
    throw new CliError(`--role-session-name "${sessionName}" is not allowed: use 2 to 64 letters, digits or any of _+=,.@-`);
  }
  const duration = values['duration-seconds'];
  // DurationSeconds: 900 to 43200.
  if (duration !== undefined && (!/^\d+$/.test(duration) || Number(duration) < 900 || Number(duration) > 43200)) {
    throw new CliError(`--duration-seconds ${duration} is not allowed: use a whole number from 900 to 43200 (and at most the role's maximum session duration).`);
  }
  return { roleArn, sessionName, externalId: values['external-id'], durationSeconds: duration === undefined ? undefined : Number(duration) };
}

function parseKeys(args: string[]): KeysCommand | { kind: 'help' } {
  const { values, positionals } = parse('keys', args, KEYS_OPTIONS);
  if (values.help) return { kind: 'help' };
  if (positionals.length > 1) throw new CliError(`Too many arguments: ${positionals.join(' ')}. Usage: iam-http-api keys [INVOKER].`);
  const showSecret = values['show-secret'] ?? false;
  const env = values.env ?? false;
  if (showSecret && env) throw new CliError('Use either --show-secret (the secret alone) or --env (export lines), not both.');
  if (values.role !== undefined) {
    if (positionals.length > 0 || showSecret || values.stack !== undefined) {
      throw new CliError('--role NAME takes no INVOKER, --show-secret or --stack: iam-http-api keys --role deployer [--env] (the local gateway\'s role, assumed by the first invoker allowed).');
    }
    return { kind: 'keys', role: values.role, showSecret, env };
  }
  if ((showSecret || env) && positionals.length === 0) {
    throw new CliError(`${showSecret ? '--show-secret' : '--env'} prints one invoker's secret: name it, e.g. iam-http-api keys viewer ${showSecret ? '--show-secret' : '--env'}`);
  }
  return { kind: 'keys', invoker: positionals[0], stack: values.stack, showSecret, env };
}

export function parseCommand(argv: readonly string[]): Command {
  const [command, ...rest] = argv;
  switch (command) {
    case 'call':
      return parseCall(rest);
    case 'keys':
      return parseKeys(rest);
    case 'web-token':
      return parseWebToken(rest);
    case 'help':
    case '--help':
    case '-h':
      return { kind: 'help' };
    case undefined:
      throw new CliError(`Missing command.\n\n${USAGE}`);
    default:
      throw new CliError(`Unknown command "${command}": use call, keys, web-token or help. ${HINT}`);
  }
}
