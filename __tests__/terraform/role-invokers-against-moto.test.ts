/**
 * Real Terraform, offline, against moto, for role invokers of every kind of trust: a stack
 * (built in process with buildApp, as main.ts builds the project's) whose role trusts user
 * invokers, another account with an external id, a service and GitHub Actions (so the stack
 * also creates GitHub's OIDC provider), applied with hashicorp/aws 5.100.0, planned again
 * (no changes), read back with boto3 and destroyed. Then a second stack in the same account
 * (IAM allows one OIDC provider per URL per account) references that provider by ARN
 * (`githubOidc.providerArn`): its role applies, plans clean and is destroyed while the first
 * stack's provider stays. To keep the test bounded, the second stack is applied with `-target`
 * on its role (the role is all that differs; the rest of the stack is the first one's).
 * Harness: __tests__/support/terraform-offline.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildApp } from '../../src/app/build-app';
import { describeWithOfflineTools } from '../support/offline-tools';
import { startMotoServer, type MotoServer } from '../support/moto-server';
import { destroyAndCleanUp, planDetailed, prepareOfflineTerraform, readRolesFromMoto, readStackJson, terraformOutputs, type OfflineTerraform, runStep } from '../support/terraform-offline';

const root = path.resolve(__dirname, '..', '..');
const STEP_TIMEOUT = 5 * 60 * 1000;
const ROLE = 'roles-dev-deployer';
const PROVIDER_ARN = 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com';
/** The second stack's role, trusting GitHub through the first stack's provider. */
const SECOND_ROLE = 'roles-prod-releaser';

