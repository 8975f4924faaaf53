#!/usr/bin/env node
/**
 * iam-http-api: the Node CLI (`npx iam-http-api call /hello`). Its sources are TypeScript in
 * clients/cli/. To start fast, this file does not load tsx: it runs a CommonJS bundle of
 * them, .build/cli/cli.js, which esbuild writes the first time and again whenever one of the
 * bundle's inputs changed (their mtimes are kept beside it, in cli.inputs.json). esbuild is
 * loaded only to rebuild; a warm start costs a few stat calls. npm packages stay external and
 * load from node_modules (aws4fetch through its CommonJS build).
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const entry = path.join(root, 'clients', 'cli', 'main.ts');
const outdir = path.join(root, '.build', 'cli');
const bundle = path.join(outdir, 'cli.js');
const inputsFile = path.join(outdir, 'cli.inputs.json');
/** Bump when the build options below change. */
const BUILD = 1;

/** True when the bundle exists and none of its inputs changed since it was built. */
function upToDate() {
  try {
    const recorded = JSON.parse(fs.readFileSync(inputsFile, 'utf8'));
    if (recorded.build !== BUILD || !fs.existsSync(bundle)) return false;
    return Object.entries(recorded.inputs).every(([file, mtimeMs]) => fs.statSync(path.join(root, file)).mtimeMs === mtimeMs);
  } catch {
    return false;
  }
}

function build() {
  const esbuild = require(require.resolve('esbuild', { paths: [root] }));
  const result = esbuild.buildSync({
    entryPoints: [entry],
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    outfile: bundle,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].text;
  const inputs = {};
  for (const file of Object.keys(result.metafile.inputs)) inputs[file] = fs.statSync(path.join(root, file)).mtimeMs;
  try {
    // Written to temporary files and renamed: a CLI started meanwhile sees the old or the new bundle, never half of one.
    fs.mkdirSync(outdir, { recursive: true });
    for (const [file, text] of [[bundle, code], [inputsFile, JSON.stringify({ build: BUILD, inputs }, null, 2)]]) {
      const temp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(temp, text);
      fs.renameSync(temp, file);
    }
  } catch {
    // A read-only checkout: run the bundle from memory, rebuilding each time.
    return code;
  }
  return undefined;
}

function load() {
  const code = upToDate() ? undefined : build();
  if (code === undefined) return require(bundle);
  const Module = require('node:module');
  const loaded = new Module(bundle, module);
  loaded.filename = bundle;
  loaded.paths = Module._nodeModulePaths(outdir);
  loaded._compile(code, bundle);
  return loaded.exports;
}

// The AWS SDK (STS, for roles) warns on every run under Node 20 that its releases after
// January 2027 will need Node 22: news for whoever upgrades the pinned SDK, not for a caller of
// this CLI. AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=false brings it back.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// Piped into head or less: stop quietly when the reader goes away.
process.stdout.on('error', (error) => process.exit(error.code === 'EPIPE' ? 0 : 1));

load()
  .main(process.argv.slice(2), root)
  .then((status) => { process.exitCode = status; });
