/**
 * What the gateway and the local STS both need when Node's HTTP parser gives up on a client
 * (`clientError`: malformed HTTP, headers over the limit, a request slower than the timeouts):
 * whether part of an answer already went out on the socket (then nothing more may be written),
 * and whether the refused request was a HEAD (then the answer has no body, or the client reads
 * it as a second, broken response).
 */
import type * as http from 'node:http';
import type { Duplex } from 'node:stream';

/** Node's own clientError handler makes the same check before answering. */
export function answerInFlight(socket: Duplex): boolean {
  const inFlight = (socket as Duplex & { _httpMessage?: http.ServerResponse | null })._httpMessage;
  return inFlight?.headersSent === true;
}

/**
 * The method is known only from the bytes Node was parsing (`rawPacket`): best effort, enough for
 * a request sent at once.
 */
export function refusedHead(error: NodeJS.ErrnoException): boolean {
  const rawPacket = (error as NodeJS.ErrnoException & { rawPacket?: Buffer }).rawPacket;
  return Buffer.isBuffer(rawPacket) && rawPacket.subarray(0, 5).toString('latin1') === 'HEAD ';
}
