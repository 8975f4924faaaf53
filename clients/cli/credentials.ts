/**
 * Which credentials sign the request: the AWS SDK's own provider chain
 * (@aws-sdk/credential-providers fromNodeProviderChain), so the CLI finds what the AWS CLI and
 * SDKs find: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN); a profile of the
 * shared config and credentials files with static keys, role_arn + source_profile or
 * credential_source, credential_process, IAM Identity Center (SSO), a web identity token file;
 * AWS_WEB_IDENTITY_TOKEN_FILE; container and EC2 instance metadata.
 *
 * The profile is --profile, else AWS_PROFILE (either one skips the environment's keys, as the
 * SDK does), else `default` after the environment's keys. What the CLI adds around the chain:
 *  - The local gateway's credentials file is searched too: the credentials file handed to the
 *    SDK is the first of AWS_SHARED_CREDENTIALS_FILE, the local gateway's file and
 *    ~/.aws/credentials that holds the profile (or, for a role profile of the config file, its
 *    source_profile).
 *  - A named profile that exists nowhere is an error at once (as the AWS CLI's "The config
 *    profile (x) could not be found"), listing every file and the profiles they have; the
 *    SDK's chain would go on to the instance metadata service instead.
 *  - A role profile's STS endpoint is resolved by sts-endpoint.ts and given to the SDK.
 *  - Errors name what was tried; no secret is ever in a message.
 *  - Static keys (the environment's, or a profile's aws_access_key_id/aws_secret_access_key)
 *    are read here, exactly as the SDK's fromEnv/fromIni read them, and the SDK is loaded only
 *    for every other kind: loading it costs about 60 ms, a quarter of a warm call.
 */
import * as path from 'node:path';
import { configFilePath, configProfiles, credentialsProfiles, mergedProfile, profileKind, readSharedFile, type ProfileKind, type Section, type SharedFile } from './aws-config';
import { CliError, EXIT } from './errors';
import { describeStsEndpoint, resolveStsEndpoint, type StsEndpoint } from './sts-endpoint';

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
  /** Where they came from, for --verbose and error hints; never the secret. */
  readonly source: string;
  /** The credentials these were obtained with (--role-arn), whose secrets are scrubbed too. */
  readonly via?: Credentials;
}

export interface CredentialSources {
  /** --profile, when given. */
  readonly profile?: string;
  readonly env: NodeJS.ProcessEnv;
  /** The local gateway's credentials file. */
  readonly localFile: string;
  readonly home: string;
  /** The region STS is called in when a profile assumes a role (the profile's own `region` wins). */
  readonly region: string;
  /** --sts-url. */
  readonly stsUrl?: string;
  /** One line for the user (stderr), e.g. that AWS_PROFILE hides the environment's keys. */
  readonly warn?: (line: string) => void;
}

interface CandidateFile extends SharedFile {
  /** Why this file is searched, shown after its path; empty for ~/.aws/credentials. */
  readonly label: string;
}

/** The profile the chain will use and the files it is looked up in. */
export interface ProfileContext {
  readonly name: string;
  /** Why this name, e.g. "from --profile". */
  readonly why: string;
  /** True when named by --profile or AWS_PROFILE (the environment's keys are then skipped). */
  readonly explicit: boolean;
  readonly config: SharedFile;
  /** "AWS_CONFIG_FILE" when that names it, else empty (~/.aws/config). */
  readonly configLabel: string;
  readonly candidates: readonly CandidateFile[];
  /** The credentials file handed to the SDK. */
  readonly credentialsFile?: CandidateFile;
  /** The profile, merged as the SDK sees it; undefined when it exists nowhere. */
  readonly profile?: Section;
}

function candidateFiles(sources: CredentialSources): CandidateFile[] {
  const files: Array<{ file: string; label: string }> = [];
  if (sources.env.AWS_SHARED_CREDENTIALS_FILE) files.push({ file: path.resolve(sources.env.AWS_SHARED_CREDENTIALS_FILE), label: 'AWS_SHARED_CREDENTIALS_FILE' });
  files.push({ file: sources.localFile, label: 'local gateway keys' });
  files.push({ file: path.join(sources.home, '.aws', 'credentials'), label: '' });
  return files
    .filter((candidate, i) => files.findIndex((other) => other.file === candidate.file) === i)
    .map(({ file, label }) => ({ ...readSharedFile(file), label }));
}

