/**
 * A tiny Chrome DevTools Protocol client for tests: enough WebSocket (RFC 6455) over node:http
 * to talk to Node's inspector, which Node 20 has no built-in client for (globalThis.WebSocket
 * needs --experimental-websocket there). Text frames only, masked as a client must; the
 * inspector's frames are unmasked and may be fragmented.
 */
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { Socket } from 'node:net';

export interface CdpEvent {
  readonly method: string;
  readonly params: Record<string, unknown>;
}

export class CdpClient {
  private nextId = 1;
  private readonly calls = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();
  private readonly waiters: Array<{ method: string; test: (params: Record<string, unknown>) => boolean; resolve: (event: CdpEvent) => void }> = [];
  /** Every event received, in order. */
  readonly events: CdpEvent[] = [];
  private buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];

  private constructor(private readonly socket: Socket, head: Buffer) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('close', () => {
      for (const call of this.calls.values()) call.reject(new Error('the inspector closed the connection'));
      this.calls.clear();
    });
    if (head.length > 0) this.receive(head);
  }

  /** Connects to a target's webSocketDebuggerUrl (ws://host:port/id). */
  static connect(wsUrl: string): Promise<CdpClient> {
    const url = new URL(wsUrl);
    return new Promise((resolve, reject) => {
      const request = http.get({
        host: url.hostname,
        port: Number(url.port),
        path: url.pathname,
        headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': randomBytes(16).toString('base64') },
      });
      request.on('upgrade', (_response, socket, head) => resolve(new CdpClient(socket, head)));
      request.on('response', (response) => reject(new Error(`no WebSocket upgrade: HTTP ${response.statusCode}`)));
      request.on('error', reject);
    });
  }

  /** Calls a CDP method; resolves with its result, rejects with its error. */
  send<T = Record<string, unknown>>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    const payload = Buffer.from(JSON.stringify({ id, method, params }));
    const mask = randomBytes(4);
    const length = payload.length < 126 ? Buffer.from([0x80 | payload.length])
      : payload.length < 65536 ? Buffer.from([0x80 | 126, payload.length >> 8, payload.length & 0xff])
        : Buffer.concat([Buffer.from([0x80 | 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(payload.length)); return b; })()]);
    const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]));
    this.socket.write(Buffer.concat([Buffer.from([0x81]), length, mask, masked]));
    return new Promise<T>((resolve, reject) => this.calls.set(id, { resolve: resolve as (result: unknown) => void, reject }));
  }

  /** The first event `method` (already received or to come) whose params pass `test`. */
  waitFor(method: string, test: (params: Record<string, unknown>) => boolean = () => true, timeoutMs = 10_000): Promise<CdpEvent> {
    const seen = this.events.find((e) => e.method === method && test(e.params));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${method} event within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ method, test, resolve: (event) => { clearTimeout(timer); resolve(event); } });
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.buffer.length < 2) return;
      const fin = (this.buffer[0] & 0x80) !== 0;
      const opcode = this.buffer[0] & 0x0f;
      let length = this.buffer[1] & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.buffer.length < 4) return;
        length = this.buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (this.buffer.length < 10) return;
        length = Number(this.buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.buffer.length < offset + length) return;
      const payload = this.buffer.subarray(offset, offset + length);
      this.buffer = this.buffer.subarray(offset + length);
      if (opcode === 0x8) { this.socket.end(); return; }
      if (opcode !== 0x1 && opcode !== 0x0) continue;
      this.fragments.push(payload);
      if (!fin) continue;
      const text = Buffer.concat(this.fragments).toString('utf8');
      this.fragments = [];
      this.dispatch(JSON.parse(text) as { id?: number; result?: unknown; error?: { message: string }; method?: string; params?: Record<string, unknown> });
    }
  }

  private dispatch(message: { id?: number; result?: unknown; error?: { message: string }; method?: string; params?: Record<string, unknown> }): void {
    if (message.id !== undefined) {
      const call = this.calls.get(message.id);
      this.calls.delete(message.id);
      if (message.error) call?.reject(new Error(message.error.message));
      else call?.resolve(message.result);
      return;
    }
    if (!message.method) return;
    const event = { method: message.method, params: message.params ?? {} };
    this.events.push(event);
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i];
      if (waiter.method === event.method && waiter.test(event.params)) {
        this.waiters.splice(i, 1);
        waiter.resolve(event);
      }
    }
  }
}
