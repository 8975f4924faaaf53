import * as fs from 'node:fs';
import * as path from 'node:path';
import { Testing } from 'cdktf';
import { DataArchiveFile } from '@cdktf/provider-archive/lib/data-archive-file';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import * as os from 'node:os';
import { HANDLER_FILE, bundleHandler } from '../../src/stack/handler-bundle';
import { policyOf, resourceOf, synthStack } from '../support/synth';

describe('handler function', () => {
  const { json, tf, stack } = synthStack({ lambda: { memoryMb: 256, timeoutSeconds: 15, architecture: 'x86_64', logRetentionDays: 30 } });

  it('zips the bundle with data.archive_file, reading and writing paths relative to the stack folder', () => {
    const archive = tf.data.archive_file.handler;
    expect(archive.type).toBe('zip');
    expect(archive.output_path).toBe('${path.module}/handler.zip');
    expect(archive.source_dir).toBe(`\${path.module}/${stack.handler.asset.path}`);
    expect(String(archive.source_dir)).toMatch(/^\$\{path\.module\}\/assets\/[\w-]+\/[0-9A-F]{32}$/);
    expect(json).toHaveDataSourceWithProperties(DataArchiveFile, { output_file_mode: '0644' });
  });

  it('copies the esbuild bundle into the stack folder as an asset', () => {
    const outdir = Testing.fullSynth(stack);
    const bundle = path.join(outdir, 'stacks', 'dev', stack.handler.asset.path, HANDLER_FILE);
    const code = fs.readFileSync(bundle, 'utf8');
    expect(code).toMatch(/export\{\w+ as handler\}/);
    expect(code).toContain('The request body is not valid JSON');
    expect(code).not.toMatch(/@aws-sdk/);
  });

  it('runs the bundle on Node.js with the configured memory, timeout and architecture, keyed by the archive hash', () => {
    expect(json).toHaveResourceWithProperties(LambdaFunction, {
      function_name: 'iam-http-api-dev-handler',
      runtime: 'nodejs22.x',
      handler: 'index.handler',
      architectures: ['x86_64'],
      memory_size: 256,
      timeout: 15,
      filename: '${data.archive_file.handler.output_path}',
      source_code_hash: '${data.archive_file.handler.output_base64sha256}',
      role: '${aws_iam_role.handler.arn}',
      depends_on: ['aws_cloudwatch_log_group.handler_logs'],
    });
  });

  it('synthesizes lambda.environment as environment { variables }, and no block when none is configured', () => {
    expect(tf.resource.aws_lambda_function.handler.environment).toBeUndefined();
    const withEnv = synthStack({ lambda: { environment: { TABLE_NAME: 'items', NODE_OPTIONS: '--enable-source-maps' } } });
    expect(withEnv.tf.resource.aws_lambda_function.handler.environment).toEqual({ variables: { TABLE_NAME: 'items', NODE_OPTIONS: '--enable-source-maps' } });
  });

  it('has a log group with the configured retention', () => {
    expect(json).toHaveResourceWithProperties(CloudwatchLogGroup, {
      name: '/aws/lambda/iam-http-api-dev-handler',
      retention_in_days: 30,
    });
  });

  it('gives its role only lambda.amazonaws.com as principal and only its own log group to write', () => {
    const role = resourceOf(tf, 'aws_iam_role', 'handler');
    expect(policyOf(role, 'assume_role_policy').Statement).toEqual([
      { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ]);
    expect(tf.resource.aws_iam_role_policy_attachment).toBeUndefined();
    const policy = resourceOf(tf, 'aws_iam_role_policy', 'handler_write_logs');
    expect(policy.role).toBe('${aws_iam_role.handler.id}');
    expect(policyOf(policy).Statement).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: '${aws_cloudwatch_log_group.handler_logs.arn}:*',
      },
    ]);
  });

  it('lets only API Gateway, for this API only, invoke it', () => {
    expect(json).toHaveResourceWithProperties(LambdaPermission, {
      action: 'lambda:InvokeFunction',
      function_name: '${aws_lambda_function.handler.function_name}',
      principal: 'apigateway.amazonaws.com',
      source_arn: '${aws_apigatewayv2_api.api.execution_arn}/*/*',
    });
  });
});

describe('bundleHandler', () => {
  it('leaves only index.mjs in its folder, so an older build never ends up in the zip', () => {
    const outRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-'));
    try {
      fs.mkdirSync(path.join(outRoot, 'handler-node22'));
      fs.writeFileSync(path.join(outRoot, 'handler-node22', 'index.js'), 'exports.handler = () => "stale";');
      const dir = bundleHandler('nodejs22.x', outRoot);
      expect(dir).toBe(path.join(outRoot, 'handler-node22'));
      expect(fs.readdirSync(dir)).toEqual([HANDLER_FILE]);
      expect(fs.readdirSync(outRoot)).toEqual(['handler-node22']);
    } finally {
      fs.rmSync(outRoot, { recursive: true, force: true });
    }
  });
});
