/**
 * AssumeRole's packed-size limit: "An AWS conversion compresses the passed inline session policy,
 * managed policy ARNs, and session tags into a packed binary format that has a separate limit.
 * Your request can fail for this limit even if your plaintext meets the other requirements. The
 * PackedPolicySize response element indicates by percentage how close the policies and tags for
 * your request are to the upper size limit." (AWS STS API Reference, AssumeRole,
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html; error
 * PackedPolicyTooLarge, HTTP 400, "The error message indicates by percentage how close the
 * policies and tags are to the upper size limit".) The message, as clients quote it: "Packed
 * policy consumes NNN% of allotted space".
 *
 * AWS does not document the packing or the limit. This is an estimate, and a strict one: the
 * raw-deflated bytes of the minified policy, the ARNs and the tags, against 320 bytes, which
 * puts a 1,500–1,700-character policy of ~40 actions at 140–160% — what a public report measured
 * on AWS for such a policy (42 actions, 1,690 characters: 157%; 31 actions: 118%). A request the
 * local STS accepts should fit on AWS; one near the limit may fail here first.
 */
import { deflateRawSync } from 'node:zlib';
import type { PolicyDocument } from '../iam/principal';
import { StsError } from './sts-query';

export const PACKED_LIMIT_BYTES = 320;

export interface PackedParts {
  readonly policy?: PolicyDocument;
  readonly policyArns: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
}

/** PackedPolicySize: the packed size as a whole percentage of the limit (rounded up). */
export function packedPolicySize(parts: PackedParts): number {
  const text = [
    parts.policy ? JSON.stringify(parts.policy) : '',
    ...parts.policyArns,
    ...Object.entries(parts.tags).map(([k, v]) => `${k}=${v}`),
  ].join('\n');
  return Math.ceil((100 * deflateRawSync(Buffer.from(text, 'utf8')).length) / PACKED_LIMIT_BYTES);
}

/** Throws AWS's PackedPolicyTooLarge when `percent` is over 100. */
export function checkPackedPolicySize(percent: number): void {
  if (percent > 100) throw new StsError(400, 'PackedPolicyTooLarge', `Packed policy consumes ${percent}% of allotted space`);
}
