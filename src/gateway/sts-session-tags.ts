/**
 * Session tags in a role chain: what a new session's tags and transitive keys are, given the
 * caller's session (its transitive tags) and the AssumeRole request's Tags and TransitiveTagKeys.
 *
 * From the IAM User Guide, "Passing session tags in AWS STS"
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html), "Chaining roles with
 * session tags": "you can set the keys as transitive. This ensures that those session tags pass
 * to subsequent sessions in a role chain"; "The Heart and Star tags inherits the transitive
 * session tags in the first session ... Heart and Star continue to be transitive"; "If you try to
 * pass the Sun = 2 session tag, the operation fails" (a tag the chain already carries cannot be
 * passed again); "You cannot set role tags as transitive". Tag keys are compared without regard
 * to case ("New session tags override existing assumed role or federated user tags with the same
 * tag key, regardless of case").
 *
 * The error text for overriding an inherited transitive tag is our wording: AWS's is not
 * documented (InvalidParameterValue, as for the other tag errors).
 */
import { StsError } from './sts-query';

export interface SessionTags {
  readonly tags: Readonly<Record<string, string>>;
  readonly transitiveTagKeys: readonly string[];
}

/** The caller's tags that pass on: those whose key is among its transitive keys. */
export function inheritedTags(caller: SessionTags | undefined): SessionTags {
  if (!caller) return { tags: {}, transitiveTagKeys: [] };
  const keys = caller.transitiveTagKeys.map((k) => k.toLowerCase());
  const tags: Record<string, string> = Object.create(null) as Record<string, string>;
  const transitiveTagKeys: string[] = [];
  for (const [key, value] of Object.entries(caller.tags)) {
    if (keys.includes(key.toLowerCase())) {
      tags[key] = value;
      transitiveTagKeys.push(key);
    }
  }
  return { tags, transitiveTagKeys };
}

/**
 * The new session's tags: the inherited transitive ones and the request's, all transitive keys
 * kept transitive. A request tag whose key an inherited tag already has is refused.
 */
export function chainSessionTags(inherited: SessionTags, request: SessionTags): SessionTags {
  const taken = new Map(Object.keys(inherited.tags).map((k) => [k.toLowerCase(), k]));
  for (const key of Object.keys(request.tags)) {
    const existing = taken.get(key.toLowerCase());
    if (existing !== undefined) {
      throw new StsError(400, 'InvalidParameterValue', `The session tag ${key} cannot be set: the calling session passes on the transitive session tag ${existing}, which a session in a role chain cannot override.`);
    }
  }
  const tags: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, inherited.tags, request.tags);
  const transitiveTagKeys = [...inherited.transitiveTagKeys];
  for (const key of request.transitiveTagKeys) {
    // The request's key as the tag spells it (TransitiveTagKeys are matched without case).
    const spelled = Object.keys(request.tags).find((k) => k.toLowerCase() === key.toLowerCase()) ?? key;
    if (!transitiveTagKeys.some((k) => k.toLowerCase() === spelled.toLowerCase())) transitiveTagKeys.push(spelled);
  }
  return { tags, transitiveTagKeys };
}
