/**
 * Invokes the bundled handler, the exact file the archive zips, in a pool of child processes
 * (src/gateway/lambda-worker.mjs), each one Lambda execution environment running one
 * invocation at a time. A crash, `process.exit`, endless loop or exhausted memory in the
 * handler ends one process, never the gateway; the pool replaces it and hands it only new
 * requests. Requests beyond the pool wait in a bounded queue.
 *
 * Every invocation ends in exactly one outcome (`invoke` never rejects), whatever the child
 * sends, however it ends, and whatever the timers say first:
 *  - `result`: the handler's JSON result;
 *  - `error`: a function error (the handler threw, or its response is over Lambda's quota);
 *  - `timeout`: the function ran past its own timeout (Lambda: "Task timed out after N seconds");
 *  - `crash`: its runtime ended (process.exit, out of memory, an uncaught exception, init failed);
 *  - `rejected`: Lambda would refuse the Invoke call itself (request too large, throttled);
 *  - `integration-timeout`: API Gateway's integration timeout passed, queued or running.
 * Only the last one is API Gateway's 503; the others are its 500 (see server.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { EnvValueError, shownEnv } from '../commands/env-value';
import type { LambdaIntegration } from './load-stack';

/**
 * API Gateway's integration timeout for HTTP APIs: "Maximum integration timeout | 30 seconds |
 * Can be increased: No" (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html).
 * A request still queued or running when it passes is answered 503 (see errors.ts).
 */
export const INTEGRATION_TIMEOUT_MS = 30_000;

/**
 * Lambda's synchronous invocation payload quota, "6 MB" on the quotas page
 * (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html), is in fact two
 * numbers. Request (the event's JSON): "RequestEntityTooLargeException ... Request must be
 * smaller than 6291456 bytes for the InvokeFunction operation" (https://github.com/awslabs/aws-athena-query-federation/issues/793,
 * https://zaccharles.medium.com/deep-dive-lambdas-request-payload-size-limit-2-2-6350c1ae5577).
 * Read literally (the stricter reading): an event of exactly 6291456 bytes is refused.
 */
export const MAX_REQUEST_PAYLOAD_BYTES = 6 * 1024 * 1024;
/**
 * Response (the result's JSON): "Response payload size exceeded maximum allowed payload size
 * (6291556 bytes)." (https://github.com/DataBiosphere/azul/issues/8258; LocalStack uses `6 * 1024 *
 * 1024 + 100`, https://github.com/localstack/localstack/pull/10229; https://zaccharles.medium.com/deep-dive-lambdas-response-payload-size-limit-8aedba9530ed
 * measured that the whole 6291556 bytes may be used).
 */
export const MAX_RESPONSE_PAYLOAD_BYTES = 6 * 1024 * 1024 + 100;

/**
 * Invocations running and waiting at once, beyond which a request is throttled. Lambda's
 * default "Concurrent executions | 1,000" (the quotas page above); a synchronous call past it
 * gets 429 TooManyRequestsException, which API Gateway answers as a 500.
 */
export const MAX_CONCURRENT_INVOCATIONS = 1000;

/** Sets the pool size for `npm start` (default: the machine's available parallelism). */
export const WORKERS_ENV = 'IAM_HTTP_API_WORKERS';

export type InvocationOutcome =
  | { readonly kind: 'result'; readonly payload: unknown }
  | { readonly kind: 'error'; readonly errorType: string; readonly errorMessage: string }
  | { readonly kind: 'timeout'; readonly timeoutSeconds: number }
  | { readonly kind: 'crash'; readonly message: string }
  | { readonly kind: 'rejected'; readonly errorType: string; readonly errorMessage: string }
  | { readonly kind: 'integration-timeout'; readonly afterMs: number; readonly queued: boolean };

export interface LambdaContextInfo {
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly memoryLimitInMB: string;
  readonly awsRequestId: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
}

