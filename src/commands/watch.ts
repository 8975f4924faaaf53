/**
 * Watch mode for `npm start` (on by default; `npm start -- --no-watch` turns it off): edits are
 * served without a restart, and a broken edit never replaces what works.
 *
 *  - The gateway runs a copy of the bundle, `.build/local-handler/<stack>-<pid>/index.mjs`
 *    (withLocalBundle; removed when it stops), never the file in cdktf.out: that one is rewritten by every synthesis
 *    (cdktf deletes the asset folder first) and must stay exactly what `npm run synth` writes,
 *    in a folder named after its content's hash. The copy is synth's bytes plus one last line,
 *    an inline source map (withSourceMap) from esbuild's build of the same sources with the same
 *    options: the Lambda processes run with --enable-source-maps, so a handler's stack trace
 *    names handler/*.ts lines, and a debugger (npm start -- --inspect) sets breakpoints there.
 *    The map is attached only when that build's JavaScript is byte for byte the bundle's.
 *  - `handler/**`: the bundle is rebuilt incrementally (esbuild's context() and rebuild(), with
 *    the options synth uses, handler-bundle.ts, so the bytes are synth's) into that copy. New
 *    invocations run the new bundle; those in flight finish on the old one (LambdaInvoker.reload).
 *  - `iam-http-api.config.ts`, `main.ts`, `cdktf.json`, `src/app/**`, `src/config/**`,
 *    `src/stack/**`: the app is synthesized again in a child process (as npm run synth, into the
 *    same cdktf.out), the stack loaded, new invokers given keys, then routes, CORS, the
 *    integration and the invokers' policies swapped in at once (LocalGateway.update).
 *  - anything else under `src/` is the gateway's own code: a line says to restart.
 *
 * Bursts of events (editors write several times per save) are gathered for a quiet period;
 * reloads run one at a time, in order. A failed build, synth, load or key file leaves the
 * last good version serving and prints why (esbuild's messages with file:line:column, the
 * config validator's, tsx's); the next good save recovers. Each reload prints one line.
 */
import { context, formatMessages, type BuildContext, type BuildFailure, type Message } from 'esbuild';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LambdaRuntime } from '../config/types';
import { CredentialsFileError, ensureInvokerKeys } from '../gateway/credentials';
import { loadStack, StackLoadError, type LoadedStack } from '../gateway/load-stack';
import type { LocalGateway } from '../gateway/server';
import { esbuildTarget, HANDLER_FILE, handlerBuildOptions } from '../stack/handler-bundle';
import { grantsOf } from './invoker-grants';
import { synthesizeInBackground } from './synth-if-stale';

