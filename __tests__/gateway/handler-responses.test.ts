/**
 * Issue 11, "never down" and "as AWS answers" for handler output and hostile requests: whatever
 * a handler returns or a client sends, that request gets API Gateway's answer, one log line
 * says why when it is an error, and the next request is served.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import fc from 'fast-check';
import { FIXTURES, startTestGateway, type TestGateway } from '../support/gateway';
import { smithySign } from '../support/smithy-sign';

interface RawAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly rawHeaders: readonly string[];
  readonly body: string;
}

/** One request over its own connection, headers given as raw [name, value, ...] pairs. */
function raw(gw: TestGateway, options: { method?: string; path?: string; headers?: string[]; body?: string }): Promise<RawAnswer> {
  const url = new URL(gw.url);
  return new Promise((resolve, reject) => {
    // Raw header pairs get no Host from Node: add it unless the test gives one.
    const headers = options.headers ?? [];
    const withHost = headers.some((h, i) => i % 2 === 0 && h.toLowerCase() === 'host') ? headers : ['Host', url.host, ...headers];
    const req = http.request({ host: url.hostname, port: url.port, method: options.method ?? 'GET', path: options.path ?? '/', headers: withHost, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const INTERNAL = '{"message":"Internal Server Error"}';

describe('handler responses API Gateway cannot use, and the rules it applies to the rest', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({
      integration: { bundleFile: path.join(FIXTURES, 'respond-as-told.mjs') },
      routes: [{ routeKey: '$default', authorizationType: 'NONE' }],
    });
  });
  afterAll(() => gw.close());

  const answer = (result: unknown): Promise<RawAnswer> =>
    raw(gw, { method: 'POST', path: '/r', headers: ['content-type', 'application/json'], body: JSON.stringify({ result }) });

  it.each([
    ['a header value beyond Latin-1', { statusCode: 200, headers: { 'x-title': '日本' } }, 'header x-title has characters HTTP cannot carry (CR, LF, controls or beyond Latin-1)'],
    ['CR/LF in a header value', { statusCode: 200, headers: { 'x-a': 'a\r\nset-cookie: evil=1' } }, 'header x-a has characters HTTP cannot carry (CR, LF, controls or beyond Latin-1)'],
    ['an invalid header name', { statusCode: 200, headers: { 'bad name': 'x' } }, 'header name "bad name" is not an HTTP token'],
    ['an object as a header value', { statusCode: 200, headers: { 'x-o': { a: 1 } } }, 'header x-o has a value that is not a string, number or boolean'],
    ['CR/LF in a cookie', { statusCode: 200, cookies: ['a=1\r\nx: y'] }, 'a cookie has characters HTTP cannot carry'],
    ['cookies that are not a list', { statusCode: 200, cookies: 'a=1' }, 'cookies must be a list of strings'],
    ['statusCode 100', { statusCode: 100 }, 'statusCode 100 is not an integer from 200 to 599'],
    ['statusCode 101', { statusCode: 101 }, 'statusCode 101 is not an integer from 200 to 599'],
    ['statusCode 600', { statusCode: 600 }, 'statusCode 600 is not an integer from 200 to 599'],
    ['statusCode as a string', { statusCode: '200' }, 'statusCode "200" is not an integer from 200 to 599'],
    ['a body that is not a string', { statusCode: 200, body: { a: 1 } }, 'body is object; it must be a string'],
  ])('%s → 500 Internal Server Error, one log line, and the next request is served', async (_what, result, reason) => {
    const before = gw.log.length;
    const bad = await answer(result);
    expect(bad.status).toBe(500);
    expect(bad.body).toBe(INTERNAL);
    const lines = gw.log.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l.malformedLambdaResponse)).toEqual([{ requestId: expect.any(String), malformedLambdaResponse: reason }]);
    const good = await answer({ statusCode: 200, body: 'fine' });
    expect([good.status, good.body]).toEqual([200, 'fine']);
  });

  it("drops the handler's framing and hop-by-hop headers and frames the response itself", async () => {
    const response = await answer({
      statusCode: 200,
      headers: { 'transfer-encoding': 'chunked', connection: 'close', 'content-length': '999', 'keep-alive': 'timeout=99', upgrade: 'h2c', te: 'trailers', trailer: 'x', 'x-kept': 'yes' },
      body: 'hi',
    });
    expect(response.status).toBe(200);
    expect(response.body).toBe('hi');
    expect(response.headers['content-length']).toBe('2');
    expect(response.headers['x-kept']).toBe('yes');
    const names = response.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    for (const name of ['transfer-encoding', 'upgrade', 'te', 'trailer']) expect(names).not.toContain(name);
    expect(names.filter((n) => n === 'content-length')).toHaveLength(1);
    expect(response.headers['keep-alive']).not.toBe('timeout=99');
  });

  it.each([204, 304])('sends no body with %i', async (statusCode) => {
    const response = await answer({ statusCode, body: 'must not be sent' });
    expect(response.status).toBe(statusCode);
    expect(response.body).toBe('');
  });

  it('sends both a set-cookie header and the cookies list', async () => {
    const response = await answer({ statusCode: 200, headers: { 'set-cookie': 'h=1' }, cookies: ['c=2', 'd=3'] });
    expect(response.headers['set-cookie']).toEqual(['h=1', 'c=2', 'd=3']);
  });

  it('sends a returned string as the body itself, as application/json (the payload 2.0 documentation\'s example)', async () => {
    const response = await answer('Hello from Lambda!');
    expect([response.status, response.headers['content-type'], response.body]).toEqual([200, 'application/json', 'Hello from Lambda!']);
  });

  it('sends any other value without statusCode as its JSON', async () => {
    const response = await answer({ hello: 'world', statusCodeLike: 1 });
    expect(response.body).toBe('{"hello":"world","statusCodeLike":1}');
  });

  it('answers whatever a handler returns (fast-check, 400 generated results) and keeps serving', async () => {
    const text = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: 'grapheme', maxLength: 10 }), fc.constantFrom('a\r\nb', 'x\u0000y', '日本', 'é', ''));
    const name = fc.oneof(fc.constantFrom('content-type', 'set-cookie', 'transfer-encoding', 'content-length', 'connection', 'x-ok', '__proto__', 'constructor', 'bad name', 'x:y', ''), fc.string({ maxLength: 12 }));
    const value = fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null), fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }));
    const structured = fc.record(
      {
        statusCode: fc.oneof(fc.integer({ min: -5, max: 1000 }), fc.constantFrom(100, 101, 204, 304, 200.5, '200', null)),
        headers: fc.oneof(fc.dictionary(name, value, { maxKeys: 4 }), fc.constant(null), fc.constant('x')),
        cookies: fc.oneof(fc.array(fc.oneof(text, fc.integer()), { maxLength: 3 }), fc.constant('a=1'), fc.constant(null)),
        body: fc.oneof(text, fc.integer(), fc.constant(null), fc.base64String({ maxLength: 40 }), fc.constant({ nested: true })),
        isBase64Encoded: fc.oneof(fc.boolean(), fc.constant('true')),
      },
      { requiredKeys: ['statusCode'] },
    );
    const result = fc.oneof(structured, fc.jsonValue({ maxDepth: 2 }), text);
    await fc.assert(
      fc.asyncProperty(result, async (r) => {
        const response = await answer(r);
        expect(response.status).toBeGreaterThanOrEqual(200);
        expect(response.status).toBeLessThanOrEqual(599);
        expect(response.headers['apigw-requestid']).toBeTruthy();
        if (response.status === 500 && response.body !== INTERNAL) {
          // Only a handler that chose 500 itself may send another 500 body.
          expect((r as { statusCode?: unknown } | null)?.statusCode).toBe(500);
        }
      }),
      { seed: 20261130, numRuns: 400 },
    );
    expect((await answer({ statusCode: 200, body: 'still here' })).body).toBe('still here');
  });

  it('refuses request headers past the 10,240-byte quota with 431, and keeps serving', async () => {
    const response = await raw(gw, { path: '/r', headers: ['x-big', 'a'.repeat(11_000)] });
    expect(response.status).toBe(431);
    expect((await answer({ statusCode: 200, body: 'ok' })).status).toBe(200);
  });
});

