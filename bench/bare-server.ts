/**
 * The baseline of bench/gateway.ts: a bare node:http server on 127.0.0.1 that answers every
 * request with what the gateway's handler (handler/index.ts) answers for it: 200, content-type
 * application/json, body `{"method","path","body"}` with the path as received and the body
 * parsed when it is JSON (the benchmark only sends GETs, so `"body":""`). No signature check,
 * no authorization, no worker thread: the cost of HTTP on node alone.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BareServer {
  readonly url: string;
  close(): Promise<void>;
}

function echo(method: string, path: string, text: string): string {
  let body: unknown = text;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      // Echoed as it came, as the handler does for a body that does not claim to be JSON.
    }
  }
  return JSON.stringify({ method, path, body });
}

export function startBareServer(): Promise<BareServer> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const payload = Buffer.from(echo(req.method ?? 'GET', q < 0 ? url : url.slice(0, q), Buffer.concat(chunks).toString('utf8')));
      res.statusCode = 200;
      res.setHeader('content-type', 'application/json');
      res.setHeader('content-length', payload.length);
      res.end(payload);
    });
  });
  // As LocalGateway does.
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () => new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        }),
      });
    });
  });
}
