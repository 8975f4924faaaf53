/**
 * Requests the STS and gateway tests send by hand: an STS Query-API POST (signed with SigV4 for
 * `sts`, or unsigned as AssumeRoleWithWebIdentity is), an execute-api call signed with given
 * credentials, and reading the fields of STS's XML answers.
 */
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';

export interface Creds {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** The text of the first `<name>` element of an STS answer. */
export function xmlTag(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}

/** The Credentials of an AssumeRole / GetSessionToken / AssumeRoleWithWebIdentity answer. */
export function credentialsOf(body: string): Creds {
  return { accessKeyId: xmlTag(body, 'AccessKeyId')!, secretAccessKey: xmlTag(body, 'SecretAccessKey')!, sessionToken: xmlTag(body, 'SessionToken')! };
}

/** A form-encoded Query-API POST to `stsUrl`, signed when `credentials` are given. */
export async function stsQuery(stsUrl: string, region: string, credentials: Creds | undefined, parameters: Record<string, string>): Promise<{ status: number; body: string }> {
  const target = new URL(stsUrl);
  const body = new URLSearchParams({ Version: '2011-06-15', ...parameters }).toString();
  let headers: Record<string, string> = { host: target.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
  if (credentials) {
    const signer = new SignatureV4({ service: 'sts', region, credentials, sha256: Hash.bind(null, 'sha256') });
    headers = (await signer.sign({ method: 'POST', protocol: 'http:', hostname: target.hostname, port: Number(target.port), path: '/', query: {}, headers, body })).headers as Record<string, string>;
  }
  const response = await fetch(target, { method: 'POST', headers, body });
  return { status: response.status, body: await response.text() };
}

/** `method pathname` on the gateway, signed for execute-api; a non-GET sends `{"message":"hi"}`. */
export async function signedApiCall(gatewayUrl: string, region: string, credentials: Creds, method: string, pathname: string): Promise<{ status: number; body: string }> {
  const target = new URL(pathname, gatewayUrl);
  const body = method === 'GET' ? undefined : '{"message":"hi"}';
  const signer = new SignatureV4({ service: 'execute-api', region, credentials, sha256: Hash.bind(null, 'sha256') });
  const signed = await signer.sign({ method, protocol: 'http:', hostname: target.hostname, port: Number(target.port), path: target.pathname, query: {}, headers: { host: target.host, ...(body ? { 'content-type': 'application/json' } : {}) }, body });
  const response = await fetch(target, { method, headers: signed.headers as Record<string, string>, body });
  return { status: response.status, body: await response.text() };
}
