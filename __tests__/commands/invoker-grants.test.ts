import { grantsOf } from '../../src/commands/invoker-grants';
import type { IamUserPrincipal } from '../../src/iam/principal';

const API = 'arn:aws:execute-api:us-east-1:123456789012:abc123';

function user(...statements: unknown[]): IamUserPrincipal {
  return {
    groups: [],
    identityPolicies: statements.map((Statement, i) => ({ name: `p${i}`, source: 'user inline', document: { Version: '2012-10-17', Statement } })),
  } as unknown as IamUserPrincipal;
}

describe('grantsOf (the banner line of an invoker)', () => {
  it('lists the roles a user may assume apart from what it may invoke', () => {
    const admin = user(
      [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: [`${API}/$default/*/*`] }],
      [{ Sid: 'AssumeInvokerRole', Effect: 'Allow', Action: 'sts:AssumeRole', Resource: 'arn:aws:iam::123456789012:role/iam-http-api/iam-http-api-dev-deployer' }],
    );
    expect(grantsOf(admin, API)).toBe('may invoke $default/*/* (may assume iam-http-api-dev-deployer)');
  });

  it('is unchanged for a user with invoke policies only', () => {
    expect(grantsOf(user([{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: [`${API}/$default/GET/*`] }]), API)).toBe('may invoke $default/GET/*');
  });
});
