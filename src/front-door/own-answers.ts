/**
 * How the front door's own answers go out on a client connection (errors and refusals it makes
 * itself, after the request they answer is logged): whether the connection stays after them, and
 * the reset that stands for a pool that is down. RFC 9112 §9.6: an answer that ends the connection
 * says so.
 */
import type { Socket } from 'node:net';
import type { RequestHead } from './http-parser.ts';
import { cannedResponse } from './responses.ts';

/** RFC 9112 §9.6: a server that closes after its answer says so. */
const CLOSE: Readonly<Record<string, string>> = { Connection: 'close' };

/**
 * Sends the front door's own answer to a request (`reqDone`: read whole). The connection stays
 * only when the request was read whole and may be kept alive: true when the answer ended it.
 */
export function sendOwnAnswer(socket: Socket, head: RequestHead, reqDone: boolean, closing: boolean, status: number, text: string, headers: Readonly<Record<string, string>>): boolean {
  const close = !reqDone || !head.keepAlive || closing;
  const response = cannedResponse(status, text, close ? { ...headers, ...CLOSE } : headers, head.method);
  if (close) socket.end(response);
  else socket.write(response);
  return close;
}

/**
 * Sends the 404 for a request no site or application matches. A request with a body the front
 * door does not read ends the connection: true when the answer ended it.
 */
export function sendNotFound(socket: Socket, head: RequestHead, closing: boolean): boolean {
  const close = head.chunked || head.contentLength > 0 || !head.keepAlive || closing;
  const notFound = cannedResponse(404, 'No site or application matches this request.', close ? CLOSE : {}, head.method);
  if (close) socket.end(notFound);
  else socket.write(notFound);
  return close;
}

/** TcpLevel: a reset, so a layer-4 balancer sees the pool is down. */
export function resetConnection(socket: Socket): void {
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy(); // a TLS socket's handle cannot send a reset: close it instead
  }
}
