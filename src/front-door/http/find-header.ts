/** Looking up one field of a head that has already been parsed (not on the request path). */
import { COLON } from './chars.ts';

/** True when s[from, from + name.length) equals the lower-case `name`, ignoring ASCII case. */
function nameIs(s: string, from: number, name: string): boolean {
  for (let k = 0; k < name.length; k++) {
    if ((s.charCodeAt(from + k) | 0x20) !== name.charCodeAt(k)) return false;
  }
  return true;
}

/** The first value of field `name` (any case) in an already parsed head, trimmed; null when absent. */
export function findHeaderValue(buf: Buffer, head: { readonly headLength: number }, name: string): string | null {
  const s = buf.toString('latin1', 0, head.headLength);
  const want = name.toLowerCase();
  let first = 0;
  while (s.startsWith('\r\n', first)) first += 2; // empty lines before the request line
  for (let p = s.indexOf('\r\n', first) + 2; p < s.length - 2; p = s.indexOf('\r\n', p) + 2) {
    if (s.charCodeAt(p + want.length) === COLON && nameIs(s, p, want)) {
      const eol = s.indexOf('\r\n', p);
      return s.slice(p + want.length + 1, eol).trim();
    }
  }
  return null;
}
