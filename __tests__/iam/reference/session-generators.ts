/**
 * fast-check generators of role-session cases for session-differential.test.ts: a role (inline and managed
 * policies, an optional permissions boundary, tags), an AssumeRole call (session name, issue time, 0-2 session
 * policies, session tags whose keys overlap the role's with other letter case, optionally a source identity)
 * and a few requests signed with the session. Policies come from generators.ts (Allow/Deny, NotAction,
 * NotResource, wildcards, policy variables, conditions), with the session keys of `GenOptions.session`.
 */
import fc from 'fast-check';
import type { NamedPolicy } from '../../../src/iam/principal';
import { ACCOUNT, allowMostly, allowOnly, type GenOptions, policySpecArb, type PolicySpec, type PrincipalSpec, renderPolicy, renderRequest, requestSpecArb, type RequestSpec, variantArb, w } from './generators';
import { referencePrincipalTags, type ReferenceFacts, type ReferenceRole, type ReferenceSession } from './session';

export const ROLE_ID = 'AROAEXAMPLEROLE0001';

type Tags = ReadonlyArray<readonly [string, string]>;

export interface SessionCaseSpec {
  readonly roleName: string;
  readonly rolePath: string;
  readonly roleTags: Tags;
  readonly identity: readonly PolicySpec[];
  readonly boundary?: PolicySpec;
  readonly sessionName: string;
  readonly issuedAt: string;
  readonly sessionTags: Tags;
  readonly sessionPolicies: readonly PolicySpec[];
  readonly sourceIdentity?: string;
  readonly first: RequestSpec;
  readonly variants: ReadonlyArray<Partial<RequestSpec>>;
}

/**
 * Tags with at most one key per name regardless of case (IAM and STS refuse two keys that differ only in case:
 * API_AssumeRole.html, Tags: "you cannot have separate Department and department tag keys"), each written in
 * one of a few cases so that a role tag and a session tag of the same name often differ in case.
 */
const tagsArb: fc.Arbitrary<Tags> = fc
  .tuple(
    fc.option(fc.tuple(fc.constantFrom('team', 'Team', 'TEAM'), fc.constantFrom('blue', 'red', 'Blue', 'items')), { nil: undefined }),
    fc.option(fc.tuple(fc.constantFrom('env', 'Env'), fc.constantFrom('dev', 'prod', 'DEV')), { nil: undefined }),
    fc.option(fc.tuple(fc.constantFrom('cost-center', 'Cost-Center'), fc.constantFrom('12345', 'a b')), { nil: undefined }),
  )
  .map((tags) => tags.filter((t) => t !== undefined).map(([k, v]): readonly [string, string] => [k, v]));

/** How many session policies a case passes: none or one, or exactly two (where the documentation has two readings). */
export type SessionPolicyCount = 'none-or-one' | 'two';

export const sessionCaseSpecArb = (o: GenOptions, requestsPerCase: number, count: SessionPolicyCount = 'none-or-one'): fc.Arbitrary<SessionCaseSpec> =>
  fc.record(
    {
      roleName: fc.constantFrom('deployer', 'reader', 'Deployer'),
      rolePath: fc.constantFrom('/', '/iam-http-api/'),
      roleTags: tagsArb,
      identity: fc.array(policySpecArb(o, allowMostly), { minLength: 1, maxLength: 3 }),
      boundary: fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: policySpecArb(o, allowOnly) }),
      sessionName: fc.constantFrom('sess1', 'alice', 'blue', 'ci-run-7'),
      issuedAt: fc.constantFrom('2025-06-01T00:00:00Z', '2025-06-15T11:00:00Z', '2024-12-31T23:59:59Z'),
      sessionTags: fc.oneof(w(1, [] as Tags), { weight: 2, arbitrary: tagsArb }),
      sessionPolicies:
        count === 'two'
          ? fc.array(policySpecArb(o, allowOnly), { minLength: 2, maxLength: 2 })
          : fc.oneof({ weight: 1, arbitrary: fc.constant<PolicySpec[]>([]) }, { weight: 1, arbitrary: fc.array(policySpecArb(o, allowOnly), { minLength: 1, maxLength: 1 }) }),
      sourceIdentity: o.sourceIdentity ? fc.option(fc.constantFrom('alice', 'ci@example.com'), { nil: undefined }) : fc.constant(undefined),
      first: requestSpecArb(o),
      variants: fc.array(variantArb(o), { minLength: requestsPerCase - 1, maxLength: requestsPerCase - 1 }),
    },
    { requiredKeys: ['roleName', 'rolePath', 'roleTags', 'identity', 'sessionName', 'issuedAt', 'sessionTags', 'sessionPolicies', 'first', 'variants'] },
  );

