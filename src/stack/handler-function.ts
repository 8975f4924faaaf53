/**
 * The Lambda behind the API: esbuild bundle → TerraformAsset (copied into the stack's own
 * folder, so a Terraform Cloud run that only has that folder finds it) → `data.archive_file`
 * (paths relative to the stack) → `aws_lambda_function`, with its role, log group and the
 * permission that lets API Gateway invoke it.
 */
import { Construct } from 'constructs';
import { AssetType, TerraformAsset } from 'cdktf';
import { DataArchiveFile } from '@cdktf/provider-archive/lib/data-archive-file';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import type { LambdaSettings } from '../config/types';
import { bundleHandler } from './handler-bundle';
import { named } from './logical-id';

export interface HandlerFunctionProps {
  /** Function, role and log group name, e.g. `iam-http-api-dev-handler`. */
  readonly functionName: string;
  readonly settings: LambdaSettings;
  /** Where the esbuild output goes before it is copied into the stack (tests use a temp dir). */
  readonly buildDir?: string;
}

/** The file name `data.archive_file` writes, relative to the stack folder. */
export const HANDLER_ZIP = 'handler.zip';

export class HandlerFunction extends Construct {
  public readonly asset: TerraformAsset;
  public readonly archive: DataArchiveFile;
  public readonly logGroup: CloudwatchLogGroup;
  public readonly role: IamRole;
  public readonly fn: LambdaFunction;

  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    super(scope, id);
    const { functionName, settings } = props;

    this.asset = new TerraformAsset(this, 'bundle', {
      path: bundleHandler(settings.runtime, props.buildDir),
      type: AssetType.DIRECTORY,
    });

    this.archive = named(
      new DataArchiveFile(this, 'archive', {
        type: 'zip',
        sourceDir: `\${path.module}/${this.asset.path}`,
        outputPath: `\${path.module}/${HANDLER_ZIP}`,
        // Same bytes on every machine, whatever the umask of the checkout.
        outputFileMode: '0644',
      }),
      'handler',
    );

    this.logGroup = named(
      new CloudwatchLogGroup(this, 'logs', {
        name: `/aws/lambda/${functionName}`,
        retentionInDays: settings.logRetentionDays,
      }),
      'handler_logs',
    );

    this.role = named(
      new IamRole(this, 'role', {
        name: functionName,
        description: `Runs the Lambda ${functionName}`,
        assumeRolePolicy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        }),
      }),
      'handler',
    );

    // Only what the function needs: write its own log streams. No managed policy, which would
    // allow writing to every log group of the account.
    named(
      new IamRolePolicy(this, 'logs-policy', {
        name: 'write-own-logs',
        role: this.role.id,
        policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              Resource: `${this.logGroup.arn}:*`,
            },
          ],
        }),
      }),
      'handler_write_logs',
    );

    this.fn = named(
      new LambdaFunction(this, 'fn', {
        functionName,
        description: 'Echoes the method, path and body of each API request',
        role: this.role.arn,
        runtime: settings.runtime,
        handler: 'index.handler',
        architectures: [settings.architecture],
        memorySize: settings.memoryMb,
        timeout: settings.timeoutSeconds,
        filename: this.archive.outputPath,
        sourceCodeHash: this.archive.outputBase64Sha256,
        // The configured variables only (lambda.environment); Lambda adds its own at run time.
        // None configured: no block at all, as Terraform would read an empty one back as absent.
        environment: Object.keys(settings.environment).length > 0 ? { variables: { ...settings.environment } } : undefined,
        // The log group must exist, with its retention, before the first invocation creates it.
        dependsOn: [this.logGroup],
      }),
      'handler',
    );
  }

  /** Lets API Gateway invoke the function, for this API only. */
  public allowInvokeFrom(executionArn: string): LambdaPermission {
    return named(
      new LambdaPermission(this, 'invoke-permission', {
        statementId: 'AllowInvokeFromHttpApi',
        action: 'lambda:InvokeFunction',
        functionName: this.fn.functionName,
        principal: 'apigateway.amazonaws.com',
        sourceArn: `${executionArn}/*/*`,
      }),
      'handler_invoke_from_api',
    );
  }
}
