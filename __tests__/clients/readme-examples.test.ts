/**
 * Runs every shell block of README.md marked `<!-- tested -->` against a local gateway and its
 * local STS (the dev stack of iam-http-api.config.ts, with the role deployer), exactly as
 * printed except for the ports (3000: the gateway, 3001: the STS), in a folder holding the
 * gateway's `.iam-http-api/credentials` and `gateway.json` (as `npm start` writes them) and links
 * to clients/ and bin/. IAM_HTTP_API_CREDENTIALS points the CLI there, as the repository's own
 * `.iam-http-api` would. Each command's output must equal the `# ` lines that follow it.
 * README_FILE=path runs another file's blocks (to try blocks before they go into the README).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startStsGateway, type StsGateway } from '../support/sts-gateway';

const root = path.resolve(__dirname, '..', '..');
const README_ORIGIN = 'http://127.0.0.1:3000';
const README_STS_ORIGIN = 'http://127.0.0.1:3001';
const SEPARATOR = '@@example-command-done@@';

interface Step {
  readonly command: string;
  readonly expected: string;
}

/** The blocks after a `<!-- tested -->` line, each split into commands and their expected output. */
function testedBlocks(markdown: string): Step[][] {
  const blocks = [...markdown.matchAll(/<!-- tested -->\n```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks.map((block) => {
    const steps: Array<{ command: string; expected: string[] }> = [];
    let continuing = false;
    for (const line of block.split('\n').filter((l) => l !== '')) {
      if (line.startsWith('# ') || line === '#') {
        steps[steps.length - 1].expected.push(line.slice(2));
      } else if (continuing) {
        steps[steps.length - 1].command += `\n${line}`;
      } else {
        steps.push({ command: line, expected: [] });
      }
      continuing = line.endsWith('\\');
    }
    return steps.map((s) => ({ command: s.command, expected: s.expected.join('\n') }));
  });
}

const blocks = testedBlocks(fs.readFileSync(process.env.README_FILE ? path.resolve(process.env.README_FILE) : path.join(root, 'README.md'), 'utf8'));

describe('README examples, run as printed', () => {
  let gw: StsGateway;
  let cwd: string;
  beforeAll(async () => {
    gw = await startStsGateway({ handler: 'synthesized' });
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'iam-http-api-readme-'));
    fs.mkdirSync(path.join(cwd, '.iam-http-api'), { mode: 0o700 });
    const credentialsFile = path.join(cwd, '.iam-http-api', 'credentials');
    fs.copyFileSync(gw.credentialsFile, credentialsFile);
    // What npm start writes while it runs (this process serves the gateway, so its pid).
    fs.writeFileSync(path.join(cwd, '.iam-http-api', 'gateway.json'), JSON.stringify({
      url: gw.url, stack: 'dev', region: gw.stack.region, pid: process.pid, credentialsFile, denialsFile: gw.denialsFile, stsUrl: gw.stsUrl,
      roles: [{ name: 'iam-http-api-dev-deployer', arn: gw.deployerArn, assumableBy: ['admin'] }],
    }));
    fs.symlinkSync(path.join(root, 'clients'), path.join(cwd, 'clients'));
    fs.symlinkSync(path.join(root, 'bin'), path.join(cwd, 'bin'));
  }, 120_000);
  afterAll(async () => {
    await gw.close();
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  it('has tested blocks for curl and Python', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    expect(blocks.flat().some((s) => s.command.startsWith('curl'))).toBe(true);
    expect(blocks.flat().some((s) => s.command.includes('python3'))).toBe(true);
  });

  // Async: the gateway answers from this very process, so the shell must not block it.
  it.each(blocks.map((steps, i) => [i + 1, steps] as const))('block %i gives the output it shows', async (_n, steps) => {
    const local = (command: string): string => command.split(README_ORIGIN).join(gw.url).split(README_STS_ORIGIN).join(gw.stsUrl);
    const script = steps.map((s) => `${local(s.command)}\necho ${SEPARATOR}`).join('\n');
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: cwd, LANG: 'C.UTF-8', IAM_HTTP_API_CREDENTIALS: path.join(cwd, '.iam-http-api', 'credentials') };
    const result = await promisify(execFile)('bash', ['-e', '-c', script], { cwd, env, encoding: 'utf8', timeout: 30_000 });
    expect(result.stderr).toBe('');
    const outputs = result.stdout.split(`${SEPARATOR}\n`).slice(0, steps.length).map((o) => o.replace(/\n$/, ''));
    expect(outputs.map((output, i) => ({ command: steps[i].command, output }))).toEqual(
      steps.map((s) => ({ command: s.command, output: s.expected })),
    );
    for (const key of gw.keys.values()) expect(result.stdout.includes(key.secretAccessKey)).toBe(false);
  });
});