export interface InvokerOptions {
  /** Execution environments (child processes); default: $IAM_HTTP_API_WORKERS, else os.availableParallelism(). */
  readonly workers?: number;
  /** API Gateway's integration timeout; default INTEGRATION_TIMEOUT_MS. */
  readonly integrationTimeoutMs?: number;
  /** Running plus waiting invocations allowed; default MAX_CONCURRENT_INVOCATIONS. */
  readonly maxConcurrent?: number;
  /**
   * Where the function's log goes, one line at a time, as CloudWatch Logs would get it (START,
   * the handler's console lines, END, REPORT, Lambda's timeout and crash lines, anything the
   * handler writes to stdout or stderr); default: the gateway's stdout.
   */
  readonly functionLog?: (line: string) => void;
  /**
   * Debugging (`npm start -- --inspect`): each Lambda process opens Node's inspector on this
   * address (127.0.0.1 only: whoever reaches it runs code), waiting until its predecessor has
   * released the port; neither the function's timeout nor the integration timeout is armed, so
   * a handler paused in a debugger is never stopped. Use with one worker: one debugger target.
   */
  readonly inspect?: InspectAddress;
}

/** Where a Lambda process's inspector listens. */
export interface InspectAddress {
  readonly host: string;
  readonly port: number;
}

interface Pending {
  readonly id: number;
  readonly eventJson: string;
  readonly context: LambdaContextInfo;
  readonly resolve: (outcome: InvocationOutcome) => void;
  /** API Gateway's integration timeout; none while debugging (InvokerOptions.inspect). */
  readonly deadline?: NodeJS.Timeout;
  settled: boolean;
  /** The slot running it, once dispatched. */
  slot?: Slot;
}

interface Slot {
  /** Undefined while the slot has no process (after an init failure, until a request needs one). */
  child?: ChildProcess;
  /** The process's log: its output read line by line, and what Lambda writes after it ends. */
  out?: ChildOutput;
  /** When the current invocation was handed over (performance.now()). */
  startedAt?: number;
  ready: boolean;
  /** The child ran an invocation or reported ready: worth replacing at once when it ends. */
  proven: boolean;
  initError?: string;
  current?: Pending;
  /** The function's own timeout, from the moment the event is handed over. */
  timer?: NodeJS.Timeout;
  /** Its process runs a bundle reload() replaced: it finishes its invocation, then is replaced. */
  stale?: boolean;
}

type ChildMessage =
  | { type: 'ready'; initMs?: number; memoryMb?: number }
  | { type: 'init-error'; errorType: string; errorMessage: string }
  | { type: 'result'; id: number; ok: true; payload: string; memoryMb?: number }
  | { type: 'result'; id: number; ok: false; errorType: string; errorMessage: string; memoryMb?: number };

/**
 * One execution environment's log. Its stdout and stderr are read line by line (a partial line
 * waits for the rest, up to MAX_LOG_LINE characters); once both have ended, `trailer` (Lambda's
 * lines for an invocation the process did not finish itself) follows, so it comes after
 * everything the process wrote.
 */
interface ChildOutput {
  readonly logStreamName: string;
  /** The process's init time, until its first invocation reports it. */
  initMs?: number;
  /** Max memory used, MB, as last reported by the process (its peak is at least this). */
  memoryMb: number;
  trailer?: string[];
}

/** A line longer than this (CloudWatch Logs' 256 KB event quota) is passed on in pieces. */
const MAX_LOG_LINE = 256 * 1024;

const WORKER_FILE = path.join(__dirname, 'lambda-worker.mjs');

/** Every child of every pool, killed if the gateway's process exits without closing its pools. */
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => { for (const c of liveChildren) c.kill('SIGKILL'); });
  }
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
}

