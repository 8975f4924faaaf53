import { IamAccessKey } from '@cdktf/provider-aws/lib/iam-access-key';
import { IamUser } from '@cdktf/provider-aws/lib/iam-user';
import { invokeArn } from '../../src/stack/invoke-arns';
import { policyOf, resourceOf, synthStack } from '../support/synth';

const API = '${aws_apigatewayv2_api.api.execution_arn}';

function allowedArns(tf: ReturnType<typeof synthStack>['tf'], invoker: string): unknown {
  const statements = policyOf(resourceOf(tf, 'aws_iam_user_policy', `invoker_${invoker}_invoke`)).Statement;
  expect(statements).toHaveLength(1);
  expect(statements[0]).toMatchObject({ Effect: 'Allow', Action: 'execute-api:Invoke' });
  return statements[0].Resource;
}

describe('invokers', () => {
  const { json, tf } = synthStack();

  it('creates one IAM user per invoker under the project path', () => {
    for (const name of ['admin', 'editor', 'viewer']) {
      expect(json).toHaveResourceWithProperties(IamUser, { name: `iam-http-api-dev-${name}`, path: '/iam-http-api/' });
    }
    expect(Object.keys(tf.resource.aws_iam_user)).toEqual(['invoker_admin', 'invoker_editor', 'invoker_viewer']);
  });

  it('allows execute-api:Invoke on exactly each invoker\'s ARNs, never *', () => {
    expect(allowedArns(tf, 'admin')).toEqual([`${API}/$default/*/*`]);
    expect(allowedArns(tf, 'editor')).toEqual([
      `${API}/$default/GET/*`,
      `${API}/$default/POST/*`,
      `${API}/$default/PUT/*`,
      `${API}/$default/PATCH/*`,
    ]);
    expect(allowedArns(tf, 'viewer')).toEqual([`${API}/$default/GET/*`]);
  });

  it('admits no POST in the viewer\'s policy', () => {
    const viewer = JSON.stringify(allowedArns(tf, 'viewer'));
    expect(viewer).not.toContain('POST');
    expect(viewer).not.toContain('/*/*');
  });

  it('attaches each policy to its own user', () => {
    expect(resourceOf(tf, 'aws_iam_user_policy', 'invoker_viewer_invoke').user).toBe('${aws_iam_user.invoker_viewer.name}');
  });

  it('gives each invoker an access key, its id as an output and its secret as a sensitive output', () => {
    expect(json).toHaveResourceWithProperties(IamAccessKey, { user: '${aws_iam_user.invoker_viewer.name}' });
    expect(tf.output.invoker_viewer_access_key_id).toMatchObject({ value: '${aws_iam_access_key.invoker_viewer.id}' });
    expect(tf.output.invoker_viewer_access_key_id.sensitive).toBeUndefined();
    expect(tf.output.invoker_viewer_secret_access_key).toMatchObject({
      value: '${aws_iam_access_key.invoker_viewer.secret}',
      sensitive: true,
    });
    expect(tf.output.api_url).toMatchObject({ value: '${aws_apigatewayv2_api.api.api_endpoint}' });
  });

  it('with a PGP key, encrypts the secret and outputs only the encrypted secret', () => {
    const pgp = synthStack({ invokers: { auditor: { allow: ['GET /reports/*'], pgpKey: 'keybase:auditor' } } });
    expect(pgp.json).toHaveResourceWithProperties(IamAccessKey, { pgp_key: 'keybase:auditor' });
    expect(pgp.tf.output.invoker_auditor_encrypted_secret).toMatchObject({
      value: '${aws_iam_access_key.invoker_auditor.encrypted_secret}',
    });
    expect(pgp.tf.output.invoker_auditor_secret_access_key).toBeUndefined();
    expect(allowedArns(pgp.tf, 'auditor')).toEqual([`${API}/$default/GET/reports/*`]);
  });
});

describe('invokeArn', () => {
  it.each([
    ['* /*', 'X/$default/*/*'],
    ['GET /*', 'X/$default/GET/*'],
    ['GET /', 'X/$default/GET/'],
    ['POST /items', 'X/$default/POST/items'],
    ['DELETE /items/{id}', 'X/$default/DELETE/items/*'],
    ['GET /files/{proxy+}', 'X/$default/GET/files/*'],
  ] as const)('%s → %s', (rule, arn) => {
    expect(invokeArn('X', rule)).toBe(arn);
  });
});
