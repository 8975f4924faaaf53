/**
 * LocalGateway.update (watch mode's stack swap): a request in flight finishes with the stack it
 * started with, the next one sees the new stack, a removed invoker's key is refused as AWS
 * refuses a deleted user's, and the port stays.
 */
import * as path from 'node:path';
import { FIXTURES, startTestGateway, type TestGateway } from '../support/gateway';
import { send, smithySign } from '../support/smithy-sign';

describe('LocalGateway.update', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ integration: { bundleFile: path.join(FIXTURES, 'slow.mjs') }, workers: 2 });
  });
  afterAll(async () => gw.close());

  const get = async (invoker: string, urlPath: string) =>
    send(await smithySign(gw.keys.get(invoker)!, gw.stack.region, { method: 'GET', url: `${gw.url}${urlPath}` }));

  it('finishes the request in flight on the old stack and refuses a removed invoker from then on', async () => {
    const inFlight = get('editor', '/slow?n=600');
    // Signed, authorized and handed to the Lambda before the swap.
    await new Promise((resolve) => setTimeout(resolve, 250));
    const url = gw.url;
    const without = { ...gw.stack, invokers: gw.stack.invokers.filter((i) => i.name !== 'editor') };
    gw.gateway.update(without, new Map([...gw.keys].filter(([name]) => name !== 'editor')));

    const refused = await get('editor', '/hello');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('x-amzn-errortype')).toBe('UnrecognizedClientException');
    expect(refused.json()).toEqual({ message: 'The security token included in the request is invalid.' });
    expect((await get('viewer', '/hello')).status).toBe(200);
    const answered = await inFlight;
    expect(answered.status).toBe(200);
    expect(answered.json()).toEqual({ slept: 600, path: '/slow' });
    expect(gw.gateway.url).toBe(url);

    // Back: the same key works again.
    gw.gateway.update(gw.stack, gw.keys);
    expect((await get('editor', '/hello')).status).toBe(200);
  });
});