/** The profile and, following role_arn's source_profile through the config file, the profiles it needs. */
function profileChain(name: string, config: SharedFile): string[] {
  const chain = [name];
  const profiles = configProfiles(config);
  for (let next = profiles.get(name)?.source_profile; next && !chain.includes(next); next = profiles.get(next)?.source_profile) chain.push(next);
  return chain;
}

export function profileContext(sources: CredentialSources): ProfileContext {
  const { env } = sources;
  const [name, why] = sources.profile ? [sources.profile, 'from --profile'] : env.AWS_PROFILE ? [env.AWS_PROFILE, 'from AWS_PROFILE'] : ['default', 'no --profile given, AWS_PROFILE not set'];
  const config = readSharedFile(configFilePath(env, sources.home));
  const candidates = candidateFiles(sources);
  const chain = profileChain(name, config);
  const credentialsFile = candidates.find((candidate) => chain.some((needed) => candidate.sections?.has(needed)));
  return { name, why, explicit: Boolean(sources.profile || env.AWS_PROFILE), config, configLabel: env.AWS_CONFIG_FILE ? 'AWS_CONFIG_FILE' : '', candidates, credentialsFile, profile: mergedProfile(name, config, credentialsFile) };
}

function where(file: CandidateFile | SharedFile, label: string): string {
  return label ? `${file.file} (${label})` : file.file;
}

/** "No credentials found" with every file searched for the profile and the profiles each has. */
function notFound(context: ProfileContext, tried: string[], after: string[] = []): CliError {
  const available = new Set<string>();
  const misses: string[] = [];
  const files: Array<{ file: SharedFile; label: string; profiles?: Map<string, Section> }> = [
    ...context.candidates.map((candidate) => ({ file: candidate, label: candidate.label, profiles: candidate.sections && credentialsProfiles(candidate) })),
    { file: context.config, label: context.configLabel, profiles: context.config.sections && configProfiles(context.config) },
  ];
  for (const { file, label, profiles } of files) {
    if (!profiles) {
      misses.push(`    ${where(file, label)}: ${file.error}`);
      continue;
    }
    const names = [...profiles.keys()];
    names.forEach((name) => available.add(name));
    misses.push(`    ${where(file, label)}: no profile "${context.name}"${names.length ? `; it has ${names.join(', ')}` : ''}`);
  }
  const choose = available.size
    ? `Pass --profile NAME with one of: ${[...available].join(', ')} (or set AWS_PROFILE)`
    : 'Pass --profile NAME or set AWS_PROFILE (`npm start` creates the local gateway\'s profiles)';
  return new CliError(['No credentials found. Tried:', ...tried, `  profile "${context.name}" (${context.why}) in:`, ...misses, ...after, `${choose}, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.`].join('\n'));
}

/** Where a static profile's keys are: the credentials file when it has them, else the config file. */
function staticFile(context: ProfileContext): string {
  const inCredentials = context.credentialsFile?.sections?.get(context.name);
  return inCredentials?.aws_access_key_id ? context.credentialsFile!.file : context.config.file;
}

type Attributed = { readonly $source?: Readonly<Record<string, string>> };

