/**
 * The IAM roles of a synthesized stack, read from cdk.tf.json as load-principals.ts reads the
 * users, with the same startup errors:
 * - `aws_iam_role`: name (or name_prefix), path, tags over the provider's `default_tags`,
 *   `max_session_duration` (default 3600 s), `permissions_boundary` (an `aws_iam_policy` of the
 *   stack), `assume_role_policy` (the trust policy), its `inline_policy` blocks and
 *   `managed_policy_arns`;
 * - `aws_iam_role_policy` (the role by `${aws_iam_role.X.name}`, `.id` — Terraform's id of a
 *   role is its name — or a literal name);
 * - `aws_iam_role_policy_attachment` and `aws_iam_policy_attachment` `roles`.
 *
 * Two steps, because users' policies may refer to roles (an Allow of sts:AssumeRole on
 * `${aws_iam_role.X.arn}`) and roles to managed policies the user loader registers:
 * `registerRoleReferences` before `loadPrincipals`, `loadRoles` after it.
 */
import { createHash } from 'node:crypto';
import type { NamedPolicy, PolicyDocument, PolicySource, RoleSessionPrincipal } from '../iam/principal';
import { entries, iamName, parseDocument, providerDefaultTags, providerOf, stringList, stringMap } from './load-principals';
import { type Attributes, fail, literal, type References, StackLoadError, type TerraformJson } from './stack-json';

/** A role of the stack: what a session of it needs (session-principal.ts). */
export interface RoleDefinition {
  /** The resource's name in the stack (`aws_iam_role.<address>`). */
  readonly address: string;
  readonly accountId: string;
  readonly name: string;
  readonly path: string;
  /** `arn:aws:iam::<account>:role<path><name>`. */
  readonly arn: string;
  /** `AROA` + 17 characters, derived from the name (the same on every start). */
  readonly roleId: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly maxSessionDurationSeconds: number;
  /** The trust policy (`assume_role_policy`). */
  readonly assumeRolePolicy: PolicyDocument;
  /** Inline policies first, then managed ones, each in the stack's order. */
  readonly identityPolicies: readonly NamedPolicy[];
  readonly permissionsBoundary?: NamedPolicy;
  /**
   * A customer managed policy of the stack (an `aws_iam_policy`; the role's account) by ARN, as a
   * session policy: what AssumeRole's `PolicyArns` may name. Undefined for any other ARN, and
   * for a policy whose document the gateway cannot read.
   */
  readonly managedPolicy?: (arn: string) => NamedPolicy | undefined;
}

const ROLE_TYPES = ['aws_iam_role', 'aws_iam_role_policy', 'aws_iam_role_policy_attachment'];

interface RoleEntry {
  readonly address: string;
  readonly attributes: Attributes;
  readonly name: string;
  readonly path: string;
  readonly arn: string;
  readonly roleId: string;
}

function roleEntries(tf: TerraformJson, accountId: string): RoleEntry[] {
  return entries(tf.resource ?? {}, 'aws_iam_role').map(([address, attributes]) => {
    const name = iamName(attributes, 'aws_iam_role', address);
    const path = attributes.path === undefined || attributes.path === null ? '/' : literal(attributes.path, 'aws_iam_role', address, 'path');
    return {
      address, attributes, name, path,
      arn: `arn:aws:iam::${accountId}:role${path}${name}`,
      roleId: `AROA${createHash('sha256').update(`role:${name}`).digest('hex').toUpperCase().slice(0, 17)}`,
    };
  });
}

/** Registers `aws_iam_role.X.{name,id,arn,unique_id}`; call before loadPrincipals. */
export function registerRoleReferences(tf: TerraformJson, refs: References, accountId: string): void {
  for (const role of roleEntries(tf, accountId)) {
    refs.set(`aws_iam_role.${role.address}.name`, role.name);
    refs.set(`aws_iam_role.${role.address}.id`, role.name);
    refs.set(`aws_iam_role.${role.address}.arn`, role.arn);
    refs.set(`aws_iam_role.${role.address}.unique_id`, role.roleId);
  }
}

/**
 * One RoleDefinition per `aws_iam_role`, in the stack's order. `refs` must already hold the
 * stack's IAM references (registerRoleReferences, then loadPrincipals, which registers the
 * managed policies and policy documents).
 */
