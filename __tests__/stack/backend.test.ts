import { chooseBackend } from '../../src/stack/backend';
import { synthStack } from '../support/synth';

describe('backend', () => {
  it('keeps local state beside cdktf.json, by a path relative to the stack folder', () => {
    const { tf } = synthStack();
    expect(tf.terraform.backend).toEqual({ local: { path: '../../../terraform.dev.tfstate' } });
    expect(tf.terraform.cloud).toBeUndefined();
  });

  it('uses Terraform Cloud with one named workspace per environment when TF_CLOUD_ORGANIZATION is set', () => {
    const dev = synthStack({}, 'dev', { TF_CLOUD_ORGANIZATION: 'acme' });
    const prod = synthStack({}, 'prod', { TF_CLOUD_ORGANIZATION: 'acme' });
    expect(dev.tf.terraform.backend).toBeUndefined();
    expect(dev.tf.terraform.cloud).toEqual({ organization: 'acme', hostname: 'app.terraform.io', workspaces: { name: 'iam-http-api-dev' } });
    expect(prod.tf.terraform.cloud).toEqual({ organization: 'acme', hostname: 'app.terraform.io', workspaces: { name: 'iam-http-api-prod' } });
  });

  it('takes the hostname from TF_CLOUD_HOSTNAME and the workspace prefix from TF_WORKSPACE', () => {
    const { tf } = synthStack({}, 'prod', { TF_CLOUD_ORGANIZATION: 'acme', TF_CLOUD_HOSTNAME: 'tfe.acme.internal', TF_WORKSPACE: 'payments' });
    expect(tf.terraform.cloud).toEqual({ organization: 'acme', hostname: 'tfe.acme.internal', workspaces: { name: 'payments-prod' } });
  });

  it('rejects a workspace prefix Terraform Cloud would refuse, naming the variable', () => {
    expect(() => chooseBackend({ TF_CLOUD_ORGANIZATION: 'acme', TF_WORKSPACE: 'my team' }, 'iam-http-api', 'dev', 'cdktf.out/stacks/dev')).toThrow(
      'TF_WORKSPACE: "my team" makes the workspace name "my team-dev", which Terraform Cloud does not accept; use letters, digits, "-" and "_" (at most 90 characters in all)',
    );
  });
});
