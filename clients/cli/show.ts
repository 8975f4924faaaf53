/**
 * What `call` prints. stdout gets the response body only (pretty JSON when it is JSON), so it
 * pipes into jq; stderr gets the status line, --verbose's lines and hints. Secrets are
 * redacted twice: by header (the Signature= value, X-Amz-Security-Token, anything named like
 * a secret) and by value (the secret key and session token never pass, whatever the line).
 */
import { STATUS_CODES } from 'node:http';
import type { Credentials } from './credentials';
import type { Answer } from './http';
import type { Target } from './target';

export interface Output {
  stdout(chunk: string | Uint8Array): void;
  stderr(text: string): void;
}

const REDACTED = '<redacted>';
const SECRET_NAMED = /secret|token|password|passwd|api-?key|cookie/i;

export function redactHeader(name: string, value: string): string {
  if (name.toLowerCase() === 'authorization') return value.replace(/Signature=[0-9a-fA-F]*/g, `Signature=${REDACTED}`);
  return SECRET_NAMED.test(name) ? REDACTED : value;
}

/** Removes the secret and the session token (and those of --role-arn's credentials) from any text, whatever put them there. */
export function scrub(text: string, credentials: Credentials): string {
  let out = text;
  for (let c: Credentials | undefined = credentials; c; c = c.via) {
    for (const secret of [c.secretAccessKey, c.sessionToken]) {
      if (secret) out = out.split(secret).join(REDACTED);
    }
  }
  return out;
}

export function verboseContext(target: Target, credentials: Credentials): string[] {
  return [
    `* URL ${target.url.href} (from ${target.urlFrom})`,
    `* region ${target.region} (from ${target.regionFrom}), service execute-api`,
    `* credentials: ${credentials.accessKeyId} (${credentials.source})`,
    ...(credentials.expiration ? [`* credentials expire at ${credentials.expiration.toISOString()}`] : []),
  ];
}

export function requestLines(method: string, url: URL, headers: Iterable<[string, string]>, bodyBytes: number): string[] {
  const lines = [`> ${method} ${url.pathname}${url.search} HTTP/1.1`, `> host: ${url.host}`];
  for (const [name, value] of headers) lines.push(`> ${name}: ${redactHeader(name, value)}`);
  if (bodyBytes > 0) lines.push(`> content-length: ${bodyBytes}`);
  return [...lines, '>'];
}

export function statusLine(answer: Answer): string {
  return `HTTP/${answer.httpVersion} ${answer.status} ${answer.statusText || STATUS_CODES[answer.status] || ''}`.trimEnd();
}

export function responseLines(answer: Answer): string[] {
  return [`< ${statusLine(answer)}`, ...answer.headers.map(([name, value]) => `< ${name}: ${redactHeader(name, value)}`), '<'];
}

/** The body for stdout: JSON pretty-printed (with a final newline), anything else as it came. */
export function formatBody(bytes: Uint8Array, contentType: string | null): string | Uint8Array {
  if (bytes.length === 0) return bytes;
  const text = Buffer.from(bytes).toString('utf8');
  if (/json/i.test(contentType ?? '') || /^\s*[[{]/.test(text)) {
    try {
      return `${JSON.stringify(JSON.parse(text), null, 2)}\n`;
    } catch {
      // Not JSON after all: print it as it is.
    }
  }
  return bytes;
}

export interface HintInput {
  readonly status: number;
  readonly errorType: string | null;
  readonly message: string | undefined;
  readonly method: string;
  readonly url: URL;
  readonly target: Target;
  readonly credentials: Credentials;
  readonly retried: number;
}

/** What to do about a non-2xx answer, or undefined when there is nothing useful to say. */
export function hint(input: HintInput): string | undefined {
  const { status, errorType, message = '', method, url, target, credentials } = input;
  const who = `${credentials.accessKeyId} (${credentials.source})`;
  if (status === 403 && !errorType && message === 'Forbidden') {
    return `Denied: ${who} may not ${method} ${url.pathname}; its IAM policy does not allow execute-api:Invoke on this route. Call as an invoker that may (the local gateway's banner lists what each may invoke), or change its allow rules in iam-http-api.config.ts.`;
  }
  if (errorType === 'ExpiredTokenException') {
    const when = credentials.expiration ? ` at ${credentials.expiration.toISOString()}` : '';
    return `The session of ${who} expired${when}: get new temporary credentials (assume the role again: --role-arn, a role profile, or iam-http-api keys --role NAME --env).`;
  }
  if (errorType === 'UnrecognizedClientException' && credentials.sessionToken) {
    return `The API does not accept the session token of ${who}: it was not issued by this API's STS, or it was altered. Local sessions come from the local gateway's STS (a restart of npm start keeps them; deleting .iam-http-api/session-key and restarting it ends them all); a deployed API takes AWS's.`;
  }
  if (errorType === 'UnrecognizedClientException') {
    return `The API does not know the access key ${who}. Sign with the keys of the API you call: a local gateway's are in its credentials file (iam-http-api keys), a deployed stack's are its Terraform outputs (iam-http-api keys --stack NAME).`;
  }
  if (errorType === 'InvalidSignatureException' && /scoped to a valid region/.test(message)) {
    return `The request was signed for region ${target.region} (from ${target.regionFrom}), which is not the API's: pass --region REGION, or unset it.`;
  }
  if (errorType === 'InvalidSignatureException' && /does not match/.test(message)) {
    return `The signature does not match: the secret access key is not the one for ${who}. Check those credentials (iam-http-api keys shows the local ones).`;
  }
  if (status === 404) return `No route for ${method} ${url.pathname} (from ${target.urlFrom}): check the path and the base URL.`;
  if (status === 429 || status >= 500) {
    return input.retried > 0 ? `Still HTTP ${status} after ${input.retried} ${input.retried === 1 ? 'retry' : 'retries'}; try again later.` : `HTTP ${status}; --retries N retries it with backoff.`;
  }
  return undefined;
}