/** The pool size: `workers` if given, else $IAM_HTTP_API_WORKERS, else the machine's parallelism. */
export function poolSize(workers: number | undefined, env: NodeJS.ProcessEnv = process.env): number {
  if (workers !== undefined) {
    if (!Number.isInteger(workers) || workers < 1) throw new Error(`workers must be a whole number of at least 1, not ${workers}`);
    return workers;
  }
  const text = env[WORKERS_ENV];
  if (text !== undefined && text !== '') {
    if (!/^[0-9]{1,3}$/.test(text) || Number(text) < 1 || Number(text) > 256) {
      throw new EnvValueError(`${shownEnv(WORKERS_ENV, text)} is not a number of Lambda workers; use a whole number from 1 to 256, e.g. ${WORKERS_ENV}=4`);
    }
    return Number(text);
  }
  return Math.max(1, os.availableParallelism());
}

/**
 * V8 heap sizes for a function of `memoryMb`, as Lambda's Node.js runtimes set them in their
 * bootstrap script: `new_space = memory / 10; semi_space = new_space / 2; old_space = memory -
 * new_space; --max-semi-space-size=$semi_space --max-old-space-size=$old_space` (the bootstrap
 * as reproduced in public Lambda container builds; lambci's copy of the nodejs10.x one,
 * https://github.com/lambci/node-custom-lambda/blob/master/v10.x/bootstrap, gives nearly the same:
 * semi 5 %, old 90 %; at 128 MB both give a 6 MB semi-space and a 115-116 MB old space).
 * Lambda also kills the sandbox at memory_size of RSS ("Runtime exited with error: signal:
 * killed", Runtime.OutOfMemory, https://github.com/adobe/helix-html2md-service/issues/1001);
 * that limit is not enforced here (Buffers and other memory outside V8's heap are unbounded).
 */
export function heapFlags(memoryMb: number): string[] {
  const newSpace = Math.floor(memoryMb / 10);
  return [`--max-semi-space-size=${Math.max(1, Math.floor(newSpace / 2))}`, `--max-old-space-size=${Math.max(16, memoryMb - newSpace)}`];
}

/**
 * Lambda's PATH with its own Node.js folder first: "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin"
 * (AWS docs, "AWS Lambda function logging in Node.js", the example's printed environment,
 * https://docs.aws.amazon.com/lambda/latest/dg/nodejs-logging.html). Locally the folder of the
 * Node.js running the gateway stands in for /var/lang/bin.
 */
export function lambdaPath(nodeBinary: string = process.execPath): string {
  return [path.dirname(nodeBinary), '/usr/local/bin', '/usr/bin/', '/bin', '/opt/bin'].join(path.delimiter);
}

/**
 * A log stream name as Lambda gives each execution environment: `2019/06/07/[$LATEST]e6f4a0c4241adcd70c262d34c0bbc85c`
 * (the same page's example, AWS_LAMBDA_LOG_STREAM_NAME).
 */
export function logStreamName(now: Date = new Date()): string {
  const day = now.toISOString().slice(0, 10).replace(/-/g, '/');
  return `${day}/[$LATEST]${randomBytes(16).toString('hex')}`;
}

/**
 * The environment of the handler's process: Lambda's, never the gateway's. AWS docs, "Defined
 * runtime environment variables" (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime):
 * reserved, always Lambda's values: "_HANDLER – The handler location configured on the function",
 * "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV – The runtime identifier, prefixed by
 * AWS_Lambda_", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
 * "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE – ... either on-demand or
 * provisioned-concurrency", "AWS_LAMBDA_LOG_GROUP_NAME, AWS_LAMBDA_LOG_STREAM_NAME",
 * "LAMBDA_TASK_ROOT – The path to your Lambda function code", "TZ – The environment's time zone"
 * (Lambda sets `:UTC`); unreserved, which the function's own variables may replace: "LANG – The
 * locale of the runtime (en_US.UTF-8)", "PATH" (lambdaPath). Not set here, having no local
 * meaning: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (on Lambda, the execution
 * role's credentials; locally there are none, and the developer's own never reach the handler),
 * AWS_LAMBDA_RUNTIME_API, LAMBDA_RUNTIME_DIR, NODE_PATH (ignored by ES modules), _X_AMZN_TRACE_ID,
 * AWS_XRAY_*. LD_LIBRARY_PATH ("The system library path", Lambda's own folders) is passed on from
 * the gateway only when it has one: the Node.js binary may need it to start at all.
 */
