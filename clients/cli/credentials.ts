/**
 * Which keys sign the request, first found:
 *   1. --profile NAME (an explicit flag beats the environment, as with the AWS CLI);
 *   2. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN);
 *   3. AWS_PROFILE, else the profile "default" (as AWS tools do).
 * A profile is looked up in AWS_SHARED_CREDENTIALS_FILE, the local gateway's credentials
 * file, then ~/.aws/credentials; the first file that has it wins. Only static keys: SSO,
 * role and credential_process profiles (in ~/.aws/config) are not read. When nothing is
 * found, the error lists everything that was tried and the profiles that exist.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseIni } from '../../src/gateway/credentials';
import { CliError } from './errors';

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  /** Where they came from, for --verbose and error hints; never the secret. */
  readonly source: string;
}

export interface CredentialSources {
  /** --profile, when given. */
  readonly profile?: string;
  readonly env: NodeJS.ProcessEnv;
  /** The local gateway's credentials file. */
  readonly localFile: string;
  readonly home: string;
}

interface CandidateFile {
  readonly file: string;
  /** Why this file is searched, shown after its path; empty for ~/.aws/credentials. */
  readonly label: string;
}

function candidateFiles(sources: CredentialSources): CandidateFile[] {
  const files: CandidateFile[] = [];
  if (sources.env.AWS_SHARED_CREDENTIALS_FILE) files.push({ file: path.resolve(sources.env.AWS_SHARED_CREDENTIALS_FILE), label: 'AWS_SHARED_CREDENTIALS_FILE' });
  files.push({ file: sources.localFile, label: 'local gateway keys' });
  files.push({ file: path.join(sources.home, '.aws', 'credentials'), label: '' });
  return files.filter((candidate, i) => files.findIndex((other) => other.file === candidate.file) === i);
}

function fromProfile(profile: string, why: string, sources: CredentialSources, tried: string[]): Credentials {
  const available = new Set<string>();
  const misses: string[] = [];
  for (const { file, label } of candidateFiles(sources)) {
    const where = label ? `${file} (${label})` : file;
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      misses.push(`    ${where}: ${code === 'ENOENT' ? 'no such file' : `cannot read it (${code})`}`);
      continue;
    }
    const profiles = parseIni(text);
    const values = profiles.get(profile);
    if (values) {
      const { aws_access_key_id: accessKeyId, aws_secret_access_key: secretAccessKey, aws_session_token: sessionToken } = values;
      if (!accessKeyId || !secretAccessKey) {
        throw new CliError(
          `Profile "${profile}" in ${file} has no aws_access_key_id and aws_secret_access_key; only static keys are supported. ` +
            `For an SSO or role profile, export keys first: eval "$(aws configure export-credentials --profile ${profile} --format env)"`,
        );
      }
      return { accessKeyId, secretAccessKey, sessionToken: sessionToken || undefined, source: `profile ${profile} from ${file}` };
    }
    const names = [...profiles.keys()];
    names.forEach((name) => available.add(name));
    misses.push(`    ${where}: no profile "${profile}"${names.length ? `; it has ${names.join(', ')}` : ''}`);
  }
  const choose = available.size
    ? `Pass --profile NAME with one of: ${[...available].join(', ')} (or set AWS_PROFILE)`
    : 'Pass --profile NAME or set AWS_PROFILE (`npm start` creates the local gateway\'s profiles)';
  throw new CliError(['No credentials found. Tried:', ...tried, `  profile "${profile}" (${why}) in:`, ...misses, `${choose}, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.`].join('\n'));
}

export function resolveCredentials(sources: CredentialSources): Credentials {
  const { env } = sources;
  if (sources.profile) return fromProfile(sources.profile, 'from --profile', sources, []);
  const id = env.AWS_ACCESS_KEY_ID;
  const secret = env.AWS_SECRET_ACCESS_KEY;
  if (id && secret) return { accessKeyId: id, secretAccessKey: secret, sessionToken: env.AWS_SESSION_TOKEN || undefined, source: 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY' };
  if (id || secret) {
    const [set, unset] = id ? ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] : ['AWS_SECRET_ACCESS_KEY', 'AWS_ACCESS_KEY_ID'];
    throw new CliError(`${set} is set but ${unset} is not: set both, or unset ${set} to use a profile.`);
  }
  const tried = ['  AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: not set'];
  if (env.AWS_PROFILE) return fromProfile(env.AWS_PROFILE, 'from AWS_PROFILE', sources, tried);
  return fromProfile('default', 'no --profile given, AWS_PROFILE not set', sources, tried);
}
