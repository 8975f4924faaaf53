/**
 * CORS for the local STS (sts-server.ts), so the browser page (clients/web) can call
 * AssumeRole and GetCallerIdentity from its own origin and read the answers, errors included.
 *
 * Who may read: exact origins only, the page's (StsServerOptions.allowOrigins) and the
 * stack's `cors.allowOrigins` (what the user configured for the API), never `*`: an STS answer
 * carries a secret access key and a session token, and CORS is the browser's only guard on
 * which other site's script may read a response. A `*` in the stack's CORS configuration is
 * ignored here (the page's own origin still works). Access-Control-Allow-Credentials is never
 * sent: a signed request needs no cookies.
 *
 * AWS: STS answers browsers (the AWS SDK for JavaScript lists STS as "Allows CORS",
 * https://github.com/aws/aws-sdk-js/blob/master/SERVICES.md), but which origins and headers it
 * answers is not documented; this file is the stricter choice, not a copy of AWS's headers.
 * Pure: no HTTP objects, only method, headers and the allowed origins.
 */

/** The methods the Query API takes (sts-server.ts reads a form POST or a GET query string). */
const ALLOW_METHODS = ['GET', 'POST'] as const;

/**
 * The request headers a browser signer sends: SigV4's (aws4fetch; the AWS SDK for JavaScript v3
 * adds its x-amz-user-agent and amz-sdk-* headers) and the form body's content type.
 */
const ALLOW_HEADERS = [
  'authorization', 'content-type', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256',
  'x-amz-user-agent', 'amz-sdk-invocation-id', 'amz-sdk-request',
] as const;

/** Response headers a page may read besides the CORS-safelisted ones: STS's request id. */
const EXPOSE_HEADERS = ['x-amzn-requestid'] as const;

/** How long a browser may cache a preflight answer, in seconds (Chromium caps it at 7200). */
const MAX_AGE_SECONDS = 600;

export type HeaderValue = string | readonly string[] | undefined;

/** `origin` as browsers send it: scheme://host[:port], lower case, no path or trailing slash. */
export function normalizeOrigin(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    return url.origin === 'null' ? undefined : url.origin.toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * The origins whose pages may read the STS's answers: `extra` (the page's) and the stack's
 * configured `cors.allowOrigins`, without `*` and without anything that is not an origin.
 */
export function stsAllowedOrigins(extra: readonly string[], configured: readonly string[] = []): string[] {
  const origins = new Set<string>();
  for (const origin of [...extra, ...configured]) {
    if (origin === '*') continue;
    const normalized = normalizeOrigin(origin);
    if (normalized) origins.add(normalized);
  }
  return [...origins];
}

function single(value: HeaderValue): string | undefined {
  return Array.isArray(value) ? value[0] : (value as string | undefined);
}

function allowedOrigin(allowed: readonly string[], origin: string | undefined): string | undefined {
  const normalized = origin && normalizeOrigin(origin);
  return normalized && allowed.includes(normalized) ? origin : undefined;
}

export interface PreflightAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * The answer to a CORS preflight (OPTIONS with Origin and Access-Control-Request-Method), or
 * undefined when the request is not one (then the STS handles it as a Query API request).
 * An allowed origin gets 204 with the Access-Control-* headers; any other origin gets 403 with
 * no Access-Control-* header, so the browser refuses to send the actual request.
 */
export function stsPreflight(allowed: readonly string[], method: string, headers: Readonly<Record<string, HeaderValue>>): PreflightAnswer | undefined {
  const origin = single(headers.origin);
  if (method !== 'OPTIONS' || !origin || !single(headers['access-control-request-method'])) return undefined;
  const allow = allowedOrigin(allowed, origin);
  if (!allow) {
    const body = `CORS preflight refused: the local STS answers pages from the browser page's origin and the stack's cors.allowOrigins only, not ${origin}.\n`;
    return { status: 403, headers: { 'content-type': 'text/plain; charset=utf-8', vary: 'Origin' }, body };
  }
  return {
    status: 204,
    headers: {
      'access-control-allow-origin': allow,
      'access-control-allow-methods': ALLOW_METHODS.join(','),
      'access-control-allow-headers': ALLOW_HEADERS.join(','),
      'access-control-max-age': String(MAX_AGE_SECONDS),
      vary: 'Origin',
    },
    body: '',
  };
}

/**
 * Headers to add to every STS answer (results and errors alike, so a page can show STS's error
 * XML): for an allowed origin, Access-Control-Allow-Origin naming it and the exposed request id
 * header; always `Vary: Origin`, since the answer differs by origin.
 */
export function stsCorsHeaders(allowed: readonly string[], origin: HeaderValue): Record<string, string> {
  const allow = allowedOrigin(allowed, single(origin));
  if (!allow) return { vary: 'Origin' };
  return { 'access-control-allow-origin': allow, 'access-control-expose-headers': EXPOSE_HEADERS.join(','), vary: 'Origin' };
}