export function lambdaEnvironment(fn: LambdaIntegration, streamName: string, gatewayEnv: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const runtimeNeeds: Record<string, string> = gatewayEnv.LD_LIBRARY_PATH ? { LD_LIBRARY_PATH: gatewayEnv.LD_LIBRARY_PATH } : {};
  return {
    PATH: lambdaPath(),
    LANG: 'en_US.UTF-8',
    ...runtimeNeeds,
    ...fn.environment,
    _HANDLER: fn.handler,
    AWS_REGION: fn.region,
    AWS_DEFAULT_REGION: fn.region,
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: streamName,
    LAMBDA_TASK_ROOT: path.dirname(fn.bundleFile),
    TZ: ':UTC',
  };
}

/**
 * The REPORT line, as Lambda writes it: "REPORT RequestId: c793869b-ee49-115b-a5b6-4fd21e8dedac\tDuration:
 * 128.83 ms\tBilled Duration: 200 ms\tMemory Size: 128 MB\tMax Memory Used: 74 MB\tInit Duration:
 * 166.62 ms" (AWS docs, nodejs-logging.html as above; "Init Duration – For the first request
 * served"). Billed: the duration rounded up to the millisecond ("Duration: 26.73 ms\tBilled
 * Duration: 27 ms", same page), plus the init duration on a cold start since AWS bills the INIT
 * phase of ZIP functions on managed runtimes ("Effective August 1, 2025, AWS will standardize
 * billing for the initialization (INIT) phase", AWS Compute Blog, "AWS Lambda standardizes billing
 * for INIT Phase"). `billedCapMs`: a timed-out invocation is billed up to its timeout at most
 * ("Duration: 31012.52 ms\tBilled Duration: 31000 ms", DataBiosphere/azul#5622).
 * lambda-worker.mjs writes the same line for the invocations it finishes.
 */
export function reportLine(requestId: string, durationMs: number, memorySizeMb: number, maxMemoryUsedMb: number, initMs?: number, billedCapMs = Infinity): string {
  const billed = Math.max(1, Math.ceil(Math.min(durationMs, billedCapMs) + (initMs ?? 0)));
  const init = initMs === undefined ? '' : `\tInit Duration: ${initMs.toFixed(2)} ms`;
  return `REPORT RequestId: ${requestId}\tDuration: ${durationMs.toFixed(2)} ms\tBilled Duration: ${billed} ms\tMemory Size: ${memorySizeMb} MB\tMax Memory Used: ${maxMemoryUsedMb} MB${init}`;
}

export class LambdaInvoker {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private readonly integrationTimeoutMs: number;
  private readonly maxConcurrent: number;
  private readonly functionLog: (line: string) => void;
  private readonly inspect?: InspectAddress;
  private inFlight = 0;
  private nextId = 1;
  private closed = false;

  constructor(private integration: LambdaIntegration, options: InvokerOptions = {}) {
    this.integrationTimeoutMs = options.integrationTimeoutMs ?? INTEGRATION_TIMEOUT_MS;
    this.maxConcurrent = options.maxConcurrent ?? MAX_CONCURRENT_INVOCATIONS;
    this.functionLog = options.functionLog ?? ((line) => process.stdout.write(`${line}\n`));
    this.inspect = options.inspect;
    const size = poolSize(options.workers);
    for (let i = 0; i < size; i++) {
      const slot: Slot = { ready: false, proven: false };
      this.slots.push(slot);
      this.spawn(slot);
    }
  }

