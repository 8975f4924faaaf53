/**
 * One environment of the project as a Terraform stack: the handler function, the HTTP API
 * routing every request to it behind IAM authorization (with an unsigned OPTIONS route for
 * CORS preflight), and the invokers allowed to call it.
 */
import { Construct } from 'constructs';
import { TerraformOutput, TerraformStack } from 'cdktf';
import { ArchiveProvider } from '@cdktf/provider-archive/lib/provider';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { PREFLIGHT_ROUTES } from '../config/defaults';
import { handlerName, iamPath, resourcePrefix } from '../config/iam-names';
import { isRoleInvoker, type StackConfig } from '../config/types';
import { applyBackend, type BackendChoice } from './backend';
import { HandlerFunction } from './handler-function';
import { HttpApi } from './http-api';
import { Invokers } from './invokers';
import { named } from './logical-id';

export interface IamHttpApiStackProps {
  readonly config: StackConfig;
  readonly backend: BackendChoice;
  /** Where the handler bundle is built before it is copied into the stack (tests use a temp dir). */
  readonly buildDir?: string;
}


export class IamHttpApiStack extends TerraformStack {
  public readonly handler: HandlerFunction;
  public readonly httpApi: HttpApi;
  public readonly invokers: Invokers;

  constructor(scope: Construct, id: string, props: IamHttpApiStackProps) {
    super(scope, id);
    const { config } = props;
    // Names composed as the validator checked them (src/config/iam-names.ts).
    const prefix = resourcePrefix(config.name, config.environment);

    applyBackend(this, props.backend);
    new AwsProvider(this, 'aws', {
      region: config.region,
      defaultTags: [{ tags: { Project: config.name, Environment: config.environment, ManagedBy: 'cdktf' } }],
    });
    new ArchiveProvider(this, 'archive');

    this.handler = new HandlerFunction(this, 'handler', {
      functionName: handlerName(prefix),
      settings: config.lambda,
      buildDir: props.buildDir,
    });

    this.httpApi = new HttpApi(this, 'http-api', {
      name: prefix,
      cors: config.cors,
      throttling: config.throttling,
      accessLogRetentionDays: config.accessLogRetentionDays,
      integrationUri: this.handler.fn.invokeArn,
    });
    this.httpApi.addRoute('$default', 'AWS_IAM');
    for (const routeKey of PREFLIGHT_ROUTES) this.httpApi.addRoute(routeKey, 'NONE');
    for (const routeKey of config.routes) this.httpApi.addRoute(routeKey, 'AWS_IAM');
    this.handler.allowInvokeFrom(this.httpApi.api.executionArn);

    this.invokers = new Invokers(this, 'invokers', { namePrefix: prefix, userPath: iamPath(config.name) });
    // Users first: a role's trust policy names the users that may assume it.
    const invokers = Object.entries(config.invokers);
    for (const [name, settings] of invokers) {
      if (!isRoleInvoker(settings)) this.invokers.grant(name, settings, this.httpApi.api.executionArn);
    }
    for (const [name, settings] of invokers) {
      if (isRoleInvoker(settings)) this.invokers.grantRole(name, settings, this.httpApi.api.executionArn);
    }

    named(new TerraformOutput(this, 'api-url', {
      value: this.httpApi.api.apiEndpoint,
      description: 'Base URL of the API; every route but OPTIONS needs a SigV4 signature (service execute-api)',
    }), 'api_url');
    named(new TerraformOutput(this, 'api-id', { value: this.httpApi.api.id }), 'api_id');
    named(new TerraformOutput(this, 'region', { value: config.region }), 'region');
  }
}
