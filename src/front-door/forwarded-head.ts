/**
 * The request head as it goes to the worker: the client's own bytes, plus the fields the front
 * door vouches for (DESIGN §5). Every header the front door adds or drops is decided here, in one
 * place, for every upstream protocol that sends an HTTP head.
 */
import type { RequestHead } from './http-parser.ts';
import { prefixField, strippedRequestLine, type MountedApp } from './forwarded-prefix.ts';
import { withoutAdminCookie } from './admin-cookie.ts';

/** Who asked, as the front door saw it. */
export interface ForwardedFor {
  /** The client's address (IPv4-mapped IPv6 unwrapped). */
  readonly forwardedFor: string;
  /** `http` or `https`: the scheme the client used at the front door. */
  readonly proto: string;
}

/**
 * The head sent to the worker: the client's, plus X-Forwarded-For/-Proto/-Host, and for an app
 * below "/" X-Forwarded-Prefix, with the prefix taken off the path where the app says stripPrefix
 * (forwarded-prefix.ts).
 */
export function buildForwardedHead(head: RequestHead, raw: Buffer, client: ForwardedFor, app: MountedApp | null = null): Buffer[] {
  // RFC 9112 §3.2.2: the authority of an absolute-form target is the request's host, whatever the
  // Host field says. It routed the request, so it is the Host the worker is told, with the target
  // in origin-form, as an origin server expects it (RFC 9112 §3.2.1).
  const authority = head.authority;
  const host = authority ?? head.hostRaw ?? '';
  const extra = `X-Forwarded-For: ${client.forwardedFor}\r\nX-Forwarded-Proto: ${client.proto}\r\nX-Forwarded-Host: ${host}\r\n${prefixField(app)}\r\n`;
  const requestLine = strippedRequestLine(app, head) ?? (authority === null ? null : `${head.method} ${originTarget(head.target)} HTTP/1.${head.versionMinor}\r\n`);
  // The dashboard's cookie never reaches a worker (admin-cookie.ts); the parser noted whether it came.
  const adminCookie = head.hasAdminCookie;
  if (requestLine !== null) {
    const fields = raw.toString('latin1', head.requestLineEnd, head.headLength - 2).split('\r\n');
    const hostField = authority === null ? '' : `Host: ${authority}\r\n`;
    return [Buffer.from(requestLine + hostField + withoutForwarded(fields, head, adminCookie).join('') + extra, 'latin1')];
  }
  if (!head.hasForwardedHeaders && !adminCookie) {
    // An X-Forwarded-For from the client stays: a second field line appends to the list (RFC 9110 §5.3).
    // One buffer, so the head goes out in one write(2) rather than a writev of two parts.
    const start = head.headStart;
    const end = head.headLength - 2;
    const out = Buffer.allocUnsafe(end - start + extra.length);
    raw.copy(out, 0, start, end);
    out.write(extra, end - start, 'latin1');
    return [out];
  }
  const lines = raw.toString('latin1', head.requestLineEnd, head.headLength - 2).split('\r\n');
  return [raw.subarray(head.headStart, head.requestLineEnd), Buffer.from(withoutForwarded(lines, head, adminCookie).join('') + extra, 'latin1')];
}

/**
 * Field lines with CRLF; the client may not claim a scheme, host or prefix on the front door's
 * behalf. With an absolute-form target the Host field goes too: the target's authority replaces it.
 */
function withoutForwarded(lines: readonly string[], head: RequestHead, adminCookie = false): string[] {
  const out: string[] = [];
  const dropHost = head.authority !== null;
  for (const l of lines) {
    if (l === '') continue;
    if (head.hasForwardedHeaders || dropHost || adminCookie) {
      const colon = l.indexOf(':');
      const name = l.slice(0, colon).trimEnd().toLowerCase();
      if (name === 'x-forwarded-proto' || name === 'x-forwarded-host' || name === 'x-forwarded-prefix') continue;
      if (dropHost && name === 'host') continue;
      if (adminCookie && name === 'cookie') {
        const kept = withoutAdminCookie(l.slice(colon + 1).trim());
        if (kept !== null) out.push(`${l.slice(0, colon)}: ${kept}\r\n`);
        continue;
      }
    }
    out.push(l + '\r\n');
  }
  return out;
}

/** The origin-form of an absolute-form target: "http://h:81/a?q" → "/a?q", "http://h?q" → "/?q". */
export function originTarget(target: string): string {
  const from = target.indexOf('//') + 2;
  let i = from;
  while (i < target.length && target[i] !== '/' && target[i] !== '?') i++;
  const rest = target.slice(i);
  return rest === '' || rest[0] === '?' ? '/' + rest : rest;
}
