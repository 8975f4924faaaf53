/**
 * Watch mode's pieces (src/commands/watch.ts): the local bundle is byte for byte what synth
 * bundles (so what runs locally is what Terraform would zip), and a failed synth's output is
 * cut down to its message.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { HandlerBuilder, synthMessage, withoutSourceMap, withSourceMap } from '../../src/commands/watch';
import { bundleHandler, HANDLER_FILE, PROJECT_ROOT } from '../../src/stack/handler-bundle';

describe('watch mode', () => {
  it('rebuilds the handler into the same bytes as synth\'s bundle', async () => {
    const outRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'watch-bundle-'));
    const builder = new HandlerBuilder(PROJECT_ROOT);
    try {
      const synthBytes = fs.readFileSync(path.join(bundleHandler('nodejs22.x', outRoot), HANDLER_FILE));
      const first = await builder.build('nodejs22.x');
      const again = await builder.build('nodejs22.x');
      expect(first.ok && again.ok).toBe(true);
      if (!first.ok || !again.ok) return;
      expect(Buffer.from(first.contents).equals(synthBytes)).toBe(true);
      expect(Buffer.from(again.contents).equals(synthBytes)).toBe(true);
      // Another runtime, another target: a new context, other bytes are allowed but it must build.
      expect((await builder.build('nodejs20.x')).ok).toBe(true);
    } finally {
      await builder.dispose();
      fs.rmSync(outRoot, { recursive: true, force: true });
    }
  });

  it('keeps a failed synth\'s message and drops Node.js\'s stack trace around it', () => {
    const root = '/home/me/project';
    const output = [
      'node:internal/modules/run_main:123',
      '    triggerUncaughtException(',
      '    ^',
      '',
      'Error: Transform failed with 1 error:',
      `${root}/iam-http-api.config.ts:10:2: ERROR: Expected "}" but found "region"`,
      '    at failureErrorWithLog (/x/node_modules/esbuild/lib/main.js:1752:15)',
      '    at Socket.emit (node:events:524:28) {',
      "  name: 'TransformError'",
      '}',
      '',
      'Node.js v20.20.2',
    ].join('\n');
    expect(synthMessage(output, root)).toBe([
      'Error: Transform failed with 1 error:',
      'iam-http-api.config.ts:10:2: ERROR: Expected "}" but found "region"',
      "  name: 'TransformError'",
      '}',
    ].join('\n'));
  });
});

describe('the local copy\'s source map', () => {
  it('maps synth\'s bytes to handler/index.ts by absolute file URL, inline as one last line that comes off again', async () => {
    const builder = new HandlerBuilder(PROJECT_ROOT);
    try {
      const built = await builder.build('nodejs22.x');
      if (!built.ok) throw new Error(built.message);
      const map = JSON.parse(built.sourceMap!) as { sources: string[]; sourcesContent: string[] };
      expect(map.sources).toEqual([pathToFileURL(path.join(PROJECT_ROOT, 'handler', 'index.ts')).href]);
      expect(map.sourcesContent[0]).toBe(fs.readFileSync(path.join(PROJECT_ROOT, 'handler', 'index.ts'), 'utf8'));
      const copy = withSourceMap(built.contents, built.sourceMap);
      expect(copy.subarray(0, built.contents.length).equals(Buffer.from(built.contents))).toBe(true);
      expect(copy.subarray(built.contents.length).toString()).toMatch(/^\n\/\/# sourceMappingURL=data:application\/json;charset=utf-8;base64,[A-Za-z0-9+/=]+\n$/);
      expect(withoutSourceMap(copy).equals(Buffer.from(built.contents))).toBe(true);
      expect(withoutSourceMap(Buffer.from(built.contents)).equals(Buffer.from(built.contents))).toBe(true);
    } finally {
      await builder.dispose();
    }
  });
});
