/**
 * Turns a plan (`terraform show -json`) into what a reviewer needs: counts, one line per
 * resource that changes, IAM policy diffs as readable JSON, the changes made outside
 * Terraform (drift), and loud warnings when a plan or a drift grants access: an invoke policy
 * that allows new calls, or a role trust policy that lets someone new assume the role
 * (trust-grants.ts).
 *
 * Never carries a sensitive value: attributes Terraform marks sensitive are rendered as
 * "(sensitive)", whatever they hold.
 */
import { addedGrants, invokeGrants, type InvokeGrant } from './invoke-grants';
import { jsonTextDiff } from './json-diff';
import type { JsonValue, PlanAction, PlanJson, PlanResourceChange } from './plan-json';
import { compareTrust } from './trust-grants';

export type ResourceAction = 'create' | 'update' | 'replace' | 'delete' | 'forget';

export interface AttributeChange {
  readonly name: string;
  /** Short renderings: a scalar, compact JSON, "(sensitive)", "(known after apply)" or "(none)". */
  readonly before: string;
  readonly after: string;
}

export interface PolicyDiff {
  readonly attribute: string;
  /** Whole documents, pretty-printed, lines prefixed `+ `/`- `/`  `. */
  readonly lines: readonly string[];
  /** True when a side is known only after apply (shown from the configuration instead). */
  readonly partlyUnknown: boolean;
}

export interface ResourceChangeSummary {
  readonly address: string;
  readonly action: ResourceAction;
  /** Changed attributes (updates and replacements only; creates and deletes list none). */
  readonly attributes: readonly AttributeChange[];
  readonly policyDiffs: readonly PolicyDiff[];
  /** Terraform's reason for a replacement, when it gives one. */
  readonly reason?: string;
}

export interface DriftSummary {
  readonly address: string;
  /** `update`: changed outside Terraform; `delete`: deleted outside Terraform. */
  readonly action: 'update' | 'delete';
  readonly attributes: readonly AttributeChange[];
  readonly policyDiffs: readonly PolicyDiff[];
  /** Whether this plan changes the resource back (or recreates it). */
  readonly revertedByPlan: boolean;
}

export type AccessWarningKind =
  | 'invoker-gains-access'
  | 'route-without-auth'
  | 'access-granted-outside-terraform'
  /** A role's trust policy lets a new principal assume it, or relaxes a condition. */
  | 'role-trust-widened'
  | 'role-trust-widened-outside-terraform';

/** Warnings about who can assume a role (the rest are about who can call the API). */
export function isTrustWarning(warning: AccessWarning): boolean {
  return warning.kind === 'role-trust-widened' || warning.kind === 'role-trust-widened-outside-terraform';
}

export interface AccessWarning {
  readonly kind: AccessWarningKind;
  readonly address: string;
  /** The IAM user (or route key) concerned. */
  readonly subject: string;
  /** The invoker's name in iam-http-api.config.ts, when the address shows it. */
  readonly invoker?: string;
  readonly grants: readonly string[];
  readonly message: string;
}

export interface OutputChangeSummary {
  readonly name: string;
  readonly action: ResourceAction;
  readonly sensitive: boolean;
}

export interface PlanSummary {
  readonly environment: string;
  readonly terraformVersion?: string;
  /** As Terraform counts them: a replacement is one add and one destroy. */
  readonly counts: { readonly add: number; readonly change: number; readonly destroy: number };
  readonly changes: readonly ResourceChangeSummary[];
  readonly drift: readonly DriftSummary[];
  readonly warnings: readonly AccessWarning[];
  /** Role trust that this plan narrows (a normal change, listed so a reviewer sees it in words). */
  readonly trustNarrowed: readonly TrustNotice[];
  readonly outputs: readonly OutputChangeSummary[];
}

export interface TrustNotice {
  readonly address: string;
  readonly message: string;
}

export interface SummarizeOptions {
  readonly environment: string;
  /**
   * A resource's policy as configured (cdk.tf.json), for policies Terraform knows only after
   * apply (a new invoker's policy names the API's ARN, unknown until the API exists).
   */
  readonly configuredAttribute?: (type: string, name: string, attribute: string) => string | undefined;
}

type Json = JsonValue | undefined;
type JsonObject = { [key: string]: JsonValue };

function isObject(v: Json): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** null, "", [] and {} (recursively) all mean "nothing set": providers switch between them. */
function isEmpty(v: Json): boolean {
  if (v === undefined || v === null || v === '') return true;
  if (Array.isArray(v)) return v.every(isEmpty);
  if (isObject(v)) return Object.values(v).every(isEmpty);
  return false;
}

