/**
 * Where the local gateway's files are: its credentials file (`IAM_HTTP_API_CREDENTIALS`, as
 * `npm start` reads it, else `<root>/.iam-http-api/credentials`) and, beside it, the
 * `gateway.json` that `npm start` writes while it runs.
 */
import * as path from 'node:path';
import { credentialsPath } from '../../src/gateway/credentials';
import { readDenial } from '../../src/gateway/denial-log';
import { readRunningGateway, type RunningGateway } from '../../src/gateway/running-gateway';

export function localCredentialsFile(root: string, env: NodeJS.ProcessEnv): string {
  return env.IAM_HTTP_API_CREDENTIALS ? path.resolve(env.IAM_HTTP_API_CREDENTIALS) : credentialsPath(root);
}

/** The running local gateway, or undefined when none runs (a file left by a dead one is ignored). */
export function runningGateway(root: string, env: NodeJS.ProcessEnv): RunningGateway | undefined {
  return readRunningGateway(path.join(path.dirname(localCredentialsFile(root, env)), 'gateway.json'));
}

/** The credentials file of the running gateway, else the local one. */
export function localKeysFile(root: string, env: NodeJS.ProcessEnv, gateway = runningGateway(root, env)): string {
  return gateway?.credentialsFile ? path.resolve(gateway.credentialsFile) : localCredentialsFile(root, env);
}

/** Why the running local gateway denied request `requestId`, when `url` is that gateway's. */
export function localDenial(gateway: RunningGateway | undefined, url: URL, requestId: string | null | undefined): string | undefined {
  if (!gateway?.denialsFile || !requestId || new URL(gateway.url).origin !== url.origin) return undefined;
  const denial = readDenial(gateway.denialsFile, requestId);
  return denial && `${denial.invoker} ${denial.method} ${denial.path}: ${denial.explanation}`;
}
