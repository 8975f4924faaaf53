/** Signs a request for the local gateway with @smithy/signature-v4, AWS's own signer. */
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { InvokerKey } from '../../src/gateway/credentials';

export interface RequestToSign {
  readonly method: string;
  readonly url: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly signingDate?: Date;
}

export async function smithySign(key: InvokerKey, region: string, request: RequestToSign): Promise<{ url: string; method: string; headers: Record<string, string>; body?: string }> {
  const url = new URL(request.url);
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const existing = query[k];
    query[k] = existing === undefined ? v : [...[existing].flat(), v];
  }
  const signer = new SignatureV4({
    service: 'execute-api',
    region,
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
    sha256: Hash.bind(null, 'sha256'),
  });
  const signed = await signer.sign({
    method: request.method,
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    // As AWS SDKs do: the path as it goes on the wire; the signer encodes it once more.
    path: url.pathname,
    query,
    headers: { host: url.host, ...request.headers },
    body: request.body,
  }, { signingDate: request.signingDate });
  return { url: request.url, method: request.method, headers: signed.headers as Record<string, string>, body: request.body };
}

/** Sends with fetch; returns status, headers and the body as text. */
export async function send(request: { url: string; method: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; headers: Headers; text: string; json: () => unknown }> {
  const response = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
}