/** Files at the project root whose edit means synthesizing again. */
const ROOT_SOURCES = new Set(['iam-http-api.config.ts', 'main.ts', 'cdktf.json']);
/** Folders under src/ that make up the synthesized stack (the rest is the gateway's own code). */
const STACK_SOURCE_DIRS = ['app', 'config', 'stack'];
/** Never sources, wherever they appear. */
const IGNORED = /(^|[\\/])(node_modules|cdktf\.out|\.build|\.git)([\\/]|$)/;
/** Editors' temporary and backup files: `.x.swp`, `x~`, `4913` (vim's probe), `.#x` (emacs). */
const EDITOR_NOISE = /(^|[\\/])(\.[^\\/]*\.sw[a-p]x?|[^\\/]*~|4913|\.#[^\\/]*|[^\\/]*\.tmp)$/;

export interface WatchOptions {
  /** The project root (package.json, handler/, src/). */
  readonly root: string;
  /** cdktf's output folder, synthesized into again on a config or stack edit. */
  readonly outdir: string;
  readonly stackName: string;
  /** The credentials file new invokers get their keys in. */
  readonly credentials: string;
  readonly gateway: LocalGateway;
  /** One line of news (stdout). */
  readonly print: (text: string) => void;
  /** A failed reload's message (stderr). */
  readonly printError: (text: string) => void;
  /** Quiet period after the last event before the handler is rebuilt (default 15 ms). */
  readonly handlerDebounceMs?: number;
  /** Quiet period after the last event before the app is synthesized again (default 100 ms). */
  readonly stackDebounceMs?: number;
  /** The builder whose first build (`primed`) gave the copy served now its source map; default: a new one, primed here. */
  readonly builder?: HandlerBuilder;
  readonly primed?: Built;
}

export interface Watching {
  /** Stops watching: closes the watchers, ends a synthesis under way, disposes of esbuild's context. */
  close(): Promise<void>;
}

/** A build of the handler: its JavaScript (synth's bytes) and its source map (sources as absolute file URLs). */
export type Built = { readonly ok: true; readonly contents: Uint8Array; readonly sourceMap?: string } | { readonly ok: false; readonly message: string };

/** synth's options, plus a separate source map: esbuild writes the same JavaScript with it (watch.test.ts checks). */
function builderOptions(runtime: LambdaRuntime, outFile: string) {
  return { ...handlerBuildOptions(runtime, outFile), sourcemap: 'external' } as const;
}

/** esbuild's incremental build of the handler for one target; a new context when the runtime changes. */
export class HandlerBuilder {
  private ctx?: BuildContext<ReturnType<typeof builderOptions>>;
  private target?: string;

  constructor(private readonly root: string) {}

  async build(runtime: LambdaRuntime): Promise<Built> {
    const target = esbuildTarget(runtime);
    if (this.ctx && this.target !== target) await this.dispose();
    try {
      if (!this.ctx) {
        // Named as synth names it (nothing is written: write is false), so the bytes are synth's.
        this.ctx = await context(builderOptions(runtime, path.join(this.root, '.build', `handler-${target}`, HANDLER_FILE)));
        this.target = target;
      }
      const result = await this.ctx.rebuild();
      const file = result.outputFiles.find((f) => f.path.endsWith(`${path.sep}${HANDLER_FILE}`));
      if (!file) return { ok: false, message: `esbuild wrote no ${HANDLER_FILE}` };
      const map = result.outputFiles.find((f) => f.path.endsWith(`${path.sep}${HANDLER_FILE}.map`));
      return { ok: true, contents: file.contents, sourceMap: map ? absoluteSources(map.text, path.dirname(map.path)) : undefined };
    } catch (error) {
      const errors = (error as Partial<BuildFailure>).errors;
      if (!Array.isArray(errors)) return { ok: false, message: (error as Error).message ?? String(error) };
      return { ok: false, message: (await formatMessages(errors as Message[], { kind: 'error', color: false })).join('').trimEnd() };
    }
  }

  async dispose(): Promise<void> {
    const ctx = this.ctx;
    this.ctx = undefined;
    this.target = undefined;
    await ctx?.dispose();
  }
}

/** A source map with its `sources` made absolute file URLs (esbuild's are relative to its outfile, where the copy is not). */
function absoluteSources(mapText: string, mapDir: string): string {
  const map = JSON.parse(mapText) as { sources: string[]; sourceRoot?: string };
  map.sources = map.sources.map((source) => pathToFileURL(path.resolve(mapDir, map.sourceRoot ?? '', source)).href);
  delete map.sourceRoot;
  return JSON.stringify(map);
}

/** How the local copy's last line starts: an inline source map (a file of its own would be one more thing to keep in step). */
const SOURCE_MAP_COMMENT = '\n//# sourceMappingURL=data:application/json;charset=utf-8;base64,';

/** `js` with `sourceMap` inline as its last line (the code's lines and columns are unchanged); `js` alone without one. */
export function withSourceMap(js: Uint8Array, sourceMap: string | undefined): Buffer {
  if (sourceMap === undefined) return Buffer.from(js);
  return Buffer.concat([js, Buffer.from(`${SOURCE_MAP_COMMENT}${Buffer.from(sourceMap).toString('base64')}\n`)]);
}

/** The JavaScript of a local copy: its bytes without the source map line withSourceMap added. */
export function withoutSourceMap(bytes: Buffer): Buffer {
  const at = bytes.lastIndexOf(SOURCE_MAP_COMMENT);
  return at >= 0 && /^[A-Za-z0-9+/=]*\n?$/.test(bytes.subarray(at + SOURCE_MAP_COMMENT.length).toString('latin1')) ? bytes.subarray(0, at) : bytes;
}

/** Where the gateways of a project keep the bundles they run: one folder each. */
function localHandlerRoot(root: string): string {
  return path.join(root, '.build', 'local-handler');
}

/**
 * The bundle file watch mode runs for `stack`: under `<root>/.build/local-handler/`, in a folder
 * of this process's own (`<stack>-<pid>`), so that two gateways of one project (another stack,
 * or tests with their own cdktf.out) never run each other's copy.
 */
export function localBundleFile(root: string, stack: LoadedStack): string {
  return path.join(localHandlerRoot(root), `${stack.stackName}-${process.pid}`, path.basename(stack.integration.bundleFile));
}

const cleanupRegistered = new Set<string>();

/** Removes the folders of gateways that are gone (stopped by SIGKILL, say): their pid no longer runs. */
function removeOrphanedCopies(root: string): void {
  let entries: string[];
  try {
    entries = fs.readdirSync(localHandlerRoot(root));
  } catch {
    return;
  }
  for (const entry of entries) {
    const pid = Number(/-(\d+)$/.exec(entry)?.[1]);
    if (!pid || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') fs.rmSync(path.join(localHandlerRoot(root), entry), { recursive: true, force: true });
    }
  }
}

/** Writes `bytes` to `file` (a new file renamed over it: a process starting meanwhile never reads half of it). */
function install(file: string, bytes: Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, bytes);
  fs.renameSync(temp, file);
}

