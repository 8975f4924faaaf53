import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
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
