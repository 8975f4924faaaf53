/**
 * The Lambda worker pool (src/gateway/invoke.ts, src/gateway/lambda-worker.mjs): Lambda's
 * payload quotas, memory, timeouts and crashes end one invocation with AWS's outcome, never the
 * gateway, and never the requests queued behind them; and through the gateway, the statuses
 * API Gateway gives for each (500, and 503 only at the integration timeout).
 */
import * as path from 'node:path';
import fc from 'fast-check';
import { EnvValueError } from '../../src/commands/env-value';
import {
  heapFlags,
  LambdaInvoker,
  MAX_REQUEST_PAYLOAD_BYTES,
  MAX_RESPONSE_PAYLOAD_BYTES,
  poolSize,
  type InvocationOutcome,
  type InvokerOptions,
} from '../../src/gateway/invoke';
import type { LambdaIntegration } from '../../src/gateway/load-stack';
import { FIXTURES, startTestGateway, type TestGateway } from '../support/gateway';
import { send, smithySign } from '../support/smithy-sign';

const LIMITS = path.join(FIXTURES, 'limits.mjs');

const integration = (overrides: Partial<LambdaIntegration> = {}): LambdaIntegration => ({
  functionName: 'limits', bundleFile: LIMITS, exportName: 'handler', timeoutSeconds: 1, memoryMb: 128, payloadFormatVersion: '2.0',
  region: 'us-east-1', runtime: 'nodejs22.x', handler: 'limits.handler', environment: {}, ...overrides,
});

const CONTEXT = {
  functionName: 'limits', functionVersion: '$LATEST', invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:limits',
  memoryLimitInMB: '128', awsRequestId: 'r', logGroupName: '/aws/lambda/limits', logStreamName: 'local',
};

const TOO_LARGE = {
  kind: 'error',
  errorType: 'Function.ResponseSizeTooLarge',
  errorMessage: 'Response payload size exceeded maximum allowed payload size (6291556 bytes).',
};

