import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { handler } from '../../handler/index';

/** A payload-format-2.0 event as API Gateway sends it, with the fields the handler reads. */
function event(method: string, path: string, body?: string, headers: Record<string, string> = {}, isBase64Encoded = false): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { 'x-amz-date': '20260101T000000Z', authorization: 'AWS4-HMAC-SHA256 Credential=AKIA…, Signature=secret-looking', ...headers },
    body,
    isBase64Encoded,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'jest' },
      requestId: 'r',
      routeKey: '$default',
      stage: '$default',
      time: '01/Jan/2026:00:00:00 +0000',
      timeEpoch: 0,
    },
  };
}

async function call(e: APIGatewayProxyEventV2): Promise<{ statusCode?: number; body: unknown; headers?: Record<string, unknown> }> {
  const result = await handler(e);
  return { statusCode: result.statusCode, headers: result.headers, body: result.body === undefined ? undefined : JSON.parse(result.body) };
}

describe('handler', () => {
  it('answers 200 with the method, path and parsed JSON body', async () => {
    expect(await call(event('POST', '/items', '{"message":"hi"}', { 'content-type': 'application/json' }))).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: { method: 'POST', path: '/items', body: { message: 'hi' } },
    });
  });

  it('gives "" as the body when there is none', async () => {
    expect((await call(event('GET', '/'))).body).toEqual({ method: 'GET', path: '/', body: '' });
  });

  it('decodes base64 bodies', async () => {
    const encoded = Buffer.from('{"n":1}').toString('base64');
    expect((await call(event('PUT', '/x', encoded, { 'content-type': 'application/json' }, true))).body).toEqual({ method: 'PUT', path: '/x', body: { n: 1 } });
  });

  it('parses JSON sent as text/plain (what fetch sends for a string body) and echoes other text as it came', async () => {
    expect((await call(event('POST', '/x', '[1,2]', { 'content-type': 'text/plain;charset=UTF-8' }))).body).toMatchObject({ body: [1, 2] });
    expect((await call(event('POST', '/x', 'hello', { 'content-type': 'text/plain' }))).body).toMatchObject({ body: 'hello' });
  });

  it('answers 400 with a JSON message when a body that claims to be JSON is not', async () => {
    const result = await call(event('POST', '/x', '{"message":', { 'content-type': 'application/json; charset=utf-8' }));
    expect(result.statusCode).toBe(400);
    expect(result.body).toEqual({ message: expect.stringMatching(/^The request body is not valid JSON: /) });
  });

  it('answers 204 with no body to OPTIONS', async () => {
    expect(await handler(event('OPTIONS', '/anything'))).toEqual({ statusCode: 204 });
  });

  it('never echoes headers, so no signature leaves the function', async () => {
    const result = await handler(event('GET', '/'));
    expect(result.body).not.toContain('Signature');
    expect(result.body).not.toContain('AWS4-HMAC-SHA256');
  });
});
