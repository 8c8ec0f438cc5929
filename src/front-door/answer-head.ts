/**
 * A worker's answer head as the front door passes it on to the client: whether the front door
 * closes the client's connection after it and must say so, and the head with `Connection: close`
 * added when it must.
 */
import type { RequestHead, ResponseHead } from './http-parser.ts';

/**
 * RFC 9112 §9.6: the client asked to close, so the front door closes after this response and
 * SHOULD say so. A worker that ignored the request's "close" did not: without the field a pooling
 * client would send its next request into a connection that is going away. A draining host
 * (`closing`) closes every connection after its answer and says so too, so the client sends its
 * next request on a new connection, which its balancer gives another host.
 */
export function closeToAnnounce(request: RequestHead, answer: ResponseHead, closing: boolean): boolean {
  return (!request.keepAlive || closing) && answer.keepAlive;
}

/** A response head (`headLength` bytes of `buf`, ending in CRLFCRLF) with `Connection: close` added. */
export function withConnectionClose(buf: Buffer, headLength: number): Buffer {
  return Buffer.concat([buf.subarray(0, headLength - 2), CONNECTION_CLOSE]);
}

const CONNECTION_CLOSE = Buffer.from('Connection: close\r\n\r\n', 'latin1');
