/**
 * A local stand-in for GitHub Actions' OIDC issuer, so a role that trusts GitHub can be assumed
 * locally (AssumeRoleWithWebIdentity, sts-web-identity.ts). It signs tokens with an RS256 key
 * kept beside the credentials file (`oidc-key.pem`, mode 0600, created once and reused), and
 * uses GitHub's issuer URL, so the stack's `aws_iam_openid_connect_provider` and its trust
 * conditions (`token.actions.githubusercontent.com:sub` / `:aud`) apply unchanged.
 *
 * The local STS trusts ONLY tokens signed by this key: a real token from GitHub (signed with
 * GitHub's keys) is refused, and a token minted here is worthless against AWS.
 *
 * Token shape, from GitHub's "OpenID Connect reference" (OIDC token claims,
 * https://docs.github.com/en/actions/reference/security/oidc): header `alg` RS256, `kid`, `typ`
 * JWT; claims `iss` https://token.actions.githubusercontent.com, `sub`
 * (`repo:OWNER/REPO:ref:refs/heads/BRANCH`, or `repo:OWNER/REPO:environment:NAME` for a job in a
 * deployment environment), `aud` (`sts.amazonaws.com` as aws-actions/configure-aws-credentials
 * requests it), `exp`, `iat`, `nbf`, `jti`, and GitHub's own claims (`repository`,
 * `repository_owner`, `ref`, `ref_type`, `environment`, `actor`, `workflow`, `event_name`,
 * `run_id`, `runner_environment`, ...). GitHub's tokens live for a few minutes; the default here
 * is 5 minutes.
 *
 * Pure except ensureOidcKey (the key file). Nothing here prints a key or a token.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GITHUB_OIDC_AUDIENCE, GITHUB_OIDC_URL } from '../config/types';

export const LOCAL_ISSUER_URL = GITHUB_OIDC_URL;
export const TOKEN_ALGORITHM = 'RS256';
export const DEFAULT_TOKEN_SECONDS = 300;
/** Longest a minted token may live: one hour (GitHub's live for minutes; AWS sets no rule of its own). */
export const MAX_TOKEN_SECONDS = 3600;

/** The issuer's signing key and what verifiers need of it. */
export interface OidcIssuerKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** RFC 7638 JWK thumbprint of the public key: the tokens' `kid`. */
  readonly kid: string;
}

/** `<dir of the credentials file>/oidc-key.pem`. */
export function oidcKeyPath(credentialsFile: string): string {
  return path.join(path.dirname(credentialsFile), 'oidc-key.pem');
}

export function issuerKeyOf(privateKey: KeyObject): OidcIssuerKey {
  const publicKey = createPublicKey(privateKey);
  const jwk = publicKey.export({ format: 'jwk' }) as { e: string; n: string };
  // RFC 7638: the required members in lexicographic order, no whitespace.
  const kid = createHash('sha256').update(JSON.stringify({ e: jwk.e, kty: 'RSA', n: jwk.n })).digest('base64url');
  return { privateKey, publicKey, kid };
}

/**
 * The issuer key in `file` (PKCS#8 PEM), created (RSA 2048, 0600, never through a link) when
 * there is none. Deleting the file makes every token minted so far unverifiable. Creating the key
 * takes a second or two of CPU (RSA key generation): only `web-token`, which mints, creates it;
 * the STS only reads it (readOidcKey), so the gateway it shares a process with never stalls on it.
 */
export function ensureOidcKey(file: string): OidcIssuerKey {
  return readOidcKey(file) ?? createOidcKey(file);
}

