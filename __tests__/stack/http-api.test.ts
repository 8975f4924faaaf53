import { Apigatewayv2Api } from '@cdktf/provider-aws/lib/apigatewayv2-api';
import { Apigatewayv2Integration } from '@cdktf/provider-aws/lib/apigatewayv2-integration';
import { Apigatewayv2Route } from '@cdktf/provider-aws/lib/apigatewayv2-route';
import { Apigatewayv2Stage } from '@cdktf/provider-aws/lib/apigatewayv2-stage';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { resourceOf, synthStack } from '../support/synth';

describe('HTTP API', () => {
  const { json, tf } = synthStack({ environments: { dev: { routes: ['GET /items/{id}'] } } });

  it('is an HTTP API with the configured CORS origins, methods, SigV4 headers, readable request id and error type, and a one-day max age', () => {
    expect(json).toHaveResourceWithProperties(Apigatewayv2Api, {
      name: 'iam-http-api-dev',
      protocol_type: 'HTTP',
      cors_configuration: {
        allow_origins: ['http://127.0.0.1:5173'],
        allow_methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'],
        allow_headers: ['Authorization', 'X-Amz-Date', 'X-Amz-Security-Token', 'X-Amz-Content-Sha256', 'Content-Type', 'X-Requested-With'],
        expose_headers: ['apigw-requestid', 'x-amzn-ErrorType'],
        max_age: 86400,
      },
    });
  });

  it('has one AWS_PROXY integration to the Lambda, payload format 2.0', () => {
    expect(Object.keys(tf.resource.aws_apigatewayv2_integration)).toEqual(['handler']);
    expect(json).toHaveResourceWithProperties(Apigatewayv2Integration, {
      api_id: '${aws_apigatewayv2_api.api.id}',
      integration_type: 'AWS_PROXY',
      integration_uri: '${aws_lambda_function.handler.invoke_arn}',
      payload_format_version: '2.0',
    });
  });

  it('routes $default with AWS_IAM, OPTIONS / and OPTIONS /{proxy+} with NONE, and configured routes with AWS_IAM, all to the integration', () => {
    const routes = tf.resource.aws_apigatewayv2_route;
    const byKey = Object.fromEntries(Object.values(routes).map((r) => [r.route_key, r.authorization_type]));
    expect(byKey).toEqual({ $default: 'AWS_IAM', 'OPTIONS /': 'NONE', 'OPTIONS /{proxy+}': 'NONE', 'GET /items/{id}': 'AWS_IAM' });
    for (const route of Object.values(routes)) {
      expect(route.target).toBe('integrations/${aws_apigatewayv2_integration.handler.id}');
    }
    expect(json).toHaveResourceWithProperties(Apigatewayv2Route, { route_key: '$default', authorization_type: 'AWS_IAM' });
    expect(json).not.toHaveResourceWithProperties(Apigatewayv2Route, { route_key: '$default', authorization_type: 'NONE' });
  });

  it('deploys the $default stage automatically, throttled, with JSON access logs naming the caller', () => {
    expect(json).toHaveResourceWithProperties(Apigatewayv2Stage, {
      api_id: '${aws_apigatewayv2_api.api.id}',
      name: '$default',
      auto_deploy: true,
      default_route_settings: { throttling_rate_limit: 50, throttling_burst_limit: 100 },
    });
    const stage = resourceOf(tf, 'aws_apigatewayv2_stage', 'default');
    const logs = stage.access_log_settings as { destination_arn: string; format: string };
    expect(logs.destination_arn).toBe('${aws_cloudwatch_log_group.api_access_logs.arn}');
    const format = JSON.parse(logs.format) as Record<string, string>;
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      routeKey: '$context.routeKey',
      status: '$context.status',
      sourceIp: '$context.identity.sourceIp',
      caller: '$context.identity.caller',
      userArn: '$context.identity.userArn',
      callerAccountId: '$context.identity.accountId',
    });
  });

  it('keeps access logs for the configured number of days', () => {
    expect(json).toHaveResourceWithProperties(CloudwatchLogGroup, {
      name: '/aws/apigateway/iam-http-api-dev/access',
      retention_in_days: 14,
    });
  });

  it('takes CORS origins, throttling and log retention from the environment', () => {
    const prod = synthStack({
      environments: {
        prod: { cors: { allowOrigins: ['https://app.example.com'] }, throttling: { rateLimit: 5, burstLimit: 10 }, accessLogRetentionDays: 365 },
      },
    }, 'prod');
    const api = resourceOf(prod.tf, 'aws_apigatewayv2_api', 'api');
    expect(api.name).toBe('iam-http-api-prod');
    expect((api.cors_configuration as { allow_origins: string[] }).allow_origins).toEqual(['https://app.example.com']);
    expect(prod.json).toHaveResourceWithProperties(Apigatewayv2Stage, {
      default_route_settings: { throttling_rate_limit: 5, throttling_burst_limit: 10 },
    });
    expect(prod.json).toHaveResourceWithProperties(CloudwatchLogGroup, {
      name: '/aws/apigateway/iam-http-api-prod/access',
      retention_in_days: 365,
    });
  });
});
