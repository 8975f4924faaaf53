/**
 * IAM policies as `jsonencode({ ... })`, the way people write them in HCL, instead of one
 * escaped JSON string: a team that leaves cdktf edits these by hand. Terraform's jsonencode
 * sorts object keys, so the policy text changes but not the policy; the AWS provider compares
 * policy documents by meaning, so the plan stays empty (the HCL export test checks it).
 */
import { hclQuote } from './hcl-strings';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** The parsed document when `attribute` holds an IAM-style policy (a JSON object with Statement). */
export function policyDocument(attribute: string, value: string): { [key: string]: Json } | undefined {
  if (!/(^|_)policy$/.test(attribute)) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(value);
  } catch {
    return undefined; // e.g. an interpolation holding quotes: left as a quoted string
  }
  return typeof doc === 'object' && doc !== null && !Array.isArray(doc) && 'Statement' in doc ? (doc as { [key: string]: Json }) : undefined;
}

/** A JSON value as an HCL expression, indented from `indent`; strings stay templates. */
export function hclExpression(value: Json, indent: string): string {
  if (typeof value === 'string') return hclQuote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => `${inner}${hclExpression(v, inner)},`).join('\n')}\n${indent}]`;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return '{}';
  const key = (k: string): string => (IDENTIFIER.test(k) ? k : JSON.stringify(k));
  return `{\n${entries.map(([k, v]) => `${inner}${key(k)} = ${hclExpression(v, inner)}`).join('\n')}\n${indent}}`;
}

/** `jsonencode({...})` for a policy document, its lines indented from `indent`. */
export function jsonencodeExpression(doc: { [key: string]: Json }, indent: string): string {
  return `jsonencode(${hclExpression(doc, indent)})`;
}
