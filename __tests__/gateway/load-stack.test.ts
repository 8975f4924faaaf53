import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Testing } from 'cdktf';
import { missingPermissionWarning } from '../../src/gateway/invoke-permission';
import { loadStack, type LoadedStack, modelOf, StackLoadError } from '../../src/gateway/load-stack';
import { synthStack } from '../support/synth';

describe('loadStack reads what was synthesized', () => {
  const { stack } = synthStack({ lambda: { timeoutSeconds: 7 }, environments: { dev: { routes: ['GET /items/{id}'] } } });
  const outdir = Testing.fullSynth(stack);
  const stackDir = path.join(outdir, 'stacks', 'dev');
  const tf = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
  const loaded = loadStack(outdir, 'dev');

  it('resolves the API to a local id and execution ARN in the configured region and the local account', () => {
    expect(loaded.apiId).toMatch(/^[a-z0-9]{10}$/);
    expect(loaded.executionArn).toBe(`arn:aws:execute-api:us-east-1:123456789012:${loaded.apiId}`);
    expect(loaded.stage).toBe('$default');
  });

  it('takes routes, authorization types and CORS from the JSON', () => {
    expect([...loaded.routes].sort((a, b) => a.routeKey.localeCompare(b.routeKey))).toEqual([
      { routeKey: '$default', authorizationType: 'AWS_IAM' },
      { routeKey: 'GET /items/{id}', authorizationType: 'AWS_IAM' },
      { routeKey: 'OPTIONS /', authorizationType: 'NONE' },
      { routeKey: 'OPTIONS /{proxy+}', authorizationType: 'NONE' },
    ]);
    expect(loaded.cors?.allowOrigins).toEqual(['http://127.0.0.1:5173']);
    expect(loaded.cors?.maxAge).toBe(86400);
  });

  it('finds the bundle the archive zips, and the synthesized timeout', () => {
    expect(loaded.integration.bundleFile).toBe(path.join(stackDir, stack.handler.asset.path, 'index.mjs'));
    expect(loaded.integration.exportName).toBe('handler');
    expect(loaded.integration.timeoutSeconds).toBe(7);
  });

  it('gives each invoker its IAM user principal, its policy with the execution ARN substituted', () => {
    const viewer = loaded.invokers.find((i) => i.name === 'viewer');
    expect(viewer?.principal).toEqual({
      type: 'User',
      accountId: '123456789012',
      name: 'iam-http-api-dev-viewer',
      path: '/iam-http-api/',
      arn: 'arn:aws:iam::123456789012:user/iam-http-api/iam-http-api-dev-viewer',
      userId: expect.stringMatching(/^AIDA[0-9A-F]{17}$/),
      tags: { Project: 'iam-http-api', Environment: 'dev', ManagedBy: 'cdktf' },
      groups: [],
      identityPolicies: [{
        name: 'invoke-api',
        source: 'user inline',
        address: 'aws_iam_user_policy.invoker_viewer_invoke',
        document: {
          Version: '2012-10-17',
          Statement: [{ Sid: 'InvokeAllowedRoutes', Effect: 'Allow', Action: 'execute-api:Invoke', Resource: [`${loaded.executionArn}/$default/GET/*`] }],
        },
      }],
    });
    expect(viewer?.principal).not.toHaveProperty('permissionsBoundary');
    expect(loaded.invokers.map((i) => i.name)).toEqual(['admin', 'editor', 'viewer']);
  });

  it('keeps the unique id derived from the user name, as before', () => {
    const viewer = loaded.invokers.find((i) => i.name === 'viewer');
    expect(viewer?.principal.userId).toBe(`AIDA${createHash('sha256').update('iam-http-api-dev-viewer').digest('hex').toUpperCase().slice(0, 17)}`);
  });

  describe('refuses what it does not understand, naming the resource and attribute', () => {
    const load = (mutate: (copy: typeof tf) => void): (() => unknown) => {
      const copy = structuredClone(tf);
      mutate(copy);
      return () => modelOf(copy, 'dev', stackDir);
    };

    it('an unknown reference in a policy', () => {
      expect(load((c) => {
        c.resource.aws_iam_user_policy.invoker_viewer_invoke.policy = '{"Statement":[{"Resource":"${aws_s3_bucket.data.arn}"}]}';
      })).toThrow(new StackLoadError(
        'aws_iam_user_policy.invoker_viewer_invoke: policy contains ${aws_s3_bucket.data.arn}, which the local gateway cannot resolve (it resolves only: '
        + 'aws_apigatewayv2_api.api.{id,execution_arn}, aws_apigatewayv2_integration.handler.id, aws_iam_role.handler.{name,id,arn,unique_id}, '
        + 'aws_iam_user.invoker_admin.{name,id,arn,unique_id}, aws_iam_user.invoker_editor.{name,id,arn,unique_id}, aws_iam_user.invoker_viewer.{name,id,arn,unique_id})',
      ));
    });

    it('a second API', () => {
      expect(load((c) => { c.resource.aws_apigatewayv2_api.other = { name: 'x', protocol_type: 'HTTP' }; }))
        .toThrow('aws_apigatewayv2_api: the local gateway needs exactly one, the stack has 2 (api, other)');
    });

    it('an integration that is not AWS_PROXY', () => {
      expect(load((c) => { c.resource.aws_apigatewayv2_integration.handler.integration_type = 'HTTP_PROXY'; }))
        .toThrow('aws_apigatewayv2_integration.handler: integration_type is "HTTP_PROXY"; only AWS_PROXY is supported');
    });

    it('a JWT route', () => {
      expect(load((c) => { c.resource.aws_apigatewayv2_route.route_default.authorization_type = 'JWT'; }))
        .toThrow('aws_apigatewayv2_route.route_default: authorization_type is "JWT"; the local gateway supports AWS_IAM and NONE');
    });

    it('a missing stack', () => {
      expect(() => loadStack(outdir, 'staging')).toThrow(`No synthesized stack "staging": ${path.join(outdir, 'stacks', 'staging', 'cdk.tf.json')} does not exist. Run npm run synth, or pick a stack with STACK=<name>.`);
    });
  });
});

