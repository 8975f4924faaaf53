/**
 * AWS's SigV4 test vectors (../shared/sigv4-test-suite, read in place, never copied): one
 * folder per case with context.json, the raw request, and the header- and query-signed
 * requests with their intermediate canonical request, string to sign and signature.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { IncomingSignedRequest } from '../../src/gateway/verify-signature';

/** The suite's folder, resolved from this project's __tests__/<dir>/. */
export const SIGV4_SUITE_DIR = path.resolve(__dirname, '../../../shared/sigv4-test-suite');

/** A case's context.json. */
export interface VectorContext {
  readonly credentials: {
    readonly access_key_id: string;
    readonly secret_access_key: string;
    readonly token?: string;
  };
  readonly expiration_in_seconds: number;
  /** Whether the URI path is normalized: true for every service except S3. */
  readonly normalize: boolean;
  readonly region: string;
  readonly service: string;
  /** Whether x-amz-content-sha256 is added. */
  readonly sign_body: boolean;
  /** The signing time, e.g. 2015-08-30T12:36:00Z. */
  readonly timestamp: string;
  /** The session token is added after signing (not part of the signature). */
  readonly omit_session_token?: boolean;
}

/** One signed form of a case: the request as sent plus AWS's intermediate values. */
export interface SignedVector {
  readonly request: IncomingSignedRequest;
  readonly canonicalRequest: string;
  readonly stringToSign: string;
  readonly signature: string;
}

/** One case folder. */
export interface SigV4Vector {
  readonly name: string;
  readonly context: VectorContext;
  readonly header: SignedVector;
  readonly query: SignedVector;
}

/** Names of the case folders (those with a context.json), sorted. */
export function listVectorNames(): string[] {
  if (!fs.existsSync(SIGV4_SUITE_DIR)) {
    throw new Error(`AWS's SigV4 test vectors are not at ${SIGV4_SUITE_DIR}: the tests read them from the shared/ folder beside the project checkout (../shared/sigv4-test-suite).`);
  }
  return fs
    .readdirSync(SIGV4_SUITE_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(SIGV4_SUITE_DIR, entry.name, 'context.json')))
    .map((entry) => entry.name)
    .sort();
}

function readCaseFile(name: string, file: string): string {
  return fs.readFileSync(path.join(SIGV4_SUITE_DIR, name, file), 'utf8');
}

/** Loads one case folder. */
export function loadVector(name: string): SigV4Vector {
  const signed = (prefix: 'header' | 'query'): SignedVector => ({
    request: parseHttpRequest(readCaseFile(name, `${prefix}-signed-request.txt`)),
    canonicalRequest: readCaseFile(name, `${prefix}-canonical-request.txt`),
    stringToSign: readCaseFile(name, `${prefix}-string-to-sign.txt`),
    signature: readCaseFile(name, `${prefix}-signature.txt`).trim(),
  });
  return {
    name,
    context: JSON.parse(readCaseFile(name, 'context.json')) as VectorContext,
    header: signed('header'),
    query: signed('query'),
  };
}

/** `GET /a b?x=1 HTTP/1.1` to its method, target and version; the target may contain spaces. */
export function parseRequestLine(line: string): { method: string; target: string; version: string } {
  const firstSpace = line.indexOf(' ');
  const lastSpace = line.lastIndexOf(' ');
  if (firstSpace < 0 || lastSpace <= firstSpace) throw new Error(`Not an HTTP request line: ${JSON.stringify(line)}`);
  return { method: line.slice(0, firstSpace), target: line.slice(firstSpace + 1, lastSpace), version: line.slice(lastSpace + 1) };
}

/** `/path?query` to rawPath and rawQuery (without '?'). */
export function splitTarget(target: string): { rawPath: string; rawQuery: string } {
  const question = target.indexOf('?');
  return question < 0 ? { rawPath: target, rawQuery: '' } : { rawPath: target.slice(0, question), rawQuery: target.slice(question + 1) };
}

/**
 * Header lines to Node's rawHeaders shape. A line starting with whitespace continues the
 * previous header's value (obs-fold): it is joined with one space, as the canonical form does.
 * Values are trimmed of surrounding whitespace, as Node's parser does; internal runs are kept.
 */
export function parseHeaderLines(lines: readonly string[]): string[] {
  const rawHeaders: string[] = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line)) {
      if (rawHeaders.length === 0) throw new Error(`Continuation line before any header: ${JSON.stringify(line)}`);
      rawHeaders[rawHeaders.length - 1] = `${rawHeaders[rawHeaders.length - 1]} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`Not a header line: ${JSON.stringify(line)}`);
    rawHeaders.push(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return rawHeaders;
}

/** A raw HTTP/1.1 request (as in the vector files) to an IncomingSignedRequest. */
export function parseHttpRequest(text: string): IncomingSignedRequest {
  const normalized = text.replace(/\r\n/g, '\n');
  const blank = normalized.indexOf('\n\n');
  const head = blank < 0 ? normalized.replace(/\n$/, '') : normalized.slice(0, blank);
  const body = blank < 0 ? '' : normalized.slice(blank + 2);
  const [requestLine, ...headerLines] = head.split('\n');
  const { method, target } = parseRequestLine(requestLine);
  return { method, ...splitTarget(target), rawHeaders: parseHeaderLines(headerLines), body: Buffer.from(body, 'utf8') };
}

/** The canonical URI (second line) of a canonical request. */
export function canonicalUriOf(canonicalRequest: string): string {
  return canonicalRequest.split('\n')[1];
}
