/**
 * The IAM users of a synthesized stack as principals: for each `aws_iam_user`, everything
 * IAM applies to it, read from cdk.tf.json:
 * - its inline policies (`aws_iam_user_policy`, the user by name, `${aws_iam_user.X.name}`
 *   or `${aws_iam_user.X.id}`: Terraform's id of a user is its name);
 * - managed policies attached to it (`aws_iam_user_policy_attachment`,
 *   `aws_iam_policy_attachment` `users`), each an `aws_iam_policy` of the stack;
 * - its groups (`aws_iam_group_membership`, `aws_iam_user_group_membership`) and their inline
 *   (`aws_iam_group_policy`) and managed (`aws_iam_group_policy_attachment`,
 *   `aws_iam_policy_attachment` `groups`) policies;
 * - its permissions boundary (`permissions_boundary`, an `aws_iam_policy` of the stack);
 * - its tags over the provider's `default_tags` (the provider's `tags_all`).
 * Policy documents may be JSON strings or `data.aws_iam_policy_document` (`.json`,
 * `.minified_json`), rendered as the provider does (policy-document-data.ts).
 *
 * A managed policy the stack does not define (an AWS managed one, or one created elsewhere)
 * is a startup error: its document is unknown here, and evaluating without it would decide
 * differently from IAM. So is anything unresolvable. Policy grammar is the evaluator's
 * business: here a document only has to be a JSON object.
 */
import { createHash } from 'node:crypto';
import type { IamUserPrincipal, NamedPolicy, PolicyDocument, PolicySource } from '../iam/principal';
import { PolicyDocumentDataError, readPolicyDocumentData, renderPolicyDocument } from './policy-document-data';
import { type Attributes, type Block, fail, literal, References, type TerraformJson } from './stack-json';

interface User {
  readonly id: string;
  readonly attributes: Attributes;
  readonly name: string;
  readonly path: string;
  readonly arn: string;
  readonly userId: string;
}

interface Group {
  readonly id: string;
  readonly name: string;
}

/** An `aws_iam_policy` of the stack. */
interface ManagedPolicy {
  readonly id: string;
  readonly name: string;
  readonly arn: string;
  /** Parsed on first use. */
  readonly document: () => PolicyDocument;
}

/** Something attached to a user or a group: an inline policy or a managed policy's ARN. */
interface Attached {
  readonly kind: 'inline' | 'managed';
  readonly type: string;
  readonly id: string;
  /** Inline: the policy's name. */
  readonly name?: string;
}

const IAM_TYPES = [
  'aws_iam_user', 'aws_iam_user_policy', 'aws_iam_policy', 'aws_iam_user_policy_attachment', 'aws_iam_policy_attachment',
  'aws_iam_group', 'aws_iam_group_policy', 'aws_iam_group_policy_attachment', 'aws_iam_group_membership', 'aws_iam_user_group_membership',
];

/**
 * Registers the IAM references (`aws_iam_user.X.name`, `aws_iam_policy.X.arn`,
 * `data.aws_iam_policy_document.X.json`, ...) in `refs`, then builds one principal per
 * `aws_iam_user`, in the stack's order.
 */
