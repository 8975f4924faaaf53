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
