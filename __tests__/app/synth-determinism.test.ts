import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runApp } from '../support/synth';

const root = path.resolve(__dirname, '..', '..');

/** Every file under `dir`, relative path → bytes. */
function snapshot(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (at: string): void => {
    for (const entry of fs.readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.set(path.relative(dir, full), fs.readFileSync(full));
    }
  };
  walk(dir);
  return files;
}

function synth(outdir: string): void {
  const result = runApp(outdir);
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
}

describe('the cdktf app (npm run synth)', () => {
  // Inside the project, as cdktf.out is: the local state path is relative to the project root.
  fs.mkdirSync(path.join(root, '.build'), { recursive: true });
  const outdir = fs.mkdtempSync(path.join(root, '.build', 'synth-check-'));
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  it('synthesizes byte-identical cdk.tf.json and handler bundle when nothing changed', () => {
    synth(outdir);
    const first = snapshot(outdir);
    synth(outdir);
    const second = snapshot(outdir);

    const stackFiles = [...first.keys()].filter((f) => f.endsWith('cdk.tf.json'));
    const bundles = [...first.keys()].filter((f) => f.endsWith(`${path.sep}index.mjs`));
    expect(stackFiles.sort()).toEqual([path.join('stacks', 'dev', 'cdk.tf.json'), path.join('stacks', 'prod', 'cdk.tf.json')]);
    expect(bundles).toHaveLength(2);
    expect([...second.keys()].sort()).toEqual([...first.keys()].sort());
    for (const [file, bytes] of first) {
      expect({ file, same: bytes.equals(second.get(file)!) }).toEqual({ file, same: true });
    }
  });

  it('writes no absolute path of this machine into the stacks', () => {
    for (const stack of ['dev', 'prod']) {
      const json = fs.readFileSync(path.join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8');
      expect(json).not.toContain(root);
      expect(json).not.toContain(os.tmpdir());
    }
  });
});