describe('LambdaInvoker', () => {
  const open: LambdaInvoker[] = [];
  const invoker = (options: InvokerOptions = {}, overrides: Partial<LambdaIntegration> = {}): LambdaInvoker => {
    const created = new LambdaInvoker(integration(overrides), { workers: 1, functionLog: () => undefined, ...options });
    open.push(created);
    return created;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((i) => i.close()));
  });

  const call = (pool: LambdaInvoker, rawPath: string, rawQueryString = '', body?: string): Promise<InvocationOutcome> =>
    pool.invoke({ rawPath, rawQueryString, body }, CONTEXT);
  const pidOf = async (pool: LambdaInvoker): Promise<string> => {
    const outcome = await call(pool, '/pid');
    if (outcome.kind !== 'result') throw new Error(`/pid: ${JSON.stringify(outcome)}`);
    return (outcome.payload as { body: string }).body;
  };

  it('returns a result of exactly 6291556 bytes of JSON, and one byte more is Function.ResponseSizeTooLarge', async () => {
    expect(MAX_RESPONSE_PAYLOAD_BYTES).toBe(6_291_556);
    const pool = invoker();
    const exact = await call(pool, '/sized', `n=${MAX_RESPONSE_PAYLOAD_BYTES}`);
    expect(exact.kind).toBe('result');
    expect(JSON.stringify((exact as { payload: unknown }).payload)).toHaveLength(MAX_RESPONSE_PAYLOAD_BYTES);
    expect(await call(pool, '/sized', `n=${MAX_RESPONSE_PAYLOAD_BYTES + 1}`)).toEqual(TOO_LARGE);
  });

  it('refuses 7 MB, 50 MB and a 10 MB Buffer without serializing them; the same process serves the next request', async () => {
    const pool = invoker();
    const pid = await pidOf(pool);
    expect(await call(pool, '/seven-mb')).toEqual(TOO_LARGE);
    expect(await call(pool, '/fifty-mb')).toEqual(TOO_LARGE);
    expect(await call(pool, '/buffer')).toEqual(TOO_LARGE);
    // A function error does not end the execution environment, as on Lambda.
    expect(await pidOf(pool)).toBe(pid);
  });

  it('refuses an event whose JSON is 6291456 bytes or more before invoking: RequestEntityTooLargeException', async () => {
    expect(MAX_REQUEST_PAYLOAD_BYTES).toBe(6_291_456);
    const pool = invoker();
    // {"rawPath":"/event-size","rawQueryString":"","body":"…"}: 54 bytes + the body.
    const frame = JSON.stringify({ rawPath: '/event-size', rawQueryString: '', body: '' }).length;
    const fits = await call(pool, '/event-size', '', 'b'.repeat(MAX_REQUEST_PAYLOAD_BYTES - 1 - frame));
    expect(fits).toEqual({ kind: 'result', payload: { statusCode: 200, body: String(MAX_REQUEST_PAYLOAD_BYTES - 1) } });
    expect(await call(pool, '/event-size', '', 'b'.repeat(MAX_REQUEST_PAYLOAD_BYTES - frame))).toEqual({
      kind: 'rejected',
      errorType: 'RequestEntityTooLargeException',
      errorMessage: 'Request must be smaller than 6291456 bytes for the InvokeFunction operation',
    });
  });

  it('sizes the heap from memory_size as Lambda\'s Node.js bootstrap does', () => {
    expect(heapFlags(128)).toEqual(['--max-semi-space-size=6', '--max-old-space-size=116']);
    expect(heapFlags(1024)).toEqual(['--max-semi-space-size=51', '--max-old-space-size=922']);
  });

  it.each([
    ['gradually', '/oom'],
    ['in one allocation', '/oom-at-once'],
  ])('a handler out of memory (%s) crashes its own process only; a new one serves the next request', async (_how, rawPath) => {
    const pool = invoker({}, { timeoutSeconds: 10 });
    const pid = await pidOf(pool);
    const outcome = await call(pool, rawPath);
    expect(outcome).toEqual({ kind: 'crash', message: expect.stringMatching(/^Runtime exited with error: (signal: SIG\w+|exit status \d+)$/) });
    const next = await pidOf(pool);
    expect(next).not.toBe(pid);
    expect(Number(next)).not.toBe(process.pid);
  });

  it('ends a function past its timeout as `timeout` (not the integration timeout) and replaces its process', async () => {
    const pool = invoker();
    const pid = await pidOf(pool);
    const started = Date.now();
    expect(await call(pool, '/loop')).toEqual({ kind: 'timeout', timeoutSeconds: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
    expect(await pidOf(pool)).not.toBe(pid);
  });

  it('gives a request queued behind a looping and a crashing one to a fresh process, not to the dying one', async () => {
    const pool = invoker({ workers: 2 });
    const started = Date.now();
    const [loop, exit, ok, okToo] = await Promise.all([call(pool, '/loop'), call(pool, '/exit'), call(pool, '/ok'), call(pool, '/ok')]);
    expect(loop).toEqual({ kind: 'timeout', timeoutSeconds: 1 });
    expect(exit).toEqual({ kind: 'crash', message: 'Runtime exited with error: exit status 3' });
    expect(ok).toEqual({ kind: 'result', payload: { statusCode: 200, body: 'ok' } });
    expect(okToo).toEqual({ kind: 'result', payload: { statusCode: 200, body: 'ok' } });
    // The /ok requests went to the process replacing /exit's, long before /loop's timeout.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('answers the integration timeout for a request still running and for one still queued, then serves again', async () => {
    const pool = invoker({ integrationTimeoutMs: 600 }, { timeoutSeconds: 5 });
    const [running, queued] = await Promise.all([call(pool, '/sleep', 'n=4000'), call(pool, '/ok')]);
    expect(running).toEqual({ kind: 'integration-timeout', afterMs: 600, queued: false });
    expect(queued).toEqual({ kind: 'integration-timeout', afterMs: 600, queued: true });
    expect(await call(pool, '/ok')).toEqual({ kind: 'result', payload: { statusCode: 200, body: 'ok' } });
    expect(pool.pending).toBe(0);
  });

  it('throttles past its bound of running plus queued invocations (TooManyRequestsException)', async () => {
    const pool = invoker({ maxConcurrent: 2 });
    const first = call(pool, '/sleep', 'n=200');
    const second = call(pool, '/ok');
    expect(await call(pool, '/ok')).toEqual({ kind: 'rejected', errorType: 'TooManyRequestsException', errorMessage: 'Rate Exceeded.' });
    expect((await first).kind).toBe('result');
    expect((await second).kind).toBe('result');
    expect((await call(pool, '/ok')).kind).toBe('result');
  });

  it('answers every invocation with the init error while the bundle cannot load, and keeps trying', async () => {
    const pool = invoker({ workers: 2 }, { bundleFile: path.join(FIXTURES, 'broken-init.mjs') });
    for (const outcome of await Promise.all([call(pool, '/ok'), call(pool, '/ok'), call(pool, '/ok')])) {
      expect(outcome).toEqual({ kind: 'crash', message: 'Error: this bundle cannot load' });
    }
    expect(await call(pool, '/ok')).toEqual({ kind: 'crash', message: 'Error: this bundle cannot load' });
  });

  it('reports an uncaught exception after the handler returned, and a result JSON cannot hold', async () => {
    const pool = invoker();
    // Lambda's runtime exits 129 after an uncaught exception (its src/index.mjs).
    expect(await call(pool, '/throw-later')).toEqual({ kind: 'crash', message: 'Runtime exited with error: exit status 129' });
    expect(await call(pool, '/cycle')).toMatchObject({ kind: 'error', errorType: 'TypeError', errorMessage: expect.stringContaining('circular') });
    expect(await call(pool, '/remaining')).toMatchObject({ kind: 'result' });
  });

  it('answers waiting and running invocations when closed, and afterwards at once', async () => {
    const pool = invoker();
    const running = call(pool, '/sleep', 'n=5000');
    const queued = call(pool, '/ok');
    await pool.close();
    expect(await running).toEqual({ kind: 'crash', message: 'the gateway is shutting down' });
    expect(await queued).toEqual({ kind: 'crash', message: 'the gateway is shutting down' });
    expect(await call(pool, '/ok')).toEqual({ kind: 'crash', message: 'the gateway is shutting down' });
  });

  it('ends each of any mix of concurrent invocations with exactly its one expected outcome', async () => {
    const expected: Record<string, InvocationOutcome['kind']> = {
      '/ok': 'result', '/exit': 'crash', '/throw-later': 'crash', '/cycle': 'error', '/seven-mb': 'error', '/sleep': 'result',
    };
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.array(fc.constantFrom(...Object.keys(expected)), { minLength: 1, maxLength: 8 }), async (workers, paths) => {
        const pool = new LambdaInvoker(integration(), { workers, functionLog: () => undefined });
        try {
          const outcomes = await Promise.all(paths.map((p) => call(pool, p, 'n=20')));
          expect(outcomes.map((o) => o.kind)).toEqual(paths.map((p) => expected[p]));
          expect(pool.pending).toBe(0);
        } finally {
          await pool.close();
        }
      }),
      { numRuns: 6, seed: 20261130 },
    );
  }, 60_000);

  it('sizes the pool from the option, else IAM_HTTP_API_WORKERS, else the machine', () => {
    expect(poolSize(3, { IAM_HTTP_API_WORKERS: '5' })).toBe(3);
    expect(poolSize(undefined, { IAM_HTTP_API_WORKERS: '5' })).toBe(5);
    expect(poolSize(undefined, {})).toBe(require('node:os').availableParallelism());
    for (const bad of ['0', '-1', '2.5', 'four', '1e2', '257']) {
      expect(() => poolSize(undefined, { IAM_HTTP_API_WORKERS: bad })).toThrow(EnvValueError);
    }
    expect(() => poolSize(undefined, { IAM_HTTP_API_WORKERS: 'four' })).toThrow('IAM_HTTP_API_WORKERS=four is not a number of Lambda workers; use a whole number from 1 to 256, e.g. IAM_HTTP_API_WORKERS=4');
    expect(() => poolSize(0)).toThrow();
  });
});

