/**
 * Local invoker credentials: `.iam-http-api/credentials`, in the AWS shared-credentials INI
 * format (one profile per invoker), mode 0600, created on first start and kept across
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

/** Parses an AWS shared-credentials file: `[profile]` sections of `key = value` lines. */
export function parseIni(text: string): Profiles {
  const profiles: Profiles = new Map();
  let current: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[\s*([^\]]+?)\s*\]$/.exec(line);
    if (section) {
      current = profiles.get(section[1]) ?? {};
      profiles.set(section[1], current);
      continue;
    }
    const eq = line.indexOf('=');
    if (current && eq > 0) current[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return profiles;
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
 */
export function ensureInvokerKeys(file: string, names: readonly string[]): Map<string, InvokerKey> {
  const profiles = fs.existsSync(file) ? parseIni(fs.readFileSync(file, 'utf8')) : new Map<string, Record<string, string>>();
  let changed = false;
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
  if (changed || !fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const temp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temp, formatIni(profiles), { mode: 0o600 });
    fs.renameSync(temp, file);
  }
  // An existing file may have been created with looser permissions: tighten it.
  fs.chmodSync(file, 0o600);
  return keys;
}
