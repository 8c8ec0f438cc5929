/**
 * Byte constants and character classes of HTTP/1.1 (RFC 9110, RFC 9112, RFC 3986), as 256-entry
 * tables: one load per byte decides membership, which is what keeps the front door's framing
 * scans cheap. Reads past the end of a buffer give `undefined`, which no table or constant matches.
 */

export const SP = 0x20;
export const HT = 0x09;
export const CR = 0x0d;
export const LF = 0x0a;
export const COLON = 0x3a;
export const COMMA = 0x2c;
/** The end of a head: the empty line after the last field (RFC 9112 §2.1). */
export const CRLFCRLF: Buffer = Buffer.from('\r\n\r\n', 'latin1');

function charTable(chars: string, ranges: ReadonlyArray<readonly [number, number]> = []): Uint8Array {
  const t = new Uint8Array(256);
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  for (const [lo, hi] of ranges) t.fill(1, lo, hi + 1);
  return t;
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** 1 for tchar (RFC 9110 §5.6.2): the characters of methods, field names and codings. */
export const TOKEN_CHARS: Uint8Array = charTable("!#$%&'*+-.^_`|~" + ALNUM);
/** 1 for field-vchar, SP, HTAB and obs-text (RFC 9110 §5.5): everything a field value may hold. */
export const FIELD_VALUE_CHARS: Uint8Array = charTable('\t', [[0x20, 0x7e], [0x80, 0xff]]);
/** Request-target: visible ASCII and obs-text, never whitespace or CTLs (RFC 9112 §3.2). */
export const TARGET_CHARS: Uint8Array = charTable('', [[0x21, 0x7e], [0x80, 0xff]]);
/** uri-host of a Host field (RFC 3986 §3.2.2): reg-name, pct-encoded, and ":" inside IP-literals. */
export const HOST_CHARS: Uint8Array = charTable("-._~!$&'()*+,;=%" + ALNUM);

/** Optional whitespace (RFC 9110 §5.6.3). `c` may be undefined: a read past the end of a buffer. */
export function isOws(c: number): boolean {
  return c === SP || c === HT;
}

/** True when bytes buf[at, at + name.length) equal the lower-case `name`, ignoring ASCII case. */
export function bytesAre(buf: Uint8Array, at: number, name: string): boolean {
  // `| 0x20` folds case. It is exact on bytes already checked to be tokens, field-value or
  // target characters: the only others it maps onto a letter, digit, "-", ":" or "/" are CTLs.
  for (let k = 0; k < name.length; k++) {
    if ((buf[at + k] | 0x20) !== name.charCodeAt(k)) return false;
  }
  return true;
}

/** True when bytes buf[at, at + s.length) are exactly the characters of the latin1 string `s`. */
export function bytesEqual(buf: Uint8Array, at: number, s: string): boolean {
  for (let k = 0; k < s.length; k++) {
    if (buf[at + k] !== s.charCodeAt(k)) return false;
  }
  return true;
}

/** A bare LF in a head not yet complete: refuse now rather than wait for a CRLFCRLF that may never come. */
export function hasBareLf(buf: Buffer, start: number): boolean {
  for (let i = buf.indexOf(LF, start); i >= 0; i = buf.indexOf(LF, i + 1)) {
    if (i === start || buf[i - 1] !== CR) return true;
  }
  return false;
}
