// One Lambda execution environment for the local gateway (src/gateway/invoke.ts): a child
// process running the bundle, one invocation at a time. It is a process, not a worker thread,
// because V8 aborts the whole process when an isolate passes its heap limit in one large
// allocation (a worker's `resourceLimits` only catch gradual growth): a handler building a
// 30e6-element array, or JSON.stringify of a 50 MB body, took the gateway down with "FATAL
// ERROR: Reached heap limit". Here it ends this process only; the gateway answers 500.
//
// Protocol (parent ⇄ child, IPC messages):
//   child → parent  { type: 'ready', initMs, memoryMb } once the bundle is loaded, before any invocation;
//                   { type: 'init-error', errorType, errorMessage } then exits, when it is not;
//                   { type: 'result', id, ok: true, payload, memoryMb }: payload is the JSON text;
//                   { type: 'result', id, ok: false, errorType, errorMessage, memoryMb }: a function error.
//   parent → child  { id, event, context }: event is the JSON text of the event.
// argv: <bundle file> <export name> <max response bytes> [<inspector host:port>].
//
// With an inspector address (npm start -- --inspect), the process opens Node's inspector there
// before it loads the bundle, as `node --inspect=<host:port>` would, but only once the port is
// free: the process it replaces (after a reload, a crash) may still hold it for a moment.
//
// Its log, on stdout, is the function's log as Lambda writes it: START, the handler's console
// lines, END and REPORT for each invocation (the parent adds Lambda's lines for an invocation
// that never finishes here: a timeout, a crash).
import { writeSync } from 'node:fs';
import * as inspector from 'node:inspector';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';
import { Worker } from 'node:worker_threads';

const [bundleFile, exportName, maxResponseText, inspectAddress] = process.argv.slice(2);
const MAX_RESPONSE_BYTES = Number(maxResponseText);

/** Resolves with whether `port` on `host` can be listened on now. */
function portFree(host, port) {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/** Opens the inspector on `host:port` once the port is free (for up to 5 s); Node prints its ws:// URL. */
async function openInspector(address) {
  const separator = address.lastIndexOf(':');
  const host = address.slice(0, separator);
  const port = Number(address.slice(separator + 1));
  const giveUp = Date.now() + 5_000;
  while (!(await portFree(host, port)) && Date.now() < giveUp) await new Promise((resolve) => setTimeout(resolve, 20));
  inspector.open(port, host, false);
  if (!inspector.url()) process.stderr.write(`Inspector not opened: ${host}:${port} stayed in use; this Lambda process runs without a debugger\n`);
}

// Ctrl-C reaches the whole foreground process group; the gateway decides when this process
// ends (it kills it), so that in-flight invocations can finish while it shuts down.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);
// The gateway went away: an idle environment ends with it...
process.on('disconnect', () => process.exit(0));
// ...and so does a busy one (a handler in an endless loop never sees 'disconnect'): a thread
// that is not blocked by the handler watches for this process being orphaned.
new Worker(
  `const { parentPort, workerData } = require('node:worker_threads');
   setInterval(() => { if (process.ppid !== workerData) process.kill(process.pid, 'SIGKILL'); }, 500);`,
  { eval: true, workerData: process.ppid },
).unref();

function send(message) {
  if (process.connected) process.send(message);
}

/** Writes one line to stdout at once, so that it is in the pipe before a result is sent or the process ends. */
function writeLine(text) {
  const bytes = Buffer.from(`${text}\n`, 'utf8');
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(1, bytes, offset);
    } catch (error) {
      if (error.code !== 'EAGAIN') return;
    }
  }
}

// The console as Lambda's Node.js runtime patches it, text format: each call is one line
// `${time}\t${requestId}\t${level.name}\t${util.format(message, ...params)}`, console.log being
// console.info (INFO), console.fatal added (aws/aws-lambda-nodejs-runtime-interface-client,
// src/LogPatch.js, logTextToStdout and _patchConsoleWith). The request id is the current
// invocation's, `undefined` before the first one (during init) and, as there, still the last
// one's after it ended. A message's own newlines stay: CloudWatch keeps a multi-line message as
// one event (the runtime writes it framed to its telemetry fd; only its stdout fallback turns
// them into \r).
let currentRequestId;
for (const [method, level] of [['trace', 'TRACE'], ['debug', 'DEBUG'], ['info', 'INFO'], ['log', 'INFO'], ['warn', 'WARN'], ['error', 'ERROR'], ['fatal', 'FATAL']]) {
  console[method] = (message, ...params) => {
    writeLine(`${new Date().toISOString()}\t${currentRequestId}\t${level}\t${format(message, ...params)}`);
  };
}