describe('loadStack refuses startup input it cannot use, in one line naming it', () => {
  const { stack } = synthStack();
  const outdir = Testing.fullSynth(stack);
  const stackDir = path.join(outdir, 'stacks', 'dev');
  const tf = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));

  const withRoutes = (routes: Record<string, string>): (() => unknown) => {
    const copy = structuredClone(tf);
    const template = copy.resource.aws_apigatewayv2_route.route_default;
    copy.resource.aws_apigatewayv2_route = Object.fromEntries(Object.entries(routes).map(([name, routeKey]) => [name, { ...template, route_key: routeKey }]));
    return () => modelOf(copy, 'dev', stackDir);
  };
  const format = '$default or "METHOD /path" with METHOD one of ANY, GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS and path segments that are literal, {name} or a final {name+}';

  it.each([
    ['FOO', 'it is neither $default nor "METHOD /path" (one space between them)'],
    ['GET items/{id', 'the path "items/{id" does not start with /'],
    ['GET /items/{id', 'the path segment "{id" is neither a literal, nor {name}, nor {name+}'],
    ['get /items', 'the method "get" is not one of ANY, GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS'],
    ['ANY /{proxy+}/x', 'the greedy path variable {proxy+} is not at the end of the path'],
  ])('route_key %j', (routeKey, problem) => {
    expect(withRoutes({ route_default: '$default', bad: routeKey })).toThrow(new StackLoadError(`aws_apigatewayv2_route.bad: route_key is ${JSON.stringify(routeKey)}: ${problem}; a route key is ${format}`));
  });

  it('the same route key twice', () => {
    expect(withRoutes({ items: 'GET /items', items_again: 'GET /items' })).toThrow(new StackLoadError(
      'aws_apigatewayv2_route.items_again: route_key is "GET /items", the route key of aws_apigatewayv2_route.items too; API Gateway allows each route key once per API',
    ));
    expect(withRoutes({ items: 'GET /items', any_items: 'ANY /items', default: '$default' })).not.toThrow();
  });

  describe('a cdk.tf.json that is not a Terraform JSON object', () => {
    let scratch: string;
    let file: string;
    beforeEach(() => {
      scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'iam-http-api-load-'));
      file = path.join(scratch, 'stacks', 'dev', 'cdk.tf.json');
      fs.mkdirSync(path.dirname(file), { recursive: true });
    });
    afterEach(() => fs.rmSync(scratch, { recursive: true, force: true }));

    // The parser's own words, on one line (they differ between Node versions).
    const parserSays = (text: string): string => {
      try {
        JSON.parse(text);
      } catch (error) {
        return (error as Error).message.replace(/\s*\n\s*/g, ' ');
      }
      throw new Error('valid JSON');
    };

    it.each([
      ['{\n  "resource": x\n}', `not valid JSON (${parserSays('{\n  "resource": x\n}')})`],
      ['', `not valid JSON (${parserSays('')})`],
      ['{"resource": {', `not valid JSON (${parserSays('{"resource": {')})`],
      ['[]', 'not a Terraform JSON configuration (the top level is an array, not an object)'],
      ['null', 'not a Terraform JSON configuration (the top level is null, not an object)'],
      ['"x"', 'not a Terraform JSON configuration (the top level is a string, not an object)'],
    ])('%j', (text, problem) => {
      fs.writeFileSync(file, text);
      expect(() => loadStack(scratch, 'dev')).toThrow(new StackLoadError(`${file}: ${problem}; run npm run synth to write it again`));
      expect(problem).not.toMatch(/\n/);
    });

    it('a folder where the file should be', () => {
      fs.mkdirSync(file);
      expect(() => loadStack(scratch, 'dev')).toThrow(new StackLoadError(`${file}: cannot be read (EISDIR); run npm run synth to write it again`));
    });
  });

  it.each(['../../etc', '..', 'a/b', '/etc', '', 'dev prod', 'dev,prod', 'dév'])('the stack name %j', (name) => {
    expect(() => loadStack(outdir, name)).toThrow(new StackLoadError(`${JSON.stringify(name)} is not a stack name; use letters, digits, - and _ (the environment's name in iam-http-api.config.ts, e.g. dev)`));
  });
});

