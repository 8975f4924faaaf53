/**
 * Local invoker credentials: `.iam-http-api/credentials`, in the AWS shared-credentials INI
 * format (one profile per user invoker, and one per other AWS account a role trusts,
 * `account-<id>`: account-identities.ts), mode 0600, created on first start and kept across
 * restarts. Key ids look like AWS's (`AKIA` + 16 upper-case letters and digits); secrets are
 * 40 characters from the CSPRNG. Nothing here prints a secret.
 */
import { randomBytes, randomInt } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface InvokerKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export type Profiles = Map<string, Record<string, string>>;

const KEY_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const HEADER = [
  '# Local invoker credentials for the iam-http-api local gateway (npm start).',
  '# They are accepted only by the local gateway, never by AWS. Keep this file private.',
];

export function credentialsPath(root: string): string {
  return path.join(root, '.iam-http-api', 'credentials');
}

/** A new access key id: `AKIA` + 16 characters from A–Z and 0–9. */
export function newAccessKeyId(): string {
  return 'AKIA' + Array.from({ length: 16 }, () => KEY_ID_ALPHABET[randomInt(KEY_ID_ALPHABET.length)]).join('');
}

/** A new secret access key: 40 base64 characters (30 random bytes), as AWS's look. */
export function newSecretAccessKey(): string {
  return randomBytes(30).toString('base64');
}

/** The credentials file cannot be used as it is; the message names it and says what to do. */
export class CredentialsFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialsFileError';
  }
}

const FIX = 'fix that line, or delete the file to get new keys (npm start never overwrites a credentials file it cannot read)';

/**
 * Parses an AWS shared-credentials file: `[profile]` sections of `key = value` (or `key: value`)
 * lines, `#` and `;` comment lines, blank lines. Anything else, a key outside a section, a
 * profile or a key given twice (which AWS's own readers refuse too), is a CredentialsFileError
 * naming `file` and the line; the line itself is never quoted, as it may hold a secret. Keys
 * are lower-cased as AWS's readers do.
 */
export function parseIni(text: string, file = 'credentials file'): Profiles {
  const profiles: Profiles = new Map();
  const firstSeen = new Map<string, number>();
  let current: { name: string; values: Record<string, string> } | undefined;
  text.replace(/^\uFEFF/, '').split(/\r?\n/).forEach((raw, i) => {
    const at = `${file}, line ${i + 1}`;
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    if (line.startsWith('[')) {
      const section = /^\[\s*([^\]\s](?:[^\]]*[^\]\s])?)\s*\]$/.exec(line);
      if (!section) throw new CredentialsFileError(`${at}: not a [profile] header; ${FIX}`);
      const name = section[1];
      const first = firstSeen.get(`[${name}]`);
      if (first !== undefined) throw new CredentialsFileError(`${at}: [${name}] appears a second time (first on line ${first}); ${FIX}`);
      firstSeen.set(`[${name}]`, i + 1);
      current = { name, values: {} };
      profiles.set(name, current.values);
      return;
    }
    const delimiter = /[=:]/.exec(line);
    if (!delimiter || delimiter.index === 0) throw new CredentialsFileError(`${at}: expected [profile], key = value, or a # or ; comment; ${FIX}`);
    const key = line.slice(0, delimiter.index).trim().toLowerCase();
    if (!current) throw new CredentialsFileError(`${at}: a key = value line before any [profile] header; ${FIX}`);
    const first = firstSeen.get(`[${current.name}] ${key}`);
    // Only a key that looks like one is named: whatever precedes = on a broken line may be a secret.
    const shown = /^[a-z0-9_.-]{1,64}$/.test(key) ? key : 'a key';
    if (first !== undefined) throw new CredentialsFileError(`${at}: ${shown} is set a second time in [${current.name}] (first on line ${first}); ${FIX}`);
    firstSeen.set(`[${current.name}] ${key}`, i + 1);
    current.values[key] = line.slice(delimiter.index + 1).trim();
  });
  return profiles;
}

/**
 * The credentials file's text, undefined when there is none. Opened without following a
 * symbolic link (a link is refused: keys are read, chmodded and written only in a regular
 * file), and tightened to 0600 through the open descriptor when others may read it.
 */
function readCredentialsFile(file: string): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP' || fs.lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink()) {
      throw new CredentialsFileError(`${file} is a symbolic link; npm start keeps its keys only in a regular file and does not follow links: replace the link with a regular file, or delete it to get new keys`);
    }
    throw new CredentialsFileError(`${file} cannot be read (${code ?? String(error)}); npm start keeps its keys there: make it readable, or point IAM_HTTP_API_CREDENTIALS at another path`);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) {
      throw new CredentialsFileError(`${file} is not a regular file${stat.isDirectory() ? ' (it is a folder)' : ''}; npm start keeps its keys in a regular file there: move it away, or point IAM_HTTP_API_CREDENTIALS at another path`);
    }
    // An existing file may have been created with looser permissions: tighten it.
    if ((stat.mode & 0o077) !== 0) fs.fchmodSync(fd, 0o600);
    const bytes = fs.readFileSync(fd);
    const text = bytes.toString('utf8');
    if (!Buffer.from(text, 'utf8').equals(bytes)) {
      const line = text.slice(0, text.indexOf('\uFFFD')).split('\n').length;
      throw new CredentialsFileError(`${file}, line ${line}: not UTF-8 text; ${FIX}`);
    }
    return text;
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes `text` to `file` atomically (a new 0600 file renamed over it), never through a link. */
function writeCredentialsFile(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  fs.rmSync(temp, { force: true });
  // 'wx': O_CREAT | O_EXCL, which never follows a link left at the temporary name.
  fs.writeFileSync(temp, text, { mode: 0o600, flag: 'wx' });
  try {
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
}

function formatIni(profiles: Profiles): string {
  const sections = [...profiles].map(([name, values]) =>
    [`[${name}]`, ...Object.entries(values).map(([k, v]) => `${k} = ${v}`)].join('\n'),
  );
  return `${HEADER.join('\n')}\n\n${sections.join('\n\n')}\n`;
}

/**
 * Returns a key for every invoker in `names`, reading the file and adding (then writing, mode
 * 0600) only the profiles that are missing or incomplete. Other profiles are kept as they are.
 * A file that cannot be parsed, a symbolic link, or anything but a regular file is a
 * CredentialsFileError, and the file is left as it is.
 */
export function ensureInvokerKeys(file: string, names: readonly string[]): Map<string, InvokerKey> {
  const text = readCredentialsFile(file);
  const profiles = text === undefined ? new Map<string, Record<string, string>>() : parseIni(text, file);
  let changed = text === undefined;
  const keys = new Map<string, InvokerKey>();
  for (const name of names) {
    const profile = profiles.get(name) ?? {};
    if (!profile.aws_access_key_id || !profile.aws_secret_access_key) {
      profile.aws_access_key_id = newAccessKeyId();
      profile.aws_secret_access_key = newSecretAccessKey();
      profiles.set(name, profile);
      changed = true;
    }
    keys.set(name, { accessKeyId: profile.aws_access_key_id, secretAccessKey: profile.aws_secret_access_key });
  }
  if (changed) writeCredentialsFile(file, formatIni(profiles));
  return keys;
}