export function loadRoles(tf: TerraformJson, refs: References, accountId: string, options: { readonly onRoleError?: (role: { name: string; arn: string }, error: Error) => void } = {}): RoleDefinition[] {
  const resources = tf.resource ?? {};
  for (const type of ROLE_TYPES) {
    for (const [id, attributes] of entries(resources, type)) {
      for (const key of ['count', 'for_each', 'dynamic']) {
        if (attributes[key] !== undefined) fail(type, id, key, 'is not supported by the local gateway');
      }
    }
  }
  const roles = roleEntries(tf, accountId);
  const names = new Set(roles.map((r) => r.name));

  // Managed policies of the stack, by ARN (load-principals.ts registered their references).
  const managedByArn = new Map<string, { address: string; name: string; document: () => PolicyDocument }>();
  for (const [address, attributes] of entries(resources, 'aws_iam_policy')) {
    const arn = refs.resolve(`\${aws_iam_policy.${address}.arn}`, 'aws_iam_policy', address, 'arn');
    const name = refs.resolve(`\${aws_iam_policy.${address}.name}`, 'aws_iam_policy', address, 'name');
    let document: PolicyDocument | undefined;
    managedByArn.set(arn, { address, name, document: () => (document ??= parseDocument(refs.resolve(attributes.policy, 'aws_iam_policy', address, 'policy'), 'aws_iam_policy', address, 'policy')) });
  }
  const managed = (value: unknown, type: string, id: string, attribute: string): NamedPolicy & { arn: string } => {
    const arn = refs.resolve(value, type, id, attribute);
    const policy = managedByArn.get(arn);
    if (!policy) {
      if (/^arn:aws[\w-]*:iam::aws:policy\//.test(arn)) {
        fail(type, id, attribute, `is ${arn}, an AWS managed policy: its document is not in the stack, so the local gateway cannot evaluate it (define the policy with aws_iam_policy instead)`);
      }
      fail(type, id, attribute, `is ${arn}, which no aws_iam_policy in the stack defines, so the local gateway cannot know its document`);
    }
    return { arn, name: policy.name, source: 'role managed', address: `aws_iam_policy.${policy.address}`, document: policy.document() };
  };

  // Documents are read when the role is built, so one role's unresolvable policy (with
  // onRoleError) leaves the others usable.
  const inline = new Map<string, (() => NamedPolicy)[]>();
  const attached = new Map<string, (() => NamedPolicy & { arn: string })[]>();
  const add = <T>(map: Map<string, T[]>, key: string, value: T): void => {
    map.set(key, [...(map.get(key) ?? []), value]);
  };
  const targetRole = (value: unknown, type: string, id: string, attribute: string): string | undefined => {
    const name = refs.resolve(value, type, id, attribute);
    if (names.has(name)) return name;
    if (typeof value === 'string' && /(^|[^$])\$\{/.test(value)) {
      fail(type, id, attribute, `is ${JSON.stringify(value)}, which resolves to ${JSON.stringify(name)}, the name of no aws_iam_role in the stack`);
    }
    return undefined; // a role outside the stack: nothing the gateway serves is affected
  };

  for (const [id, p] of entries(resources, 'aws_iam_role_policy')) {
    const role = targetRole(p.role, 'aws_iam_role_policy', id, 'role');
    if (role === undefined) continue;
    add(inline, role, () => ({
      name: iamName(p, 'aws_iam_role_policy', id), source: 'role inline', address: `aws_iam_role_policy.${id}`,
      document: parseDocument(refs.resolve(p.policy, 'aws_iam_role_policy', id, 'policy'), 'aws_iam_role_policy', id, 'policy'),
    }));
  }
  for (const [id, a] of entries(resources, 'aws_iam_role_policy_attachment')) {
    const role = targetRole(a.role, 'aws_iam_role_policy_attachment', id, 'role');
    if (role !== undefined) add(attached, role, () => managed(a.policy_arn, 'aws_iam_role_policy_attachment', id, 'policy_arn'));
  }
  for (const [id, a] of entries(resources, 'aws_iam_policy_attachment')) {
    stringList(refs, a.roles, 'aws_iam_policy_attachment', id, 'roles').forEach((value, index) => {
      const role = targetRole(value, 'aws_iam_policy_attachment', id, `roles[${index}]`);
      if (role !== undefined) add(attached, role, () => managed(a.policy_arn, 'aws_iam_policy_attachment', id, 'policy_arn'));
    });
  }

  const defaultTags = new Map<string, Readonly<Record<string, string>>>();
  const build = (role: RoleEntry): RoleDefinition => {
    const { address, attributes } = role;
    const type = 'aws_iam_role';
    if (attributes.assume_role_policy === undefined || attributes.assume_role_policy === null) fail(type, address, 'assume_role_policy', 'is missing; every role has a trust policy');
    const assumeRolePolicy = parseDocument(refs.resolve(attributes.assume_role_policy, type, address, 'assume_role_policy'), type, address, 'assume_role_policy');

    const own: NamedPolicy[] = [];
    const blocks = attributes.inline_policy;
    if (blocks !== undefined && blocks !== null) {
      if (!Array.isArray(blocks)) fail(type, address, 'inline_policy', `is ${JSON.stringify(blocks)}; expected a list of blocks`);
      (blocks as Attributes[]).forEach((block, index) => {
        // An empty block is how the provider says "no inline policies".
        if (block.name === undefined && block.policy === undefined) return;
        const name = literal(block.name, type, address, `inline_policy[${index}].name`);
        const document = parseDocument(refs.resolve(block.policy, type, address, `inline_policy[${index}].policy`), type, address, `inline_policy[${index}].policy`);
        own.push({ name, source: 'role inline', address: `${type}.${address}`, document });
      });
    }
    const ownManaged = stringList(refs, attributes.managed_policy_arns, type, address, 'managed_policy_arns').map((arn, index) => managed(arn, type, address, `managed_policy_arns[${index}]`));

    const seen = new Set<string>();
    const managedPolicies: NamedPolicy[] = [];
    for (const { arn, ...policy } of [...ownManaged, ...(attached.get(role.name) ?? []).map((load) => load())]) {
      // Attaching a policy twice is one attachment in IAM.
      if (seen.has(arn)) continue;
      seen.add(arn);
      managedPolicies.push(policy);
    }

    let permissionsBoundary: NamedPolicy | undefined;
    if (attributes.permissions_boundary !== undefined && attributes.permissions_boundary !== null && attributes.permissions_boundary !== '') {
      const { arn: _arn, ...policy } = managed(attributes.permissions_boundary, type, address, 'permissions_boundary');
      permissionsBoundary = { ...policy, source: 'permissions boundary' };
    }

    let maxSessionDurationSeconds = 3600;
    if (attributes.max_session_duration !== undefined && attributes.max_session_duration !== null) {
      const value = Number(attributes.max_session_duration);
      // AWS: "Maximum session duration ... 1 hour to 12 hours" (MaxSessionDuration 3600..43200).
      if (!Number.isInteger(value) || value < 3600 || value > 43200) fail(type, address, 'max_session_duration', `is ${JSON.stringify(attributes.max_session_duration)}; IAM accepts 3600 to 43200 seconds`);
      maxSessionDurationSeconds = value;
    }

    const providerKey = providerOf(attributes, type, address);
    if (!defaultTags.has(providerKey)) defaultTags.set(providerKey, providerDefaultTags(tf, providerKey, refs));
    const tags = { ...defaultTags.get(providerKey), ...stringMap(refs, attributes.tags, type, address, 'tags') };

    return {
      address,
      accountId,
      name: role.name,
      path: role.path,
      arn: role.arn,
      roleId: role.roleId,
      tags,
      maxSessionDurationSeconds,
      assumeRolePolicy,
      identityPolicies: [...(inline.get(role.name) ?? []).map((load) => load()), ...own, ...managedPolicies],
      ...(permissionsBoundary ? { permissionsBoundary } : {}),
      managedPolicy,
    };
  };
  const managedPolicy = (arn: string): NamedPolicy | undefined => {
    const policy = managedByArn.get(arn);
    if (!policy) return undefined;
    try {
      return { name: policy.name, source: 'session policy', address: `aws_iam_policy.${policy.address}`, document: policy.document() };
    } catch (error) {
      if (error instanceof StackLoadError) return undefined;
      throw error;
    }
  };
  const { onRoleError } = options;
  if (!onRoleError) return roles.map(build);
  return roles.flatMap((role) => {
    try {
      return [build(role)];
    } catch (error) {
      if (!(error instanceof StackLoadError)) throw error;
      onRoleError({ name: role.name, arn: role.arn }, error);
      return [];
    }
  });
}

/** A session of `role`, as IAM sees it (principal.ts): the role's policies, tags and boundary, narrowed by the session's. */
export function sessionPrincipal(
  role: RoleDefinition,
  session: { readonly sessionName: string; readonly issuedAt: Date; readonly sessionPolicies?: readonly { readonly name: string; readonly document: PolicyDocument }[]; readonly tags?: Readonly<Record<string, string>>; readonly sourceIdentity?: string },
): RoleSessionPrincipal {
  const source: PolicySource = 'session policy';
  return {
    type: 'AssumedRole',
    accountId: role.accountId,
    roleName: role.name,
    rolePath: role.path,
    roleArn: role.arn,
    roleId: role.roleId,
    sessionName: session.sessionName,
    // The assumed-role ARN has no path: arn:aws:sts::<account>:assumed-role/<role name>/<session>.
    arn: `arn:aws:sts::${role.accountId}:assumed-role/${role.name}/${session.sessionName}`,
    userId: `${role.roleId}:${session.sessionName}`,
    // "If you pass a session tag with the same key as a tag that is already attached to the role,
    // the value of the session tag overrides the role tag with the same key ... regardless of
    // case" (IAM User Guide, "Passing session tags in AWS STS").
    tags: overrideTags(role.tags, session.tags ?? {}),
    identityPolicies: role.identityPolicies,
    ...(role.permissionsBoundary ? { permissionsBoundary: role.permissionsBoundary } : {}),
    sessionPolicies: (session.sessionPolicies ?? []).map((p) => ({ name: p.name, source, document: p.document })),
    tokenIssueTime: session.issuedAt,
    ...(session.sourceIdentity !== undefined ? { sourceIdentity: session.sourceIdentity } : {}),
  };
}

/** `base` with every key of `over` replaced, keys compared regardless of case (session tags over role tags). */
function overrideTags(base: Readonly<Record<string, string>>, over: Readonly<Record<string, string>>): Record<string, string> {
  const overridden = new Set(Object.keys(over).map((key) => key.toLowerCase()));
  return { ...Object.fromEntries(Object.entries(base).filter(([key]) => !overridden.has(key.toLowerCase()))), ...over };
}
