/**
 * Temporary credentials of the local STS: an `ASIA…` access key id, a secret access key and a
 * session token. The token is self-contained: the session's claims (a role session's role,
 * session name, times, session policies, tags, source identity; a user session's user and
 * times) and its secret access key, sealed with AES-256-GCM
 * under a 32-byte key kept beside the credentials file (`session-key`, mode 0600, in the
 * git-ignored `.iam-http-api/`). So the gateway needs no session store: it opens the token to
 * recover the secret it verifies the signature with, and GCM's tag proves the token was issued
 * under this key and not altered. The access key id is bound as additional authenticated data.
 *
 * Nothing here prints a secret or a token.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomInt } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PolicyDocument } from '../iam/principal';

/**
 * What a session is: the claims sealed into its token. Two kinds: a role session (AssumeRole,
 * AssumeRoleWithWebIdentity) and an IAM user's own session (GetSessionToken). Tokens minted
 * before `kind` existed have none and are role sessions.
 */
export type SessionClaims = RoleSessionClaims | UserSessionClaims;

/** A session of a role (AssumeRole*). */
export interface RoleSessionClaims {
  /** Absent in tokens minted before user sessions existed: those are role sessions too. */
  readonly kind?: 'role';
  readonly roleArn: string;
  readonly sessionName: string;
  /** ms since the epoch. */
  readonly issuedAt: number;
  /** ms since the epoch. */
  readonly expiresAt: number;
  /** Session policies passed to AssumeRole (`Policy`, and `PolicyArns` resolved to documents). */
  readonly sessionPolicies: readonly { readonly name: string; readonly document: PolicyDocument }[];
  /** Session tags (they win over the role's tags of the same key), inherited transitive ones included. */
  readonly tags: Readonly<Record<string, string>>;
  /** Keys of `tags` that pass on to a session this one assumes (role chaining). */
  readonly transitiveTagKeys?: readonly string[];
  readonly sourceIdentity?: string;
}

/** An IAM user's session (GetSessionToken): the user itself, with temporary credentials. */
export interface UserSessionClaims {
  readonly kind: 'user';
  /** `arn:aws:iam::<account>:user<path><name>`. */
  readonly userArn: string;
  /** ms since the epoch. */
  readonly issuedAt: number;
  /** ms since the epoch. */
  readonly expiresAt: number;
}

export interface SessionCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

export type OpenedSession =
  | { readonly ok: true; readonly claims: SessionClaims; readonly secretAccessKey: string }
  /** `invalid`: not sealed under this key, altered, or not for this access key id. */
  | { readonly ok: false; readonly reason: 'invalid' | 'expired' };

/**
 * `v2`: the claims are compressed (raw deflate) before sealing. Session policies make the claims
 * large (a `PolicyArns` managed policy is kept as its document, up to 6,144 characters each) and
 * repetitive: uncompressed, a session with two large managed policies needed a 25,803-character
 * token, past the gateway's 10,240-byte header quota, so a session AWS would serve was refused;
 * compressed, about 1,000 characters, like AWS's own tokens. Compression reveals nothing: the only
 * secret inside is the session's secret key, which its holder already has. `v1` (uncompressed)
 * tokens from before still open.
 */
const VERSION = 'v2';
const LEGACY_VERSION = 'v1';
/** What a token may inflate to: far above any claims mintSession writes (the STS caps its input at 64 KB). */
const MAX_CLAIMS_BYTES = 1024 * 1024;
const KEY_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const SESSION_KEY_BYTES = 32;

/** A new temporary access key id: `ASIA` + 16 characters from A–Z and 0–9, as AWS's. */
export function newSessionAccessKeyId(): string {
  return 'ASIA' + Array.from({ length: 16 }, () => KEY_ID_ALPHABET[randomInt(KEY_ID_ALPHABET.length)]).join('');
}

export function isSessionAccessKeyId(accessKeyId: string): boolean {
  return /^ASIA[A-Z0-9]{16}$/.test(accessKeyId);
}

/** Binds the token to its access key id and its version (a v1 token relabelled v2 does not open). */
function aad(version: string, accessKeyId: string): Buffer {
  return Buffer.from(`iam-http-api session ${version} ${accessKeyId}`, 'utf8');
}

