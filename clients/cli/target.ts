/**
 * Where the request goes and which region signs it.
 *
 * Base URL, first found: PATH itself when it is a full URL; --url; API_URL; the running local
 * gateway (gateway.json, when --stack is not given or names the stack it serves); with
 * --stack, the deployed stack's `api_url` output (terraform output).
 *
 * Region, first found: --region; AWS_REGION; AWS_DEFAULT_REGION; the URL's host when it is
 * `<id>.execute-api.<region>.amazonaws.com`; the running gateway's (when the URL is its);
 * the deployed stack's `region` output; the synthesized provider region of the stack
 * (cdktf.out/stacks/<stack>/cdk.tf.json, stack = --stack, the gateway's, STACK or dev).
 */
import * as fs from 'node:fs';
import type { RunningGateway } from '../../src/gateway/running-gateway';
import { stackJsonPath, outdirOf } from '../../src/commands/synth-if-stale';
import { CliError } from './errors';
import { outputString, readStackOutputs, type StackOutputs } from './outputs';

export interface Target {
  readonly url: URL;
  /** Where the base URL came from, e.g. "--url" or "the running local gateway, stack dev". */
  readonly urlFrom: string;
  readonly region: string;
  readonly regionFrom: string;
  /** True when the URL is on this machine (loopback): a refused connection means no `npm start`. */
  readonly loopback: boolean;
}

export interface TargetOptions {
  readonly path: string;
  readonly url?: string;
  readonly stack?: string;
  readonly region?: string;
  readonly root: string;
  readonly env: NodeJS.ProcessEnv;
  readonly gateway?: RunningGateway;
}

const URL_EXAMPLE = 'e.g. --url http://127.0.0.1:3000 or --url https://<api-id>.execute-api.<region>.amazonaws.com';

export function parseHttpUrl(text: string, from: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
    throw new CliError(`${from} "${text}" is not an http(s) URL; use ${URL_EXAMPLE}.`);
  }
  return url;
}

/** The base URL's origin and path, then PATH (with its query). */
function join(base: URL, path: string): URL {
  return new URL(`${base.origin}${base.pathname.replace(/\/+$/, '')}${path}`);
}

function isLoopback(url: URL): boolean {
  return url.hostname === 'localhost' || url.hostname === '[::1]' || /^127\./.test(url.hostname);
}

async function resolveUrl(options: TargetOptions): Promise<{ url: URL; from: string; outputs?: StackOutputs }> {
  const { env, gateway, stack } = options;
  if (/^https?:\/\//i.test(options.path)) return { url: parseHttpUrl(options.path, 'PATH'), from: 'PATH' };
  if (options.url !== undefined) return { url: join(parseHttpUrl(options.url, '--url'), options.path), from: '--url' };
  if (env.API_URL) return { url: join(parseHttpUrl(env.API_URL, 'API_URL'), options.path), from: 'API_URL' };
  if (gateway && (stack === undefined || stack === gateway.stack)) {
    return { url: join(parseHttpUrl(gateway.url, 'gateway.json url'), options.path), from: `the running local gateway, stack ${gateway.stack}` };
  }
  if (stack !== undefined) {
    const outputs = await readStackOutputs(options.root, env, stack);
    const apiUrl = outputString(outputs, 'api_url');
    if (!apiUrl) throw new CliError(`The stack "${stack}" has no api_url output (${outputs.dir}): deploy it (npx cdktf deploy ${stack}), or pass --url URL.`);
    return { url: join(parseHttpUrl(apiUrl, `api_url of stack ${stack}`), options.path), from: `the api_url output of the deployed stack ${stack}`, outputs };
  }
  throw new CliError('No URL to call: start the local gateway with `npm start`, or pass --url URL, or set API_URL, or pass --stack NAME to call a deployed stack (its api_url output).');
}

function synthesizedRegion(options: TargetOptions): { region: string; from: string } | undefined {
  const stack = options.stack ?? options.gateway?.stack ?? (options.env.STACK || 'dev');
  const file = stackJsonPath(outdirOf(options.root, options.env), stack);
  try {
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { provider?: { aws?: Array<{ region?: unknown }> } };
    const region = json.provider?.aws?.[0]?.region;
    return typeof region === 'string' && region ? { region, from: `the synthesized stack ${stack} (${file})` } : undefined;
  } catch {
    return undefined;
  }
}

function resolveRegion(options: TargetOptions, url: URL, outputs: StackOutputs | undefined): { region: string; from: string } {
  const { env, gateway } = options;
  if (options.region) return { region: options.region, from: '--region' };
  if (env.AWS_REGION) return { region: env.AWS_REGION, from: 'AWS_REGION' };
  if (env.AWS_DEFAULT_REGION) return { region: env.AWS_DEFAULT_REGION, from: 'AWS_DEFAULT_REGION' };
  const fromHost = /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(url.hostname)?.[1];
  if (fromHost) return { region: fromHost, from: 'the URL' };
  if (gateway?.region && new URL(gateway.url).origin === url.origin) return { region: gateway.region, from: `the running local gateway, stack ${gateway.stack}` };
  const outputRegion = outputs && outputString(outputs, 'region');
  if (outputRegion) return { region: outputRegion, from: `the region output of the deployed stack ${outputs.stack}` };
  const synthesized = synthesizedRegion(options);
  if (synthesized) return synthesized;
  throw new CliError('No region to sign for: pass --region REGION or set AWS_REGION (the region the API is in, e.g. us-east-1).');
}

export async function resolveTarget(options: TargetOptions): Promise<Target> {
  const { url, from, outputs } = await resolveUrl(options);
  const { region, from: regionFrom } = resolveRegion(options, url, outputs);
  return { url, urlFrom: from, region, regionFrom, loopback: isLoopback(url) };
}
