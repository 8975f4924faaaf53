/**
 * `iam-http-api call`: resolves the target and the credentials, signs with aws4fetch's
 * AwsV4Signer (service execute-api) and sends with node:http(s) (http.ts says why not fetch).
 * Retries only 429 and 5xx, at most --retries times (default 2), re-signing each time, after
 * 200 ms, 400 ms, … or the server's Retry-After (at most 10 s). aws4fetch's own retry loop
 * (AwsClient.fetch, 10 retries by default) is not used: it would hide attempts from --verbose.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AwsV4Signer } from 'aws4fetch';
import type { CallCommand } from './args';
import { assumeRole } from './assume-role';
import { profileContext, resolveCredentials, type CredentialSources } from './credentials';
import { header, send, TimeoutError, type Answer } from './http';
import { CliError, EXIT, exitForStatus } from './errors';
import { localDenial, localKeysFile, runningGateway } from './local';
import { formatBody, hint, requestLines, responseLines, scrub, statusLine, verboseContext, type Output } from './show';
import { resolveStsEndpoint } from './sts-endpoint';
import { resolveTarget, type Target } from './target';

export interface Context {
  readonly root: string;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly out: Output;
}

const TIMEOUT_MS = 60_000;
/** Headers the signature sets; a --header for them would be overwritten or break it. */
const SIGNATURE_HEADERS = new Set(['authorization', 'host', 'x-amz-date', 'x-amz-security-token']);

function readData(data: string, cwd: string): Buffer {
  if (!data.startsWith('@')) return Buffer.from(data, 'utf8');
  if (data === '@-') return fs.readFileSync(0);
  const file = path.resolve(cwd, data.slice(1));
  try {
    return fs.readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(`Cannot read the --data file ${file}: ${code === 'ENOENT' ? 'no such file' : code}. Use --data @PATH (relative to the current directory) or --data '<json>'.`);
  }
}

function isJson(body: Buffer): boolean {
  try {
    JSON.parse(body.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

function buildHeaders(lines: readonly string[], body: Buffer | undefined): Array<[string, string]> {
  const headers: Array<[string, string]> = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new CliError(`--header "${line}" is not "Name: value", e.g. --header 'x-request-id: 42'.`);
    if (SIGNATURE_HEADERS.has(name.toLowerCase())) throw new CliError(`--header ${name}: the signature sets this header; drop it.`);
    headers.push([name, line.slice(colon + 1).trim()]);
  }
  if (body && !headers.some(([name]) => name.toLowerCase() === 'content-type')) headers.push(['content-type', isJson(body) ? 'application/json' : 'application/octet-stream']);
  return headers;
}

function unreachable(error: unknown, target: Target): CliError {
  const where = `${target.url.origin} (URL from ${target.urlFrom})`;
  if (error instanceof TimeoutError) return new CliError(`No answer from ${where} within ${TIMEOUT_MS / 1000} s.`, EXIT.unreachable);
  const cause = error as { code?: string; message?: string; errors?: Array<{ code?: string }> };
  const code = cause?.code ?? cause?.errors?.[0]?.code;
  const what: Record<string, string> = { ECONNREFUSED: 'connection refused', ENOTFOUND: 'host not found', EAI_AGAIN: 'host not found', ETIMEDOUT: 'connection timed out', ECONNRESET: 'connection reset' };
  const reason = (code && what[code]) ?? (code || cause?.message || String(error));
  const todo = target.loopback && code === 'ECONNREFUSED'
    ? 'Is `npm start` running? Start the local gateway with `npm start` (it prints its URL), or pass --url with the right port.'
    : 'Check the URL and your network, and that the stack is deployed.';
  return new CliError(`Could not connect to ${where}: ${reason}. ${todo}`, EXIT.unreachable);
}

/** The `message` of a JSON error body, as API Gateway sends them. */
function messageOf(body: Buffer): string | undefined {
  try {
    const message = (JSON.parse(body.toString('utf8')) as { message?: unknown }).message;
    return typeof message === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}

function retryDelay(answer: Answer, attempt: number): number {
  const after = Number(header(answer, 'retry-after'));
  return Math.min(Number.isFinite(after) && after > 0 ? after * 1000 : 200 * 2 ** attempt, 10_000);
}

export async function call(command: CallCommand, context: Context): Promise<number> {
  const { env, out } = context;
  const body = command.data === undefined ? undefined : readData(command.data, context.cwd);
  const headers = buildHeaders(command.headers, body);
  const gateway = runningGateway(context.root, env);
  const target = await resolveTarget({ path: command.path, url: command.url, stack: command.stack, region: command.region, root: context.root, env, gateway });
  const sources: CredentialSources = {
    profile: command.profile, env, localFile: localKeysFile(context.root, env, gateway), home: os.homedir(), region: target.region, stsUrl: command.stsUrl,
    warn: (line) => out.stderr(`${line}\n`),
  };
  const profile = profileContext(sources);
  const found = await resolveCredentials(sources, profile);
  const credentials = command.role
    ? await assumeRole(found, command.role, resolveStsEndpoint({ stsUrl: command.stsUrl, env, profileName: profile.name, profile: profile.profile, config: profile.config, gateway, targetUrl: target.url, region: target.region }), target.region)
    : found;
  const verbose = (lines: string[]): void => { if (command.verbose) out.stderr(scrub(`${lines.join('\n')}\n`, credentials)); };
  verbose(verboseContext(target, credentials));
  const signing = { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken, service: 'execute-api', region: target.region };

  for (let attempt = 0; ; attempt++) {
    // aws4fetch signs (re-signed on each attempt: a fresh X-Amz-Date); node:http sends.
    const signer = new AwsV4Signer({ ...signing, method: command.method, url: target.url.href, headers, body });
    const signed = await signer.sign();
    verbose(requestLines(command.method, target.url, signed.headers, body?.length ?? 0));
    let answer: Answer;
    try {
      const sent = Object.fromEntries(signed.headers);
      if (body) sent['content-length'] = String(body.length);
      answer = await send(command.method, target.url, sent, body, TIMEOUT_MS);
    } catch (error) {
      throw unreachable(error, target);
    }
    if ((answer.status === 429 || answer.status >= 500) && attempt < command.retries) {
      const delay = retryDelay(answer, attempt);
      out.stderr(`${statusLine(answer)}; retrying in ${delay} ms (${attempt + 1} of ${command.retries})\n`);
      await new Promise((resolve) => setTimeout(resolve, delay));
      continue;
    }
    if (command.verbose) verbose(responseLines(answer));
    else out.stderr(`${statusLine(answer)}\n`);
    out.stdout(formatBody(answer.body, header(answer, 'content-type')));
    const ok = answer.status >= 200 && answer.status < 300;
    const advice = ok ? undefined : hint({ status: answer.status, errorType: header(answer, 'x-amzn-errortype'), message: messageOf(answer.body), method: command.method, url: target.url, target, credentials, retried: attempt });
    if (advice) out.stderr(`${scrub(advice, credentials)}\n`);
    const why = answer.status === 403 ? localDenial(gateway, target.url, header(answer, 'apigw-requestid')) : undefined;
    if (why) out.stderr(`${scrub(`Why (the local gateway's IAM decision): ${why}`, credentials)}\n`);
    return exitForStatus(answer.status);
  }
}
