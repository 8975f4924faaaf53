/**
 * Turns what the handler returned into the HTTP response, by API Gateway's rules for payload
 * format 2.0: an object with `statusCode` is used as it is (headers, `cookies` → one
 * `set-cookie` each, `isBase64Encoded` bodies decoded); anything else is a 200 JSON body
 * holding the returned value. A response API Gateway could not use is a 500.
 */
import { errors, type GatewayError } from './errors';

export interface HttpResponse {
  readonly status: number;
  /** Header name (lower case) → value; a list for repeated headers such as set-cookie. */
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  readonly body: Buffer;
}

type Structured = {
  statusCode: unknown;
  headers?: unknown;
  cookies?: unknown;
  body?: unknown;
  isBase64Encoded?: unknown;
};

function isStructured(payload: unknown): payload is Structured {
  return typeof payload === 'object' && payload !== null && !Array.isArray(payload) && 'statusCode' in payload;
}

export function toHttpResponse(payload: unknown): HttpResponse | GatewayError {
  if (!isStructured(payload)) {
    return { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(payload)) };
  }
  const status = payload.statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) return errors.internal();
  if (payload.body !== undefined && payload.body !== null && typeof payload.body !== 'string') return errors.internal();

  const headers: Record<string, string | string[]> = {};
  if (payload.headers !== undefined && payload.headers !== null) {
    if (typeof payload.headers !== 'object') return errors.internal();
    for (const [name, value] of Object.entries(payload.headers as Record<string, unknown>)) {
      if (value === undefined || value === null) continue;
      headers[name.toLowerCase()] = String(value);
    }
  }
  if (payload.cookies !== undefined) {
    if (!Array.isArray(payload.cookies)) return errors.internal();
    headers['set-cookie'] = payload.cookies.map(String);
  }
  const text = typeof payload.body === 'string' ? payload.body : '';
  const body = payload.isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
  return { status, headers, body };
}
