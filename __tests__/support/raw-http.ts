/**
 * Raw HTTP for the bounded fuzz tests (the gateway's and the local STS's): a request sent as
 * given through node:http (so bytes fetch would refuse get through), its reply in full, and a
 * budget that bounds how many requests a run may send and counts what came back.
 */
import * as http from 'node:http';

export interface RawReply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
}

export interface RawHttpRequest {
  readonly method: string;
  readonly path: string;
  /** latin1 strings: one char per byte on the wire, so UTF-8 bytes go through as they are. */
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  /** Sent as is; the caller frames it (Content-Length or Transfer-Encoding). */
  readonly body?: Buffer;
}

/** Sends `request` to 127.0.0.1:`port` and reads the whole reply. */
export function sendRaw(agent: http.Agent | false, port: number, request: RawHttpRequest): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: request.method, path: request.path, headers: request.headers as http.OutgoingHttpHeaders, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    // A Buffer, not a string: Node writes the head together with a string body in the body's
    // encoding (UTF-8), which would re-encode the latin1 header bytes above 0x7F.
    req.end(request.body);
  });
}

/** Counts requests and refuses past the budget (fc.pre then skips the run, so shrinking stops). */
export class RequestBudget {
  public sent = 0;
  /** Property → outcome → count, for the summary line. */
  public readonly outcomes = new Map<string, Map<string, number>>();

  public constructor(private readonly max: number) {}

  public take(): boolean {
    if (this.sent >= this.max) return false;
    this.sent += 1;
    return true;
  }

  /** Counts one `outcome` (e.g. `403 AccessDenied`) of `property`. */
  public record(property: string, outcome: string): void {
    const counts = this.outcomes.get(property) ?? new Map<string, number>();
    counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
    this.outcomes.set(property, counts);
  }

  public summary(): string {
    return [...this.outcomes].map(([property, counts]) => `${property} ${JSON.stringify(Object.fromEntries([...counts].sort()))}`).join('; ');
  }
}
