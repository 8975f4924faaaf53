/**
 * The plan summary a reviewer reads: counts as Terraform gives them, IAM policy diffs, loud
 * warnings when a plan grants access, drift without provider noise, and never a secret.
 * Plans here are small hand-written `terraform show -json` documents; the real-terraform
 * test (__tests__/terraform/plan-review.test.ts) runs the same code on real plans.
 */
import { invokeGrants } from '../../src/plan/invoke-grants';
import { lineDiff } from '../../src/plan/json-diff';
import { parsePlanJson, type JsonValue, type PlanJson, type PlanResourceChange } from '../../src/plan/plan-json';
import { renderSummary } from '../../src/plan/render-summary';
import { summarizePlan } from '../../src/plan/summarize-plan';

const ARN = 'arn:aws:execute-api:us-east-1:123456789012:abc123';

function policy(...methods: string[]): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: 'InvokeAllowedRoutes', Effect: 'Allow', Action: 'execute-api:Invoke', Resource: methods.map((m) => `${ARN}/$default/${m}/*`) }],
  });
}

function change(address: string, actions: PlanResourceChange['change']['actions'], before: JsonValue, after: JsonValue, extra: Partial<PlanResourceChange['change']> = {}): PlanResourceChange {
  const [type = '', name = ''] = address.split('.');
  return { address, mode: 'managed', type, name, change: { actions, before, after, ...extra } };
}

function plan(parts: Partial<PlanJson>): PlanJson {
  return { format_version: '1.2', terraform_version: '1.11.4', ...parts };
}

const viewerPolicy = (p: string) => ({ user: 'iam-http-api-dev-viewer', name: 'invoke-api', policy: p });

