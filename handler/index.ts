/**
 * The Lambda behind the HTTP API (payload format 2.0). It answers with the method, path and
 * body it received (parsed when it is JSON), 204 to OPTIONS, and a 400 with a JSON message when a body that
 * claims to be JSON is not. It never echoes headers, so no signature or token leaves it.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export interface EchoBody {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const { method, path } = event.requestContext.http;
  if (method === 'OPTIONS') return { statusCode: 204 };

  const text = event.body === undefined || event.body === null
    ? ''
    : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;

  let body: unknown = text;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch (error) {
      // Only a body that claims to be JSON must be JSON; any other text is echoed as it came.
      if (claimsJson(event.headers?.['content-type'])) {
        return respond(400, { message: `The request body is not valid JSON: ${(error as Error).message}` });
      }
    }
  }
  const echo: EchoBody = { method, path, body };
  return respond(200, echo);
}

/** `application/json`, `application/problem+json`, with or without parameters. */
function claimsJson(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const mediaType = contentType.split(';')[0].trim().toLowerCase();
  return mediaType === 'application/json' || /^application\/[^/]+\+json$/.test(mediaType);
}

function respond(statusCode: number, value: unknown): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: JSON_HEADERS, body: JSON.stringify(value) };
}