/** Which provider of the chain answered, in words (the SDK marks credentials with $source features). */
function describeSource(features: Readonly<Record<string, string>>, context: ProfileContext, kind: ProfileKind | undefined, sts: StsEndpoint | undefined, env: NodeJS.ProcessEnv): string {
  if (features.CREDENTIALS_ENV_VARS) return 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY';
  if (features.CREDENTIALS_ENV_VARS_STS_WEB_ID_TOKEN) return `web identity: role ${env.AWS_ROLE_ARN} assumed with the token in AWS_WEB_IDENTITY_TOKEN_FILE`;
  if (features.CREDENTIALS_HTTP) return 'container credentials (AWS_CONTAINER_CREDENTIALS_*_URI)';
  if (features.CREDENTIALS_IMDS) return 'EC2 instance metadata';
  const profile = context.profile ?? {};
  const name = `profile ${context.name}`;
  switch (kind) {
    case 'static':
      return `${name} from ${staticFile(context)}`;
    case 'assume-role': {
      const source = profile.source_profile ? `source_profile ${profile.source_profile}` : `credential_source ${profile.credential_source}`;
      return `${name}: role ${profile.role_arn} assumed at ${sts ? describeStsEndpoint(sts) : 'STS'} with ${source}`;
    }
    case 'process':
      return `${name}: credential_process`;
    case 'web-identity':
      return `${name}: role ${profile.role_arn} assumed with web_identity_token_file`;
    case 'sso':
      return `${name}: IAM Identity Center (SSO)`;
    case 'login':
      return `${name}: console login session`;
    default:
      return name;
  }
}

/** The SDK's error for a profile that could not give credentials, in this tool's words. */
function profileFailed(error: unknown, context: ProfileContext, kind: ProfileKind, sts: StsEndpoint | undefined): CliError {
  const { name, message, code } = error as { name?: string; message?: string; code?: string };
  const profile = context.profile ?? {};
  if (kind === 'assume-role') {
    const at = sts ? describeStsEndpoint(sts) : 'STS';
    const prefix = `Profile "${context.name}" could not assume role ${profile.role_arn} at ${at}`;
    const unreachable: Record<string, string> = { ECONNREFUSED: 'connection refused', ENOTFOUND: 'host not found', EAI_AGAIN: 'host not found', ETIMEDOUT: 'connection timed out', ECONNRESET: 'connection reset' };
    if (code && unreachable[code]) {
      return new CliError(`${prefix}: ${unreachable[code]}. Is \`npm start\` running (its banner shows the local STS)? Or point the profile's endpoint_url, AWS_ENDPOINT_URL_STS or --sts-url at a running STS.`, EXIT.unreachable);
    }
    const local = sts?.url && /^https?:\/\/(127\.|localhost|\[::1\])/.test(sts.url);
    const todo = local ? 'iam-http-api keys lists the local roles and who may assume each.' : 'For the local gateway\'s roles, set endpoint_url in the profile (or AWS_ENDPOINT_URL_STS, or --sts-url) to the local STS.';
    return new CliError(`${prefix}: ${name && name !== 'Error' ? `${name}: ` : ''}${message}\n${todo}`);
  }
  return new CliError(`Profile "${context.name}" (${kind}) gave no credentials: ${message ?? String(error)}`);
}

/** What the chain tried after the profile (@aws-sdk/credential-provider-node's order), in words. */
function remoteTried(env: NodeJS.ProcessEnv, error: unknown): string[] {
  if (env.AWS_WEB_IDENTITY_TOKEN_FILE) return [`  AWS_WEB_IDENTITY_TOKEN_FILE (role ${env.AWS_ROLE_ARN ?? 'AWS_ROLE_ARN not set'}): ${(error as Error).message}`];
  const container = env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
  const imdsOff = env.AWS_EC2_METADATA_DISABLED && env.AWS_EC2_METADATA_DISABLED !== 'false';
  return [
    '  AWS_WEB_IDENTITY_TOKEN_FILE: not set',
    container
      ? `  container credentials (AWS_CONTAINER_CREDENTIALS_*_URI): none (${(error as Error).message})`
      : `  container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI): not set`,
    ...(container ? [] : [`  EC2 instance metadata: ${imdsOff ? 'off (AWS_EC2_METADATA_DISABLED)' : 'none (not on EC2, or no instance profile)'}`]),
  ];
}

