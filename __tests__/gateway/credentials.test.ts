import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureInvokerKeys, parseIni } from '../../src/gateway/credentials';

describe('local invoker credentials', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iam-http-api-creds-'));
    file = path.join(dir, '.iam-http-api', 'credentials');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('creates one profile per invoker, AWS-shaped keys, in a 0600 file', () => {
    const keys = ensureInvokerKeys(file, ['admin', 'editor', 'viewer']);
    expect([...keys.keys()]).toEqual(['admin', 'editor', 'viewer']);
    for (const key of keys.values()) {
      expect(key.accessKeyId).toMatch(/^AKIA[A-Z0-9]{16}$/);
      expect(key.secretAccessKey).toMatch(/^[A-Za-z0-9+/]{40}$/);
    }
    expect(new Set([...keys.values()].map((k) => k.secretAccessKey)).size).toBe(3);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const profiles = parseIni(fs.readFileSync(file, 'utf8'));
    expect(profiles.get('viewer')).toEqual({
      aws_access_key_id: keys.get('viewer')!.accessKeyId,
      aws_secret_access_key: keys.get('viewer')!.secretAccessKey,
    });
  });

  it('keeps existing keys and other profiles across restarts, adding only what is missing', () => {
    const first = ensureInvokerKeys(file, ['admin']);
    fs.appendFileSync(file, '\n[someone-else]\naws_access_key_id = AKIAEXAMPLE\n');
    const second = ensureInvokerKeys(file, ['admin', 'viewer']);
    expect(second.get('admin')).toEqual(first.get('admin'));
    expect(second.get('viewer')?.accessKeyId).toMatch(/^AKIA/);
    expect(parseIni(fs.readFileSync(file, 'utf8')).get('someone-else')).toEqual({ aws_access_key_id: 'AKIAEXAMPLE' });
  });

  it('tightens a file that was made readable by others', () => {
    ensureInvokerKeys(file, ['admin']);
    fs.chmodSync(file, 0o644);
    ensureInvokerKeys(file, ['admin']);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });
});
