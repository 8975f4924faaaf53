/**
 * SigV4 signers outside this process, for the gateway tests: curl's `--aws-sigv4` and Python
 * botocore's `SigV4Auth` (through botocore-sign.py). Both run with `spawn` (no shell), and both
 * get the secret key out of band: curl from a `--config` file of mode 0600 in a private temp
 * directory, botocore on stdin. No argv, log line or error message here carries a secret.
 *
 * Every process is asynchronous on purpose: the gateway under test runs in the same Node process,
 * so a synchronous child (execFileSync) would block the event loop the gateway answers on.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { InvokerKey } from '../../src/gateway/credentials';

/** A request before signing: `url` is absolute, as the client would send it. */
export interface PlainRequest {
  readonly method: string;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** What came back: lower-cased header names, repeated headers joined with ', '. */
export interface GatewayReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
}

export interface SigningScope {
  readonly region: string;
  readonly service: string;
}

export const BOTOCORE_SIGN_SCRIPT = path.join(__dirname, 'botocore-sign.py');

const PROCESS_TIMEOUT_MS = 15_000;

interface ProcessResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `command` without a shell, feeding `stdin`; never rejects on a non-zero exit. */
function run(command: string, args: readonly string[], stdin?: string): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: PROCESS_TIMEOUT_MS });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') }));
    child.stdin.end(stdin ?? '');
  });
}

/** `text` with the secret replaced, for error messages. */
function redact(text: string, key: InvokerKey): string {
  return text.split(key.secretAccessKey).join('<secret>');
}

/** A private temp directory for one call, removed afterwards whatever happens. */
async function withPrivateDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iam-http-api-signer-'));
  try {
    return await body(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// curl --aws-sigv4
// ---------------------------------------------------------------------------------------------

export interface ToolVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly text: string;
}

/** The machine's curl version, or undefined when there is no curl. */
export function curlVersion(): ToolVersion | undefined {
  const result = spawnSync('curl', ['--version'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) return undefined;
  const match = /^curl (\d+)\.(\d+)\.(\d+)/.exec(result.stdout);
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]), text: `${match[1]}.${match[2]}.${match[3]}` };
}

export function versionBelow(version: ToolVersion, major: number, minor: number, patch = 0): boolean {
  if (version.major !== major) return version.major < major;
  if (version.minor !== minor) return version.minor < minor;
  return version.patch < patch;
}

/** A curl config-file string: double-quoted, with `\` and `"` escaped. */
function curlConfigString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Writes `user = "KEY:SECRET"` to a mode-0600 file in `dir`; returns its path. */
function writeCurlCredentials(dir: string, key: InvokerKey): string {
  const file = path.join(dir, 'curlrc');
  fs.writeFileSync(file, `user = ${curlConfigString(`${key.accessKeyId}:${key.secretAccessKey}`)}\n`, { mode: 0o600 });
  return file;
}

/** curl's arguments: secrets only in the config file, the body on stdin, status and headers on stdout. */
function curlArguments(configFile: string, bodyFile: string, scope: SigningScope, request: PlainRequest, extraArgs: readonly string[]): string[] {
  const headers = Object.entries(request.headers ?? {}).flatMap(([name, value]) => ['--header', `${name}: ${value}`]);
  const body = request.body === undefined ? [] : ['--data-binary', '@-'];
  return [
    '--silent', '--show-error',
    '--config', configFile,
    '--aws-sigv4', `aws:amz:${scope.region}:${scope.service}`,
    '--request', request.method,
    ...headers,
    ...body,
    ...extraArgs,
    '--output', bodyFile,
    '--write-out', '%{http_code}\n%{header_json}',
    '--url', request.url,
  ];
}

/** `%{http_code}\n%{header_json}` to a status and flat headers. */
function parseCurlWriteOut(stdout: string): { status: number; headers: Record<string, string> } {
  const newline = stdout.indexOf('\n');
  const status = Number(stdout.slice(0, newline));
  const raw = JSON.parse(stdout.slice(newline + 1)) as Record<string, string[]>;
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(raw)) headers[name.toLowerCase()] = values.join(', ');
  return { status, headers };
}

/**
 * Signs and sends `request` with `curl --aws-sigv4 "aws:amz:<region>:<service>"`; `extraArgs`
 * (e.g. `--path-as-is`) go before the URL. Secrets never go there.
 */
export function curlSigV4(key: InvokerKey, scope: SigningScope, request: PlainRequest, extraArgs: readonly string[] = []): Promise<GatewayReply> {
  return withPrivateDir(async (dir) => {
    const bodyFile = path.join(dir, 'body');
    const result = await run('curl', curlArguments(writeCurlCredentials(dir, key), bodyFile, scope, request, extraArgs), request.body);
    if (result.code !== 0) throw new Error(`curl exited with ${result.code}: ${redact(result.stderr, key)}`);
    const { status, headers } = parseCurlWriteOut(result.stdout);
    const text = fs.existsSync(bodyFile) ? fs.readFileSync(bodyFile, 'utf8') : '';
    return { status, headers, text };
  });
}

// ---------------------------------------------------------------------------------------------
// Python botocore SigV4Auth
// ---------------------------------------------------------------------------------------------

/** Why botocore cannot be used here, or undefined when python3 can import it. */
export function botocoreMissing(): string | undefined {
  const result = spawnSync('python3', ['-c', 'import botocore.auth, botocore.awsrequest, botocore.credentials'], { encoding: 'utf8' });
  if (result.error) return `python3 is not available (${result.error.message})`;
  if (result.status !== 0) return 'python3 cannot import botocore';
  return undefined;
}

/** The headers botocore's SigV4Auth produces for `request` (X-Amz-Date, Authorization and the given ones). */
export async function botocoreSign(key: InvokerKey, scope: SigningScope, request: PlainRequest): Promise<Record<string, string>> {
  const spec = {
    method: request.method,
    url: request.url,
    headers: request.headers ?? {},
    body: request.body ?? null,
    region: scope.region,
    service: scope.service,
    access_key: key.accessKeyId,
    secret_key: key.secretAccessKey,
  };
  const result = await run('python3', [BOTOCORE_SIGN_SCRIPT], JSON.stringify(spec));
  if (result.code !== 0) throw new Error(`botocore-sign.py exited with ${result.code}: ${redact(result.stderr, key)}`);
  return JSON.parse(result.stdout) as Record<string, string>;
}

/** Signs `request` with botocore and sends it with fetch, with exactly botocore's headers. */
export async function botocoreFetch(key: InvokerKey, scope: SigningScope, request: PlainRequest): Promise<GatewayReply> {
  const headers = await botocoreSign(key, scope, request);
  return replyOf(await fetch(request.url, { method: request.method, headers, body: request.body }));
}

/** A fetch Response as a GatewayReply. */
export async function replyOf(response: Response): Promise<GatewayReply> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => { headers[name] = value; });
  return { status: response.status, headers, text: await response.text() };
}
