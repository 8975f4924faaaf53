/**
 * The API Gateway v2 HTTP API: the API with its CORS configuration, one Lambda proxy
 * integration, routes, and the auto-deployed `$default` stage with throttling and JSON access
 * logs that record who called (the caller's IAM identity).
 */
import { Construct } from 'constructs';
import { Apigatewayv2Api } from '@cdktf/provider-aws/lib/apigatewayv2-api';
import { Apigatewayv2Integration } from '@cdktf/provider-aws/lib/apigatewayv2-integration';
import { Apigatewayv2Route } from '@cdktf/provider-aws/lib/apigatewayv2-route';
import { Apigatewayv2Stage } from '@cdktf/provider-aws/lib/apigatewayv2-stage';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CORS_ALLOW_HEADERS, CORS_EXPOSE_HEADERS, CORS_MAX_AGE_SECONDS, STAGE_NAME } from '../config/defaults';
import type { CorsSettings, LogRetentionDays, ThrottlingSettings } from '../config/types';
import { HTTP_METHODS } from '../config/types';
import { named, toIdentifier } from './logical-id';

export type AuthorizationType = 'AWS_IAM' | 'NONE';

export interface HttpApiProps {
  /** API name, e.g. `iam-http-api-dev`. */
  readonly name: string;
  readonly cors: CorsSettings;
  readonly throttling: ThrottlingSettings;
  readonly accessLogRetentionDays: LogRetentionDays;
  /** The Lambda's `invoke_arn`. */
  readonly integrationUri: string;
}

/**
 * One JSON object per request. `$context.identity.*` is filled for IAM-authorized calls, so
 * the log says which invoker called what. Variables: AWS docs, "Customize HTTP API access logs".
 */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  httpMethod: '$context.httpMethod',
  path: '$context.path',
  routeKey: '$context.routeKey',
  status: '$context.status',
  responseLength: '$context.responseLength',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  callerAccountId: '$context.identity.accountId',
  caller: '$context.identity.caller',
  user: '$context.identity.user',
  userArn: '$context.identity.userArn',
  principalOrgId: '$context.identity.principalOrgId',
});

export class HttpApi extends Construct {
  public readonly api: Apigatewayv2Api;
  public readonly integration: Apigatewayv2Integration;
  public readonly accessLogs: CloudwatchLogGroup;
  public readonly stage: Apigatewayv2Stage;
  public readonly routes: Apigatewayv2Route[] = [];

  constructor(scope: Construct, id: string, props: HttpApiProps) {
    super(scope, id);

    this.api = named(
      new Apigatewayv2Api(this, 'api', {
        name: props.name,
        protocolType: 'HTTP',
        description: 'HTTP API behind IAM (SigV4) authorization',
        corsConfiguration: {
          allowOrigins: [...props.cors.allowOrigins],
          allowMethods: [...HTTP_METHODS],
          allowHeaders: [...CORS_ALLOW_HEADERS],
          exposeHeaders: [...CORS_EXPOSE_HEADERS],
          maxAge: CORS_MAX_AGE_SECONDS,
        },
      }),
      'api',
    );

    this.integration = named(
      new Apigatewayv2Integration(this, 'integration', {
        apiId: this.api.id,
        integrationType: 'AWS_PROXY',
        integrationUri: props.integrationUri,
        integrationMethod: 'POST',
        payloadFormatVersion: '2.0',
      }),
      'handler',
    );

    this.accessLogs = named(
      new CloudwatchLogGroup(this, 'access-logs', {
        name: `/aws/apigateway/${props.name}/access`,
        retentionInDays: props.accessLogRetentionDays,
      }),
      'api_access_logs',
    );

    this.stage = named(
      new Apigatewayv2Stage(this, 'stage', {
        apiId: this.api.id,
        name: STAGE_NAME,
        autoDeploy: true,
        defaultRouteSettings: {
          throttlingRateLimit: props.throttling.rateLimit,
          throttlingBurstLimit: props.throttling.burstLimit,
        },
        accessLogSettings: {
          destinationArn: this.accessLogs.arn,
          format: ACCESS_LOG_FORMAT,
        },
      }),
      'default',
    );
  }

  /** Adds a route to the Lambda integration: `$default`, or `METHOD /path`. */
  public addRoute(routeKey: string, authorizationType: AuthorizationType): Apigatewayv2Route {
    const route = named(
      new Apigatewayv2Route(this, `route-${toIdentifier(routeKey)}`, {
        apiId: this.api.id,
        routeKey,
        authorizationType,
        target: `integrations/${this.integration.id}`,
      }),
      'route',
      routeKey,
    );
    this.routes.push(route);
    return route;
  }
}
