/**
 * CORS from the synthesized `cors_configuration`, as API Gateway applies it: a preflight that
 * no route takes is answered with the configured `Access-Control-*` headers; actual responses
 * to an allowed origin get the configured headers, and the integration's own
 * `Access-Control-*` headers are dropped (API Gateway overrides them when CORS is configured).
 */
import type { CorsConfiguration } from './load-stack';

export function isPreflight(method: string, headers: Readonly<Record<string, string | undefined>>): boolean {
  return method === 'OPTIONS' && Boolean(headers.origin) && Boolean(headers['access-control-request-method']);
}

function allowedOrigin(cors: CorsConfiguration, origin: string | undefined): string | undefined {
  if (!origin) return undefined;
  if (cors.allowOrigins.includes('*')) return cors.allowCredentials ? origin : '*';
  return cors.allowOrigins.some((o) => o.toLowerCase() === origin.toLowerCase()) ? origin : undefined;
}

/** Headers answering a preflight from `origin`; empty when the origin is not allowed. */
export function preflightHeaders(cors: CorsConfiguration, origin: string | undefined): Record<string, string> {
  const allowed = allowedOrigin(cors, origin);
  if (!allowed) return {};
  const headers: Record<string, string> = { 'access-control-allow-origin': allowed };
  if (cors.allowMethods.length > 0) headers['access-control-allow-methods'] = cors.allowMethods.join(',');
  if (cors.allowHeaders.length > 0) headers['access-control-allow-headers'] = cors.allowHeaders.join(',').toLowerCase();
  if (cors.maxAge !== undefined) headers['access-control-max-age'] = String(cors.maxAge);
  if (cors.allowCredentials) headers['access-control-allow-credentials'] = 'true';
  if (allowed !== '*') headers.vary = 'Origin';
  return headers;
}

/** `headers` without the integration's CORS headers, plus the configured ones for an allowed origin. */
export function withCorsHeaders<T extends string | readonly string[]>(
  cors: CorsConfiguration,
  origin: string | undefined,
  headers: Readonly<Record<string, T>>,
): Record<string, T | string> {
  const out: Record<string, T | string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.toLowerCase().startsWith('access-control-')) out[name] = value;
  }
  const allowed = allowedOrigin(cors, origin);
  if (!allowed) return out;
  out['access-control-allow-origin'] = allowed;
  if (cors.exposeHeaders.length > 0) out['access-control-expose-headers'] = cors.exposeHeaders.join(',');
  if (cors.allowCredentials) out['access-control-allow-credentials'] = 'true';
  if (allowed !== '*') out.vary = 'Origin';
  return out;
}
