/**
 * What the installed curl's `--aws-sigv4` can and cannot call, as the README's curl note says.
 *
 * curl before 8.3 (Debian 12 has 7.88.1) puts the path and the query into the canonical request
 * exactly as they are sent: it neither sorts the query (curl/curl#9717) nor normalizes its
 * encoding (fixed by curl/curl#11806, 8.3.0), and it encodes the path once where AWS wants every
 * service but S3 to encode it twice (`/a%20b` → `/a%2520b`; later curls URI-encode the canonical
 * path for non-S3 services, lib/http_aws_sigv4.c `canon_path`). So a request verifies only when
 * its path and query are already what AWS's canonicalization makes of them. Each case asserts the
 * status the gateway really gives; the common cases (viewer GET, viewer POST denied, admin POST)
 * are in __tests__/gateway/signers.test.ts with the other signers.
 *
 * Other curl versions sign some of these differently, so this file runs only with a curl before
 * 8.3 and otherwise skips, saying why.
 */
import type { GatewayReply } from '../support/external-signers';
import { curlSigV4, curlVersion, versionBelow } from '../support/external-signers';
import { startTestGateway, type TestGateway } from '../support/gateway';

const SERVICE = 'execute-api';
const SIGNATURE_MISMATCH = {
  message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
};
const BAD_REQUEST = { message: 'Bad Request' };

const CURL = curlVersion();
const skipReason = !CURL ? 'curl is not installed' : versionBelow(CURL, 8, 3) ? undefined : `these cases pin curl before 8.3; this is curl ${CURL.text}`;
if (skipReason) console.warn(`Skipping the curl --aws-sigv4 cases: ${skipReason}.`);
const describeOldCurl = skipReason ? describe.skip : describe;

function expectAnswer(reply: GatewayReply, status: number, json: unknown): void {
  expect({ status: reply.status, json: JSON.parse(reply.text) as unknown }).toEqual({ status, json });
  expect(reply.headers['apigw-requestid']).toMatch(/^[A-Za-z0-9+/=]{16}$/);
}

describeOldCurl(`curl ${CURL?.text ?? ''} --aws-sigv4 (before 8.3) against the gateway`, () => {
  let gw: TestGateway;
  beforeAll(async () => { gw = await startTestGateway(); });
  afterAll(() => gw.close());

  /** A viewer GET of `target` (path and query exactly as given to curl). */
  const viaCurl = (target: string, extraArgs: readonly string[] = []) =>
    curlSigV4(gw.keys.get('viewer')!, { region: gw.stack.region, service: SERVICE }, { method: 'GET', url: `${gw.url}${target}` }, extraArgs);

  describe('works: a path of unreserved characters, a query already in canonical form', () => {
    it.each([
      ['letters, digits, "-", ".", "_", "~"', '/files/Item-1_v2.0~draft', '/files/Item-1_v2.0~draft'],
      ['a sorted query', '/items?a=1&b=2', '/items'],
      ['repeated keys with sorted values', '/items?a=1&a=2', '/items'],
      ['upper-case escapes, %20 for a space', '/items?q=hello%20world&x=%2F', '/items'],
      ['an escaped UTF-8 value', '/items?name=caf%C3%A9', '/items'],
    ])('%s: %s → 200', async (_what, target, echoedPath) => {
      expectAnswer(await viaCurl(target), 200, { method: 'GET', path: echoedPath, body: '' });
    });

    it('dot segments: curl removes them before signing and sending, so /items/../hello is a GET /hello → 200', async () => {
      expectAnswer(await viaCurl('/items/../hello'), 200, { method: 'GET', path: '/hello', body: '' });
    });
  });

  describe('fails: 403 signature mismatch (curl signs these as written; AWS canonicalizes them)', () => {
    it.each([
      ['a percent-encoded path (curl encodes it once, AWS twice)', '/files/caf%C3%A9'],
      ['a non-ASCII path as typed', '/files/café'],
      ['an encoded space in the path', '/files/a%20b/c'],
      ["a raw '+' in the path (AWS encodes it as %2B)", '/files/a+b'],
      ["a raw ',' in the path (every reserved character is encoded by AWS)", '/files/a,b'],
      ['an unsorted query', '/items?b=2&a=1'],
      ['repeated keys with unsorted values', '/items?a=2&a=1'],
      ["'+' for a space (AWS canonicalizes it to %20)", '/items?q=a+b'],
      ["a key without '=' (AWS canonicalizes it to 'a=')", '/items?a'],
      ['a lower-case escape (AWS canonicalizes %2f to %2F)', '/items?x=%2f'],
    ])('%s: %s → 403', async (_what, target) => {
      const reply = await viaCurl(target);
      expectAnswer(reply, 403, SIGNATURE_MISMATCH);
      expect(reply.headers['x-amzn-errortype']).toBe('InvalidSignatureException');
    });
  });

  describe('refused by the gateway with 400 before any signature check (as for every client)', () => {
    it.each([
      ['an empty segment', '/items//x', []],
      ['a dot segment sent as written (--path-as-is)', '/items/../hello', ['--path-as-is']],
    ])('%s: %s %j → 400', async (_what, target, extraArgs) => {
      expectAnswer(await viaCurl(target, extraArgs), 400, BAD_REQUEST);
    });
  });
});
