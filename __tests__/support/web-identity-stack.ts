/**
 * A local gateway and STS for a stack with two GitHub Actions OIDC roles, for the web identity
 * tests: `ci` (my-org/my-repo, branch main, GET only) and `releaser` (my-org/my-repo, environment
 * prod, GET and POST, 2 hours), or the roles of another configuration. The local issuer's key is `<dir>/oidc-key.pem`, beside the
 * credentials file `<dir>/credentials`, as `npm start` keeps them.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Testing } from 'cdktf';
import type { ProjectConfigInput } from '../../src/config/types';
import { ensureInvokerKeys } from '../../src/gateway/credentials';
import { loadStack, type LoadedStack } from '../../src/gateway/load-stack';
import { ensureOidcKey, oidcKeyPath, type OidcIssuerKey } from '../../src/gateway/oidc-issuer';
import { LocalGateway } from '../../src/gateway/server';
import type { TerraformJson } from '../../src/gateway/stack-json';
import { StsServer } from '../../src/gateway/sts-server';
import { FIXTURES } from './gateway';
import { synthStack } from './synth';

export const PROVIDER_ARN = 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com';

export const WEB_IDENTITY_CONFIG: ProjectConfigInput = {
  environments: {
    dev: {
      invokers: {
        admin: { allow: ['* /*'] },
        ci: { kind: 'role', allow: ['GET /*'], assumableBy: { githubOidc: { repository: 'my-org/my-repo', branch: 'main' } } },
        releaser: { kind: 'role', allow: ['GET /*', 'POST /*'], assumableBy: { githubOidc: { repository: 'my-org/my-repo', environment: 'prod' } }, maxSessionDurationSeconds: 7200 },
      },
    },
  },
};

export interface WebIdentityStack {
  readonly dir: string;
  /** cdk.tf.json as synthesized (the trust policies name the provider by reference). */
  readonly tf: TerraformJson;
  readonly stack: LoadedStack;
  readonly gatewayUrl: string;
  readonly stsUrl: string;
  readonly credentialsFile: string;
  readonly keyFile: string;
  readonly key: OidcIssuerKey;
  readonly ciArn: string;
  readonly releaserArn: string;
  /** The STS's log lines. */
  readonly stsLog: string[];
  close(): Promise<void>;
}

export async function startWebIdentityStack(config: ProjectConfigInput = WEB_IDENTITY_CONFIG): Promise<WebIdentityStack> {
  const { stack: synthesized } = synthStack(config, 'dev');
  const outdir = Testing.fullSynth(synthesized);
  const file = path.join(outdir, 'stacks', 'dev', 'cdk.tf.json');
  // The trust policies name ${aws_iam_openid_connect_provider.github_actions.arn}, as synthesized:
  // load-stack.ts resolves it to PROVIDER_ARN (load-oidc-providers.ts).
  const text = fs.readFileSync(file, 'utf8');
  const loaded = loadStack(outdir, 'dev');
  const stack: LoadedStack = { ...loaded, integration: { ...loaded.integration, bundleFile: path.join(FIXTURES, 'echo-event.mjs') } };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iam-http-api-web-identity-'));
  const credentialsFile = path.join(dir, 'credentials');
  const keys = ensureInvokerKeys(credentialsFile, stack.invokers.map((i) => i.name));
  const keyFile = oidcKeyPath(credentialsFile);
  const key = ensureOidcKey(keyFile);
  const sessionKey = randomBytes(32);
  const stsLog: string[] = [];
  const gateway = new LocalGateway({ stack, keys, port: 0, sessionKey, workers: 1, log: () => undefined, functionLog: () => undefined });
  const gatewayUrl = await gateway.listen();
  const sts = new StsServer({ gateway, sessionKey, port: 0, oidcKeyFile: keyFile, log: (line) => stsLog.push(line) });
  const stsUrl = await sts.listen();
  const arnOf = (name: string): string => {
    // A configuration without the role leaves its ARN empty.
    return stack.roles?.find((r) => r.name === `iam-http-api-dev-${name}`)?.arn ?? '';
  };
  return {
    dir, tf: JSON.parse(text) as TerraformJson, stack, gatewayUrl, stsUrl, credentialsFile, keyFile, key,
    ciArn: arnOf('ci'), releaserArn: arnOf('releaser'), stsLog,
    async close() {
      await sts.close();
      await gateway.close();
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(outdir, { recursive: true, force: true });
    },
  };
}
