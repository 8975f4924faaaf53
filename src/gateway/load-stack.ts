/**
 * Reads what was synthesized (`cdktf.out/stacks/<stack>/cdk.tf.json`) and turns it into the
 * local gateway's model: routes and their authorization, CORS, the Lambda integration (bundle
 * file, timeout), the invokers, each an IAM user principal with every policy that applies
 * to it (load-principals.ts), and the Lambda permissions that let API Gateway invoke the
 * function (load-permissions.ts).
 *
 * Terraform references are resolved to local values only where the gateway needs them (the
 * API's id and execution ARN, IAM names and ARNs, policy documents, the archive's source
 * folder). Anything else it meets, an unknown reference, a Terraform function, a second
 * integration, is a startup error naming the resource and attribute: never a silent guess.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { IamUserPrincipal } from '../iam/principal';
import { type InvokePermission, loadInvokePermissions } from './load-permissions';
import { loadPrincipals } from './load-principals';
import { loadOidcProviders, registerOidcProviderReferences, type OidcProvider } from './load-oidc-providers';
import { loadRoles, registerRoleReferences, type RoleDefinition } from './load-roles';
import { ROUTE_KEY_FORMAT, routeKeyProblem } from './route';
import { type Attributes, type Block, fail, literal, References, STACK_NAME, StackLoadError, type TerraformJson } from './stack-json';

export { StackLoadError } from './stack-json';

/** The account id every local ARN uses. */
export const LOCAL_ACCOUNT_ID = '123456789012';

export interface CorsConfiguration {
  readonly allowOrigins: readonly string[];
  readonly allowMethods: readonly string[];
  readonly allowHeaders: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly maxAge?: number;
  readonly allowCredentials: boolean;
}

export interface RouteDefinition {
  /** `$default` or `METHOD /path` as written in the stack. */
  readonly routeKey: string;
  readonly authorizationType: 'AWS_IAM' | 'NONE';
}

export interface LambdaIntegration {
  readonly functionName: string;
  /** Absolute path of the bundle file the archive zips (what Lambda would run). */
  readonly bundleFile: string;
  /** The exported function's name, from `handler` (`index.handler` → `handler`). */
  readonly exportName: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly payloadFormatVersion: '2.0';
  /** The Region it runs in (the provider's): AWS_REGION and AWS_DEFAULT_REGION. */
  readonly region: string;
  /** `nodejs22.x`: AWS_EXECUTION_ENV is `AWS_Lambda_` + this. */
  readonly runtime: string;
  /** `index.handler`, as configured: _HANDLER. */
  readonly handler: string;
  /** The function's configured `environment { variables }` (lambda.environment), literal strings. */
  readonly environment: Readonly<Record<string, string>>;
}

export interface InvokerDefinition {
  /** Profile name in the credentials file: the user name without the API's prefix (`viewer`). */
  readonly name: string;
  /** The IAM user: ARN, unique id (`AIDA…`), tags, groups, and every policy that applies to it. */
  readonly principal: IamUserPrincipal;
}

export interface LoadedStack {
  readonly stackName: string;
  readonly stackDir: string;
  readonly region: string;
  readonly accountId: string;
  readonly apiId: string;
  readonly apiName: string;
  readonly executionArn: string;
  readonly stage: string;
  readonly cors?: CorsConfiguration;
  readonly routes: readonly RouteDefinition[];
  readonly integration: LambdaIntegration;
  readonly invokers: readonly InvokerDefinition[];
  /** The stage's `access_log_settings.format` (`$context.*` variables), when it logs access: access-log.ts. */
  readonly accessLogFormat?: string;
  /** The stack's `aws_lambda_permission`s: which let API Gateway invoke the function, from where (load-permissions.ts). */
  readonly invokePermissions: readonly InvokePermission[];
  /**
   * The stack's IAM roles whose policies the gateway can read (load-roles.ts): what an
   * assumed-role session (session-tokens.ts) is evaluated with. A role it cannot read (a policy
   * naming an ARN it does not resolve, such as the function's own log group) is left out.
   */
  readonly roles?: readonly RoleDefinition[];
  /** The stack's `aws_iam_openid_connect_provider`s (load-oidc-providers.ts), for AssumeRoleWithWebIdentity. */
  readonly oidcProviders?: readonly OidcProvider[];
}

