import * as path from 'node:path';
import { FIXTURES, startTestGateway, type TestGateway } from '../support/gateway';
import { send, smithySign } from '../support/smithy-sign';

const FORBIDDEN = { message: 'Forbidden' };

describe('local gateway: signature, authorization and routing', () => {
  let gw: TestGateway;
  beforeAll(async () => { gw = await startTestGateway(); });
  afterAll(() => gw.close());

  const signed = (invoker: string, method: string, urlPath: string, body?: string, headers: Record<string, string> = {}) =>
    smithySign(gw.keys.get(invoker)!, gw.stack.region, { method, url: `${gw.url}${urlPath}`, body, headers }).then(send);

  it.each([
    ['viewer', 'GET', '/items', 200],
    ['viewer', 'POST', '/items', 403],
    ['viewer', 'DELETE', '/items/1', 403],
    ['editor', 'POST', '/items', 200],
    ['editor', 'PATCH', '/items/1', 200],
    ['editor', 'DELETE', '/items/1', 403],
    ['admin', 'DELETE', '/items/1', 200],
    ['admin', 'PUT', '/', 200],
  ])('%s %s %s → %i', async (invoker, method, urlPath, status) => {
    const response = await signed(invoker, method, urlPath, method === 'GET' || method === 'DELETE' ? undefined : '{"n":1}', { 'content-type': 'application/json' });
    expect(response.status).toBe(status);
    if (status === 403) {
      expect(response.json()).toEqual(FORBIDDEN);
      expect(response.headers.get('x-amzn-errortype')).toBeNull();
    } else {
      expect(response.json()).toEqual({ method, path: urlPath, body: method === 'GET' || method === 'DELETE' ? '' : { n: 1 } });
    }
    expect(response.headers.get('apigw-requestid')).toMatch(/^[A-Za-z0-9+/=]{16}$/);
  });

  it('answers an unsigned request on an AWS_IAM route with 403 Forbidden', async () => {
    const response = await send({ method: 'GET', url: `${gw.url}/items` });
    expect(response.status).toBe(403);
    expect(response.json()).toEqual(FORBIDDEN);
    expect(response.headers.get('apigw-requestid')).toBeTruthy();
  });

  it('lets an unsigned request through the NONE route (OPTIONS /{proxy+}) to the handler', async () => {
    const response = await send({ method: 'OPTIONS', url: `${gw.url}/items` });
    expect(response.status).toBe(204);
  });

  it('rejects an unknown access key with AWS\'s message', async () => {
    const response = await smithySign({ accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'x'.repeat(40) }, gw.stack.region, { method: 'GET', url: `${gw.url}/items` }).then(send);
    expect(response.status).toBe(403);
    expect(response.json()).toEqual({ message: 'The security token included in the request is invalid.' });
    expect(response.headers.get('x-amzn-errortype')).toBe('UnrecognizedClientException');
  });

  it('rejects a signature made with the wrong secret', async () => {
    const key = { accessKeyId: gw.keys.get('viewer')!.accessKeyId, secretAccessKey: 'y'.repeat(40) };
    const response = await smithySign(key, gw.stack.region, { method: 'GET', url: `${gw.url}/items` }).then(send);
    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
    expect(response.json()).toEqual({ message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.' });
  });

  it('rejects a credential scoped to another region', async () => {
    const response = await smithySign(gw.keys.get('admin')!, 'eu-west-1', { method: 'GET', url: `${gw.url}/items` }).then(send);
    expect(response.status).toBe(403);
    expect(response.json()).toEqual({ message: "Credential should be scoped to a valid region, not 'eu-west-1'. " });
  });

  it('rejects a malformed Authorization header naming the missing part', async () => {
    const authorization = 'AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc';
    const response = await send({ method: 'GET', url: `${gw.url}/items`, headers: { authorization, 'x-amz-date': '20260101T000000Z' } });
    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('IncompleteSignatureException');
    expect(response.json()).toEqual({ message: `Authorization header requires 'Credential' parameter. Authorization=${authorization}` });
  });

  it('answers a CORS preflight with the configured headers, and adds the allow-origin header to actual responses', async () => {
    const preflight = await send({ method: 'OPTIONS', url: `${gw.url}/items`, headers: { origin: 'http://127.0.0.1:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,x-amz-date' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:5173');
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET,POST,PUT,PATCH,DELETE,HEAD,OPTIONS');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('authorization,x-amz-date,x-amz-security-token,x-amz-content-sha256,content-type,x-requested-with');
    expect(preflight.headers.get('access-control-max-age')).toBe('86400');

    const actual = await signed('viewer', 'GET', '/items', undefined, { origin: 'http://127.0.0.1:5173' });
    expect(actual.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:5173');
    expect(actual.headers.get('access-control-expose-headers')).toBe('apigw-requestid,x-amzn-ErrorType');
    const denied = await signed('viewer', 'POST', '/items', '{}', { origin: 'http://127.0.0.1:5173' });
    expect(denied.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:5173');
  });

  it('gives no CORS headers to an origin that is not configured', async () => {
    const preflight = await send({ method: 'OPTIONS', url: `${gw.url}/items`, headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const actual = await signed('viewer', 'GET', '/items', undefined, { origin: 'https://evil.example' });
    expect(actual.status).toBe(200);
    expect(actual.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers 413 to a body over 10 MB', async () => {
    const response = await send({ method: 'POST', url: `${gw.url}/items`, body: 'x'.repeat(10 * 1024 * 1024 + 1) });
    expect(response.status).toBe(413);
    expect(response.json()).toEqual({ message: 'Request Entity Too Large' });
  });

  it('writes one access-log line per request naming the caller, never a secret', async () => {
    await signed('editor', 'GET', '/logged');
    const line = gw.log.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.path === '/logged');
    expect(line).toMatchObject({ httpMethod: 'GET', routeKey: '$default', status: '200', userArn: 'arn:aws:iam::123456789012:user/iam-http-api/iam-http-api-dev-editor' });
    for (const key of gw.keys.values()) expect(gw.log.join('\n')).not.toContain(key.secretAccessKey);
  });
});

describe('local gateway: clock window', () => {
  const now = new Date('2026-11-25T12:00:00Z');
  let gw: TestGateway;
  beforeAll(async () => { gw = await startTestGateway({ now: () => now }); });
  afterAll(() => gw.close());

  const at = (offsetMs: number) =>
    smithySign(gw.keys.get('viewer')!, gw.stack.region, { method: 'GET', url: `${gw.url}/items`, signingDate: new Date(now.getTime() + offsetMs) }).then(send);

  it('accepts a signature made exactly 5 minutes before or after now', async () => {
    expect((await at(-5 * 60_000)).status).toBe(200);
    expect((await at(5 * 60_000)).status).toBe(200);
  });

  it('rejects one made 5 minutes and 1 second ago, in AWS\'s words', async () => {
    const response = await at(-(5 * 60_000 + 1000));
    expect(response.status).toBe(403);
    expect(response.json()).toEqual({ message: 'Signature expired: 20261125T115459Z is now earlier than 20261125T115500Z (20261125T120000Z - 5 min.)' });
  });

  it('rejects one made 5 minutes and 1 second ahead', async () => {
    const response = await at(5 * 60_000 + 1000);
    expect(response.json()).toEqual({ message: 'Signature not yet current: 20261125T120501Z is still later than 20261125T120500Z (20261125T120000Z + 5 min.)' });
  });
});

describe('local gateway: the Lambda contract', () => {
  describe('event, payload format 2.0', () => {
    let gw: TestGateway;
    beforeAll(async () => {
      gw = await startTestGateway({
        config: { environments: { dev: { routes: ['GET /items/{id}'] } } },
        integration: { bundleFile: path.join(FIXTURES, 'echo-event.mjs') },
      });
    });
    afterAll(() => gw.close());

    it('has every documented field, the caller\'s IAM identity, and decoded parameters', async () => {
      const response = await smithySign(gw.keys.get('viewer')!, gw.stack.region, {
        method: 'GET',
        url: `${gw.url}/items/a%20b?tag=x&tag=y&q=hello%20world`,
        headers: { 'x-dup': 'one', cookie: 'a=1; b=2', 'user-agent': 'jest-test' },
      }).then(send);
      expect(response.status).toBe(200);
      const { event, functionName, remainingMs } = response.json() as { event: Record<string, any>; functionName: string; remainingMs: number };
      const viewer = gw.stack.invokers.find((i) => i.name === 'viewer')!;
      expect(functionName).toBe('iam-http-api-dev-handler');
      expect(remainingMs).toBeGreaterThan(0);
      expect(event).toMatchObject({
        version: '2.0',
        routeKey: 'GET /items/{id}',
        // Decoded, as live HTTP API events show it (src/gateway/event.ts).
        rawPath: '/items/a b',
        rawQueryString: 'tag=x&tag=y&q=hello%20world',
        cookies: ['a=1', 'b=2'],
        queryStringParameters: { tag: 'x,y', q: 'hello world' },
        pathParameters: { id: 'a b' },
        isBase64Encoded: false,
        requestContext: {
          accountId: '123456789012',
          apiId: gw.stack.apiId,
          domainName: gw.host,
          http: { method: 'GET', path: '/items/a b', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'jest-test' },
          routeKey: 'GET /items/{id}',
          stage: '$default',
          authorizer: {
            iam: {
              accessKey: gw.keys.get('viewer')!.accessKeyId,
              accountId: '123456789012',
              callerId: viewer.principal.userId,
              cognitoIdentity: null,
              principalOrgId: null,
              userArn: viewer.principal.arn,
              userId: viewer.principal.userId,
            },
          },
        },
      });
      expect(event.headers).toMatchObject({ 'x-dup': 'one', 'user-agent': 'jest-test', host: gw.host });
      expect(event.headers.cookie).toBeUndefined();
      expect(event.requestContext.requestId).toBe(response.headers.get('apigw-requestid'));
      expect(event.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
      expect(typeof event.requestContext.timeEpoch).toBe('number');
      expect(event.body).toBeUndefined();
    });

    it('base64-encodes a body that is not text', async () => {
      const response = await smithySign(gw.keys.get('admin')!, gw.stack.region, {
        method: 'POST', url: `${gw.url}/upload`, body: 'raw bytes', headers: { 'content-type': 'application/octet-stream' },
      }).then(send);
      const { event } = response.json() as { event: { body: string; isBase64Encoded: boolean } };
      expect(event).toMatchObject({ isBase64Encoded: true, body: Buffer.from('raw bytes').toString('base64') });
    });
  });

  describe('responses and failures', () => {
    let gw: TestGateway;
    beforeAll(async () => {
      gw = await startTestGateway({ integration: { bundleFile: path.join(FIXTURES, 'misbehaving.mjs'), timeoutSeconds: 1 } });
    });
    afterAll(() => gw.close());

    const call = (urlPath: string) => smithySign(gw.keys.get('admin')!, gw.stack.region, { method: 'GET', url: `${gw.url}${urlPath}` }).then(send);

    it('answers 500 Internal Server Error when the handler throws', async () => {
      const response = await call('/throw');
      expect(response.status).toBe(500);
      expect(response.json()).toEqual({ message: 'Internal Server Error' });
    });

    it('answers 500 Internal Server Error past the synthesized (function) timeout, and keeps serving', async () => {
      // A function timeout is a function error (500); only the 30 s integration timeout gives
      // 503 (__tests__/gateway/invoke.test.ts).
      const response = await call('/loop');
      expect(response.status).toBe(500);
      expect(response.json()).toEqual({ message: 'Internal Server Error' });
      expect((await call('/fine')).status).toBe(200);
    });

    it('survives a handler that exits its runtime', async () => {
      expect((await call('/exit')).status).toBe(500);
      expect((await call('/fine')).text).toBe('ok');
    });

    it('turns a returned object without statusCode into a 200 JSON body', async () => {
      const response = await call('/plain');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(response.json()).toEqual({ hello: 'world' });
    });

    it('sends cookies as set-cookie headers, decodes base64 bodies, and drops the integration\'s CORS headers', async () => {
      const response = await call('/cookies');
      expect(response.status).toBe(201);
      expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/']);
      expect(response.text).toBe('binary!');
      expect(response.headers.get('x-custom')).toBe('yes');
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('answers 500 to a response API Gateway could not use', async () => {
      expect((await call('/bad-status')).status).toBe(500);
    });
  });

  it('answers 404 Not Found when no route matches and there is no $default route', async () => {
    const gw = await startTestGateway({ routes: [{ routeKey: 'GET /only', authorizationType: 'NONE' }] });
    try {
      const response = await send({ method: 'GET', url: `${gw.url}/other` });
      expect(response.status).toBe(404);
      expect(response.json()).toEqual({ message: 'Not Found' });
      expect((await send({ method: 'GET', url: `${gw.url}/only` })).status).toBe(200);
    } finally {
      await gw.close();
    }
  });
});

describe('local gateway: the Lambda permission API Gateway needs to invoke the function', () => {
  const entries = (gw: TestGateway) => gw.log.map((l) => JSON.parse(l) as Record<string, unknown>);
  const call = (gw: TestGateway, method: string, urlPath: string) =>
    smithySign(gw.keys.get('admin')!, gw.stack.region, { method, url: `${gw.url}${urlPath}`, body: method === 'POST' ? '{}' : undefined }).then(send);

  describe('with source_arn narrowed to <execution ARN>/*/GET/*', () => {
    let gw: TestGateway;
    beforeAll(async () => {
      gw = await startTestGateway({
        config: { environments: { dev: { routes: ['GET /items/{id}'] } } },
        invokePermissions: (loaded) => loaded.invokePermissions.map((p) => ({ ...p, sourceArn: `${loaded.executionArn}/*/GET/*` })),
      });
    });
    afterAll(() => gw.close());

    it('invokes the function for a GET the route GET /items/{id} serves (source ARN …/$default/GET/items/{id})', async () => {
      const response = await call(gw, 'GET', '/items/1');
      expect(response.status).toBe(200);
      expect(response.json()).toEqual({ method: 'GET', path: '/items/1', body: '' });
    });

    it.each([['POST', '/items'], ['GET', '/items']])('answers 500 to %s %s, which the $default route serves (source ARN …/$default/$default), and logs why', async (method, urlPath) => {
      const response = await call(gw, method, urlPath);
      expect(response.status).toBe(500);
      expect(response.json()).toEqual({ message: 'Internal Server Error' });
      const requestId = response.headers.get('apigw-requestid');
      expect(entries(gw).find((l) => l.requestId === requestId && l.integrationError !== undefined)).toEqual({
        requestId,
        integrationError: "The IAM role configured on the integration or API Gateway doesn't have permissions to call the integration. Check the permissions and try again",
        lambdaPermission: `no aws_lambda_permission lets apigateway.amazonaws.com invoke iam-http-api-dev-handler from ${gw.stack.executionArn}/$default/$default; `
          + `the stack's permissions allow only aws_lambda_permission.handler_invoke_from_api from ${gw.stack.executionArn}/*/GET/*`,
      });
      expect(entries(gw).find((l) => l.requestId === requestId && l.status !== undefined)).toMatchObject({ status: '500', routeKey: '$default' });
    });
  });

  it('answers 500 to every request that reaches the integration when no permission lets API Gateway invoke it, and warns at startup', async () => {
    const gw = await startTestGateway({ invokePermissions: () => [] });
    try {
      expect(entries(gw)[0]).toEqual({ warning: 'no aws_lambda_permission lets apigateway.amazonaws.com invoke iam-http-api-dev-handler, so every request that reaches the integration is answered 500 Internal Server Error, as AWS would' });
      const response = await call(gw, 'GET', '/items');
      expect(response.status).toBe(500);
      expect(response.json()).toEqual({ message: 'Internal Server Error' });
      const requestId = response.headers.get('apigw-requestid');
      expect(entries(gw).find((l) => l.requestId === requestId && l.integrationError !== undefined)?.lambdaPermission)
        .toBe(`no aws_lambda_permission lets apigateway.amazonaws.com invoke iam-http-api-dev-handler from ${gw.stack.executionArn}/$default/$default; the stack has none for this function`);
      // IAM still decides first: a denied caller gets its 403, as on AWS.
      expect((await smithySign(gw.keys.get('viewer')!, gw.stack.region, { method: 'POST', url: `${gw.url}/items`, body: '{}' }).then(send)).status).toBe(403);
    } finally {
      await gw.close();
    }
  });
});