describe('summarizePlan', () => {
  it('warns, naming the invoker and the call, when an update gives viewer POST', () => {
    const summary = summarizePlan(
      plan({ resource_changes: [change('aws_iam_user_policy.invoker_viewer_invoke', ['update'], viewerPolicy(policy('GET')), viewerPolicy(policy('GET', 'POST')))] }),
      { environment: 'dev' },
    );
    expect(summary.counts).toEqual({ add: 0, change: 1, destroy: 0 });
    expect(summary.warnings).toEqual([
      expect.objectContaining({ kind: 'invoker-gains-access', invoker: 'viewer', subject: 'iam-http-api-dev-viewer', grants: ['POST /*'] }),
    ]);
    const md = renderSummary(summary);
    expect(md).toContain('> - ⚠️ invoker `viewer` (IAM user `iam-http-api-dev-viewer`) GAINS `POST /*`');
    expect(md).toContain(`+         "${ARN}/$default/POST/*"`);
    expect(md.split('\n')[0]).toBe('<!-- iam-http-api-plan:dev -->');
  });

  it('names a role invoker as an IAM role when its policy gains a call', () => {
    const rolePolicy = (p: string) => ({ role: 'iam-http-api-dev-deployer', name: 'invoke-api', policy: p });
    const summary = summarizePlan(
      plan({ resource_changes: [change('aws_iam_role_policy.invoker_deployer_invoke', ['update'], rolePolicy(policy('GET')), rolePolicy(policy('GET', 'DELETE')))] }),
      { environment: 'dev' },
    );
    expect(summary.warnings.map((w) => w.message)).toEqual(['invoker `deployer` (IAM role `iam-http-api-dev-deployer`) GAINS `DELETE /*`']);
  });

  it('does not warn when access is only taken away', () => {
    const summary = summarizePlan(
      plan({ resource_changes: [change('aws_iam_user_policy.invoker_viewer_invoke', ['update'], viewerPolicy(policy('GET', 'POST')), viewerPolicy(policy('GET')))] }),
      { environment: 'dev' },
    );
    expect(summary.warnings).toEqual([]);
    expect(summary.changes[0]?.policyDiffs[0]?.lines).toContain(`-         "${ARN}/$default/POST/*"`);
  });

  it('shows a new invoker\'s policy from the configuration when its ARNs are known only after apply', () => {
    const configured = JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: ['${aws_apigatewayv2_api.api.execution_arn}/$default/DELETE/items/*'] }] });
    const summary = summarizePlan(
      plan({
        resource_changes: [
          change('aws_iam_user_policy.invoker_ops_invoke', ['create'], null, { user: 'iam-http-api-dev-ops', name: 'invoke-api' }, { after_unknown: { policy: true, id: true } }),
        ],
      }),
      { environment: 'dev', configuredAttribute: (type, name, attr) => (type === 'aws_iam_user_policy' && name === 'invoker_ops_invoke' && attr === 'policy' ? configured : undefined) },
    );
    expect(summary.counts).toEqual({ add: 1, change: 0, destroy: 0 });
    expect(summary.warnings.map((w) => w.message)).toEqual(['invoker `ops` (IAM user `iam-http-api-dev-ops`) GAINS `DELETE /items/*`']);
    expect(renderSummary(summary)).toContain('(as configured; ARNs are known after apply)');
  });

  it('warns when a route other than the preflight stops requiring a signature', () => {
    const summary = summarizePlan(
      plan({
        resource_changes: [
          change('aws_apigatewayv2_route.route_items', ['update'], { route_key: 'GET /items', authorization_type: 'AWS_IAM' }, { route_key: 'GET /items', authorization_type: 'NONE' }),
          change('aws_apigatewayv2_route.route_options_proxy', ['create'], null, { route_key: 'OPTIONS /{proxy+}', authorization_type: 'NONE' }),
        ],
      }),
      { environment: 'prod' },
    );
    expect(summary.warnings.map((w) => w.message)).toEqual(['route `GET /items` will accept UNSIGNED requests from anyone (authorization NONE)']);
  });

  it('counts a replacement as one add and one destroy, as Terraform does, and gives the reason', () => {
    const summary = summarizePlan(
      plan({
        resource_changes: [
          {
            ...change('aws_cloudwatch_log_group.handler_logs', ['delete', 'create'], { name: '/aws/lambda/a' }, { name: '/aws/lambda/b' }),
            action_reason: 'replace_because_cannot_update',
          },
          change('aws_iam_user.invoker_editor', ['delete'], { name: 'x' }, null),
          change('aws_lambda_function.handler', ['no-op'], { a: 1 }, { a: 1 }),
        ],
      }),
      { environment: 'dev' },
    );
    expect(summary.counts).toEqual({ add: 1, change: 0, destroy: 2 });
    const md = renderSummary(summary);
    expect(md).toContain('| -/+ replace | `aws_cloudwatch_log_group.handler_logs` | `name`: "/aws/lambda/a" → "/aws/lambda/b" (replace because cannot update) |');
    expect(md).toContain('| - destroy | `aws_iam_user.invoker_editor` |');
    expect(md).not.toContain('aws_lambda_function.handler');
  });

  it('never renders a sensitive value, before or after', () => {
    const secretBefore = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const summary = summarizePlan(
      plan({
        resource_changes: [
          change('aws_iam_access_key.invoker_viewer', ['update'], { secret: secretBefore, status: 'Active' }, { secret: 'other-secret-value', status: 'Inactive' }, {
            before_sensitive: { secret: true },
            after_sensitive: { secret: true },
          }),
        ],
      }),
      { environment: 'dev' },
    );
    const md = renderSummary(summary);
    expect(md).not.toContain(secretBefore);
    expect(md).not.toContain('other-secret-value');
    expect(md).toContain('`secret`: (sensitive) → (sensitive)');
    expect(md).toContain('`status`: "Active" → "Inactive"');
  });

  it('reports a policy edited outside Terraform, with the access it gave, and that the plan puts it back', () => {
    const drifted = change('aws_iam_user_policy.invoker_viewer_invoke', ['update'], viewerPolicy(policy('GET')), viewerPolicy(policy('GET', 'POST')));
    const revert = change('aws_iam_user_policy.invoker_viewer_invoke', ['update'], viewerPolicy(policy('GET', 'POST')), viewerPolicy(policy('GET')));
    const summary = summarizePlan(plan({ resource_drift: [drifted], resource_changes: [revert] }), { environment: 'dev' });
    expect(summary.drift).toEqual([expect.objectContaining({ address: 'aws_iam_user_policy.invoker_viewer_invoke', action: 'update', revertedByPlan: true })]);
    expect(summary.warnings).toEqual([expect.objectContaining({ kind: 'access-granted-outside-terraform', grants: ['POST /*'] })]);
    const md = renderSummary(summary);
    expect(md).toContain('#### Changed outside Terraform (drift)');
    expect(md).toContain('| `aws_iam_user_policy.invoker_viewer_invoke` | `policy` (policy, below) | puts it back |');
  });

  it('reports a resource deleted outside Terraform', () => {
    const summary = summarizePlan(
      plan({
        resource_drift: [change('aws_iam_user.invoker_viewer', ['delete'], { name: 'iam-http-api-dev-viewer' }, null)],
        resource_changes: [change('aws_iam_user.invoker_viewer', ['create'], null, { name: 'iam-http-api-dev-viewer' })],
      }),
      { environment: 'dev' },
    );
    expect(renderSummary(summary)).toContain('| `aws_iam_user.invoker_viewer` | deleted | recreates it |');
  });

  it('ignores provider bookkeeping: null read back as {} or [], and computed attributes nothing depends on', () => {
    const summary = summarizePlan(
      plan({
        resource_drift: [
          change('aws_apigatewayv2_api.api', ['update'], { tags: null, name: 'x' }, { tags: {}, name: 'x' }),
          change('aws_iam_role.handler', ['update'], { inline_policy: [] }, { inline_policy: [{ name: 'write-own-logs', policy: '{}' }] }),
        ],
        resource_changes: [change('aws_apigatewayv2_api.api', ['no-op'], { name: 'x' }, { name: 'x' })],
        relevant_attributes: [{ resource: 'aws_apigatewayv2_api.api', attribute: ['execution_arn'] }],
      }),
      { environment: 'dev' },
    );
    expect(summary.drift).toEqual([]);
    expect(renderSummary(summary)).toBe('<!-- iam-http-api-plan:dev -->\n### `dev`: no changes. The infrastructure matches the configuration.\n\n<sub>Terraform 1.11.4</sub>\n');
  });
});

