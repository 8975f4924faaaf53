/**
 * The last requests IAM denied at the local gateway, with the explanation, in a small JSON
 * file beside the credentials (mode 0600), so `iam-http-api call` can say why its 403 happened
 * while the response body stays AWS's `{"message":"Forbidden"}`. Written before the 403 is
 * sent, atomically (temp file + rename), bounded to the last MAX_DENIALS entries.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Denial } from './server';

export const MAX_DENIALS = 50;

export class DenialLog {
  private readonly entries: (Denial & { readonly time: string })[] = [];

  constructor(readonly file: string) {}

  record(denial: Denial): void {
    this.entries.push({ ...denial, time: new Date().toISOString() });
    if (this.entries.length > MAX_DENIALS) this.entries.splice(0, this.entries.length - MAX_DENIALS);
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      const temp = `${this.file}.${process.pid}.tmp`;
      fs.writeFileSync(temp, `${JSON.stringify(this.entries, null, 1)}\n`, { mode: 0o600 });
      fs.renameSync(temp, this.file);
    } catch {
      // A convenience for the CLI: never let it fail a request.
    }
  }
}

/** The denial of request `requestId` recorded in `file`, if any. */
export function readDenial(file: string, requestId: string): Denial | undefined {
  try {
    const entries = JSON.parse(fs.readFileSync(file, 'utf8')) as Denial[];
    return Array.isArray(entries) ? entries.find((e) => e && e.requestId === requestId) : undefined;
  } catch {
    return undefined;
  }
}
