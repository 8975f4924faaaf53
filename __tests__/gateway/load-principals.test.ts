/**
 * The invokers' principals: everything IAM applies to a user, read from cdk.tf.json. Each case
 * adds resources written by the real cdktf constructs (Testing.synthScope) to the project's
 * synthesized stack, so the loader reads the JSON shapes cdktf really writes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Testing } from 'cdktf';
import type { Construct } from 'constructs';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { IamGroup } from '@cdktf/provider-aws/lib/iam-group';
import { IamGroupMembership } from '@cdktf/provider-aws/lib/iam-group-membership';
import { IamGroupPolicy } from '@cdktf/provider-aws/lib/iam-group-policy';
import { IamGroupPolicyAttachment } from '@cdktf/provider-aws/lib/iam-group-policy-attachment';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { IamPolicyAttachment } from '@cdktf/provider-aws/lib/iam-policy-attachment';
import { IamUserGroupMembership } from '@cdktf/provider-aws/lib/iam-user-group-membership';
import { IamUserPolicy } from '@cdktf/provider-aws/lib/iam-user-policy';
import { IamUserPolicyAttachment } from '@cdktf/provider-aws/lib/iam-user-policy-attachment';
import type { IamUserPrincipal } from '../../src/iam/principal';
import { modelOf, StackLoadError, type LoadedStack } from '../../src/gateway/load-stack';
import { synthStack } from '../support/synth';

const { stack } = synthStack();
const outdir = Testing.fullSynth(stack);
const stackDir = path.join(outdir, 'stacks', 'dev');
const tf = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));

/** The project's users, as cdktf references them. */
const VIEWER = '${aws_iam_user.invoker_viewer.name}';
const VIEWER_ID = '${aws_iam_user.invoker_viewer.id}';
const EDITOR = '${aws_iam_user.invoker_editor.name}';
const EXECUTION_ARN = '${aws_apigatewayv2_api.api.execution_arn}';
const DENY_ALL = JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'DenyAll', Effect: 'Deny', Action: 'execute-api:Invoke', Resource: `${EXECUTION_ARN}/*` }] });

/** The stack with what `add` writes merged in, then `mutate` applied, loaded. */
function load(add: (scope: Construct) => void, mutate?: (copy: typeof tf) => void): LoadedStack {
  const extra = JSON.parse(Testing.synthScope(add));
  const copy = structuredClone(tf);
  for (const kind of ['resource', 'data'] as const) {
    for (const [type, byName] of Object.entries<Record<string, unknown>>(extra[kind] ?? {})) {
      copy[kind][type] = { ...copy[kind][type], ...byName };
    }
  }
  mutate?.(copy);
  return modelOf(copy, 'dev', stackDir);
}

function principal(loaded: LoadedStack, invoker: string): IamUserPrincipal {
  const found = loaded.invokers.find((i) => i.name === invoker);
  if (!found) throw new Error(`no invoker ${invoker}`);
  return found.principal;
}

function refusal(add: (scope: Construct) => void, mutate?: (copy: typeof tf) => void): string {
  try {
    load(add, mutate);
  } catch (error) {
    if (error instanceof StackLoadError) return error.message;
    throw error;
  }
  throw new Error('loaded without an error');
}

let loaded: LoadedStack;
let apiArn: string;
beforeAll(() => {
  loaded = modelOf(tf, 'dev', stackDir);
  apiArn = loaded.executionArn;
});

