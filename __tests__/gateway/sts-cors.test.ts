/**
 * The local STS's CORS rules (src/gateway/sts-cors.ts), pure: which origins may read STS's
 * answers (the page's and the stack's, never `*`), preflight answers and the headers on every
 * answer. The same over HTTP and in Chromium: __tests__/clients/web-page.test.ts.
 */
import { normalizeOrigin, stsAllowedOrigins, stsCorsHeaders, stsPreflight } from '../../src/gateway/sts-cors';

const PAGE = 'http://127.0.0.1:5173';

describe('stsAllowedOrigins', () => {
  it('is the page\'s origin and the stack\'s cors.allowOrigins, normalized, without * or non-origins', () => {
    expect(stsAllowedOrigins([PAGE], ['http://LOCALHOST:5173/', '*', 'not a url', PAGE])).toEqual([PAGE, 'http://localhost:5173']);
  });

  it('is empty with a stack that allows * and no page: * never reaches the STS', () => {
    expect(stsAllowedOrigins([], ['*'])).toEqual([]);
  });
});

describe('normalizeOrigin', () => {
  it.each([
    ['https://App.Example.com', 'https://app.example.com'],
    ['https://app.example.com:443', 'https://app.example.com'],
    ['http://127.0.0.1:5173/', PAGE],
    ['null', undefined],
    ['file:///tmp/x.html', undefined],
  ])('%s → %s', (input, expected) => {
    expect(normalizeOrigin(input)).toBe(expected);
  });
});

describe('stsPreflight', () => {
  const allowed = [PAGE];

  it('is undefined for requests that are not preflights (the STS answers them itself)', () => {
    expect(stsPreflight(allowed, 'POST', { origin: PAGE, 'access-control-request-method': 'POST' })).toBeUndefined();
    expect(stsPreflight(allowed, 'OPTIONS', { origin: PAGE })).toBeUndefined();
    expect(stsPreflight(allowed, 'OPTIONS', { 'access-control-request-method': 'POST' })).toBeUndefined();
  });

  it('answers an allowed origin with 204, echoing the origin as sent, never * and never credentials', () => {
    const answer = stsPreflight(allowed, 'OPTIONS', { origin: 'http://127.0.0.1:5173', 'access-control-request-method': 'POST' })!;
    expect(answer.status).toBe(204);
    expect(answer.headers['access-control-allow-origin']).toBe('http://127.0.0.1:5173');
    expect(answer.headers['access-control-allow-headers']).toContain('x-amz-security-token');
    expect(answer.headers).not.toHaveProperty('access-control-allow-credentials');
    expect(answer.headers.vary).toBe('Origin');
  });

  it('refuses any other origin with 403 and no Access-Control-* header', () => {
    const answer = stsPreflight(allowed, 'OPTIONS', { origin: 'https://evil.example', 'access-control-request-method': 'POST' })!;
    expect(answer.status).toBe(403);
    expect(Object.keys(answer.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
    expect(answer.body).toBe('CORS preflight refused: the local STS answers pages from the browser page\'s origin and the stack\'s cors.allowOrigins only, not https://evil.example.\n');
  });
});

describe('stsCorsHeaders', () => {
  it('names an allowed origin and exposes the request id; Vary: Origin always', () => {
    expect(stsCorsHeaders([PAGE], PAGE)).toEqual({ 'access-control-allow-origin': PAGE, 'access-control-expose-headers': 'x-amzn-requestid', vary: 'Origin' });
    expect(stsCorsHeaders([PAGE], 'http://127.0.0.1:5174')).toEqual({ vary: 'Origin' });
    expect(stsCorsHeaders([PAGE], undefined)).toEqual({ vary: 'Origin' });
  });
});
