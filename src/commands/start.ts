/**
 * `npm start`: synthesizes when sources are newer than cdktf.out, then serves the `dev`
 * stack (`STACK=<name>` picks another) on http://127.0.0.1:${PORT:-3000} with the local
 * gateway. Prints the URL, each invoker's key id and what it may call, where the credentials
 * file is, and examples to paste. Never prints a secret. Also serves the browser page
 * (clients/web) on http://127.0.0.1:${PAGE_PORT:-5173}, another origin than the gateway.
 *
 * The local STS (AssumeRole, GetSessionToken, GetCallerIdentity; sts-server.ts) runs on
 * http://127.0.0.1:${STS_PORT:-3001}: its sessions are sealed with the session key beside the
 * credentials file (`session-key`) and accepted by the gateway. When its port is busy the
 * gateway runs without it and says so in one line, as for the browser page. Every AWS account a
 * role trusts gets a local identity in the credentials file (profile `account-<id>`; banner and
 * gateway.json name it among who may assume each role, never its secret).
 *
 * Variables: STACK, PORT, STS_PORT, PAGE_PORT, CDKTF_OUTDIR (cdktf's), IAM_HTTP_API_CREDENTIALS (another
 * credentials file than .iam-http-api/credentials, e.g. for tests), IAM_HTTP_API_WORKERS (Lambda
 * worker processes, 1 to 256; default: the machine's available parallelism).
 *
 * Watch mode (watch.ts) is on: a handler edit is rebuilt and served, a config or stack edit is
 * synthesized and swapped in, without a restart. `npm start -- --no-watch` turns it off.
 *
 * `npm start -- --inspect[=port]` debugs the handler: one Lambda process, with Node's inspector
 * on 127.0.0.1:<port> (9229), no timeouts; the bundle it runs carries its source map (watch.ts).
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { compilePrincipal } from '../iam/decide';
import { describePolicy } from '../iam/principal';
import { accountIdentities } from '../gateway/account-identities';
import { CredentialsFileError, credentialsPath, ensureInvokerKeys } from '../gateway/credentials';
import { loadStack, StackLoadError, type LoadedStack } from '../gateway/load-stack';
import { DenialLog } from '../gateway/denial-log';
import { missingPermissionWarning } from '../gateway/invoke-permission';
import { removeRunningGateway, writeRunningGateway } from '../gateway/running-gateway';
import type { InspectAddress } from '../gateway/invoke';
import { LocalGateway, PortInUseError } from '../gateway/server';
import { ensureSessionKey, sessionKeyPath } from '../gateway/session-tokens';
import { oidcKeyPath } from '../gateway/oidc-issuer';
import { webIdentityHints } from '../gateway/web-identity-hints';
import { DEFAULT_STS_PORT, StsPortInUseError, StsServer, whoMayAssume } from '../gateway/sts-server';
import type { LambdaRuntime } from '../config/types';
import { EnvValueError, portFromEnv } from './env-value';
import { grantsOf } from './invoker-grants';
import { PageServerError, startPageServer, type PageServer } from './page-server';
import { oneStack, StackSelectionError } from './stack-selection';
import { outdirOf, synthIfStale } from './synth-if-stale';
import { HandlerBuilder, watchProject, withLocalBundle, type Watching } from './watch';

const root = path.resolve(__dirname, '..', '..');

/** The process that started this one, read first thing (see the parent watch in main()). */
const PARENT_PID = process.ppid;

// Piped into head or less: stop quietly when the reader goes away.
process.stdout.on('error', (error: NodeJS.ErrnoException) => process.exit(error.code === 'EPIPE' ? 0 : 1));

/** A command-line argument npm start does not take. */
class StartArgumentError extends Error {}

/** Node's default inspector port, as `node --inspect`. */
const DEFAULT_INSPECT_PORT = 9229;

/**
 * `--no-watch` (or `--watch`, the default); `--inspect[=[127.0.0.1:]port]` (Node's inspector in the
 * Lambda process, 127.0.0.1:9229 by default); anything else is refused in one line.
 */