describe('groups', () => {
  it("a group's inline Deny reaches a member through aws_iam_group_membership", () => {
    const result = load((scope) => {
      const group = new IamGroup(scope, 'blocked', { name: 'blocked', path: '/ops/' });
      new IamGroupMembership(scope, 'blocked_members', { name: 'blocked-members', group: group.name, users: [VIEWER] });
      new IamGroupPolicy(scope, 'blocked_deny', { name: 'deny-all', group: group.name, policy: DENY_ALL });
    });
    const viewer = principal(result, 'viewer');
    expect(viewer.groups).toEqual(['blocked']);
    expect(viewer.identityPolicies.map((p) => [p.source, p.name, p.group, p.address])).toEqual([
      ['user inline', 'invoke-api', undefined, 'aws_iam_user_policy.invoker_viewer_invoke'],
      ['group inline', 'deny-all', 'blocked', 'aws_iam_group_policy.blocked_deny'],
    ]);
    expect(viewer.identityPolicies[1].document).toEqual({
      Version: '2012-10-17',
      Statement: [{ Sid: 'DenyAll', Effect: 'Deny', Action: 'execute-api:Invoke', Resource: `${apiArn}/*` }],
    });
    expect(principal(result, 'editor').groups).toEqual([]);
  });

  it("aws_iam_user_group_membership, the group's id, and a managed policy attached to the group", () => {
    const result = load((scope) => {
      const group = new IamGroup(scope, 'readers', { name: 'readers' });
      const policy = new IamPolicy(scope, 'read_only', { name: 'read-only', policy: DENY_ALL });
      new IamUserGroupMembership(scope, 'editor_groups', { user: EDITOR, groups: [group.id] });
      new IamGroupPolicyAttachment(scope, 'readers_read_only', { group: group.name, policyArn: policy.arn });
    });
    const editor = principal(result, 'editor');
    expect(editor.groups).toEqual(['readers']);
    expect(editor.identityPolicies[1]).toEqual({
      name: 'read-only',
      source: 'group managed',
      group: 'readers',
      address: 'aws_iam_policy.read_only',
      document: { Version: '2012-10-17', Statement: [{ Sid: 'DenyAll', Effect: 'Deny', Action: 'execute-api:Invoke', Resource: `${apiArn}/*` }] },
    });
  });

  it('a member of a group the stack does not define is refused: its policies are unknown', () => {
    expect(refusal((scope) => {
      new IamUserGroupMembership(scope, 'viewer_groups', { user: VIEWER, groups: ['developers'] });
    })).toBe('aws_iam_user_group_membership.viewer_groups: groups[0] is "developers", which no aws_iam_group in the stack defines, so the local gateway cannot know its policies');
  });
});

