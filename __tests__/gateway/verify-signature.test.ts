import { createHash, createHmac } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { AwsV4Signer } from 'aws4fetch';
import { GatewayError } from '../../src/gateway/errors';
import {
  SignerCache,
  explainSignature,
  parseQuery,
  verifySignature,
  type Credentials,
  type IncomingSignedRequest,
  type VerifyOptions,
} from '../../src/gateway/verify-signature';
import { canonicalUriOf, listVectorNames, loadVector, type SigV4Vector } from '../support/sigv4-vectors';

// ---------------------------------------------------------------------------------------------
// Exact texts
// ---------------------------------------------------------------------------------------------

const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const INVALID_TOKEN = 'The security token included in the request is invalid.';
const HOST_MUST_BE_SIGNED = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.";
const REQUIRES = {
  Credential: "Authorization header requires 'Credential' parameter.",
  Signature: "Authorization header requires 'Signature' parameter.",
  SignedHeaders: "Authorization header requires 'SignedHeaders' parameter.",
  date: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
} as const;

const mismatch = { status: 403, message: SIGNATURE_MISMATCH, errorType: 'InvalidSignatureException' };

async function rejection(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected the request to be rejected, but it was accepted');
}

// ---------------------------------------------------------------------------------------------
// Vectors
// ---------------------------------------------------------------------------------------------

const vectors = listVectorNames().map(loadVector);
const normalized = vectors.filter((v) => v.context.normalize);
const unnormalized = vectors.filter((v) => !v.context.normalize);
const byName = (name: string): SigV4Vector => {
  const vector = vectors.find((v) => v.name === name);
  if (!vector) throw new Error(`no vector ${name}`);
  return vector;
};

type Mode = 'header' | 'query';
const MODES: readonly Mode[] = ['header', 'query'];

function vectorCredentials(v: SigV4Vector): Credentials {
  return { secretAccessKey: v.context.credentials.secret_access_key, sessionToken: v.context.credentials.token };
}

function vectorOptions(v: SigV4Vector, overrides: Partial<VerifyOptions> = {}): VerifyOptions {
  return {
    region: v.context.region,
    service: v.context.service,
    now: new Date(v.context.timestamp),
    lookupCredentials: (accessKeyId) => (accessKeyId === v.context.credentials.access_key_id ? vectorCredentials(v) : undefined),
    ...overrides,
  };
}

// ---------------------------------------------------------------------------------------------
// Request edits (each returns a copy)
// ---------------------------------------------------------------------------------------------

function editHeader(request: IncomingSignedRequest, name: string, edit: (value: string) => string | undefined): IncomingSignedRequest {
  const rawHeaders: string[] = [];
  let done = false;
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const [headerName, value] = [request.rawHeaders[i], request.rawHeaders[i + 1]];
    if (!done && headerName.toLowerCase() === name.toLowerCase()) {
      done = true;
      const edited = edit(value);
      if (edited !== undefined) rawHeaders.push(headerName, edited);
    } else {
      rawHeaders.push(headerName, value);
    }
  }
  if (!done) throw new Error(`no header ${name}`);
  return { ...request, rawHeaders };
}

function removeHeader(request: IncomingSignedRequest, name: string): IncomingSignedRequest {
  return editHeader(request, name, () => undefined);
}

function headerOf(request: IncomingSignedRequest, name: string): string {
  const index = request.rawHeaders.findIndex((value, i) => i % 2 === 0 && value.toLowerCase() === name.toLowerCase());
  if (index < 0) throw new Error(`no header ${name}`);
  return request.rawHeaders[index + 1];
}

/** Edits the raw value of the first query param whose decoded key is `key` (undefined removes it). */
function editQueryParam(request: IncomingSignedRequest, key: string, edit: (rawValue: string) => string | undefined): IncomingSignedRequest {
  let done = false;
  const pairs = request.rawQuery.split('&').flatMap((pair) => {
    const equals = pair.indexOf('=');
    const rawKey = equals < 0 ? pair : pair.slice(0, equals);
    if (done || decodeURIComponent(rawKey) !== key) return [pair];
    done = true;
    const edited = edit(equals < 0 ? '' : pair.slice(equals + 1));
    return edited === undefined ? [] : [`${rawKey}=${edited}`];
  });
  if (!done) throw new Error(`no query param ${key}`);
  return { ...request, rawQuery: pairs.join('&') };
}

function queryParamOf(request: IncomingSignedRequest, key: string): string {
  const value = parseQuery(request.rawQuery).find((p) => p.key === key)?.value;
  if (value === undefined) throw new Error(`no query param ${key}`);
  return value;
}

function addQueryParam(request: IncomingSignedRequest, pair: string): IncomingSignedRequest {
  return { ...request, rawQuery: request.rawQuery === '' ? pair : `${pair}&${request.rawQuery}` };
}