function parseArgs(args: readonly string[]): { watch: boolean; inspect?: InspectAddress } {
  let watch = true;
  let inspect: InspectAddress | undefined;
  for (const arg of args) {
    if (arg === '--no-watch') watch = false;
    else if (arg === '--watch') watch = true;
    else if (arg === '--inspect') inspect = { host: '127.0.0.1', port: DEFAULT_INSPECT_PORT };
    else if (arg.startsWith('--inspect=')) {
      const match = /^(?:(?:127\.0\.0\.1|localhost):)?([0-9]{1,5})$/.exec(arg.slice('--inspect='.length));
      const port = Number(match?.[1]);
      if (!match || port < 1 || port > 65535) {
        throw new StartArgumentError(`npm start: ${JSON.stringify(arg)} is not an inspector port; use --inspect (port ${DEFAULT_INSPECT_PORT}) or --inspect=<1-65535>, e.g. npm start -- --inspect=9230 (it listens on 127.0.0.1 only: whoever reaches it can run code)`);
      }
      inspect = { host: '127.0.0.1', port };
    } else throw new StartArgumentError(`npm start: unknown argument ${JSON.stringify(arg)}; it takes --no-watch (serve without reloading edits) and --inspect[=port] (debug the handler), e.g. npm start -- --no-watch`);
  }
  return { watch, inspect };
}

/** PORT: digits only, 1 to 65535, or 0 for any free port (the banner prints the one it got). */
function parsePort(text: string | undefined): number {
  return portFromEnv('PORT', text, 3000);
}

