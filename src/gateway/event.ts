/**
 * Builds the Lambda event, payload format 2.0, exactly as API Gateway documents it
 * ("Working with AWS Lambda proxy integrations for HTTP APIs"): lower-cased headers with
 * duplicates comma-joined, cookies in their own field, decoded query and path parameters,
 * text bodies as they are and other bodies base64-encoded, and the caller's IAM identity
 * under `requestContext.authorizer.iam`.
 */
import type { APIGatewayProxyEventV2WithIAMAuthorizer } from 'aws-lambda';
import { randomChunk } from './random-pool';

/** The IAM identity of a verified caller, as `requestContext.authorizer.iam`. */
export interface IamCaller {
  readonly accessKey: string;
  readonly accountId: string;
  readonly userArn: string;
  readonly userId: string;
}

export interface EventInput {
  readonly method: string;
  /**
   * The request path, percent-decoded: live captures of HTTP API events show `rawPath` and
   * `requestContext.http.path` decoded (`/capture/space%20value` arrives as
   * `/capture/space value`; hotsock/voker `vokerhttp/testdata/ingress-paths.json`, July 2026).
   * Paths whose decoding could change their shape never get here (request-path.ts).
   */
  readonly rawPath: string;
  readonly rawQuery: string;
  /** Node's rawHeaders: [name, value, name, value, ...]. */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
  readonly routeKey: string;
  readonly pathParameters: Readonly<Record<string, string>>;
  readonly sourceIp: string;
  readonly protocol: string;
  readonly requestId: string;
  readonly time: Date;
  readonly apiId: string;
  readonly accountId: string;
  readonly stage: string;
  readonly caller?: IamCaller;
}

/** The event shape: API Gateway's own type, with the IAM authorizer present only on AWS_IAM routes. */
export type HttpApiEvent = Omit<APIGatewayProxyEventV2WithIAMAuthorizer, 'requestContext'> & {
  requestContext: Omit<APIGatewayProxyEventV2WithIAMAuthorizer['requestContext'], 'authorizer'> & {
    authorizer?: APIGatewayProxyEventV2WithIAMAuthorizer['requestContext']['authorizer'];
  };
};

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `12/Mar/2020:19:03:58 +0000`, the format of `requestContext.time`. */
export function requestTime(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/**
 * Content types an HTTP API passes to Lambda as text; every other body, a missing content type
 * and `+json`/`+xml` types included, arrives base64-encoded. AWS documents only "If the content
 * type of the request is binary, the body is base64-encoded"; this split was verified against a
 * live HTTP API (payload 2.0, AWS_PROXY) in ministackorg/ministack#766: text only for `text/*`,
 * `application/json`, `application/xml` and `application/javascript`.
 */
export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0].trim().toLowerCase();
  return type.startsWith('text/') || type === 'application/json' || type === 'application/xml' || type === 'application/javascript';
}

/**
 * `Root=1-<epoch seconds, hex>-<24 hex digits>`, the X-Ray trace header format API Gateway
 * adds (AWS X-Ray developer guide, "Tracing header").
 */
function traceId(time: Date): string {
  return `Root=1-${Math.floor(time.getTime() / 1000).toString(16).padStart(8, '0')}-${randomChunk(12).toString('hex')}`;
}

export function buildEvent(input: EventInput): HttpApiEvent {
  // Prototype-free maps: a header or query name such as `constructor` or `__proto__` is data.
  const headers = Object.create(null) as Record<string, string>;
  const cookies: string[] = [];
  for (let i = 0; i < input.rawHeaders.length; i += 2) {
    const name = input.rawHeaders[i].toLowerCase();
    const value = input.rawHeaders[i + 1];
    if (name === 'cookie') cookies.push(...value.split(';').map((c) => c.trim()).filter(Boolean));
    else headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }

  // Headers API Gateway adds, as live HTTP API events show them (e.g. the capture in
  // floci-io/floci#2172: content-length, x-amzn-trace-id, x-forwarded-for, x-forwarded-port 443,
  // x-forwarded-proto https): the values are those of the deployed API, served over HTTPS. A
  // client's own X-Forwarded-For is kept, with the caller's address appended.
  delete headers['transfer-encoding'];
  if (input.body.length > 0) headers['content-length'] = String(input.body.length);
  headers['x-amzn-trace-id'] ??= traceId(input.time);
  headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${input.sourceIp}` : input.sourceIp;
  headers['x-forwarded-port'] = '443';
  headers['x-forwarded-proto'] = 'https';

  const query = queryParameters(input.rawQuery);
  const domainName = headers.host ?? '127.0.0.1';
  const hasBody = input.body.length > 0;
  const text = isTextContentType(headers['content-type']);

  return {
    version: '2.0',
    routeKey: input.routeKey,
    rawPath: input.rawPath,
    rawQueryString: input.rawQuery,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(Object.keys(input.pathParameters).length > 0 ? { pathParameters: Object.assign(Object.create(null) as Record<string, string>, input.pathParameters) } : {}),
    requestContext: {
      accountId: input.accountId,
      apiId: input.apiId,
      domainName,
      domainPrefix: domainName.split('.')[0],
      http: {
        method: input.method,
        path: input.rawPath,
        protocol: input.protocol,
        sourceIp: input.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: input.requestId,
      routeKey: input.routeKey,
      stage: input.stage,
      time: requestTime(input.time),
      timeEpoch: input.time.getTime(),
      ...(input.caller
        ? {
            authorizer: {
              iam: {
                accessKey: input.caller.accessKey,
                accountId: input.caller.accountId,
                callerId: input.caller.userId,
                cognitoIdentity: null as never,
                principalOrgId: null as never,
                userArn: input.caller.userArn,
                userId: input.caller.userId,
              },
            },
          }
        : {}),
    },
    ...(hasBody ? { body: text ? input.body.toString('utf8') : input.body.toString('base64') } : {}),
    isBase64Encoded: hasBody && !text,
  };
}

/** Decoded query parameters; a repeated key's values are comma-joined, as API Gateway does. */
function queryParameters(rawQuery: string): Record<string, string> {
  const params = Object.create(null) as Record<string, string>;
  if (rawQuery === '') return params;
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decode(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decode(pair.slice(eq + 1));
    params[key] = key in params ? `${params[key]},${value}` : value;
  }
  return params;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}
