/**
 * Verifies AWS Signature Version 4 on an incoming request, the way API Gateway does for an
 * `AWS_IAM` route: `Authorization: AWS4-HMAC-SHA256 ...` header signing and presigned
 * (`X-Amz-Signature` query) signing.
 *
 * The expected signature is recomputed by `@smithy/signature-v4`, AWS's own signer, never by
 * hand: this file only parses the request, checks the parts AWS checks before the signature
 * (in AWS's order and words), steers the library to sign exactly what the client signed, and
 * compares the two signatures in constant time.
 *
 * Steering `@smithy/signature-v4` (v5.7.5), see `dist-cjs/index.js`:
 *  - Signed headers: the library signs every header it is given except its
 *    ALWAYS_UNSIGNABLE_HEADERS / `proxy-*` / `sec-*`, unless listed in `signableHeaders`. We give
 *    it only the client's SignedHeaders (duplicates pre-joined with ',' in order, each value
 *    trimmed) and pass that list as `signableHeaders`, so the client's list is used exactly.
 *  - Payload hash: the library takes `x-amz-content-sha256` when present. We always put the
 *    verified payload hash there and mark it unsignable unless the client signed it, so it
 *    reaches the canonical request's last line without becoming a signed header.
 *  - `x-amz-date`: `sign()` always sets it from `signingDate`; it is marked unsignable unless
 *    the client signed it. `signingDate` is the request's own X-Amz-Date (or Date), so the value
 *    the library writes is the client's (X-Amz-Date must be ISO-8601 basic, which round-trips).
 *  - Path: `uriEscapePath: true` (the non-S3 behaviour) normalizes dot segments and empty
 *    segments, then URI-encodes. We pass the path AS RECEIVED (still percent-encoded), so a
 *    `%20` on the wire becomes `%2520` in the canonical URI: the double encoding AWS documents
 *    for every service but S3, and what aws4fetch and botocore compute on the client side. (A
 *    decoded path would give single encoding; the vectors cannot tell the two apart because none
 *    has a `%` in its path, but the execute-api tests in the test file, signed by smithy and by
 *    aws4fetch with encoded paths, can.)
 *  - Query: a null-prototype object of decoded keys/values ('+' read as a space, as API Gateway
 *    does: zirkelc/aws-signature-v4#4 shows AWS's canonical `id%20eq%20123` for the wire
 *    `id+eq+123`), arrays for repeated keys; the library re-encodes and sorts, and drops
 *    `X-Amz-Signature` itself.
 *  - `presign()` rewrites X-Amz-Algorithm/Credential/Date/Expires/SignedHeaders from its own
 *    inputs; those inputs are the validated values of the request, so they come out equal. It
 *    would hoist `x-amz-*` headers into the query: all of them are passed as `unhoistableHeaders`.
 *    Credentials are given to the library WITHOUT the session token, so neither `sign()` nor
 *    `presign()` adds one: the client's own token header/param is signed iff the client signed it.
 *
 * Gaps of the library, handled by the one small adapter `VerifierSignatureV4.signatureOf`, which
 * still uses the library's `getCanonicalHeaders`, `createCanonicalRequest`, `createStringToSign`
 * and string signing (key derivation and HMAC stay in the library):
 *  1. A signed `Date` header (clients dating the request by `Date` instead of `X-Amz-Date`):
 *     `sign()`/`presign()` delete `date` from the request (their `prepareRequest`), so they
 *     cannot sign it.
 *  2. A presigned URL without `X-Amz-Expires` (aws4fetch's `signQuery` for non-S3 services):
 *     `presign()` always adds `X-Amz-Expires` to the canonical query.
 *  3. A presigned URL whose `X-Amz-Security-Token` was appended after signing (the vectors'
 *     `post-sts-header-after`, `omit_session_token: true`; aws4fetch's `appendSessionToken`):
 *     not a library gap but an ambiguity of the URL; when the signature does not match and a
 *     token is present, the signature is recomputed once without the token param.
 *
 * Choices where AWS's behaviour or wording is not confirmed (see errors.ts for the factories):
 *  - Presigned payload hash: the vectors' query-canonical-request.txt use the body's SHA-256
 *    (empty-body hash for GETs, the form body's hash for the POSTs), not UNSIGNED-PAYLOAD; so
 *    both modes use the same rule: `X-Amz-Content-Sha256` if sent, else the body's hash.
 *  - A request whose `X-Amz-Content-Sha256` is neither UNSIGNED-PAYLOAD nor the body's hash is
 *    answered with the signature mismatch, what a non-S3 service answers when it hashes the body
 *    itself and the client signed another hash.
 *  - Host not signed: AWS's sentence "'Host' or ':authority' must be a 'SignedHeader' in the AWS
 *    Authorization." (recorded by dacut/scratchstack-aws-signature; dynalite records the older
 *    "'Host' must be a 'SignedHeader' in the AWS Authorization."): `errors.hostNotSigned`,
 *    InvalidSignatureException.
 *  - Missing presigned parameters: AWS's "AWS query-string parameters must include '<param>'. ...
 *    Re-examine the query-string parameters." (dynalite, scratchstack):
 *    `errors.incompleteQuerySignature` (IncompleteSignatureException, as AWS).
 *  - Header and query signature both present: signature mismatch (scratchstack's choice; dynalite
 *    records "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP
 *    header.").
 *  - A session token on a key without one, a missing token on a key with one, or a different
 *    token: `errors.unknownAccessKey()` ("The security token included in the request is
 *    invalid.", UnrecognizedClientException), as AWS answers an invalid token.
 *  - Credential scope problems are reported one at a time, first of region, service,
 *    terminator, date (AWS joins all of them in one message).
 *  - Order of the checks: dynalite's record of AWS's (incomplete → date format → time → host →
 *    credential → scope → key → signature), except that the session token is checked before
 *    the signature rather than after it, and the payload hash just before the signature.
 *  - Date format: "Date must be in ISO-8601 'basic format'. Got '<value>'. See
 *    http://en.wikipedia.org/wiki/ISO_8601" (dynalite), IncompleteSignatureException.
 *  - X-Amz-Expires outside 1..604800: S3's texts ("X-Amz-Expires should be a number", "... must
 *    be non-negative", "... must be less than a week (in seconds) that is 604800") and, for 0, our
 *    own "X-Amz-Expires must be at least 1 second"; API Gateway's are unconfirmed. A presigned URL
 *    without X-Amz-Expires is held to the 5-minute window of header signing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import {
  ALGORITHM_IDENTIFIER,
  AMZ_DATE_HEADER,
  AUTH_HEADER,
  DATE_HEADER,
  GENERATED_HEADERS,
  HOST_HEADER,
  KEY_TYPE_IDENTIFIER,
  MAX_PRESIGNED_TTL,
  SHA256_HEADER,
  SignatureV4,
  TOKEN_HEADER,
  UNSIGNED_PAYLOAD,
  createScope,
  getCanonicalHeaders,
} from '@smithy/signature-v4';
import { amzDate, errors } from './errors';

// ---------------------------------------------------------------------------------------------
// Public shapes
// ---------------------------------------------------------------------------------------------

/** A request as the gateway received it, before any decoding. */
export interface IncomingSignedRequest {
  /** As received, e.g. 'GET'. */
  readonly method: string;
  /** Path as received on the wire, still percent-encoded, no query. */
  readonly rawPath: string;
  /** Query string as received, without '?', may be ''. */
  readonly rawQuery: string;
  /** Node's `IncomingMessage.rawHeaders` shape: [name, value, name, value, ...], duplicates kept. */
  readonly rawHeaders: readonly string[];
  readonly body: Uint8Array;
}

