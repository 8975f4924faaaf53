/**
 * One canonical path (issue 10, finding 11): a path whose signature form, IAM ARN and route
 * could differ is refused with 400 before any check; every accepted path is left unchanged by
 * the SigV4 normalization signers apply, so signature, ARN, router and event agree.
 */
import * as http from 'node:http';
import fc from 'fast-check';
import { checkRequestPath } from '../../src/gateway/request-path';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { send, smithySign } from '../support/smithy-sign';

describe('checkRequestPath', () => {
  it.each([
    ['/', '/'],
    ['/items', '/items'],
    ['/items/', '/items/'],
    ['/a%20b/c', '/a b/c'],
    ['/caf%C3%A9', '/café'],
    ['/a*b/c', '/a*b/c'],
    ['/.well-known/x', '/.well-known/x'],
    ['/a/...', '/a/...'],
  ])('accepts %s as %s', (raw, decoded) => {
    expect(checkRequestPath(raw)).toEqual({ ok: true, decoded });
  });

  it.each([
    ['/public/../admin/secret', 'the path has a ".." segment'],
    ['/public/./x', 'the path has a "." segment'],
    ['/public/%2e%2e/admin', 'the path has a ".." segment'],
    ['/public/%2E/admin', 'the path has a "." segment'],
    ['/public/..%2Fadmin/secret', 'the path contains an encoded "/" (%2F)'],
    ['/a//b', 'the path has an empty segment ("//")'],
    ['//a', 'the path has an empty segment ("//")'],
    ['/a%5cb', 'the path contains an encoded "\\" (%5C)'],
    ['/a\\b', 'the path contains "\\"'],
    ['/percent%25done', 'the path contains an encoded "%" (%25)'],
    ['/q%3Fx', 'the path contains an encoded "?" (%3F)'],
    ['/h%23x', 'the path contains an encoded "#" (%23)'],
    ['/bad%zz', 'the path has a malformed percent-escape'],
    ['/bad%c3', 'the path is not valid percent-encoded UTF-8'],
    ['*', 'the path does not start with "/"'],
  ])('refuses %s: %s', (raw, reason) => {
    expect(checkRequestPath(raw)).toEqual({ ok: false, reason });
  });

  // Reference from RFC 3986 section 5.2.4 (remove_dot_segments) plus the merge of "//" that
  // SigV4 signers apply for services other than S3 ("Normalize URI paths according to RFC 3986.
  // Remove redundant and relative path components.", AWS's "Create a canonical request").
  function sigv4Normalize(path: string): string {
    const output: string[] = [];
    for (const segment of path.split('/')) {
      if (segment === '' || segment === '.') continue;
      if (segment === '..') output.pop();
      else output.push(segment);
    }
    return `/${output.join('/')}${output.length > 0 && path.endsWith('/') ? '/' : ''}`;
  }

  it('accepts only paths that signing, decoding and routing leave in one form (20,000 generated paths)', () => {
    const piece = fc.constantFrom('a', 'B', '.', '..', '%2e', '%2E', '%2F', '%2f', '%25', '%20', '%41', '%3F', '%23', '%5C', '%', '%zz', '*', '~', '-', 'é', '%C3%A9', '');
    const path = fc.array(fc.array(piece, { maxLength: 3 }).map((p) => p.join('')), { minLength: 1, maxLength: 5 }).map((segments) => `/${segments.join('/')}`);
    fc.assert(
      fc.property(path, (raw) => {
        const checked = checkRequestPath(raw);
        if (!checked.ok) return;
        // The signer's form is the path as sent: no dot segment or "//" to normalize away.
        expect(sigv4Normalize(raw)).toBe(raw);
        // Decoding cannot create a separator, a dot segment, or something to decode again.
        const decodedSegments = checked.decoded.split('/').slice(1);
        expect(decodedSegments).toHaveLength(raw.split('/').length - 1);
        for (const segment of decodedSegments) {
          expect(segment === '.' || segment === '..').toBe(false);
        }
        expect(sigv4Normalize(checked.decoded)).toBe(checked.decoded);
      }),
      { seed: 20261130, numRuns: 20_000 },
    );
  });
});

describe('local gateway: the path abuse of finding 11 is refused', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ config: { environments: { dev: { invokers: { reader: { allow: ['GET /public/*'] } } } } } });
  });
  afterAll(() => gw.close());

  /** Signs `GET <signedPath>` and sends it with `sentPath` on the wire, byte for byte. */
  async function sendRaw(signedPath: string, sentPath: string): Promise<{ status: number; body: string }> {
    const signed = await smithySign(gw.keys.get('reader')!, gw.stack.region, { method: 'GET', url: `${gw.url}${signedPath}` });
    return new Promise((resolve, reject) => {
      const url = new URL(gw.url);
      const req = http.request({ host: url.hostname, port: url.port, method: 'GET', path: sentPath, headers: signed.headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => { body += chunk; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('lets the reader GET /public/x and denies GET /admin/secret, explaining why in the log', async () => {
    expect((await sendRaw('/public/x', '/public/x')).status).toBe(200);
    const denied = await sendRaw('/admin/secret', '/admin/secret');
    expect(denied).toEqual({ status: 403, body: '{"message":"Forbidden"}' });
    const line = JSON.parse(gw.log.filter((l) => l.includes('"authorization"')).at(-1)!);
    expect(line.authorization).toBe(
      `reader: implicit deny: no statement allows execute-api:Invoke on ${gw.stack.executionArn}/$default/GET/admin/secret; ` +
      'nearest: statement 0 (InvokeAllowedRoutes) of inline policy invoke-api allows $default/GET/public/* only',
    );
  });

  it.each([
    ['/public/../admin/secret', 'the path has a ".." segment'],
    ['/public/%2e%2e/admin/secret', 'the path has a ".." segment'],
    ['/public/..%2Fadmin/secret', 'the path contains an encoded "/" (%2F)'],
    ['/public//../admin/secret', 'the path has an empty segment ("//")'],
  ])('answers %s (signed as /admin/secret) with 400 before checking anything', async (sent, reason) => {
    const before = gw.log.length;
    expect(await sendRaw('/admin/secret', sent)).toEqual({ status: 400, body: '{"message":"Bad Request"}' });
    const refused = gw.log.slice(before).map((l) => JSON.parse(l)).find((l) => l.refused);
    expect(refused.refused).toBe(`GET ${sent}: ${reason}`);
  });

  it('allows a trailing-slash path only when both its ARN forms are allowed (AWS does not say which IAM sees)', async () => {
    expect((await sendRaw('/public/x/', '/public/x/')).status).toBe(200);
    // ".../GET/public/" is allowed by GET/public/*, ".../GET/public" is not: the stricter answer.
    expect((await sendRaw('/public/', '/public/')).status).toBe(403);
  });

  it('decides on both the sent and the decoded form of an encoded path', async () => {
    const response = await smithySign(gw.keys.get('reader')!, gw.stack.region, { method: 'GET', url: `${gw.url}/public/a%20b` }).then(send);
    expect(response.status).toBe(200);
    expect(response.json()).toMatchObject({ path: '/public/a b' });
  });
});