export function loadPrincipals(tf: TerraformJson, refs: References, accountId: string): IamUserPrincipal[] {
  const resources = tf.resource ?? {};
  for (const type of IAM_TYPES) {
    for (const [id, attributes] of entries(resources, type)) {
      for (const key of ['count', 'for_each', 'dynamic']) {
        if (attributes[key] !== undefined) fail(type, id, key, 'is not supported by the local gateway');
      }
    }
  }

  const users = entries(resources, 'aws_iam_user').map(([id, attributes]): User => {
    const name = literal(attributes.name, 'aws_iam_user', id, 'name');
    const path = attributes.path === undefined ? '/' : literal(attributes.path, 'aws_iam_user', id, 'path');
    const user = {
      id, attributes, name, path,
      arn: `arn:aws:iam::${accountId}:user${path}${name}`,
      userId: `AIDA${createHash('sha256').update(name).digest('hex').toUpperCase().slice(0, 17)}`,
    };
    refs.set(`aws_iam_user.${id}.name`, name);
    refs.set(`aws_iam_user.${id}.id`, name);
    refs.set(`aws_iam_user.${id}.arn`, user.arn);
    refs.set(`aws_iam_user.${id}.unique_id`, user.userId);
    return user;
  });

  const groups = entries(resources, 'aws_iam_group').map(([id, attributes]): Group => {
    const name = literal(attributes.name, 'aws_iam_group', id, 'name');
    const path = attributes.path === undefined ? '/' : literal(attributes.path, 'aws_iam_group', id, 'path');
    refs.set(`aws_iam_group.${id}.name`, name);
    refs.set(`aws_iam_group.${id}.id`, name);
    refs.set(`aws_iam_group.${id}.arn`, `arn:aws:iam::${accountId}:group${path}${name}`);
    return { id, name };
  });

  const policies = entries(resources, 'aws_iam_policy').map(([id, attributes]): ManagedPolicy => {
    const name = iamName(attributes, 'aws_iam_policy', id);
    const path = attributes.path === undefined ? '/' : literal(attributes.path, 'aws_iam_policy', id, 'path');
    const arn = `arn:aws:iam::${accountId}:policy${path}${name}`;
    refs.set(`aws_iam_policy.${id}.name`, name);
    // The provider sets a managed policy's id to its ARN (resourcePolicyCreate: d.SetId(aws.ToString(output.Policy.Arn))).
    refs.set(`aws_iam_policy.${id}.id`, arn);
    refs.set(`aws_iam_policy.${id}.arn`, arn);
    let document: PolicyDocument | undefined;
    return { id, name, arn, document: () => (document ??= parseDocument(refs.resolve(attributes.policy, 'aws_iam_policy', id, 'policy'), 'aws_iam_policy', id, 'policy')) };
  });

  for (const [id, attributes] of entries(tf.data ?? {}, 'aws_iam_policy_document')) {
    let rendered: { json: string; minifiedJson: string } | undefined;
    const render = (): { json: string; minifiedJson: string } => {
      if (rendered) return rendered;
      try {
        const args = readPolicyDocumentData(attributes, (value, attribute) => refs.resolve(value, 'data.aws_iam_policy_document', id, attribute));
        rendered = renderPolicyDocument(args);
      } catch (error) {
        if (error instanceof PolicyDocumentDataError) fail('data.aws_iam_policy_document', id, error.attribute, error.problem);
        throw error;
      }
      return rendered;
    };
    refs.set(`data.aws_iam_policy_document.${id}.json`, () => render().json);
    refs.set(`data.aws_iam_policy_document.${id}.minified_json`, () => render().minifiedJson);
  }

  const userNames = new Set(users.map((u) => u.name));
  const groupNames = new Set(groups.map((g) => g.name));

  // What is attached to whom, by user and group name.
  const toUser = new Map<string, Attached[]>();
  const toGroup = new Map<string, Attached[]>();
  const memberOf = new Map<string, { group: string; type: string; id: string; attribute: string }[]>();
  const add = <T>(map: Map<string, T[]>, key: string, value: T): void => {
    map.set(key, [...(map.get(key) ?? []), value]);
  };

  for (const [id, p] of entries(resources, 'aws_iam_user_policy')) {
    const user = target(refs, p.user, userNames, 'aws_iam_user_policy', id, 'user', 'aws_iam_user');
    if (user !== undefined) add(toUser, user, { kind: 'inline', type: 'aws_iam_user_policy', id, name: iamName(p, 'aws_iam_user_policy', id) });
  }
  for (const [id, p] of entries(resources, 'aws_iam_group_policy')) {
    const group = target(refs, p.group, groupNames, 'aws_iam_group_policy', id, 'group', 'aws_iam_group');
    if (group !== undefined) add(toGroup, group, { kind: 'inline', type: 'aws_iam_group_policy', id, name: iamName(p, 'aws_iam_group_policy', id) });
  }
  for (const [id, a] of entries(resources, 'aws_iam_user_policy_attachment')) {
    const user = target(refs, a.user, userNames, 'aws_iam_user_policy_attachment', id, 'user', 'aws_iam_user');
    if (user !== undefined) add(toUser, user, { kind: 'managed', type: 'aws_iam_user_policy_attachment', id });
  }
  for (const [id, a] of entries(resources, 'aws_iam_group_policy_attachment')) {
    const group = target(refs, a.group, groupNames, 'aws_iam_group_policy_attachment', id, 'group', 'aws_iam_group');
    if (group !== undefined) add(toGroup, group, { kind: 'managed', type: 'aws_iam_group_policy_attachment', id });
  }
  for (const [id, a] of entries(resources, 'aws_iam_policy_attachment')) {
    // `roles` is read by nobody yet: the gateway's principals are users.
    stringList(refs, a.users, 'aws_iam_policy_attachment', id, 'users').forEach((value, index) => {
      const user = target(refs, value, userNames, 'aws_iam_policy_attachment', id, `users[${index}]`, 'aws_iam_user');
      if (user !== undefined) add(toUser, user, { kind: 'managed', type: 'aws_iam_policy_attachment', id });
    });
    stringList(refs, a.groups, 'aws_iam_policy_attachment', id, 'groups').forEach((value, index) => {
      const group = target(refs, value, groupNames, 'aws_iam_policy_attachment', id, `groups[${index}]`, 'aws_iam_group');
      if (group !== undefined) add(toGroup, group, { kind: 'managed', type: 'aws_iam_policy_attachment', id });
    });
  }
  for (const [id, m] of entries(resources, 'aws_iam_group_membership')) {
    const group = refs.resolve(m.group, 'aws_iam_group_membership', id, 'group');
    stringList(refs, m.users, 'aws_iam_group_membership', id, 'users').forEach((value, index) => {
      const user = target(refs, value, userNames, 'aws_iam_group_membership', id, `users[${index}]`, 'aws_iam_user');
      if (user !== undefined) add(memberOf, user, { group, type: 'aws_iam_group_membership', id, attribute: 'group' });
    });
  }
  for (const [id, m] of entries(resources, 'aws_iam_user_group_membership')) {
    const user = target(refs, m.user, userNames, 'aws_iam_user_group_membership', id, 'user', 'aws_iam_user');
    stringList(refs, m.groups, 'aws_iam_user_group_membership', id, 'groups').forEach((group, index) => {
      if (user !== undefined) add(memberOf, user, { group, type: 'aws_iam_user_group_membership', id, attribute: `groups[${index}]` });
    });
  }

  const byArn = new Map(policies.map((p) => [p.arn, p]));
  const managed = (type: string, id: string, attribute: string): ManagedPolicy => {
    const arn = refs.resolve(resources[type][id][attribute], type, id, attribute);
    const policy = byArn.get(arn);
    if (policy) return policy;
    if (/^arn:aws[\w-]*:iam::aws:policy\//.test(arn)) {
      fail(type, id, attribute, `is ${arn}, an AWS managed policy: its document is not in the stack, so the local gateway cannot evaluate it (define the policy with aws_iam_policy instead)`);
    }
    return fail(type, id, attribute, `is ${arn}, which no aws_iam_policy in the stack defines, so the local gateway cannot know its document`);
  };
  const policiesOf = (attached: readonly Attached[], inline: PolicySource, managedSource: PolicySource, group?: string): NamedPolicy[] => {
    const seen = new Set<string>();
    const out: NamedPolicy[] = [];
    for (const a of attached) {
      if (a.kind === 'inline') {
        const attributes = resources[a.type][a.id];
        const document = parseDocument(refs.resolve(attributes.policy, a.type, a.id, 'policy'), a.type, a.id, 'policy');
        out.push(named({ name: a.name as string, source: inline, group, address: `${a.type}.${a.id}`, document }));
      } else {
        const policy = managed(a.type, a.id, 'policy_arn');
        // Attaching a policy twice (by two resources) is one attachment in IAM.
        if (seen.has(policy.arn)) continue;
        seen.add(policy.arn);
        out.push(named({ name: policy.name, source: managedSource, group, address: `aws_iam_policy.${policy.id}`, document: policy.document() }));
      }
    }
    // Inline policies first, then managed ones, each in the stack's order.
    return [...out.filter((p) => p.source === inline), ...out.filter((p) => p.source === managedSource)];
  };

  const defaultTags = new Map<string, Readonly<Record<string, string>>>();
  return users.map((user): IamUserPrincipal => {
    const memberships = memberOf.get(user.name) ?? [];
    for (const m of memberships) {
      if (!groupNames.has(m.group)) {
        fail(m.type, m.id, m.attribute, `is ${JSON.stringify(m.group)}, which no aws_iam_group in the stack defines, so the local gateway cannot know its policies`);
      }
    }
    const userGroups = groups.filter((g) => memberships.some((m) => m.group === g.name)).map((g) => g.name);

    const boundaryArn = user.attributes.permissions_boundary;
    let permissionsBoundary: NamedPolicy | undefined;
    if (boundaryArn !== undefined && boundaryArn !== null && boundaryArn !== '') {
      const policy = managed('aws_iam_user', user.id, 'permissions_boundary');
      permissionsBoundary = { name: policy.name, source: 'permissions boundary', address: `aws_iam_policy.${policy.id}`, document: policy.document() };
    }

    const providerKey = providerOf(user.attributes, 'aws_iam_user', user.id);
    if (!defaultTags.has(providerKey)) defaultTags.set(providerKey, providerDefaultTags(tf, providerKey, refs));
    const tags = { ...defaultTags.get(providerKey), ...stringMap(refs, user.attributes.tags, 'aws_iam_user', user.id, 'tags') };

    return {
      type: 'User',
      accountId,
      name: user.name,
      path: user.path,
      arn: user.arn,
      userId: user.userId,
      tags,
      groups: userGroups,
      identityPolicies: [
        ...policiesOf(toUser.get(user.name) ?? [], 'user inline', 'user managed'),
        ...userGroups.flatMap((group) => policiesOf(toGroup.get(group) ?? [], 'group inline', 'group managed', group)),
      ],
      ...(permissionsBoundary ? { permissionsBoundary } : {}),
    };
  });
}

