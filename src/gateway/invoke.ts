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
import * as os from 'node:os';
import * as path from 'node:path';
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
}

interface Pending {
  readonly id: number;
  readonly eventJson: string;
  readonly context: LambdaContextInfo;
  readonly resolve: (outcome: InvocationOutcome) => void;
  readonly deadline: NodeJS.Timeout;
  settled: boolean;
  /** The slot running it, once dispatched. */
  slot?: Slot;
}

interface Slot {
  /** Undefined while the slot has no process (after an init failure, until a request needs one). */
  child?: ChildProcess;
  ready: boolean;
  /** The child ran an invocation or reported ready: worth replacing at once when it ends. */
  proven: boolean;
  initError?: string;
  current?: Pending;
  /** The function's own timeout, from the moment the event is handed over. */
  timer?: NodeJS.Timeout;
}

type ChildMessage =
  | { type: 'ready' }
  | { type: 'init-error'; errorType: string; errorMessage: string }
  | { type: 'result'; id: number; ok: true; payload: string }
  | { type: 'result'; id: number; ok: false; errorType: string; errorMessage: string };

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

export class LambdaInvoker {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private readonly integrationTimeoutMs: number;
  private readonly maxConcurrent: number;
  private inFlight = 0;
  private nextId = 1;
  private closed = false;

  constructor(private readonly integration: LambdaIntegration, options: InvokerOptions = {}) {
    this.integrationTimeoutMs = options.integrationTimeoutMs ?? INTEGRATION_TIMEOUT_MS;
    this.maxConcurrent = options.maxConcurrent ?? MAX_CONCURRENT_INVOCATIONS;
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
        deadline: setTimeout(() => this.onIntegrationTimeout(pending), this.integrationTimeoutMs),
      };
      this.queue.push(pending);
      this.dispatch();
    });
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
    const child = fork(WORKER_FILE, [this.integration.bundleFile, this.integration.exportName, String(MAX_RESPONSE_PAYLOAD_BYTES)], {
      execArgv: heapFlags(this.integration.memoryMb),
      // The handler's console output goes to the gateway's, as Lambda's goes to CloudWatch.
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    track(child);
    slot.child = child;
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

  /** Hands the slot's current invocation to its (ready) process and starts the function's timer. */
  private start(slot: Slot): void {
    const pending = slot.current;
    const child = slot.child;
    if (!pending || !child || slot.timer) return;
    const timeoutMs = this.integration.timeoutSeconds * 1000;
    slot.timer = setTimeout(() => this.onFunctionTimeout(slot), timeoutMs);
    try {
      child.send({ id: pending.id, event: pending.eventJson, context: { ...pending.context, timeoutMs } }, (error) => {
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
        if (slot.current) this.start(slot);
        else this.dispatch();
        return;
      case 'init-error':
        // The process exits next; its 'close' answers the waiting invocation with this text.
        slot.initError = `${String(message.errorType)}: ${String(message.errorMessage)}`;
        return;
      case 'result': {
        const pending = slot.current;
        if (!pending || !slot.timer || message.id !== pending.id) return;
        this.settle(pending, this.outcomeOf(message));
        this.release(slot);
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
    this.detach(slot);
    if (pending) {
      // Lambda's words for a runtime that ended: "Runtime exited with error: exit status 3",
      // "... signal: killed" (aws/aws-lambda-dotnet#480, adobe/helix-html2md-service#1001).
      const how = signal ? `signal: ${signal}` : `exit status ${code}`;
      this.settle(pending, { kind: 'crash', message: initError ?? `Runtime exited with error: ${how}` });
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
    slot.timer = undefined;
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
  }

  /** Forgets the slot's process (its events are ignored from now on). */
  private detach(slot: Slot): ChildProcess | undefined {
    const child = slot.child;
    this.release(slot);
    slot.child = undefined;
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
