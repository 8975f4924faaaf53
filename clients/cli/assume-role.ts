/**
 * `call --role-arn ARN`: assumes a role for one call with the AWS SDK's
 * fromTemporaryCredentials (STS AssumeRole), signed with the credentials the chain resolved
 * (credentials.ts), at the endpoint sts-endpoint.ts chose. The session's credentials sign the
 * request; they are kept in memory only and never printed.
 *
 * Parameters as AWS's AssumeRole takes them
 * (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html): RoleSessionName
 * (2-64 characters of [\w+=,.@-]; default `iam-http-api-<seconds since 1970>`), ExternalId,
 * DurationSeconds (900 to 43200, and at most the role's maximum session duration; STS says
 * when it is over).
 */
import type { Credentials } from './credentials';
import { CliError, EXIT } from './errors';
import { describeStsEndpoint, type StsEndpoint } from './sts-endpoint';

export interface RoleRequest {
  readonly roleArn: string;
  readonly sessionName?: string;
  readonly externalId?: string;
  readonly durationSeconds?: number;
}

export function defaultSessionName(now = Date.now()): string {
  return `iam-http-api-${Math.floor(now / 1000)}`;
}

export async function assumeRole(base: Credentials, role: RoleRequest, sts: StsEndpoint, region: string): Promise<Credentials> {
  const sessionName = role.sessionName ?? defaultSessionName();
  // Loaded when used: it costs about 60 ms, which a call without a role does not pay.
  const { fromTemporaryCredentials } = await import('@aws-sdk/credential-providers');
  const provider = fromTemporaryCredentials({
    masterCredentials: { accessKeyId: base.accessKeyId, secretAccessKey: base.secretAccessKey, sessionToken: base.sessionToken },
    params: {
      RoleArn: role.roleArn,
      RoleSessionName: sessionName,
      ...(role.externalId !== undefined ? { ExternalId: role.externalId } : {}),
      ...(role.durationSeconds !== undefined ? { DurationSeconds: role.durationSeconds } : {}),
    },
    clientConfig: { region, ...(sts.url ? { endpoint: sts.url } : {}) },
  });
  try {
    const session = await provider();
    return {
      accessKeyId: session.accessKeyId,
      secretAccessKey: session.secretAccessKey,
      sessionToken: session.sessionToken,
      expiration: session.expiration,
      source: `role ${role.roleArn}, session ${sessionName}, assumed at ${describeStsEndpoint(sts)} as ${base.accessKeyId} (${base.source})`,
      via: base,
    };
  } catch (error) {
    const { name, message, code } = error as { name?: string; message?: string; code?: string };
    const prefix = `Could not assume role ${role.roleArn} at ${describeStsEndpoint(sts)} as ${base.accessKeyId} (${base.source})`;
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      const why = code === 'ECONNREFUSED' ? 'connection refused' : 'host not found';
      throw new CliError(`${prefix}: ${why}. Is \`npm start\` running (its banner shows the local STS)? Or pass --sts-url URL.`, EXIT.unreachable);
    }
    const local = sts.url !== undefined && /^https?:\/\/(127\.|localhost|\[::1\])/.test(sts.url);
    const todo = local ? 'iam-http-api keys lists the local roles and who may assume each.' : 'For the local gateway\'s roles, call STS there: --sts-url, AWS_ENDPOINT_URL_STS, or call the running local gateway.';
    throw new CliError(`${prefix}: ${name && name !== 'Error' ? `${name}: ` : ''}${message}\n${todo}`);
  }
}