function shiftAmzDate(value: string, ms: number): string {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) throw new Error(`not an amz date: ${value}`);
  const [y, mo, d, h, mi, s] = match.slice(1).map(Number);
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s) + ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function flipLastHexDigit(signature: string): string {
  return signature.slice(0, -1) + (signature.endsWith('0') ? '1' : '0');
}

const AUTH_PARAMS = new Set(['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Security-Token']);
/** Headers whose change is caught by an earlier check than the signature (token, payload hash) or tested on their own (date). */
const NOT_PLAIN_SIGNED_HEADERS = new Set(['x-amz-date', 'date', 'x-amz-security-token', 'x-amz-content-sha256']);

interface Tampering {
  readonly what: string;
  readonly apply: (request: IncomingSignedRequest) => IncomingSignedRequest;
}

function tamperingsFor(vector: SigV4Vector, mode: Mode, signedHeaders: readonly string[]): Tampering[] {
  const request = vector[mode].request;
  const plainQueryKey = parseQuery(request.rawQuery).find((p) => !AUTH_PARAMS.has(p.key))?.key;
  const tamperings: Tampering[] = [
    { what: 'method changed', apply: (r) => ({ ...r, method: r.method === 'GET' ? 'POST' : 'GET' }) },
    { what: 'path changed', apply: (r) => ({ ...r, rawPath: `${r.rawPath}x` }) },
    plainQueryKey !== undefined
      ? { what: `query value of ${JSON.stringify(plainQueryKey)} changed`, apply: (r) => editQueryParam(r, plainQueryKey, (v) => `${v}x`) }
      : { what: 'query param added', apply: (r) => addQueryParam(r, 'Tampered=1') },
    ...signedHeaders
      .filter((name) => !NOT_PLAIN_SIGNED_HEADERS.has(name))
      .map((name) => ({ what: `signed header ${name} changed`, apply: (r: IncomingSignedRequest) => editHeader(r, name, (v) => `${v}x`) })),
    {
      what: request.body.length > 0 ? 'body changed (one byte)' : 'body added',
      apply: (r) => {
        if (r.body.length === 0) return { ...r, body: Buffer.from('x') };
        const body = Buffer.from(r.body);
        body[body.length - 1] ^= 1;
        return { ...r, body };
      },
    },
    mode === 'header'
      ? { what: 'X-Amz-Date header +1 s', apply: (r) => editHeader(r, 'x-amz-date', (v) => shiftAmzDate(v, 1000)) }
      : { what: 'X-Amz-Date param +1 s', apply: (r) => editQueryParam(r, 'X-Amz-Date', (v) => shiftAmzDate(v, 1000)) },
    mode === 'header'
      ? { what: 'signature changed (one hex digit)', apply: (r) => editHeader(r, 'authorization', flipLastHexDigit) }
      : { what: 'signature changed (one hex digit)', apply: (r) => editQueryParam(r, 'X-Amz-Signature', flipLastHexDigit) },
  ];
  return tamperings;
}

// ---------------------------------------------------------------------------------------------
// AWS's SigV4 test vectors
// ---------------------------------------------------------------------------------------------

