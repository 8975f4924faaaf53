import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CredentialsFileError, ensureInvokerKeys, parseIni } from '../../src/gateway/credentials';

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

  it('keeps the other accounts\' profiles (account-<id>) beside the invokers\', asked separately, across restarts', () => {
    const invokers = ensureInvokerKeys(file, ['admin', 'viewer']);
    const accounts = ensureInvokerKeys(file, ['account-111122223333']);
    expect(accounts.get('account-111122223333')?.accessKeyId).toMatch(/^AKIA[A-Z0-9]{16}$/);
    // Asking for the invokers again (watch mode) neither drops nor renews the account's key.
    expect(ensureInvokerKeys(file, ['admin', 'viewer'])).toEqual(invokers);
    expect(ensureInvokerKeys(file, ['account-111122223333'])).toEqual(accounts);
    expect([...parseIni(fs.readFileSync(file, 'utf8')).keys()]).toEqual(['admin', 'viewer', 'account-111122223333']);
  });

  it('tightens a file that was made readable by others', () => {
    ensureInvokerKeys(file, ['admin']);
    fs.chmodSync(file, 0o644);
    ensureInvokerKeys(file, ['admin']);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('reads what AWS readers read: key: value, upper-case keys, a BOM, CRLF, comments', () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '\uFEFF# mine\r\n[ admin ]\r\nAWS_ACCESS_KEY_ID: AKIAAAAAAAAAAAAAAAAA\r\n; note\r\naws_secret_access_key=secret-admin\r\n');
    expect(ensureInvokerKeys(file, ['admin']).get('admin')).toEqual({ accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: 'secret-admin' });
  });

  const FIX = 'fix that line, or delete the file to get new keys (npm start never overwrites a credentials file it cannot read)';
  it.each([
    ['[admin]\naws_access_key_id = AKIAAAAAAAAAAAAAAAAA\naws_secret_access_key wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY\n', 'line 3: expected [profile], key = value, or a # or ; comment'],
    ['[admin\naws_access_key_id = AKIAAAAAAAAAAAAAAAAA\n', 'line 1: not a [profile] header'],
    ['[]\n', 'line 1: not a [profile] header'],
    ['[admin] # keys\n', 'line 1: not a [profile] header'],
    ['aws_access_key_id = AKIAAAAAAAAAAAAAAAAA\n[admin]\n', 'line 1: a key = value line before any [profile] header'],
    ['[admin]\n= x\n', 'line 2: expected [profile], key = value, or a # or ; comment'],
    ['[admin]\naws_access_key_id = A\n\n[viewer]\n[admin]\n', 'line 5: [admin] appears a second time (first on line 1)'],
    ['[admin]\naws_access_key_id = A\nAWS_ACCESS_KEY_ID = B\n', 'line 3: aws_access_key_id is set a second time in [admin] (first on line 2)'],
    ['[admin]\nwJalr/XUtn+FEMI = A\nwJalr/XUtn+FEMI = B\n', 'line 3: a key is set a second time in [admin] (first on line 2)'],
  ])('refuses, and never rewrites, a file it cannot parse: %j', (text, problem) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text, { mode: 0o600 });
    expect(() => ensureInvokerKeys(file, ['admin', 'viewer'])).toThrow(new CredentialsFileError(`${file}, ${problem}; ${FIX}`));
    expect(fs.readFileSync(file, 'utf8')).toBe(text);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['credentials']);
  });

  it('never quotes a broken line, which may hold a secret', () => {
    const secret = 'wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY';
    expect(() => parseIni(`[admin]\naws_secret_access_key ${secret}\n${secret}\n`, 'f')).toThrow(/^f, line 2: expected/);
    for (const text of [`[admin]\n${secret}\n`, `${secret} = x\n`, `[admin]\n${secret}=1\n${secret}=2\n`]) {
      expect(() => parseIni(text, 'f')).toThrow(CredentialsFileError);
      expect(() => parseIni(text, 'f')).not.toThrow(secret);
    }
  });

  it('refuses a file that is not UTF-8, naming the line', () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const bytes = Buffer.concat([Buffer.from('[admin]\naws_access_key_id = '), Buffer.from([0xff, 0xfe]), Buffer.from('\n')]);
    fs.writeFileSync(file, bytes);
    expect(() => ensureInvokerKeys(file, ['admin'])).toThrow(new CredentialsFileError(`${file}, line 2: not UTF-8 text; ${FIX}`));
    expect(fs.readFileSync(file)).toEqual(bytes);
  });

  it('refuses a symbolic link, and neither chmods nor writes its target', () => {
    const target = path.join(dir, 'elsewhere');
    fs.writeFileSync(target, '[admin]\naws_access_key_id = AKIAAAAAAAAAAAAAAAAA\naws_secret_access_key = s\n', { mode: 0o644 });
    fs.chmodSync(target, 0o644);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.symlinkSync(target, file);
    const message = `${file} is a symbolic link; npm start keeps its keys only in a regular file and does not follow links: replace the link with a regular file, or delete it to get new keys`;
    expect(() => ensureInvokerKeys(file, ['admin', 'viewer'])).toThrow(new CredentialsFileError(message));
    expect(fs.statSync(target).mode & 0o777).toBe(0o644);
    expect(fs.readFileSync(target, 'utf8')).toBe('[admin]\naws_access_key_id = AKIAAAAAAAAAAAAAAAAA\naws_secret_access_key = s\n');
    expect(fs.lstatSync(file).isSymbolicLink()).toBe(true);

    fs.rmSync(target);
    expect(() => ensureInvokerKeys(file, ['admin'])).toThrow(new CredentialsFileError(message));
    expect(fs.existsSync(target)).toBe(false);
  });

  it('refuses a folder where the file should be', () => {
    fs.mkdirSync(file, { recursive: true });
    expect(() => ensureInvokerKeys(file, ['admin'])).toThrow(new CredentialsFileError(
      `${file} is not a regular file (it is a folder); npm start keeps its keys in a regular file there: move it away, or point IAM_HTTP_API_CREDENTIALS at another path`,
    ));
  });

  it('writes through no link left at the temporary name', () => {
    const target = path.join(dir, 'victim');
    fs.writeFileSync(target, 'untouched');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.symlinkSync(target, `${file}.${process.pid}.tmp`);
    ensureInvokerKeys(file, ['admin']);
    expect(fs.readFileSync(target, 'utf8')).toBe('untouched');
    expect(fs.lstatSync(file).isFile()).toBe(true);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['credentials']);
  });
});
