import { ROUTE_KEY_FORMAT, routeKeyProblem, Router } from '../../src/gateway/route';

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
    // A trailing slash routes as if absent (powertools-lambda-python#1552, tested live).
    ['GET', '/items/', 'GET /items', {}],
    ['GET', '/items/42/', 'GET /items/{id}', { id: '42' }],
    ['GET', '/files/a/b/', 'GET /files/{proxy+}', { proxy: 'a/b' }],
  ])('%s %s → %s', (method, path, routeKey, params) => {
    const match = router.match(method, path);
    expect(match?.route.routeKey).toBe(routeKey);
    expect(match?.pathParameters).toEqual(params);
  });

  it('finds nothing (404) when there is no $default route and nothing matches', () => {
    expect(new Router([{ routeKey: 'GET /a', authorizationType: 'NONE' }]).match('GET', '/b')).toBeUndefined();
  });
});

describe('route keys, as API Gateway accepts them for HTTP APIs', () => {
  it.each([
    '$default', 'GET /', 'ANY /{proxy+}', 'OPTIONS /{proxy+}', 'GET /items/{id}', 'POST /items', 'DELETE /a/b/{c}/{rest+}',
    'PUT /v1.0/~me', 'PATCH /items/{item_id}', 'HEAD /a-b/c_d',
  ])('%s is one', (key) => {
    expect(routeKeyProblem(key)).toBeUndefined();
  });

  it.each([
    ['FOO', 'it is neither $default nor "METHOD /path" (one space between them)'],
    ['', 'it is neither $default nor "METHOD /path" (one space between them)'],
    ['$DEFAULT', 'it is neither $default nor "METHOD /path" (one space between them)'],
    ['GET  /items', 'it is neither $default nor "METHOD /path" (one space between them)'],
    ['GET /items ', 'it is neither $default nor "METHOD /path" (one space between them)'],
    ['get /items', 'the method "get" is not one of ANY, GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS'],
    ['TRACE /items', 'the method "TRACE" is not one of ANY, GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS'],
    ['GET items/{id', 'the path "items/{id" does not start with /'],
    ['GET /items/{id', 'the path segment "{id" is neither a literal, nor {name}, nor {name+}'],
    ['GET /items/{}', 'the path segment "{}" is neither a literal, nor {name}, nor {name+}'],
    ['GET /items/{id}x', 'the path segment "{id}x" is neither a literal, nor {name}, nor {name+}'],
    ['GET /items/{a-b}', 'the path segment "{a-b}" is neither a literal, nor {name}, nor {name+}'],
    ['GET /items/', 'the path "/items/" has an empty segment'],
    ['GET //items', 'the path "//items" has an empty segment'],
    ['GET /{proxy+}/items', 'the greedy path variable {proxy+} is not at the end of the path'],
    ['GET /items?x=1', 'the path segment "items?x=1" is neither a literal, nor {name}, nor {name+}'],
  ])('%j is not: %s', (key, problem) => {
    expect(routeKeyProblem(key)).toBe(problem);
  });

  it('says what a route key is', () => {
    expect(ROUTE_KEY_FORMAT).toBe('$default or "METHOD /path" with METHOD one of ANY, GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS and path segments that are literal, {name} or a final {name+}');
  });
});
