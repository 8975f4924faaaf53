import { InvokePermissions, sourceArns } from '../../src/gateway/invoke-permission';
import type { InvokePermission } from '../../src/gateway/load-permissions';
import type { LoadedStack } from '../../src/gateway/load-stack';

const EXECUTION_ARN = 'arn:aws:execute-api:us-east-1:123456789012:abc1234567';

/** The parts of a loaded stack the check reads. */
function stackWith(invokePermissions: InvokePermission[]): LoadedStack {
  return { executionArn: EXECUTION_ARN, stage: '$default', integration: { functionName: 'fn' }, invokePermissions } as unknown as LoadedStack;
}

const allowedFrom = (...sourceArns: (string | undefined)[]) =>
  new InvokePermissions(stackWith(sourceArns.map((sourceArn, i) => ({ address: `aws_lambda_permission.p${i}`, sourceArn }))));

describe('the source ARN API Gateway presents to Lambda: the matched route\'s', () => {
  it.each([
    ['$default', 'POST', [`${EXECUTION_ARN}/$default/$default`]],
    ['GET /items/{id}', 'GET', [`${EXECUTION_ARN}/$default/GET/items/{id}`]],
    ['OPTIONS /{proxy+}', 'OPTIONS', [`${EXECUTION_ARN}/$default/OPTIONS/{proxy+}`]],
    ['GET /', 'GET', [`${EXECUTION_ARN}/$default/GET/`]],
    // Not documented whether ANY or the request's method: both.
    ['ANY /things', 'DELETE', [`${EXECUTION_ARN}/$default/DELETE/things`, `${EXECUTION_ARN}/$default/ANY/things`]],
  ])('%s for %s', (routeKey, method, arns) => {
    expect(sourceArns(EXECUTION_ARN, '$default', routeKey, method)).toEqual(arns);
  });
});

describe('InvokePermissions: does a permission let API Gateway invoke the function from the route?', () => {
  it.each([
    // AWS CDK's HttpLambdaIntegration grants, and this project's stack.
    [`${EXECUTION_ARN}/*/*`, '$default', 'GET'],
    [`${EXECUTION_ARN}/*/*`, 'GET /items/{id}', 'GET'],
    [`${EXECUTION_ARN}/*/*/items/{id}`, 'GET /items/{id}', 'GET'],
    // The HTTP API console's, for the $default route.
    [`${EXECUTION_ARN}/*/$default`, '$default', 'PUT'],
    [`${EXECUTION_ARN}/$default/GET/items/{i?}`, 'GET /items/{id}', 'GET'],
    [`${EXECUTION_ARN}/*/*/things`, 'ANY /things', 'PATCH'],
    [`${EXECUTION_ARN}/*`, 'ANY /things', 'PATCH'],
    [undefined, '$default', 'GET'],
  ])('%s allows %s for %s', (sourceArn, routeKey, method) => {
    expect(allowedFrom(sourceArn).refusal(routeKey, method)).toBeUndefined();
  });

  it.each([
    [`${EXECUTION_ARN}/*/*/*`, '$default', 'GET', '$default/$default'],
    [`${EXECUTION_ARN}/*/GET/*`, '$default', 'GET', '$default/$default'],
    [`${EXECUTION_ARN}/*/POST/*`, 'GET /items/{id}', 'GET', '$default/GET/items/{id}'],
    [`${EXECUTION_ARN}/*/*/items/42`, 'GET /items/{id}', 'GET', '$default/GET/items/{id}'],
    // Case-sensitive, as ArnLike is.
    [`${EXECUTION_ARN}/*/get/*`, 'GET /items/{id}', 'GET', '$default/GET/items/{id}'],
    // Another API.
    ['arn:aws:execute-api:us-east-1:123456789012:other/*/*', '$default', 'GET', '$default/$default'],
  ])('%s refuses %s for %s', (sourceArn, routeKey, method, denied) => {
    expect(allowedFrom(sourceArn).refusal(routeKey, method)).toBe(
      `no aws_lambda_permission lets apigateway.amazonaws.com invoke fn from ${EXECUTION_ARN}/${denied}; the stack's permissions allow only aws_lambda_permission.p0 from ${sourceArn}`,
    );
  });

  it('reads a * that does not end an ARN segment as staying within it (the strict reading)', () => {
    expect(allowedFrom('arn:aws:execute-api:us-east-1:*/*/*').refusal('$default', 'GET')).toMatch(/^no aws_lambda_permission lets/);
    expect(allowedFrom('arn:aws:execute-api:us-east-1:*:abc1234567/*/*').refusal('$default', 'GET')).toBeUndefined();
  });

  it('needs an ANY route allowed both with ANY and with the request\'s method', () => {
    expect(allowedFrom(`${EXECUTION_ARN}/*/GET/things`).refusal('ANY /things', 'GET')).toBe(
      `no aws_lambda_permission lets apigateway.amazonaws.com invoke fn from ${EXECUTION_ARN}/$default/ANY/things; the stack's permissions allow only aws_lambda_permission.p0 from ${EXECUTION_ARN}/*/GET/things`
      + ' (the route is ANY /things: AWS does not document whether the source ARN names ANY or the request\'s method, so both must be allowed)',
    );
    expect(allowedFrom(`${EXECUTION_ARN}/*/GET/things`, `${EXECUTION_ARN}/*/ANY/things`).refusal('ANY /things', 'GET')).toBeUndefined();
  });

  it('counts only permissions that apply, and says when there are none', () => {
    const permissions = new InvokePermissions(stackWith([{ address: 'aws_lambda_permission.s3', ignored: 'principal "s3.amazonaws.com", not apigateway.amazonaws.com' }]));
    expect(permissions.refusal('$default', 'GET')).toBe(`no aws_lambda_permission lets apigateway.amazonaws.com invoke fn from ${EXECUTION_ARN}/$default/$default; the stack has none for this function`);
  });
});