/** The secret side of an access key. */
export interface Credentials {
  readonly secretAccessKey: string;
  /** When set, the request must carry this exact `X-Amz-Security-Token`. */
  readonly sessionToken?: string;
}

/** What the verifier needs besides the request. */
export interface VerifyOptions {
  /** Expected region in the credential scope. */
  readonly region: string;
  /** Expected service in the credential scope: 'execute-api' in the gateway; 'service' for the vectors. */
  readonly service: string;
  /** Injected clock. */
  readonly now: Date;
  /**
   * The key's secret, given the request's X-Amz-Security-Token (a session key's token carries
   * its secret, session-tokens.ts); may throw a GatewayError (an expired session token).
   */
  readonly lookupCredentials: (accessKeyId: string, sessionToken: string | undefined) => Credentials | undefined;
  /** Signer cache to use; defaults to the module-level `defaultSignerCache`. */
  readonly signerCache?: SignerCache;
}

/** The authenticated caller. */
export interface VerifiedCaller {
  readonly accessKeyId: string;
  /** The client's SignedHeaders, lower-cased, in the client's order. */
  readonly signedHeaders: readonly string[];
  /** The request's signing time (X-Amz-Date, or Date). */
  readonly signedAt: Date;
  /** True for a presigned URL (query signing). */
  readonly presigned: boolean;
}

