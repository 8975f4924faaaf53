/** Starts a local gateway on a free loopback port for one test file, from a synthesized stack. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Testing } from 'cdktf';
import type { ProjectConfigInput } from '../../src/config/types';
import { ensureInvokerKeys, type InvokerKey } from '../../src/gateway/credentials';
import { loadStack, type LambdaIntegration, type LoadedStack } from '../../src/gateway/load-stack';
import { DenialLog } from '../../src/gateway/denial-log';
import { LocalGateway } from '../../src/gateway/server';
import { synthStack } from './synth';

export interface TestGateway {
  readonly url: string;
  readonly host: string;
  readonly stack: LoadedStack;
  readonly keys: ReadonlyMap<string, InvokerKey>;
  readonly credentialsFile: string;
  /** Where the gateway explains its IAM denials, as npm start does (beside the credentials). */
  readonly denialsFile: string;
  readonly gateway: LocalGateway;
  readonly log: string[];
  /** The function's log lines (START, console lines, END, REPORT ...), as Lambda writes them. */
  readonly functionLog: string[];
  close(): Promise<void>;
}

export interface TestGatewayOptions {
  readonly config?: ProjectConfigInput;
  readonly environment?: string;
  readonly now?: () => Date;
  /** Replaces parts of the Lambda integration, e.g. a fixture bundle or a short timeout. */
  readonly integration?: Partial<LambdaIntegration>;
  /** Replaces the synthesized routes, e.g. to test a stack without `$default`. */
  readonly routes?: LoadedStack['routes'];
  /** Replaces the synthesized Lambda permissions, given the loaded ones (e.g. a narrower source ARN, or none). */
  readonly invokePermissions?: (loaded: LoadedStack) => LoadedStack['invokePermissions'];
  /** The gateway's Lambda worker pool size (default: as `npm start`). */
  readonly workers?: number;
  /** API Gateway's integration timeout (default 30 s). */
  readonly integrationTimeoutMs?: number;
  /** LocalGateway's requestTimeoutMs (how long a request may take to arrive). */
  readonly requestTimeoutMs?: number;
}

export const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'handlers');

export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const { stack: synthesized } = synthStack(options.config ?? {}, options.environment ?? 'dev');
  const outdir = Testing.fullSynth(synthesized);
  const loaded = loadStack(outdir, options.environment ?? 'dev');
  const stack: LoadedStack = {
    ...loaded,
    routes: options.routes ?? loaded.routes,
    integration: { ...loaded.integration, ...options.integration },
    invokePermissions: options.invokePermissions?.(loaded) ?? loaded.invokePermissions,
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iam-http-api-gw-'));
  const credentialsFile = path.join(dir, 'credentials');
  const keys = ensureInvokerKeys(credentialsFile, stack.invokers.map((i) => i.name));
  const log: string[] = [];
  const functionLog: string[] = [];
  const denials = new DenialLog(path.join(dir, 'denials.json'));
  const gateway = new LocalGateway({ stack, keys, port: 0, now: options.now, workers: options.workers, integrationTimeoutMs: options.integrationTimeoutMs, requestTimeoutMs: options.requestTimeoutMs, log: (line) => log.push(line), functionLog: (line) => functionLog.push(line), onDenied: (denial) => denials.record(denial) });
  const url = await gateway.listen();
  return {
    url,
    host: new URL(url).host,
    stack,
    keys,
    credentialsFile,
    denialsFile: denials.file,
    gateway,
    log,
    functionLog,
    async close() {
      await gateway.close();
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(outdir, { recursive: true, force: true });
    },
  };
}
