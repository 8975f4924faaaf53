/**
 * Command-line parsing (node:util parseArgs) and the usage text. The command comes first
 * (`call`, `keys`, `help`); each has its own options, and an option of another command is an
 * error rather than silently ignored.
 */
import { parseArgs } from 'node:util';
import { CliError } from './errors';

export const USAGE = `Usage:
  iam-http-api call [METHOD] PATH [options]   Sign a request (SigV4, service execute-api), send it, print status and body
  iam-http-api keys [INVOKER] [options]       Show the invokers' key ids and where their secrets are
  iam-http-api help                           Show this text

call:
  METHOD                       GET by default; POST when --data is given
  PATH                         /path?query, joined to the base URL; or a full http(s) URL
  -d, --data JSON|@FILE|@-     The body, literally, from a file, or from stdin; sent as application/json when it is JSON
  -H, --header 'Name: value'   Add a header (repeatable)
      --profile NAME           A profile of AWS_SHARED_CREDENTIALS_FILE, .iam-http-api/credentials or ~/.aws/credentials
      --url URL                The base URL (else API_URL, the running local gateway, or --stack's deployed api_url)
      --stack NAME             The stack: its local gateway if that runs, else its deployed outputs (terraform output)
      --region REGION          The signing region (else AWS_REGION, the URL's, the gateway's, the stack's)
      --retries N              Retries on 429 and 5xx, with backoff (default 2)
  -v, --verbose                Where URL, region and credentials came from; the signed request (signature redacted)

keys:
  INVOKER                      One invoker (admin, editor, viewer); all when omitted
      --stack NAME             A deployed stack's keys (terraform output) instead of the local gateway's
      --show-secret            Print the invoker's secret access key: the only way this tool prints one
      --env                    Print export lines for a shell, secret included: eval "$(iam-http-api keys viewer --env)"

Credentials, first found: --profile NAME; AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN);
AWS_PROFILE, else profile "default". Profiles are looked up in AWS_SHARED_CREDENTIALS_FILE, the local gateway's
credentials file, then ~/.aws/credentials.

Exit status: 0 for 2xx; 3, 4, 5 for a 3xx, 4xx, 5xx answer; 1 for a usage or setup error; 2 when the server
could not be reached.

Examples:
  iam-http-api call /hello --profile viewer
  iam-http-api call /items --profile editor --data '{"message":"hi"}'
  iam-http-api call DELETE /items/1 --profile admin --verbose
  iam-http-api call /hello --stack prod --profile viewer
  iam-http-api keys viewer
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
}

export interface KeysCommand {
  readonly kind: 'keys';
  readonly invoker?: string;
  readonly stack?: string;
  readonly showSecret: boolean;
  readonly env: boolean;
}

export type Command = { readonly kind: 'help' } | CallCommand | KeysCommand;

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
  help: { type: 'boolean', short: 'h' },
} as const;

const KEYS_OPTIONS = {
  stack: { type: 'string' },
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

function parseKeys(args: string[]): KeysCommand | { kind: 'help' } {
  const { values, positionals } = parse('keys', args, KEYS_OPTIONS);
  if (values.help) return { kind: 'help' };
  if (positionals.length > 1) throw new CliError(`Too many arguments: ${positionals.join(' ')}. Usage: iam-http-api keys [INVOKER].`);
  const showSecret = values['show-secret'] ?? false;
  const env = values.env ?? false;
  if (showSecret && env) throw new CliError('Use either --show-secret (the secret alone) or --env (export lines), not both.');
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
    case 'help':
    case '--help':
    case '-h':
      return { kind: 'help' };
    case undefined:
      throw new CliError(`Missing command.\n\n${USAGE}`);
    default:
      throw new CliError(`Unknown command "${command}": use call, keys or help. ${HINT}`);
  }
}