// ---------------------------------------------------------------------------------------------
// Constants (names and limits from @smithy/signature-v4 where it has them)
// ---------------------------------------------------------------------------------------------

/** Allowed clock skew either way for a signed request. [sigv4-errors] */
const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

/** Presigned-URL query parameters (case-sensitive, as AWS reads them). */
const QUERY_PARAM = {
  algorithm: 'X-Amz-Algorithm',
  credential: 'X-Amz-Credential',
  date: 'X-Amz-Date',
  expires: 'X-Amz-Expires',
  signedHeaders: 'X-Amz-SignedHeaders',
  signature: 'X-Amz-Signature',
  securityToken: 'X-Amz-Security-Token',
} as const;

/** The parts AWS names when a presigned URL lacks them, in AWS's order (dynalite, scratchstack). */
const REQUIRED_QUERY_PARAMS = [
  QUERY_PARAM.algorithm,
  QUERY_PARAM.credential,
  QUERY_PARAM.signature,
  QUERY_PARAM.signedHeaders,
  QUERY_PARAM.date,
] as const;

/** AWS's sentences for an incomplete `Authorization` header, in AWS's order. */
const AUTHORIZATION_REQUIRES = {
  Credential: "Authorization header requires 'Credential' parameter.",
  Signature: "Authorization header requires 'Signature' parameter.",
  SignedHeaders: "Authorization header requires 'SignedHeaders' parameter.",
  date: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
} as const;


const SHA256_HEX = /^[0-9a-f]{64}$/i;
const AMZ_DATE_FORMAT = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
/** RFC 7231 IMF-fixdate, the `Date` header's form. */
const HTTP_DATE_FORMAT = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** `@smithy/hash-node`'s Hash as the SHA-256 constructor the signer expects. */
const Sha256 = Hash.bind(null, 'sha256');

// ---------------------------------------------------------------------------------------------
// Signer cache
// ---------------------------------------------------------------------------------------------

/** The request shape `@smithy/signature-v4` signs (smithy's `HttpRequest`). */
type SignableRequest = Parameters<SignatureV4['presign']>[0];
type SignableQuery = Record<string, string | string[]>;
type SignableHeaders = Record<string, string>;

/** The parts of a credential scope a signer is bound to. */
export interface CredentialScope {
  readonly accessKeyId: string;
  /** yyyymmdd */
  readonly date: string;
  readonly region: string;
  readonly service: string;
}

/**
 * `@smithy/signature-v4`'s signer with one adapter for what its `sign()`/`presign()` cannot
 * express (a signed `Date` header, a presigned URL without X-Amz-Expires): it signs a request as
 * given, with the library's own canonical headers, canonical request, string to sign and key.
 */
export class VerifierSignatureV4 extends SignatureV4 {
  public constructor(init: ConstructorParameters<typeof SignatureV4>[0]) {
    super(init);
    // The library re-derives nothing on a cache hit but still HMACs (secret, key id) to find its
    // cache entry on every request; keep the library's own result per (date, region, service).
    const self = this as unknown as { getSigningKey: (c: unknown, region: string, shortDate: string, service?: string) => Promise<Uint8Array> };
    const derive = self.getSigningKey.bind(this);
    const memo = new Map<string, Promise<Uint8Array>>();
    self.getSigningKey = (credentials, region, shortDate, service) => {
      const key = `${shortDate}\n${region}\n${service ?? ''}`;
      let derived = memo.get(key);
      if (!derived) {
        derived = derive(credentials, region, shortDate, service);
        memo.set(key, derived);
      }
      return derived;
    };
  }

  /**
   * The signature of `request` exactly as given: no header added, removed or hoisted.
   * `canonicalRequest` and `stringToSign` are returned for diagnostics.
   */
  public async signatureOf(
    request: SignableRequest,
    options: {
      readonly signingDate: Date;
      readonly scope: CredentialScope;
      readonly signableHeaders: ReadonlySet<string>;
      readonly unsignableHeaders: ReadonlySet<string>;
      readonly payloadHash: string;
    },
  ): Promise<{ canonicalRequest: string; stringToSign: string; signature: string }> {
    const { signingDate, scope } = options;
    const canonicalHeaders = getCanonicalHeaders(request, new Set(options.unsignableHeaders), new Set(options.signableHeaders));
    const canonicalRequest = this.createCanonicalRequest(request, canonicalHeaders, options.payloadHash);
    const { longDate } = this.formatDate(signingDate);
    const stringToSign = await this.createStringToSign(
      longDate,
      createScope(scope.date, scope.region, scope.service),
      canonicalRequest,
      ALGORITHM_IDENTIFIER,
    );
    const signature = await this.sign(stringToSign, { signingDate, signingRegion: scope.region, signingService: scope.service });
    return { canonicalRequest, stringToSign, signature };
  }
}

