/**
 * What an IAM policy document lets its holder call on API Gateway: the `execute-api:Invoke`
 * resources of its Allow statements, as `METHOD /path` where the ARN has that shape
 * (`<execution_arn>/<stage>/<METHOD>/<path>`), else the resource as written. Used to tell a
 * reviewer, in words, which calls a plan grants.
 */
import type { JsonValue } from './plan-json';

/** One thing a policy allows invoking: `POST /*`, or a raw resource such as `*`. */
export interface InvokeGrant {
  /** Stable key for set comparisons. */
  readonly key: string;
  /** What a reviewer reads: `POST /*`, `* /*` (every method), `every API (Resource "*")`. */
  readonly label: string;
}

type Json = JsonValue | undefined;

function asList(value: Json): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** IAM's action matching: case-insensitive, `*` and `?` wildcards. */
function actionMatches(pattern: string, action: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(action);
}

function allowsInvoke(statement: { [key: string]: JsonValue }): boolean {
  if (statement.Effect !== 'Allow') return false;
  if (statement.Action !== undefined) return asList(statement.Action).some((a) => actionMatches(a, 'execute-api:Invoke'));
  // NotAction: everything except the listed actions.
  return statement.NotAction !== undefined && !asList(statement.NotAction).some((a) => actionMatches(a, 'execute-api:Invoke'));
}

/** `<anything>/<stage>/<METHOD>/<path>` → `METHOD /path`; the API part may be an ARN or `${…}`. */
export function grantOf(resource: string): InvokeGrant {
  if (resource === '*') return { key: '*', label: 'every API (Resource "*")' };
  const match = /^(arn:[^/]*|\$\{[^}]*\})\/([^/]+)\/([^/]+)\/?(.*)$/.exec(resource);
  if (match === null) return { key: resource, label: resource };
  const [, , stage, method, rest] = match as unknown as [string, string, string, string, string];
  const label = `${method} /${rest}`;
  return { key: `${stage} ${label}`, label: stage === '$default' ? label : `${label} (stage ${stage})` };
}

/**
 * The grants of a policy document given as JSON text (how Terraform holds it). Undefined when
 * the text is not a policy document, so the caller can say so instead of guessing.
 */
export function invokeGrants(policyText: string): InvokeGrant[] | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(policyText);
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null || !('Statement' in doc)) return undefined;
  const statements = [(doc as { Statement: JsonValue }).Statement].flat();
  const grants = new Map<string, InvokeGrant>();
  for (const statement of statements) {
    if (typeof statement !== 'object' || statement === null || Array.isArray(statement) || !allowsInvoke(statement)) continue;
    const resources = statement.Resource !== undefined ? asList(statement.Resource) : ['*'];
    for (const grant of resources.map(grantOf)) grants.set(grant.key, grant);
  }
  return [...grants.values()];
}

/** Grants in `after` that `before` does not have (by key). */
export function addedGrants(before: readonly InvokeGrant[], after: readonly InvokeGrant[]): InvokeGrant[] {
  const had = new Set(before.map((g) => g.key));
  return after.filter((g) => !had.has(g.key));
}
