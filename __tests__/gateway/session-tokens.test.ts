import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createCipheriv, randomBytes } from 'node:crypto';
import { ensureSessionKey, mintSession, openSession, sessionKeyPath } from '../../src/gateway/session-tokens';

const key = randomBytes(32);
const claims = { roleArn: 'arn:aws:iam::123456789012:role/r', sessionName: 's', issuedAt: 1_000_000, expiresAt: 2_000_000, sessionPolicies: [], tags: { a: 'b' }, sourceIdentity: 'me' };

describe('session tokens', () => {
  it('round-trips claims and the secret', () => {
    const c = mintSession(key, claims);
    expect(c.accessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
    expect(c.sessionToken).not.toContain(c.secretAccessKey);
    expect(openSession(key, c.accessKeyId, c.sessionToken, new Date(1_500_000))).toEqual({ ok: true, claims, secretAccessKey: c.secretAccessKey });
  });
  it.each([
    ['another key', (t: string) => t, randomBytes(32), undefined],
    ['a flipped byte', (t: string) => t.slice(0, -3) + (t.at(-3) === 'A' ? 'B' : 'A') + t.slice(-2), key, undefined],
    ['garbage', () => 'v2.!!!', key, undefined],
    ['garbage as v1', () => 'v1.!!!', key, undefined],
    ['no version', (t: string) => t.slice(3), key, undefined],
    ['another access key id', (t: string) => t, key, 'ASIAAAAAAAAAAAAAAAAA'],
  ])('refuses %s as invalid', (_n, change, k, keyId) => {
    const c = mintSession(key, claims);
    expect(openSession(k, keyId ?? c.accessKeyId, change(c.sessionToken), new Date(1_500_000))).toEqual({ ok: false, reason: 'invalid' });
  });
  it('a user session (GetSessionToken) round-trips; a kind this version does not know is invalid', () => {
    const user = { kind: 'user' as const, userArn: 'arn:aws:iam::123456789012:user/u', issuedAt: 1_000_000, expiresAt: 2_000_000 };
    const c = mintSession(key, user);
    expect(openSession(key, c.accessKeyId, c.sessionToken, new Date(1_500_000))).toEqual({ ok: true, claims: user, secretAccessKey: c.secretAccessKey });
    // A token whose claims name neither (sealed by a future version, say) opens as invalid, never as a role session.
    const unknown = mintSession(key, { ...user, kind: 'federated' } as unknown as typeof user);
    expect(openSession(key, unknown.accessKeyId, unknown.sessionToken, new Date(1_500_000))).toEqual({ ok: false, reason: 'invalid' });
    const roleless = mintSession(key, { kind: 'user', issuedAt: 1_000_000, expiresAt: 2_000_000 } as unknown as typeof user);
    expect(openSession(key, roleless.accessKeyId, roleless.sessionToken, new Date(1_500_000))).toEqual({ ok: false, reason: 'invalid' });
  });
  it('a v1 token (uncompressed claims, sealed before v2) still opens; relabelled as v2 it does not', () => {
    const accessKeyId = 'ASIAEXAMPLE000000001';
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
    cipher.setAAD(Buffer.from(`iam-http-api session v1 ${accessKeyId}`, 'utf8'));
    const sealed = Buffer.concat([iv, cipher.update(JSON.stringify({ ...claims, secretAccessKey: 'legacy-secret' }), 'utf8'), cipher.final(), cipher.getAuthTag()]).toString('base64url');
    expect(openSession(key, accessKeyId, `v1.${sealed}`, new Date(1_500_000))).toEqual({ ok: true, claims, secretAccessKey: 'legacy-secret' });
    expect(openSession(key, accessKeyId, `v2.${sealed}`, new Date(1_500_000))).toEqual({ ok: false, reason: 'invalid' });
  });

  it('session policies do not blow the token up: two 8 KB managed policies and a 2 KB Policy fit the gateway\'s 10,240-byte header quota', () => {
    const statement = (i: number) => ({ Sid: `S${i}`, Effect: 'Allow', Action: 'execute-api:Invoke', Resource: `arn:aws:execute-api:us-east-1:123456789012:abc123/$default/GET/items/${i}/*` });
    const doc = (n: number) => ({ Version: '2012-10-17', Statement: Array.from({ length: n }, (_, i) => statement(i)) });
    expect(JSON.stringify(doc(55)).length).toBeGreaterThan(8000);
    const big = { ...claims, sessionPolicies: [{ name: 'Policy', document: doc(18) }, { name: 'a', document: doc(55) }, { name: 'b', document: doc(55) }] };
    const c = mintSession(key, big);
    expect(c.sessionToken.startsWith('v2.')).toBe(true);
    expect(c.sessionToken.length).toBeLessThan(2_000);
    expect(openSession(key, c.accessKeyId, c.sessionToken, new Date(1_500_000))).toEqual({ ok: true, claims: big, secretAccessKey: c.secretAccessKey });
  });

  it('expired at expiresAt', () => {
    const c = mintSession(key, claims);
    expect(openSession(key, c.accessKeyId, c.sessionToken, new Date(2_000_000))).toEqual({ ok: false, reason: 'expired' });
  });
  it('keeps its key beside the credentials, 0600, and reuses it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'session-key-'));
    try {
      const file = sessionKeyPath(path.join(dir, '.iam-http-api', 'credentials'));
      const first = ensureSessionKey(file);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(ensureSessionKey(file).equals(first)).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