  /** Runs the handler with `event`; never rejects: every failure is an outcome. */
  invoke(event: unknown, context: LambdaContextInfo): Promise<InvocationOutcome> {
    if (this.closed) return Promise.resolve({ kind: 'crash', message: 'the gateway is shutting down' });
    let eventJson: string;
    try {
      eventJson = JSON.stringify(event);
    } catch (error) {
      return Promise.resolve({ kind: 'rejected', errorType: 'InvalidRequestContentException', errorMessage: `Could not serialize the event: ${(error as Error).message}` });
    }
    // The event as Lambda receives it: its JSON, measured in bytes. [MAX_REQUEST_PAYLOAD_BYTES]
    if (Buffer.byteLength(eventJson, 'utf8') >= MAX_REQUEST_PAYLOAD_BYTES) {
      return Promise.resolve({
        kind: 'rejected',
        errorType: 'RequestEntityTooLargeException',
        errorMessage: `Request must be smaller than ${MAX_REQUEST_PAYLOAD_BYTES} bytes for the InvokeFunction operation`,
      });
    }
    if (this.inFlight >= this.maxConcurrent) {
      return Promise.resolve({ kind: 'rejected', errorType: 'TooManyRequestsException', errorMessage: 'Rate Exceeded.' });
    }
    return new Promise((resolve) => {
      this.inFlight++;
      const pending: Pending = {
        id: this.nextId++,
        eventJson,
        context,
        resolve,
        settled: false,
        deadline: this.inspect ? undefined : setTimeout(() => this.onIntegrationTimeout(pending), this.integrationTimeoutMs),
      };
      this.queue.push(pending);
      this.dispatch();
    });
  }

  /**
   * Runs `integration` (another bundle, timeout, environment...) from now on, as Lambda does
   * after an update: invocations that are waiting, and every one after, run in new processes
   * started with it; a process running an invocation finishes it with what it loaded, then is
   * replaced. Idle processes (and those still starting) are ended and replaced at once.
   */
  reload(integration: LambdaIntegration): void {
    if (this.closed) return;
    this.integration = integration;
    for (const slot of this.slots) {
      if (slot.current) {
        slot.stale = true;
        continue;
      }
      const running = slot.child !== undefined;
      void this.retire(slot);
      // A slot left empty after an init failure is started again only when a request needs it.
      if (running) this.spawn(slot);
    }
    this.dispatch();
  }

  /** Invocations running or waiting. */
  get pending(): number {
    return this.inFlight;
  }

