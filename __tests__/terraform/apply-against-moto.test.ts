/**
 * Real Terraform, offline: the dev stack as `npm run synth` writes it is validated, planned,
 * applied, planned again (no changes) and destroyed by terraform 1.11 with the real
 * hashicorp/aws 5.100.0 provider, against moto_server on 127.0.0.1.
 *
 * The one substitution: the archive provider is not in this machine's provider mirror, so
 * the test works on a COPY of the stack folder in which data.archive_file is replaced by a
 * zip the test builds from the same asset folder (replaceArchiveFileWithPrebuiltZip).
 * Everything else is the synthesized JSON as it is, plus override files that aim the
 * provider at moto and keep the state inside the copy.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeWithOfflineTools } from '../support/offline-tools';
import { startMotoServer, type MotoServer } from '../support/moto-server';
import { runApp } from '../support/synth';
import { describeFailure, planDetailed, prepareOfflineTerraform, readApiFromMoto, readRolesFromMoto, terraformOutputs, type OfflineTerraform, type TerraformOutput, destroyAndCleanUp, runStep } from '../support/terraform-offline';

const root = path.resolve(__dirname, '..', '..');
const STEP_TIMEOUT = 5 * 60 * 1000;

describeWithOfflineTools('the dev stack with real terraform against moto (archive_file replaced by a prebuilt zip)', () => {
  let outdir: string;
  let moto: MotoServer | undefined;
  let tf: OfflineTerraform | undefined;
  let outputs: Record<string, TerraformOutput> = {};

  beforeAll(async () => {
    fs.mkdirSync(path.join(root, '.build'), { recursive: true });
    outdir = fs.mkdtempSync(path.join(root, '.build', 'tf-synth-'));
    const synth = runApp(outdir);
    if (synth.status !== 0) throw new Error(`synth failed: ${synth.stderr}`);
    moto = await startMotoServer();
    tf = prepareOfflineTerraform({ stackDir: path.join(outdir, 'stacks', 'dev'), endpoint: moto.endpoint });
  }, STEP_TIMEOUT);

  // Destroy even when a step failed, then stop moto in every case.
  afterAll(() => destroyAndCleanUp({ tf, moto, dirs: [outdir] }), STEP_TIMEOUT);

  const step = (args: string[]): Promise<void> => runStep(tf, args);

  it('terraform init installs hashicorp/aws 5.100.0 from the mirror, offline', async () => {
    await step(['init', '-input=false']);
    const lock = fs.readFileSync(path.join(tf!.workDir, '.terraform.lock.hcl'), 'utf8');
    expect(lock).toContain('provider "registry.terraform.io/hashicorp/aws"');
    expect(lock).toContain('version     = "5.100.0"');
  }, STEP_TIMEOUT);

  it('terraform validate accepts the synthesized JSON', async () => {
    await step(['validate']);
  }, STEP_TIMEOUT);

  it('terraform plan wants to create every resource', async () => {
    const { status, result } = await planDetailed(tf!);
    expect({ status, error: status === 'error' ? describeFailure(result) : undefined }).toEqual({ status: 'changes', error: undefined });
    expect(result.stdout).toMatch(/Plan: 24 to add, 0 to change, 0 to destroy\./);
  }, STEP_TIMEOUT);

  it('terraform apply creates them', async () => {
    await step(['apply', '-auto-approve', '-input=false']);
    outputs = await terraformOutputs(tf!);
    expect(String(outputs.api_url.value)).toMatch(/^https:\/\/\w+\.execute-api\.us-east-1\.amazonaws\.com$/);
    expect(outputs.invoker_viewer_access_key_id.sensitive).toBe(false);
    expect(outputs.invoker_viewer_secret_access_key.sensitive).toBe(true);
  }, STEP_TIMEOUT);

  it('a second plan shows no changes', async () => {
    const { status, result } = await planDetailed(tf!);
    expect({ status, error: status === 'changes' ? result.stdout.slice(-3000) : undefined }).toEqual({ status: 'no-changes', error: undefined });
  }, STEP_TIMEOUT);

  it('moto holds the routes with AWS_IAM / NONE, the AWS_PROXY 2.0 integration and each invoker\'s policy', () => {
    const apiId = String(outputs.api_id.value);
    const users = ['admin', 'editor', 'viewer'].map((n) => `iam-http-api-dev-${n}`);
    const back = readApiFromMoto({ endpoint: moto!.endpoint, apiId, userNames: users, functionName: 'iam-http-api-dev-handler' });
    const executionArn = `arn:aws:execute-api:us-east-1:123456789012:${apiId}`;

    expect(Object.fromEntries(back.routes.map((r) => [r.RouteKey, r.AuthorizationType]))).toEqual({ $default: 'AWS_IAM', 'OPTIONS /': 'NONE', 'OPTIONS /{proxy+}': 'NONE' });
    expect(back.integrations.map((i) => [i.IntegrationType, i.PayloadFormatVersion])).toEqual([['AWS_PROXY', '2.0']]);
    expect(back.stages.map((s) => [s.StageName, s.AutoDeploy])).toEqual([['$default', true]]);
    const resources = (user: string) => [back.userPolicies[`iam-http-api-dev-${user}`]['invoke-api']].flatMap((doc) =>
      [doc.Statement].flat().flatMap((s) => [(s as { Resource: string | string[] }).Resource].flat()));
    expect(resources('admin')).toEqual([`${executionArn}/$default/*/*`]);
    expect(resources('editor')).toEqual(['GET', 'POST', 'PUT', 'PATCH'].map((m) => `${executionArn}/$default/${m}/*`));
    expect(resources('viewer')).toEqual([`${executionArn}/$default/GET/*`]);
    expect(back.lambda).toMatchObject({ Runtime: 'nodejs22.x', Handler: 'index.handler', Architectures: ['arm64'], Timeout: 10 });
    expect(JSON.stringify(back.lambda?.Policy)).toContain(`${executionArn}/*/*`);
  }, STEP_TIMEOUT);

  it('moto holds the deployer role: its trust policy names admin, its policy may GET, admin may assume it', () => {
    const apiId = String(outputs.api_id.value);
    const executionArn = `arn:aws:execute-api:us-east-1:123456789012:${apiId}`;
    const roleArn = 'arn:aws:iam::123456789012:role/iam-http-api/iam-http-api-dev-deployer';
    expect(outputs.invoker_deployer_role_arn).toMatchObject({ value: roleArn, sensitive: false });
    const back = readRolesFromMoto({ endpoint: moto!.endpoint, roleNames: ['iam-http-api-dev-deployer'] });
    expect(back.roles['iam-http-api-dev-deployer']).toEqual({
      Path: '/iam-http-api/',
      MaxSessionDuration: 3600,
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{
          Sid: 'AssumeByInvokers',
          Effect: 'Allow',
          Principal: { AWS: ['arn:aws:iam::123456789012:user/iam-http-api/iam-http-api-dev-admin'] },
          Action: 'sts:AssumeRole',
        }],
      },
      inlinePolicies: {
        'invoke-api': {
          Version: '2012-10-17',
          Statement: [{ Sid: 'InvokeAllowedRoutes', Effect: 'Allow', Action: 'execute-api:Invoke', Resource: [`${executionArn}/$default/GET/*`] }],
        },
      },
    });
    const users = readApiFromMoto({ endpoint: moto!.endpoint, apiId, userNames: ['iam-http-api-dev-admin', 'iam-http-api-dev-viewer'] }).userPolicies;
    expect(users['iam-http-api-dev-admin']['assume-iam-http-api-dev-deployer']).toEqual({
      Version: '2012-10-17',
      Statement: [{ Sid: 'AssumeInvokerRole', Effect: 'Allow', Action: 'sts:AssumeRole', Resource: roleArn }],
    });
    expect(Object.keys(users['iam-http-api-dev-viewer'])).toEqual(['invoke-api']);
    // The dev stack trusts no GitHub workflow: no OIDC provider.
    expect(back.oidcProviders).toEqual([]);
  }, STEP_TIMEOUT);

  it('terraform destroy removes everything', async () => {
    await step(['destroy', '-auto-approve', '-input=false']);
    const state = JSON.parse(fs.readFileSync(path.join(tf!.workDir, 'terraform.tfstate'), 'utf8')) as { resources: unknown[] };
    expect(state.resources).toEqual([]);
    expect(readRolesFromMoto({ endpoint: moto!.endpoint, roleNames: ['iam-http-api-dev-deployer'] }).roles).toEqual({ 'iam-http-api-dev-deployer': null });
  }, STEP_TIMEOUT);
});