describeWithOfflineTools('role invokers with real terraform against moto', () => {
  let outdir: string;
  let moto: MotoServer | undefined;
  let tf: OfflineTerraform | undefined;
  /** The second stack (same account, same moto), referencing the first one's provider. */
  let second: OfflineTerraform | undefined;
  /** True while the second stack's role exists (so teardown destroys it only if the test did not). */
  let secondApplied = false;

  beforeAll(async () => {
    fs.mkdirSync(path.join(root, '.build'), { recursive: true });
    outdir = fs.mkdtempSync(path.join(root, '.build', 'tf-roles-'));
    buildApp({
      name: 'roles',
      environments: {
        dev: {
          invokers: {
            admin: { allow: ['* /*'] },
            deployer: {
              kind: 'role',
              allow: ['GET /*'],
              assumableBy: {
                invokers: ['admin'],
                accounts: [{ id: '210987654321', externalId: 'partner-42' }],
                services: ['lambda.amazonaws.com'],
                githubOidc: { repository: 'my-org/my-repo', branch: 'main' },
              },
              maxSessionDurationSeconds: 7200,
            },
          },
        },
      },
    }, { outdir, env: {}, buildDir: path.join(outdir, 'build') }).synth();
    const secondOut = path.join(outdir, 'second');
    buildApp({
      name: 'roles',
      environments: {
        prod: {
          invokers: {
            releaser: { kind: 'role', allow: ['POST /releases'], assumableBy: { githubOidc: { repository: 'my-org/my-repo', environment: 'prod', providerArn: PROVIDER_ARN } } },
          },
        },
      },
    }, { outdir: secondOut, env: {}, buildDir: path.join(outdir, 'build-second') }).synth();
    moto = await startMotoServer();
    tf = prepareOfflineTerraform({ stackDir: path.join(outdir, 'stacks', 'dev'), endpoint: moto.endpoint });
    second = prepareOfflineTerraform({ stackDir: path.join(secondOut, 'stacks', 'prod'), endpoint: moto.endpoint });
  }, STEP_TIMEOUT);

  afterAll(async () => {
    // The second stack first: its role uses the first stack's provider.
    if (second && secondApplied) await second.run(['destroy', '-auto-approve', '-input=false', '-target=aws_iam_role.invoker_releaser']);
    await destroyAndCleanUp({ tf, moto, others: [second], dirs: [outdir] });
  }, STEP_TIMEOUT);

  const step = (args: string[]): Promise<void> => runStep(tf, args);

  it('applies the role, its trust policy and GitHub\'s OIDC provider, then plans no changes', async () => {
    await step(['init', '-input=false']);
    await step(['apply', '-auto-approve', '-input=false']);
    const { status, result } = await planDetailed(tf!);
    expect({ status, error: status === 'no-changes' ? undefined : result.stdout.slice(-3000) + result.stderr.slice(-2000) }).toEqual({ status: 'no-changes', error: undefined });

    const outputs = await terraformOutputs(tf!);
    expect(outputs.invoker_deployer_role_arn.value).toBe(`arn:aws:iam::123456789012:role/roles/${ROLE}`);
    const back = readRolesFromMoto({ endpoint: moto!.endpoint, roleNames: [ROLE] });
    const providerArn = 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com';
    expect(back.oidcProviders).toHaveLength(1);
    expect(back.oidcProviders[0]).toMatchObject({ Arn: providerArn, ClientIDList: ['sts.amazonaws.com'] });
    expect(back.oidcProviders[0].Url).toMatch(/^(https:\/\/)?token\.actions\.githubusercontent\.com$/);
    expect(back.roles[ROLE]).toMatchObject({ Path: '/roles/', MaxSessionDuration: 7200 });
    expect(back.roles[ROLE]?.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'AssumeByInvokers', Effect: 'Allow', Principal: { AWS: ['arn:aws:iam::123456789012:user/roles/roles-dev-admin'] }, Action: 'sts:AssumeRole' },
        {
          Sid: 'AssumeByAccount210987654321',
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::210987654321:root' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'sts:ExternalId': 'partner-42' } },
        },
        { Sid: 'AssumeByServices', Effect: 'Allow', Principal: { Service: ['lambda.amazonaws.com'] }, Action: 'sts:AssumeRole' },
        {
          Sid: 'AssumeByGithubActions',
          Effect: 'Allow',
          Principal: { Federated: providerArn },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: {
            StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
            StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:my-org/my-repo:ref:refs/heads/main' },
          },
        },
      ],
    });
    expect(Object.keys(back.roles[ROLE]?.inlinePolicies ?? {})).toEqual(['invoke-api']);
  }, STEP_TIMEOUT);

  it('a second stack in the account references that provider by ARN: its role applies and plans clean, and its destroy leaves the provider', async () => {
    const target = '-target=aws_iam_role.invoker_releaser';
    const run = (args: string[]): Promise<void> => runStep(second, args);
    expect(JSON.stringify(readStackJson(second!.workDir).resource)).not.toContain('aws_iam_openid_connect_provider');
    await run(['init', '-input=false']);
    secondApplied = true;
    await run(['apply', '-auto-approve', '-input=false', target]);
    const plan = await second!.run(['plan', '-input=false', '-detailed-exitcode', target]);
    expect({ code: plan.code, error: plan.code === 0 ? undefined : plan.stdout.slice(-3000) + plan.stderr.slice(-2000) }).toEqual({ code: 0, error: undefined });

    const back = readRolesFromMoto({ endpoint: moto!.endpoint, roleNames: [SECOND_ROLE] });
    expect(back.oidcProviders.map((p) => p.Arn)).toEqual([PROVIDER_ARN]);
    expect(back.roles[SECOND_ROLE]?.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Sid: 'AssumeByGithubActions',
        Effect: 'Allow',
        Principal: { Federated: PROVIDER_ARN },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
          StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:my-org/my-repo:environment:prod' },
        },
      },
    ]);

    await run(['destroy', '-auto-approve', '-input=false', target]);
    secondApplied = false;
    const after = readRolesFromMoto({ endpoint: moto!.endpoint, roleNames: [SECOND_ROLE] });
    expect(after.roles[SECOND_ROLE]).toBeNull();
    expect(after.oidcProviders.map((p) => p.Arn)).toEqual([PROVIDER_ARN]);
  }, STEP_TIMEOUT);

  it('terraform destroy removes the role and the OIDC provider', async () => {
    await step(['destroy', '-auto-approve', '-input=false']);
    const back = readRolesFromMoto({ endpoint: moto!.endpoint, roleNames: [ROLE] });
    expect(back.roles[ROLE]).toBeNull();
    expect(back.oidcProviders).toEqual([]);
  }, STEP_TIMEOUT);
});
