/**
 * Every error the local gateway answers with, in AWS's words, built only here.
 *
 * A `GatewayError` knows its response: AWS's status, the JSON body `{"message": ...}` and,
 * where AWS sends one, the `x-amzn-ErrorType` header. Where AWS's exact text is not confirmed
 * by documentation, the comment on the factory says which source it comes from.
 *
 * Sources:
 *  [http-api-403]  aws/aws-cdk#21182: an HTTP API route with IAM auth answers a denied or
 *                  unsigned call with 403 {"message":"Forbidden"}.
 *  [sigv4-errors]  AWS's SigV4 error texts as returned by API Gateway and other SigV4 services
 *                  (InvalidSignatureException, IncompleteSignatureException,
 *                  UnrecognizedClientException), e.g. floci-io/floci#4090 quoting a live 403.
 *  [http-api-errs] AWS docs, "Troubleshooting HTTP APIs" / "Working with HTTP APIs": 404
 *                  {"message":"Not Found"}, 500 {"message":"Internal Server Error"}, 503
 *                  {"message":"Service Unavailable"} on integration timeout, 413 for payloads
 *                  over the 10 MB quota.
 */

export interface ErrorResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export class GatewayError extends Error {
  constructor(
    public readonly status: number,
    message: string,
    /** AWS's `x-amzn-ErrorType`, when AWS sends one for this error. */
    public readonly errorType?: string,
  ) {
    super(message);
    this.name = 'GatewayError';
  }

  public getResponse(): ErrorResponse {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.errorType) headers['x-amzn-errortype'] = this.errorType;
    return { status: this.status, headers, body: JSON.stringify({ message: this.message }) };
  }
}

/** `20150830T123600Z`, the form AWS prints times in its signature errors. */
export function amzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

const FIVE_MINUTES_MS = 5 * 60 * 1000;

export const errors = {
  /** No signature at all on an AWS_IAM route. [http-api-403] (REST APIs say "Missing Authentication Token".) */
  missingAuthentication: () => new GatewayError(403, 'Forbidden'),

  /** The caller's policies do not allow execute-api:Invoke on the request's ARN. HTTP APIs do not reveal why. [http-api-403] */
  accessDenied: () => new GatewayError(403, 'Forbidden'),

  /** [sigv4-errors] */
  signatureMismatch: () =>
    new GatewayError(
      403,
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
      'InvalidSignatureException',
    ),

  /** The signing time is more than 5 minutes before now. [sigv4-errors] */
  signatureExpired: (signedAt: Date, now: Date) =>
    new GatewayError(
      403,
      `Signature expired: ${amzDate(signedAt)} is now earlier than ${amzDate(new Date(now.getTime() - FIVE_MINUTES_MS))} (${amzDate(now)} - 5 min.)`,
      'InvalidSignatureException',
    ),

  /** The signing time is more than 5 minutes after now. [sigv4-errors] */
  signatureNotYetCurrent: (signedAt: Date, now: Date) =>
    new GatewayError(
      403,
      `Signature not yet current: ${amzDate(signedAt)} is still later than ${amzDate(new Date(now.getTime() + FIVE_MINUTES_MS))} (${amzDate(now)} + 5 min.)`,
      'InvalidSignatureException',
    ),

  /** A presigned URL past its X-Amz-Expires. Text as S3/STS answer it; API Gateway's is unconfirmed. [sigv4-errors] */
  presignedUrlExpired: () => new GatewayError(403, 'Request has expired', 'AccessDeniedException'),

  /** The access key id is not one of the invokers'. [sigv4-errors] */
  unknownAccessKey: () => new GatewayError(403, 'The security token included in the request is invalid.', 'UnrecognizedClientException'),

  /**
   * Temporary credentials past their expiration: ExpiredTokenException, "The security token
   * included in the request is expired" (no full stop), as AWS SDKs quote AWS's answer (e.g.
   * MitocGroup/deep-framework#592: {"errorType":"ExpiredTokenException","errorMessage":"The
   * security token included in the request is expired"}). API Gateway's status for it is not
   * documented: 403 as for the invalid token.
   */
  expiredToken: () => new GatewayError(403, 'The security token included in the request is expired', 'ExpiredTokenException'),

  /**
   * Credential scope names another region. Wording as recorded by dynalite and
   * dacut/scratchstack-aws-signature, emulators of AWS's signature checks. [sigv4-errors]
   */
  wrongRegion: (given: string) =>
    new GatewayError(403, `Credential should be scoped to a valid region, not '${given}'. `, 'InvalidSignatureException'),

  /** Credential scope names another service than `expected` (`execute-api` in the gateway). [sigv4-errors] */
  wrongService: (expected: string) =>
    new GatewayError(403, `Credential should be scoped to correct service: '${expected}'. `, 'InvalidSignatureException'),

  /** `host` is not among the signed headers. Wording as recorded by dynalite and scratchstack. [sigv4-errors] */
  hostNotSigned: () =>
    new GatewayError(403, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.", 'InvalidSignatureException'),

  /** A presigned URL lacks some X-Amz-* parameters; `missing` lists one sentence each. [sigv4-errors] */
  incompleteQuerySignature: (missing: readonly string[]) =>
    new GatewayError(403, `${missing.join(' ')} Re-examine the query-string parameters.`, 'IncompleteSignatureException'),

  /** The credential scope is not `<date>/<region>/<service>/aws4_request`, or its date is not the request's. [sigv4-errors] */
  malformedCredential: (detail: string) => new GatewayError(403, detail, 'IncompleteSignatureException'),

  /** The Authorization header lacks parts; `missing` lists AWS's sentences for each. [sigv4-errors] */
  incompleteSignature: (missing: readonly string[], authorization: string) =>
    new GatewayError(403, `${missing.join(' ')} Authorization=${authorization}`, 'IncompleteSignatureException'),

  /**
   * A request Node's HTTP parser refuses before the pipeline runs (bytes outside ASCII in the
   * request line, a malformed header). AWS's answer for these is not documented; unconfirmed.
   */
  badRequest: () => new GatewayError(400, 'Bad Request'),
  /**
   * Request line and headers too large. API Gateway documents a 10 KB limit for them; its
   * answer's status and text are unconfirmed (431 is HTTP's own code for this).
   */
  headersTooLarge: () => new GatewayError(431, 'Request Header Fields Too Large'),
  /**
   * The request (headers, then body) did not arrive within the gateway's timeouts. A local bound
   * (one slow client must not hold connections forever); API Gateway's answer is undocumented.
   */
  requestTimeout: () => new GatewayError(408, 'Request Timeout'),

  /** [http-api-errs] */
  notFound: () => new GatewayError(404, 'Not Found'),
  /** [http-api-errs] */
  payloadTooLarge: () => new GatewayError(413, 'Request Entity Too Large'),
  /** The handler threw or answered something API Gateway cannot turn into a response. [http-api-errs] */
  internal: () => new GatewayError(500, 'Internal Server Error'),
  /**
   * API Gateway's integration timeout (30 s for HTTP APIs) passed before the Lambda answered.
   * The function's own, shorter timeout is a function error: `internal`. [http-api-errs]
   */
  integrationTimeout: () => new GatewayError(503, 'Service Unavailable'),
} as const;