/**
 * `stack` with its Lambda running a copy of its bundle (localBundleFile), copied now: what
 * npm start serves, at startup and (watch mode) after each re-synthesis. `built`: a build of
 * the same sources (HandlerBuilder); when its JavaScript is the bundle's, its source map goes
 * into the copy.
 */
export function withLocalBundle(root: string, stack: LoadedStack, built?: Built): LoadedStack {
  removeOrphanedCopies(root);
  const file = localBundleFile(root, stack);
  // Removed when the process exits (after a graceful stop, the Lambda processes are gone by then).
  if (!cleanupRegistered.has(file)) {
    cleanupRegistered.add(file);
    process.once('exit', () => fs.rmSync(path.dirname(file), { recursive: true, force: true }));
  }
  const bytes = fs.readFileSync(stack.integration.bundleFile);
  install(file, withSourceMap(bytes, sourceMapFor(bytes, built)));
  return { ...stack, integration: { ...stack.integration, bundleFile: file } };
}

/** `built`'s source map if its JavaScript is `bundle`, else none (a map of other code would mislead). */
function sourceMapFor(bundle: Uint8Array, built: Built | undefined): string | undefined {
  return built?.ok && Buffer.from(built.contents).equals(bundle) ? built.sourceMap : undefined;
}

/** `84 ms`, `1.9 s`. */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * What changed between two loads of a stack, for the reload line: `+invoker auditor`,
 * `-invoker editor`, `~invoker viewer` (its policies, groups or tags), routes added and
 * removed (or `routes unchanged`), CORS, the function's settings and its bundle.
 */
export function describeChanges(before: LoadedStack, after: LoadedStack): string {
  const parts: string[] = [];
  const oldInvokers = new Map(before.invokers.map((i) => [i.name, JSON.stringify(i.principal)]));
  const newInvokers = new Map(after.invokers.map((i) => [i.name, JSON.stringify(i.principal)]));
  for (const [name, principal] of newInvokers) {
    if (!oldInvokers.has(name)) parts.push(`+invoker ${name}`);
    else if (oldInvokers.get(name) !== principal) parts.push(`~invoker ${name}`);
  }
  for (const name of oldInvokers.keys()) if (!newInvokers.has(name)) parts.push(`-invoker ${name}`);
  if (parts.length === 0) parts.push('invokers unchanged');
  const routeText = (s: LoadedStack): Map<string, string> => new Map(s.routes.map((r) => [r.routeKey, r.authorizationType]));
  const oldRoutes = routeText(before);
  const newRoutes = routeText(after);
  const routeParts: string[] = [];
  for (const [key, auth] of newRoutes) {
    if (!oldRoutes.has(key)) routeParts.push(`+route ${key}`);
    else if (oldRoutes.get(key) !== auth) routeParts.push(`~route ${key} (${auth})`);
  }
  for (const key of oldRoutes.keys()) if (!newRoutes.has(key)) routeParts.push(`-route ${key}`);
  parts.push(...(routeParts.length > 0 ? routeParts : ['routes unchanged']));
  if (JSON.stringify(before.cors) !== JSON.stringify(after.cors)) parts.push('CORS changed');
  const { bundleFile: oldBundle, ...oldFn } = before.integration;
  const { bundleFile: newBundle, ...newFn } = after.integration;
  const settings = (Object.keys(newFn) as Array<keyof typeof newFn>).filter((k) => JSON.stringify(oldFn[k]) !== JSON.stringify(newFn[k]));
  if (settings.length > 0) parts.push(`function ${settings.join(', ')} changed`);
  if (!sameBytes(oldBundle, newBundle)) parts.push('handler bundle changed');
  if (JSON.stringify(before.invokePermissions) !== JSON.stringify(after.invokePermissions)) parts.push('Lambda permissions changed');
  if (before.accessLogFormat !== after.accessLogFormat) parts.push('access log format changed');
  return parts.join(', ');
}

function sameBytes(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return withoutSourceMap(fs.readFileSync(a)).equals(withoutSourceMap(fs.readFileSync(b)));
  } catch {
    return false;
  }
}