function sameValue(a: Json, b: Json): boolean {
  if (isEmpty(a) && isEmpty(b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (isObject(a) && isObject(b)) return [...new Set([...Object.keys(a), ...Object.keys(b)])].every((k) => sameValue(a[k], b[k]));
  return JSON.stringify(a) === JSON.stringify(b);
}

/** True when the sensitivity/unknown mirror marks `attr` (or anything inside it). */
function marked(mirror: Json, attr: string): boolean {
  if (mirror === true) return true;
  if (!isObject(mirror)) return false;
  const inner = mirror[attr];
  return inner === true || (inner !== undefined && inner !== false && JSON.stringify(inner).includes('true'));
}

function actionOf(actions: readonly PlanAction[]): ResourceAction | undefined {
  if (actions.includes('delete') && actions.includes('create')) return 'replace';
  if (actions.includes('create')) return 'create';
  if (actions.includes('delete')) return 'delete';
  if (actions.includes('update')) return 'update';
  if (actions.includes('forget')) return 'forget';
  return undefined; // no-op, read
}

const SHORT = 100;

function render(value: Json): string {
  if (isEmpty(value)) return '(none)';
  const text = JSON.stringify(value);
  return text.length > SHORT ? `${text.slice(0, SHORT - 1)}…` : text;
}

function isPolicyText(v: Json): v is string {
  return typeof v === 'string' && invokeGrants(v) !== undefined;
}

/** Attributes holding an IAM policy document as JSON text (`policy`, `assume_role_policy`, …). */
function isPolicyAttribute(name: string, before: Json, after: Json): boolean {
  return /(^|_)policy$/.test(name) && (isPolicyText(before) || isPolicyText(after));
}

interface Sides {
  readonly before: Json;
  readonly after: Json;
  readonly afterUnknown: Json;
  readonly beforeSensitive: Json;
  readonly afterSensitive: Json;
}

function sidesOf(rc: PlanResourceChange): Sides {
  const c = rc.change;
  return { before: c.before, after: c.after, afterUnknown: c.after_unknown, beforeSensitive: c.before_sensitive, afterSensitive: c.after_sensitive };
}

function attributeChanges(s: Sides, configured: (attr: string) => string | undefined): { attributes: AttributeChange[]; policyDiffs: PolicyDiff[] } {
  const before = isObject(s.before) ? s.before : {};
  const after = isObject(s.after) ? s.after : {};
  const unknown = isObject(s.afterUnknown) ? s.afterUnknown : {};
  const names = [...new Set([...Object.keys(before), ...Object.keys(after), ...Object.keys(unknown)])].sort();
  const attributes: AttributeChange[] = [];
  const policyDiffs: PolicyDiff[] = [];
  for (const name of names) {
    const isUnknown = marked(s.afterUnknown, name);
    if (!isUnknown && sameValue(before[name], after[name])) continue;
    if (isUnknown && name === 'id') continue;
    const sensitive = marked(s.beforeSensitive, name) || marked(s.afterSensitive, name);
    const afterText = isUnknown ? configured(name) : after[name];
    if (!sensitive && isPolicyAttribute(name, before[name], afterText)) {
      policyDiffs.push({
        attribute: name,
        lines: jsonTextDiff(typeof before[name] === 'string' ? before[name] : undefined, typeof afterText === 'string' ? afterText : undefined),
        partlyUnknown: isUnknown,
      });
      continue;
    }
    attributes.push({
      name,
      before: sensitive ? '(sensitive)' : render(before[name]),
      after: sensitive ? '(sensitive)' : isUnknown ? '(known after apply)' : render(after[name]),
    });
  }
  return { attributes, policyDiffs };
}

/** A created resource: its policies (in full), nothing else. */
function createdPolicies(s: Sides, configured: (attr: string) => string | undefined): PolicyDiff[] {
  const after = isObject(s.after) ? s.after : {};
  const unknown = isObject(s.afterUnknown) ? s.afterUnknown : {};
  const out: PolicyDiff[] = [];
  for (const name of [...new Set([...Object.keys(after), ...Object.keys(unknown)])].sort()) {
    if (!/(^|_)policy$/.test(name) || marked(s.afterSensitive, name)) continue;
    const isUnknown = marked(s.afterUnknown, name);
    const text = isUnknown ? configured(name) : after[name];
    if (isPolicyText(text)) out.push({ attribute: name, lines: jsonTextDiff(undefined, text), partlyUnknown: isUnknown });
  }
  return out;
}

/** `aws_iam_user_policy.invoker_viewer_invoke` → `viewer` (`aws_iam_role_policy.invoker_deployer_invoke` → `deployer`). */
function invokerOf(address: string): string | undefined {
  return /^aws_iam_(?:user|role)_policy\.invoker_(.+)_invoke$/.exec(address)?.[1];
}

function grantsOf(text: Json): InvokeGrant[] {
  return typeof text === 'string' ? (invokeGrants(text) ?? []) : [];
}

function userOf(s: Sides, rc: PlanResourceChange): string {
  const after = isObject(s.after) ? s.after : {};
  const before = isObject(s.before) ? s.before : {};
  const user = after.user ?? before.user ?? after.role ?? before.role;
  return typeof user === 'string' ? user : rc.address;
}

function who(subject: string, invoker: string | undefined, address = ''): string {
  const kind = address.startsWith('aws_iam_role_policy.') ? 'IAM role' : 'IAM user';
  return invoker === undefined ? `\`${subject}\`` : `invoker \`${invoker}\` (${kind} \`${subject}\`)`;
}

/** Access a change grants: execute-api:Invoke grants in user policies, routes opened to anyone. */
function accessWarnings(rc: PlanResourceChange, s: Sides, configured: (attr: string) => string | undefined, drift: boolean): AccessWarning[] {
  const warnings: AccessWarning[] = [];
  if (rc.type === 'aws_iam_user_policy' || rc.type === 'aws_iam_role_policy' || rc.type === 'aws_iam_policy') {
    const after = isObject(s.after) ? s.after : {};
    const before = isObject(s.before) ? s.before : {};
    const afterText = marked(s.afterUnknown, 'policy') ? configured('policy') : after.policy;
    const gained = addedGrants(grantsOf(before.policy), grantsOf(afterText));
    if (gained.length > 0) {
      const subject = userOf(s, rc);
      const invoker = invokerOf(rc.address);
      const labels = gained.map((g) => g.label);
      const list = labels.map((l) => `\`${l}\``).join(', ');
      warnings.push(
        drift
          ? {
              kind: 'access-granted-outside-terraform',
              address: rc.address,
              subject,
              invoker,
              grants: labels,
              message: `${who(subject, invoker, rc.address)} was given ${list} OUTSIDE Terraform (policy edited in AWS)`,
            }
          : { kind: 'invoker-gains-access', address: rc.address, subject, invoker, grants: labels, message: `${who(subject, invoker, rc.address)} GAINS ${list}` },
      );
    }
  }
  if (rc.type === 'aws_apigatewayv2_route' && !drift) {
    const after = isObject(s.after) ? s.after : {};
    const before = isObject(s.before) ? s.before : {};
    const routeKey = typeof after.route_key === 'string' ? after.route_key : rc.address;
    const opened = after.authorization_type === 'NONE' && before.authorization_type !== 'NONE';
    // The CORS preflight route is meant to be unsigned: browsers send no credentials on OPTIONS.
    if (opened && !routeKey.startsWith('OPTIONS ')) {
      warnings.push({
        kind: 'route-without-auth',
        address: rc.address,
        subject: routeKey,
        grants: [routeKey],
        message: `route \`${routeKey}\` will accept UNSIGNED requests from anyone (authorization NONE)`,
      });
    }
  }
  return warnings;
}

const ARN_ACCOUNT = /^arn:aws[a-z-]*:iam::(\d{12}):/;

/**
 * Who can newly assume a role (`aws_iam_role.assume_role_policy`, created or updated), and
 * who no longer can. A new role counts as everything it trusts being new. A trust policy known
 * only after apply is read from the configuration; when it is not there either, the warning
 * says so rather than staying silent.
 */
function trustChanges(
  rc: PlanResourceChange,
  s: Sides,
  configured: (attr: string) => string | undefined,
  nameOf: (type: string, resource: string) => string | undefined,
  drift: boolean,
): { warnings: AccessWarning[]; narrowed: TrustNotice[] } {
  const none = { warnings: [], narrowed: [] };
  if (rc.type !== 'aws_iam_role' || !isObject(s.after)) return none;
  const after = s.after;
  const before = isObject(s.before) ? s.before : undefined;
  const unknown = marked(s.afterUnknown, 'assume_role_policy');
  const afterText = unknown ? configured('assume_role_policy') : after.assume_role_policy;
  const beforeText = typeof before?.assume_role_policy === 'string' ? before.assume_role_policy : undefined;
  if (!unknown && before !== undefined && sameValue(before.assume_role_policy, after.assume_role_policy)) return none;
  const name = after.name ?? before?.name;
  const subject = typeof name === 'string' ? name : rc.address;
  const invoker = /^aws_iam_role\.invoker_(.+)$/.exec(rc.address)?.[1];
  const role = invoker === undefined ? `IAM role \`${subject}\`` : `role \`${invoker}\` (IAM role \`${subject}\`)`;
  const arn = [after.arn, before?.arn].find((a): a is string => typeof a === 'string');
  const ownAccount = arn === undefined ? undefined : ARN_ACCOUNT.exec(arn)?.[1];
  const diff = typeof afterText === 'string' ? compareTrust(beforeText, afterText, { ownAccount, nameOf }) : undefined;
  const kind: AccessWarningKind = drift ? 'role-trust-widened-outside-terraform' : 'role-trust-widened';
  const base = { kind, address: rc.address, subject, ...(invoker === undefined ? {} : { invoker }) };
  if (diff === undefined) {
    const grants = ['(trust policy unreadable)'];
    return { warnings: [{ ...base, grants, message: `${role}: its trust policy could not be read from the plan or the configuration; review who can assume it before applying` }], narrowed: [] };
  }
  const outside = drift ? ' (changed OUTSIDE Terraform: trust policy edited in AWS)' : '';
  return {
    warnings: diff.widened.map((predicate) => ({ ...base, grants: [predicate], message: `${role} ${predicate}${outside}` })),
    narrowed: drift ? [] : diff.narrowed.map((predicate) => ({ address: rc.address, message: `${role} ${predicate}` })),
  };
}

/** Is `address`'s attribute among those the plan depends on? */
function relevant(plan: PlanJson, address: string): boolean {
  return (plan.relevant_attributes ?? []).some((r) => r.resource === address);
}

export function summarizePlan(plan: PlanJson, options: SummarizeOptions): PlanSummary {
  const configuredFor = (rc: PlanResourceChange) => (attr: string) => options.configuredAttribute?.(rc.type, rc.name, attr);
  const nameOf = (type: string, resource: string) => options.configuredAttribute?.(type, resource, 'name');
  const counts = { add: 0, change: 0, destroy: 0 };
  const changes: ResourceChangeSummary[] = [];
  const warnings: AccessWarning[] = [];
  const trustNarrowed: TrustNotice[] = [];
  const plannedAction = new Map<string, ResourceAction>();

  for (const rc of plan.resource_changes ?? []) {
    if (rc.mode !== 'managed') continue;
    const action = actionOf(rc.change.actions);
    if (action === undefined) continue;
    plannedAction.set(rc.address, action);
    if (action === 'create' || action === 'replace') counts.add++;
    if (action === 'delete' || action === 'replace') counts.destroy++;
    if (action === 'update') counts.change++;
    const s = sidesOf(rc);
    const configured = configuredFor(rc);
    const detail =
      action === 'update' || action === 'replace'
        ? attributeChanges(s, configured)
        : { attributes: [], policyDiffs: action === 'create' ? createdPolicies(s, configured) : [] };
    changes.push({ address: rc.address, action, ...detail, ...(rc.action_reason ? { reason: rc.action_reason } : {}) });
    warnings.push(...accessWarnings(rc, s, configured, false));
    const trust = trustChanges(rc, s, configured, nameOf, false);
    warnings.push(...trust.warnings);
    trustNarrowed.push(...trust.narrowed);
  }

  const drift: DriftSummary[] = [];
  for (const rc of plan.resource_drift ?? []) {
    if (rc.mode !== 'managed') continue;
    const deleted = rc.change.actions.includes('delete');
    const s = sidesOf(rc);
    const detail = deleted ? { attributes: [], policyDiffs: [] } : attributeChanges({ ...s, afterUnknown: undefined }, () => undefined);
    if (!deleted && detail.attributes.length === 0 && detail.policyDiffs.length === 0) continue;
    const revertedByPlan = plannedAction.has(rc.address);
    // Like Terraform's own output: drift nothing depends on and nothing will act on is
    // provider bookkeeping (computed attributes read back), not news.
    if (!deleted && !revertedByPlan && !relevant(plan, rc.address)) continue;
    drift.push({ address: rc.address, action: deleted ? 'delete' : 'update', ...detail, revertedByPlan });
    if (!deleted) warnings.push(...accessWarnings(rc, s, () => undefined, true), ...trustChanges(rc, s, () => undefined, () => undefined, true).warnings);
  }

  const outputs: OutputChangeSummary[] = [];
  for (const [name, oc] of Object.entries(plan.output_changes ?? {})) {
    const action = actionOf(oc.actions);
    if (action !== undefined) outputs.push({ name, action, sensitive: oc.before_sensitive === true || oc.after_sensitive === true });
  }

  return {
    environment: options.environment,
    ...(plan.terraform_version ? { terraformVersion: plan.terraform_version } : {}),
    counts,
    changes,
    drift,
    warnings,
    trustNarrowed,
    outputs,
  };
}

/** True when applying would change anything. */
export function hasChanges(summary: PlanSummary): boolean {
  return summary.changes.length > 0 || summary.outputs.length > 0;
}
