/** STACK= in every command: which environments it picks, and the errors naming a bad pick. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cdktfArgs } from '../../src/commands/cdktf-stack-args';
import { selectStacks } from '../../src/commands/stack-selection';

const root = path.resolve(__dirname, '..', '..');
const configured = ['dev', 'prod'];

function npmScript(script: string, env: Record<string, string>, args: string[] = []): { status: number | null; stderr: string } {
  const [, file, ...fixed] = /node --import tsx (\S+)(.*)/.exec((JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts[script] ?? '') ?? [];
  if (file === undefined) throw new Error(`npm script ${script} does not run a tsx command`);
  const base = fixed.join('').trim().split(/\s+/).filter((s) => s.length > 0);
  const res = spawnSync(process.execPath, ['--import', 'tsx', file, ...base, ...args], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' });
  return { status: res.status, stderr: res.stderr };
}

describe('selectStacks', () => {
  it('picks one, several (in order, once each), or all when optional and unset', () => {
    const opt = { required: false, example: 'STACK=dev npm run plan' };
    expect(selectStacks('prod', configured, opt)).toEqual(['prod']);
    expect(selectStacks(' prod, dev ,prod', configured, opt)).toEqual(['prod', 'dev']);
    expect(selectStacks(undefined, configured, opt)).toEqual(['dev', 'prod']);
    expect(selectStacks('', configured, opt)).toEqual(['dev', 'prod']);
  });

  it('names unknown environments and the known ones', () => {
    expect(() => selectStacks('dev,stage,qa', configured, { required: false, example: '' })).toThrow(
      'STACK: no environment "stage", "qa" in iam-http-api.config.ts; have dev, prod',
    );
  });

  it('refuses to guess when the command changes infrastructure', () => {
    expect(() => selectStacks(undefined, configured, { required: true, example: 'STACK=dev npm run deploy' })).toThrow(
      'STACK is not set: say which environment, e.g. STACK=dev npm run deploy (have dev, prod)',
    );
  });
});

describe('cdktfArgs', () => {
  it('runs cdktf on the picked stacks without synthesizing again, passing extra arguments on', () => {
    expect(cdktfArgs('deploy', ['dev'], ['--auto-approve'])).toEqual(['deploy', '--skip-synth', 'dev', '--auto-approve']);
  });
});

describe('the npm scripts honour STACK', () => {
  it('npm run deploy without STACK stops before touching anything', () => {
    const { status, stderr } = npmScript('deploy', { STACK: '' });
    expect(status).toBe(1);
    expect(stderr.trim()).toBe('STACK is not set: say which environment, e.g. STACK=dev npm run deploy (have dev, prod)');
  });

  it('npm run destroy with an unknown STACK names it', () => {
    const { status, stderr } = npmScript('destroy', { STACK: 'staging' });
    expect(status).toBe(1);
    expect(stderr.trim()).toBe('STACK: no environment "staging" in iam-http-api.config.ts; have dev, prod');
  });

  it('npm run plan with an unknown STACK or argument names it', () => {
    expect(npmScript('plan', { STACK: 'qa' })).toEqual({ status: 1, stderr: 'STACK: no environment "qa" in iam-http-api.config.ts; have dev, prod\n' });
    const bad = npmScript('plan', { STACK: 'dev' }, ['--destroy']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('unknown argument "--destroy"');
  });
});
