/**
 * AssumeRole from the browser: a SigV4-signed (aws4fetch, service `sts`) form POST to STS's
 * Query API, answered in XML, parsed with DOMParser. Errors come back as `StsCallError` with
 * STS's own Code and Message, so the page can show them as STS wrote them.
 *
 * AWS's shapes: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
 * (request parameters, AssumeRoleResult with Credentials and AssumedRoleUser) and
 * https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html (ErrorResponse/Error).
 */
import { AwsClient } from 'aws4fetch';

/** STS's Query API version (every STS request names it). */
const STS_API_VERSION = '2011-06-15';

export interface LongTermKeys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface TemporaryCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

export interface AssumedRole {
  readonly credentials: TemporaryCredentials;
  /** AssumedRoleUser.Arn: arn:aws:sts::<account>:assumed-role/<role>/<session>. */
  readonly arn: string;
  /** AssumedRoleUser.AssumedRoleId: AROA…:<session>. */
  readonly assumedRoleId: string;
}

export interface AssumeRoleRequest {
  readonly stsUrl: string;
  readonly region: string;
  readonly keys: LongTermKeys;
  readonly roleArn: string;
  readonly roleSessionName: string;
  readonly durationSeconds?: number;
}

/** STS answered with an error (its Code and Message), or could not be reached (code undefined). */
export class StsCallError extends Error {
  constructor(message: string, readonly code?: string, readonly status?: number, readonly requestId?: string) {
    super(message);
    this.name = 'StsCallError';
  }
}

function text(document: Document, tag: string): string | undefined {
  const value = document.getElementsByTagName(tag)[0]?.textContent;
  return value === null || value === undefined ? undefined : value.trim();
}

function parseXml(body: string): Document | undefined {
  const document = new DOMParser().parseFromString(body, 'application/xml');
  return document.getElementsByTagName('parsererror').length > 0 ? undefined : document;
}

/** The AssumeRoleResponse's credentials and assumed-role user. */
export function parseAssumeRoleResponse(body: string): AssumedRole {
  const document = parseXml(body);
  const accessKeyId = document && text(document, 'AccessKeyId');
  const secretAccessKey = document && text(document, 'SecretAccessKey');
  const sessionToken = document && text(document, 'SessionToken');
  const expiration = document && text(document, 'Expiration');
  const arn = document && text(document, 'Arn');
  const assumedRoleId = document && text(document, 'AssumedRoleId');
  if (!accessKeyId || !secretAccessKey || !sessionToken || !expiration || !arn || !assumedRoleId || Number.isNaN(Date.parse(expiration))) {
    throw new StsCallError('STS answered 200 without the credentials of an AssumeRoleResponse');
  }
  return { credentials: { accessKeyId, secretAccessKey, sessionToken, expiration: new Date(expiration) }, arn, assumedRoleId };
}

/** An ErrorResponse as an StsCallError, or a plain one naming the status when the body is not STS's XML. */
export function parseStsError(status: number, body: string): StsCallError {
  const document = parseXml(body);
  const code = document && text(document, 'Code');
  const message = document && text(document, 'Message');
  const requestId = document && text(document, 'RequestId');
  if (code) return new StsCallError(message ?? '', code, status, requestId);
  return new StsCallError(`STS answered ${status} without an error document`, undefined, status);
}

export async function assumeRole(request: AssumeRoleRequest): Promise<AssumedRole> {
  const form = new URLSearchParams({ Action: 'AssumeRole', Version: STS_API_VERSION, RoleArn: request.roleArn, RoleSessionName: request.roleSessionName });
  if (request.durationSeconds !== undefined) form.set('DurationSeconds', String(request.durationSeconds));
  const aws = new AwsClient({ ...request.keys, service: 'sts', region: request.region, retries: 0 });
  let response: Response;
  try {
    response = await aws.fetch(`${request.stsUrl}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: form.toString(),
    });
  } catch (error) {
    throw new StsCallError(
      `The request did not reach the local STS at ${request.stsUrl} or the browser blocked it (${error instanceof Error ? error.message : String(error)}). `
      + `Is npm start running with its STS, and is ${location.origin} this page's origin or in the stack's cors.allowOrigins?`,
    );
  }
  const body = await response.text();
  if (!response.ok) throw parseStsError(response.status, body);
  return parseAssumeRoleResponse(body);
}
