/** Runs `npm start` (src/commands/start.ts) as a child process and waits for its banner. */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

export interface Started {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exited: Promise<number | null>;
}

export function start(env: Record<string, string>): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/commands/start.ts'], { cwd: root, env: { ...process.env, ...env } });
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


