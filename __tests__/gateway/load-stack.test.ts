import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Testing } from 'cdktf';
import { loadStack, modelOf, StackLoadError } from '../../src/gateway/load-stack';
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
        + 'aws_apigatewayv2_api.api.{id,execution_arn}, aws_apigatewayv2_integration.handler.id, '
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
