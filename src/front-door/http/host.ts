/**
 * Host normalisation for routing (RFC 9110 §7.2, RFC 3986 §3.2.2): lower case, no port, and
 * nothing outside uri-host, so a Host such as "a@b" or "a b" cannot confuse the router. Clients send
 * the same Host again and again, so the last value and its answer are remembered.
 */
import { bytesEqual, COLON, HOST_CHARS } from './chars.ts';

let lastHostRaw = '';
let lastHost: string | null = '';

/**
 * Lower-cases a Host value and strips its port; null if invalid.
 * Userinfo ("@") and anything outside uri-host are refused so routing cannot be confused.
 * @example normalizeHost('Shop.Example:8080') // 'shop.example'
 */
export function normalizeHost(raw: string): string | null {
  if (raw === lastHostRaw) return lastHost;
  const host = hostOf(raw);
  lastHostRaw = raw;
  lastHost = host;
  return host;
}

/**
 * The Host field value in bytes buf[from, to) as a string. When the bytes are the last Host's, its
 * string comes back, so a client's repeated Host allocates nothing and `normalizeHost` answers
 * from its memory.
 */
export function hostValue(buf: Buffer, from: number, to: number): string {
  const last = lastHostRaw;
  if (to - from === last.length && bytesEqual(buf, from, last)) return last;
  return buf.toString('latin1', from, to);
}

function hostOf(raw: string): string | null {
  let end = raw.length;
  let i = 0;
  if (raw.charCodeAt(0) === 0x5b) {
    end = raw.indexOf(']');
    if (end < 0) return null;
    end++;
    i = 1;
  }
  const portAt = raw.indexOf(':', i === 1 ? end : 0);
  if (i === 1 && end < raw.length && portAt !== end) return null;
  if (i === 0 && portAt >= 0) end = portAt;
  if (portAt >= 0) {
    if (raw.length - portAt - 1 > 5) return null;
    for (let k = portAt + 1; k < raw.length; k++) {
      const d = raw.charCodeAt(k);
      if (d < 0x30 || d > 0x39) return null;
    }
  }
  let upper = false;
  for (let k = i; k < end - i; k++) {
    const c = raw.charCodeAt(k);
    if (HOST_CHARS[c] !== 1 && !(i === 1 && c === COLON)) return null;
    if (c >= 0x41 && c <= 0x5a) upper = true;
  }
  const host = end === raw.length ? raw : raw.slice(0, end);
  return upper ? host.toLowerCase() : host;
}