/**
 * A small LRU of signers keyed by accessKeyId + date + region + service (the signing key's
 * inputs), so a busy gateway does not rebuild a signer per request. The derived signing keys
 * themselves are cached by `@smithy/signature-v4` (module-level, 50 entries, keyed by
 * date/region/service/HMAC(secret, accessKeyId)). An entry whose secret no longer matches the
 * looked-up credentials (a rotated key) is replaced.
 */
export class SignerCache {
  private readonly entries = new Map<string, { readonly secretAccessKey: string; readonly signer: VerifierSignatureV4 }>();

  public constructor(public readonly maxEntries = 256) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
  }

  /** The signer for `scope` and `secretAccessKey`, created on first use. */
  public signerFor(scope: CredentialScope, secretAccessKey: string): VerifierSignatureV4 {
    const key = [scope.accessKeyId, scope.date, scope.region, scope.service].join('\n');
    const cached = this.entries.get(key);
    if (cached) {
      this.entries.delete(key);
      if (cached.secretAccessKey === secretAccessKey) {
        this.entries.set(key, cached);
        return cached.signer;
      }
    }
    const signer = new VerifierSignatureV4({
      // No sessionToken on purpose: the client's token is signed iff the client signed it.
      credentials: { accessKeyId: scope.accessKeyId, secretAccessKey },
      region: scope.region,
      service: scope.service,
      sha256: Sha256,
      uriEscapePath: true,
      applyChecksum: false,
    });
    this.entries.set(key, { secretAccessKey, signer });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return signer;
  }

  /** Number of cached signers. */
  public get size(): number {
    return this.entries.size;
  }

  public clear(): void {
    this.entries.clear();
  }
}

/** The module-level signer cache used when `VerifyOptions.signerCache` is not given. */
export const defaultSignerCache = new SignerCache();

// ---------------------------------------------------------------------------------------------
// Parsers (small, pure)
// ---------------------------------------------------------------------------------------------

/** Header values by lower-cased name, in arrival order. */
type HeaderValues = ReadonlyMap<string, readonly string[]>;

/** One `key=value` pair of a query string, decoded. */
interface QueryParameter {
  readonly key: string;
  readonly value: string;
}

/** Node's rawHeaders ([name, value, ...]) to values by lower-cased name, duplicates kept in order. */
export function parseRawHeaders(rawHeaders: readonly string[]): HeaderValues {
  const headers = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    const values = headers.get(name);
    if (values) values.push(rawHeaders[i + 1]);
    else headers.set(name, [rawHeaders[i + 1]]);
  }
  return headers;
}

/** Percent-decodes a query component, '+' meaning a space; a malformed escape is kept as sent. */
function decodeQueryComponent(component: string): string {
  const spaced = component.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

/** A raw query string to its decoded pairs, in order; `key` alone means `key=`. */
export function parseQuery(rawQuery: string): readonly QueryParameter[] {
  const parameters: QueryParameter[] = [];
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const key = equals < 0 ? pair : pair.slice(0, equals);
    const value = equals < 0 ? '' : pair.slice(equals + 1);
    parameters.push({ key: decodeQueryComponent(key), value: decodeQueryComponent(value) });
  }
  return parameters;
}

function firstParam(query: readonly QueryParameter[], key: string): string | undefined {
  return query.find((parameter) => parameter.key === key)?.value;
}

function firstHeader(headers: HeaderValues, name: string): string | undefined {
  return headers.get(name)?.[0];
}

/** Whether an Authorization header is a SigV4 one (`AWS4-HMAC-SHA256` then space or end). */
function isSigV4Authorization(authorization: string): boolean {
  const trimmed = authorization.trim();
  return trimmed === ALGORITHM_IDENTIFIER || (trimmed.startsWith(ALGORITHM_IDENTIFIER) && /\s/.test(trimmed.charAt(ALGORITHM_IDENTIFIER.length)));
}

/** `AWS4-HMAC-SHA256 Credential=a, SignedHeaders=b, Signature=c` to {Credential: a, ...}; pieces without '=' are ignored. */
export function parseAuthorizationParameters(authorization: string): ReadonlyMap<string, string> {
  const parameters = new Map<string, string>();
  const rest = authorization.trim().slice(ALGORITHM_IDENTIFIER.length);
  for (const piece of rest.split(/[\s,]+/)) {
    const equals = piece.indexOf('=');
    if (equals > 0) parameters.set(piece.slice(0, equals), piece.slice(equals + 1));
  }
  return parameters;
}

