import { IamOpenidConnectProvider } from '@cdktf/provider-aws/lib/iam-openid-connect-provider';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import type { ProjectConfigInput } from '../../src/config/types';
import { policyOf, resourceOf, synthStack } from '../support/synth';

const API = '${aws_apigatewayv2_api.api.execution_arn}';
const users = { admin: { allow: ['* /*'] }, viewer: { allow: ['GET /*'] } } as const;

function config(invokers: ProjectConfigInput['invokers']): ProjectConfigInput {
  return { environments: { dev: { invokers } } };
}

describe('role invokers', () => {
  const { json, tf } = synthStack(config({
    ...users,
    deployer: {
      kind: 'role',
      allow: ['GET /*', 'POST /deployments'],
      assumableBy: {
        invokers: ['admin', 'viewer'],
        accounts: [{ id: '210987654321', externalId: 'partner-42' }, { id: '123456789012' }],
        services: ['lambda.amazonaws.com'],
        githubOidc: { repository: 'my-org/my-repo', branch: 'main' },
      },
      maxSessionDurationSeconds: 7200,
    },
    releaser: { kind: 'role', allow: ['POST /releases'], assumableBy: { githubOidc: { repository: 'my-org/my-repo', environment: 'prod' } } },
    ci: { kind: 'role', allow: ['GET /*'], assumableBy: { githubOidc: { repository: 'my-org/other' } } },
  }));

  it('creates one IAM role per role invoker, under the users\' path, with its session length', () => {
    expect(json).toHaveResourceWithProperties(IamRole, {
      name: 'iam-http-api-dev-deployer',
      path: '/iam-http-api/',
      max_session_duration: 7200,
    });
    expect(resourceOf(tf, 'aws_iam_role', 'invoker_releaser').max_session_duration).toBe(3600);
    expect(Object.keys(tf.resource.aws_iam_role).filter((k) => k.startsWith('invoker_')).sort()).toEqual(['invoker_ci', 'invoker_deployer', 'invoker_releaser']);
    expect(Object.keys(tf.resource.aws_iam_user)).toEqual(['invoker_admin', 'invoker_viewer']);
    expect(tf.resource.aws_iam_access_key.invoker_deployer).toBeUndefined();
  });

  it('writes the trust policy: users by ARN, accounts with their external id, services, GitHub by OIDC', () => {
    expect(policyOf(resourceOf(tf, 'aws_iam_role', 'invoker_deployer'), 'assume_role_policy')).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'AssumeByInvokers',
          Effect: 'Allow',
          Principal: { AWS: ['${aws_iam_user.invoker_admin.arn}', '${aws_iam_user.invoker_viewer.arn}'] },
          Action: 'sts:AssumeRole',
        },
        {
          Sid: 'AssumeByAccount210987654321',
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::210987654321:root' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'sts:ExternalId': 'partner-42' } },
        },
        {
          Sid: 'AssumeByAccount123456789012',
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::123456789012:root' },
          Action: 'sts:AssumeRole',
        },
        {
          Sid: 'AssumeByServices',
          Effect: 'Allow',
          Principal: { Service: ['lambda.amazonaws.com'] },
          Action: 'sts:AssumeRole',
        },
        {
          Sid: 'AssumeByGithubActions',
          Effect: 'Allow',
          Principal: { Federated: '${aws_iam_openid_connect_provider.github_actions.arn}' },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: {
            StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
            StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:my-org/my-repo:ref:refs/heads/main' },
          },
        },
      ],
    });
  });

  it('matches a GitHub environment, or any ref of the repository when neither is given', () => {
    const sub = (role: string) => (policyOf(resourceOf(tf, 'aws_iam_role', role), 'assume_role_policy').Statement[0].Condition as Record<string, Record<string, string>>).StringLike['token.actions.githubusercontent.com:sub'];
    expect(sub('invoker_releaser')).toBe('repo:my-org/my-repo:environment:prod');
    expect(sub('invoker_ci')).toBe('repo:my-org/other:*');
  });

  it('creates GitHub\'s OIDC provider once, for every role that trusts GitHub', () => {
    expect(Object.keys(tf.resource.aws_iam_openid_connect_provider)).toEqual(['github_actions']);
    expect(json).toHaveResourceWithProperties(IamOpenidConnectProvider, {
      url: 'https://token.actions.githubusercontent.com',
      client_id_list: ['sts.amazonaws.com'],
    });
    expect(resourceOf(tf, 'aws_iam_openid_connect_provider', 'github_actions').thumbprint_list).toBeUndefined();
  });

  it('allows the role execute-api:Invoke on exactly its routes', () => {
    const policy = resourceOf(tf, 'aws_iam_role_policy', 'invoker_deployer_invoke');
    expect(policy.role).toBe('${aws_iam_role.invoker_deployer.id}');
    expect(policyOf(policy).Statement).toEqual([
      { Sid: 'InvokeAllowedRoutes', Effect: 'Allow', Action: 'execute-api:Invoke', Resource: [`${API}/$default/GET/*`, `${API}/$default/POST/deployments`] },
    ]);
  });

  it('allows each trusted user sts:AssumeRole on that role only', () => {
    const policy = resourceOf(tf, 'aws_iam_user_policy', 'invoker_admin_assume_deployer');
    expect(policy.user).toBe('${aws_iam_user.invoker_admin.name}');
    expect(policy.name).toBe('assume-iam-http-api-dev-deployer');
    expect(policyOf(policy)).toEqual({
      Version: '2012-10-17',
      Statement: [{ Sid: 'AssumeInvokerRole', Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '${aws_iam_role.invoker_deployer.arn}' }],
    });
    expect(resourceOf(tf, 'aws_iam_user_policy', 'invoker_viewer_assume_deployer').user).toBe('${aws_iam_user.invoker_viewer.name}');
    expect(Object.keys(tf.resource.aws_iam_user_policy).filter((k) => k.includes('_assume_'))).toEqual(['invoker_admin_assume_deployer', 'invoker_viewer_assume_deployer']);
  });

  it('outputs each role\'s ARN', () => {
    expect(tf.output.invoker_deployer_role_arn).toMatchObject({ value: '${aws_iam_role.invoker_deployer.arn}' });
    expect(tf.output.invoker_deployer_role_arn.sensitive).toBeUndefined();
    expect(tf.output.invoker_deployer_access_key_id).toBeUndefined();
  });

  it('references an existing GitHub OIDC provider by ARN instead of creating one, for every role that trusts GitHub', () => {
    const providerArn = 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com';
    const shared = synthStack(config({
      ...users,
      deployer: { kind: 'role', allow: ['GET /*'], assumableBy: { githubOidc: { repository: 'my-org/my-repo', branch: 'main', providerArn } } },
      releaser: { kind: 'role', allow: ['POST /releases'], assumableBy: { invokers: ['admin'], githubOidc: { repository: 'my-org/my-repo', environment: 'prod', providerArn } } },
    }));
    expect(shared.tf.resource.aws_iam_openid_connect_provider).toBeUndefined();
    const federated = (role: string) => policyOf(resourceOf(shared.tf, 'aws_iam_role', role), 'assume_role_policy').Statement.find((s) => s.Sid === 'AssumeByGithubActions');
    expect(federated('invoker_deployer')).toEqual({
      Sid: 'AssumeByGithubActions',
      Effect: 'Allow',
      Principal: { Federated: providerArn },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: {
        StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
        StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:my-org/my-repo:ref:refs/heads/main' },
      },
    });
    expect(federated('invoker_releaser')?.Principal).toEqual({ Federated: providerArn });
  });

  it('names users and roles exactly as the validator checked them, up to IAM\'s 64 characters', () => {
    const name = 'p'.repeat(32);
    const environment = 'e'.repeat(16);
    const long = synthStack({ name, environments: { [environment]: { invokers: { ['v'.repeat(14)]: { allow: ['GET /*'] }, ['r'.repeat(14)]: { kind: 'role', allow: ['GET /*'], assumableBy: { invokers: ['v'.repeat(14)] } } } } } }, environment);
    const userName = String(resourceOf(long.tf, 'aws_iam_user', `invoker_${'v'.repeat(14)}`).name);
    const roleName = String(resourceOf(long.tf, 'aws_iam_role', `invoker_${'r'.repeat(14)}`).name);
    expect([userName, userName.length, roleName.length]).toEqual([`${name}-${environment}-${'v'.repeat(14)}`, 64, 64]);
    expect(resourceOf(long.tf, 'aws_iam_role', 'handler').name).toBe(`${name}-${environment}-handler`);
  });

  it('creates no OIDC provider when no role trusts GitHub, and none without roles', () => {
    const plain = synthStack(config({ ...users, deployer: { kind: 'role', allow: ['GET /*'], assumableBy: { invokers: ['admin'] } } }));
    expect(plain.tf.resource.aws_iam_openid_connect_provider).toBeUndefined();
    expect(policyOf(resourceOf(plain.tf, 'aws_iam_role', 'invoker_deployer'), 'assume_role_policy').Statement).toEqual([
      { Sid: 'AssumeByInvokers', Effect: 'Allow', Principal: { AWS: ['${aws_iam_user.invoker_admin.arn}'] }, Action: 'sts:AssumeRole' },
    ]);
    const none = synthStack();
    expect(none.tf.resource.aws_iam_openid_connect_provider).toBeUndefined();
    expect(Object.keys(none.tf.resource.aws_iam_role)).toEqual(['handler']);
  });
});
