/**
 * Readable, stable Terraform addresses. cdktf's default logical ids carry a hash of the
 * construct path (`http-api_api_1A2B3C4D`), which changes when constructs move and makes
 * `terraform plan` hard to read; every resource here gets a fixed, short name instead.
 */
import type { TerraformElement } from 'cdktf';

/** Lower-case, `[a-z0-9_]` only: `"GET /items/{id}"` → `"get_items_id"`. */
export function toIdentifier(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '') || 'root';
}

export function named<T extends TerraformElement>(element: T, ...parts: string[]): T {
  element.overrideLogicalId(parts.map(toIdentifier).join('_'));
  return element;
}
