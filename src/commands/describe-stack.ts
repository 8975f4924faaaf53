/**
 * Reads a synthesized stack (cdk.tf.json) and tells what it will build: the API, its routes
 * and their authorization, and each invoker with the ARNs it may invoke. Reads only the
 * JSON, never state, so it shows no secret.
 */
import * as fs from 'node:fs';

export interface StackSummary {
  readonly apiName: string;
  readonly region: string;
  readonly routes: ReadonlyArray<{ readonly routeKey: string; readonly authorizationType: string }>;
  readonly corsOrigins: readonly string[];
  readonly invokers: ReadonlyArray<{ readonly user: string; readonly allow: readonly string[] }>;
  readonly resourceCount: number;
  readonly backend: string;
}

type Block = Record<string, Record<string, Record<string, unknown>>>;

export function describeStack(jsonPath: string): StackSummary {
  const tf = JSON.parse(fs.readFileSync(jsonPath, 'utf8')) as {
    resource: Block;
    provider: Record<string, Array<Record<string, unknown>>>;
    terraform: { backend?: Record<string, unknown>; cloud?: { organization: string; workspaces: { name: string } } };
  };
  const only = (type: string) => Object.values(tf.resource[type] ?? {});
  const api = only('aws_apigatewayv2_api')[0] ?? {};
  const users = tf.resource.aws_iam_user ?? {};
  const policies = only('aws_iam_user_policy');
  return {
    apiName: String(api.name),
    region: String(tf.provider.aws?.[0]?.region),
    routes: only('aws_apigatewayv2_route').map((r) => ({ routeKey: String(r.route_key), authorizationType: String(r.authorization_type) })),
    corsOrigins: ((api.cors_configuration as { allow_origins?: string[] } | undefined)?.allow_origins) ?? [],
    invokers: Object.entries(users).map(([id, user]) => {
      const policy = policies.find((p) => p.user === `\${aws_iam_user.${id}.name}`);
      const doc = policy ? (JSON.parse(String(policy.policy)) as { Statement: Array<{ Resource: string | string[] }> }) : { Statement: [] };
      const allow = doc.Statement.flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]))
        .map((arn) => arn.replace(/^\$\{aws_apigatewayv2_api\.\w+\.execution_arn\}\//, ''));
      return { user: String(user.name), allow };
    }),
    resourceCount: Object.values(tf.resource).reduce((n, byName) => n + Object.keys(byName).length, 0),
    backend: tf.terraform.cloud
      ? `Terraform Cloud: organization ${tf.terraform.cloud.organization}, workspace ${tf.terraform.cloud.workspaces.name}`
      : `local state (${JSON.stringify(tf.terraform.backend)})`,
  };
}
