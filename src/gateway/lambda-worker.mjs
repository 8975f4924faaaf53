// Runs the Lambda bundle inside a worker thread for the local gateway (src/gateway/invoke.ts).
// One invocation at a time, as one Lambda execution environment does. A crash, an exit or an
// endless loop here ends this worker only; the gateway replaces it.
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

const { bundleFile, exportName } = workerData;

let handler;
try {
  const mod = await import(pathToFileURL(bundleFile).href);
  handler = mod[exportName] ?? mod.default?.[exportName];
  if (typeof handler !== 'function') throw new Error(`${bundleFile} does not export a function "${exportName}"`);
} catch (error) {
  parentPort.postMessage({ type: 'init-error', message: String(error?.message ?? error) });
  process.exit(1);
}

function invoke(event, context) {
  return new Promise((resolve, reject) => {
    const returned = handler(event, context, (error, result) => (error ? reject(error) : resolve(result)));
    if (returned && typeof returned.then === 'function') returned.then(resolve, reject);
  });
}

parentPort.on('message', async ({ id, event, context: info }) => {
  const deadline = Date.now() + info.timeoutMs;
  const context = {
    ...info,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done() {}, fail() {}, succeed() {},
  };
  try {
    const result = await invoke(event, context);
    // Lambda returns its result serialized as JSON: undefined becomes null, functions vanish.
    const payload = JSON.stringify(result === undefined ? null : result);
    parentPort.postMessage({ type: 'result', id, ok: true, payload });
  } catch (error) {
    parentPort.postMessage({
      type: 'result', id, ok: false,
      errorType: error?.name ?? 'Error',
      errorMessage: String(error?.message ?? error),
    });
  }
});

parentPort.postMessage({ type: 'ready' });
