import { Router } from '../../src/gateway/route';

const router = new Router([
  { routeKey: '$default', authorizationType: 'AWS_IAM' },
  { routeKey: 'OPTIONS /{proxy+}', authorizationType: 'NONE' },
  { routeKey: 'GET /items', authorizationType: 'AWS_IAM' },
  { routeKey: 'GET /items/{id}', authorizationType: 'AWS_IAM' },
  { routeKey: 'GET /items/special', authorizationType: 'AWS_IAM' },
  { routeKey: 'ANY /items/{id}', authorizationType: 'AWS_IAM' },
  { routeKey: 'GET /files/{proxy+}', authorizationType: 'AWS_IAM' },
  { routeKey: 'GET /', authorizationType: 'AWS_IAM' },
]);

describe('route selection', () => {
  it.each([
    ['GET', '/items', 'GET /items', {}],
    ['GET', '/items/special', 'GET /items/special', {}],
    ['GET', '/items/42', 'GET /items/{id}', { id: '42' }],
    ['DELETE', '/items/42', 'ANY /items/{id}', { id: '42' }],
    ['GET', '/files/a/b/c.txt', 'GET /files/{proxy+}', { proxy: 'a/b/c.txt' }],
    ['GET', '/', 'GET /', {}],
    ['OPTIONS', '/items', 'OPTIONS /{proxy+}', { proxy: 'items' }],
    ['POST', '/items', '$default', {}],
    ['GET', '/Items', '$default', {}],
    ['GET', '/items/42/more', '$default', {}],
    ['GET', '/files/', '$default', {}],
    ['OPTIONS', '/', '$default', {}],
  ])('%s %s → %s', (method, path, routeKey, params) => {
    const match = router.match(method, path);
    expect(match?.route.routeKey).toBe(routeKey);
    expect(match?.pathParameters).toEqual(params);
  });

  it('finds nothing (404) when there is no $default route and nothing matches', () => {
    expect(new Router([{ routeKey: 'GET /a', authorizationType: 'NONE' }]).match('GET', '/b')).toBeUndefined();
  });
});
