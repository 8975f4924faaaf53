/**
 * The page's role session: temporary credentials from AssumeRole, held in this object only
 * (never in storage or the DOM), refreshed automatically 5 minutes before they expire (as the
 * AWS SDK for JavaScript v3 does: it treats credentials as expired 5 minutes early,
 * EXPIRATION_MS = 300_000 in smithy-typescript packages/core/src/util-identity-and-auth/
 * memoizeIdentityProvider.ts) or at once with refresh(), and dropped when they expire.
 * The clock is the page's (Date.now, setTimeout), so a test can move it.
 */
import { assumeRole, StsCallError, type AssumedRole, type AssumeRoleRequest, type TemporaryCredentials } from './sts';

export const REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;

export interface RoleSessionState {
  /** The current session, while its credentials are valid. */
  readonly assumed?: AssumedRole;
  /** When the next automatic refresh happens. */
  readonly refreshAt?: Date;
  /** The last AssumeRole failure (cleared by the next success). */
  readonly error?: StsCallError;
  /** An AssumeRole call is in flight. */
  readonly busy: boolean;
  /** start() was called and stop() not since: refresh() has a request to repeat. */
  readonly started: boolean;
  /** Why there is no session, when there was one: it expired. */
  readonly expiredAt?: Date;
}

/** When to refresh credentials expiring at `expiration`: 5 minutes before, or halfway there for a shorter life. */
export function refreshTime(expiration: Date, now: number): Date {
  return new Date(Math.max(expiration.getTime() - REFRESH_BEFORE_EXPIRY_MS, now + (expiration.getTime() - now) / 2));
}

export class RoleSession {
  private request: AssumeRoleRequest | undefined;
  private assumed: AssumedRole | undefined;
  private refreshAt: Date | undefined;
  private error: StsCallError | undefined;
  private expiredAt: Date | undefined;
  private inFlight: Promise<void> | undefined;
  private timers: ReturnType<typeof setTimeout>[] = [];

  constructor(
    private readonly onChange: (state: RoleSessionState) => void,
    private readonly call: (request: AssumeRoleRequest) => Promise<AssumedRole> = assumeRole,
  ) {}

  get state(): RoleSessionState {
    return {
      busy: this.inFlight !== undefined,
      started: this.request !== undefined,
      ...(this.assumed ? { assumed: this.assumed } : {}),
      ...(this.refreshAt ? { refreshAt: this.refreshAt } : {}),
      ...(this.error ? { error: this.error } : {}),
      ...(this.expiredAt ? { expiredAt: this.expiredAt } : {}),
    };
  }

  /** The credentials to sign with, or undefined when no session is valid now. */
  credentials(): TemporaryCredentials | undefined {
    if (this.assumed && this.assumed.credentials.expiration.getTime() <= Date.now()) this.expire();
    return this.assumed?.credentials;
  }

  /** Assumes a (new) role with `request`; the previous session, if any, is dropped. */
  start(request: AssumeRoleRequest): Promise<void> {
    this.stop();
    this.request = request;
    return this.run();
  }

  /** New credentials for the same role, session name and duration; the current ones stay until then. */
  refresh(): Promise<void> {
    if (!this.request) return Promise.resolve();
    return this.inFlight ?? this.run();
  }

  /** Forgets the session and its credentials. */
  stop(): void {
    this.clearTimers();
    this.request = undefined;
    this.assumed = undefined;
    this.refreshAt = undefined;
    this.error = undefined;
    this.expiredAt = undefined;
    this.inFlight = undefined;
    this.onChange(this.state);
  }

  private run(): Promise<void> {
    const request = this.request!;
    const running = this.call(request).then(
      (assumed) => {
        if (this.request !== request) return;
        this.assumed = assumed;
        this.error = undefined;
        this.expiredAt = undefined;
        this.schedule(assumed.credentials.expiration);
      },
      (error: unknown) => {
        if (this.request !== request) return;
        this.error = error instanceof StsCallError ? error : new StsCallError(error instanceof Error ? error.message : String(error));
      },
    ).finally(() => {
      if (this.inFlight === running) this.inFlight = undefined;
      if (this.request === request) this.onChange(this.state);
    });
    this.inFlight = running;
    this.onChange(this.state);
    return running;
  }

  private schedule(expiration: Date): void {
    this.clearTimers();
    const now = Date.now();
    this.refreshAt = refreshTime(expiration, now);
    this.timers.push(
      setTimeout(() => void this.refresh(), this.refreshAt.getTime() - now),
      setTimeout(() => this.credentials(), expiration.getTime() - now),
    );
  }

  private expire(): void {
    this.clearTimers();
    this.expiredAt = this.assumed?.credentials.expiration;
    this.assumed = undefined;
    this.refreshAt = undefined;
    this.onChange(this.state);
  }

  private clearTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = [];
  }
}
