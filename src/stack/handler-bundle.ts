/**
 * Bundles `handler/` with esbuild into one minified ES module (`index.mjs`) for the Lambda
 * runtime. ESM, which Lambda's Node.js runtimes load natively, needs none of the CommonJS
 * interop wrapper esbuild would otherwise add (about 450 bytes).
 * The output depends only on the sources and the runtime: no timestamps, no absolute paths,
 * no source map, so synthesizing twice gives byte-identical assets. (The local gateway's copy
 * gets its map from a build with these options plus `sourcemap: 'external'`, which writes the
 * same JavaScript: src/commands/watch.ts.)
 */
import { buildSync, type BuildOptions } from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LambdaRuntime } from '../config/types';

/** The project root: where package.json, cdktf.json and handler/ live. */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

export const HANDLER_ENTRY = path.join(PROJECT_ROOT, 'handler', 'index.ts');

/** The bundle's file name inside the asset; the Lambda handler is `index.handler`. */
export const HANDLER_FILE = 'index.mjs';

/** `nodejs22.x` → `node22`: the esbuild target matching the Lambda runtime. */
export function esbuildTarget(runtime: LambdaRuntime): string {
  return runtime.replace(/^nodejs(\d+)\.x$/, 'node$1');
}

/**
 * Writes `index.mjs` into `<PROJECT_ROOT>/.build/handler-<target>/` and returns that folder,
 * which then holds that file only (anything else, say a bundle from an older build, would be
 * zipped into the Lambda too). The AWS SDK is left out (the runtime provides it; the handler
 * does not use it anyway).
 */
export function bundleHandler(runtime: LambdaRuntime, outRoot = path.join(PROJECT_ROOT, '.build')): string {
  const outDir = path.join(outRoot, `handler-${esbuildTarget(runtime)}`);
  const outFile = path.join(outDir, HANDLER_FILE);
  const result = buildSync(handlerBuildOptions(runtime, outFile));
  if (result.errors.length > 0) {
    throw new Error(`esbuild could not bundle ${HANDLER_ENTRY}: ${result.errors.map((e) => e.text).join('; ')}`);
  }
  const bundle = result.outputFiles.find((f) => f.path === outFile);
  if (bundle === undefined) throw new Error(`esbuild wrote no ${HANDLER_FILE} for ${HANDLER_ENTRY}`);
  fs.mkdirSync(outDir, { recursive: true });
  for (const entry of fs.readdirSync(outDir)) {
    if (entry !== HANDLER_FILE) fs.rmSync(path.join(outDir, entry), { recursive: true, force: true });
  }
  // Written beside the folder, then renamed: a synth running at the same time never reads half a file.
  const temp = `${outDir}.${process.pid}.${HANDLER_FILE}.tmp`;
  fs.writeFileSync(temp, bundle.contents);
  fs.renameSync(temp, outFile);
  return outDir;
}

/**
 * esbuild's options for the bundle, in memory (`write: false`), `outFile` naming the output.
 * The one definition of how the handler is built: bundleHandler (synth) and watch mode's
 * incremental rebuilds (esbuild's context(), src/commands/watch.ts) both use it, so the bytes
 * are the same.
 */
export function handlerBuildOptions(runtime: LambdaRuntime, outFile: string) {
  return {
    entryPoints: [HANDLER_ENTRY],
    outfile: outFile,
    absWorkingDir: PROJECT_ROOT,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: esbuildTarget(runtime),
    minify: true,
    legalComments: 'none',
    sourcemap: false,
    external: ['@aws-sdk/*'],
    logLevel: 'silent',
    write: false,
  } satisfies BuildOptions;
}
