/**
 * The local GitHub OIDC stand-in (oidc-issuer.ts): its key file (created once, 0600, reused,
 * never through a link), GitHub's claim shapes, and signing/verifying RS256 only.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createPublicKey } from 'node:crypto';
import { decodeJwt, ensureOidcKey, readOidcKey, githubClaims, githubTokenProblems, jwks, oidcKeyPath, signedBy, signJwt } from '../../src/gateway/oidc-issuer';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iam-http-api-oidc-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const NOW = new Date('2026-11-30T08:00:00Z');

describe('the issuer key', () => {
  it('is only read by the STS: before web-token creates it there is none, and reading creates nothing', async () => {
    const file = oidcKeyPath(path.join(dir, 'credentials'));
    expect(readOidcKey(file)).toBeUndefined();
    const { localIssuerKey, wellKnownDocument } = await import('../../src/gateway/sts-web-identity');
    expect(localIssuerKey(file)).toBeUndefined();
    expect(JSON.parse(wellKnownDocument('GET', '/.well-known/jwks', file, 'http://127.0.0.1:3001') ?? 'null')).toEqual({ keys: [] });
    expect(fs.existsSync(file)).toBe(false);
    const created = ensureOidcKey(file);
    expect(readOidcKey(file)?.kid).toBe(created.kid);
    expect(localIssuerKey(file)?.kid).toBe(created.kid);
    // Deleting the file invalidates every token at once, while the STS runs; a new key is read.
    fs.rmSync(file);
    expect(localIssuerKey(file)).toBeUndefined();
    const renewed = ensureOidcKey(file);
    expect(renewed.kid).not.toBe(created.kid);
    expect(localIssuerKey(file)?.kid).toBe(renewed.kid);
  });

  it('is created once beside the credentials file, mode 0600, and reused', () => {
    const file = oidcKeyPath(path.join(dir, 'credentials'));
    expect(file).toBe(path.join(dir, 'oidc-key.pem'));
    const first = ensureOidcKey(file);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const again = ensureOidcKey(file);
    expect(again.kid).toBe(first.kid);
    // The kid is the RFC 7638 thumbprint: 43 base64url characters of SHA-256.
    expect(first.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('tightens a readable key file to 0600, refuses a link and a file that holds no key', () => {
    const file = path.join(dir, 'oidc-key.pem');
    ensureOidcKey(file);
    fs.chmodSync(file, 0o644);
    ensureOidcKey(file);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const link = path.join(dir, 'link.pem');
    fs.symlinkSync(file, link);
    expect(() => ensureOidcKey(link)).toThrow(`${link} is a symbolic link; the OIDC issuer key is kept only in a regular file`);
    const junk = path.join(dir, 'junk.pem');
    fs.writeFileSync(junk, 'hello', { mode: 0o600 });
    expect(() => ensureOidcKey(junk)).toThrow(`${junk} does not hold a PEM private key; delete it to get a new one (tokens minted so far stop working)`);
  });
});

describe('GitHub\'s claims', () => {
  it('a branch run: sub repo:OWNER/REPO:ref:refs/heads/BRANCH, aud sts.amazonaws.com, 5 minutes', () => {
    const claims = githubClaims({ repository: 'my-org/my-repo', branch: 'release/1.2', now: NOW });
    const iat = NOW.getTime() / 1000;
    expect(claims).toMatchObject({
      iss: 'https://token.actions.githubusercontent.com',
      sub: 'repo:my-org/my-repo:ref:refs/heads/release/1.2',
      aud: 'sts.amazonaws.com',
      ref: 'refs/heads/release/1.2',
      ref_type: 'branch',
      repository: 'my-org/my-repo',
      repository_owner: 'my-org',
      iat, nbf: iat, exp: iat + 300,
    });
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(claims.environment).toBeUndefined();
  });

  it('an environment job: sub repo:OWNER/REPO:environment:NAME, with the environment claim; audience and lifetime as asked', () => {
    expect(githubClaims({ repository: 'o/r', environment: 'prod', audience: 'https://github.com/o', expiresInSeconds: 60, now: NOW })).toMatchObject({
      sub: 'repo:o/r:environment:prod', environment: 'prod', aud: 'https://github.com/o', exp: NOW.getTime() / 1000 + 60,
    });
  });

  it('names every problem of a bad request', () => {
    expect(githubTokenProblems({ repository: 'nope', branch: 'a', environment: 'b', expiresInSeconds: 7200 })).toEqual([
      'repository "nope" is not OWNER/REPO (letters, digits, -, and for the name also . and _)',
      'give a branch or an environment, not both (GitHub puts one of them in the sub claim)',
      'expires-in must be a whole number of seconds from 1 to 3600',
    ]);
    expect(githubTokenProblems({ repository: 'o/r', branch: 'a..b' })).toEqual(['branch "a..b" is not a valid git branch name']);
    expect(() => githubClaims({ repository: 'o/r', environment: 'has space', now: NOW })).toThrow('environment "has space" is not a GitHub environment name');
  });
});

describe('signing and verifying', () => {
  it('signs RS256 with the key\'s kid; verifies only that key, alg and an untouched token', () => {
    const key = ensureOidcKey(path.join(dir, 'a.pem'));
    const other = ensureOidcKey(path.join(dir, 'b.pem'));
    const token = signJwt(key, githubClaims({ repository: 'o/r', now: NOW }));
    const jwt = decodeJwt(token)!;
    expect(jwt.header).toEqual({ typ: 'JWT', alg: 'RS256', kid: key.kid });
    expect(jwt.claims.sub).toBe('repo:o/r:ref:refs/heads/main');
    expect(signedBy(jwt, key)).toBe(true);
    expect(signedBy(jwt, other)).toBe(false);
    expect(signedBy(jwt, { ...other, kid: key.kid })).toBe(false);
    expect(signedBy({ ...jwt, header: { ...jwt.header, alg: 'none' } }, key)).toBe(false);
    expect(signedBy({ ...jwt, header: { ...jwt.header, alg: 'RS512' } }, key)).toBe(false);
    expect(signedBy({ ...jwt, signingInput: `${jwt.signingInput}x` }, key)).toBe(false);
    expect(signedBy({ ...jwt, signature: Buffer.alloc(3) }, key)).toBe(false);
  });

  it('decodes only three base64url parts of JSON objects', () => {
    expect(decodeJwt('a.b')).toBeUndefined();
    expect(decodeJwt('a.b.c.d')).toBeUndefined();
    expect(decodeJwt('e30.W10.')).toBeUndefined(); // payload is [], not an object
    expect(decodeJwt('e30.e30.')).toMatchObject({ header: {}, claims: {} });
    expect(decodeJwt('e30.e30.a+b')).toBeUndefined();
  });

  it('publishes the public key as a JWKS whose key verifies the tokens', () => {
    const key = ensureOidcKey(path.join(dir, 'a.pem'));
    const [jwk] = jwks(key).keys;
    expect(jwk).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: key.kid, e: 'AQAB' });
    const publicKey = createPublicKey({ key: { kty: 'RSA', n: jwk!.n!, e: jwk!.e! }, format: 'jwk' });
    const jwt = decodeJwt(signJwt(key, githubClaims({ repository: 'o/r', now: NOW })))!;
    expect(signedBy(jwt, { publicKey, kid: key.kid })).toBe(true);
    expect(JSON.stringify(jwks(key))).not.toMatch(/"d"|"p"|"q"/);
  });
});
