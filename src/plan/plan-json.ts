/**
 * The parts of `terraform show -json <planfile>` (format 1.x) this project reads.
 * https://developer.hashicorp.com/terraform/internals/json-format
 *
 * The JSON holds values Terraform marks sensitive (and the prior state, with the invokers'
 * secret keys) in clear: it is read in memory and never written or printed.
 */

/** A JSON value (what `JSON.parse` returns). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Terraform's action list for one resource: `["create"]`, `["delete","create"]` (replace), … */
export type PlanAction = 'no-op' | 'create' | 'read' | 'update' | 'delete' | 'forget';

export interface PlanChange {
  readonly actions: readonly PlanAction[];
  readonly before: JsonValue;
  readonly after: JsonValue;
  /** Mirrors `after`; `true` where the value is known only after apply. */
  readonly after_unknown?: JsonValue;
  /** Mirror `before`/`after`; `true` where the value is sensitive. */
  readonly before_sensitive?: JsonValue;
  readonly after_sensitive?: JsonValue;
  readonly replace_paths?: JsonValue;
}

export interface PlanResourceChange {
  readonly address: string;
  readonly mode: 'managed' | 'data';
  readonly type: string;
  readonly name: string;
  readonly change: PlanChange;
  readonly action_reason?: string;
}

export interface PlanOutputChange {
  readonly actions: readonly PlanAction[];
  readonly after_unknown?: boolean;
  readonly before_sensitive?: boolean;
  readonly after_sensitive?: boolean;
}

export interface PlanJson {
  readonly format_version: string;
  readonly terraform_version?: string;
  readonly resource_changes?: readonly PlanResourceChange[];
  /** Differences between the last state and what the refresh read: changes made outside Terraform. */
  readonly resource_drift?: readonly PlanResourceChange[];
  readonly output_changes?: Readonly<Record<string, PlanOutputChange>>;
  /** Attributes (of any resource) that planned changes depend on. */
  readonly relevant_attributes?: ReadonlyArray<{ readonly resource: string; readonly attribute: ReadonlyArray<string | number> }>;
  readonly errored?: boolean;
}

/** Parses `terraform show -json` output; throws naming what is missing. */
export function parsePlanJson(text: string): PlanJson {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`terraform show -json did not print JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || typeof (parsed as { format_version?: unknown }).format_version !== 'string') {
    throw new Error('terraform show -json printed JSON without "format_version": not a plan');
  }
  const major = (parsed as PlanJson).format_version.split('.')[0];
  if (major !== '1') throw new Error(`plan JSON format ${(parsed as PlanJson).format_version} is not supported (expected 1.x)`);
  return parsed as PlanJson;
}
