/**
 * DNS rebinding guard of the admin TCP binding: a page on another site can make a browser resolve
 * its own name to this address and then read the answers as same-origin. The browser still sends
 * that name in `Host` (RFC 9110 §7.2), so only names the operator means are answered: the
 * binding's address (or the address the connection reached, for a wildcard binding), localhost,
 * and `admin.hosts`.
 */
import type { IncomingMessage } from 'node:http';

/** `Host` without its port and brackets, lower-cased; null when absent. */
export function hostName(header: string | undefined): string | null {
  if (!header) return null;
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end < 0 ? null : h.slice(1, end);
  }
  const colon = h.lastIndexOf(':');
  return colon >= 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}

function bare(address: string): string {
  const a = address.toLowerCase().replace(/^\[|\]$/g, '');
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

function matches(name: string, pattern: string): boolean {
  const p = pattern.toLowerCase();
  if (p === '*') return true;
  if (p.startsWith('*.')) return name.endsWith(p.slice(1)) && name.length > p.length - 1;
  return name === p;
}

/** Whether `req` names a host the admin TCP binding on `bindHost` answers to. */
export function hostAllowed(req: IncomingMessage, bindHost: string, extra: readonly string[]): boolean {
  const name = hostName(req.headers.host);
  if (name === null) return false;
  const allowed = new Set(['localhost', '127.0.0.1', '::1']);
  const bound = bare(bindHost);
  if (bound !== '0.0.0.0' && bound !== '::' && bound !== '') allowed.add(bound);
  if (req.socket.localAddress) allowed.add(bare(req.socket.localAddress));
  if (allowed.has(bare(name))) return true;
  return extra.some((p) => matches(name, p));
}
