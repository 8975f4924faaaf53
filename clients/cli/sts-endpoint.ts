/**
 * Where the CLI calls STS (AssumeRole), first found:
 *   1. --sts-url;
 *   2. AWS_ENDPOINT_URL_STS, then AWS_ENDPOINT_URL;
 *   3. the profile's `[services]` `sts.endpoint_url`, then its `endpoint_url`;
 *   4. for --role-arn only: the running local gateway's STS (gateway.json's stsUrl), when the
 *      call goes to that gateway;
 *   5. AWS (the SDK's regional endpoint, https://sts.REGION.amazonaws.com).
 * 2 and 3 are the SDKs' service-specific endpoint settings, both skipped when
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS (else the profile's ignore_configured_endpoint_urls) is
 * true: https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
 *
 * The AWS SDK for JavaScript reads 3 from the AWS_PROFILE profile only (not from the
 * `profile` given to its provider chain), and other tools have had the same gap
 * (aws/aws-cli#7600, awslabs/aws-sdk-rust#1193), so the CLI resolves it itself and hands the
 * endpoint to the SDK's STS client. Step 4 is not applied to a profile's role_arn: that profile
 * is shared with other tools, which would call AWS, so the CLI does too.
 */
import type { RunningGateway } from '../../src/gateway/running-gateway';
import { profileStsEndpoint, type Section, type SharedFile } from './aws-config';
import { parseHttpUrl } from './target';

export interface StsEndpoint {
  /** Undefined: AWS's own endpoint for the region. */
  readonly url?: string;
  /** Where it came from, for --verbose and errors. */
  readonly from: string;
}

export interface StsEndpointInput {
  readonly stsUrl?: string;
  readonly env: NodeJS.ProcessEnv;
  readonly profileName?: string;
  readonly profile?: Section;
  readonly config: SharedFile;
  /** --role-arn: may fall back to the running local gateway's STS. */
  readonly gateway?: RunningGateway;
  readonly targetUrl?: URL;
  readonly region: string;
}

export function resolveStsEndpoint(input: StsEndpointInput): StsEndpoint {
  const { env } = input;
  if (input.stsUrl !== undefined) return { url: parseHttpUrl(input.stsUrl, '--sts-url').href.replace(/\/$/, ''), from: '--sts-url' };
  // The environment's setting, else the profile's, as the SDKs read it.
  const ignore = (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? input.profile?.ignore_configured_endpoint_urls ?? '').toLowerCase() === 'true';
  if (!ignore) {
    for (const name of ['AWS_ENDPOINT_URL_STS', 'AWS_ENDPOINT_URL']) {
      const value = env[name];
      if (value) return { url: parseHttpUrl(value, name).href.replace(/\/$/, ''), from: name };
    }
    const fromProfile = profileStsEndpoint(input.profile, input.config);
    if (fromProfile) return { url: parseHttpUrl(fromProfile, `endpoint_url of profile ${input.profileName}`).href.replace(/\/$/, ''), from: `endpoint_url of profile ${input.profileName} in ${input.config.file}` };
  }
  const { gateway, targetUrl } = input;
  if (gateway?.stsUrl && targetUrl && new URL(gateway.url).origin === targetUrl.origin) {
    return { url: gateway.stsUrl, from: `the running local gateway's STS, stack ${gateway.stack}` };
  }
  return { from: `AWS, https://sts.${input.region}.amazonaws.com` };
}

/** "http://127.0.0.1:3001 (from --sts-url)", or AWS's endpoint. */
export function describeStsEndpoint(endpoint: StsEndpoint): string {
  return endpoint.url ? `${endpoint.url} (${endpoint.from})` : endpoint.from;
}
