/**
 * Serves the browser page (clients/web) on 127.0.0.1, on another origin than the gateway, so
 * a real browser sends a real CORS preflight to the gateway's `OPTIONS /{proxy+}` route.
 *
 * The page gets its defaults from the server: `data-gateway-url`, `data-region`, and for
 * "Call as a role" `data-sts-url` (the local STS, sts-server.ts) and `data-roles` (the stack's
 * roles and who may assume them, as in gateway.json) on <body> in `/` (also as `/config.json`;
 * the roles are read per request, so a watch-mode reload shows). The bundle is built in memory
 * with esbuild when the server starts. The Content-Security-Policy lets the page connect to the
 * gateway's origin and the STS's only.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { bundleWebPage } from '../../clients/web/bundle';
import { EnvValueError, portFromEnv } from './env-value';

export const DEFAULT_PAGE_PORT = 5173;

export interface PageServerOptions {
  /** Default: env PAGE_PORT, else 5173. 0 picks a free port. */
  readonly port?: number;
  /** The gateway the page calls, e.g. http://127.0.0.1:3000. */
  readonly gatewayUrl: string;
  /** The region the page signs for by default. */
  readonly region: string;
  /** The local STS the page calls AssumeRole on, e.g. http://127.0.0.1:3001; without it the page cannot call as a role. */
  readonly stsUrl?: string;
  /** The roles the page offers (or a function read per request, for watch-mode reloads). */
  readonly roles?: readonly PageRole[] | (() => readonly PageRole[]);
}

/** A role the page offers under "Call as a role" (gateway.json's `roles` entries). */
export interface PageRole {
  readonly name: string;
  readonly arn: string;
  /** The local invokers whose AssumeRole the trust policy allows. */
  readonly assumableBy: readonly string[];
}

export interface PageServer {
  readonly url: string;
  /**
   * The local STS the page calls from now on (npm start starts the STS after the page, which
   * gives the STS its origin), or undefined when it is not running.
   */
  setStsUrl(stsUrl: string | undefined): void;
  close(): Promise<void>;
}

/** The page server could not start; the message says what to do. */
export class PageServerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PageServerError';
  }
}

/** The page's port is taken (like the gateway's PortInUseError). */
export class PagePortInUseError extends PageServerError {
  constructor(readonly port: number) {
    super(
      `Port ${port} on 127.0.0.1 is already in use, so the browser page cannot start. Stop the program using it, or serve the page on another port: `
      + `PAGE_PORT=${port + 1} npm start (and add http://127.0.0.1:${port + 1} to cors.allowOrigins in iam-http-api.config.ts, or the gateway will refuse the page).`,
    );
    this.name = 'PagePortInUseError';
  }
}

function pagePort(explicit: number | undefined): number {
  if (explicit !== undefined) return explicit;
  try {
    return portFromEnv('PAGE_PORT', process.env.PAGE_PORT, DEFAULT_PAGE_PORT);
  } catch (error) {
    if (error instanceof EnvValueError) throw new PageServerError(error.message);
    throw error;
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export async function startPageServer(options: PageServerOptions): Promise<PageServer> {
  const port = pagePort(options.port);
  let gatewayOrigin: string;
  try {
    gatewayOrigin = new URL(options.gatewayUrl).origin;
  } catch {
    throw new PageServerError(`The gateway URL "${options.gatewayUrl}" is not a URL`);
  }
  /** The STS's URL without a trailing slash and its origin, or undefined. */
  const stsOf = (url: string | undefined): { url: string; origin: string } | undefined => {
    if (url === undefined) return undefined;
    try {
      return { url: url.replace(/\/+$/, ''), origin: new URL(url).origin };
    } catch {
      throw new PageServerError(`The STS URL "${url}" is not a URL`);
    }
  };
  let sts = stsOf(options.stsUrl);
  const gatewayUrl = options.gatewayUrl.replace(/\/+$/, '');
  const roles = (): readonly PageRole[] => {
    const listed = typeof options.roles === 'function' ? options.roles() : options.roles ?? [];
    return listed.map(({ name, arn, assumableBy }) => ({ name, arn, assumableBy: [...assumableBy] }));
  };
  const files = await bundleWebPage();
  const template = files.html
    .replaceAll('{{GATEWAY_URL}}', escapeHtml(gatewayUrl))
    .replaceAll('{{REGION}}', escapeHtml(options.region));
  const html = (): string => template
    .replaceAll('{{STS_URL}}', escapeHtml(sts?.url ?? ''))
    .replaceAll('{{ROLES}}', escapeHtml(JSON.stringify(roles())));
  const config = (): string => JSON.stringify({ gatewayUrl, region: options.region, ...(sts ? { stsUrl: sts.url } : {}), roles: roles() });

  // Read per response: the STS's origin may be set after the server starts.
  const securityHeaders = (): Record<string, string> => ({
    'content-security-policy': [
      "default-src 'none'", "script-src 'self'", "style-src 'self'", `connect-src ${[gatewayOrigin, ...(sts && sts.origin !== gatewayOrigin ? [sts.origin] : [])].join(' ')}`,
      "img-src 'self'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  });
  const routes: Record<string, { type: string; body: () => string }> = {
    '/': { type: 'text/html; charset=utf-8', body: html },
    '/index.html': { type: 'text/html; charset=utf-8', body: html },
    '/main.js': { type: 'text/javascript; charset=utf-8', body: () => files.script },
    '/style.css': { type: 'text/css; charset=utf-8', body: () => files.style },
    '/config.json': { type: 'application/json', body: config },
  };

  const server = http.createServer((req, res) => {
    const pathname = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...securityHeaders(), allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('Method Not Allowed\n');
      return;
    }
    const file = routes[pathname];
    if (pathname === '/favicon.ico') {
      res.writeHead(204, securityHeaders()).end();
    } else if (!file) {
      res.writeHead(404, { ...securityHeaders(), 'content-type': 'text/plain' }).end('Not Found\n');
    } else {
      const body = file.body();
      res.writeHead(200, { ...securityHeaders(), 'content-type': file.type, 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    }
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(error.code === 'EADDRINUSE' ? new PagePortInUseError(port) : error);
    };
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    setStsUrl: (stsUrl) => { sts = stsOf(stsUrl); },
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