/** Starts watching; resolves once the watchers are open and esbuild's first (priming) build is done. */
export async function watchProject(options: WatchOptions): Promise<Watching> {
  const { root, gateway, print, printError } = options;
  const handlerDebounceMs = options.handlerDebounceMs ?? 15;
  const stackDebounceMs = options.stackDebounceMs ?? 100;
  const builder = options.builder ?? new HandlerBuilder(root);
  let closed = false;
  let synthChild: ChildProcess | undefined;
  /** The local copy the invoker runs now (JavaScript and source map), to tell a rebuild that changed nothing. */
  let served = readOrUndefined(gateway.stack.integration.bundleFile);
  /** Its JavaScript: synth's bytes, to tell a re-synthesized bundle that changed nothing. */
  let running: Buffer | undefined = served && withoutSourceMap(served);

  // Reloads run one at a time, in the order their bursts ended; a burst arriving while its kind
  // is already waiting joins that reload.
  let chain: Promise<void> = Promise.resolve();
  const waiting = { handler: undefined as { since: number } | undefined, stack: undefined as { since: number; files: Set<string> } | undefined };
  const enqueue = (job: () => Promise<void>): void => {
    chain = chain.then(() => (closed ? undefined : job())).catch((error: unknown) => printError(`watch mode: ${error instanceof Error ? error.stack ?? error.message : String(error)}`));
  };

  const reloadHandler = async (since: number): Promise<void> => {
    const runtime = gateway.stack.integration.runtime as LambdaRuntime;
    const built = await builder.build(runtime);
    if (closed) return;
    if (!built.ok) {
      printError(`handler not reloaded: esbuild could not bundle it; still serving the last good version\n${built.message}`);
      return;
    }
    const bytes = Buffer.from(built.contents);
    const copy = withSourceMap(bytes, built.sourceMap);
    if (served?.equals(copy)) {
      print(`handler rebuilt in ${formatDuration(performance.now() - since)}: bundle unchanged`);
      return;
    }
    // Also when only the source map changed (an edit of comments or blank lines moves lines but
    // not code): the processes load the map with the bundle, and stack traces must name the new lines.
    const mapOnly = running?.equals(bytes) === true;
    install(gateway.stack.integration.bundleFile, copy);
    gateway.reloadFunction();
    running = bytes;
    served = copy;
    print(`reloaded handler in ${formatDuration(performance.now() - since)}${mapOnly ? ': code unchanged, source map updated' : ''}`);
  };

  const reloadStack = async (since: number, files: ReadonlySet<string>): Promise<void> => {
    const changed = [...files].sort().join(', ');
    const notReloaded = (why: string, detail: string): void =>
      printError(`stack ${options.stackName} not reloaded (${changed} changed): ${why}; still serving the last good version${detail ? `\n${detail.trimEnd()}` : ''}`);
    const synth = await synthesizeInBackground(root, options.outdir, (child) => { synthChild = child; });
    synthChild = undefined;
    if (closed) return;
    if (!synth.ok) return notReloaded('the synth failed', synthMessage(synth.output, root));
    let stack: LoadedStack;
    try {
      stack = loadStack(options.outdir, options.stackName);
    } catch (error) {
      if (error instanceof StackLoadError) return notReloaded('the synthesized stack cannot be served', error.message);
      throw error;
    }
    let keys;
    try {
      keys = ensureInvokerKeys(options.credentials, stack.invokers.map((i) => i.name));
    } catch (error) {
      if (error instanceof CredentialsFileError) return notReloaded('no keys for its invokers', error.message);
      throw error;
    }
    const before = gateway.stack;
    const summary = describeChanges(before, stack);
    const bytes = fs.readFileSync(stack.integration.bundleFile);
    const bundleChanged = !running?.equals(bytes);
    const local = localBundleFile(root, stack);
    if (bundleChanged || local !== before.integration.bundleFile) {
      // The map of a build of the sources as they are now (the bundle's runtime may be another).
      const built = await builder.build(stack.integration.runtime as LambdaRuntime);
      served = withSourceMap(bytes, sourceMapFor(bytes, built));
      install(local, served);
    }
    gateway.update({ ...stack, integration: { ...stack.integration, bundleFile: local } }, keys, { reloadFunction: bundleChanged });
    running = bytes;
    const added = stack.invokers.filter((i) => !before.invokers.some((b) => b.name === i.name));
    print([
      `reloaded stack ${options.stackName} in ${formatDuration(performance.now() - since)}: ${summary}`,
      ...added.map((i) => `  ${i.name.padEnd(10)} ${keys.get(i.name)?.accessKeyId ?? '(no key)'}  ${grantsOf(i.principal, stack.executionArn)}`),
    ].join('\n'));
  };

  let handlerTimer: NodeJS.Timeout | undefined;
  let stackTimer: NodeJS.Timeout | undefined;
  let handlerSince: number | undefined;
  let stackSince: number | undefined;
  let stackFiles = new Set<string>();
  const gatewayFiles = new Set<string>();
  let gatewayTimer: NodeJS.Timeout | undefined;

  const handlerChanged = (): void => {
    handlerSince ??= performance.now();
    clearTimeout(handlerTimer);
    handlerTimer = setTimeout(() => {
      const since = handlerSince!;
      handlerSince = undefined;
      if (waiting.handler) return;
      waiting.handler = { since };
      enqueue(async () => {
        const job = waiting.handler!;
        waiting.handler = undefined;
        await reloadHandler(job.since);
      });
    }, handlerDebounceMs);
  };

  const stackChanged = (file: string): void => {
    stackSince ??= performance.now();
    stackFiles.add(file);
    clearTimeout(stackTimer);
    stackTimer = setTimeout(() => {
      const since = stackSince!;
      const files = stackFiles;
      stackSince = undefined;
      stackFiles = new Set();
      if (waiting.stack) {
        for (const f of files) waiting.stack.files.add(f);
        return;
      }
      waiting.stack = { since, files };
      enqueue(async () => {
        const job = waiting.stack!;
        waiting.stack = undefined;
        await reloadStack(job.since, job.files);
      });
    }, stackDebounceMs);
  };

  const gatewayCodeChanged = (file: string): void => {
    gatewayFiles.add(file);
    clearTimeout(gatewayTimer);
    gatewayTimer = setTimeout(() => {
      print(`${[...gatewayFiles].sort().join(', ')} changed: the local gateway's own code is not reloaded; restart npm start to run it`);
      gatewayFiles.clear();
    }, stackDebounceMs);
  };

  const relevant = (name: string | null): name is string => name !== null && !IGNORED.test(name) && !EDITOR_NOISE.test(name);
  const watchers: fs.FSWatcher[] = [];
  const watch = (dir: string, recursive: boolean, onFile: (relative: string) => void): void => {
    if (!fs.existsSync(dir)) return;
    const watcher = fs.watch(dir, { recursive }, (_event, name) => {
      const file = name === null ? null : String(name);
      if (relevant(file)) onFile(file);
    });
    // A folder deleted or unreadable: stop watching it, keep serving.
    watcher.on('error', (error) => printError(`watch mode: no longer watching ${path.relative(root, dir) || '.'}: ${error.message}`));
    watchers.push(watcher);
  };

  // The first build primes esbuild's incremental state, so the first edit rebuilds fast.
  const primed = options.primed ?? await builder.build(gateway.stack.integration.runtime as LambdaRuntime);
  if (!primed.ok) printError(`watch mode: the handler does not build now; fix it and save\n${primed.message}`);

  watch(path.join(root, 'handler'), true, () => handlerChanged());
  watch(root, false, (name) => { if (ROOT_SOURCES.has(name)) stackChanged(name); });
  watch(path.join(root, 'src'), true, (name) => {
    const file = path.join('src', name);
    if (STACK_SOURCE_DIRS.includes(name.split(/[\\/]/)[0]) && name.includes(path.sep)) stackChanged(file);
    else if (/\.(ts|mjs|js|json)$/.test(name)) gatewayCodeChanged(file);
  });

  return {
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const watcher of watchers) watcher.close();
      for (const timer of [handlerTimer, stackTimer, gatewayTimer]) clearTimeout(timer);
      synthChild?.kill('SIGKILL');
      await chain;
      await builder.dispose();
    },
  };
}

/**
 * A failed synth's output without Node.js's framing of an uncaught error (stack frames, the
 * `triggerUncaughtException` excerpt, the version line), project paths relative: what is left
 * is the message itself, e.g. tsx's `iam-http-api.config.ts:10:2: ERROR: Expected "}" but
 * found "region"` or the config validator's list of problems.
 */
export function synthMessage(output: string, root: string): string {
  const noise = [/^\s+at /, /^node:internal\//, /^\s*triggerUncaughtException\(/, /^\s*\^\s*$/, /^Node\.js v\d/];
  return output
    .split('\n')
    .filter((line) => !noise.some((pattern) => pattern.test(line)))
    .join('\n')
    .split(`${root}${path.sep}`).join('')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function readOrUndefined(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}
