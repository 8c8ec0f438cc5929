/**
 * The request head as it goes to the worker: the client's own bytes, plus the fields the front
 * door vouches for (DESIGN §5). Every header the front door adds or drops is decided here, in one
 * place, for every upstream protocol that sends an HTTP head.
 */
import type { RequestHead } from './http-parser.ts';

/** Who asked, as the front door saw it. */
export interface ForwardedFor {
  /** The client's address (IPv4-mapped IPv6 unwrapped). */
  readonly forwardedFor: string;
  /** `http` or `https`: the scheme the client used at the front door. */
  readonly proto: string;
}

/** The head sent to the worker: the client's, plus X-Forwarded-For/-Proto/-Host. */
export function buildForwardedHead(head: RequestHead, raw: Buffer, client: ForwardedFor): Buffer[] {
  const host = head.hostRaw ?? '';
  const extra = `X-Forwarded-For: ${client.forwardedFor}\r\nX-Forwarded-Proto: ${client.proto}\r\nX-Forwarded-Host: ${host}\r\n\r\n`;
  if (!head.hasForwardedHeaders) {
    // An X-Forwarded-For from the client stays: a second field line appends to the list (RFC 9110 §5.3).
    // One buffer, so the head goes out in one write(2) rather than a writev of two parts.
    const start = head.headStart;
    const end = head.headLength - 2;
    const out = Buffer.allocUnsafe(end - start + extra.length);
    raw.copy(out, 0, start, end);
    out.write(extra, end - start, 'latin1');
    return [out];
  }
  // The client may not claim a scheme or host on the front door's behalf: drop its lines.
  const lines = raw.toString('latin1', head.requestLineEnd, head.headLength - 2).split('\r\n');
  const kept = lines.filter((l) => {
    const name = l.slice(0, l.indexOf(':')).toLowerCase();
    return name !== 'x-forwarded-proto' && name !== 'x-forwarded-host';
  });
  return [raw.subarray(head.headStart, head.requestLineEnd), Buffer.from(kept.join('\r\n') + extra, 'latin1')];
}
