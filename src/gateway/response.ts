/**
 * Turns what the handler returned into the HTTP response, by API Gateway's rules for payload
 * format 2.0 ("Working with AWS Lambda proxy integrations for HTTP APIs", format 2.0 response):
 *  - an object with `statusCode` is used as it is: `headers`, `cookies` (one `set-cookie` each,
 *    after any `set-cookie` from `headers`), `body`, `isBase64Encoded`;
 *  - anything else is "valid JSON without a statusCode": a 200 with content-type
 *    application/json and the value as the body; a returned string is the body itself (the
 *    documentation's example: `"Hello from Lambda!"` becomes the body `Hello from Lambda!`);
 *  - a response API Gateway cannot use is its 500 `{"message":"Internal Server Error"}`, and
 *    the reason goes to the log (`MalformedResponse.reason`): a status that is not an integer
 *    from 200 to 599 (1xx cannot be a final status), a header name that is not an HTTP token,
 *    a header or cookie value with characters HTTP cannot carry (CR, LF, other controls,
 *    anything beyond Latin-1), a header value that is an object, a non-string body.
 * Framing and hop-by-hop headers from the handler are dropped, since the gateway frames the
 * response itself; API Gateway reserves them too ("Reserved headers", HTTP API parameter
 * mapping: Connection, Content-Length, Keep-Alive, Proxy-Authenticate, Proxy-Authorization,
 * TE, Trailers, Transfer-Encoding, Upgrade). A 204 or 304 carries no body (RFC 9110 §15.3.5,
 * §15.4.5).
 */

export interface HttpResponse {
  readonly status: number;
  /** Header name (lower case) → value; a list for repeated headers such as set-cookie. */
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  readonly body: Buffer;
}

/** A handler result API Gateway would answer with 500; `reason` is for the log only. */
export class MalformedResponse {
  constructor(readonly reason: string) {}
}

type Structured = {
  statusCode: unknown;
  headers?: unknown;
  cookies?: unknown;
  body?: unknown;
  isBase64Encoded?: unknown;
};

/** RFC 9110 token characters. */
const TOKEN_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** What an HTTP/1.1 field value may hold, as Node checks it: tab, visible ASCII, obs-text (0x80-0xFF). */
const FIELD_VALUE_RE = /^[\t\x20-\x7e\x80-\xff]*$/;
const DROPPED_HEADERS = new Set([
  'connection', 'content-length', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection',
  'te', 'trailer', 'trailers', 'transfer-encoding', 'upgrade',
]);
const NO_BODY_STATUSES = new Set([204, 304]);

function isStructured(payload: unknown): payload is Structured {
  return typeof payload === 'object' && payload !== null && !Array.isArray(payload) && Object.hasOwn(payload, 'statusCode');
}

export function toHttpResponse(payload: unknown): HttpResponse | MalformedResponse {
  if (!isStructured(payload)) {
    const body = typeof payload === 'string' ? payload : JSON.stringify(payload) ?? '';
    return { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(body) };
  }
  const status = payload.statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) {
    return new MalformedResponse(`statusCode ${JSON.stringify(status)} is not an integer from 200 to 599`);
  }
  if (payload.body !== undefined && payload.body !== null && typeof payload.body !== 'string') {
    return new MalformedResponse(`body is ${typeof payload.body}; it must be a string`);
  }
  const headers = Object.create(null) as Record<string, string | string[]>;
  if (payload.headers !== undefined && payload.headers !== null) {
    if (typeof payload.headers !== 'object' || Array.isArray(payload.headers)) return new MalformedResponse('headers must be an object');
    for (const [rawName, value] of Object.entries(payload.headers as Record<string, unknown>)) {
      if (value === undefined || value === null) continue;
      if (!TOKEN_RE.test(rawName)) return new MalformedResponse(`header name ${JSON.stringify(rawName)} is not an HTTP token`);
      if (typeof value === 'object') return new MalformedResponse(`header ${rawName} has a value that is not a string, number or boolean`);
      const text = String(value);
      if (!FIELD_VALUE_RE.test(text)) return new MalformedResponse(`header ${rawName} has characters HTTP cannot carry (CR, LF, controls or beyond Latin-1)`);
      const name = rawName.toLowerCase();
      if (DROPPED_HEADERS.has(name)) continue;
      headers[name] = name === 'set-cookie' ? [text] : text;
    }
  }
  if (payload.cookies !== undefined && payload.cookies !== null) {
    if (!Array.isArray(payload.cookies)) return new MalformedResponse('cookies must be a list of strings');
    const cookies: string[] = [];
    for (const cookie of payload.cookies) {
      const text = String(cookie);
      if (typeof cookie === 'object' || !FIELD_VALUE_RE.test(text)) return new MalformedResponse('a cookie has characters HTTP cannot carry');
      cookies.push(text);
    }
    const fromHeaders = headers['set-cookie'];
    headers['set-cookie'] = [...(Array.isArray(fromHeaders) ? fromHeaders : []), ...cookies];
  }
  if (NO_BODY_STATUSES.has(status)) return { status, headers, body: Buffer.alloc(0) };
  const text = typeof payload.body === 'string' ? payload.body : '';
  const body = payload.isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
  return { status, headers, body };
}
