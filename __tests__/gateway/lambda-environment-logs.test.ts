/**
 * Issue 11, items 19 and 20: the handler runs in Lambda's environment, never the gateway's (no
 * developer AWS keys), and the gateway writes what CloudWatch would get: the function's log in
 * Lambda's format (START, console lines, END, REPORT, timeout and crash lines) and one access-log
 * line per request in the stage's synthesized format.
 */
import * as path from 'node:path';
import { clfTime, formatAccessLog, type RequestFacts } from '../../src/gateway/access-log';
import { lambdaEnvironment, lambdaPath, reportLine } from '../../src/gateway/invoke';
import type { LambdaIntegration } from '../../src/gateway/load-stack';
import { ACCESS_LOG_FORMAT } from '../../src/stack/http-api';
import { FIXTURES, startTestGateway, type TestGateway } from '../support/gateway';
import { send, smithySign } from '../support/smithy-sign';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const ISO = '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z';
const STREAM = /^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/;
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Waits until `condition` holds (the function log arrives by pipe, after the response). */
async function until(condition: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The function log of one invocation: from its START line to its REPORT line. */
async function invocationLog(gw: TestGateway, from: number): Promise<{ id: string; lines: string[] }> {
  await until(() => gw.functionLog.slice(from).some((l) => l.startsWith('REPORT RequestId: ')), 'a REPORT line');
  const lines = gw.functionLog.slice(from);
  const start = lines.findIndex((l) => l.startsWith('START RequestId: '));
  const id = /^START RequestId: (\S+) /.exec(lines[start])![1];
  const end = lines.findIndex((l) => l.startsWith(`REPORT RequestId: ${id}`));
  return { id, lines: lines.slice(start, end + 1) };
}

describe('the handler\'s environment is Lambda\'s, never the gateway\'s', () => {
  const CANARIES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'IAM_HTTP_API_TEST_CANARY'];
  const saved = new Map(CANARIES.map((name) => [name, process.env[name]]));
  let gw: TestGateway;
  let body: { env: Record<string, string>; cwd: string; tzOffset: number; logStreamName: string };

  beforeAll(async () => {
    // The gateway runs in this process: its environment holds the developer's keys.
    for (const name of CANARIES) process.env[name] = 'canary';
    gw = await startTestGateway({
      config: { lambda: { environment: { TABLE_NAME: 'items', NODE_OPTIONS: '--no-deprecation' } } },
      integration: { bundleFile: path.join(FIXTURES, 'environment.mjs') },
      workers: 1,
    });
    const response = await smithySign(gw.keys.get('viewer')!, gw.stack.region, { method: 'GET', url: `${gw.url}/env` }).then(send);
    expect(response.status).toBe(200);
    body = response.json() as typeof body;
  });
  afterAll(async () => {
    await gw.close();
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('has exactly Lambda\'s variables and the function\'s own, with Lambda\'s values', () => {
    const taskRoot = FIXTURES;
    const expected: Record<string, string | RegExp> = {
      PATH: `${path.dirname(process.execPath)}:/usr/local/bin:/usr/bin/:/bin:/opt/bin`,
      LANG: 'en_US.UTF-8',
      TABLE_NAME: 'items',
      NODE_OPTIONS: '--no-deprecation',
      _HANDLER: 'index.handler',
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      AWS_LAMBDA_FUNCTION_NAME: 'iam-http-api-dev-handler',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/iam-http-api-dev-handler',
      AWS_LAMBDA_LOG_STREAM_NAME: STREAM,
      LAMBDA_TASK_ROOT: taskRoot,
      TZ: ':UTC',
    };
    // Only what the Node.js binary itself may need to start, when the gateway has it.
    if (process.env.LD_LIBRARY_PATH) expected.LD_LIBRARY_PATH = process.env.LD_LIBRARY_PATH;
    expect(Object.keys(body.env).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, value] of Object.entries(expected)) {
      if (value instanceof RegExp) expect(body.env[name]).toMatch(value);
      else expect([name, body.env[name]]).toEqual([name, value]);
    }
  });

  it('sees none of the gateway\'s variables: no AWS keys, no profile, no canary', () => {
    for (const name of CANARIES) expect(body.env[name]).toBeUndefined();
    expect(Object.values(body.env)).not.toContain('canary');
  });

  it('runs in LAMBDA_TASK_ROOT, in UTC, with the environment\'s log stream as context.logStreamName', () => {
    expect(body.cwd).toBe(FIXTURES);
    expect(body.tzOffset).toBe(0);
    expect(body.logStreamName).toBe(body.env.AWS_LAMBDA_LOG_STREAM_NAME);
  });
});

describe('lambdaEnvironment', () => {
  const fn: LambdaIntegration = {
    functionName: 'fn', bundleFile: '/code/index.mjs', exportName: 'handler', timeoutSeconds: 3, memoryMb: 256, payloadFormatVersion: '2.0',
    region: 'eu-west-1', runtime: 'nodejs20.x', handler: 'index.handler', environment: { LANG: 'C.UTF-8', PATH: '/custom/bin' },
  };

  it('lets the function replace the unreserved ones (LANG, PATH); passes LD_LIBRARY_PATH only when the gateway has one', () => {
    const env = lambdaEnvironment(fn, '2026/01/02/[$LATEST]0123', { LD_LIBRARY_PATH: '/nix/lib', AWS_SECRET_ACCESS_KEY: 'x', HOME: '/home/dev' });
    expect(env).toEqual({
      PATH: '/custom/bin', LANG: 'C.UTF-8', LD_LIBRARY_PATH: '/nix/lib',
      _HANDLER: 'index.handler', AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'eu-west-1', AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x',
      AWS_LAMBDA_FUNCTION_NAME: 'fn', AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256', AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand', AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/fn', AWS_LAMBDA_LOG_STREAM_NAME: '2026/01/02/[$LATEST]0123',
      LAMBDA_TASK_ROOT: '/code', TZ: ':UTC',
    });
    expect(lambdaEnvironment({ ...fn, environment: {} }, 's', {})).toMatchObject({ PATH: lambdaPath(), LANG: 'en_US.UTF-8' });
    expect(lambdaEnvironment(fn, 's', {})).not.toHaveProperty('LD_LIBRARY_PATH');
  });

  it('keeps Lambda\'s reserved values even if a synthesized variable names one', () => {
    expect(lambdaEnvironment({ ...fn, environment: { AWS_REGION: 'mars-1', TZ: 'Europe/Paris' } }, 's', {})).toMatchObject({ AWS_REGION: 'eu-west-1', TZ: ':UTC' });
  });
});

describe('reportLine', () => {
  it('writes Lambda\'s REPORT line: durations to 0.01 ms, billed rounded up, init on a cold start, capped at the timeout', () => {
    expect(reportLine('r', 1.234, 128, 60)).toBe('REPORT RequestId: r\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB');
    expect(reportLine('r', 10.5, 256, 70, 150.25)).toBe('REPORT RequestId: r\tDuration: 10.50 ms\tBilled Duration: 161 ms\tMemory Size: 256 MB\tMax Memory Used: 70 MB\tInit Duration: 150.25 ms');
    expect(reportLine('r', 1003.2, 128, 61, undefined, 1000)).toBe('REPORT RequestId: r\tDuration: 1003.20 ms\tBilled Duration: 1000 ms\tMemory Size: 128 MB\tMax Memory Used: 61 MB');
    expect(reportLine('r', 0.2, 128, 60)).toContain('\tBilled Duration: 1 ms\t');
  });
});

describe('the function log, as Lambda writes it', () => {
  let gw: TestGateway;
  const get = (urlPath: string, headers: Record<string, string> = {}) =>
    smithySign(gw.keys.get('admin')!, gw.stack.region, { method: 'GET', url: `${gw.url}${urlPath}`, headers }).then(send);

  beforeAll(async () => {
    gw = await startTestGateway({ integration: { bundleFile: path.join(FIXTURES, 'logging.mjs'), timeoutSeconds: 1 }, workers: 1 });
  });
  afterAll(() => gw.close());

  it('logs the init phase with request id undefined, and Init Duration in the first invocation\'s REPORT only', async () => {
    await get('/ok');
    const first = await invocationLog(gw, 0);
    expect(gw.functionLog[0]).toMatch(new RegExp(`^${ISO}\tundefined\tINFO\tloaded$`));
    expect(first.id).toMatch(new RegExp(`^${UUID}$`));
    const report = /^REPORT RequestId: \S+\tDuration: (\d+\.\d\d) ms\tBilled Duration: (\d+) ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: (\d+\.\d\d) ms$/.exec(first.lines.at(-1)!);
    expect(report).not.toBeNull();
    const [duration, billed, init] = [Number(report![1]), Number(report![2]), Number(report![3])];
    expect(billed).toBeGreaterThanOrEqual(Math.floor(duration + init));
    expect(billed).toBeLessThanOrEqual(Math.ceil(duration + init) + 1);

    const before = gw.functionLog.length;
    await get('/ok');
    const second = await invocationLog(gw, before);
    expect(second.lines.at(-1)).toMatch(new RegExp(`^REPORT RequestId: ${second.id}\tDuration: \\d+\\.\\d\\d ms\tBilled Duration: \\d+ ms\tMemory Size: 128 MB\tMax Memory Used: \\d+ MB$`));
  });

  it('writes START, each console call as `time\\trequestId\\tLEVEL\\tmessage`, raw output as is, then END and REPORT', async () => {
    const before = gw.functionLog.length;
    expect((await get('/levels')).text).toBe('logged');
    const { id, lines } = await invocationLog(gw, before);
    await until(() => gw.functionLog.slice(before).includes('raw stderr'), 'the stderr line');
    const line = (level: string, message: string) => new RegExp(`^${ISO}\t${id}\t${level}\t${escape(message)}$`);
    // stderr comes through its own pipe: where it falls among the stdout lines is not fixed.
    const stdout = lines.filter((l) => l !== 'raw stderr');
    expect(stdout).toHaveLength(12);
    expect(stdout[0]).toBe(`START RequestId: ${id} Version: $LATEST`);
    expect(stdout[1]).toMatch(line('INFO', 'info via log 42'));
    expect(stdout[2]).toMatch(line('INFO', 'info'));
    expect(stdout[3]).toMatch(line('WARN', 'careful'));
    expect(stdout[4]).toMatch(line('ERROR', 'bad { code: 7 }'));
    expect(stdout[5]).toMatch(line('DEBUG', 'details'));
    expect(stdout[6]).toMatch(line('TRACE', 'tracing'));
    // A multi-line message: one call, its own newline kept (one CloudWatch event on AWS).
    expect(stdout[7]).toMatch(line('INFO', 'two'));
    expect(stdout[8]).toBe('lines');
    expect(stdout[9]).toBe('raw stdout');
    expect(stdout[10]).toBe(`END RequestId: ${id}`);
    expect(stdout[11]).toMatch(new RegExp(`^REPORT RequestId: ${id}\tDuration: \\d+\\.\\d\\d ms\tBilled Duration: \\d+ ms\tMemory Size: 128 MB\tMax Memory Used: \\d+ MB$`));
    expect(gw.functionLog.slice(before)).toContain('raw stderr');
  });

  it('logs a function error as the runtime does: ERROR Invoke Error with the error as JSON', async () => {
    const before = gw.functionLog.length;
    expect((await get('/throw')).status).toBe(500);
    const { id, lines } = await invocationLog(gw, before);
    expect(lines).toHaveLength(4);
    const match = new RegExp(`^${ISO}\t${id}\tERROR\tInvoke Error \t(\\{.*\\})$`).exec(lines[1]);
    expect(match).not.toBeNull();
    expect(JSON.parse(match![1])).toEqual({
      errorType: 'TypeError', errorMessage: 'boom', code: 'E_BOOM',
      stack: expect.arrayContaining(['TypeError: boom', expect.stringMatching(/^ {4}at .*logging\.mjs/)]),
    });
    expect(lines[2]).toBe(`END RequestId: ${id}`);
  });

  it('writes Lambda\'s timeout line, END and a REPORT billed up to the timeout, after what the handler wrote', async () => {
    const before = gw.functionLog.length;
    expect((await get('/loop')).status).toBe(500);
    const { id, lines } = await invocationLog(gw, before);
    expect(lines[0]).toBe(`START RequestId: ${id} Version: $LATEST`);
    expect(lines[1]).toMatch(new RegExp(`^${ISO}\t${id}\tINFO\tlooping$`));
    expect(lines[2]).toMatch(new RegExp(`^${ISO} ${id} Task timed out after 1\\.\\d\\d seconds$`));
    expect(lines[3]).toBe('');
    expect(lines[4]).toBe(`END RequestId: ${id}`);
    expect(lines[5]).toMatch(new RegExp(`^REPORT RequestId: ${id}\tDuration: 1\\d{3}\\.\\d\\d ms\tBilled Duration: 1000 ms\tMemory Size: 128 MB\tMax Memory Used: \\d+ MB$`));
    expect(lines).toHaveLength(6);
  });

  it('writes Lambda\'s lines for a runtime that exited, after what the handler wrote', async () => {
    const before = gw.functionLog.length;
    expect((await get('/exit')).status).toBe(500);
    const { id, lines } = await invocationLog(gw, before);
    expect(lines.slice(0, 5)).toEqual([
      `START RequestId: ${id} Version: $LATEST`,
      expect.stringMatching(new RegExp(`^${ISO}\t${id}\tINFO\texiting$`)),
      `RequestId: ${id} Error: Runtime exited with error: exit status 3`,
      'Runtime.ExitError',
      `END RequestId: ${id}`,
    ]);
    // A fresh environment ran it (the one before timed out): its REPORT has the init time.
    expect(lines[5]).toMatch(new RegExp(`^REPORT RequestId: ${id}\tDuration: \\d+\\.\\d\\d ms\tBilled Duration: \\d+ ms\tMemory Size: 128 MB\tMax Memory Used: \\d+ MB\tInit Duration: \\d+\\.\\d\\d ms$`));
  });

  it('logs an uncaught exception as the runtime does, which then exits 129', async () => {
    const before = gw.functionLog.length;
    expect((await get('/throw-later')).status).toBe(500);
    const { id, lines } = await invocationLog(gw, before);
    const match = new RegExp(`^${ISO}\t${id}\tERROR\tUncaught Exception \t(\\{.*\\})$`).exec(lines[1]);
    expect(JSON.parse(match![1])).toMatchObject({ errorType: 'RangeError', errorMessage: 'late' });
    expect(lines.slice(2, 5)).toEqual([`RequestId: ${id} Error: Runtime exited with error: exit status 129`, 'Runtime.ExitError', `END RequestId: ${id}`]);
  });
});

describe('the access log, in the stage\'s synthesized format', () => {
  let gw: TestGateway;
  const accessLines = (from: number): Array<Record<string, string>> =>
    gw.log.slice(from).map((l) => JSON.parse(l) as Record<string, string>).filter((e) => e.httpMethod !== undefined);

  beforeAll(async () => {
    gw = await startTestGateway({ integration: { bundleFile: path.join(FIXTURES, 'logging.mjs') }, workers: 1 });
  });
  afterAll(() => gw.close());

  it('writes one line per request with exactly the format\'s keys, filled as API Gateway fills them', async () => {
    const before = gw.log.length;
    const response = await smithySign(gw.keys.get('admin')!, gw.stack.region, { method: 'GET', url: `${gw.url}/ok?x=1`, headers: { 'user-agent': 'test-agent/1.0' } }).then(send);
    expect(response.status).toBe(200);
    const lines = accessLines(before);
    expect(lines).toHaveLength(1);
    const admin = gw.stack.invokers.find((i) => i.name === 'admin')!.principal;
    expect(Object.keys(lines[0])).toEqual(Object.keys(JSON.parse(ACCESS_LOG_FORMAT)));
    expect(lines[0]).toEqual({
      requestId: response.headers.get('apigw-requestid'),
      requestTime: expect.stringMatching(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/),
      sourceIp: '127.0.0.1',
      userAgent: 'test-agent/1.0',
      httpMethod: 'GET',
      path: '/ok',
      routeKey: '$default',
      status: '200',
      responseLength: '2',
      integrationLatency: expect.stringMatching(/^\d+$/),
      integrationError: '-',
      authorizerError: '-',
      callerAccountId: '123456789012',
      caller: admin.userId,
      user: admin.userId,
      userArn: admin.arn,
      principalOrgId: '-',
    });
    // Nothing more to say about a plain success.
    expect(gw.log.slice(before)).toHaveLength(1);
  });

  it('has `-` for what a request refused before the integration does not have', async () => {
    const before = gw.log.length;
    expect((await send({ method: 'GET', url: `${gw.url}/ok`, headers: { 'user-agent': 'curl/8' } })).status).toBe(403);
    expect(accessLines(before)[0]).toMatchObject({
      status: '403', routeKey: '$default', userArn: '-', caller: '-', callerAccountId: '-', integrationLatency: '-', integrationError: '-', responseLength: '23',
    });
    const unknown = gw.log.length;
    expect((await send({ method: 'GET', url: `${gw.url}/nowhere//x` })).status).toBe(400);
    expect(accessLines(unknown)[0]).toMatchObject({ status: '400', routeKey: '-', path: '/nowhere//x' });
  });

  it('names the integration\'s error for a function error, and keeps the gateway\'s own notes in a line of their own', async () => {
    const before = gw.log.length;
    const response = await smithySign(gw.keys.get('admin')!, gw.stack.region, { method: 'GET', url: `${gw.url}/throw` }).then(send);
    expect(response.status).toBe(500);
    expect(accessLines(before)[0]).toMatchObject({ status: '500', integrationError: 'TypeError: boom', integrationLatency: expect.stringMatching(/^\d+$/), responseLength: '35' });
    expect(gw.log.slice(before).map((l) => JSON.parse(l))).toContainEqual({ requestId: response.headers.get('apigw-requestid'), handlerError: 'TypeError', message: 'boom' });
  });
});

describe('formatAccessLog', () => {
  const facts: RequestFacts = {
    requestId: 'Ab1=', accountId: '123456789012', apiId: 'abcdefghij', stage: '$default', domainName: 'api.example.com',
    httpMethod: 'POST', path: '/items', protocol: 'HTTP/1.1', requestTime: new Date(Date.UTC(2026, 10, 5, 7, 8, 9, 123)),
    routeKey: 'POST /items', status: 502, responseLength: 10, responseLatencyMs: 12.6, sourceIp: '10.0.0.1', userAgent: 'say "hi"',
    errorMessage: 'Internal Server Error',
    integration: { awsRequestId: 'uuid', latencyMs: 7.4, outcome: { kind: 'crash', message: 'Runtime exited with error: signal: "SIGKILL"' } },
  };

  it('fills each known $context variable, and writes `-` for one it does not know', () => {
    const format = '$context.requestId $context.requestTime $context.requestTimeEpoch $context.httpMethod $context.path $context.protocol $context.status '
      + '$context.responseLength $context.responseLatency $context.integrationLatency $context.integrationStatus $context.integration.requestId '
      + '$context.domainPrefix $context.stage $context.error.messageString $context.authorizer.claims.sub $context.identity.userArn $context.identity.clientCert.pem.';
    expect(formatAccessLog(format, facts)).toBe(
      'Ab1= 05/Nov/2026:07:08:09 +0000 1793862489123 POST /items HTTP/1.1 502 10 13 7 200 uuid api $default "Internal Server Error" - - -.',
    );
  });

  it('puts a request\'s own values in unescaped, as API Gateway does, but keeps its own words free of quotes', () => {
    expect(formatAccessLog('{"ua":"$context.identity.userAgent","e":"$context.integrationErrorMessage"}', facts))
      .toBe('{"ua":"say "hi"","e":"Runtime exited with error: signal: \'SIGKILL\'"}');
  });

  it('writes CLF time in UTC', () => {
    expect(clfTime(new Date(Date.UTC(2026, 0, 31, 23, 59, 59)))).toBe('31/Jan/2026:23:59:59 +0000');
  });
});
