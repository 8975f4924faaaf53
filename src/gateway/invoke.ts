/**
 * Invokes the bundled handler, the exact file the archive zips, in worker threads: a crash,
 * `process.exit` or endless loop in the handler ends one worker, never the gateway. Each
 * worker runs one invocation at a time (like one Lambda execution environment); requests
 * beyond the pool wait their turn. An invocation past the synthesized timeout ends its worker
 * and is reported as a timeout.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LambdaIntegration } from './load-stack';

export type InvocationOutcome =
  | { readonly kind: 'result'; readonly payload: unknown }
  | { readonly kind: 'error'; readonly errorType: string; readonly errorMessage: string }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'crash'; readonly message: string };

export interface LambdaContextInfo {
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly memoryLimitInMB: string;
  readonly awsRequestId: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
}

interface Pending {
  readonly id: number;
  readonly event: unknown;
  readonly context: LambdaContextInfo;
  readonly resolve: (outcome: InvocationOutcome) => void;
}

interface Slot {
  worker: Worker;
  current?: { pending: Pending; timer: NodeJS.Timeout };
}

type WorkerMessage =
  | { type: 'ready' }
  | { type: 'init-error'; message: string }
  | { type: 'result'; id: number; ok: true; payload: string }
  | { type: 'result'; id: number; ok: false; errorType: string; errorMessage: string };

const WORKER_FILE = path.join(__dirname, 'lambda-worker.mjs');

export class LambdaInvoker {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly integration: LambdaIntegration, poolSize = 2) {
    for (let i = 0; i < poolSize; i++) this.slots.push(this.spawn());
  }

  /** Runs the handler with `event`; never rejects: every failure is an outcome. */
  invoke(event: unknown, context: LambdaContextInfo): Promise<InvocationOutcome> {
    if (this.closed) return Promise.resolve({ kind: 'crash', message: 'the gateway is shutting down' });
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, event, context, resolve });
      this.dispatch();
    });
  }

  /** Ends every worker; waiting invocations are answered as crashes. */
  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.queue.splice(0)) pending.resolve({ kind: 'crash', message: 'the gateway is shutting down' });
    await Promise.all(this.slots.map(async (slot) => {
      if (slot.current) {
        clearTimeout(slot.current.timer);
        slot.current.pending.resolve({ kind: 'crash', message: 'the gateway is shutting down' });
        slot.current = undefined;
      }
      await slot.worker.terminate();
    }));
  }

  private spawn(): Slot {
    const worker = new Worker(WORKER_FILE, {
      workerData: { bundleFile: this.integration.bundleFile, exportName: this.integration.exportName },
      // The handler's console output goes to the gateway's, as Lambda's goes to CloudWatch.
      stdout: false,
      stderr: false,
      resourceLimits: { maxOldGenerationSizeMb: Math.max(64, this.integration.memoryMb) },
    });
    const slot: Slot = { worker };
    worker.on('message', (message: WorkerMessage) => this.onMessage(slot, message));
    worker.on('error', (error) => this.onWorkerGone(slot, `the handler crashed: ${error.message}`));
    worker.on('exit', (code) => this.onWorkerGone(slot, `the handler's runtime exited with code ${code}`));
    worker.unref();
    return slot;
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.current || this.queue.length === 0) continue;
      const pending = this.queue.shift()!;
      const timer = setTimeout(() => this.onTimeout(slot), this.integration.timeoutSeconds * 1000);
      slot.current = { pending, timer };
      slot.worker.postMessage({ id: pending.id, event: pending.event, context: { ...pending.context, timeoutMs: this.integration.timeoutSeconds * 1000 } });
    }
  }

  private onMessage(slot: Slot, message: WorkerMessage): void {
    if (message.type === 'init-error') {
      this.finish(slot, { kind: 'crash', message: message.message });
      return;
    }
    if (message.type !== 'result' || slot.current?.pending.id !== message.id) return;
    this.finish(slot, message.ok
      ? { kind: 'result', payload: JSON.parse(message.payload) as unknown }
      : { kind: 'error', errorType: message.errorType, errorMessage: message.errorMessage });
  }

  private finish(slot: Slot, outcome: InvocationOutcome): void {
    const current = slot.current;
    if (!current) return;
    clearTimeout(current.timer);
    slot.current = undefined;
    current.pending.resolve(outcome);
    this.dispatch();
  }

  private onTimeout(slot: Slot): void {
    this.finish(slot, { kind: 'timeout' });
    this.replace(slot);
  }

  private onWorkerGone(slot: Slot, message: string): void {
    if (this.closed) return;
    this.finish(slot, { kind: 'crash', message });
    this.replace(slot);
  }

  private replace(slot: Slot): void {
    if (this.closed) return;
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    slot.worker.removeAllListeners();
    slot.worker.on('error', () => undefined);
    void slot.worker.terminate();
    this.slots[index] = this.spawn();
    this.dispatch();
  }
}
