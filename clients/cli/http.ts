/**
 * Sends one signed request with node:http(s) and reads the whole answer. Not fetch: Node 20's
 * fetch (undici) adds about 50 ms before the first byte and 100 ms at exit (its HTTP parser
 * is WebAssembly), a third of this CLI's cold start. One connection per request, no
 * redirects followed (a signature is for one host), and a timeout when the socket stays idle.
 */
import * as http from 'node:http';
import * as https from 'node:https';

export interface Answer {
  readonly httpVersion: string;
  readonly status: number;
  readonly statusText: string;
  /** As received, in order. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer;
}

export class TimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms / 1000} s`);
    this.name = 'TimeoutError';
  }
}

export function header(answer: Answer, name: string): string | null {
  return answer.headers.find(([key]) => key.toLowerCase() === name)?.[1] ?? null;
}

export function send(method: string, url: URL, headers: Record<string, string>, body: Buffer | undefined, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(url, { method, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const raw = response.rawHeaders;
        const pairs: Array<[string, string]> = [];
        for (let i = 0; i < raw.length; i += 2) pairs.push([raw[i], raw[i + 1]]);
        resolve({ httpVersion: response.httpVersion, status: response.statusCode ?? 0, statusText: response.statusMessage ?? '', headers: pairs, body: Buffer.concat(chunks) });
      });
    });
    request.setTimeout(timeoutMs, () => request.destroy(new TimeoutError(timeoutMs)));
    request.on('error', reject);
    request.end(body);
  });
}