/** The issuer key in `file`, or undefined when there is none yet (no token was ever minted). */
export function readOidcKey(file: string): OidcIssuerKey | undefined {
  try {
    const fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
    try {
      const stat = fs.fstatSync(fd);
      if (!stat.isFile()) throw new Error(`${file} is not a regular file; delete it to get a new OIDC issuer key`);
      if ((stat.mode & 0o077) !== 0) fs.fchmodSync(fd, 0o600);
      let key: KeyObject;
      try {
        key = createPrivateKey(fs.readFileSync(fd, 'utf8'));
      } catch {
        throw new Error(`${file} does not hold a PEM private key; delete it to get a new one (tokens minted so far stop working)`);
      }
      if (key.asymmetricKeyType !== 'rsa') throw new Error(`${file} holds a ${key.asymmetricKeyType} key; the local OIDC issuer signs with RSA (RS256): delete it to get a new one`);
      return issuerKeyOf(key);
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new Error(`${file} is a symbolic link; the OIDC issuer key is kept only in a regular file`);
    if (code !== 'ENOENT') throw error;
    return undefined;
  }
}

function createOidcKey(file: string): OidcIssuerKey {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  try {
    fs.writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another process (the CLI, npm start) created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return ensureOidcKey(file);
    throw error;
  }
  return issuerKeyOf(privateKey);
}

/** Which workflow run the token is for. */
export interface GithubTokenRequest {
  /** `owner/name`. */
  readonly repository: string;
  /** The branch the workflow runs on (`ref: refs/heads/<branch>`); `main` when neither is given. */
  readonly branch?: string;
  /** The deployment environment of the job; the `sub` then names it instead of the ref. */
  readonly environment?: string;
  /** `aud`; `sts.amazonaws.com` by default. */
  readonly audience?: string;
  readonly now: Date;
  /** Lifetime, 1..MAX_TOKEN_SECONDS; DEFAULT_TOKEN_SECONDS by default. */
  readonly expiresInSeconds?: number;
  /** `actor`; `local-developer` by default. */
  readonly actor?: string;
}

export type JwtClaims = Readonly<Record<string, unknown>>;

const REPOSITORY = /^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/;

/** Problems with a token request, in words (empty when it is fine). */
export function githubTokenProblems(request: Omit<GithubTokenRequest, 'now'>): string[] {
  const problems: string[] = [];
  if (!REPOSITORY.test(request.repository)) problems.push(`repository "${request.repository}" is not OWNER/REPO (letters, digits, -, and for the name also . and _)`);
  if (request.branch !== undefined && request.environment !== undefined) problems.push('give a branch or an environment, not both (GitHub puts one of them in the sub claim)');
  if (request.branch !== undefined && (request.branch === '' || /[\s:~^?*[\\]|\.\.|^\/|\/$/.test(request.branch))) problems.push(`branch "${request.branch}" is not a valid git branch name`);
  if (request.environment !== undefined && (request.environment === '' || /[:\s]/.test(request.environment) || request.environment.length > 255)) problems.push(`environment "${request.environment}" is not a GitHub environment name (no spaces or colons, at most 255 characters)`);
  if (request.audience !== undefined && request.audience === '') problems.push('audience must not be empty');
  const seconds = request.expiresInSeconds;
  if (seconds !== undefined && (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_TOKEN_SECONDS)) problems.push(`expires-in must be a whole number of seconds from 1 to ${MAX_TOKEN_SECONDS}`);
  return problems;
}

/** The claims GitHub would put in a token for this run. Throws on a bad request (githubTokenProblems). */
export function githubClaims(request: GithubTokenRequest): JwtClaims {
  const problems = githubTokenProblems(request);
  if (problems.length > 0) throw new Error(problems.join('; '));
  const [owner] = request.repository.split('/');
  const branch = request.branch ?? 'main';
  const ref = `refs/heads/${branch}`;
  const iat = Math.floor(request.now.getTime() / 1000);
  const sub = request.environment !== undefined ? `repo:${request.repository}:environment:${request.environment}` : `repo:${request.repository}:ref:${ref}`;
  return {
    jti: randomUUID(),
    sub,
    ...(request.environment !== undefined ? { environment: request.environment } : {}),
    aud: request.audience ?? GITHUB_OIDC_AUDIENCE,
    ref,
    ref_type: 'branch',
    repository: request.repository,
    repository_owner: owner,
    actor: request.actor ?? 'local-developer',
    workflow: 'local',
    event_name: 'workflow_dispatch',
    runner_environment: 'self-hosted',
    iss: LOCAL_ISSUER_URL,
    // GitHub's nbf lies a little before iat; keep it equal so a token is usable at once.
    nbf: iat,
    iat,
    exp: iat + (request.expiresInSeconds ?? DEFAULT_TOKEN_SECONDS),
  };
}

/** A compact JWS (RS256) of `claims`, signed with the issuer's key. */
export function signJwt(key: OidcIssuerKey, claims: JwtClaims): string {
  const header = { typ: 'JWT', alg: TOKEN_ALGORITHM, kid: key.kid };
  const input = `${base64url(header)}.${base64url(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key.privateKey).toString('base64url')}`;
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** A JWT taken apart, not yet verified. */
export interface DecodedJwt {
  readonly header: Readonly<Record<string, unknown>>;
  readonly claims: JwtClaims;
  /** `header.payload`: what the signature covers. */
  readonly signingInput: string;
  readonly signature: Buffer;
}

/** Splits and parses a compact JWS; undefined when it is not one (three base64url parts, JSON objects). */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) return undefined;
  const object = (part: string): Record<string, unknown> | undefined => {
    try {
      const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  };
  const header = object(parts[0] as string);
  const claims = object(parts[1] as string);
  if (!header || !claims) return undefined;
  return { header, claims, signingInput: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2] as string, 'base64url') };
}

/**
 * Whether `jwt` was signed by `key`: `alg` must be exactly RS256 (never `none`, never an HMAC
 * keyed with the public key), `kid` the key's, and the RSA signature valid.
 */
export function signedBy(jwt: DecodedJwt, key: Pick<OidcIssuerKey, 'publicKey' | 'kid'>): boolean {
  if (jwt.header.alg !== TOKEN_ALGORITHM || jwt.header.kid !== key.kid) return false;
  if (jwt.header.crit !== undefined) return false; // RFC 7515 4.1.11: no extension is understood here
  try {
    return verify('sha256', Buffer.from(jwt.signingInput), key.publicKey, jwt.signature);
  } catch {
    return false;
  }
}

/** The issuer's JWKS (`/.well-known/jwks`), as GitHub serves its own. */
export function jwks(key: Pick<OidcIssuerKey, 'publicKey' | 'kid'>): { keys: Record<string, string>[] } {
  const jwk = key.publicKey.export({ format: 'jwk' }) as { e: string; n: string };
  return { keys: [{ kty: 'RSA', alg: TOKEN_ALGORITHM, use: 'sig', kid: key.kid, n: jwk.n, e: jwk.e }] };
}

/**
 * The issuer's discovery document (`/.well-known/openid-configuration`), GitHub's fields; the
 * `jwks_uri` points at the local STS that serves it (`baseUrl`), since the issuer URL is GitHub's.
 */
export function discoveryDocument(baseUrl: string): Record<string, unknown> {
  return {
    issuer: LOCAL_ISSUER_URL,
    jwks_uri: `${baseUrl.replace(/\/$/, '')}/.well-known/jwks`,
    subject_types_supported: ['public', 'pairwise'],
    response_types_supported: ['id_token'],
    claims_supported: ['sub', 'aud', 'exp', 'iat', 'iss', 'jti', 'nbf', 'ref', 'ref_type', 'repository', 'repository_owner', 'environment', 'actor', 'workflow', 'event_name', 'runner_environment'],
    id_token_signing_alg_values_supported: [TOKEN_ALGORITHM],
    scopes_supported: ['openid'],
  };
}
