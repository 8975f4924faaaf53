/**
 * Lambda's side of the integration: API Gateway may invoke the function only if the function's
 * resource-based policy (the stack's `aws_lambda_permission`s, load-permissions.ts) allows
 * `apigateway.amazonaws.com` to call `lambda:InvokeFunction` from the source ARN of the route
 * that matched.
 *
 * Without such a permission, AWS answers 500: "If your Lambda function's resource-based policy
 * doesn't include permissions for your API to invoke the function, API Gateway returns an
 * Internal server error message. ... For HTTP APIs: Review your API Gateway access logs. If you
 * see an error message that includes Invalid permissions, missing permissions are causing the
 * error." (AWS Knowledge Center, https://repost.aws/knowledge-center/api-gateway-lambda-stage-variable-500).
 * The message a live HTTP API logs as `$context.integrationErrorMessage`, with the 500, is
 * quoted in https://github.com/terraform-aws-modules/terraform-aws-apigateway-v2/issues/41
 * (NO_INVOKE_PERMISSION below); AWS's "How do I troubleshoot permissions errors for API Gateway
 * HTTP APIs with a Lambda integration" (https://repost.aws/knowledge-center/api-gateway-http-lambda-integrations)
 * gives the same `integrationError` text. The body is HTTP APIs' `{"message":"Internal Server
 * Error"}` (errors.internal()), as for any failed invocation.
 *
 * The source ARN is the matched route's, not the request's: see sourceArns() for the evidence.
 * Matching is ArnLike's, case-sensitive with `*` and `?`, under the strict reading of
 * src/iam/wildcard.ts (a `*` that does not end an ARN segment stays within it): a wrong allow
 * here would hide a permission AWS refuses.
 */
import { textGlob } from '../iam/wildcard';
import { API_GATEWAY_PRINCIPAL, type InvokePermission } from './load-permissions';
import type { LoadedStack } from './load-stack';

/** API Gateway's `$context.integrationErrorMessage` for a Lambda that does not allow it (see the header). */
export const NO_INVOKE_PERMISSION = "The IAM role configured on the integration or API Gateway doesn't have permissions to call the integration. Check the permissions and try again";

// The source ARN API Gateway presents is the matched route's, not the request's. AWS does not
// document it; what is known, each case with its evidence:
//  - `<executionArn>/<stage>/$default` for the `$default` route: "The correct SourceArn condition
//    looks like: arn:aws:execute-api:<region>:<accountId>:<apiId>/*/$default. I have validated
//    this SourceArn condition allows for the integrated Lambda Function to be invoked", as the
//    HTTP API console shows it (https://github.com/aws/serverless-application-model/issues/1860).
//    And `<executionArn>/*/*/*` failed with NO_INVOKE_PERMISSION for a request the `$default`
//    route served, where `<executionArn>/*/*` worked
//    (https://github.com/terraform-aws-modules/terraform-aws-apigateway-v2/issues/41).
//  - `<executionArn>/<stage>/<METHOD><route path>` for a route `METHOD /path`, the path as the
//    route key writes it, braces and all: AWS CDK's HttpLambdaIntegration grants exactly
//    `<apiId>/*/*${route.path}` ("empty string in the case of the catch-all route $default";
//    aws-cdk-lib/aws-apigatewayv2-integrations/lib/http/lambda.ts), which could not match a
//    request path such as `items/42` for the route `GET /items/{id}`.
//  - For an `ANY` route it is not known whether the method part is `ANY` or the request's
//    method: both must be allowed, so the local answer is never more permissive than AWS's.
/** The source ARNs API Gateway may present for `method` on the route `routeKey`; each must be allowed. */
export function sourceArns(executionArn: string, stage: string, routeKey: string, method: string): string[] {
  if (routeKey === '$default') return [`${executionArn}/${stage}/$default`];
  const space = routeKey.indexOf(' ');
  const routeMethod = routeKey.slice(0, space);
  const routePath = routeKey.slice(space + 1);
  return routeMethod === 'ANY'
    ? [`${executionArn}/${stage}/${method}${routePath}`, `${executionArn}/${stage}/ANY${routePath}`]
    : [`${executionArn}/${stage}/${routeMethod}${routePath}`];
}

/** The startup warning for a stack whose function lets API Gateway invoke it from nowhere, or undefined. */
export function missingPermissionWarning(stack: LoadedStack): string | undefined {
  if (stack.invokePermissions.some((p) => p.ignored === undefined)) return undefined;
  const ignored = stack.invokePermissions.map((p) => `${p.address}: ${p.ignored}`);
  return `no aws_lambda_permission lets ${API_GATEWAY_PRINCIPAL} invoke ${stack.integration.functionName}, so every request that reaches the integration is answered 500 Internal Server Error, as AWS would${ignored.length > 0 ? ` (${ignored.join('; ')})` : ''}`;
}

export class InvokePermissions {
  private readonly allowing: readonly { readonly permission: InvokePermission; readonly pattern?: RegExp }[];
  /** Route key and method → the refusal, or undefined; bounded by routes × the methods Node parses. */
  private readonly decided = new Map<string, string | undefined>();

  constructor(private readonly stack: LoadedStack) {
    this.allowing = stack.invokePermissions
      .filter((p) => p.ignored === undefined)
      .map((permission) => ({ permission, pattern: permission.sourceArn === undefined ? undefined : textGlob(permission.sourceArn, { arn: true }).strict }));
  }

  /** Undefined when the function's permissions let API Gateway invoke it for this route and method; else why not. */
  refusal(routeKey: string, method: string): string | undefined {
    const key = `${routeKey} ${method}`;
    if (this.decided.has(key)) return this.decided.get(key);
    const refusal = this.decide(routeKey, method);
    this.decided.set(key, refusal);
    return refusal;
  }

  private decide(routeKey: string, method: string): string | undefined {
    const { stack } = this;
    const arns = sourceArns(stack.executionArn, stack.stage, routeKey, method);
    const denied = arns.find((arn) => !this.allowing.some(({ pattern }) => pattern === undefined || pattern.test(arn)));
    if (denied === undefined) return undefined;
    const stacks = this.allowing.length === 0
      ? 'the stack has none for this function'
      : `the stack's permissions allow only ${this.allowing.map(({ permission }) => `${permission.address} from ${permission.sourceArn ?? 'any source'}`).join(', ')}`;
    const any = arns.length > 1
      ? ` (the route is ${routeKey}: AWS does not document whether the source ARN names ANY or the request's method, so both must be allowed)`
      : '';
    return `no aws_lambda_permission lets ${API_GATEWAY_PRINCIPAL} invoke ${stack.integration.functionName} from ${denied}; ${stacks}${any}`;
  }
}
