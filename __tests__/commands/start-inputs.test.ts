/**
 * `npm start`'s startup input (issue 11, item 9): PORT, PAGE_PORT, STACK, cdk.tf.json and the
 * credentials file are each checked, and a bad one is one line naming it and what is allowed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Testing } from 'cdktf';
import { EnvValueError, portFromEnv, shownEnv } from '../../src/commands/env-value';
import { PageServerError, startPageServer } from '../../src/commands/page-server';
import { oneStack, StackSelectionError } from '../../src/commands/stack-selection';
import { start } from '../support/npm-start';
import { synthStack } from '../support/synth';

const root = path.resolve(__dirname, '..', '..');
const portMessage = (name: string, shown: string, example: number): string =>
  `${name}=${shown} is not a port number; use a whole number from 1 to 65535 (or 0 for any free port), e.g. ${name}=${example}`;
const stackMessage = (shown: string): string =>
  `STACK=${shown} is not a stack name; npm start serves one stack, named with letters, digits, - and _ as in iam-http-api.config.ts, e.g. STACK=dev`;

describe('PORT and PAGE_PORT', () => {
  it.each([['3000', 3000], ['1', 1], ['65535', 65535], ['0', 0], ['08080', 8080]])('%j is port %d', (text, port) => {
    expect(portFromEnv('PORT', text, 3000)).toBe(port);
  });

  it('is the default when unset or empty', () => {
    expect(portFromEnv('PORT', undefined, 3000)).toBe(3000);
    expect(portFromEnv('PORT', '', 3000)).toBe(3000);
  });

  it.each([
    ['0x10', '0x10'], ['1e3', '1e3'], [' 3436', '" 3436"'], ['3436 ', '"3436 "'], ['65536', '65536'], ['99999', '99999'], ['123456', '123456'],
    ['-1', '-1'], ['+80', '+80'], ['3000.0', '3000.0'], ['3.5', '3.5'], ['0b11', '0b11'], ['abc', 'abc'], ['Infinity', 'Infinity'], ['٣٠٠٠', '"٣٠٠٠"'],
    ['30\n00', '"30\\n00"'], ['"80"', '"\\"80\\""'],
  ])('%j is not a port', (text, shown) => {
    expect(() => portFromEnv('PORT', text, 3000)).toThrow(new EnvValueError(portMessage('PORT', shown, 3000)));
  });

  it('PAGE_PORT is checked the same way, and the page (only) is not started', async () => {
    const before = process.env.PAGE_PORT;
    process.env.PAGE_PORT = '1e3';
    try {
      await expect(startPageServer({ gatewayUrl: 'http://127.0.0.1:3000', region: 'us-east-1' })).rejects.toThrow(new PageServerError(portMessage('PAGE_PORT', '1e3', 5173)));
    } finally {
      if (before === undefined) delete process.env.PAGE_PORT;
      else process.env.PAGE_PORT = before;
    }
  });

  it('shows a value as typed, quoted when it has spaces, quotes or control characters', () => {
    expect(shownEnv('PORT', '0x10')).toBe('PORT=0x10');
    expect(shownEnv('PORT', ' 1')).toBe('PORT=" 1"');
    expect(shownEnv('STACK', "a'b")).toBe('STACK="a\'b"');
  });
});

describe('STACK for npm start', () => {
  it.each(['dev', 'prod', 'my_stack-2', 'Dev'])('%j is a stack name', (name) => {
    expect(oneStack(name, 'dev', 'npm start')).toBe(name);
  });

  it('is dev when unset or empty', () => {
    expect(oneStack(undefined, 'dev', 'npm start')).toBe('dev');
    expect(oneStack('', 'dev', 'npm start')).toBe('dev');
  });

  it.each([
    ['../../etc', '../../etc'], ['..', '..'], ['.', '.'], ['a/b', 'a/b'], ['/etc', '/etc'], ['dev,prod', 'dev,prod'], [' dev', '" dev"'],
    ['dev\\..', '"dev\\\\.."'], ['dév', '"dév"'], ['*', '*'],
  ])('%j is not', (name, shown) => {
    expect(() => oneStack(name, 'dev', 'npm start')).toThrow(new StackSelectionError(stackMessage(shown)));
  });
});

describe('npm start refuses bad startup input in one line, without a stack trace', () => {
  let scratch: string;
  beforeAll(() => {
    fs.mkdirSync(path.join(root, '.build'), { recursive: true });
    scratch = fs.mkdtempSync(path.join(root, '.build', 'start-inputs-'));
  });
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

  /** Runs npm start to its exit; its stderr, trimmed. */
  const refused = async (env: Record<string, string>): Promise<string> => {
    const started = start({ CDKTF_OUTDIR: path.join(scratch, 'nothing'), IAM_HTTP_API_CREDENTIALS: path.join(scratch, 'no-credentials'), STACK: 'dev', PORT: '1', ...env });
    expect(await started.exited).toBe(1);
    expect(started.stdout).toBe('');
    return started.stderr.trim();
  };

  it('a PORT that is not plainly a number from 1 to 65535', async () => {
    const stderr = await Promise.all(['0x10', '1e3', ' 3436', '65536'].map((port) => refused({ PORT: port })));
    expect(stderr).toEqual([portMessage('PORT', '0x10', 3000), portMessage('PORT', '1e3', 3000), portMessage('PORT', '" 3436"', 3000), portMessage('PORT', '65536', 3000)]);
  }, 30_000);

  it('a STACK that is not a plain name, before reading anything', async () => {
    const stderr = await Promise.all(['../../etc', 'a/b'].map((stack) => refused({ STACK: stack })));
    expect(stderr).toEqual([stackMessage('../../etc'), stackMessage('a/b')]);
  }, 30_000);

  it('a cdk.tf.json that is not JSON, naming the file', async () => {
    const outdir = path.join(scratch, 'malformed.out');
    const file = path.join(outdir, 'stacks', 'dev', 'cdk.tf.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"resource": {');
    const future = new Date(Date.now() + 86_400_000); // newer than every source: not synthesized again
    fs.utimesSync(file, future, future);
    let parserSays = '';
    try {
      JSON.parse('{"resource": {');
    } catch (error) {
      parserSays = (error as Error).message; // Node's words, which differ between versions
    }
    expect(await refused({ CDKTF_OUTDIR: outdir })).toBe(`${file}: not valid JSON (${parserSays}); run npm run synth to write it again`);
  }, 30_000);

  describe('a credentials file it cannot use, left as it is', () => {
    let outdir: string;
    beforeAll(() => {
      outdir = Testing.fullSynth(synthStack().stack);
      const file = path.join(outdir, 'stacks', 'dev', 'cdk.tf.json');
      const future = new Date(Date.now() + 86_400_000);
      fs.utimesSync(file, future, future);
    }, 60_000);
    afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

    it('corrupt: names the file and the line', async () => {
      const credentials = path.join(scratch, 'corrupt-credentials');
      const text = '[viewer]\naws_access_key_id = AKIAAAAAAAAAAAAAAAAA\naws_secret_access_key wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY\n';
      fs.writeFileSync(credentials, text, { mode: 0o600 });
      const stderr = await refused({ CDKTF_OUTDIR: outdir, IAM_HTTP_API_CREDENTIALS: credentials });
      expect(stderr).toBe(`${credentials}, line 3: expected [profile], key = value, or a # or ; comment; fix that line, or delete the file to get new keys (npm start never overwrites a credentials file it cannot read)`);
      expect(fs.readFileSync(credentials, 'utf8')).toBe(text);
    }, 30_000);

    it('a symbolic link: neither followed nor replaced', async () => {
      const target = path.join(scratch, 'link-target');
      fs.writeFileSync(target, '# not for npm start\n');
      fs.chmodSync(target, 0o644);
      const credentials = path.join(scratch, 'linked-credentials');
      fs.symlinkSync(target, credentials);
      const stderr = await refused({ CDKTF_OUTDIR: outdir, IAM_HTTP_API_CREDENTIALS: credentials });
      expect(stderr).toBe(`${credentials} is a symbolic link; npm start keeps its keys only in a regular file and does not follow links: replace the link with a regular file, or delete it to get new keys`);
      expect(fs.lstatSync(credentials).isSymbolicLink()).toBe(true);
      expect(fs.readFileSync(target, 'utf8')).toBe('# not for npm start\n');
      expect(fs.statSync(target).mode & 0o777).toBe(0o644);
    }, 30_000);
  });
});