/** Loads stack `stackName` from `<outdir>/stacks/<stackName>/cdk.tf.json`. */
export function loadStack(outdir: string, stackName: string): LoadedStack {
  const stacksDir = path.resolve(outdir, 'stacks');
  const stackDir = path.resolve(stacksDir, stackName);
  // Only a folder directly inside <outdir>/stacks: never `..`, a path, or an absolute name.
  if (!STACK_NAME.test(stackName) || path.dirname(stackDir) !== stacksDir) {
    throw new StackLoadError(`${JSON.stringify(stackName)} is not a stack name; use letters, digits, - and _ (the environment's name in iam-http-api.config.ts, e.g. dev)`);
  }
  const file = path.join(stackDir, 'cdk.tf.json');
  if (!fs.existsSync(file)) {
    throw new StackLoadError(`No synthesized stack "${stackName}": ${file} does not exist. Run npm run synth, or pick a stack with STACK=<name>.`);
  }
  return modelOf(readStackJson(file), stackName, stackDir);
}

/** The parsed cdk.tf.json, or a StackLoadError naming the file and what is wrong with it. */
function readStackJson(file: string): TerraformJson {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new StackLoadError(`${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}); run npm run synth to write it again`);
  }
  let tf: unknown;
  try {
    tf = JSON.parse(text);
  } catch (error) {
    // V8 quotes a piece of the text, newlines included: keep the message on one line.
    const reason = (error as Error).message.replace(/\s*[\r\n]\s*/g, ' ');
    throw new StackLoadError(`${file}: not valid JSON (${reason}); run npm run synth to write it again`);
  }
  if (typeof tf !== 'object' || tf === null || Array.isArray(tf)) {
    throw new StackLoadError(`${file}: not a Terraform JSON configuration (the top level is ${Array.isArray(tf) ? 'an array' : tf === null ? 'null' : `a ${typeof tf}`}, not an object); run npm run synth to write it again`);
  }
  return tf as TerraformJson;
}

/** Builds the gateway's model from parsed cdk.tf.json; exported for tests. */
export function modelOf(tf: TerraformJson, stackName: string, stackDir: string): LoadedStack {
  const resources = tf.resource ?? {};
  const region = providerRegion(tf);
  const [apiName, api] = only(resources, 'aws_apigatewayv2_api');
  if (api.protocol_type !== 'HTTP') fail('aws_apigatewayv2_api', apiName, 'protocol_type', `is ${JSON.stringify(api.protocol_type)}; the local gateway serves HTTP APIs only`);
  const apiId = localApiId(stackName, String(api.name));
  const executionArn = `arn:aws:execute-api:${region}:${LOCAL_ACCOUNT_ID}:${apiId}`;

  const [stageName, stage] = only(resources, 'aws_apigatewayv2_stage');
  const stageNameValue = literal(stage.name, 'aws_apigatewayv2_stage', stageName, 'name');
  if (stageNameValue !== '$default') fail('aws_apigatewayv2_stage', stageName, 'name', `is ${JSON.stringify(stageNameValue)}; the local gateway serves the $default stage only`);

  const [integrationName, integration] = only(resources, 'aws_apigatewayv2_integration');
  if (integration.integration_type !== 'AWS_PROXY') fail('aws_apigatewayv2_integration', integrationName, 'integration_type', `is ${JSON.stringify(integration.integration_type)}; only AWS_PROXY is supported`);
  if (integration.payload_format_version !== '2.0') fail('aws_apigatewayv2_integration', integrationName, 'payload_format_version', `is ${JSON.stringify(integration.payload_format_version)}; only 2.0 is supported`);

  const refs = new References();
  refs.set(`aws_apigatewayv2_api.${apiName}.id`, apiId);
  refs.set(`aws_apigatewayv2_api.${apiName}.execution_arn`, executionArn);
  refs.set(`aws_apigatewayv2_integration.${integrationName}.id`, `local-${integrationName}`);

  const routeNames = new Map<string, string>();
  const routes = Object.entries(resources.aws_apigatewayv2_route ?? {}).map(([name, route]): RouteDefinition => {
    const target = refs.resolve(route.target, 'aws_apigatewayv2_route', name, 'target');
    if (target !== `integrations/local-${integrationName}`) fail('aws_apigatewayv2_route', name, 'target', `is ${JSON.stringify(route.target)}; expected integrations/\${aws_apigatewayv2_integration.${integrationName}.id}`);
    const authorizationType = route.authorization_type ?? 'NONE';
    if (authorizationType !== 'AWS_IAM' && authorizationType !== 'NONE') {
      fail('aws_apigatewayv2_route', name, 'authorization_type', `is ${JSON.stringify(authorizationType)}; the local gateway supports AWS_IAM and NONE`);
    }
    const routeKey = literal(route.route_key, 'aws_apigatewayv2_route', name, 'route_key');
    const problem = routeKeyProblem(routeKey);
    if (problem) fail('aws_apigatewayv2_route', name, 'route_key', `is ${JSON.stringify(routeKey)}: ${problem}; a route key is ${ROUTE_KEY_FORMAT}`);
    const first = routeNames.get(routeKey);
    if (first !== undefined) fail('aws_apigatewayv2_route', name, 'route_key', `is ${JSON.stringify(routeKey)}, the route key of aws_apigatewayv2_route.${first} too; API Gateway allows each route key once per API`);
    routeNames.set(routeKey, name);
    return { routeKey, authorizationType };
  });
  if (routes.length === 0) throw new StackLoadError(`Stack "${stackName}" has no aws_apigatewayv2_route: nothing to serve.`);
  registerRoleReferences(tf, refs, LOCAL_ACCOUNT_ID);
  // A GitHub OIDC role's trust policy names ${aws_iam_openid_connect_provider.X.arn}: without it the role is left out.
  registerOidcProviderReferences(tf, refs, LOCAL_ACCOUNT_ID);
  const invokers = invokersOf(tf, refs, String(api.name));

  return {
    stackName,
    stackDir,
    region,
    accountId: LOCAL_ACCOUNT_ID,
    apiId,
    apiName: String(api.name),
    executionArn,
    stage: stageNameValue,
    cors: corsOf(api, apiName),
    routes,
    integration: lambdaOf(tf, integration, integrationName, stackDir, region),
    accessLogFormat: accessLogFormatOf(stage, stageName),
    invokers,
    invokePermissions: loadInvokePermissions(tf, {
      region, accountId: LOCAL_ACCOUNT_ID, apiResource: apiName, apiId, executionArn,
      stageResource: stageName, stage: stageNameValue, integrationUri: String(integration.integration_uri),
    }),
    roles: loadRoles(tf, refs, LOCAL_ACCOUNT_ID, { onRoleError: () => undefined }),
    oidcProviders: loadOidcProviders(tf, LOCAL_ACCOUNT_ID, refs),
  };
}