export function entries(block: Block, type: string): [string, Attributes][] {
  return Object.entries(block[type] ?? {});
}

/** Drops an undefined `group`, so policies compare equal however they were built. */
function named(policy: NamedPolicy): NamedPolicy {
  const { group, ...rest } = policy;
  return group === undefined ? rest : { ...rest, group };
}

/**
 * A user or group named by `value`: its name if it is one of the stack's, undefined if it is
 * a literal name of one outside the stack (nothing the gateway serves is affected). A
 * reference that resolves to none of the stack's is an error: it can only be a mistake.
 */
function target(refs: References, value: unknown, known: ReadonlySet<string>, type: string, id: string, attribute: string, kind: string): string | undefined {
  const name = refs.resolve(value, type, id, attribute);
  if (known.has(name)) return name;
  if (typeof value === 'string' && /(^|[^$])\$\{/.test(value)) {
    fail(type, id, attribute, `is ${JSON.stringify(value)}, which resolves to ${JSON.stringify(name)}, the name of no ${kind} in the stack`);
  }
  return undefined;
}

/**
 * The IAM name Terraform gives: `name`, else `name_prefix` + 26 characters, else
 * `terraform-` + 26 (create.Name). Terraform's suffix is a creation timestamp and counter;
 * here it is derived from the resource's address, so it is the same on every start.
 */
export function iamName(attributes: Attributes, type: string, id: string): string {
  if (attributes.name !== undefined && attributes.name !== null && attributes.name !== '') return literal(attributes.name, type, id, 'name');
  const prefix = attributes.name_prefix === undefined || attributes.name_prefix === null ? 'terraform-' : literal(attributes.name_prefix, type, id, 'name_prefix');
  const digits = BigInt(`0x${createHash('sha256').update(`${type}.${id}`).digest('hex')}`).toString().slice(0, 26);
  return `${prefix}${digits}`;
}

export function parseDocument(text: string, type: string, id: string, attribute: string): PolicyDocument {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    fail(type, id, attribute, `is not a JSON policy document: ${(error as Error).message}`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    fail(type, id, attribute, `is not a JSON policy document: its top level is ${Array.isArray(document) ? 'a list' : JSON.stringify(document)}, not an object`);
  }
  return document as PolicyDocument;
}

export function stringList(refs: References, value: unknown, type: string, id: string, attribute: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(type, id, attribute, `is ${JSON.stringify(value)}; expected a list of strings`);
  return value.map((item, index) => refs.resolve(item, type, id, `${attribute}[${index}]`));
}

export function stringMap(refs: References, value: unknown, type: string, id: string, attribute: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) fail(type, id, attribute, `is ${JSON.stringify(value)}; expected a map of strings`);
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, refs.resolve(v, type, id, `${attribute}.${key}`)]));
}