describe('request data keyed by prototype names', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ integration: { bundleFile: path.join(FIXTURES, 'echo-event.mjs') }, routes: [{ routeKey: '$default', authorizationType: 'NONE' }] });
  });
  afterAll(() => gw.close());

  it('passes headers and query parameters named constructor, toString and __proto__ as data', async () => {
    const response = await raw(gw, {
      path: '/p?constructor=1&__proto__=2&toString=3&hasOwnProperty=4',
      headers: ['constructor', 'c', '__proto__', 'p', 'toString', 't', 'constructor', 'c2'],
    });
    expect(response.status).toBe(200);
    const { event } = JSON.parse(response.body) as { event: { headers: Record<string, string>; queryStringParameters: Record<string, string> } };
    expect(Object.entries(event.headers).filter(([k]) => ['constructor', '__proto__', 'tostring'].includes(k))).toEqual([
      ['constructor', 'c,c2'], ['__proto__', 'p'], ['tostring', 't'],
    ]);
    expect(Object.entries(event.queryStringParameters)).toEqual([['constructor', '1'], ['__proto__', '2'], ['toString', '3'], ['hasOwnProperty', '4']]);
  });
});

describe('the event as a deployed HTTP API builds it', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ integration: { bundleFile: path.join(FIXTURES, 'echo-event.mjs') }, routes: [{ routeKey: '$default', authorizationType: 'NONE' }] });
  });
  afterAll(() => gw.close());

  const eventOf = async (options: Parameters<typeof raw>[1]): Promise<{ headers: Record<string, string>; body?: string; isBase64Encoded: boolean }> =>
    (JSON.parse((await raw(gw, options)).body) as { event: { headers: Record<string, string>; body?: string; isBase64Encoded: boolean } }).event;

  it('adds x-forwarded-for/-port/-proto, an X-Ray trace id and the body length', async () => {
    const event = await eventOf({ method: 'POST', path: '/e', headers: ['content-type', 'text/plain'], body: 'hello' });
    expect(event.headers).toMatchObject({ 'x-forwarded-for': '127.0.0.1', 'x-forwarded-port': '443', 'x-forwarded-proto': 'https', 'content-length': '5' });
    expect(event.headers['x-amzn-trace-id']).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
  });

  it("keeps a client's X-Forwarded-For and appends the caller", async () => {
    const event = await eventOf({ path: '/e', headers: ['x-forwarded-for', '203.0.113.7'] });
    expect(event.headers['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1');
  });

  it.each([
    ['text/plain; charset=utf-8', false],
    ['application/json', false],
    ['application/xml', false],
    ['application/javascript', false],
    ['application/problem+json', true],
    ['application/vnd.api+json', true],
    ['application/x-www-form-urlencoded', true],
    ['application/octet-stream', true],
    [undefined, true],
  ])('a %s body arrives base64-encoded: %s', async (contentType, base64) => {
    const event = await eventOf({ method: 'POST', path: '/e', headers: contentType ? ['content-type', contentType] : [], body: '{"a":1}' });
    expect(event.isBase64Encoded).toBe(base64);
    expect(event.body).toBe(base64 ? Buffer.from('{"a":1}').toString('base64') : '{"a":1}');
  });
});