describe('AWS SigV4 test vectors, read from ../shared/sigv4-test-suite', () => {
  it('finds the suite and its normalize:true and normalize:false cases', () => {
    expect(normalized.length).toBe(31);
    expect(unnormalized.map((v) => v.name)).toEqual([
      'get-relative-relative-unnormalized',
      'get-relative-unnormalized',
      'get-slash-dot-slash-unnormalized',
      'get-slash-pointless-dot-unnormalized',
      'get-slash-unnormalized',
      'get-slashes-unnormalized',
      'get-space-unnormalized',
    ]);
  });

  describe.each(normalized.map((v) => [v.name, v] as const))('%s (normalize: true)', (_name, vector) => {
    describe.each(MODES)('%s-signed', (mode) => {
      const request = vector[mode].request;
      const omitSecurityToken = mode === 'query' && vector.context.omit_session_token === true;

      it('is accepted', async () => {
        const caller = await verifySignature(request, vectorOptions(vector));
        expect(caller).toEqual({
          accessKeyId: vector.context.credentials.access_key_id,
          signedHeaders: expect.arrayContaining(['host']),
          signedAt: new Date(vector.context.timestamp),
          presigned: mode === 'query',
        });
      });

      it("recomputes AWS's canonical request, string to sign and signature", async () => {
        const explained = await explainSignature(request, { ...vectorOptions(vector), omitSecurityToken });
        expect(explained).toEqual({
          canonicalRequest: vector[mode].canonicalRequest,
          stringToSign: vector[mode].stringToSign,
          signature: vector[mode].signature,
        });
      });

      // The signed-header list is the client's: read it from the accepted request.
      const signedHeaders =
        mode === 'header'
          ? (/SignedHeaders=([^,\s]+)/.exec(headerOf(request, 'authorization'))?.[1] ?? '').split(';')
          : queryParamOf(request, 'X-Amz-SignedHeaders').split(';');
      it.each(tamperingsFor(vector, mode, signedHeaders).map((t) => [t.what, t] as const))('rejects a copy with the %s', async (_what, tampering) => {
        const error = await rejection(verifySignature(tampering.apply(request), vectorOptions(vector)));
        expect(error).toMatchObject(mismatch);
      });
    });
  });

  // API Gateway (execute-api) normalizes paths, so a verifier for it cannot accept S3-style
  // (unnormalized) signatures. Of the seven normalize:false cases, we ASSERT REJECTION (signature
  // mismatch) of the six whose S3 canonical URI differs from the normalized one, and acceptance of
  // get-space-unnormalized, whose canonical URI (/example%20space/) is the same in both modes and
  // whose signatures are identical to get-space-normalized's.
  describe.each(unnormalized.map((v) => [v.name, v] as const))('%s (normalize: false, S3-style)', (name, vector) => {
    const sibling = byName(name.replace(/-unnormalized$/, '-normalized'));
    const sameAsNormalized = canonicalUriOf(vector.header.canonicalRequest) === canonicalUriOf(sibling.header.canonicalRequest);

    it.each(MODES)(`is ${sameAsNormalized ? 'accepted (its canonical URI is already normalized)' : 'rejected: execute-api normalizes the path'} (%s-signed)`, async (mode) => {
      const verifying = verifySignature(vector[mode].request, vectorOptions(vector));
      if (sameAsNormalized) {
        expect(vector[mode].signature).toBe(sibling[mode].signature);
        await expect(verifying).resolves.toMatchObject({ presigned: mode === 'query' });
      } else {
        expect(await rejection(verifying)).toMatchObject(mismatch);
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Request time
// ---------------------------------------------------------------------------------------------

describe('request time', () => {
  const vanilla = byName('get-vanilla');
  const signedAt = new Date(vanilla.context.timestamp).getTime();
  const at = (ms: number) => new Date(signedAt + ms);
  const MIN = 60_000;

  it('accepts a header-signed request exactly 5 minutes old', async () => {
    await expect(verifySignature(vanilla.header.request, vectorOptions(vanilla, { now: at(5 * MIN) }))).resolves.toBeDefined();
  });

  it('rejects it 5 minutes + 1 s old with "Signature expired"', async () => {
    const error = await rejection(verifySignature(vanilla.header.request, vectorOptions(vanilla, { now: at(5 * MIN + 1000) })));
    expect(error).toMatchObject({
      status: 403,
      errorType: 'InvalidSignatureException',
      message: 'Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T124101Z - 5 min.)',
    });
  });

  it('accepts a header-signed request exactly 5 minutes in the future', async () => {
    await expect(verifySignature(vanilla.header.request, vectorOptions(vanilla, { now: at(-5 * MIN) }))).resolves.toBeDefined();
  });

  it('rejects it 5 minutes + 1 s in the future with "Signature not yet current"', async () => {
    const error = await rejection(verifySignature(vanilla.header.request, vectorOptions(vanilla, { now: at(-5 * MIN - 1000) })));
    expect(error).toMatchObject({
      status: 403,
      errorType: 'InvalidSignatureException',
      message: 'Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z (20150830T123059Z + 5 min.)',
    });
  });

  it('accepts a presigned URL until its X-Amz-Expires (3600 s), past the 5-minute window', async () => {
    await expect(verifySignature(vanilla.query.request, vectorOptions(vanilla, { now: at(5 * MIN + 1000) }))).resolves.toBeDefined();
    await expect(verifySignature(vanilla.query.request, vectorOptions(vanilla, { now: at(3600 * 1000) }))).resolves.toBeDefined();
  });

  it('rejects a presigned URL past its X-Amz-Expires', async () => {
    const error = await rejection(verifySignature(vanilla.query.request, vectorOptions(vanilla, { now: at(3600 * 1000 + 1000) })));
    expect(error).toMatchObject({ status: 403, message: 'Request has expired', errorType: 'AccessDeniedException' });
  });

  it('rejects a presigned URL dated more than 5 minutes in the future', async () => {
    const error = await rejection(verifySignature(vanilla.query.request, vectorOptions(vanilla, { now: at(-5 * MIN - 1000) })));
    expect(error.message).toBe('Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z (20150830T123059Z + 5 min.)');
  });

  it.each([
    ['0', 'X-Amz-Expires must be at least 1 second'],
    ['604801', 'X-Amz-Expires must be less than a week (in seconds) that is 604800'],
    ['-5', 'X-Amz-Expires must be non-negative'],
    ['soon', 'X-Amz-Expires should be a number'],
  ])('rejects X-Amz-Expires=%s', async (expires, message) => {
    const request = editQueryParam(vanilla.query.request, 'X-Amz-Expires', () => expires);
    const error = await rejection(verifySignature(request, vectorOptions(vanilla)));
    expect(error).toMatchObject({ status: 403, message, errorType: 'IncompleteSignatureException' });
  });

  it('rejects an X-Amz-Date that is not ISO-8601 basic format', async () => {
    const request = editHeader(vanilla.header.request, 'x-amz-date', () => '2015-08-30T12:36:00Z');
    const error = await rejection(verifySignature(request, vectorOptions(vanilla)));
    expect(error).toMatchObject({
      message: "Date must be in ISO-8601 'basic format'. Got '2015-08-30T12:36:00Z'. See http://en.wikipedia.org/wiki/ISO_8601",
      errorType: 'IncompleteSignatureException',
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Credentials and the credential scope
// ---------------------------------------------------------------------------------------------

describe('credentials and scope', () => {
  const vanilla = byName('get-vanilla');
  const authorization = headerOf(vanilla.header.request, 'authorization');
  const withAuthorization = (value: string) => editHeader(vanilla.header.request, 'authorization', () => value);

  it.each(MODES)('rejects an unknown access key (%s-signed)', async (mode) => {
    const error = await rejection(verifySignature(vanilla[mode].request, vectorOptions(vanilla, { lookupCredentials: () => undefined })));
    expect(error).toMatchObject({ status: 403, message: INVALID_TOKEN, errorType: 'UnrecognizedClientException' });
  });

  it('rejects a credential scoped to another region', async () => {
    const error = await rejection(verifySignature(vanilla.header.request, vectorOptions(vanilla, { region: 'eu-west-1' })));
    expect(error).toMatchObject({
      status: 403,
      message: "Credential should be scoped to a valid region, not 'us-east-1'. ",
      errorType: 'InvalidSignatureException',
    });
  });

  it('rejects a credential scoped to another service', async () => {
    const error = await rejection(verifySignature(vanilla.header.request, vectorOptions(vanilla, { service: 'execute-api' })));
    expect(error).toMatchObject({
      status: 403,
      message: "Credential should be scoped to correct service: 'execute-api'. ",
      errorType: 'InvalidSignatureException',
    });
  });

  it('rejects a credential without 5 slash-delimited parts', async () => {
    const request = withAuthorization(authorization.replace('/aws4_request', ''));
    const error = await rejection(verifySignature(request, vectorOptions(vanilla)));
    expect(error).toMatchObject({
      message: "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE/20150830/us-east-1/service'",
      errorType: 'IncompleteSignatureException',
    });
  });

  it('rejects a credential with another terminator', async () => {
    const error = await rejection(verifySignature(withAuthorization(authorization.replace('aws4_request', 'aws5_request')), vectorOptions(vanilla)));
    expect(error.message).toBe("Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'.");
  });

  it("rejects a credential dated another day than the request's X-Amz-Date", async () => {
    const error = await rejection(verifySignature(withAuthorization(authorization.replace('/20150830/', '/20150831/')), vectorOptions(vanilla)));
    expect(error.message).toBe(
      "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20150831' != '20150830', from '20150830T123600Z'.",
    );
  });

  describe('session tokens', () => {
    const withToken = byName('get-vanilla-with-session-token');
    const token = withToken.context.credentials.token ?? '';

    it.each(MODES)('rejects a token on a key that has none (%s-signed)', async (mode) => {
      const options = vectorOptions(withToken, { lookupCredentials: () => ({ secretAccessKey: withToken.context.credentials.secret_access_key }) });
      expect(await rejection(verifySignature(withToken[mode].request, options))).toMatchObject({ message: INVALID_TOKEN, errorType: 'UnrecognizedClientException' });
    });

    it.each(MODES)('rejects another token than the key has (%s-signed)', async (mode) => {
      const options = vectorOptions(withToken, {
        lookupCredentials: () => ({ secretAccessKey: withToken.context.credentials.secret_access_key, sessionToken: `${token}0` }),
      });
      expect(await rejection(verifySignature(withToken[mode].request, options))).toMatchObject({ message: INVALID_TOKEN });
    });

    it.each(MODES)('rejects a request without the token its key has (%s-signed)', async (mode) => {
      const options = vectorOptions(vanilla, {
        lookupCredentials: () => ({ secretAccessKey: vanilla.context.credentials.secret_access_key, sessionToken: token }),
      });
      expect(await rejection(verifySignature(vanilla[mode].request, options))).toMatchObject({ message: INVALID_TOKEN });
    });

    it('rejects a changed signed X-Amz-Security-Token header', async () => {
      const request = editHeader(withToken.header.request, 'x-amz-security-token', (v) => `${v}0`);
      expect(await rejection(verifySignature(request, vectorOptions(withToken)))).toMatchObject({ message: INVALID_TOKEN });
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Incomplete signatures, detection, host
// ---------------------------------------------------------------------------------------------

describe('incomplete and absent signatures', () => {
  const vanilla = byName('get-vanilla');
  const authorization = headerOf(vanilla.header.request, 'authorization');
  const withAuthorization = (value: string) => editHeader(vanilla.header.request, 'authorization', () => value);
  const without = (part: string) => authorization.replace(new RegExp(`,? ?${part}=[^,]*`), '').replace('AWS4-HMAC-SHA256,', 'AWS4-HMAC-SHA256');

  it.each([
    ['Credential', REQUIRES.Credential],
    ['SignedHeaders', REQUIRES.SignedHeaders],
    ['Signature', REQUIRES.Signature],
  ])("names a missing '%s' in AWS's words", async (part, sentence) => {
    const header = without(part);
    expect(header).not.toContain(`${part}=`);
    const error = await rejection(verifySignature(withAuthorization(header), vectorOptions(vanilla)));
    expect(error).toMatchObject({ status: 403, message: `${sentence} Authorization=${header}`, errorType: 'IncompleteSignatureException' });
  });

  it('names a missing X-Amz-Date / Date header', async () => {
    const error = await rejection(verifySignature(removeHeader(vanilla.header.request, 'x-amz-date'), vectorOptions(vanilla)));
    expect(error).toMatchObject({ message: `${REQUIRES.date} Authorization=${authorization}`, errorType: 'IncompleteSignatureException' });
  });

  it('names every missing part at once, in AWS order', async () => {
    const request = withAuthorization('AWS4-HMAC-SHA256');
    const error = await rejection(verifySignature(removeHeader(request, 'x-amz-date'), vectorOptions(vanilla)));
    expect(error.message).toBe(
      `${REQUIRES.Credential} ${REQUIRES.Signature} ${REQUIRES.SignedHeaders} ${REQUIRES.date} Authorization=AWS4-HMAC-SHA256`,
    );
  });

  it.each([['X-Amz-Credential'], ['X-Amz-Signature'], ['X-Amz-SignedHeaders'], ['X-Amz-Date']])('names a missing %s query param', async (param) => {
    const error = await rejection(verifySignature(editQueryParam(vanilla.query.request, param, () => undefined), vectorOptions(vanilla)));
    expect(error).toMatchObject({
      message: `AWS query-string parameters must include '${param}'. Re-examine the query-string parameters.`,
      errorType: 'IncompleteSignatureException',
    });
  });

  it('names a missing X-Amz-Algorithm when X-Amz-Signature is present', async () => {
    const error = await rejection(verifySignature(editQueryParam(vanilla.query.request, 'X-Amz-Algorithm', () => undefined), vectorOptions(vanilla)));
    expect(error.message).toBe("AWS query-string parameters must include 'X-Amz-Algorithm'. Re-examine the query-string parameters.");
  });

  it('returns undefined for a request without any SigV4 signature', async () => {
    await expect(verifySignature(removeHeader(vanilla.header.request, 'authorization'), vectorOptions(vanilla))).resolves.toBeUndefined();
    await expect(verifySignature(withAuthorization('Bearer abc'), vectorOptions(vanilla))).resolves.toBeUndefined();
    const otherAlgorithm = editQueryParam(vanilla.query.request, 'X-Amz-Algorithm', () => 'AWS4-ECDSA-P256-SHA256');
    await expect(verifySignature(otherAlgorithm, vectorOptions(vanilla))).resolves.toBeUndefined();
  });

  it('rejects a request signed both ways (Authorization header and X-Amz-Algorithm)', async () => {
    const both = { ...vanilla.query.request, rawHeaders: [...vanilla.query.request.rawHeaders, 'Authorization', authorization] };
    expect(await rejection(verifySignature(both, vectorOptions(vanilla)))).toMatchObject(mismatch);
  });
});

// ---------------------------------------------------------------------------------------------
// Requests signed here for execute-api
// ---------------------------------------------------------------------------------------------

const ACCESS_KEY_ID = 'AKIAGATEWAYINVOKER01';
const SECRET = 'gateway/secret+key/for/tests/0123456789ab';
const HOST = 'abc123.execute-api.us-east-1.amazonaws.com';
const SIGNED_AT = new Date('2024-05-06T07:08:09Z');

function gatewayOptions(overrides: Partial<VerifyOptions> = {}): VerifyOptions {
  return {
    region: 'us-east-1',
    service: 'execute-api',
    now: SIGNED_AT,
    lookupCredentials: (accessKeyId) => (accessKeyId === ACCESS_KEY_ID ? { secretAccessKey: SECRET } : undefined),
    ...overrides,
  };
}

function smithySigner(): SignatureV4 {
  return new SignatureV4({
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET },
    region: 'us-east-1',
    service: 'execute-api',
    sha256: Hash.bind(null, 'sha256'),
  });
}

/** The wire form of a smithy query bag, the way smithy's HTTP handlers write it. */
function wireQuery(query: Record<string, string | string[] | null>): string {
  const escape = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return Object.keys(query)
    .sort()
    .flatMap((key) => {
      const value = query[key];
      const values = Array.isArray(value) ? value : [value ?? ''];
      return values.map((v) => `${escape(key)}=${escape(v)}`);
    })
    .join('&');
}

interface OutgoingRequest {
  readonly method: string;
  /** As a serializer writes it: already percent-encoded. */
  readonly path: string;
  readonly query?: Record<string, string | string[]>;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

function toIncoming(
  signed: { method: string; path: string; query?: Record<string, string | string[] | null>; headers: Record<string, string> },
  body: string | undefined,
): IncomingSignedRequest {
  return {
    method: signed.method,
    rawPath: signed.path,
    rawQuery: wireQuery(signed.query ?? {}),
    rawHeaders: Object.entries(signed.headers).flat(),
    body: Buffer.from(body ?? ''),
  };
}

async function smithySigned(outgoing: OutgoingRequest, options: { unsignableHeaders?: Set<string> } = {}): Promise<IncomingSignedRequest> {
  const signed = await smithySigner().sign(
    { method: outgoing.method, protocol: 'https:', hostname: HOST, path: outgoing.path, query: outgoing.query ?? {}, headers: { host: HOST, ...outgoing.headers }, body: outgoing.body },
    { signingDate: SIGNED_AT, unsignableHeaders: options.unsignableHeaders },
  );
  return toIncoming(signed, outgoing.body);
}

async function smithyPresigned(outgoing: OutgoingRequest, expiresIn: number): Promise<IncomingSignedRequest> {
  const presigned = await smithySigner().presign(
    { method: outgoing.method, protocol: 'https:', hostname: HOST, path: outgoing.path, query: outgoing.query ?? {}, headers: { host: HOST, ...outgoing.headers }, body: outgoing.body },
    { signingDate: SIGNED_AT, expiresIn },
  );
  return toIncoming(presigned, outgoing.body);
}

/** A path with spaces, unicode, reserved and encoded characters, as an SDK serializer sends it. */
const AWKWARD_PATH = "/prod/items/a%20b/caf%C3%A9/%E2%9C%93/x%2Fy%2Bz/it's*(1)/100%25";
const AWKWARD_QUERY = { tag: ['b', 'a', 'a b'], 'filter expr': 'name eq "x y"', 'ü': 'ö+', empty: '' };

describe('requests signed by @smithy/signature-v4 for execute-api', () => {
  it('accepts an encoded path with spaces/unicode and a query with repeated and encoded keys (header)', async () => {
    const request = await smithySigned({ method: 'GET', path: AWKWARD_PATH, query: AWKWARD_QUERY });
    await expect(verifySignature(request, gatewayOptions())).resolves.toEqual({
      accessKeyId: ACCESS_KEY_ID,
      signedHeaders: ['host', 'x-amz-content-sha256', 'x-amz-date'],
      signedAt: SIGNED_AT,
      presigned: false,
    });
  });

  it('URI-encodes the received path twice, as non-S3 services do', async () => {
    const request = await smithySigned({ method: 'GET', path: '/prod/a%20b' });
    const explained = await explainSignature(request, gatewayOptions());
    expect(explained?.canonicalRequest.split('\n')[1]).toBe('/prod/a%2520b');
  });

  it('accepts the same request presigned (query)', async () => {
    const request = await smithyPresigned({ method: 'GET', path: AWKWARD_PATH, query: AWKWARD_QUERY }, 900);
    await expect(verifySignature(request, gatewayOptions())).resolves.toMatchObject({ presigned: true, signedHeaders: ['host'] });
  });

  it('accepts a POST with a JSON body and extra signed headers, duplicates joined in order', async () => {
    const body = JSON.stringify({ hello: 'wörld' });
    const signed = await smithySigned({ method: 'POST', path: '/prod/items', headers: { 'content-type': 'application/json', 'x-custom': 'b,a' }, body });
    await expect(verifySignature(signed, gatewayOptions())).resolves.toMatchObject({ presigned: false });
    // The same value sent as two header lines is the same canonical header.
    const split = editHeader(signed, 'x-custom', () => 'b');
    const index = split.rawHeaders.findIndex((v, i) => i % 2 === 0 && v === 'x-custom');
    const twoLines = { ...split, rawHeaders: [...split.rawHeaders.slice(0, index + 2), 'X-Custom', '  a ', ...split.rawHeaders.slice(index + 2)] };
    await expect(verifySignature(twoLines, gatewayOptions())).resolves.toBeDefined();
  });

  it("reads '+' in the query as a space, as API Gateway does", async () => {
    const request = await smithySigned({ method: 'GET', path: '/prod/search', query: { q: 'id eq 123' } });
    expect(request.rawQuery).toBe('q=id%20eq%20123');
    await expect(verifySignature({ ...request, rawQuery: 'q=id+eq+123' }, gatewayOptions())).resolves.toBeDefined();
  });

  it('accepts X-Amz-Expires up to 604800 (a week)', async () => {
    const request = await smithyPresigned({ method: 'GET', path: '/prod' }, 604800);
    const options = gatewayOptions({ now: new Date(SIGNED_AT.getTime() + 604800 * 1000) });
    await expect(verifySignature(request, options)).resolves.toBeDefined();
  });

  it('rejects a request whose host is not signed, in AWS words', async () => {
    const request = await smithySigned({ method: 'GET', path: '/prod' }, { unsignableHeaders: new Set(['host']) });
    expect(headerOf(request, 'authorization')).toContain('SignedHeaders=x-amz-content-sha256;x-amz-date,');
    const error = await rejection(verifySignature(request, gatewayOptions()));
    expect(error).toMatchObject({ status: 403, message: HOST_MUST_BE_SIGNED, errorType: 'InvalidSignatureException' });
  });

  it('rejects an X-Amz-Content-Sha256 that is not the hash of the body', async () => {
    const signed = await smithySigned({ method: 'PUT', path: '/prod/items/1', body: 'hello' });
    expect(await rejection(verifySignature({ ...signed, body: Buffer.from('hellp') }, gatewayOptions()))).toMatchObject(mismatch);
    // Signed with a declared hash of another body: the signature is right, the payload is not.
    const other = createHash('sha256').update('other').digest('hex');
    const declared = await smithySigned({ method: 'PUT', path: '/prod/items/1', headers: { 'x-amz-content-sha256': other }, body: 'hello' });
    expect(await rejection(verifySignature(declared, gatewayOptions()))).toMatchObject(mismatch);
  });

  it('accepts UNSIGNED-PAYLOAD when the signature was computed with it, whatever the body', async () => {
    const signed = await smithySigned({ method: 'PUT', path: '/prod/items/1', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }, body: 'hello' });
    await expect(verifySignature(signed, gatewayOptions())).resolves.toBeDefined();
    await expect(verifySignature({ ...signed, body: Buffer.from('anything') }, gatewayOptions())).resolves.toBeDefined();
    const explained = await explainSignature(signed, gatewayOptions());
    expect(explained?.canonicalRequest.endsWith('\nUNSIGNED-PAYLOAD')).toBe(true);
  });

  it('rejects UNSIGNED-PAYLOAD sent with a request whose signature covered the body hash', async () => {
    const signed = await smithySigned({ method: 'PUT', path: '/prod/items/1', body: 'hello' }, { unsignableHeaders: new Set(['x-amz-content-sha256']) });
    await expect(verifySignature(signed, gatewayOptions())).resolves.toBeDefined();
    const unsigned = editHeader(signed, 'x-amz-content-sha256', () => 'UNSIGNED-PAYLOAD');
    expect(await rejection(verifySignature(unsigned, gatewayOptions()))).toMatchObject(mismatch);
  });

  it('rejects a presigned URL past a short X-Amz-Expires', async () => {
    const request = await smithyPresigned({ method: 'GET', path: '/prod' }, 60);
    await expect(verifySignature(request, gatewayOptions({ now: new Date(SIGNED_AT.getTime() + 60_000) }))).resolves.toBeDefined();
    expect(await rejection(verifySignature(request, gatewayOptions({ now: new Date(SIGNED_AT.getTime() + 61_000) })))).toMatchObject({
      message: 'Request has expired',
    });
  });
});

describe('requests signed by aws4fetch (an independent signer)', () => {
  const url = `https://${HOST}/prod/items/a%20b/caf%C3%A9?tag=b&tag=a&filter%20expr=x%2By&q=a+b`;
  const aws4fetch = (signQuery: boolean) =>
    new AwsV4Signer({
      url,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-trace': 'abc' },
      body: '{"a":1}',
      accessKeyId: ACCESS_KEY_ID,
      secretAccessKey: SECRET,
      service: 'execute-api',
      region: 'us-east-1',
      datetime: '20240506T070809Z',
      signQuery,
    }).sign();

  const incoming = (signed: { url: URL; headers: Headers; method: string }): IncomingSignedRequest => ({
    method: signed.method,
    rawPath: signed.url.pathname,
    rawQuery: signed.url.search.slice(1),
    rawHeaders: ['Host', signed.url.host, ...[...signed.headers.entries()].flat()],
    body: Buffer.from('{"a":1}'),
  });

  it('accepts its header signing', async () => {
    const request = incoming(await aws4fetch(false));
    await expect(verifySignature(request, gatewayOptions())).resolves.toMatchObject({ presigned: false, signedHeaders: ['host', 'x-amz-date', 'x-trace'] });
  });

  it('accepts its query signing, which has no X-Amz-Expires (library adapter)', async () => {
    const request = incoming(await aws4fetch(true));
    expect(request.rawQuery).not.toContain('X-Amz-Expires');
    await expect(verifySignature(request, gatewayOptions())).resolves.toMatchObject({ presigned: true });
    // Without X-Amz-Expires the 5-minute window applies.
    expect(await rejection(verifySignature(request, gatewayOptions({ now: new Date(SIGNED_AT.getTime() + 301_000) })))).toMatchObject({
      errorType: 'InvalidSignatureException',
      message: expect.stringMatching(/^Signature expired: /),
    });
    expect(await rejection(verifySignature({ ...request, body: Buffer.from('{"a":2}') }, gatewayOptions()))).toMatchObject(mismatch);
  });
});

describe('a request dated by the Date header (library adapter)', () => {
  // Reference signer, independent of the verifier and of @smithy/signature-v4: AWS's documented
  // steps with node:crypto, for a request that signs `date` instead of `x-amz-date`.
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const sha256Hex = (data: string) => createHash('sha256').update(data).digest('hex');
  const httpDate = 'Mon, 06 May 2024 07:08:09 GMT';
  const canonicalRequest = ['GET', '/prod/items', 'x=1', `date:${httpDate}`, `host:${HOST}`, '', 'date;host', sha256Hex('')].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', '20240506T070809Z', '20240506/us-east-1/execute-api/aws4_request', sha256Hex(canonicalRequest)].join('\n');
  const signingKey = ['20240506', 'us-east-1', 'execute-api', 'aws4_request'].reduce<string | Buffer>((key, part) => hmac(key, part), `AWS4${SECRET}`);
  const signature = hmac(signingKey, stringToSign).toString('hex');
  const request: IncomingSignedRequest = {
    method: 'GET',
    rawPath: '/prod/items',
    rawQuery: 'x=1',
    rawHeaders: [
      'Host', HOST,
      'Date', httpDate,
      'Authorization', `AWS4-HMAC-SHA256 Credential=${ACCESS_KEY_ID}/20240506/us-east-1/execute-api/aws4_request, SignedHeaders=date;host, Signature=${signature}`,
    ],
    body: new Uint8Array(),
  };

  it('is accepted, dated by its Date header', async () => {
    await expect(verifySignature(request, gatewayOptions())).resolves.toEqual({
      accessKeyId: ACCESS_KEY_ID,
      signedHeaders: ['date', 'host'],
      signedAt: SIGNED_AT,
      presigned: false,
    });
    await expect(explainSignature(request, gatewayOptions())).resolves.toEqual({ canonicalRequest, stringToSign, signature });
  });

  it('rejects a changed Date header', async () => {
    const changed = editHeader(request, 'date', () => 'Mon, 06 May 2024 07:08:10 GMT');
    expect(await rejection(verifySignature(changed, gatewayOptions()))).toMatchObject(mismatch);
  });
});

// ---------------------------------------------------------------------------------------------
// Signer cache
// ---------------------------------------------------------------------------------------------

describe('SignerCache', () => {
  const vanilla = byName('get-vanilla');

  it('reuses one signer per accessKeyId/date/region/service', async () => {
    const signerCache = new SignerCache(4);
    await verifySignature(vanilla.header.request, vectorOptions(vanilla, { signerCache }));
    await verifySignature(vanilla.query.request, vectorOptions(vanilla, { signerCache }));
    expect(signerCache.size).toBe(1);
    const scope = { accessKeyId: 'AKIDEXAMPLE', date: '20150830', region: 'us-east-1', service: 'service' };
    expect(signerCache.signerFor(scope, 'secret')).toBe(signerCache.signerFor(scope, 'secret'));
  });

  it('evicts the least recently used signer', () => {
    const signerCache = new SignerCache(2);
    const scope = (accessKeyId: string) => ({ accessKeyId, date: '20240506', region: 'us-east-1', service: 'execute-api' });
    const a = signerCache.signerFor(scope('A'), 's');
    signerCache.signerFor(scope('B'), 's');
    expect(signerCache.signerFor(scope('A'), 's')).toBe(a);
    signerCache.signerFor(scope('C'), 's');
    expect(signerCache.size).toBe(2);
    expect(signerCache.signerFor(scope('A'), 's')).toBe(a);
  });

  it('replaces a signer whose secret was rotated', async () => {
    const signerCache = new SignerCache();
    await expect(verifySignature(vanilla.header.request, vectorOptions(vanilla, { signerCache }))).resolves.toBeDefined();
    const rotated = vectorOptions(vanilla, { signerCache, lookupCredentials: () => ({ secretAccessKey: 'rotated' }) });
    expect(await rejection(verifySignature(vanilla.header.request, rotated))).toMatchObject(mismatch);
    expect(signerCache.size).toBe(1);
  });
});
