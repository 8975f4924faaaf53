/**
 * While `npm start` runs, `.iam-http-api/gateway.json` says where: the URL, stack, region and
 * process id. Clients (the CLI) read it to find the running local gateway; it is removed on
 * shutdown, and a file whose process is gone is ignored.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface RunningGateway {
  readonly url: string;
  readonly stack: string;
  readonly region: string;
  readonly pid: number;
  /** The credentials file holding this gateway's invoker keys. */
  readonly credentialsFile: string;
  /** Where the last IAM denials are explained (denial-log.ts). */
  readonly denialsFile?: string;
  /** The local STS (AssumeRole, GetSessionToken, GetCallerIdentity, ...), when it runs (sts-server.ts). */
  readonly stsUrl?: string;
  /**
   * The stack's roles and the local profiles that may assume each: user invokers, and the other
   * accounts' identities (`account-<id>`, account-identities.ts) with the ExternalId each must pass.
   */
  readonly roles?: readonly { readonly name: string; readonly arn: string; readonly assumableBy: readonly string[]; readonly externalIds?: Readonly<Record<string, string>> }[];
}

export function runningGatewayPath(root: string): string {
  return path.join(root, '.iam-http-api', 'gateway.json');
}

export function writeRunningGateway(file: string, gateway: RunningGateway): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, `${JSON.stringify(gateway, null, 2)}\n`, { mode: 0o600 });
}

export function removeRunningGateway(file: string, pid = process.pid): void {
  const current = readRunningGateway(file, () => true);
  if (current?.pid === pid) fs.rmSync(file, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running gateway described by `file`, or undefined when there is none (or it died). */
export function readRunningGateway(file: string, alive: (pid: number) => boolean = isAlive): RunningGateway | undefined {
  let parsed: Partial<RunningGateway>;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<RunningGateway>;
  } catch {
    return undefined;
  }
  if (typeof parsed.url !== 'string' || typeof parsed.pid !== 'number' || !alive(parsed.pid)) return undefined;
  return parsed as RunningGateway;
}