/** `20150830T123600Z` to a Date; undefined unless it is a real instant in exactly that form. */
export function parseAmzDate(value: string): Date | undefined {
  const match = AMZ_DATE_FORMAT.exec(value);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const roundTrips =
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day &&
    date.getUTCHours() === hour && date.getUTCMinutes() === minute && date.getUTCSeconds() === second;
  return roundTrips ? date : undefined;
}

/** A `Date` header: IMF-fixdate or ISO-8601 basic; undefined otherwise. */
function parseHttpDate(value: string): Date | undefined {
  if (HTTP_DATE_FORMAT.test(value)) {
    // Date.parse is lenient (two-digit years, Feb 31 rolls over): accept only a value that is
    // exactly how that instant is written, weekday included.
    const time = Date.parse(value);
    return !Number.isNaN(time) && new Date(time).toUTCString() === value ? new Date(time) : undefined;
  }
  return parseAmzDate(value);
}

/** `AKID/20150830/us-east-1/service/aws4_request` to its parts; undefined unless exactly 5 parts. */
function parseCredential(credential: string): (CredentialScope & { readonly terminator: string }) | undefined {
  const parts = credential.split('/');
  if (parts.length !== 5) return undefined;
  const [accessKeyId, date, region, service, terminator] = parts;
  return { accessKeyId, date, region, service, terminator };
}

/** `host;x-amz-date` to ['host', 'x-amz-date']. */
function parseSignedHeaders(value: string): string[] {
  return value.split(';').map((name) => name.trim().toLowerCase()).filter((name) => name !== '');
}

// ---------------------------------------------------------------------------------------------
// Reading the signature's parts (AWS's incomplete-signature and date-format checks)
// ---------------------------------------------------------------------------------------------

/** The signature's parts, from the Authorization header or the presigned query. */
interface SignatureParts {
  readonly presigned: boolean;
  readonly credential: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
  readonly signedAt: Date;
  /** The date string as sent, for AWS's messages. */
  readonly requestDate: string;
  /** Presigned only; undefined when the URL has no X-Amz-Expires. */
  readonly expiresInSeconds?: number;
  readonly sessionToken?: string;
}

function dateFormatError(value: string) {
  return errors.malformedCredential(`Date must be in ISO-8601 'basic format'. Got '${value}'. See http://en.wikipedia.org/wiki/ISO_8601`);
}

function readAuthorizationHeader(authorization: string, headers: HeaderValues): SignatureParts {
  const parameters = parseAuthorizationParameters(authorization);
  const credential = parameters.get('Credential');
  const signature = parameters.get('Signature');
  const signedHeaders = parameters.get('SignedHeaders');
  const amzDate = firstHeader(headers, AMZ_DATE_HEADER);
  const httpDate = firstHeader(headers, DATE_HEADER);

  const missing: string[] = [];
  if (!credential) missing.push(AUTHORIZATION_REQUIRES.Credential);
  if (!signature) missing.push(AUTHORIZATION_REQUIRES.Signature);
  if (!signedHeaders) missing.push(AUTHORIZATION_REQUIRES.SignedHeaders);
  if (amzDate === undefined && httpDate === undefined) missing.push(AUTHORIZATION_REQUIRES.date);
  if (!credential || !signature || !signedHeaders || missing.length > 0) throw errors.incompleteSignature(missing, authorization);

  // A repeated header is canonicalized as its values joined with ',' (SigV4, "Create a canonical
  // request"), so AWS signs "<date>,<appended date>" and the client's signature cannot match;
  // smithy's sign() writes one date of its own, so without this check the recomputed signature
  // would cover the first value while the handler sees both.
  const dateValues = headers.get(amzDate !== undefined ? AMZ_DATE_HEADER : DATE_HEADER) ?? [];
  if (dateValues.length > 1) throw errors.signatureMismatch();
  const requestDate = (amzDate ?? httpDate ?? '').trim();
  const signedAt = amzDate !== undefined ? parseAmzDate(requestDate) : parseHttpDate(requestDate);
  if (!signedAt) throw dateFormatError(requestDate);

  return {
    presigned: false,
    credential,
    signedHeaders: parseSignedHeaders(signedHeaders),
    signature,
    signedAt,
    requestDate,
    sessionToken: firstHeader(headers, TOKEN_HEADER)?.trim(),
  };
}

