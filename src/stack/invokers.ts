/**
 * The API's callers: per invoker an IAM user, an inline policy allowing `execute-api:Invoke`
 * on exactly its routes, and an access key. Outputs the key id, and the secret as a
 * sensitive output (or, with a PGP key, only the encrypted secret).
 */
import { Construct } from 'constructs';
import { TerraformOutput } from 'cdktf';
import { IamAccessKey } from '@cdktf/provider-aws/lib/iam-access-key';
import { IamUser } from '@cdktf/provider-aws/lib/iam-user';
import { IamUserPolicy } from '@cdktf/provider-aws/lib/iam-user-policy';
import type { InvokerSettings } from '../config/types';
import { invokePolicyDocument } from './invoke-arns';
import { named, toIdentifier } from './logical-id';

export interface InvokersProps {
  /** Prefix of every user name, e.g. `iam-http-api-dev`. */
  readonly namePrefix: string;
  /** IAM path the users are created under, so they are easy to find and to scope. */
  readonly userPath: string;
}

export interface Invoker {
  readonly name: string;
  readonly user: IamUser;
  readonly policy: IamUserPolicy;
  readonly accessKey: IamAccessKey;
}

export class Invokers extends Construct {
  public readonly invokers: Invoker[] = [];

  constructor(scope: Construct, id: string, private readonly props: InvokersProps) {
    super(scope, id);
  }

  /** Creates invoker `name` allowed to call `settings.allow` on the API `executionArn`. */
  public grant(name: string, settings: InvokerSettings, executionArn: string): Invoker {
    const scope = new Construct(this, name);
    const id = toIdentifier(name);
    const user = named(
      new IamUser(scope, 'user', { name: `${this.props.namePrefix}-${name}`, path: this.props.userPath }),
      'invoker', id,
    );
    const policy = named(
      new IamUserPolicy(scope, 'policy', {
        name: 'invoke-api',
        user: user.name,
        policy: invokePolicyDocument(executionArn, settings.allow),
      }),
      'invoker', id, 'invoke',
    );
    const accessKey = named(
      new IamAccessKey(scope, 'key', { user: user.name, pgpKey: settings.pgpKey }),
      'invoker', id,
    );

    named(
      new TerraformOutput(scope, 'access-key-id', {
        value: accessKey.id,
        description: `Access key id of invoker ${name}`,
      }),
      'invoker', id, 'access_key_id',
    );
    if (settings.pgpKey) {
      named(
        new TerraformOutput(scope, 'encrypted-secret', {
          value: accessKey.encryptedSecret,
          description: `Secret access key of invoker ${name}, encrypted with its PGP key (base64)`,
        }),
        'invoker', id, 'encrypted_secret',
      );
    } else {
      named(
        new TerraformOutput(scope, 'secret', {
          value: accessKey.secret,
          sensitive: true,
          description: `Secret access key of invoker ${name}; read it with: terraform output -raw invoker_${id}_secret_access_key`,
        }),
        'invoker', id, 'secret_access_key',
      );
    }

    const invoker = { name, user, policy, accessKey };
    this.invokers.push(invoker);
    return invoker;
  }
}