describe('hostile requests to an AWS_IAM route', () => {
  let gw: TestGateway;
  beforeAll(async () => { gw = await startTestGateway({ integration: { bundleFile: path.join(FIXTURES, 'echo-event.mjs') } }); });
  afterAll(() => gw.close());

  it('does not let a second X-Amz-Date appended to a signed request verify', async () => {
    const signed = await smithySign(gw.keys.get('viewer')!, gw.stack.region, { method: 'GET', url: `${gw.url}/items` });
    const headers = Object.entries(signed.headers).flat();
    const ok = await raw(gw, { path: '/items', headers });
    expect(ok.status).toBe(200);
    const tampered = await raw(gw, { path: '/items', headers: [...headers, 'X-Amz-Date', '19990101T000000Z'] });
    expect(tampered.status).toBe(403);
    expect(tampered.headers['x-amzn-errortype']).toBe('InvalidSignatureException');
  });

  it('refuses an unsigned upload before reading its body, and closes the connection', async () => {
    const url = new URL(gw.url);
    const outcome = await new Promise<{ status: number; body: string; closed: boolean }>((resolve, reject) => {
      const req = http.request({ host: url.hostname, port: url.port, method: 'POST', path: '/items', headers: { 'transfer-encoding': 'chunked' }, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => { body += chunk; });
        // The body is never finished: the answer must come without it.
        res.on('end', () => req.socket?.once('close', () => resolve({ status: res.statusCode ?? 0, body, closed: true })));
      });
      req.on('error', reject);
      req.write('x'.repeat(64 * 1024));
    });
    expect(outcome).toEqual({ status: 403, body: '{"message":"Forbidden"}', closed: true });
  });

  it('answers 413 to a chunked upload past 10 MB without reading the rest, and closes the connection', async () => {
    const signed = await smithySign(gw.keys.get('admin')!, gw.stack.region, { method: 'POST', url: `${gw.url}/items`, headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
    const url = new URL(gw.url);
    const outcome = await new Promise<{ status: number; closed: boolean; writtenMb: number }>((resolve) => {
      let written = 0;
      let status = 0;
      const req = http.request({ host: url.hostname, port: url.port, method: 'POST', path: '/items', headers: { ...signed.headers, 'transfer-encoding': 'chunked' }, agent: false }, (res) => {
        status = res.statusCode ?? 0;
        res.resume();
      });
      // The gateway stops reading and cuts the upload (EPIPE/ECONNRESET here): expected.
      req.on('error', () => undefined);
      req.on('socket', (socket) => socket.once('close', () => resolve({ status, closed: true, writtenMb: written / 1024 / 1024 })));
      const chunk = Buffer.alloc(1024 * 1024, 120);
      const pump = (): void => {
        while (written < 64 * 1024 * 1024 && !req.destroyed) {
          written += chunk.length;
          if (!req.write(chunk)) {
            req.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
    expect(outcome.status).toBe(413);
    expect(outcome.closed).toBe(true);
    // Far less than the 64 MB the client would have sent had the gateway kept draining.
    expect(outcome.writtenMb).toBeLessThan(40);
  });
});

describe('slow clients', () => {
  let gw: TestGateway;
  // 1.5 s instead of 30 s, so the test is quick; Node checks the timeouts every second.
  beforeAll(async () => { gw = await startTestGateway({ integration: { bundleFile: path.join(FIXTURES, 'echo-event.mjs') }, requestTimeoutMs: 1_500 }); });
  afterAll(() => gw.close());

  /** Writes `first`, then `rest` one byte every 200 ms; resolves with what came back once the server closes. */
  function trickle(first: string, rest: string): Promise<{ answer: string; ms: number }> {
    const url = new URL(gw.url);
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const socket = net.connect(Number(url.port), url.hostname, () => socket.write(first));
      let answer = '';
      let sent = 0;
      const timer = setInterval(() => { if (sent < rest.length && socket.writable) socket.write(rest[sent++]!); }, 200);
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => { answer += chunk; });
      socket.on('error', reject);
      socket.on('close', () => { clearInterval(timer); resolve({ answer, ms: Date.now() - started }); });
    });
  }

  it('headers that trickle in get 408 and the connection is closed; signed requests are still served', async () => {
    const { answer, ms } = await trickle('GET /items HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'X-Slow: ' + 'a'.repeat(100));
    expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(answer).toContain('connection: close');
    expect(answer.endsWith('{"message":"Request Timeout"}')).toBe(true);
    expect(ms).toBeLessThan(5_000);
    const signed = await smithySign(gw.keys.get('viewer')!, gw.stack.region, { method: 'GET', url: `${gw.url}/items` });
    expect((await raw(gw, { path: '/items', headers: Object.entries(signed.headers).flat() })).status).toBe(200);
  });

  it('a signed upload whose body trickles in gets 408 and the connection is closed', async () => {
    const signed = await smithySign(gw.keys.get('admin')!, gw.stack.region, { method: 'POST', url: `${gw.url}/items`, headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'content-length': '100' } });
    const head = ['POST /items HTTP/1.1', ...Object.entries(signed.headers).map(([name, value]) => `${name}: ${value}`)].join('\r\n');
    const { answer, ms } = await trickle(`${head}\r\n\r\n`, 'b'.repeat(100));
    expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(ms).toBeLessThan(5_000);
  });

  it('an idle connection that never sends a request is closed', async () => {
    const { answer, ms } = await trickle('', '');
    expect(answer === '' || answer.startsWith('HTTP/1.1 408')).toBe(true);
    expect(ms).toBeLessThan(5_000);
  });
});