function providerRegion(tf: TerraformJson): string {
  const aws = tf.provider?.aws;
  const region = aws?.[0]?.region;
  if (typeof region !== 'string' || region.includes('${')) {
    throw new StackLoadError('provider.aws: region must be a literal string for the local gateway');
  }
  return region;
}

/** A stable 10-character API id, like API Gateway's, derived from the stack and API name. */
function localApiId(stackName: string, apiName: string): string {
  const digest = createHash('sha256').update(`${stackName}/${apiName}`).digest();
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(digest.subarray(0, 10), (byte) => alphabet[byte % alphabet.length]).join('');
}

function corsOf(api: Attributes, apiName: string): CorsConfiguration | undefined {
  const cors = api.cors_configuration as Attributes | undefined;
  if (!cors) return undefined;
  const list = (key: string): string[] => {
    const value = cors[key];
    if (value === undefined) return [];
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.includes('${'))) {
      fail('aws_apigatewayv2_api', apiName, `cors_configuration.${key}`, 'must be a list of literal strings');
    }
    return value as string[];
  };
  return {
    allowOrigins: list('allow_origins'),
    allowMethods: list('allow_methods'),
    allowHeaders: list('allow_headers'),
    exposeHeaders: list('expose_headers'),
    maxAge: typeof cors.max_age === 'number' ? cors.max_age : undefined,
    allowCredentials: cors.allow_credentials === true,
  };
}

