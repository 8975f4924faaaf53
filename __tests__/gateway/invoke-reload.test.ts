/**
 * LambdaInvoker.reload (watch mode's bundle swap): an invocation in flight finishes on the bundle
 * its process loaded, the next one runs the new bundle, and idle processes are replaced at once.
 */
import * as path from 'node:path';
import { LambdaInvoker, type InvocationOutcome } from '../../src/gateway/invoke';
import type { LambdaIntegration } from '../../src/gateway/load-stack';
import { FIXTURES } from '../support/gateway';

const integration = (bundle: string): LambdaIntegration => ({
  functionName: 'swap', bundleFile: path.join(FIXTURES, bundle), exportName: 'handler', timeoutSeconds: 5, memoryMb: 128, payloadFormatVersion: '2.0',
  region: 'us-east-1', runtime: 'nodejs22.x', handler: 'index.handler', environment: {},
});

const CONTEXT = {
  functionName: 'swap', functionVersion: '$LATEST', invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:swap',
  memoryLimitInMB: '128', awsRequestId: 'r', logGroupName: '/aws/lambda/swap', logStreamName: 'local',
};

const body = (outcome: InvocationOutcome): string => {
  if (outcome.kind !== 'result') throw new Error(JSON.stringify(outcome));
  return (outcome.payload as { body: string }).body;
};

describe('LambdaInvoker.reload', () => {
  let pool: LambdaInvoker | undefined;
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  it('lets the invocation in flight finish on the old bundle and runs the next one on the new bundle', async () => {
    pool = new LambdaInvoker(integration('limits.mjs'), { workers: 1, functionLog: () => undefined });
    const oldPid = body(await pool.invoke({ rawPath: '/pid' }, CONTEXT));
    const inFlight = pool.invoke({ rawPath: '/sleep', rawQueryString: 'n=400' }, CONTEXT);
    // Handed to the process, which is now busy.
    await new Promise((resolve) => setTimeout(resolve, 100));
    pool.reload(integration('echo-event.mjs'));
    const next = pool.invoke({ rawPath: '/after-reload' }, CONTEXT);

    expect(body(await inFlight)).toBe('slept 400');
    const echoed = JSON.parse(body(await next)) as { event: { rawPath: string }; functionName: string };
    expect(echoed.event.rawPath).toBe('/after-reload');
    // ...in a new process: limits.mjs's /pid is not answered by echo-event.mjs.
    expect(body(await pool.invoke({ rawPath: '/pid' }, CONTEXT))).not.toBe(oldPid);
    expect(JSON.parse(body(await pool.invoke({ rawPath: '/pid' }, CONTEXT))).event.rawPath).toBe('/pid');
  });

  it('replaces idle processes at once: the first invocation after reload runs the new bundle', async () => {
    pool = new LambdaInvoker(integration('limits.mjs'), { workers: 2, functionLog: () => undefined });
    expect(Number(body(await pool.invoke({ rawPath: '/pid' }, CONTEXT)))).toBeGreaterThan(0);
    pool.reload(integration('echo-event.mjs'));
    const outcomes = await Promise.all([pool.invoke({ rawPath: '/a' }, CONTEXT), pool.invoke({ rawPath: '/b' }, CONTEXT)]);
    expect(outcomes.map((o) => JSON.parse(body(o)).event.rawPath)).toEqual(['/a', '/b']);
  });
});