describe('loadStack reads the Lambda permissions that let API Gateway invoke the function', () => {
  const { stack } = synthStack();
  const outdir = Testing.fullSynth(stack);
  const stackDir = path.join(outdir, 'stacks', 'dev');
  const tf = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
  const loaded = loadStack(outdir, 'dev');
  const PERMISSION = 'aws_lambda_permission.handler_invoke_from_api';
  const fnArn = `arn:aws:lambda:us-east-1:123456789012:function:iam-http-api-dev-handler`;

  /** The model of the stack with its permission's attributes changed (undefined deletes one). */
  const withPermission = (changes: Record<string, unknown>): LoadedStack => {
    const copy = structuredClone(tf);
    const permission = copy.resource.aws_lambda_permission.handler_invoke_from_api;
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined) delete permission[key];
      else permission[key] = value;
    }
    return modelOf(copy, 'dev', stackDir);
  };

  it('reads the synthesized permission, its source ARN resolved', () => {
    expect(tf.resource.aws_lambda_permission.handler_invoke_from_api).toMatchObject({
      function_name: '${aws_lambda_function.handler.function_name}',
      principal: 'apigateway.amazonaws.com',
      action: 'lambda:InvokeFunction',
      source_arn: '${aws_apigatewayv2_api.api.execution_arn}/*/*',
    });
    expect(loaded.invokePermissions).toEqual([{ address: PERMISSION, sourceArn: `${loaded.executionArn}/*/*` }]);
    expect(missingPermissionWarning(loaded)).toBeUndefined();
  });

  it.each([
    ['${aws_lambda_function.handler.arn}'],
    ['iam-http-api-dev-handler'],
    [fnArn],
    ['123456789012:function:iam-http-api-dev-handler'],
  ])('finds the function named by %j', (functionName) => {
    expect(withPermission({ function_name: functionName }).invokePermissions).toEqual([{ address: PERMISSION, sourceArn: `${loaded.executionArn}/*/*` }]);
  });

  it('resolves the stage\'s execution ARN, and takes a permission without source_arn as allowing any source', () => {
    expect(withPermission({ source_arn: '${aws_apigatewayv2_stage.default.execution_arn}/GET/*' }).invokePermissions)
      .toEqual([{ address: PERMISSION, sourceArn: `${loaded.executionArn}/$default/GET/*` }]);
    expect(withPermission({ source_arn: undefined }).invokePermissions).toEqual([{ address: PERMISSION }]);
  });

  it.each([
    [{ function_name: 'other-function' }, `for other-function, not the integration's function ${fnArn}`],
    [{ function_name: 'arn:aws:lambda:eu-west-1:123456789012:function:iam-http-api-dev-handler' }, `for arn:aws:lambda:eu-west-1:123456789012:function:iam-http-api-dev-handler, not the integration's function ${fnArn}`],
    [{ qualifier: 'live' }, 'qualifier "live": it applies to that version or alias only, and the integration invokes the unqualified function'],
    [{ function_name: `${fnArn}:live` }, 'qualifier "live": it applies to that version or alias only, and the integration invokes the unqualified function'],
    [{ qualifier: '$LATEST' }, 'qualifier "$LATEST": Lambda does not support adding policies to version $LATEST, so terraform apply would fail'],
    [{ principal: 's3.amazonaws.com' }, 'principal "s3.amazonaws.com", not apigateway.amazonaws.com'],
    [{ action: 'lambda:GetFunction' }, 'action "lambda:GetFunction", not lambda:InvokeFunction'],
  ])('keeps a permission that does not let API Gateway invoke the function (%j), with the reason, and warns', (changes, reason) => {
    const model = withPermission(changes);
    expect(model.invokePermissions).toEqual([{ address: PERMISSION, ignored: reason }]);
    expect(missingPermissionWarning(model)).toBe(
      `no aws_lambda_permission lets apigateway.amazonaws.com invoke iam-http-api-dev-handler, so every request that reaches the integration is answered 500 Internal Server Error, as AWS would (${PERMISSION}: ${reason})`,
    );
  });

  it('counts lambda:* and * as lambda:InvokeFunction', () => {
    expect(withPermission({ action: 'lambda:*' }).invokePermissions[0].ignored).toBeUndefined();
    expect(withPermission({ action: '*' }).invokePermissions[0].ignored).toBeUndefined();
  });

  it('starts without any permission, and says why every request will be answered 500', () => {
    const copy = structuredClone(tf);
    delete copy.resource.aws_lambda_permission;
    const model = modelOf(copy, 'dev', stackDir);
    expect(model.invokePermissions).toEqual([]);
    expect(missingPermissionWarning(model)).toBe('no aws_lambda_permission lets apigateway.amazonaws.com invoke iam-http-api-dev-handler, so every request that reaches the integration is answered 500 Internal Server Error, as AWS would');
  });

  describe('refuses what it cannot resolve or evaluate, naming the resource and attribute', () => {
    const resolvable = 'aws_apigatewayv2_api.api.{id,execution_arn}, aws_apigatewayv2_stage.default.execution_arn, aws_lambda_function.handler.{function_name,arn}';
    it.each([
      [{ function_name: '${aws_lambda_alias.live.arn}' }, `function_name contains \${aws_lambda_alias.live.arn}, which the local gateway cannot resolve (it resolves only: ${resolvable})`],
      [{ source_arn: '${aws_apigatewayv2_api.other.execution_arn}/*/*' }, `source_arn contains \${aws_apigatewayv2_api.other.execution_arn}, which the local gateway cannot resolve (it resolves only: ${resolvable})`],
      [{ source_arn: '${lower(aws_apigatewayv2_api.api.execution_arn)}/*/*' }, 'source_arn contains ${lower(...)}, a Terraform function call, which the local gateway does not evaluate'],
      [{ principal: '${var.principal}' }, `principal contains \${var.principal}, which the local gateway cannot resolve (it resolves only: ${resolvable})`],
      [{ qualifier: '${aws_lambda_alias.live.name}' }, `qualifier contains \${aws_lambda_alias.live.name}, which the local gateway cannot resolve (it resolves only: ${resolvable})`],
      [{ function_name: 'arn:aws:s3:::bucket' }, 'function_name is "arn:aws:s3:::bucket"; expected a function name, ARN or partial ARN'],
      [{ source_account: '123456789012' }, 'source_account is a condition the local gateway does not evaluate; remove it, or narrow source_arn instead'],
      [{ principal_org_id: 'o-abc' }, 'principal_org_id is a condition the local gateway does not evaluate; remove it, or narrow source_arn instead'],
      [{ count: 2 }, 'count is not supported by the local gateway'],
    ])('%j', (changes, problem) => {
      expect(() => withPermission(changes)).toThrow(new StackLoadError(`${PERMISSION}: ${problem}`));
    });
  });
});