/** X-Amz-Expires: an integer of seconds in 1..604800 (S3's texts; API Gateway's are unconfirmed). */
function parseExpires(value: string): number {
  if (!/^-?\d+$/.test(value)) throw errors.malformedCredential('X-Amz-Expires should be a number');
  const seconds = Number(value);
  if (seconds < 0) throw errors.malformedCredential('X-Amz-Expires must be non-negative');
  if (seconds < 1) throw errors.malformedCredential('X-Amz-Expires must be at least 1 second');
  if (seconds > MAX_PRESIGNED_TTL) throw errors.malformedCredential(`X-Amz-Expires must be less than a week (in seconds) that is ${MAX_PRESIGNED_TTL}`);
  return seconds;
}

/** undefined when X-Amz-Algorithm names another algorithm (not a SigV4 request). */
function readPresignedQuery(query: readonly QueryParameter[]): SignatureParts | undefined {
  const algorithm = firstParam(query, QUERY_PARAM.algorithm);
  if (algorithm !== undefined && algorithm !== ALGORITHM_IDENTIFIER) return undefined;

  const missing = REQUIRED_QUERY_PARAMS.filter((param) => !firstParam(query, param)).map(
    (param) => `AWS query-string parameters must include '${param}'.`,
  );
  if (missing.length > 0) throw errors.incompleteQuerySignature(missing);

  // presign() writes these parameters itself, once: a repeated one (which AWS would sign as all
  // its values) must not verify on the first value alone.
  for (const param of Object.values(QUERY_PARAM)) {
    if (query.filter((p) => p.key === param).length > 1) throw errors.signatureMismatch();
  }
  const requestDate = firstParam(query, QUERY_PARAM.date) ?? '';
  const signedAt = parseAmzDate(requestDate);
  if (!signedAt) throw dateFormatError(requestDate);
  const expires = firstParam(query, QUERY_PARAM.expires);

  return {
    presigned: true,
    credential: firstParam(query, QUERY_PARAM.credential) ?? '',
    signedHeaders: parseSignedHeaders(firstParam(query, QUERY_PARAM.signedHeaders) ?? ''),
    signature: firstParam(query, QUERY_PARAM.signature) ?? '',
    signedAt,
    requestDate,
    expiresInSeconds: expires === undefined ? undefined : parseExpires(expires),
    sessionToken: firstParam(query, QUERY_PARAM.securityToken),
  };
}

// ---------------------------------------------------------------------------------------------
// Checks before the signature
// ---------------------------------------------------------------------------------------------

/** ±5 minutes around `now`; a presigned URL with X-Amz-Expires is instead valid until date + expires. */
function checkRequestTime(parts: SignatureParts, now: Date): void {
  const signedAt = parts.signedAt.getTime();
  if (signedAt > now.getTime() + MAX_CLOCK_SKEW_MS) throw errors.signatureNotYetCurrent(parts.signedAt, now);
  if (parts.expiresInSeconds !== undefined) {
    if (now.getTime() > signedAt + parts.expiresInSeconds * 1000) throw errors.presignedUrlExpired();
  } else if (signedAt < now.getTime() - MAX_CLOCK_SKEW_MS) {
    throw errors.signatureExpired(parts.signedAt, now);
  }
}

/** `<keyid>/<yyyymmdd>/<region>/<service>/aws4_request`, dated the request's day, for this gateway. */
function checkCredentialScope(parts: SignatureParts, options: VerifyOptions): CredentialScope {
  const scope = parseCredential(parts.credential);
  if (!scope) {
    throw errors.malformedCredential(
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${parts.credential}'`,
    );
  }
  if (scope.region !== options.region) throw errors.wrongRegion(scope.region);
  if (scope.service !== options.service) throw errors.wrongService(options.service);
  if (scope.terminator !== KEY_TYPE_IDENTIFIER) {
    throw errors.malformedCredential(`Credential should be scoped with a valid terminator: '${KEY_TYPE_IDENTIFIER}', not '${scope.terminator}'.`);
  }
  const d = parts.signedAt;
  const shortDate = `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
  if (scope.date !== shortDate) {
    const longDate = amzDate(parts.signedAt);
    throw errors.malformedCredential(
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scope.date}' != '${longDate.slice(0, 8)}', from '${longDate}'.`,
    );
  }
  return scope;
}

function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** A key with a session token needs that token; a key without one accepts none. */
function checkSessionToken(credentials: Credentials, sessionToken: string | undefined): void {
  if (credentials.sessionToken === undefined) {
    if (sessionToken !== undefined) throw errors.unknownAccessKey();
    return;
  }
  if (sessionToken === undefined || !constantTimeEqual(sessionToken, credentials.sessionToken)) throw errors.unknownAccessKey();
}

