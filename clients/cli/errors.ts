/**
 * The CLI's one error type and its exit statuses. Every CliError message says what happened
 * and what to do; main.ts prints it (no stack trace) and exits with its status.
 */

/** Exit statuses: 0 for a 2xx answer; 3, 4, 5 for 3xx, 4xx, 5xx (as httpie --check-status). */
export const EXIT = {
  ok: 0,
  /** Usage or setup: bad arguments, no URL, no region, no credentials, terraform missing. */
  usage: 1,
  /** The server could not be reached: refused, unknown host, timed out. */
  unreachable: 2,
} as const;

export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.usage) {
    super(message);
    this.name = 'CliError';
  }
}

/** The exit status for an HTTP answer: 0 for 2xx, else its class (3, 4, 5). */
export function exitForStatus(status: number): number {
  if (status >= 200 && status < 300) return EXIT.ok;
  return Math.min(Math.max(Math.floor(status / 100), 3), 5);
}