/** `aws` or `aws.<alias>`: the provider configuration a resource uses. */
export function providerOf(attributes: Attributes, type: string, id: string): string {
  if (attributes.provider === undefined) return 'aws';
  const provider = literal(attributes.provider, type, id, 'provider');
  if (!/^aws(\.[\w-]+)?$/.test(provider)) fail(type, id, 'provider', `is ${JSON.stringify(provider)}; expected aws or aws.<alias>`);
  return provider;
}

/** The provider configuration's `default_tags`: `provider.aws[i].default_tags[0].tags`. */
export function providerDefaultTags(tf: TerraformJson, providerKey: string, refs: References): Record<string, string> {
  const alias = providerKey.includes('.') ? providerKey.slice(providerKey.indexOf('.') + 1) : undefined;
  const configurations = tf.provider?.aws ?? [];
  const configuration = configurations.find((c) => c.alias === alias);
  // No default configuration: Terraform uses an empty one, without default tags.
  if (!configuration && alias === undefined) return {};
  if (!configuration) fail('provider', providerKey, 'alias', 'is used by a resource but not configured in the stack');
  const name = alias === undefined ? 'aws' : `aws[alias=${alias}]`;
  const blocks = configuration.default_tags;
  if (blocks === undefined || blocks === null) return {};
  if (!Array.isArray(blocks) || blocks.length > 1) fail('provider', name, 'default_tags', 'must be one block');
  const block = blocks[0] as Attributes | undefined;
  return stringMap(refs, block?.tags, 'provider', name, 'default_tags.tags');
}