/** X-Amz-Content-Sha256 when sent (UNSIGNED-PAYLOAD, or the body's hash), else the body's SHA-256. */
const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

function payloadHashOf(headers: HeaderValues, body: Uint8Array): string {
  const bodyHash = body.length === 0 ? EMPTY_BODY_SHA256 : createHash('sha256').update(body).digest('hex');
  const declared = headers.get(SHA256_HEADER);
  if (declared === undefined) return bodyHash;
  const value = declared.map((v) => v.trim()).join(',');
  if (value === UNSIGNED_PAYLOAD) return value;
  if (SHA256_HEX.test(value) && value.toLowerCase() === bodyHash) return value;
  throw errors.signatureMismatch();
}

// ---------------------------------------------------------------------------------------------
// Recomputing the signature with @smithy/signature-v4
// ---------------------------------------------------------------------------------------------

/** The client's signed headers, each value trimmed and duplicates joined with ',', plus the payload hash. */
function signableHeadersOf(headers: HeaderValues, signedHeaders: readonly string[], payloadHash: string): SignableHeaders {
  const signable: SignableHeaders = Object.create(null) as SignableHeaders;
  for (const name of signedHeaders) {
    const values = headers.get(name);
    if (values) signable[name] = values.map((value) => value.trim()).join(',');
  }
  signable[SHA256_HEADER] = payloadHash;
  return signable;
}