const SILENT_LOGGER = { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export async function resolveCredentials(sources: CredentialSources, context = profileContext(sources)): Promise<Credentials> {
  const { env } = sources;
  const id = env.AWS_ACCESS_KEY_ID;
  const secret = env.AWS_SECRET_ACCESS_KEY;
  if (!context.explicit && (id || secret) && !(id && secret)) {
    const [set, unset] = id ? ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] : ['AWS_SECRET_ACCESS_KEY', 'AWS_ACCESS_KEY_ID'];
    throw new CliError(`${set} is set but ${unset} is not: set both, or unset ${set} to use a profile.`);
  }
  const useEnv = !context.explicit && Boolean(id && secret);
  if (!sources.profile && env.AWS_PROFILE && id && secret) {
    sources.warn?.(`Note: AWS_PROFILE=${env.AWS_PROFILE} is set, so AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not used (as in the AWS SDKs); unset one of them.`);
  }
  if (context.explicit && !context.profile) throw notFound(context, []);

  const kind = !useEnv && context.profile ? profileKind(context.profile) : undefined;
  if (kind === 'incomplete') {
    throw new CliError(
      `Profile "${context.name}" has no credentials: it needs aws_access_key_id and aws_secret_access_key, role_arn with source_profile or credential_source, ` +
        'credential_process, role_arn with web_identity_token_file, or sso_* settings (searched: ' +
        `${[context.credentialsFile?.file, context.config.file].filter(Boolean).join(', ')}).`,
    );
  }
  // The STS endpoint for a role profile or a web identity from the environment; not for SSO,
  // whose client would get it too (@aws-sdk/credential-provider-ini passes clientConfig on).
  const assumes = kind === 'assume-role' || (kind === undefined && !useEnv && Boolean(env.AWS_WEB_IDENTITY_TOKEN_FILE));
  const chainHasSso = profileChain(context.name, context.config).some((name) => {
    const profile = mergedProfile(name, context.config, context.credentialsFile);
    return profile !== undefined && profileKind(profile) === 'sso';
  });
  const sts = assumes && !chainHasSso
    ? resolveStsEndpoint({ stsUrl: sources.stsUrl, env, profileName: context.name, profile: context.profile, config: context.config, region: sources.region })
    : undefined;

  if (useEnv) {
    // @aws-sdk/credential-provider-env's fromEnv.
    const parsed = env.AWS_CREDENTIAL_EXPIRATION ? new Date(env.AWS_CREDENTIAL_EXPIRATION) : undefined;
    const expiration = parsed && !Number.isNaN(parsed.getTime()) ? parsed : undefined;
    return { accessKeyId: id!, secretAccessKey: secret!, sessionToken: env.AWS_SESSION_TOKEN || undefined, expiration, source: describeSource({ CREDENTIALS_ENV_VARS: 'g' }, context, kind, undefined, env) };
  }
  if (kind === 'static') {
    // @aws-sdk/credential-provider-ini's resolveStaticCredentials.
    const profile = context.profile!;
    return { accessKeyId: profile.aws_access_key_id, secretAccessKey: profile.aws_secret_access_key, sessionToken: profile.aws_session_token || undefined, source: describeSource({ CREDENTIALS_PROFILE: 'n' }, context, kind, undefined, env) };
  }

  const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
  const provider = fromNodeProviderChain({
    ...(context.explicit ? { profile: context.name } : {}),
    ...(context.credentialsFile ? { filepath: context.credentialsFile.file } : {}),
    configFilepath: context.config.file,
    ...(sts?.url ? { clientConfig: { endpoint: sts.url } } : {}),
    parentClientConfig: { region: sources.region },
    logger: SILENT_LOGGER,
  });
  let resolved: Awaited<ReturnType<typeof provider>>;
  try {
    resolved = await provider();
  } catch (error) {
    if (kind) throw profileFailed(error, context, kind, sts);
    throw notFound(context, ['  AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: not set'], remoteTried(env, error));
  }
  const features = (resolved as Attributed).$source ?? {};
  return {
    accessKeyId: resolved.accessKeyId,
    secretAccessKey: resolved.secretAccessKey,
    sessionToken: resolved.sessionToken || undefined,
    expiration: resolved.expiration,
    source: describeSource(features, context, kind, sts, env),
  };
}