describe('through the gateway', () => {
  const INTERNAL = { message: 'Internal Server Error' };
  const get = (gw: TestGateway, urlPath: string) => smithySign(gw.keys.get('admin')!, gw.stack.region, { method: 'GET', url: `${gw.url}${urlPath}` }).then(send);
  const logged = (gw: TestGateway, key: string): unknown[] => gw.log.map((line) => JSON.parse(line) as Record<string, unknown>).filter((e) => key in e).map((e) => e[key]);

  describe('a function timeout of 1 s, under the integration timeout', () => {
    let gw: TestGateway;
    beforeAll(async () => {
      gw = await startTestGateway({ integration: { bundleFile: LIMITS, timeoutSeconds: 1 }, workers: 2 });
    });
    afterAll(() => gw.close());

    it('answers a 7 MB response with 500 Internal Server Error, and serves the next request', async () => {
      const response = await get(gw, '/seven-mb');
      expect(response.status).toBe(500);
      expect(response.json()).toEqual(INTERNAL);
      expect(logged(gw, 'handlerError')).toContain('Function.ResponseSizeTooLarge');
      expect((await get(gw, '/ok')).text).toBe('ok');
    });

    it('answers 500 to a 50 MB response (which aborted the whole gateway) and lives on', async () => {
      const response = await get(gw, '/fifty-mb');
      expect(response.status).toBe(500);
      expect(response.json()).toEqual(INTERNAL);
      expect((await get(gw, '/ok')).text).toBe('ok');
    });

    it.each(['/oom', '/oom-at-once'])('answers 500 to a handler out of memory (%s), and serves the next request', async (urlPath) => {
      const response = await get(gw, urlPath);
      expect(response.status).toBe(500);
      expect(response.json()).toEqual(INTERNAL);
      expect(logged(gw, 'handlerCrash')).toContainEqual(expect.stringMatching(/^Runtime exited with error: /));
      expect((await get(gw, '/ok')).text).toBe('ok');
    });

    it('answers 500 (a function error, not 503) at the function\'s timeout, logging Lambda\'s line', async () => {
      const response = await get(gw, '/loop');
      expect(response.status).toBe(500);
      expect(response.json()).toEqual(INTERNAL);
      expect(logged(gw, 'handlerTimeout')).toContain('Task timed out after 1.00 seconds');
      expect((await get(gw, '/ok')).text).toBe('ok');
    });

    it('serves a request queued behind two looping ones as soon as a fresh process is up', async () => {
      const [loop1, loop2, ok] = await Promise.all([get(gw, '/loop'), get(gw, '/loop'), get(gw, '/ok')]);
      expect(ok.status).toBe(200);
      expect(ok.text).toBe('ok');
      expect([loop1.status, loop2.status]).toEqual([500, 500]);
    });

    it('answers 500 to a request whose event would be 6 MB or more (within API Gateway\'s 10 MB)', async () => {
      const body = 'b'.repeat(6.5 * 1024 * 1024);
      const response = await smithySign(gw.keys.get('admin')!, gw.stack.region, {
        method: 'POST', url: `${gw.url}/event-size`, body, headers: { 'content-type': 'text/plain' },
      }).then(send);
      expect(response.status).toBe(500);
      expect(response.json()).toEqual(INTERNAL);
      expect(logged(gw, 'invokeError')).toContain('RequestEntityTooLargeException');
      expect((await get(gw, '/ok')).text).toBe('ok');
    });
  });

  describe('the integration timeout (shortened to 1.5 s) under a 5 s function timeout', () => {
    let gw: TestGateway;
    beforeAll(async () => {
      gw = await startTestGateway({ integration: { bundleFile: LIMITS, timeoutSeconds: 5 }, workers: 1, integrationTimeoutMs: 1_500 });
    });
    afterAll(() => gw.close());

    it('answers 503 Service Unavailable to a request running or queued past it, then serves again', async () => {
      const [running, queued] = await Promise.all([get(gw, '/sleep?n=4000'), get(gw, '/ok')]);
      expect(running.status).toBe(503);
      expect(running.json()).toEqual({ message: 'Service Unavailable' });
      expect(queued.status).toBe(503);
      expect((await get(gw, '/ok')).text).toBe('ok');
      expect((await get(gw, '/sleep?n=300')).text).toBe('slept 300');
    });
  });
});