describe('managed policies and boundaries', () => {
  it('a permissions boundary from an aws_iam_policy', () => {
    const result = load((scope) => {
      new IamPolicy(scope, 'boundary', { name: 'invoke-only', path: '/boundaries/', policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' }] }) });
    }, (c) => {
      c.resource.aws_iam_user.invoker_viewer.permissions_boundary = '${aws_iam_policy.boundary.arn}';
    });
    expect(principal(result, 'viewer').permissionsBoundary).toEqual({
      name: 'invoke-only',
      source: 'permissions boundary',
      address: 'aws_iam_policy.boundary',
      document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' }] },
    });
    expect(principal(result, 'editor')).not.toHaveProperty('permissionsBoundary');
  });

  it('attached by aws_iam_user_policy_attachment (.arn) and aws_iam_policy_attachment (.id, users and groups; roles ignored), once each', () => {
    const result = load((scope) => {
      const policy = new IamPolicy(scope, 'deny', { name: 'deny-all', policy: DENY_ALL });
      const group = new IamGroup(scope, 'staff', { name: 'staff' });
      new IamGroupMembership(scope, 'staff_members', { name: 'staff', group: group.name, users: [VIEWER] });
      new IamUserPolicyAttachment(scope, 'viewer_deny', { user: VIEWER, policyArn: policy.arn });
      new IamPolicyAttachment(scope, 'deny_everywhere', { name: 'deny-everywhere', users: [VIEWER, EDITOR], groups: [group.name], roles: ['some-role'], policyArn: policy.id });
    });
    expect(principal(result, 'viewer').identityPolicies.map((p) => [p.source, p.name, p.group, p.address])).toEqual([
      ['user inline', 'invoke-api', undefined, 'aws_iam_user_policy.invoker_viewer_invoke'],
      ['user managed', 'deny-all', undefined, 'aws_iam_policy.deny'],
      ['group managed', 'deny-all', 'staff', 'aws_iam_policy.deny'],
    ]);
    expect(principal(result, 'editor').identityPolicies.map((p) => [p.source, p.name])).toEqual([
      ['user inline', 'invoke-api'],
      ['user managed', 'deny-all'],
    ]);
    expect(principal(result, 'admin').identityPolicies.map((p) => p.source)).toEqual(['user inline']);
  });

  it('an AWS managed policy is refused, naming resource, attribute and ARN', () => {
    expect(refusal((scope) => {
      new IamUserPolicyAttachment(scope, 'viewer_read_only', { user: VIEWER, policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' });
    })).toBe('aws_iam_user_policy_attachment.viewer_read_only: policy_arn is arn:aws:iam::aws:policy/ReadOnlyAccess, an AWS managed policy: its document is not in the stack, so the local gateway cannot evaluate it (define the policy with aws_iam_policy instead)');
    expect(refusal(() => undefined, (c) => {
      c.resource.aws_iam_user.invoker_admin.permissions_boundary = 'arn:aws:iam::aws:policy/PowerUserAccess';
    })).toBe('aws_iam_user.invoker_admin: permissions_boundary is arn:aws:iam::aws:policy/PowerUserAccess, an AWS managed policy: its document is not in the stack, so the local gateway cannot evaluate it (define the policy with aws_iam_policy instead)');
  });

  it('a policy ARN the stack does not define is refused', () => {
    expect(refusal((scope) => {
      const group = new IamGroup(scope, 'g', { name: 'g' });
      new IamGroupMembership(scope, 'm', { name: 'm', group: group.name, users: [VIEWER] });
      new IamPolicyAttachment(scope, 'elsewhere', { name: 'elsewhere', groups: [group.name], policyArn: 'arn:aws:iam::123456789012:policy/made-elsewhere' });
    })).toBe('aws_iam_policy_attachment.elsewhere: policy_arn is arn:aws:iam::123456789012:policy/made-elsewhere, which no aws_iam_policy in the stack defines, so the local gateway cannot know its document');
  });
});

describe('inline policies', () => {
  it('a user by ${aws_iam_user.X.id} (its name), a name_prefix, and the $${ and %%{ escapes', () => {
    const result = load((scope) => {
      new IamUserPolicy(scope, 'viewer_own_path', {
        namePrefix: 'own-path-',
        user: VIEWER_ID,
        policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'execute-api:Invoke', Resource: `${EXECUTION_ARN}/*/GET/users/$\${aws:username}/%%{x}` }] }),
      });
    });
    const own = principal(result, 'viewer').identityPolicies[1];
    expect(own.name).toMatch(/^own-path-\d{26}$/);
    expect(own.address).toBe('aws_iam_user_policy.viewer_own_path');
    expect(own.document.Statement).toEqual([{ Effect: 'Deny', Action: 'execute-api:Invoke', Resource: `${apiArn}/*/GET/users/\${aws:username}/%{x}` }]);
    // The same name on every start.
    expect(principal(load((scope) => {
      new IamUserPolicy(scope, 'viewer_own_path', { namePrefix: 'own-path-', user: VIEWER_ID, policy: '{}' });
    }), 'viewer').identityPolicies[1].name).toBe(own.name);
  });

  it('a reference that names no user of the stack is refused, not dropped', () => {
    expect(refusal((scope) => {
      new IamUserPolicy(scope, 'wrong', { name: 'x', user: '${aws_iam_user.invoker_viewer.arn}', policy: DENY_ALL });
    })).toBe('aws_iam_user_policy.wrong: user is "${aws_iam_user.invoker_viewer.arn}", which resolves to "arn:aws:iam::123456789012:user/iam-http-api/iam-http-api-dev-viewer", the name of no aws_iam_user in the stack');
  });

  it('an unknown reference and a function call are refused, naming resource and attribute', () => {
    expect(refusal((scope) => {
      new IamGroupPolicy(scope, 'gp', { name: 'gp', group: 'g', policy: '{}' });
      new IamGroup(scope, 'g', { name: 'g' });
      new IamGroupMembership(scope, 'm', { name: 'm', group: 'g', users: [VIEWER] });
    }, (c) => {
      c.resource.aws_iam_group_policy.gp.policy = '{"Statement":[{"Resource":"${aws_s3_bucket.data.arn}"}]}';
    })).toMatch(/^aws_iam_group_policy\.gp: policy contains \$\{aws_s3_bucket\.data\.arn\}, which the local gateway cannot resolve \(it resolves only: aws_apigatewayv2_api\.api\.\{id,execution_arn\}, /);
    expect(refusal(() => undefined, (c) => {
      c.resource.aws_iam_user_policy.invoker_viewer_invoke.policy = '${jsonencode({"Statement" = []})}';
    })).toBe('aws_iam_user_policy.invoker_viewer_invoke: policy contains ${jsonencode(...)}, a Terraform function call, which the local gateway does not evaluate');
  });

  it('a policy that is not a JSON object is refused', () => {
    expect(refusal(() => undefined, (c) => {
      c.resource.aws_iam_user_policy.invoker_viewer_invoke.policy = '["not", "a", "document"]';
    })).toBe('aws_iam_user_policy.invoker_viewer_invoke: policy is not a JSON policy document: its top level is a list, not an object');
  });
});

describe('tags', () => {
  it("the provider's default_tags under the user's own tags, which win on the same key", () => {
    const result = load(() => undefined, (c) => {
      c.resource.aws_iam_user.invoker_viewer.tags = { Environment: 'override', Team: 'reporting', Blank: '' };
    });
    expect(principal(result, 'viewer').tags).toEqual({ Project: 'iam-http-api', Environment: 'override', ManagedBy: 'cdktf', Team: 'reporting', Blank: '' });
    expect(principal(result, 'editor').tags).toEqual({ Project: 'iam-http-api', Environment: 'dev', ManagedBy: 'cdktf' });
  });
});

describe('data.aws_iam_policy_document', () => {
  it('as .json and .minified_json, with references, &{aws:username}, single-string rendering and source/override merge', () => {
    const result = load((scope) => {
      const base = new DataAwsIamPolicyDocument(scope, 'base', {
        statement: [
          { sid: 'Reports', actions: ['execute-api:Invoke'], resources: [`${EXECUTION_ARN}/*/GET/reports/&{aws:username}`] },
          { sid: 'Replaced', effect: 'Deny', actions: ['execute-api:Invoke'], resources: [`${EXECUTION_ARN}/*`] },
        ],
      });
      const combined = new DataAwsIamPolicyDocument(scope, 'combined', {
        sourcePolicyDocuments: [base.json],
        overridePolicyDocuments: ['{"Statement": [{"Sid": "Replaced", "Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "arn:aws:execute-api:*:*:*/*/GET/public/*"}]}'],
        statement: [{
          effect: 'Deny',
          actions: ['execute-api:Invoke'],
          resources: [`${EXECUTION_ARN}/*/DELETE/*`, `${EXECUTION_ARN}/*/PUT/*`],
          condition: [{ test: 'StringNotEquals', variable: 'aws:PrincipalTag/Team', values: ['reporting'] }],
        }],
      });
      new IamUserPolicy(scope, 'viewer_reports', { name: 'reports', user: VIEWER, policy: combined.json });
      const managed = new IamPolicy(scope, 'reports', { name: 'reports-managed', policy: base.minifiedJson });
      new IamUserPolicyAttachment(scope, 'editor_reports', { user: EDITOR, policyArn: managed.arn });
    });
    expect(principal(result, 'viewer').identityPolicies[1].document).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'Reports', Effect: 'Allow', Action: 'execute-api:Invoke', Resource: `${apiArn}/*/GET/reports/\${aws:username}` },
        { Sid: 'Replaced', Effect: 'Allow', Action: 'execute-api:Invoke', Resource: 'arn:aws:execute-api:*:*:*/*/GET/public/*' },
        {
          Effect: 'Deny',
          Action: 'execute-api:Invoke',
          Resource: [`${apiArn}/*/PUT/*`, `${apiArn}/*/DELETE/*`],
          Condition: { StringNotEquals: { 'aws:PrincipalTag/Team': 'reporting' } },
        },
      ],
    });
    expect(principal(result, 'editor').identityPolicies[1].document).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'Reports', Effect: 'Allow', Action: 'execute-api:Invoke', Resource: `${apiArn}/*/GET/reports/\${aws:username}` },
        { Sid: 'Replaced', Effect: 'Deny', Action: 'execute-api:Invoke', Resource: `${apiArn}/*` },
      ],
    });
  });

  it("the data source's own problems name it", () => {
    expect(refusal((scope) => {
      const doc = new DataAwsIamPolicyDocument(scope, 'trust', {
        statement: [{ actions: ['sts:AssumeRole'], principals: [{ type: 'Service', identifiers: ['lambda.amazonaws.com'] }] }],
      });
      new IamUserPolicy(scope, 'wrong_doc', { name: 'x', user: VIEWER, policy: doc.json });
    })).toBe("data.aws_iam_policy_document.trust: statement[0].principals is set, but the local gateway reads this document as a user's or group's policy, and an identity-based policy has no Principal");
  });
});