export interface RenderedSessionCase {
  readonly role: ReferenceRole;
  readonly session: ReferenceSession;
  readonly requests: ReadonlyArray<{ readonly action: string; readonly resource: string; readonly facts: ReferenceFacts }>;
}

export function renderSessionCase(spec: SessionCaseSpec): RenderedSessionCase {
  const roleTags = Object.fromEntries(spec.roleTags);
  const sessionTags = Object.fromEntries(spec.sessionTags);
  // The principal as generators.ts renders policies and paths for it ({username} is the session name, {team}
  // the team tag the session ends up with).
  const p: PrincipalSpec = {
    role: true,
    name: spec.sessionName,
    path: spec.rolePath,
    userId: `${ROLE_ID}:${spec.sessionName}`,
    roleName: spec.roleName,
    sessionName: spec.sessionName,
    tags: Object.entries(referencePrincipalTags(roleTags, sessionTags)).map(([k, v]) => [k.toLowerCase() === 'team' ? 'team' : k, v] as const),
    groups: [],
  };
  const r = spec.first;
  const identity: NamedPolicy[] = spec.identity.map((ps, i) => ({
    name: `role-policy-${i}`,
    source: i % 2 === 0 ? 'role inline' : 'role managed',
    document: renderPolicy(ps, r, p),
  }));
  const role: ReferenceRole = {
    accountId: ACCOUNT,
    name: spec.roleName,
    path: spec.rolePath,
    roleId: ROLE_ID,
    tags: roleTags,
    identityPolicies: identity,
    ...(spec.boundary ? { permissionsBoundary: { name: 'boundary', source: 'permissions boundary', document: renderPolicy(spec.boundary, r, p) } } : {}),
  };
  const session: ReferenceSession = {
    sessionName: spec.sessionName,
    issuedAt: new Date(spec.issuedAt),
    sessionPolicies: spec.sessionPolicies.map((ps, i) => ({ name: i === 0 ? 'Policy' : `managed-session-${i}`, source: 'session policy', document: renderPolicy(ps, r, p) })),
    tags: sessionTags,
    ...(spec.sourceIdentity !== undefined ? { sourceIdentity: spec.sourceIdentity } : {}),
  };
  const requests = [spec.first, ...spec.variants.map((v) => ({ ...spec.first, ...v }))].map((x) => {
    const { action, resource } = renderRequest(x, p);
    const facts: ReferenceFacts = {
      sourceIp: x.ip,
      now: new Date(x.time),
      region: x.region,
      secureTransport: x.secure,
      ...(x.userAgent !== undefined ? { userAgent: x.userAgent } : {}),
    };
    return { action, resource, facts };
  });
  return { role, session, requests };
}

/** A compact, copy-pasteable description of one session decision for failure messages. */
export function describeSessionCase(c: RenderedSessionCase, request: RenderedSessionCase['requests'][number], projectContext?: unknown): string {
  return JSON.stringify(
    {
      role: { name: c.role.name, path: c.role.path, tags: c.role.tags, policies: c.role.identityPolicies.map((p) => p.document), boundary: c.role.permissionsBoundary?.document },
      session: { name: c.session.sessionName, issuedAt: c.session.issuedAt, tags: c.session.tags, sourceIdentity: c.session.sourceIdentity, policies: c.session.sessionPolicies.map((p) => p.document) },
      request: { action: request.action, resource: request.resource, facts: request.facts },
      ...(projectContext ? { projectContext } : {}),
    },
    null,
    1,
  );
}
