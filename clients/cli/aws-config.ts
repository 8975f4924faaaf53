/**
 * Reads the AWS shared config and credentials files the way the AWS SDKs do, for the
 * decisions the CLI makes before the SDK's provider chain runs: which credentials file holds a
 * profile, what kind of profile it is, and its STS endpoint. Lenient, as the SDKs are (a user's
 * ~/.aws/config is not ours to reject): unknown lines are skipped.
 *
 * Layout (https://docs.aws.amazon.com/sdkref/latest/guide/file-format.html): in the config
 * file a profile is `[profile NAME]` (or `[default]`), `[services NAME]` holds per-service
 * sub-sections (`sts =` then indented `endpoint_url = ...`, read here as `sts.endpoint_url`);
 * in the credentials file a profile is `[NAME]`. Values of the credentials file win over the
 * config file's for the same profile (as @aws-sdk/credential-provider-ini merges them).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export type Section = Readonly<Record<string, string>>;

export interface SharedFile {
  readonly file: string;
  /** Undefined when the file could not be read; `error` says why. */
  readonly sections?: ReadonlyMap<string, Section>;
  readonly error?: string;
}

/** Sections by their header as written (`profile x`, `default`, `services y`, `x`). */
export function parseSharedIni(text: string): Map<string, Record<string, string>> {
  const sections = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  let parent: string | undefined;
  for (const raw of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[\s*([^\]]*?)\s*\]$/.exec(line);
    if (header) {
      const name = header[1].replace(/\s+/g, ' ');
      current = sections.get(name) ?? {};
      sections.set(name, current);
      parent = undefined;
      continue;
    }
    const eq = line.indexOf('=');
    if (!current || eq <= 0) continue;
    const key = line.slice(0, eq).trim().toLowerCase();
    const value = line.slice(eq + 1).trim();
    const indented = /^\s/.test(raw);
    if (indented && parent !== undefined) {
      current[`${parent}.${key}`] = value;
    } else if (value === '') {
      parent = key;
    } else {
      parent = undefined;
      current[key] = value;
    }
  }
  return sections;
}

export function readSharedFile(file: string): SharedFile {
  try {
    return { file, sections: parseSharedIni(fs.readFileSync(file, 'utf8')) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { file, error: code === 'ENOENT' ? 'no such file' : `cannot read it (${code})` };
  }
}

/** The config file: AWS_CONFIG_FILE, else ~/.aws/config. */
export function configFilePath(env: NodeJS.ProcessEnv, home: string): string {
  return env.AWS_CONFIG_FILE ? path.resolve(env.AWS_CONFIG_FILE) : path.join(home, '.aws', 'config');
}

/** The profiles of a config file, by name (`[profile x]` → x, `[default]` → default). */
export function configProfiles(config: SharedFile): Map<string, Section> {
  const profiles = new Map<string, Section>();
  for (const [header, values] of config.sections ?? []) {
    if (header === 'default') profiles.set('default', { ...profiles.get('default'), ...values });
    const named = /^profile (.+)$/.exec(header)?.[1];
    if (named) profiles.set(named, { ...profiles.get(named), ...values });
  }
  return profiles;
}

/** The profiles of a credentials file, by name (every section is one). */
export function credentialsProfiles(credentials: SharedFile): Map<string, Section> {
  return new Map(credentials.sections ?? []);
}

/** One profile as the SDK sees it: the config file's values overridden by the credentials file's. */
export function mergedProfile(name: string, config: SharedFile, credentials: SharedFile | undefined): Section | undefined {
  const fromConfig = configProfiles(config).get(name);
  const fromCredentials = credentials && credentialsProfiles(credentials).get(name);
  return fromConfig || fromCredentials ? { ...fromConfig, ...fromCredentials } : undefined;
}

export type ProfileKind = 'static' | 'assume-role' | 'web-identity' | 'process' | 'sso' | 'login' | 'incomplete';

/** What @aws-sdk/credential-provider-ini would do with the profile (its resolveProfileData order). */
export function profileKind(profile: Section): ProfileKind {
  if (profile.role_arn && (profile.source_profile || profile.credential_source)) return 'assume-role';
  if (profile.aws_access_key_id && profile.aws_secret_access_key) return 'static';
  if (profile.role_arn && profile.web_identity_token_file) return 'web-identity';
  if (profile.credential_process) return 'process';
  if (profile.sso_start_url || profile.sso_account_id || profile.sso_session || profile.sso_region || profile.sso_role_name) return 'sso';
  if (profile.login_session) return 'login';
  return 'incomplete';
}

/**
 * The STS endpoint a profile configures: `sts.endpoint_url` of its `[services NAME]` section,
 * else its own `endpoint_url`; none when `ignore_configured_endpoint_urls` is true.
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
 */
export function profileStsEndpoint(profile: Section | undefined, config: SharedFile): string | undefined {
  if (!profile || profile.ignore_configured_endpoint_urls?.toLowerCase() === 'true') return undefined;
  const services = profile.services ? config.sections?.get(`services ${profile.services}`) : undefined;
  return services?.['sts.endpoint_url'] || profile.endpoint_url || undefined;
}
