/**
 * End to end through `npm start` (issue 10): a stack whose invokers get permissions from a
 * group, a managed policy attached two ways, a permissions boundary and principal tags; the
 * gateway answers exactly what IAM would, and its log explains each denial.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Testing } from 'cdktf';
import { IamGroup } from '@cdktf/provider-aws/lib/iam-group';
import { IamGroupMembership } from '@cdktf/provider-aws/lib/iam-group-membership';
import { IamGroupPolicy } from '@cdktf/provider-aws/lib/iam-group-policy';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { IamPolicyAttachment } from '@cdktf/provider-aws/lib/iam-policy-attachment';
import { IamUserPolicy } from '@cdktf/provider-aws/lib/iam-user-policy';
import { IamUserPolicyAttachment } from '@cdktf/provider-aws/lib/iam-user-policy-attachment';
import { parseIni } from '../../src/gateway/credentials';
import { freePort } from '../support/moto-server';
import { profileKey, ready, start, type Started } from '../support/npm-start';
import { send, smithySign } from '../support/smithy-sign';
import { synthStack } from '../support/synth';

const E = '${aws_apigatewayv2_api.api.execution_arn}';
const doc = (...Statement: object[]): string => JSON.stringify({ Version: '2012-10-17', Statement });

describe('npm start with groups, managed policies, a boundary and tags', () => {
  let outdir: string;
  let credentialsFile: string;
  let gateway: Started;
  let port: number;

  beforeAll(async () => {
    const { stack } = synthStack();
    outdir = Testing.fullSynth(stack);
    const file = path.join(outdir, 'stacks', 'dev', 'cdk.tf.json');
    const tf = JSON.parse(fs.readFileSync(file, 'utf8'));
    const extra = JSON.parse(Testing.synthScope((scope) => {
      // admin is in group "no-delete": an inline Deny on DELETE, and a managed policy (attached
      // with aws_iam_policy_attachment) denying PATCH to anyone tagged Environment=dev, which
      // the provider's default_tags make every user of the dev stack.
      const group = new IamGroup(scope, 'no_delete', { name: 'no-delete' });
      new IamGroupMembership(scope, 'no_delete_members', { name: 'no-delete-members', group: group.name, users: ['${aws_iam_user.invoker_admin.name}'] });
      new IamGroupPolicy(scope, 'no_delete_deny', { name: 'no-delete', group: group.name, policy: doc({ Sid: 'NoDelete', Effect: 'Deny', Action: 'execute-api:Invoke', Resource: `${E}/$default/DELETE/*` }) });
      const devNoPatch = new IamPolicy(scope, 'dev_no_patch', { name: 'dev-no-patch', policy: doc({ Sid: 'DevNoPatch', Effect: 'Deny', Action: 'execute-api:Invoke', Resource: `${E}/*/PATCH/*`, Condition: { StringEquals: { 'aws:PrincipalTag/Environment': 'dev' } } }) });
      new IamPolicyAttachment(scope, 'dev_no_patch_groups', { name: 'dev-no-patch', policyArn: devNoPatch.arn, groups: [group.name] });
      // viewer gets POST /items from a managed policy attached to the user.
      const postItems = new IamPolicy(scope, 'post_items', { name: 'post-items', policy: doc({ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: `${E}/$default/POST/items` }) });
      new IamUserPolicyAttachment(scope, 'viewer_post_items', { user: '${aws_iam_user.invoker_viewer.name}', policyArn: postItems.arn });
      // A policy IAM would reject (no Resource): it grants nothing, and npm start says so.
      new IamUserPolicy(scope, 'viewer_broken', { name: 'broken', user: '${aws_iam_user.invoker_viewer.name}', policy: doc({ Effect: 'Allow', Action: 'execute-api:Invoke' }) });
      // editor's boundary allows GET only.
      new IamPolicy(scope, 'get_only', { name: 'get-only', policy: doc({ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: `${E}/$default/GET/*` }) });
    }));
    for (const kind of ['resource', 'data'] as const) {
      for (const [type, byName] of Object.entries<Record<string, unknown>>(extra[kind] ?? {})) tf[kind][type] = { ...tf[kind][type], ...byName };
    }
    tf.resource.aws_iam_user.invoker_editor.permissions_boundary = '${aws_iam_policy.get_only.arn}';
    fs.writeFileSync(file, JSON.stringify(tf, null, 2));

    credentialsFile = path.join(outdir, 'credentials');
    port = await freePort();
    gateway = start({ CDKTF_OUTDIR: outdir, IAM_HTTP_API_CREDENTIALS: credentialsFile, STACK: 'dev', PORT: String(port), PAGE_PORT: String(await freePort()) });
    await ready(gateway);
  }, 60_000);

  afterAll(async () => {
    gateway.child.kill('SIGTERM');
    await gateway.exited;
    fs.rmSync(outdir, { recursive: true, force: true });
  });

  const call = async (invoker: string, method: string, urlPath: string): Promise<number> => {
    const body = method === 'GET' || method === 'DELETE' ? undefined : '{}';
    const signed = await smithySign(profileKey(credentialsFile, invoker), 'us-east-1', { method, url: `http://127.0.0.1:${port}${urlPath}`, body });
    return (await send(signed)).status;
  };

  it.each([
    ['admin', 'GET', '/items', 200, 'its own policy allows */*'],
    ['admin', 'PUT', '/items/1', 200, 'no Deny covers PUT'],
    ['admin', 'DELETE', '/items/1', 403, "the group's inline Deny"],
    ['admin', 'PATCH', '/items/1', 403, "the group's managed Deny on the Environment=dev principal tag"],
    ['viewer', 'GET', '/items', 200, 'its inline policy'],
    ['viewer', 'POST', '/items', 200, 'the managed policy attached to the user'],
    ['viewer', 'POST', '/other', 403, 'the managed policy allows POST /items only'],
    ['editor', 'GET', '/items', 200, 'allowed by its policy and its boundary'],
    ['editor', 'POST', '/items', 403, 'its policy allows POST, its boundary does not'],
  ])('%s %s %s → %i (%s)', async (invoker, method, urlPath, status) => {
    expect(await call(invoker, method, urlPath)).toBe(status);
  });

  it('shows groups and boundaries in the banner', () => {
    expect(gateway.stdout).toMatch(/admin\s+\S+\s+may invoke \$default\/\*\/\* \(groups no-delete; with Deny statements\)/);
    expect(gateway.stdout).toMatch(/editor\s+\S+\s+may invoke .* \(boundary get-only\)/);
  });

  it('warns, naming the invoker, about a policy IAM would reject', () => {
    expect(gateway.stdout).toContain(
      'Warning: policies IAM would reject (terraform apply would fail):\n' +
      '  viewer: inline policy broken grants nothing, IAM would reject it: statement 0: it has neither Resource nor NotResource\n',
    );
  });

  it('logs why each was denied: the deciding statement, or the nearest miss', async () => {
    const reasons = (): string[] => gateway.stdout.split('\n').filter((l) => l.includes('"authorization"')).map((l) => JSON.parse(l).authorization);
    await call('admin', 'DELETE', '/x');
    await call('editor', 'POST', '/x');
    const [apiArn] = /arn:aws:execute-api:us-east-1:123456789012:[a-z0-9]{10}/.exec(gateway.stdout.split('\n').find((l) => l.includes('"authorization"'))!)!;
    expect(reasons()).toEqual(expect.arrayContaining([
      `admin: explicit deny: statement 0 (NoDelete) of inline policy no-delete of group no-delete denies execute-api:Invoke on ${apiArn}/$default/DELETE/x`,
      `editor: implicit deny: the permissions boundary get-only does not allow it; nearest: statement 0 of permissions boundary get-only allows $default/GET/* only`,
    ]));
    const secrets = [...parseIni(fs.readFileSync(credentialsFile, 'utf8')).values()].map((p) => p.aws_secret_access_key);
    expect(secrets.filter((secret) => (gateway.stdout + gateway.stderr).includes(secret))).toEqual([]);
  });
});