/** Decoded pairs to smithy's query bag: a string per key, an array for repeated keys. */
function signableQueryOf(query: readonly QueryParameter[], omit?: string): SignableQuery {
  const bag: SignableQuery = Object.create(null) as SignableQuery;
  for (const { key, value } of query) {
    if (key === omit) continue;
    const existing = bag[key];
    if (existing === undefined) bag[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else bag[key] = [existing, value];
  }
  return bag;
}

/** Everything the signature is recomputed from, once the checks before the signature passed. */
interface SigningPlan {
  readonly request: IncomingSignedRequest;
  readonly headers: HeaderValues;
  readonly query: readonly QueryParameter[];
  readonly parts: SignatureParts;
  readonly scope: CredentialScope;
  readonly signer: VerifierSignatureV4;
  readonly payloadHash: string;
}

/** The request handed to the library: the client's signed headers and the decoded query, optionally without the token param. */
function signableRequestOf(plan: SigningPlan, options: { readonly omitSecurityToken: boolean }): SignableRequest {
  const headers = signableHeadersOf(plan.headers, plan.parts.signedHeaders, plan.payloadHash);
  const query = signableQueryOf(plan.query, options.omitSecurityToken ? QUERY_PARAM.securityToken : undefined);
  return {
    method: plan.request.method,
    protocol: 'https:',
    hostname: headers[HOST_HEADER] ?? 'localhost',
    path: plan.request.rawPath === '' ? '/' : plan.request.rawPath,
    query,
    headers,
  };
}

/** The library's signing options for exactly the client's SignedHeaders. */
function signingOptionsOf(plan: SigningPlan) {
  const signableHeaders = new Set(plan.parts.signedHeaders);
  const unsignableHeaders = new Set([SHA256_HEADER, AMZ_DATE_HEADER].filter((name) => !signableHeaders.has(name)));
  return { signingDate: plan.parts.signedAt, signingRegion: plan.scope.region, signingService: plan.scope.service, signableHeaders, unsignableHeaders };
}

/** Whether `sign()`/`presign()` cannot express the request (see the file comment's gaps 1 and 2). */
function needsAdapter(parts: SignatureParts): boolean {
  const signed = new Set(parts.signedHeaders);
  return parts.presigned
    ? parts.expiresInSeconds === undefined || GENERATED_HEADERS.some((name) => signed.has(name))
    : signed.has(DATE_HEADER) || signed.has(AUTH_HEADER);
}

/** The signature `@smithy/signature-v4` computes for the request as the client signed it. */
async function expectedSignature(plan: SigningPlan, options: { readonly omitSecurityToken: boolean }): Promise<string> {
  const { signer, parts } = plan;
  const request = signableRequestOf(plan, options);
  const signingOptions = signingOptionsOf(plan);
  if (needsAdapter(parts)) {
    return (await signer.signatureOf(request, { ...signingOptions, scope: plan.scope, payloadHash: plan.payloadHash })).signature;
  }
  if (parts.presigned) {
    const unhoistableHeaders = new Set(Object.keys(request.headers).filter((name) => name.startsWith('x-amz-')));
    const presigned = await signer.presign(request, { ...signingOptions, expiresIn: parts.expiresInSeconds, unhoistableHeaders });
    const signature = presigned.query?.[QUERY_PARAM.signature];
    return typeof signature === 'string' ? signature : '';
  }
  const signed = await signer.sign(request, signingOptions);
  return /Signature=([0-9a-f]+)$/.exec(signed.headers[AUTH_HEADER] ?? '')?.[1] ?? '';
}

// ---------------------------------------------------------------------------------------------
// The verifier
// ---------------------------------------------------------------------------------------------

/**
 * Parses the request and runs every check that comes before the signature, in AWS's order:
 * incomplete signature → date format (and X-Amz-Expires) → request time → host signed →
 * credential scope (5 parts, region, service, terminator, date) → access key → session token →
 * payload hash. undefined when the request carries no SigV4 signature.
 */
function planVerification(request: IncomingSignedRequest, options: VerifyOptions): SigningPlan | undefined {
  const headers = parseRawHeaders(request.rawHeaders);
  const query = parseQuery(request.rawQuery);
  const authorization = firstHeader(headers, AUTH_HEADER);
  const headerSigned = authorization !== undefined && isSigV4Authorization(authorization);
  const querySigned = query.some(({ key }) => key === QUERY_PARAM.algorithm || key === QUERY_PARAM.signature);
  if (!headerSigned && !querySigned) return undefined;
  if (headerSigned && querySigned) throw errors.signatureMismatch();

  const parts = headerSigned ? readAuthorizationHeader(authorization, headers) : readPresignedQuery(query);
  if (!parts) return undefined;

  checkRequestTime(parts, options.now);
  if (!parts.signedHeaders.includes(HOST_HEADER)) throw errors.hostNotSigned();
  const scope = checkCredentialScope(parts, options);
  const credentials = options.lookupCredentials(scope.accessKeyId, parts.sessionToken);
  if (!credentials) throw errors.unknownAccessKey();
  checkSessionToken(credentials, parts.sessionToken);
  const payloadHash = payloadHashOf(headers, request.body);
  const signer = (options.signerCache ?? defaultSignerCache).signerFor(scope, credentials.secretAccessKey);
  return { request, headers, query, parts, scope, signer, payloadHash };
}

/**
 * Verifies the request's SigV4 signature.
 *
 * Returns undefined when the request carries no SigV4 signature at all (no Authorization header
 * with AWS4-HMAC-SHA256 and no X-Amz-Signature / X-Amz-Algorithm query param) so the caller can
 * answer errors.missingAuthentication(); throws GatewayError for every other failure.
 */
export async function verifySignature(request: IncomingSignedRequest, options: VerifyOptions): Promise<VerifiedCaller | undefined> {
  const plan = planVerification(request, options);
  if (!plan) return undefined;
  const { parts } = plan;
  let matches = constantTimeEqual(await expectedSignature(plan, { omitSecurityToken: false }), parts.signature);
  if (!matches && parts.presigned && parts.sessionToken !== undefined) {
    // The token may have been appended to the URL after signing (gap 3 in the file comment).
    matches = constantTimeEqual(await expectedSignature(plan, { omitSecurityToken: true }), parts.signature);
  }
  if (!matches) throw errors.signatureMismatch();
  return { accessKeyId: plan.scope.accessKeyId, signedHeaders: parts.signedHeaders, signedAt: parts.signedAt, presigned: parts.presigned };
}

/** What the gateway computed for a request: AWS's intermediate values, for diagnostics and tests. */
export interface SignatureExplanation {
  readonly canonicalRequest: string;
  readonly stringToSign: string;
  readonly signature: string;
}

/**
 * The canonical request, string to sign and signature the gateway expects for `request` (after
 * the same checks as `verifySignature`, which may throw), computed through the library's
 * canonicalization with the adapter `VerifierSignatureV4.signatureOf`. For a debug log on a
 * mismatch, as API Gateway REST APIs put them in their error body. `omitSecurityToken` leaves the
 * presigned X-Amz-Security-Token param out of the canonical query.
 */
export async function explainSignature(
  request: IncomingSignedRequest,
  options: VerifyOptions & { readonly omitSecurityToken?: boolean },
): Promise<SignatureExplanation | undefined> {
  const plan = planVerification(request, options);
  if (!plan) return undefined;
  const signingOptions = signingOptionsOf(plan);
  const signable = signableRequestOf(plan, { omitSecurityToken: options.omitSecurityToken ?? false });
  return plan.signer.signatureOf(signable, { ...signingOptions, scope: plan.scope, payloadHash: plan.payloadHash });
}