/** Max memory used so far, MB (the process's peak resident set). */
function maxMemoryMb() {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/** Lambda's REPORT line; same as reportLine in invoke.ts, which documents it. */
function reportLine(requestId, durationMs, memorySizeMb, initMs) {
  const billed = Math.max(1, Math.ceil(durationMs + (initMs ?? 0)));
  const init = initMs === undefined ? '' : `\tInit Duration: ${initMs.toFixed(2)} ms`;
  return `REPORT RequestId: ${requestId}\tDuration: ${durationMs.toFixed(2)} ms\tBilled Duration: ${billed} ms\tMemory Size: ${memorySizeMb} MB\tMax Memory Used: ${maxMemoryMb()} MB${init}`;
}

/**
 * A function error as Lambda's runtime logs it: console.error('Invoke Error', '\t' + JSON) with
 * the error's errorType, errorMessage, code, own enumerable properties and stack as a list
 * (src/Errors.js toFormatted and src/CallbackContext.js postError in the runtime client, above).
 */
function invokeErrorText(thrown) {
  // Errors.intoError: what is not an Error is logged as new Error(it).
  const error = thrown instanceof Error ? thrown : new Error(errorMessageOf(thrown));
  try {
    return `\t${JSON.stringify(error, (_key, value) => (value instanceof Error
      ? { errorType: value.name, errorMessage: value.message, code: value.code, ...value, ...(typeof value.stack === 'string' ? { stack: value.stack.split('\n') } : {}) }
      : value))}`;
  } catch {
    return `\t${JSON.stringify({ errorType: errorTypeOf(error), errorMessage: errorMessageOf(error), trace: [] })}`;
  }
}

// As Lambda's runtime (src/index.mjs in the runtime client): "process.on('uncaughtException', (error) =>
// { LogPatch.structuredConsole.logError('Uncaught Exception', error); ..." then exit 129, and
// 'Unhandled Promise Rejection' (a Runtime.UnhandledPromiseRejection) then exit 128.
process.on('uncaughtException', (error) => {
  console.error('Uncaught Exception', invokeErrorText(error));
  process.exit(129);
});
process.on('unhandledRejection', (reason, promise) => {
  const error = Object.assign(new Error(errorMessageOf(reason)), { reason, promise });
  error.name = 'Runtime.UnhandledPromiseRejection';
  console.error('Unhandled Promise Rejection', invokeErrorText(error));
  process.exit(128);
});

/** Init time still to report, in the first invocation's REPORT line ("Init Duration"). */
let initMs;
let handler;
process.on('message', (message) => void invoke(message));
if (inspectAddress) await openInspector(inspectAddress);
try {
  const mod = await import(pathToFileURL(bundleFile).href);
  handler = mod[exportName] ?? mod.default?.[exportName];
  if (typeof handler !== 'function') {
    throw Object.assign(new Error(`${bundleFile} does not export a function "${exportName}"`), { name: 'Runtime.HandlerNotFound' });
  }
} catch (error) {
  // Lambda retries the init with the next invocation; so does the gateway, with a new process.
  if (process.connected) process.send({ type: 'init-error', errorType: errorTypeOf(error), errorMessage: errorMessageOf(error) }, () => process.exit(1));
  else process.exit(1);
}
if (handler) {
  // Since the process started: Node.js's own start, then loading the bundle (Lambda's INIT phase).
  initMs = performance.now();
  send({ type: 'ready', initMs, memoryMb: maxMemoryMb() });
}

function run(event, context) {
  return new Promise((resolve, reject) => {
    const returned = handler(event, context, (error, result) => (error ? reject(error) : resolve(result)));
    if (returned && typeof returned.then === 'function') returned.then(resolve, reject);
  });
}

async function invoke({ id, event: eventJson, context: info }) {
  const deadline = Date.now() + info.timeoutMs;
  const context = {
    ...info,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done() {}, fail() {}, succeed() {},
  };
  delete context.timeoutMs;
  const requestId = info.awsRequestId;
  currentRequestId = requestId;
  // "START RequestId: c793869b-ee49-115b-a5b6-4fd21e8dedac Version: $LATEST" ... "END RequestId:
  // c793869b-..." (AWS docs, "AWS Lambda function logging in Node.js", example log format).
  writeLine(`START RequestId: ${requestId} Version: ${info.functionVersion}`);
  const started = performance.now();
  const finish = (message) => {
    writeLine(`END RequestId: ${requestId}`);
    writeLine(reportLine(requestId, performance.now() - started, Number(info.memoryLimitInMB), initMs));
    initMs = undefined;
    send({ ...message, memoryMb: maxMemoryMb() });
  };
  let result;
  try {
    result = await run(JSON.parse(eventJson), context);
  } catch (error) {
    console.error('Invoke Error', invokeErrorText(error));
    finish({ type: 'result', id, ok: false, errorType: errorTypeOf(error), errorMessage: errorMessageOf(error) });
    return;
  }
  try {
    // Lambda returns the result serialized as JSON: undefined becomes null, functions vanish.
    const value = result === undefined ? null : result;
    // Measured before serializing: JSON.stringify of a result far past the limit would need
    // as much memory again as the result itself.
    if (jsonLengthAtLeast(value, MAX_RESPONSE_BYTES) > MAX_RESPONSE_BYTES) throw responseTooLarge();
    const payload = JSON.stringify(value);
    if (Buffer.byteLength(payload, 'utf8') > MAX_RESPONSE_BYTES) throw responseTooLarge();
    finish({ type: 'result', id, ok: true, payload });
  } catch (error) {
    // A result that cannot be serialized (a cycle, a BigInt) or is too large: a function error.
    finish({ type: 'result', id, ok: false, errorType: errorTypeOf(error), errorMessage: errorMessageOf(error) });
  }
}

/**
 * Lambda's function error for a response over the synchronous payload quota, in its words:
 * `{"errorType":"Function.ResponseSizeTooLarge","errorMessage":"Response payload size exceeded
 * maximum allowed payload size (6291556 bytes)."}` (quoted in "Deep Dive: Lambda's Response
 * Payload Size Limit", https://zaccharles.medium.com/deep-dive-lambdas-response-payload-size-limit-8aedba9530ed).
 */
function responseTooLarge() {
  return Object.assign(new Error(`Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`), { name: 'Function.ResponseSizeTooLarge' });
}

function errorTypeOf(error) {
  if (error instanceof Error) return error.name || 'Error';
  return typeof error === 'object' && error !== null && typeof error.name === 'string' ? error.name : typeof error;
}

function errorMessageOf(error) {
  try {
    return String(error instanceof Error || (typeof error === 'object' && error !== null && 'message' in error) ? error.message : error);
  } catch {
    return 'the handler failed with a value that cannot be printed';
  }
}

/**
 * A lower bound of the length of `JSON.stringify(value)`, walking at most until it passes
 * `limit` (so its cost is bounded by the limit, not by the value). A string's UTF-8 bytes are at
 * least its UTF-16 length, so the bound holds for bytes as well. Cycles and values
 * JSON.stringify rejects are left for JSON.stringify to report.
 */
function jsonLengthAtLeast(value, limit) {
  const ancestors = new Set();
  let total = 0;
  const walk = (v, inArray) => {
    if (total > limit) return;
    if (v !== null && typeof v === 'object') {
      if (ArrayBuffer.isView(v)) {
        // Buffer.toJSON: {"type":"Buffer","data":[1,2,…]}: 2+ characters a byte. Other typed
        // arrays: {"0":1,"1":2,…}: 6+ characters an element. Not expanded here.
        total += Buffer.isBuffer(v) ? 2 * v.length : v instanceof DataView ? 2 : 6 * v.length;
        return;
      }
      if (typeof v.toJSON === 'function') v = v.toJSON();
    }
    switch (typeof v) {
      case 'string': total += v.length + 2; return;
      case 'number': case 'boolean': total += 1; return;
      case 'bigint': return;
      case 'undefined': case 'function': case 'symbol': if (inArray) total += 4; return;
    }
    if (v === null) { total += 4; return; }
    if (ancestors.has(v)) return;
    ancestors.add(v);
    if (Array.isArray(v)) {
      total += 1 + v.length;
      for (let i = 0; i < v.length && total <= limit; i++) walk(v[i], true);
    } else {
      total += 2;
      for (const key of Object.keys(v)) {
        if (total > limit) break;
        const item = v[key];
        if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
        total += key.length + 4;
        walk(item, false);
      }
    }
    ancestors.delete(v);
  };
  try {
    walk(value, false);
  } catch {
    // A getter or toJSON that throws, or nesting too deep: JSON.stringify will say so.
  }
  return total;
}