/** Issues credentials for `claims`, sealed under `key`. */
export function mintSession(key: Buffer, claims: SessionClaims): SessionCredentials {
  checkKey(key);
  const accessKeyId = newSessionAccessKeyId();
  const secretAccessKey = randomBytes(30).toString('base64');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(VERSION, accessKeyId));
  const plaintext = deflateRawSync(Buffer.from(JSON.stringify({ ...claims, secretAccessKey }), 'utf8'));
  const sealed = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return { accessKeyId, secretAccessKey, sessionToken: `${VERSION}.${sealed.toString('base64url')}`, expiration: new Date(claims.expiresAt) };
}

/**
 * Opens `token` presented with `accessKeyId`: its claims and secret when it was sealed under
 * `key` for that key id and is unaltered; `expired` when it is authentic but past its
 * expiration at `now`; `invalid` otherwise.
 */
export function openSession(key: Buffer, accessKeyId: string, token: string, now: Date): OpenedSession {
  checkKey(key);
  const version = token.startsWith(`${VERSION}.`) ? VERSION : token.startsWith(`${LEGACY_VERSION}.`) ? LEGACY_VERSION : undefined;
  if (version === undefined) return { ok: false, reason: 'invalid' };
  const body = token.slice(version.length + 1);
  if (!/^[A-Za-z0-9_-]+$/.test(body)) return { ok: false, reason: 'invalid' };
  const sealed = Buffer.from(body, 'base64url');
  if (sealed.length <= IV_BYTES + TAG_BYTES) return { ok: false, reason: 'invalid' };
  let payload: unknown;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(version, accessKeyId));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    const opened = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
    // Inflated only once GCM has proved the token ours: nobody else's bytes are decompressed.
    const plaintext = version === VERSION ? inflateRawSync(opened, { maxOutputLength: MAX_CLAIMS_BYTES }) : opened;
    payload = JSON.parse(plaintext.toString('utf8'));
  } catch {
    return { ok: false, reason: 'invalid' };
  }
  const { secretAccessKey, ...claims } = payload as SessionClaims & { secretAccessKey: string };
  if (typeof secretAccessKey !== 'string' || typeof claims.expiresAt !== 'number') return { ok: false, reason: 'invalid' };
  // Only the kinds this version knows: a user session names its user, a role session its role.
  const known = claims.kind === 'user' ? typeof claims.userArn === 'string' : (claims.kind === undefined || claims.kind === 'role') && typeof claims.roleArn === 'string';
  if (!known) return { ok: false, reason: 'invalid' };
  if (now.getTime() >= claims.expiresAt) return { ok: false, reason: 'expired' };
  return { ok: true, claims, secretAccessKey };
}

function checkKey(key: Buffer): void {
  if (key.length !== SESSION_KEY_BYTES) throw new RangeError(`a session key has ${SESSION_KEY_BYTES} bytes, got ${key.length}`);
}

/** `<dir of the credentials file>/session-key`. */
export function sessionKeyPath(credentialsFile: string): string {
  return path.join(path.dirname(credentialsFile), 'session-key');
}

/**
 * The session key in `file` (base64, one line), created (0600, never through a link) when
 * there is none. Deleting the file invalidates every session issued so far, from the next start
 * on: a running gateway keeps the key it read.
 */
export function ensureSessionKey(file: string): Buffer {
  try {
    const fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
    try {
      const stat = fs.fstatSync(fd);
      if (!stat.isFile()) throw new Error(`${file} is not a regular file; delete it to get a new session key`);
      if ((stat.mode & 0o077) !== 0) fs.fchmodSync(fd, 0o600);
      const key = Buffer.from(fs.readFileSync(fd, 'utf8').trim(), 'base64');
      if (key.length !== SESSION_KEY_BYTES) throw new Error(`${file} does not hold a ${SESSION_KEY_BYTES}-byte base64 key; delete it to get a new one (sessions issued so far stop working)`);
      return key;
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new Error(`${file} is a symbolic link; the session key is kept only in a regular file`);
    if (code !== 'ENOENT') throw error;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(SESSION_KEY_BYTES);
  try {
    fs.writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return ensureSessionKey(file);
    throw error;
  }
  return key;
}
