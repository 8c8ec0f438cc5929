import type { Binding } from './types.ts';
import { ConfigValueError, show } from './units.ts';

function badBinding(v: unknown, why: string): ConfigValueError {
  return new ConfigValueError(
    'CONFIG_BAD_BINDING',
    `invalid binding ${show(v)}: ${why}; use "host:port", "[::1]:port" or ":port" (all addresses)`,
  );
}

function parsePort(v: unknown, text: string): number {
  if (!/^\d{1,5}$/.test(text)) throw badBinding(v, `port ${JSON.stringify(text)} is not a number`);
  const port = Number(text);
  // Port 0 asks the kernel for a free port: handy for tests, and what Node's listen() does.
  if (port > 65535) throw badBinding(v, `port ${port} is above 65535`);
  return port;
}

/**
 * Reads a listen binding: "127.0.0.1:8080", "[::1]:8080", "localhost:8080", ":8080" or a bare
 * port (8080). An empty host means all addresses (Node's `listen()` without a host).
 */
export function parseBinding(v: unknown): Binding {
  if (typeof v === 'number') return { host: '', port: parsePort(v, String(v)), tls: false };
  if (typeof v !== 'string') throw badBinding(v, 'expected a string');
  let text = v.trim();
  // An https:// prefix asks for TLS; http:// is the default, accepted for symmetry.
  const scheme = /^(https?):\/\//i.exec(text);
  const tls = scheme !== null && scheme[1].toLowerCase() === 'https';
  if (scheme !== null) text = text.slice(scheme[0].length);
  return { ...parseAddress(v, text), tls };
}

function parseAddress(v: unknown, text: string): { host: string; port: number } {
  if (/^\d+$/.test(text)) return { host: '', port: parsePort(v, text) };

  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') throw badBinding(v, 'expected "[address]:port"');
    const host = text.slice(1, close).toLowerCase();
    if (!/^[0-9a-f:.]+$/.test(host)) throw badBinding(v, `${JSON.stringify(host)} is not an IPv6 address`);
    return { host, port: parsePort(v, text.slice(close + 2)) };
  }

  const colon = text.lastIndexOf(':');
  if (colon < 0) throw badBinding(v, 'no port');
  const host = text.slice(0, colon).toLowerCase();
  if (host.includes(':')) throw badBinding(v, 'an IPv6 address needs brackets');
  if (host !== '' && !/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(host)) {
    throw badBinding(v, `${JSON.stringify(host)} is not a host name or address`);
  }
  return { host, port: parsePort(v, text.slice(colon + 1)) };
}

/** The binding as text, the form the file uses ("127.0.0.1:8080", "[::1]:8080", ":8080", "https://…"). */
export function formatBinding(b: { readonly host: string; readonly port: number; readonly tls?: boolean }): string {
  const address = b.host.includes(':') ? `[${b.host}]:${b.port}` : `${b.host}:${b.port}`;
  return b.tls ? `https://${address}` : address;
}