describe('loadStack reads the function\'s environment and the stage\'s access log format', () => {
  const { stack } = synthStack({ region: 'eu-west-1', lambda: { environment: { TABLE_NAME: 'items', NODE_OPTIONS: '--enable-source-maps' } } });
  const outdir = Testing.fullSynth(stack);
  const stackDir = path.join(outdir, 'stacks', 'dev');
  const tf = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
  const loaded = loadStack(outdir, 'dev');

  it('gives the integration the synthesized variables, region, runtime and handler', () => {
    expect(loaded.integration).toMatchObject({
      environment: { TABLE_NAME: 'items', NODE_OPTIONS: '--enable-source-maps' },
      region: 'eu-west-1',
      runtime: 'nodejs22.x',
      handler: 'index.handler',
    });
  });

  it('reads access_log_settings.format as synthesized (the stage\'s JSON of $context variables)', () => {
    expect(loaded.accessLogFormat).toBe(tf.resource.aws_apigatewayv2_stage.default.access_log_settings.format);
    expect(JSON.parse(loaded.accessLogFormat!)).toMatchObject({ requestId: '$context.requestId', userArn: '$context.identity.userArn' });
  });

  it('has no variables without an environment block, and no format without access_log_settings', () => {
    const copy = structuredClone(tf);
    delete copy.resource.aws_lambda_function.handler.environment;
    delete copy.resource.aws_apigatewayv2_stage.default.access_log_settings;
    const model = modelOf(copy, 'dev', stackDir);
    expect(model.integration.environment).toEqual({});
    expect(model.accessLogFormat).toBeUndefined();
  });

  it('refuses a variable or a format that is not a literal string', () => {
    const copy = structuredClone(tf);
    copy.resource.aws_lambda_function.handler.environment.variables.TABLE_NAME = '${aws_dynamodb_table.items.name}';
    expect(() => modelOf(copy, 'dev', stackDir)).toThrow(new StackLoadError(
      'aws_lambda_function.handler: environment.variables.TABLE_NAME is "${aws_dynamodb_table.items.name}"; expected a literal string',
    ));
    const other = structuredClone(tf);
    other.resource.aws_apigatewayv2_stage.default.access_log_settings.format = 7;
    expect(() => modelOf(other, 'dev', stackDir)).toThrow(new StackLoadError('aws_apigatewayv2_stage.default: access_log_settings.format is 7; expected a literal string'));
  });
});
