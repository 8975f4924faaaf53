import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
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
    ['garbage', () => 'v1.!!!', key, undefined],
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