  /** Ends every process; invocations still running or waiting are answered as crashes. */
  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.queue.splice(0)) this.settle(pending, { kind: 'crash', message: 'the gateway is shutting down' });
    await Promise.all(this.slots.map((slot) => {
      if (slot.current) this.settle(slot.current, { kind: 'crash', message: 'the gateway is shutting down' });
      return this.retire(slot);
    }));
  }

  private spawn(slot: Slot): void {
    const out: ChildOutput = { logStreamName: logStreamName(), memoryMb: 0 };
    const inspect = this.inspect ? [`${this.inspect.host}:${this.inspect.port}`] : [];
    const child = fork(WORKER_FILE, [this.integration.bundleFile, this.integration.exportName, String(MAX_RESPONSE_PAYLOAD_BYTES), ...inspect], {
      // Source maps: a bundle that carries one (the gateway's local copy, src/commands/watch.ts)
      // names handler/*.ts lines in its stack traces; synth's bundle has none, so no cost there.
      execArgv: [...heapFlags(this.integration.memoryMb), '--enable-source-maps'],
      // Lambda's environment only (never the gateway's, with the developer's AWS keys), and its
      // working directory: the function's code (LAMBDA_TASK_ROOT, /var/task on Lambda).
      env: lambdaEnvironment(this.integration, out.logStreamName),
      cwd: path.dirname(this.integration.bundleFile),
      // The handler's output is read here and passed on line by line, as Lambda's goes to CloudWatch.
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    track(child);
    this.readOutput(child, out);
    slot.child = child;
    slot.out = out;
    slot.stale = false;
    slot.ready = false;
    slot.proven = false;
    slot.initError = undefined;
    child.on('message', (message: unknown) => {
      if (slot.child === child) this.onMessage(slot, message);
    });
    // 'close' comes after 'exit' and after the IPC channel closed, so every message the child
    // sent (an init error, a last result) has been seen by then.
    child.on('close', (code, signal) => {
      if (slot.child === child) this.onGone(slot, code, signal);
    });
    // Spawning failed, or a message could not be sent: the child is of no more use.
    child.on('error', (error) => {
      if (slot.child !== child) return;
      this.onFailed(slot, `the runtime could not be reached: ${error.message}`);
    });
    child.unref();
    (child.channel as { unref?: () => void } | null | undefined)?.unref?.();
  }

  private dispatch(): void {
    while (!this.closed && this.queue.length > 0) {
      // A ready, idle process first; else one still starting; else start one in an empty slot.
      const slot =
        this.slots.find((s) => s.child && s.ready && !s.current) ??
        this.slots.find((s) => s.child && !s.ready && !s.current) ??
        this.slots.find((s) => !s.child);
      if (!slot) return;
      if (!slot.child) this.spawn(slot);
      const pending = this.queue.shift()!;
      pending.slot = slot;
      slot.current = pending;
      if (slot.ready) this.start(slot);
    }
  }

  /**
   * Passes the process's stdout and stderr on to the function log, line by line, then, once both
   * have ended and the process is gone, the trailer if any. A process that exits while something
   * it started still holds its output open has that output cut a second later.
   */
  private readOutput(child: ChildProcess, out: ChildOutput): void {
    const streams = [child.stdout, child.stderr].filter((s): s is Readable => s !== null);
    const flushers = streams.map((stream) => {
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        rest += chunk;
        let newline = rest.indexOf('\n');
        while (newline >= 0) {
          this.functionLog(rest.slice(0, newline));
          rest = rest.slice(newline + 1);
          newline = rest.indexOf('\n');
        }
        while (rest.length > MAX_LOG_LINE) {
          this.functionLog(rest.slice(0, MAX_LOG_LINE));
          rest = rest.slice(MAX_LOG_LINE);
        }
      });
      stream.on('error', () => undefined);
      return () => {
        if (rest !== '') this.functionLog(rest);
        rest = '';
      };
    });
    // Registered before the slot's own 'close' listener (spawn): its crash lines come after these.
    child.on('close', () => {
      for (const flush of flushers) flush();
      for (const line of out.trailer ?? []) this.functionLog(line);
      out.trailer = undefined;
    });
    child.once('exit', () => {
      setTimeout(() => { for (const stream of streams) stream.destroy(); }, 1_000).unref();
    });
  }

  /** Hands the slot's current invocation to its (ready) process and starts the function's timer. */
  private start(slot: Slot): void {
    const pending = slot.current;
    const child = slot.child;
    if (!pending || !child || slot.startedAt !== undefined) return;
    const timeoutMs = this.integration.timeoutSeconds * 1000;
    slot.startedAt = performance.now();
    // While debugging, no timeout: a developer stepping through the handler needs the time (Lambda would stop it).
    slot.timer = this.inspect ? undefined : setTimeout(() => this.onFunctionTimeout(slot), timeoutMs);
    // The log stream is the execution environment's, whatever the caller named.
    const context = { ...pending.context, logStreamName: slot.out?.logStreamName ?? pending.context.logStreamName, timeoutMs };
    try {
      child.send({ id: pending.id, event: pending.eventJson, context }, (error) => {
        if (error && slot.child === child) this.onFailed(slot, `the runtime could not be reached: ${error.message}`);
      });
    } catch (error) {
      this.onFailed(slot, `the runtime could not be reached: ${(error as Error).message}`);
    }
  }

  private onMessage(slot: Slot, raw: unknown): void {
    if (typeof raw !== 'object' || raw === null) return;
    const message = raw as ChildMessage;
    switch (message.type) {
      case 'ready':
        slot.ready = true;
        slot.proven = true;
        if (slot.out) {
          slot.out.initMs = typeof message.initMs === 'number' ? message.initMs : undefined;
          slot.out.memoryMb = typeof message.memoryMb === 'number' ? message.memoryMb : 0;
        }
        if (slot.current) this.start(slot);
        else this.dispatch();
        return;
      case 'init-error':
        // The process exits next; its 'close' answers the waiting invocation with this text.
        slot.initError = `${String(message.errorType)}: ${String(message.errorMessage)}`;
        return;
      case 'result': {
        const pending = slot.current;
        if (!pending || slot.startedAt === undefined || message.id !== pending.id) return;
        if (slot.out) {
          // The process reported its init time in this invocation's REPORT line.
          slot.out.initMs = undefined;
          if (typeof message.memoryMb === 'number') slot.out.memoryMb = message.memoryMb;
        }
        this.settle(pending, this.outcomeOf(message));
        this.release(slot);
        // Its bundle was replaced while it ran: a new process for the next invocation.
        if (slot.stale && !this.closed) {
          void this.retire(slot);
          this.spawn(slot);
        }
        this.dispatch();
        return;
      }
      default:
        return;
    }
  }

  private outcomeOf(message: Extract<ChildMessage, { type: 'result' }>): InvocationOutcome {
    if (!message.ok) return { kind: 'error', errorType: String(message.errorType), errorMessage: String(message.errorMessage) };
    if (typeof message.payload !== 'string') return { kind: 'crash', message: 'the runtime sent a result without a payload' };
    // The child checks this too; a handler that talks to the IPC channel itself does not.
    if (Buffer.byteLength(message.payload, 'utf8') > MAX_RESPONSE_PAYLOAD_BYTES) {
      return { kind: 'error', errorType: 'Function.ResponseSizeTooLarge', errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_PAYLOAD_BYTES} bytes).` };
    }
    try {
      return { kind: 'result', payload: JSON.parse(message.payload) as unknown };
    } catch {
      return { kind: 'crash', message: 'the runtime sent a payload that is not JSON' };
    }
  }

  /** The process ended (exited, was killed, or never started). */
  private onGone(slot: Slot, code: number | null, signal: NodeJS.Signals | null): void {
    const pending = slot.current;
    const proven = slot.proven;
    const initError = slot.initError;
    const out = slot.out;
    const startedAt = slot.startedAt;
    this.detach(slot);
    if (pending) {
      // Lambda's words for a runtime that ended: "Runtime exited with error: exit status 3",
      // "... signal: killed" (aws/aws-lambda-dotnet#480, adobe/helix-html2md-service#1001).
      const how = signal ? `signal: ${signal}` : `exit status ${code}`;
      const message = initError ?? `Runtime exited with error: ${how}`;
      // Called from the process's 'close': its own output has been passed on already.
      if (out && startedAt !== undefined) for (const line of this.endLines(pending, performance.now() - startedAt, out, [`RequestId: ${pending.context.awsRequestId} Error: ${message}`, 'Runtime.ExitError'])) this.functionLog(line);
      this.settle(pending, { kind: 'crash', message });
    }
    // A process that worked is replaced at once; one that failed to start is started again
    // only when a request needs it (a broken bundle must not restart in a loop).
    if (!this.closed && proven) this.spawn(slot);
    this.dispatch();
  }

  /** Something went wrong talking to the process: end it, and answer its invocation as a crash. */
  private onFailed(slot: Slot, message: string): void {
    const pending = slot.current;
    const proven = slot.proven;
    void this.retire(slot);
    if (pending) this.settle(pending, { kind: 'crash', message });
    if (!this.closed && proven) this.spawn(slot);
    this.dispatch();
  }

  /** The function ran past its own timeout: Lambda stops it and starts a fresh environment. */
  private onFunctionTimeout(slot: Slot): void {
    const pending = slot.current;
    const out = slot.out;
    const startedAt = slot.startedAt;
    slot.timer = undefined;
    if (pending && out && startedAt !== undefined) {
      // "2023-10-20T16:28:17.840Z 4299ee26-8d1d-4ea9-bd43-77b85ed96cfe Task timed out after 31.01
      // seconds\n\n", then END and REPORT (a live log quoted in DataBiosphere/azul#5622): the time
      // actually elapsed, space-separated, followed by an empty line. Written once the process,
      // stopped now, has ended: after anything it wrote.
      // At least the timeout: the timer runs on the event loop's cached clock, which can be a
      // fraction of a millisecond behind.
      const timeoutMs = this.integration.timeoutSeconds * 1000;
      const elapsedMs = Math.max(performance.now() - startedAt, timeoutMs);
      const line = `${new Date().toISOString()} ${pending.context.awsRequestId} Task timed out after ${(elapsedMs / 1000).toFixed(2)} seconds`;
      out.trailer = this.endLines(pending, elapsedMs, out, [line, ''], timeoutMs);
    }
    void this.retire(slot);
    if (pending) this.settle(pending, { kind: 'timeout', timeoutSeconds: this.integration.timeoutSeconds });
    if (!this.closed) this.spawn(slot);
    this.dispatch();
  }

  /**
   * API Gateway stopped waiting. A queued invocation is dropped. A running one is stopped too
   * (on AWS the function would run on, up to its own timeout, with its result discarded; here
   * its process is needed by the requests behind it).
   */
  private onIntegrationTimeout(pending: Pending): void {
    if (pending.settled) return;
    const slot = pending.slot;
    const queued = !slot;
    if (queued) {
      const index = this.queue.indexOf(pending);
      if (index >= 0) this.queue.splice(index, 1);
    }
    this.settle(pending, { kind: 'integration-timeout', afterMs: this.integrationTimeoutMs, queued });
    if (slot && slot.current === pending) {
      void this.retire(slot);
      if (!this.closed) this.spawn(slot);
      // After the other deadlines of this same moment: requests that timed out while queued are
      // answered as such rather than handed to the new process first.
      setImmediate(() => this.dispatch());
    }
  }

  /**
   * Lambda's lines for an invocation the process did not finish itself: `lines`, then END and REPORT.
   * Max Memory Used is the last the process reported (its real peak is unknown: at least that).
   */
  private endLines(pending: Pending, durationMs: number, out: ChildOutput, lines: string[], billedCapMs?: number): string[] {
    const id = pending.context.awsRequestId;
    return [...lines, `END RequestId: ${id}`, reportLine(id, durationMs, this.integration.memoryMb, out.memoryMb, out.initMs, billedCapMs)];
  }

  /** Answers an invocation, once. */
  private settle(pending: Pending, outcome: InvocationOutcome): void {
    if (pending.settled) return;
    pending.settled = true;
    clearTimeout(pending.deadline);
    this.inFlight--;
    pending.resolve(outcome);
  }

  /** The slot's invocation is over; its process stays for the next one. */
  private release(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.current = undefined;
    slot.startedAt = undefined;
  }

  /** Forgets the slot's process (its events are ignored from now on). */
  private detach(slot: Slot): ChildProcess | undefined {
    const child = slot.child;
    this.release(slot);
    slot.child = undefined;
    slot.out = undefined;
    slot.ready = false;
    slot.proven = false;
    slot.initError = undefined;
    return child;
  }

  /** Detaches the slot's process and kills it; resolves when it has exited. */
  private retire(slot: Slot): Promise<void> {
    const child = this.detach(slot);
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}