describe('summarizePlan: role trust policies', () => {
  const trust = (...statements: unknown[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
  const byUsers = (...arns: string[]) => ({ Sid: 'AssumeByInvokers', Effect: 'Allow', Principal: { AWS: arns }, Action: 'sts:AssumeRole' });
  const byAccount = (id: string, externalId?: string) => ({
    Effect: 'Allow',
    Principal: { AWS: `arn:aws:iam::${id}:root` },
    Action: 'sts:AssumeRole',
    ...(externalId ? { Condition: { StringEquals: { 'sts:ExternalId': externalId } } } : {}),
  });
  const ROLE_ARN = 'arn:aws:iam::123456789012:role/iam-http-api/iam-http-api-dev-deployer';
  const ADMIN = 'arn:aws:iam::123456789012:user/iam-http-api/iam-http-api-dev-admin';
  const role = (policy: string) => ({ name: 'iam-http-api-dev-deployer', arn: ROLE_ARN, assume_role_policy: policy, max_session_duration: 3600 });

  it('cautions, in its own block, when an update lets a new user and an account without an external id assume a role, with the trust-policy diff', () => {
    const before = trust(byUsers(ADMIN));
    const after = trust(byUsers(ADMIN, 'arn:aws:iam::123456789012:user/editor'), byAccount('111122223333'));
    const summary = summarizePlan(plan({ resource_changes: [change('aws_iam_role.invoker_deployer', ['update'], role(before), role(after))] }), { environment: 'dev' });
    expect(summary.warnings).toEqual([
      expect.objectContaining({ kind: 'role-trust-widened', invoker: 'deployer', subject: 'iam-http-api-dev-deployer', grants: ['can now be assumed by `arn:aws:iam::123456789012:user/editor`'] }),
      expect.objectContaining({ kind: 'role-trust-widened', grants: ['can now be assumed by account `111122223333` without `sts:ExternalId`'] }),
    ]);
    const md = renderSummary(summary);
    expect(md).toContain(
      [
        '> [!CAUTION]',
        '> **ROLE TRUST WIDENED. Review who can assume which role before applying:**',
        '> - ⚠️ role `deployer` (IAM role `iam-http-api-dev-deployer`) can now be assumed by `arn:aws:iam::123456789012:user/editor`',
        '> - ⚠️ role `deployer` (IAM role `iam-http-api-dev-deployer`) can now be assumed by account `111122223333` without `sts:ExternalId`',
      ].join('\n'),
    );
    expect(md).not.toContain('ACCESS GRANTED');
    expect(md).toContain('| ~ update | `aws_iam_role.invoker_deployer` | `assume_role_policy` (policy, below) |');
    expect(md).toContain('**`aws_iam_role.invoker_deployer`** `assume_role_policy` changes:');
    expect(md).toContain('+           "arn:aws:iam::123456789012:user/editor"');
    expect(md).toContain('+       "Principal": {\n+         "AWS": "arn:aws:iam::111122223333:root"');
  });

  it('cautions when an account\'s external id is dropped', () => {
    const summary = summarizePlan(
      plan({ resource_changes: [change('aws_iam_role.invoker_deployer', ['update'], role(trust(byAccount('111122223333', 'partner-42'))), role(trust(byAccount('111122223333'))))] }),
      { environment: 'dev' },
    );
    expect(summary.warnings.map((w) => w.message)).toEqual([
      'role `deployer` (IAM role `iam-http-api-dev-deployer`) can now be assumed by account `111122223333` without `sts:ExternalId`',
    ]);
    expect(renderSummary(summary)).toContain('-           "sts:ExternalId": "partner-42"');
  });

  it('lists narrowing as a normal change, without a caution', () => {
    const summary = summarizePlan(
      plan({ resource_changes: [change('aws_iam_role.invoker_deployer', ['update'], role(trust(byUsers(ADMIN), byAccount('111122223333'))), role(trust(byUsers(ADMIN))))] }),
      { environment: 'dev' },
    );
    expect(summary.warnings).toEqual([]);
    expect(summary.trustNarrowed).toEqual([
      { address: 'aws_iam_role.invoker_deployer', message: 'role `deployer` (IAM role `iam-http-api-dev-deployer`) can no longer be assumed by account `111122223333`' },
    ]);
    const md = renderSummary(summary);
    expect(md).not.toContain('[!CAUTION]');
    expect(md).toContain('Role trust narrowed:\n\n- role `deployer` (IAM role `iam-http-api-dev-deployer`) can no longer be assumed by account `111122223333`\n');
  });

  it('says nothing about trust when only another attribute of the role changes', () => {
    const policy = trust(byUsers(ADMIN));
    const summary = summarizePlan(
      plan({ resource_changes: [change('aws_iam_role.invoker_deployer', ['update'], role(policy), { ...role(policy), max_session_duration: 7200 })] }),
      { environment: 'dev' },
    );
    expect(summary.warnings).toEqual([]);
    expect(summary.trustNarrowed).toEqual([]);
    expect(renderSummary(summary)).toContain('| ~ update | `aws_iam_role.invoker_deployer` | `max_session_duration`: 3600 → 7200 |');
  });

  it('a new role: everything it trusts is new, read from the configuration when known only after apply', () => {
    const configured = trust(
      byUsers('${aws_iam_user.invoker_admin.arn}'),
      { Effect: 'Allow', Principal: { Service: ['lambda.amazonaws.com'] }, Action: 'sts:AssumeRole' },
      {
        Effect: 'Allow',
        Principal: { Federated: '${aws_iam_openid_connect_provider.github_actions.arn}' },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
          StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:org/app:ref:refs/heads/main' },
        },
      },
    );
    const stackJson: Record<string, string> = { 'aws_iam_role.invoker_ci.assume_role_policy': configured, 'aws_iam_user.invoker_admin.name': 'iam-http-api-dev-admin' };
    const summary = summarizePlan(
      plan({
        resource_changes: [
          change('aws_iam_role.invoker_ci', ['create'], null, { name: 'iam-http-api-dev-ci', max_session_duration: 3600 }, { after_unknown: { assume_role_policy: true, arn: true, id: true } }),
        ],
      }),
      { environment: 'dev', configuredAttribute: (type, name, attr) => stackJson[`${type}.${name}.${attr}`] },
    );
    expect(summary.warnings.map((w) => w.message)).toEqual([
      'role `ci` (IAM role `iam-http-api-dev-ci`) can now be assumed by invoker `admin` (IAM user `iam-http-api-dev-admin`)',
      'role `ci` (IAM role `iam-http-api-dev-ci`) can now be assumed by service `lambda.amazonaws.com`',
      'role `ci` (IAM role `iam-http-api-dev-ci`) can now be assumed by GitHub `repo:org/app:ref:refs/heads/main`',
    ]);
    expect(renderSummary(summary)).toContain('**`aws_iam_role.invoker_ci`** `assume_role_policy` new (as configured; ARNs are known after apply):');
  });

  it('an update whose trust policy is known only after apply matches the users it had by their configured names', () => {
    const configured = trust(byUsers('${aws_iam_user.invoker_admin.arn}', '${aws_iam_user.invoker_editor.arn}'));
    const names: Record<string, string> = { invoker_admin: 'iam-http-api-dev-admin', invoker_editor: 'iam-http-api-dev-editor' };
    const summary = summarizePlan(
      plan({ resource_changes: [change('aws_iam_role.invoker_deployer', ['update'], role(trust(byUsers(ADMIN))), { ...role(''), assume_role_policy: null }, { after_unknown: { assume_role_policy: true } })] }),
      {
        environment: 'dev',
        configuredAttribute: (type, name, attr) => (type === 'aws_iam_role' && attr === 'assume_role_policy' ? configured : attr === 'name' ? names[name] : undefined),
      },
    );
    expect(summary.warnings.map((w) => w.message)).toEqual([
      'role `deployer` (IAM role `iam-http-api-dev-deployer`) can now be assumed by invoker `editor` (IAM user `iam-http-api-dev-editor`)',
    ]);
  });

  it('a trust policy known neither from the plan nor from the configuration is a caution, not silence', () => {
    const summary = summarizePlan(
      plan({ resource_changes: [change('aws_iam_role.handler', ['create'], null, { name: 'iam-http-api-dev-handler' }, { after_unknown: { assume_role_policy: true } })] }),
      { environment: 'dev' },
    );
    expect(summary.warnings.map((w) => w.message)).toEqual([
      'IAM role `iam-http-api-dev-handler`: its trust policy could not be read from the plan or the configuration; review who can assume it before applying',
    ]);
  });

  it('a trust policy widened outside Terraform is reported as such, and a Deny removed counts', () => {
    const deny = { Sid: 'NoPartner', Effect: 'Deny', Principal: { AWS: '111122223333' }, Action: 'sts:AssumeRole' };
    const recorded = role(trust(byUsers(ADMIN), deny));
    const actual = role(trust(byUsers(ADMIN)));
    const summary = summarizePlan(
      plan({ resource_drift: [change('aws_iam_role.invoker_deployer', ['update'], recorded, actual)], resource_changes: [change('aws_iam_role.invoker_deployer', ['update'], actual, recorded)] }),
      { environment: 'dev' },
    );
    expect(summary.warnings.map((w) => [w.kind, w.message])).toEqual([
      ['role-trust-widened-outside-terraform', 'role `deployer` (IAM role `iam-http-api-dev-deployer`) no longer has its Deny statement `NoPartner` (changed OUTSIDE Terraform: trust policy edited in AWS)'],
    ]);
    expect(summary.trustNarrowed.map((n) => n.message)).toEqual(['role `deployer` (IAM role `iam-http-api-dev-deployer`) has a new Deny statement `NoPartner`']);
  });

  it('says nothing when a role is destroyed', () => {
    const summary = summarizePlan(plan({ resource_changes: [change('aws_iam_role.invoker_deployer', ['delete'], role(trust(byUsers(ADMIN))), null)] }), { environment: 'dev' });
    expect(summary.warnings).toEqual([]);
    expect(summary.trustNarrowed).toEqual([]);
  });
});

describe('invokeGrants', () => {
  it('reads Allow statements for execute-api:Invoke, including wildcards and NotAction, and skips Deny', () => {
    const doc = JSON.stringify({
      Statement: [
        { Effect: 'Allow', Action: ['execute-api:*'], Resource: `${ARN}/$default/GET/items/*` },
        { Effect: 'Allow', Action: 'EXECUTE-API:invoke', Resource: [`${ARN}/prod/POST/*`] },
        { Effect: 'Allow', NotAction: 's3:*', Resource: '*' },
        { Effect: 'Deny', Action: 'execute-api:Invoke', Resource: `${ARN}/$default/DELETE/*` },
        { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
      ],
    });
    expect(invokeGrants(doc)?.map((g) => g.label)).toEqual(['GET /items/*', 'POST /* (stage prod)', 'every API (Resource "*")']);
  });

  it('says "not a policy" for text that is not one', () => {
    expect(invokeGrants('not json')).toBeUndefined();
    expect(invokeGrants('{"a":1}')).toBeUndefined();
  });
});

describe('lineDiff', () => {
  it('puts removals before additions and keeps common lines', () => {
    expect(lineDiff('a\nb\nc', 'a\nx\nc')).toEqual(['  a', '- b', '+ x', '  c']);
  });

  it('does not count a comma added after the last array item as a change', () => {
    expect(lineDiff('[\n  "GET"\n]', '[\n  "GET",\n  "POST"\n]')).toEqual(['  [', '    "GET",', '+   "POST"', '  ]']);
  });
});

describe('parsePlanJson', () => {
  it('names what is wrong with output that is not a plan', () => {
    expect(() => parsePlanJson('Error: x')).toThrow(/^terraform show -json did not print JSON: /);
    expect(() => parsePlanJson('{"values":{}}')).toThrow('terraform show -json printed JSON without "format_version": not a plan');
    expect(() => parsePlanJson('{"format_version":"2.0"}')).toThrow('plan JSON format 2.0 is not supported (expected 1.x)');
  });
});
