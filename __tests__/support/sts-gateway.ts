/**
 * A local gateway with its local STS, in this process, for the project's dev stack
 * (iam-http-api.config.ts: the role `deployer`, GET only, assumable by `admin`), on free
 * loopback ports with a temporary credentials file, session key and denial log, as `npm start`
 * wires them. The Lambda is the echo-event fixture (the event comes back, so a test sees the
 * assumed-role identity), or with `handler: 'synthesized'` the project's own handler. For client
 * tests that need session credentials without the cost of `npm start`.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Testing } from 'cdktf';
import config from '../../iam-http-api.config';
import { ensureInvokerKeys, type InvokerKey } from '../../src/gateway/credentials';
import { DenialLog } from '../../src/gateway/denial-log';
import { loadStack, type LoadedStack } from '../../src/gateway/load-stack';
import { LocalGateway } from '../../src/gateway/server';
import { StsServer } from '../../src/gateway/sts-server';
import { FIXTURES } from './gateway';
import { synthStack } from './synth';

export interface StsGateway {
  readonly url: string;
  readonly stsUrl: string;
  readonly stack: LoadedStack;
  readonly keys: ReadonlyMap<string, InvokerKey>;
  readonly credentialsFile: string;
  readonly denialsFile: string;
  /** The dev stack's deployer role. */
  readonly deployerArn: string;
  close(): Promise<void>;
}

export interface StsGatewayOptions {
  /** 'echo' (default): the echo-event fixture; 'synthesized': the stack's own bundle. */
  readonly handler?: 'echo' | 'synthesized';
}

export async function startStsGateway(options: StsGatewayOptions = {}): Promise<StsGateway> {
  const { stack: synthesized } = synthStack(config, 'dev');
  const outdir = Testing.fullSynth(synthesized);
  const loaded = loadStack(outdir, 'dev');
  const stack: LoadedStack = options.handler === 'synthesized' ? loaded : { ...loaded, integration: { ...loaded.integration, bundleFile: path.join(FIXTURES, 'echo-event.mjs') } };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iam-http-api-stsgw-'));
  const credentialsFile = path.join(dir, 'credentials');
  const keys = ensureInvokerKeys(credentialsFile, stack.invokers.map((i) => i.name));
  const sessionKey = randomBytes(32);
  const denials = new DenialLog(path.join(dir, 'denials.json'));
  const gateway = new LocalGateway({ stack, keys, port: 0, sessionKey, workers: 1, log: () => undefined, functionLog: () => undefined, onDenied: (denial) => denials.record(denial) });
  const url = await gateway.listen();
  const sts = new StsServer({ gateway, sessionKey, port: 0, log: () => undefined });
  const stsUrl = await sts.listen();
  const deployer = stack.roles?.find((role) => role.name.endsWith('-deployer'));
  if (!deployer) throw new Error('the dev stack has no deployer role');
  return {
    url,
    stsUrl,
    stack,
    keys,
    credentialsFile,
    denialsFile: denials.file,
    deployerArn: deployer.arn,
    async close() {
      await sts.close();
      await gateway.close();
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(outdir, { recursive: true, force: true });
    },
  };
}