function banner(stack: LoadedStack, url: string, keys: ReadonlyMap<string, { accessKeyId: string }>, credentials: string, page: PageServer | undefined, watching: boolean, inspect: InspectAddress | undefined, stsUrl: string | undefined, accountKeys: ReadonlyMap<string, { accessKeyId: string }> = new Map()): string {
  const relCredentials = path.relative(process.cwd(), credentials) || credentials;
  const first = stack.invokers.find((i) => i.name === 'viewer') ?? stack.invokers[0];
  const scope = `aws:amz:${stack.region}:execute-api`;
  const lines = [
    `Local gateway for stack "${stack.stackName}" (${stack.apiName}, ${stack.region}) at ${url}`,
    '',
    'Routes:',
    ...stack.routes.map((r) => `  ${r.routeKey.padEnd(22)} ${r.authorizationType === 'AWS_IAM' ? 'AWS_IAM: requests must be signed (SigV4, service execute-api)' : 'NONE: no signature (CORS preflight)'}`),
    '',
    `Invokers (profiles in ${relCredentials}; secrets are only in that file):`,
    ...stack.invokers.map((i) => `  ${i.name.padEnd(10)} ${keys.get(i.name)?.accessKeyId ?? '(no key)'}  ${grantsOf(i.principal, stack.executionArn)}`),
  ];
  const problems = stack.invokers.flatMap((i) => compilePrincipal(i.principal).invalid.map((p) => `  ${i.name}: ${describePolicy(p.policy)} grants nothing, IAM would reject it: ${p.errors.join('; ')}`));
  if (problems.length > 0) lines.push('', 'Warning: policies IAM would reject (terraform apply would fail):', ...problems);
  const noPermission = missingPermissionWarning(stack);
  if (noPermission) lines.push('', `Warning: ${noPermission}`);
  if (first) {
    lines.push(
      '',
      `Call it as ${first.name} with curl:`,
      `  export AWS_ACCESS_KEY_ID=${keys.get(first.name)?.accessKeyId}`,
      `  export AWS_SECRET_ACCESS_KEY="$(sed -n '/^\\[${first.name}\\]/,/^\\[/s/^aws_secret_access_key = //p' ${relCredentials})"`,
      `  curl --aws-sigv4 "${scope}" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" ${url}/hello`,
      `  curl --aws-sigv4 "${scope}" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H 'content-type: application/json' --data '{"message":"hi"}' ${url}/items`,
      '',
      `Or from any AWS SDK or tool: AWS_SHARED_CREDENTIALS_FILE=${relCredentials} AWS_PROFILE=${first.name}, region ${stack.region}, service execute-api.`,
    );
  }
  const roles = whoMayAssume(stack);
  if (roles.length > 0) {
    lines.push('', stsUrl ? `Roles (assume with the local STS at ${stsUrl}):` : 'Roles (the local STS is not running, so none can be assumed):');
    // Role invokers are named as user invokers are: `<prefix><invoker>`; print the invoker's name.
    const sample = stack.invokers[0];
    const prefix = sample && sample.principal.name.endsWith(sample.name) ? sample.principal.name.slice(0, -sample.name.length) : '';
    for (const { role, invokers, accounts, others } of roles) {
      // Services cannot be acted as locally; GitHub Actions has its own lines below.
      const assumers = [...invokers, ...accounts.map((a) => (a.externalId !== undefined ? `${a.profile} (ExternalId ${a.externalId})` : a.profile)), ...others.map((o) => (o === 'GitHub Actions' ? 'GitHub Actions (below)' : o.startsWith('service ') ? `${o} (not locally)` : o))];
      lines.push(`  ${(prefix && role.name.startsWith(prefix) ? role.name.slice(prefix.length) : role.name).padEnd(10)} ${role.arn}  ${assumers.length > 0 ? `assumable by ${assumers.join(', ')}` : 'assumable by no one'}`);
    }
    const example = roles.find((r) => r.invokers.length > 0);
    if (stsUrl && example) {
      lines.push(`  e.g. AWS_SHARED_CREDENTIALS_FILE=${relCredentials} AWS_PROFILE=${example.invokers[0]} aws sts assume-role --endpoint-url ${stsUrl} --region ${stack.region} --role-arn ${example.role.arn} --role-session-name me`);
    }
    // Other accounts' local identities (account-identities.ts): they may only assume roles.
    const partners = roles.flatMap(({ role, accounts }) => accounts.map((a) => ({ role, ...a })));
    if (partners.length > 0) {
      lines.push('', `Other accounts (profiles in ${relCredentials}, user iam-http-api-local of each; they may assume roles, not call the API):`);
      for (const profile of [...new Set(partners.map((p) => p.profile))]) {
        lines.push(`  ${profile}  ${accountKeys.get(profile)?.accessKeyId ?? '(no key)'}  may assume ${partners.filter((p) => p.profile === profile).map((p) => p.role.name).join(', ')}`);
      }
      const partner = partners[0];
      if (stsUrl && partner) {
        lines.push(`  e.g. AWS_SHARED_CREDENTIALS_FILE=${relCredentials} AWS_PROFILE=${partner.profile} aws sts assume-role --endpoint-url ${stsUrl} --region ${stack.region} --role-arn ${partner.role.arn} --role-session-name partner${partner.externalId !== undefined ? ` --external-id ${partner.externalId}` : ''}`);
      }
    }
  }
  lines.push(...webIdentityHints(stack.roles ?? [], stsUrl, stack.region));
  if (page) {
    lines.push('', `Browser page: ${page.url}`);
    const origins = stack.cors?.allowOrigins ?? [];
    if (!origins.includes('*') && !origins.includes(page.url)) {
      lines.push(`  (${page.url} is not in the stack's cors.allowOrigins, so the gateway refuses the page's requests; add it in iam-http-api.config.ts)`);
    }
  }
  lines.push('', watching
    ? 'Watching handler/ (rebuilt and served at once) and iam-http-api.config.ts, main.ts, src/ (synthesized and swapped in); npm start -- --no-watch turns this off.'
    : 'Not watching for edits (--no-watch): restart npm start to serve them.');
  if (inspect) {
    lines.push(
      '',
      `Debugging (--inspect): the Lambda runs in 1 process (one debugger target) with Node's inspector on ${inspect.host}:${inspect.port}:`,
      `  attach Chrome (chrome://inspect, "Configure..." ${inspect.host}:${inspect.port}) or VS Code (an "attach" configuration, port ${inspect.port}, "restart": true);`,
      '  breakpoints in handler/*.ts work through the bundle\'s source map. A reload or a crash starts a new process on the same port: reattach.',
      `  Timeouts are suspended while --inspect is on: neither the function's timeout (${stack.integration.timeoutSeconds} s) nor API Gateway's 30 s stops a paused handler, as they would on AWS.`,
    );
  }
  lines.push('', 'Ctrl-C stops the gateway.');
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { watch, inspect } = parseArgs(process.argv.slice(2));
  const stackName = oneStack(process.env.STACK, 'dev', 'npm start');
  const port = parsePort(process.env.PORT);
  const stsPort = portFromEnv('STS_PORT', process.env.STS_PORT, DEFAULT_STS_PORT);
  const outdir = outdirOf(root);
  synthIfStale(root, outdir, stackName);
  const stack = loadStack(outdir, stackName);
  // A build of the handler for its source map (esbuild works in its own process meanwhile).
  const builder = new HandlerBuilder(root);
  const building = builder.build(stack.integration.runtime as LambdaRuntime);
  const credentials = process.env.IAM_HTTP_API_CREDENTIALS || credentialsPath(root);
  const keys = ensureInvokerKeys(credentials, stack.invokers.map((i) => i.name));
  // Each account a role trusts gets a local identity, its key kept in the same file (account-identities.ts).
  const accountKeys = ensureInvokerKeys(credentials, accountIdentities(stack.roles ?? [], stack.accountId).map((a) => a.name));
  const sessionKey = ensureSessionKey(sessionKeyPath(credentials));
  const denials = new DenialLog(path.join(path.dirname(credentials), 'denials.json'));
  // The gateway runs a copy of the bundle with its source map inline, which a re-synthesis does
  // not delete under it (watch.ts); what Terraform zips is untouched.
  const primed = await building;
  if (!watch) await builder.dispose();
  const gateway = new LocalGateway({
    stack: withLocalBundle(root, stack, primed), keys, port, sessionKey, accountKeys: (profiles) => ensureInvokerKeys(credentials, profiles), log: (line) => console.log(line), onDenied: (denial) => denials.record(denial),
    // Debugging: one Lambda process, so one debugger target.
    ...(inspect ? { inspect, workers: 1 } : {}),
  });
  const url = await gateway.listen();
  // The page is a convenience: when its port is busy, say so and keep serving the gateway.
  // It offers the roles the gateway serves now (watch-mode reloads included) for "Call as a role".
  const page = await startPageServer({ gatewayUrl: url, region: stack.region, roles: () => whoMayAssume(gateway.stack).map(({ role, invokers }) => ({ name: role.name, arn: role.arn, assumableBy: invokers })) }).catch((error: unknown) => {
    if (!(error instanceof PageServerError)) throw error;
    console.error(`Browser page not started: ${error.message}`);
    return undefined;
  });
  // STS is a convenience too: when its port is busy, the gateway serves the invokers' own keys.
  // Its answers are readable by the page's origin (and the stack's cors.allowOrigins; sts-cors.ts).
  const sts = new StsServer({ gateway, sessionKey, port: stsPort, oidcKeyFile: oidcKeyPath(credentials), log: (line) => console.log(line), allowOrigins: page ? [page.url] : [] });
  const stsUrl = await sts.listen().catch((error: unknown) => {
    if (!(error instanceof StsPortInUseError)) throw error;
    console.error(error.message);
    return undefined;
  });
  page?.setStsUrl(stsUrl);
  // Beside the credentials file, so a second gateway with other credentials keeps its own.
  const stateFile = path.join(path.dirname(credentials), 'gateway.json');
  writeRunningGateway(stateFile, { url, stack: stack.stackName, region: stack.region, pid: process.pid, credentialsFile: credentials, denialsFile: denials.file,
    ...(stsUrl ? { stsUrl } : {}),
    roles: whoMayAssume(stack).map(({ role, invokers, accounts }) => ({
      name: role.name, arn: role.arn, assumableBy: [...invokers, ...accounts.map((a) => a.profile)],
      ...(accounts.some((a) => a.externalId !== undefined) ? { externalIds: Object.fromEntries(accounts.flatMap((a) => (a.externalId !== undefined ? [[a.profile, a.externalId]] : []))) } : {}),
    })),
  });
  const watching: Watching | undefined = watch
    ? await watchProject({ root, outdir, stackName, credentials, gateway, builder, primed, print: (text) => console.log(text), printError: (text) => console.error(text) })
    : undefined;

  // The first signal stops gracefully: no new connections, idle keep-alive connections closed
  // at once, requests in flight answered (each within API Gateway's 30 s integration timeout),
  // then exit 0. A second signal exits at once, with the shell's code for it (130, 143).
  let stopping = false;
  const stop = (signal: NodeJS.Signals, why: string = signal): void => {
    if (stopping) {
      console.log(`${why} again: stopping at once`);
      process.exit(128 + (os.constants.signals[signal] ?? 0));
    }
    stopping = true;
    console.log(`\n${why}: stopping the local gateway (letting requests in flight finish; ${signal} again stops at once)`);
    removeRunningGateway(stateFile);
    Promise.all([watching?.close(), gateway.close(), page?.close(), stsUrl ? sts.close() : undefined]).then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // `npm start` runs this process under `sh -c`: a SIGTERM sent to npm ends npm and the shell
  // but is not passed on, and the gateway would keep the port with no one to stop it. So a
  // parent that goes away stops it as SIGTERM would.
  setInterval(() => {
    if (process.ppid !== PARENT_PID) stop('SIGTERM', 'the process that started npm start ended');
  }, 500).unref();
  // After the handlers: whoever reads the banner's last line may signal at once.
  console.log(banner(stack, url, keys, credentials, page, watching !== undefined, inspect, stsUrl, accountKeys));
}

main().catch((error: unknown) => {
  // Expected problems (no such stack, busy port, a stack the gateway cannot serve) are one
  // clear line; anything else keeps its stack trace.
  const expected = error instanceof StackLoadError || error instanceof PortInUseError || error instanceof StackSelectionError
    || error instanceof EnvValueError || error instanceof CredentialsFileError || error instanceof StartArgumentError;
  console.error(expected ? error.message : error);
  process.exit(1);
});
