/**
 * IAM's condition operators, each a comparison of one request value with one policy value.
 * IAM User Guide, "IAM JSON policy elements: Condition operators"
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
 * Set qualifiers, `...IfExists` and missing keys are handled in `conditions.ts`.
 */
import { inBlock, parseCidr, parseIp } from './ip-address';
import type { Template } from './policy-variables';

export type OperatorKind = 'string' | 'numeric' | 'date' | 'bool' | 'binary' | 'ip' | 'arn' | 'null';

export interface OperatorSpec {
  /** As IAM spells it: `StringNotLike`. */
  readonly name: string;
  readonly kind: OperatorKind;
  /** A "Not" operator: true when the request value matches none of the policy values. */
  readonly negated: boolean;
  /** String comparison without regard to case (`StringEqualsIgnoreCase`). */
  readonly ignoreCase?: boolean;
  /** Wildcards in the policy value (`StringLike`, `ArnLike`, and `ArnEquals`, which "behaves identically"). */
  readonly wildcards?: boolean;
  /** Numeric/date comparison: which order relation. */
  readonly relation?: 'eq' | 'lt' | 'le' | 'gt' | 'ge';
  /** Policy variables are substituted in this operator's values (String* and Arn* only). */
  readonly variables: boolean;
}

function op(name: string, kind: OperatorKind, rest: Partial<Omit<OperatorSpec, 'name' | 'kind'>> = {}): OperatorSpec {
  return { name, kind, negated: false, variables: kind === 'string' || kind === 'arn', ...rest };
}

const relations = (kind: 'numeric' | 'date', prefix: string): OperatorSpec[] => [
  op(`${prefix}Equals`, kind, { relation: 'eq' }),
  op(`${prefix}NotEquals`, kind, { relation: 'eq', negated: true }),
  op(`${prefix}LessThan`, kind, { relation: 'lt' }),
  op(`${prefix}LessThanEquals`, kind, { relation: 'le' }),
  op(`${prefix}GreaterThan`, kind, { relation: 'gt' }),
  op(`${prefix}GreaterThanEquals`, kind, { relation: 'ge' }),
];

/** Every operator IAM documents, by lower-cased name (operator names are matched case-insensitively). */
export const OPERATORS: ReadonlyMap<string, OperatorSpec> = new Map(
  [
    op('StringEquals', 'string'),
    op('StringNotEquals', 'string', { negated: true }),
    op('StringEqualsIgnoreCase', 'string', { ignoreCase: true }),
    op('StringNotEqualsIgnoreCase', 'string', { ignoreCase: true, negated: true }),
    op('StringLike', 'string', { wildcards: true }),
    op('StringNotLike', 'string', { wildcards: true, negated: true }),
    ...relations('numeric', 'Numeric'),
    ...relations('date', 'Date'),
    op('Bool', 'bool'),
    op('BinaryEquals', 'binary'),
    op('IpAddress', 'ip'),
    op('NotIpAddress', 'ip', { negated: true }),
    op('ArnEquals', 'arn', { wildcards: true }),
    op('ArnLike', 'arn', { wildcards: true }),
    op('ArnNotEquals', 'arn', { wildcards: true, negated: true }),
    op('ArnNotLike', 'arn', { wildcards: true, negated: true }),
    op('Null', 'null'),
  ].map((spec) => [spec.name.toLowerCase(), spec]),
);

/** A policy value prepared for its operator. */
export type PolicyValue =
  | { readonly kind: 'template'; readonly template: Template }
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'instant'; readonly ms: number }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'text'; readonly value: string }
  | { readonly kind: 'cidr'; readonly block: NonNullable<ReturnType<typeof parseCidr>> }
  /** A value this operator cannot read (e.g. a date that is not one): it never decides. */
  | { readonly kind: 'unreadable'; readonly source: string };

const DECIMAL_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export function parseNumber(text: string): number | undefined {
  const trimmed = text.trim();
  return DECIMAL_RE.test(trimmed) ? Number(trimmed) : undefined;
}

// ISO 8601 as IAM's examples write it: a date, or a date and time with an optional fraction and
// a zone (Z or an offset). A time without zone is read as UTC.
const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const EPOCH_RE = /^\d{1,12}$/;

/**
 * An instant in ms since the epoch: ISO 8601, or "epoch (UNIX) time" in seconds, the two forms
 * the Date operators accept ("Date condition operators ... You must use YYYY-MM-DDThh:mm:ssZ
 * ... or epoch (UNIX) time").
 */
export function parseInstant(text: string): number | undefined {
  const trimmed = text.trim();
  if (EPOCH_RE.test(trimmed)) return Number(trimmed) * 1000;
  const m = ISO_RE.exec(trimmed);
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', fraction = '', zone = 'Z'] = m;
  const offset = zone === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${fraction.slice(0, 4) || ''}${offset}`);
  if (Number.isNaN(ms)) return undefined;
  // Reject dates Date.parse rolls over (2021-02-30).
  const check = new Date(Date.parse(`${y}-${mo}-${d}T00:00:00Z`));
  if (check.getUTCDate() !== Number(d) || check.getUTCMonth() + 1 !== Number(mo)) return undefined;
  return ms;
}

export function parseBool(text: string): boolean | undefined {
  const lower = text.trim().toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : undefined;
}

/** Compares two numbers/instants by `relation`. */
export function relate(relation: NonNullable<OperatorSpec['relation']>, request: number, policy: number): boolean {
  switch (relation) {
    case 'eq':
      return request === policy;
    case 'lt':
      return request < policy;
    case 'le':
      return request <= policy;
    case 'gt':
      return request > policy;
    case 'ge':
      return request >= policy;
  }
}

/** Whether a request address lies in a policy block; a request value that is no address never does. */
export function ipMatches(block: NonNullable<ReturnType<typeof parseCidr>>, request: string): boolean {
  const address = parseIp(request.trim());
  return address !== undefined && inBlock(block, address);
}

export { parseCidr };
