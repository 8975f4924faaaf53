/**
 * The Lambda resource permissions of a synthesized stack (`aws_lambda_permission`): which of
 * them let API Gateway invoke the integration's function, and from which source ARNs.
 *
 * A permission counts when its `function_name` is the integration's function (by
 * `${aws_lambda_function.X.function_name}`, `${aws_lambda_function.X.arn}`, or literally by
 * name, ARN or partial ARN), with no qualifier (the integration invokes the unqualified function,
 * and "If you use a qualifier, the invoker must use the full Amazon Resource Name (ARN) of that
 * version or alias to invoke the function"), principal `apigateway.amazonaws.com`
 * and action `lambda:InvokeFunction` (or `lambda:*`, `*`). Its `source_arn` is resolved against
 * the API's and stage's `execution_arn`; without one it allows any source: "If you grant
 * permission to a service principal without specifying the source, other accounts could
 * potentially configure resources in their account to invoke your Lambda function" (AWS Lambda
 * API Reference, AddPermission, https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html).
 *
 * Other permissions are kept with the reason they do not count, for the startup warning. A
 * reference the loader cannot resolve, or a condition it does not evaluate (`source_account`,
 * `principal_org_id`), is a startup error naming the resource and attribute. No permission at
 * all is not: the stack is valid Terraform, and AWS answers every request 500 (invoke-permission.ts).
 */
import { type Attributes, fail, literal, References, type TerraformJson } from './stack-json';

/** The principal API Gateway invokes Lambda functions as. */
export const API_GATEWAY_PRINCIPAL = 'apigateway.amazonaws.com';

export interface InvokePermission {
  /** `aws_lambda_permission.<name>`. */
  readonly address: string;
  /** The `source_arn` pattern, references resolved; absent: any source. */
  readonly sourceArn?: string;
  /** Why it does not let API Gateway invoke the integration's function; absent when it does. */
  readonly ignored?: string;
}

export interface PermissionContext {
  readonly region: string;
  readonly accountId: string;
  /** Resource name and id of the `aws_apigatewayv2_api`. */
  readonly apiResource: string;
  readonly apiId: string;
  readonly executionArn: string;
  /** Resource name and `name` of the `aws_apigatewayv2_stage`. */
  readonly stageResource: string;
  readonly stage: string;
  /** The integration's `integration_uri`, `${aws_lambda_function.<name>.invoke_arn}` (checked before). */
  readonly integrationUri: string;
}

const TYPE = 'aws_lambda_permission';

/** Every `aws_lambda_permission` of the stack, in its order, each either counting or ignored with a reason. */
export function loadInvokePermissions(tf: TerraformJson, context: PermissionContext): InvokePermission[] {
  const resources = tf.resource ?? {};
  const functions = Object.entries(resources.aws_lambda_function ?? {});
  const functionArn = (name: string): string => `arn:aws:lambda:${context.region}:${context.accountId}:function:${name}`;
  const refs = new References();
  refs.set(`aws_apigatewayv2_api.${context.apiResource}.id`, context.apiId);
  refs.set(`aws_apigatewayv2_api.${context.apiResource}.execution_arn`, context.executionArn);
  refs.set(`aws_apigatewayv2_stage.${context.stageResource}.execution_arn`, `${context.executionArn}/${context.stage}`);
  for (const [id, fn] of functions) {
    const name = (): string => literal(fn.function_name, 'aws_lambda_function', id, 'function_name');
    refs.set(`aws_lambda_function.${id}.function_name`, name);
    refs.set(`aws_lambda_function.${id}.arn`, () => functionArn(name()));
  }
  const target = /^\$\{aws_lambda_function\.([\w-]+)\.invoke_arn\}$/.exec(context.integrationUri)?.[1] ?? '';
  const targetName = literal(resources.aws_lambda_function?.[target]?.function_name, 'aws_lambda_function', target, 'function_name');

  return Object.entries(resources[TYPE] ?? {}).map(([id, permission]): InvokePermission => {
    const address = `${TYPE}.${id}`;
    for (const key of ['count', 'for_each']) {
      if (permission[key] !== undefined) fail(TYPE, id, key, 'is not supported by the local gateway');
    }
    const ignored = whyIgnored(permission, id, refs, targetName, functionArn(targetName), context);
    if (ignored) return { address, ignored };
    for (const key of ['source_account', 'principal_org_id']) {
      if (permission[key] !== undefined) fail(TYPE, id, key, 'is a condition the local gateway does not evaluate; remove it, or narrow source_arn instead');
    }
    if (permission.source_arn === undefined) return { address };
    return { address, sourceArn: refs.resolve(permission.source_arn, TYPE, id, 'source_arn') };
  });
}

/** Why the permission does not let API Gateway invoke the integration's function, or undefined. */
function whyIgnored(permission: Attributes, id: string, refs: References, name: string, arn: string, context: PermissionContext): string | undefined {
  const functionName = refs.resolve(permission.function_name, TYPE, id, 'function_name');
  const named = parseFunctionName(functionName, context);
  if (!named) fail(TYPE, id, 'function_name', `is ${JSON.stringify(functionName)}; expected a function name, ARN or partial ARN`);
  if (named.function !== name) return `for ${named.function}, not the integration's function ${arn}`;
  const qualifier = permission.qualifier === undefined ? named.qualifier : refs.resolve(permission.qualifier, TYPE, id, 'qualifier');
  if (qualifier === '$LATEST') {
    // AddPermission: "Note: Lambda does not support adding policies to version $LATEST."
    return 'qualifier "$LATEST": Lambda does not support adding policies to version $LATEST, so terraform apply would fail';
  }
  if (qualifier !== undefined && qualifier !== '') return `qualifier ${JSON.stringify(qualifier)}: it applies to that version or alias only, and the integration invokes the unqualified function`;
  const principal = refs.resolve(permission.principal, TYPE, id, 'principal');
  if (principal !== API_GATEWAY_PRINCIPAL) return `principal ${JSON.stringify(principal)}, not ${API_GATEWAY_PRINCIPAL}`;
  const action = refs.resolve(permission.action, TYPE, id, 'action');
  if (!['lambda:invokefunction', 'lambda:*', '*'].includes(action.toLowerCase())) return `action ${JSON.stringify(action)}, not lambda:InvokeFunction`;
  return undefined;
}

/**
 * AddPermission's FunctionName: "Function name – my-function (name-only), my-function:v1 (with
 * alias). Function ARN – arn:aws:lambda:us-west-2:123456789012:function:my-function. Partial ARN –
 * 123456789012:function:my-function." A function of another region or account is another
 * function; the local one is in the stack's region and the local account.
 */
function parseFunctionName(value: string, context: PermissionContext): { function: string; qualifier?: string } | undefined {
  const full = /^arn:aws:lambda:([a-z0-9-]+):(\d{12}):function:([\w-]+)(?::([^:]+))?$/.exec(value);
  if (full) {
    const other = full[1] !== context.region || full[2] !== context.accountId;
    return { function: other ? value : full[3], qualifier: full[4] };
  }
  const partial = /^(\d{12}):function:([\w-]+)(?::([^:]+))?$/.exec(value);
  if (partial) return { function: partial[1] === context.accountId ? partial[2] : value, qualifier: partial[3] };
  const plain = /^([\w-]+)(?::([^:]+))?$/.exec(value);
  return plain ? { function: plain[1], qualifier: plain[2] } : undefined;
}