function lambdaOf(tf: TerraformJson, integration: Attributes, integrationName: string, stackDir: string, region: string): LambdaIntegration {
  const uri = String(integration.integration_uri);
  const match = /^\$\{aws_lambda_function\.([\w-]+)\.invoke_arn\}$/.exec(uri);
  if (!match) fail('aws_apigatewayv2_integration', integrationName, 'integration_uri', `is ${JSON.stringify(uri)}; expected \${aws_lambda_function.<name>.invoke_arn}`);
  const fnName = match[1];
  const fn = tf.resource?.aws_lambda_function?.[fnName];
  if (!fn) fail('aws_apigatewayv2_integration', integrationName, 'integration_uri', `refers to aws_lambda_function.${fnName}, which is not in the stack`);

  const handler = literal(fn.handler, 'aws_lambda_function', fnName, 'handler');
  const [moduleName, exportName] = splitHandler(handler, fnName);
  const sourceDir = archiveSourceDir(tf, fn, fnName, stackDir);
  const bundleFile = ['.mjs', '.js', '.cjs'].map((ext) => path.join(sourceDir, moduleName + ext)).find((f) => fs.existsSync(f));
  if (!bundleFile) fail('aws_lambda_function', fnName, 'handler', `is ${JSON.stringify(handler)}, but ${path.join(sourceDir, moduleName)}.{mjs,js,cjs} does not exist`);

  return {
    functionName: literal(fn.function_name, 'aws_lambda_function', fnName, 'function_name'),
    bundleFile,
    exportName,
    timeoutSeconds: typeof fn.timeout === 'number' ? fn.timeout : 3,
    memoryMb: typeof fn.memory_size === 'number' ? fn.memory_size : 128,
    payloadFormatVersion: '2.0',
    region,
    runtime: literal(fn.runtime, 'aws_lambda_function', fnName, 'runtime'),
    handler,
    environment: environmentOf(fn, fnName),
  };
}

/** `environment { variables }`: literal strings only (a reference would have no local value). */
function environmentOf(fn: Attributes, fnName: string): Record<string, string> {
  const environment = fn.environment as Attributes | undefined;
  const variables = environment?.variables;
  if (variables === undefined) return {};
  if (typeof variables !== 'object' || variables === null || Array.isArray(variables)) {
    fail('aws_lambda_function', fnName, 'environment.variables', 'must be a map of strings');
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(variables as Record<string, unknown>)) {
    out[name] = literal(value, 'aws_lambda_function', fnName, `environment.variables.${name}`);
  }
  return out;
}

/** The stage's access log format, a literal string, or undefined when the stage logs no access. */
function accessLogFormatOf(stage: Attributes, stageName: string): string | undefined {
  const settings = stage.access_log_settings as Attributes | undefined;
  if (settings?.format === undefined) return undefined;
  return literal(settings.format, 'aws_apigatewayv2_stage', stageName, 'access_log_settings.format');
}

function splitHandler(handler: string, fnName: string): [string, string] {
  const dot = handler.lastIndexOf('.');
  if (dot <= 0 || dot === handler.length - 1) fail('aws_lambda_function', fnName, 'handler', `is ${JSON.stringify(handler)}; expected <file>.<export>`);
  return [handler.slice(0, dot), handler.slice(dot + 1)];
}

/** The folder `data.archive_file` zips for the function's `filename`, resolved in the stack folder. */
function archiveSourceDir(tf: TerraformJson, fn: Attributes, fnName: string, stackDir: string): string {
  const filename = String(fn.filename);
  const match = /^\$\{data\.archive_file\.([\w-]+)\.output_path\}$/.exec(filename);
  if (!match) fail('aws_lambda_function', fnName, 'filename', `is ${JSON.stringify(filename)}; expected \${data.archive_file.<name>.output_path}`);
  const archive = tf.data?.archive_file?.[match[1]];
  if (!archive) fail('aws_lambda_function', fnName, 'filename', `refers to data.archive_file.${match[1]}, which is not in the stack`);
  const sourceDir = String(archive.source_dir);
  const relative = sourceDir.replace(/^\$\{path\.module\}\//, '');
  if (relative.includes('${') || path.isAbsolute(relative)) {
    fail(`data.archive_file`, match[1], 'source_dir', `is ${JSON.stringify(sourceDir)}; expected a path relative to the stack folder`);
  }
  const resolved = path.resolve(stackDir, relative);
  if (!fs.existsSync(resolved)) fail('data.archive_file', match[1], 'source_dir', `points at ${resolved}, which does not exist; synthesize again`);
  return resolved;
}

/** Every IAM user is an invoker; its profile name drops the API's name prefix. */
function invokersOf(tf: TerraformJson, refs: References, apiName: string): InvokerDefinition[] {
  return loadPrincipals(tf, refs, LOCAL_ACCOUNT_ID).map((principal) => ({
    name: principal.name.startsWith(`${apiName}-`) ? principal.name.slice(apiName.length + 1) : principal.name,
    principal,
  }));
}

function only(resources: Block, type: string): [string, Attributes] {
  const entries = Object.entries(resources[type] ?? {});
  if (entries.length !== 1) {
    throw new StackLoadError(`${type}: the local gateway needs exactly one, the stack has ${entries.length}${entries.length ? ` (${entries.map(([n]) => n).join(', ')})` : ''}`);
  }
  return entries[0];
}
