/** Runs `npm start` (src/commands/start.ts) as a child process and waits for its banner. */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseIni, type InvokerKey } from '../../src/gateway/credentials';

const root = path.resolve(__dirname, '..', '..');

export interface Started {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exited: Promise<number | null>;
}

/**
 * Starts `npm start` with `env` added to the environment (STS_PORT=0 unless `env` sets it, so
 * parallel test files do not compete for the local STS's default port 3001). `options.root`: another copy of the
 * project to run (its own src/commands/start.ts, so its root is that copy; see copyProject);
 * `options.args`: npm start's arguments (`--no-watch`).
 */
export function start(env: Record<string, string>, options: { root?: string; args?: readonly string[] } = {}): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/commands/start.ts', ...(options.args ?? [])], { cwd: options.root ?? root, env: { ...process.env, STS_PORT: '0', ...env } });
  const started: Started = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
  };
  child.stdout!.on('data', (chunk: Buffer) => { started.stdout += chunk.toString(); });
  child.stderr!.on('data', (chunk: Buffer) => { started.stderr += chunk.toString(); });
  return started;
}

/** Resolves when the banner's last line is out, or rejects when the process ends first. */
export function ready(started: Started): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => { if (started.stdout.includes('Ctrl-C stops the gateway.')) resolve(); };
    started.child.stdout!.on('data', check);
    check();
    void started.exited.then((code) => reject(new Error(`npm start exited ${code}: ${started.stderr}`)));
  });
}

/** What a copy of the project needs to synthesize and serve; node_modules is linked, not copied. */
const PROJECT_FILES = ['handler', 'src', 'clients/web', 'main.ts', 'iam-http-api.config.ts', 'cdktf.json', 'package.json', 'tsconfig.json'];

/**
 * Copies the project into a new folder under `<root>/.build/` (node_modules a symbolic link), so
 * a test can edit the handler or the configuration of a gateway it started there without
 * touching the real sources. The caller removes it.
 */
export function copyProject(prefix: string): string {
  fs.mkdirSync(path.join(root, '.build'), { recursive: true });
  const copy = fs.mkdtempSync(path.join(root, '.build', prefix));
  for (const entry of PROJECT_FILES) {
    const from = path.join(root, entry);
    if (fs.existsSync(from)) fs.cpSync(from, path.join(copy, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  return copy;
}

/** Resolves with the match once the process has printed `text` (stdout or stderr, after `from` characters of each), rejects if it ends first. */
export function printed(started: Started, text: string | RegExp, from: { stdout: number; stderr: number } = { stdout: 0, stderr: 0 }): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let done = false;
    const check = (): void => {
      if (done) return;
      const match = started.stdout.slice(from.stdout).match(text) ?? started.stderr.slice(from.stderr).match(text);
      if (match) {
        done = true;
        started.child.stdout!.off('data', check);
        started.child.stderr!.off('data', check);
        resolve(match);
      }
    };
    started.child.stdout!.on('data', check);
    started.child.stderr!.on('data', check);
    check();
    void started.exited.then((code) => { if (!done) reject(new Error(`npm start exited ${code} before printing ${text}: ${started.stdout}${started.stderr}`)); });
  });
}

/** An invoker's key from the credentials file `npm start` writes. */
export function profileKey(credentialsFile: string, name: string): InvokerKey {
  const profile = parseIni(fs.readFileSync(credentialsFile, 'utf8')).get(name);
  if (!profile) throw new Error(`no profile ${name} in ${credentialsFile}`);
  return { accessKeyId: profile.aws_access_key_id, secretAccessKey: profile.aws_secret_access_key };
}
