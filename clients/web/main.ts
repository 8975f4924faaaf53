/**
 * The browser page: signs a request with aws4fetch (SigV4, service execute-api) and shows
 * the response. The secret access key stays in this page's memory (the input field) unless
 * the user ticks "Remember", which stores the keys in localStorage and says so. Nothing here
 * logs to the console.
 *
 * "Call as a role" exchanges the entered keys for a role's temporary credentials (AssumeRole on
 * the local STS, sts.ts; kept and refreshed by role-session.ts, in memory only) and signs with
 * those until the user stops.
 *
 * The page server fills in `data-gateway-url`, `data-region`, `data-sts-url` and `data-roles`
 * (JSON: name, arn, assumableBy) on <body>.
 */
import { AwsClient } from 'aws4fetch';
import { RoleSession, type RoleSessionState } from './role-session';

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
const signedAs = byId<HTMLElement>('signed-as');

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

function show(state: { status: string; error?: string; headers?: string; body?: string; code?: number; signedAs?: string }): void {
  result.hidden = false;
  result.dataset.state = state.code === undefined && !state.error ? 'pending' : 'done';
  result.dataset.status = state.code === undefined ? '' : String(state.code);
  result.classList.toggle('failed', state.error !== undefined);
  statusLine.textContent = state.status;
  signedAs.textContent = state.signedAs ?? '';
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

  send.disabled = true;
  show({ status: `Sending ${method.value} ${url} …` });
  try {
    const signer = await signingCredentials(keyId, secret);
    const aws = new AwsClient({ ...signer.credentials, service: 'execute-api', region: region.value.trim(), retries: 0 });
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
      signedAs: signer.description,
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

// ---- Call as a role ----

interface PageRole {
  readonly name: string;
  readonly arn: string;
  readonly assumableBy: readonly string[];
}

const OTHER_ROLE = 'other';
const roleSection = byId<HTMLElement>('role');
const stsUrlBox = byId<HTMLElement>('sts-url');
const stsMissing = byId<HTMLElement>('sts-missing');
const roleArn = byId<HTMLSelectElement>('role-arn');
const roleArnOther = byId<HTMLInputElement>('role-arn-other');
const roleArnOtherLabel = byId<HTMLElement>('role-arn-other-label');
const sessionName = byId<HTMLInputElement>('session-name');
const durationSeconds = byId<HTMLInputElement>('duration-seconds');
const assumeButton = byId<HTMLButtonElement>('assume');
const refreshButton = byId<HTMLButtonElement>('refresh');
const forgetButton = byId<HTMLButtonElement>('forget');
const roleBox = byId<HTMLElement>('role-session');
const roleStatus = byId<HTMLElement>('role-status');
const roleIdentity = byId<HTMLElement>('role-identity');
const roleArnAssumed = byId<HTMLElement>('role-arn-assumed');
const roleAssumedId = byId<HTMLElement>('role-assumed-id');
const roleAccessKeyId = byId<HTMLElement>('role-access-key-id');
const roleExpires = byId<HTMLElement>('role-expires');
const roleCountdown = byId<HTMLElement>('role-countdown');
const roleRefreshAt = byId<HTMLElement>('role-refresh-at');
const stsError = byId<HTMLElement>('sts-error');

const stsUrl = injected(document.body.dataset.stsUrl, '').replace(/\/+$/, '');

function injectedRoles(): PageRole[] {
  try {
    const parsed = JSON.parse(injected(document.body.dataset.roles, '[]')) as unknown;
    return Array.isArray(parsed)
      ? parsed.filter((r): r is PageRole => typeof r?.name === 'string' && typeof r?.arn === 'string' && Array.isArray(r?.assumableBy))
      : [];
  } catch {
    return [];
  }
}

for (const role of injectedRoles()) {
  const who = role.assumableBy.length > 0 ? `assumable by ${role.assumableBy.join(', ')}` : 'no local invoker may assume it';
  roleArn.add(new Option(`${role.name} (${who})`, role.arn));
}
roleArn.add(new Option('Another role ARN…', OTHER_ROLE));
function showOtherRole(): void {
  roleArnOther.hidden = roleArn.value !== OTHER_ROLE;
  roleArnOtherLabel.hidden = roleArnOther.hidden;
}
roleArn.addEventListener('change', showOtherRole);
showOtherRole();

stsUrlBox.textContent = stsUrl || '(none)';
stsMissing.hidden = stsUrl !== '';
assumeButton.disabled = stsUrl === '';

/** "14:59" or "1:02:03" */
function countdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

function clock(date: Date): string {
  return `${date.toLocaleTimeString(undefined, { hour12: false })} (${date.toISOString().replace(/\.\d{3}Z$/, 'Z')})`;
}

function stsErrorText(state: RoleSessionState): string | undefined {
  const error = state.error;
  if (!error) return undefined;
  return error.code ? `STS refused: ${error.code} (HTTP ${error.status ?? '?'}): ${error.message}` : error.message;
}

function renderRole(state: RoleSessionState): void {
  const assumed = state.assumed;
  roleBox.dataset.state = state.busy ? 'pending' : assumed ? 'active' : state.expiredAt ? 'expired' : state.error ? 'error' : 'none';
  roleBox.dataset.accessKeyId = assumed?.credentials.accessKeyId ?? '';
  roleSection.classList.toggle('active', assumed !== undefined);
  refreshButton.disabled = !state.started || state.busy;
  forgetButton.disabled = !state.started;
  assumeButton.disabled = stsUrl === '' || state.busy;
  if (state.busy) {
    roleStatus.textContent = assumed ? 'Refreshing the temporary credentials…' : 'Calling AssumeRole…';
  } else if (assumed) {
    roleStatus.textContent = 'Calling as the role: requests are signed with its temporary credentials.';
  } else if (state.expiredAt) {
    roleStatus.textContent = `The role's temporary credentials expired at ${clock(state.expiredAt)}: requests are signed with the keys above. Refresh to assume the role again.`;
  } else {
    roleStatus.textContent = 'Not assuming a role: requests are signed with the keys above.';
  }
  roleIdentity.hidden = !assumed;
  roleArnAssumed.textContent = assumed?.arn ?? '';
  roleAssumedId.textContent = assumed?.assumedRoleId ?? '';
  roleAccessKeyId.textContent = assumed?.credentials.accessKeyId ?? '';
  roleExpires.textContent = assumed ? clock(assumed.credentials.expiration) : '';
  roleRefreshAt.textContent = state.refreshAt && assumed ? clock(state.refreshAt) : '';
  renderCountdown();
  const errorText = stsErrorText(state);
  stsError.hidden = errorText === undefined;
  stsError.textContent = errorText ?? '';
}

const session = new RoleSession(renderRole);

function renderCountdown(): void {
  const expiration = session.state.assumed?.credentials.expiration;
  roleCountdown.textContent = expiration ? `in ${countdown(expiration.getTime() - Date.now())}` : '';
}
setInterval(renderCountdown, 1000);

function assumeFromForm(): void {
  const keyId = accessKeyId.value.trim();
  const secret = secretAccessKey.value.trim();
  const arn = roleArn.value === OTHER_ROLE ? roleArnOther.value.trim() : roleArn.value;
  const duration = durationSeconds.value.trim();
  if (!keyId || !secret) {
    session.stop();
    stsError.hidden = false;
    stsError.textContent = 'Enter an Access Key ID and a Secret Access Key first: AssumeRole is signed with them.';
    return;
  }
  void session.start({
    stsUrl,
    region: region.value.trim(),
    keys: { accessKeyId: keyId, secretAccessKey: secret },
    roleArn: arn,
    roleSessionName: sessionName.value.trim(),
    ...(duration !== '' && Number.isFinite(Number(duration)) ? { durationSeconds: Number(duration) } : {}),
  });
}

assumeButton.addEventListener('click', assumeFromForm);
refreshButton.addEventListener('click', () => void session.refresh());
forgetButton.addEventListener('click', () => session.stop());

/**
 * The credentials a request is signed with: the role session's while one is valid (refreshed
 * first when the refresh is due), else the entered keys.
 */
async function signingCredentials(keyId: string, secret: string): Promise<{ credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }; description: string }> {
  const state = session.state;
  if (state.refreshAt && state.refreshAt.getTime() <= Date.now()) await session.refresh();
  const temporary = session.credentials();
  if (temporary) {
    const arn = session.state.assumed?.arn ?? '';
    return {
      credentials: { accessKeyId: temporary.accessKeyId, secretAccessKey: temporary.secretAccessKey, sessionToken: temporary.sessionToken },
      description: `Signed as ${arn} with temporary credentials ${temporary.accessKeyId}`,
    };
  }
  return { credentials: { accessKeyId: keyId, secretAccessKey: secret }, description: `Signed with the keys of ${keyId}` };
}
