/**
 * The browser page: signs a request with aws4fetch (SigV4, service execute-api) and shows
 * the response. The secret access key stays in this page's memory (the input field) unless
 * the user ticks "Remember", which stores the keys in localStorage and says so. Nothing here
 * logs to the console.
 *
 * The page server fills in `data-gateway-url` and `data-region` on <body>.
 */
import { AwsClient } from 'aws4fetch';

/** The only storage this page ever writes, and only while "Remember" is ticked. */
const STORAGE_KEY = 'iam-http-api.remembered-keys';

interface RememberedKeys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
}

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`The page has no #${id}`);
  return element as T;
}

const form = byId<HTMLFormElement>('request-form');
const accessKeyId = byId<HTMLInputElement>('access-key-id');
const secretAccessKey = byId<HTMLInputElement>('secret-access-key');
const region = byId<HTMLInputElement>('region');
const remember = byId<HTMLInputElement>('remember');
const rememberWarning = byId<HTMLElement>('remember-warning');
const memoryNote = byId<HTMLElement>('memory-note');
const method = byId<HTMLSelectElement>('method');
const path = byId<HTMLInputElement>('path');
const message = byId<HTMLTextAreaElement>('message');
const send = byId<HTMLButtonElement>('send');
const result = byId<HTMLElement>('result');
const statusLine = byId<HTMLElement>('status');
const errorBox = byId<HTMLElement>('error');
const headersBox = byId<HTMLElement>('headers');
const bodyBox = byId<HTMLElement>('body');

/** A value the page server filled in, or `fallback` when the page is opened some other way. */
function injected(value: string | undefined, fallback: string): string {
  return value && !value.startsWith('{{') ? value : fallback;
}

const gatewayUrl = injected(document.body.dataset.gatewayUrl, 'http://127.0.0.1:3000').replace(/\/+$/, '');
region.value = injected(document.body.dataset.region, 'us-east-1');
byId('page-origin').textContent = location.origin;

function readRemembered(): RememberedKeys | undefined {
  try {
    const stored = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') as Partial<RememberedKeys> | null;
    if (typeof stored?.accessKeyId === 'string' && typeof stored.secretAccessKey === 'string') {
      return { accessKeyId: stored.accessKeyId, secretAccessKey: stored.secretAccessKey, region: stored.region ?? region.value };
    }
  } catch {
    // Unreadable: treat as nothing remembered.
  }
  return undefined;
}

function showRememberState(): void {
  rememberWarning.hidden = !remember.checked;
  memoryNote.hidden = remember.checked;
}

function saveOrForget(): void {
  showRememberState();
  if (remember.checked) {
    const keys: RememberedKeys = { accessKeyId: accessKeyId.value.trim(), secretAccessKey: secretAccessKey.value.trim(), region: region.value.trim() };
    localStorage.setItem(STORAGE_KEY, JSON.stringify(keys));
  } else {
    localStorage.removeItem(STORAGE_KEY);
  }
}

const remembered = readRemembered();
if (remembered) {
  accessKeyId.value = remembered.accessKeyId;
  secretAccessKey.value = remembered.secretAccessKey;
  region.value = remembered.region;
  remember.checked = true;
  showRememberState();
}
remember.addEventListener('change', saveOrForget);
for (const field of [accessKeyId, secretAccessKey, region]) {
  field.addEventListener('input', () => { if (remember.checked) saveOrForget(); });
}

function show(state: { status: string; error?: string; headers?: string; body?: string; code?: number }): void {
  result.hidden = false;
  result.dataset.state = state.code === undefined && !state.error ? 'pending' : 'done';
  result.dataset.status = state.code === undefined ? '' : String(state.code);
  result.classList.toggle('failed', state.error !== undefined);
  statusLine.textContent = state.status;
  errorBox.hidden = state.error === undefined;
  errorBox.textContent = state.error ?? '';
  headersBox.textContent = state.headers ?? '';
  bodyBox.textContent = state.body ?? '';
}

function messageOf(parsed: unknown): string | undefined {
  return typeof parsed === 'object' && parsed !== null && typeof (parsed as { message?: unknown }).message === 'string'
    ? (parsed as { message: string }).message
    : undefined;
}

async function sendRequest(): Promise<void> {
  const keyId = accessKeyId.value.trim();
  const secret = secretAccessKey.value.trim();
  const requestPath = path.value.trim() || '/';
  if (!keyId || !secret) {
    show({ status: 'Not sent', error: 'Enter an Access Key ID and a Secret Access Key (npm start prints the key ids; the secrets are in .iam-http-api/credentials).' });
    return;
  }
  if (!requestPath.startsWith('/')) {
    show({ status: 'Not sent', error: `The path must start with "/", e.g. /${requestPath}` });
    return;
  }

  const init: RequestInit = { method: method.value };
  if (method.value !== 'GET') {
    init.headers = { 'content-type': 'application/json' };
    init.body = JSON.stringify({ message: message.value });
  }
  const url = `${gatewayUrl}${requestPath}`;
  const aws = new AwsClient({ accessKeyId: keyId, secretAccessKey: secret, service: 'execute-api', region: region.value.trim(), retries: 0 });

  send.disabled = true;
  show({ status: `Sending ${method.value} ${url} …` });
  try {
    const response = await aws.fetch(url, init);
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    show({
      code: response.status,
      status: `${response.status} ${response.statusText}`.trim(),
      headers: [...response.headers].map(([name, value]) => `${name}: ${value}`).join('\n'),
      body: parsed === undefined ? text : JSON.stringify(parsed, null, 2),
      error: response.ok ? undefined : `${response.status}: ${messageOf(parsed) ?? (text || response.statusText)}`,
    });
  } catch (error) {
    show({
      status: 'No response',
      error: `The request did not reach ${gatewayUrl} or the browser blocked it (${error instanceof Error ? error.message : String(error)}). `
        + `Is npm start running, and is ${location.origin} in the stack's cors.allowOrigins?`,
    });
  } finally {
    send.disabled = false;
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void sendRequest();
});
