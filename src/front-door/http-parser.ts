/**
 * Strict HTTP/1.1 framing for the front door (RFC 9112). The front door forwards raw bytes and
 * parses only what decides where a message ends and where it goes, so any leniency here is a
 * request-smuggling hole between us and the worker's own parser. Rules follow llhttp's strict
 * mode: one Content-Length or `Transfer-Encoding: chunked`, never both; no obs-fold; no bare CR
 * or LF; token characters in methods and field names; no CTLs in field values.
 *
 * Hot path: one native search for CRLFCRLF, one latin1 decode of the head, then a single pass
 * over the one-byte string with table lookups. Error `reason`s are HTTP.sys httperr reasons
 * (`Header`, `Verb`, `URL_Length`, ...) so the access log reads like IIS's.
 */

const SP = 0x20;
const HT = 0x09;
const CR = 0x0d;
const LF = 0x0a;
const COLON = 0x3a;
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');

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
const TARGET_CHARS = charTable('', [[0x21, 0x7e], [0x80, 0xff]]);
/** uri-host of a Host field (RFC 3986 §3.2.2): reg-name, pct-encoded, and ":" inside IP-literals. */
const HOST_CHARS = charTable("-._~!$&'()*+,;=%" + ALNUM);

/** HTTP.sys httperr reasons, which the access log uses for refusals the front door makes itself. */
export type HttpSysReason =
  | 'BadRequest' | 'Header' | 'Hostname' | 'Invalid_CR/LF' | 'N/I' | 'Number' | 'EntityTooLarge'
  | 'RequestLength' | 'URL' | 'URL_Length' | 'Verb' | 'Version_N/S';

/** The status the front door answers with; 502 for a worker's response it cannot frame. */
export type ParseErrorStatus = 400 | 413 | 414 | 431 | 501 | 502 | 505;

/** A head the front door must refuse; `code` is stable, `message` is for people. */
export interface ParseError {
  readonly kind: 'error';
  readonly status: ParseErrorStatus;
  readonly code: string;
  readonly reason: HttpSysReason;
  readonly message: string;
}

/** Outcome of parsing a head: wait for more bytes, refuse, or go. */
export type ParseResult<T> =
  | { readonly kind: 'incomplete' }
  | ParseError
  | { readonly kind: 'ok'; readonly head: T };

/** The framing and routing facts of a request head. Offsets are indexes into the parsed buffer. */
export interface RequestHead {
  /** Method token as sent (methods are case-sensitive), e.g. "GET". */
  readonly method: string;
  /** Request-target as sent, e.g. "/a/b?x=1". */
  readonly target: string;
  /** Target without query or fragment, for routing; "/p" for "http://h/p"; "*" for `OPTIONS *`. */
  readonly path: string;
  readonly versionMinor: 0 | 1;
  /** Lower-cased host without port ("[::1]:8080" -> "[::1]"); from the target in absolute-form (RFC 9112 §3.2.2). */
  readonly host: string | null;
  /** The Host field as sent, or null when absent (allowed for HTTP/1.0 only). */
  readonly hostRaw: string | null;
  /** -1 when absent; a request with neither this nor `chunked` has no body (RFC 9112 §6.3). */
  readonly contentLength: number;
  readonly chunked: boolean;
  /** RFC 9112 §9.3: 1.1 persists unless "close"; 1.0 only with "keep-alive". */
  readonly keepAlive: boolean;
  /** HTTP/1.1 with `Connection: upgrade` and an Upgrade field (WebSocket). */
  readonly upgrade: boolean;
  readonly expectContinue: boolean;
  /** Offset just past the head's final CRLFCRLF: the body or the next pipelined request starts here. */
  readonly headLength: number;
  /** Offset of the request line; bytes before it are empty lines ignored per RFC 9112 §2.2 (almost always 0). */
  readonly headStart: number;
  /** Offset just past the request line's CRLF: where the front door can insert X-Forwarded-*. */
  readonly requestLineEnd: number;
  /** The client sent X-Forwarded-Proto or X-Forwarded-Host, which the front door must strip. */
  readonly hasForwardedHeaders: boolean;
}

/** The framing facts of a worker's response head. */
export interface ResponseHead {
  readonly status: number;
  readonly versionMinor: 0 | 1;
  /** -1 when absent. */
  readonly contentLength: number;
  /** Transfer-Encoding whose final coding is chunked. */
  readonly chunked: boolean;
  /**
   * False for `Connection: close`, 1.0 without keep-alive, or a Transfer-Encoding not ending in
   * chunked. A `'close'` {@link responseBodyKind} also ends the connection whatever this says.
   */
  readonly keepAlive: boolean;
  readonly headLength: number;
}

const INCOMPLETE = Object.freeze({ kind: 'incomplete' as const });

function fail(status: ParseErrorStatus, code: string, reason: HttpSysReason, message: string): ParseError {
  return { kind: 'error', status, code, reason, message };
}

// Connection option bits (RFC 9110 §7.6.1).
const CONN_CLOSE = 1;
const CONN_KEEP_ALIVE = 2;
const CONN_UPGRADE = 4;
// Transfer-Encoding outcomes (RFC 9112 §6.1, §6.3).
const TE_NONE = 0;
const TE_CHUNKED = 1; // exactly "chunked"
const TE_CHUNKED_LAST = 2; // other codings, then chunked
const TE_OTHER = 3; // chunked is not the final coding

/**
 * What the header fields said. One module-level instance is reused by every parse (parsing is
 * synchronous), so scanning headers allocates nothing but the strings it keeps.
 */
class FieldScan {
  hostCount = 0;
  hostRaw: string | null = null;
  contentLength = -1;
  clCount = 0;
  te = TE_NONE;
  teCount = 0;
  conn = 0;
  upgradeField = false;
  expectContinue = false;
  forwarded = false;
  reset(): void {
    this.hostCount = 0;
    this.hostRaw = null;
    this.contentLength = -1;
    this.clCount = 0;
    this.te = TE_NONE;
    this.teCount = 0;
    this.conn = 0;
    this.upgradeField = false;
    this.expectContinue = false;
    this.forwarded = false;
  }
}
const fields = new FieldScan();

/** True when s[from, from + name.length) equals the lower-case `name`, ignoring ASCII case. */
function nameIs(s: string, from: number, name: string): boolean {
  // `| 0x20` folds case; safe because the field name was already checked to be a token.
  for (let k = 0; k < name.length; k++) {
    if ((s.charCodeAt(from + k) | 0x20) !== name.charCodeAt(k)) return false;
  }
  return true;
}

function isOws(c: number): boolean {
  return c === SP || c === HT;
}

/** Bits of the Connection options listed in s[from, to). */
function connectionOptions(s: string, from: number, to: number): number {
  // Nearly every request says just one of these.
  if (to - from === 10 && nameIs(s, from, 'keep-alive')) return CONN_KEEP_ALIVE;
  if (to - from === 5 && nameIs(s, from, 'close')) return CONN_CLOSE;
  let bits = 0;
  let i = from;
  while (i < to) {
    while (i < to && (isOws(s.charCodeAt(i)) || s.charCodeAt(i) === 0x2c)) i++;
    const begin = i;
    while (i < to && s.charCodeAt(i) !== 0x2c) i++;
    let end = i;
    while (end > begin && isOws(s.charCodeAt(end - 1))) end--;
    const n = end - begin;
    if (n === 5 && nameIs(s, begin, 'close')) bits |= CONN_CLOSE;
    else if (n === 10 && nameIs(s, begin, 'keep-alive')) bits |= CONN_KEEP_ALIVE;
    else if (n === 7 && nameIs(s, begin, 'upgrade')) bits |= CONN_UPGRADE;
  }
  return bits;
}

/** Classifies a Transfer-Encoding list in s[from, to) by its final coding. */
function transferCoding(s: string, from: number, to: number): number {
  const comma = s.lastIndexOf(',', to - 1);
  let begin = comma >= from ? comma + 1 : from;
  while (begin < to && isOws(s.charCodeAt(begin))) begin++;
  if (to - begin !== 7 || !nameIs(s, begin, 'chunked')) return TE_OTHER;
  return comma >= from ? TE_CHUNKED_LAST : TE_CHUNKED;
}

/**
 * The whole field section in one native pass (RFC 9112 §5, RFC 9110 §5.5): token names right
 * against the colon, values of field-vchar, SP, HTAB and obs-text only, every line ended by CRLF,
 * then the empty line. This is what keeps the parser fast; `fieldSyntaxError` walks the same
 * grammar by hand to say what was wrong with a section this refuses.
 */
const FIELD_SECTION = /(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e\x80-\xff]*\r\n)*\r\n/y;

/**
 * Validates the field lines of a head decoded into `s`, from `p` to the head's end `n`, and
 * records the ones that matter into `fields`.
 * `bad` is the status for a malformed field: 400 for requests, 502 for a worker's response.
 */
function scanFields(s: string, p: number, n: number, bad: 400 | 502): ParseError | null {
  FIELD_SECTION.lastIndex = p;
  if (!FIELD_SECTION.test(s) || FIELD_SECTION.lastIndex !== n) return fieldSyntaxError(s, p, bad);
  fields.reset();
  while (s.charCodeAt(p) !== CR) {
    const colon = s.indexOf(':', p);
    let vStart = colon + 1;
    while (isOws(s.charCodeAt(vStart))) vStart++;
    const eol = s.indexOf('\r', vStart);
    let vEnd = eol;
    while (vEnd > vStart && isOws(s.charCodeAt(vEnd - 1))) vEnd--;
    const err = noteField(s, p, colon - p, vStart, vEnd, bad);
    if (err !== null) return err;
    p = eol + 2;
  }
  return null;
}

/** Why `FIELD_SECTION` refused the field lines of `s` from `p`: the first rule they break. */
function fieldSyntaxError(s: string, p: number, bad: 400 | 502): ParseError {
  for (;;) {
    let c = s.charCodeAt(p);
    if (c === CR) {
      // The head was cut at its first CRLFCRLF, so a CR opening a line is the final one, or bare.
      if (s.charCodeAt(p + 1) === LF) break;
      return fail(bad, 'BARE_CR', 'Invalid_CR/LF', 'CR not followed by LF');
    }
    // RFC 9112 §5.2: obs-fold is rejected, as is whitespace before the first field (§2.2).
    if (isOws(c)) return fail(bad, 'OBS_FOLD', 'Header', 'field line starts with whitespace (obs-fold)');
    const nameStart = p;
    while (TOKEN_CHARS[c] === 1) c = s.charCodeAt(++p);
    if (c !== COLON || p === nameStart) {
      if (c === LF) return fail(bad, 'BARE_LF', 'Invalid_CR/LF', 'LF not preceded by CR');
      if (p > nameStart && isOws(c)) {
        // RFC 9112 §5.1: whitespace between name and colon MUST be rejected with 400.
        return fail(bad, 'SPACE_BEFORE_COLON', 'Header', 'whitespace between field name and colon');
      }
      return fail(bad, 'INVALID_HEADER_NAME', 'Header', 'field name is not a token followed by a colon');
    }
    c = s.charCodeAt(++p);
    while (FIELD_VALUE_CHARS[c] === 1) c = s.charCodeAt(++p);
    if (c === LF) return fail(bad, 'BARE_LF', 'Invalid_CR/LF', 'LF not preceded by CR');
    if (c !== CR) return fail(bad, 'INVALID_HEADER_VALUE', 'Header', 'control character in a field value');
    if (s.charCodeAt(p + 1) !== LF) return fail(bad, 'BARE_CR', 'Invalid_CR/LF', 'CR not followed by LF');
    p += 2;
  }
  // Unreachable while the walk and the pattern agree; the tests check that they do.
  return fail(bad, 'INVALID_FIELD_SECTION', 'Header', 'malformed field section');
}

/** Records one field if it bears on framing, routing or forwarding. */
function noteField(s: string, at: number, len: number, vStart: number, vEnd: number, bad: 400 | 502): ParseError | null {
  switch (len) {
    case 4:
      if (nameIs(s, at, 'host')) {
        if (++fields.hostCount > 1) return fail(bad, 'DUPLICATE_HOST', 'Hostname', 'more than one Host field');
        // The same Host as last time: reuse its string, and normalizeHost's cached answer.
        const last = lastHostRaw;
        fields.hostRaw = vEnd - vStart === last.length && s.startsWith(last, vStart) ? last : s.slice(vStart, vEnd);
      }
      break;
    case 6:
      if (nameIs(s, at, 'expect')) fields.expectContinue = vEnd - vStart === 12 && nameIs(s, vStart, '100-continue');
      break;
    case 7:
      if (nameIs(s, at, 'upgrade')) fields.upgradeField = vEnd > vStart;
      break;
    case 10:
      if (nameIs(s, at, 'connection')) fields.conn |= connectionOptions(s, vStart, vEnd);
      break;
    case 14:
      if (nameIs(s, at, 'content-length')) {
        // RFC 9112 §6.3: several lengths, even equal ones, are refused like llhttp does.
        if (++fields.clCount > 1) return fail(bad, 'DUPLICATE_CONTENT_LENGTH', 'Header', 'more than one Content-Length');
        if (vStart === vEnd) return fail(bad, 'INVALID_CONTENT_LENGTH', 'Number', 'empty Content-Length');
        let n = 0;
        for (let i = vStart; i < vEnd; i++) {
          const d = s.charCodeAt(i) - 0x30;
          if (d < 0 || d > 9) return fail(bad, 'INVALID_CONTENT_LENGTH', 'Number', 'Content-Length is not all digits');
          n = n * 10 + d;
          if (n > Number.MAX_SAFE_INTEGER) {
            return fail(bad === 400 ? 413 : 502, 'CONTENT_LENGTH_TOO_LARGE', 'EntityTooLarge', 'Content-Length too large');
          }
        }
        fields.contentLength = n;
      }
      break;
    case 16:
      if (nameIs(s, at, 'x-forwarded-host')) fields.forwarded = true;
      break;
    case 17:
      if (nameIs(s, at, 'transfer-encoding')) {
        if (++fields.teCount > 1) return fail(bad, 'DUPLICATE_TRANSFER_ENCODING', 'Header', 'more than one Transfer-Encoding field');
        fields.te = transferCoding(s, vStart, vEnd);
      } else if (nameIs(s, at, 'x-forwarded-proto')) fields.forwarded = true;
      break;
  }
  return null;
}

/**
 * Checks the version at s[i, i + 10): "HTTP/1.x" then CRLF. Returns the minor version, or an
 * error: 505 for a well-formed HTTP/d.d other than 1.0 and 1.1, `bad` for anything else.
 */
function parseVersion(s: string, i: number, bad: 400 | 502): 0 | 1 | ParseError {
  const major = s.charCodeAt(i + 5) - 0x30;
  const minor = s.charCodeAt(i + 7) - 0x30;
  const shaped = s.startsWith('HTTP/', i) && major >= 0 && major <= 9 && s.charCodeAt(i + 6) === 0x2e && minor >= 0 && minor <= 9;
  if (!shaped) return fail(bad, 'INVALID_VERSION', 'BadRequest', 'malformed HTTP version');
  if (major !== 1 || minor > 1) {
    return fail(bad === 400 ? 505 : 502, 'UNSUPPORTED_VERSION', 'Version_N/S', `HTTP/${major}.${minor} not supported`);
  }
  return minor === 0 ? 0 : 1;
}

/** The common method names as constants, so later comparisons hit V8's interned strings. */
function methodName(s: string, len: number): string {
  switch (len) {
    case 3: if (s.startsWith('GET')) return 'GET'; if (s.startsWith('PUT')) return 'PUT'; break;
    case 4: if (s.startsWith('POST')) return 'POST'; if (s.startsWith('HEAD')) return 'HEAD'; break;
    case 5: if (s.startsWith('PATCH')) return 'PATCH'; break;
    case 6: if (s.startsWith('DELETE')) return 'DELETE'; break;
    case 7: if (s.startsWith('OPTIONS')) return 'OPTIONS'; if (s.startsWith('CONNECT')) return 'CONNECT'; break;
  }
  return s.slice(0, len);
}

/**
 * Lower-cases a Host value and strips its port (RFC 9110 §7.2, RFC 3986 §3.2.2); null if invalid.
 * Userinfo ("@") and anything outside uri-host are refused so routing cannot be confused.
 */
export function normalizeHost(raw: string): string | null {
  // Clients send the same Host again and again; remember the last answer.
  if (raw === lastHostRaw) return lastHost;
  const host = hostOf(raw);
  lastHostRaw = raw;
  lastHost = host;
  return host;
}
let lastHostRaw = '';
let lastHost: string | null = '';

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

/** Error for a head that is, or would become, too large: 414 when the target alone is too long. */
function tooLarge(buf: Buffer, start: number, maxHeadBytes: number, maxTargetBytes: number): ParseError | null {
  const sp = buf.indexOf(SP, start);
  if (sp >= 0) {
    let end = buf.indexOf(SP, sp + 1);
    const cr = buf.indexOf(CR, sp + 1);
    if (end < 0 || (cr >= 0 && cr < end)) end = cr;
    if ((end < 0 ? buf.length : end) - sp - 1 > maxTargetBytes) {
      return fail(414, 'TARGET_TOO_LONG', 'URL_Length', `request-target longer than ${maxTargetBytes} bytes`);
    }
  }
  if (buf.length > maxHeadBytes) {
    return fail(431, 'HEAD_TOO_LARGE', 'RequestLength', `request head larger than ${maxHeadBytes} bytes`);
  }
  return null;
}

/** Reads up to this size are decoded whole and searched as a string: cheaper than a Buffer search, then a decode. */
const DECODE_WHOLE_BYTES = 1024;
/** Set by `decodeHead`: offset in the decoded string just past the head's CRLFCRLF. */
let headEnd = 0;

/**
 * Decodes the head starting at `start` once, as latin1 (one char per byte), or returns null when
 * its CRLFCRLF has not arrived. The string may run on into body bytes; `headEnd` marks the head's end.
 */
function decodeHead(buf: Buffer, start: number): string | null {
  if (buf.length - start <= DECODE_WHOLE_BYTES) {
    const s = buf.toString('latin1', start);
    const at = s.indexOf('\r\n\r\n');
    headEnd = at + 4;
    return at < 0 ? null : s;
  }
  const at = buf.indexOf(CRLFCRLF, start);
  if (at < 0) return null;
  headEnd = at + 4 - start;
  return buf.toString('latin1', start, at + 4);
}

/** A bare LF in a head not yet complete: refuse now rather than wait for a CRLFCRLF that may never come. */
function hasBareLf(buf: Buffer, start: number): boolean {
  for (let i = buf.indexOf(LF, start); i >= 0; i = buf.indexOf(LF, i + 1)) {
    if (i === start || buf[i - 1] !== CR) return true;
  }
  return false;
}

const BARE_LF_ERROR = (bad: 400 | 502): ParseError => fail(bad, 'BARE_LF', 'Invalid_CR/LF', 'LF not preceded by CR');

/**
 * Parses the request head at the start of `buf` (RFC 9112 §2–§7, strictly).
 * Heads past `maxHeadBytes` get 431 and targets past `maxTargetBytes` 414, even before the head is complete.
 * @example
 * const r = parseRequestHead(buf);
 * if (r.kind === 'ok') forward(buf.subarray(0, r.head.headLength));
 */
export function parseRequestHead(buf: Buffer, maxHeadBytes = 16384, maxTargetBytes = 8192): ParseResult<RequestHead> {
  const len = buf.length;
  let start = 0;
  // RFC 9112 §2.2: ignore empty lines before the request line (left over after a body by old clients).
  while (start + 1 < len && buf[start] === CR && buf[start + 1] === LF) start += 2;
  const s = decodeHead(buf, start);
  if (s === null) {
    if (hasBareLf(buf, start)) return BARE_LF_ERROR(400);
    if (len <= maxHeadBytes && len - start <= maxTargetBytes) return INCOMPLETE;
    return tooLarge(buf, start, maxHeadBytes, maxTargetBytes) ?? INCOMPLETE;
  }
  const headLength = start + headEnd;
  if (headLength > maxHeadBytes) return tooLarge(buf, start, maxHeadBytes, maxTargetBytes) ?? INCOMPLETE;

  // request-line = method SP request-target SP HTTP-version CRLF (RFC 9112 §3), single spaces.
  let i = 0;
  while (TOKEN_CHARS[s.charCodeAt(i)] === 1) i++;
  if (i === 0 || s.charCodeAt(i) !== SP) {
    if (s.charCodeAt(i) === LF) return BARE_LF_ERROR(400);
    return fail(400, 'INVALID_METHOD', 'Verb', 'method is not a token followed by one space');
  }
  const method = methodName(s, i);
  const targetStart = ++i;
  let query = -1;
  for (let c = s.charCodeAt(i); TARGET_CHARS[c] === 1; c = s.charCodeAt(++i)) {
    if ((c === 0x3f || c === 0x23) && query < 0) query = i;
  }
  if (i - targetStart > maxTargetBytes) {
    return fail(414, 'TARGET_TOO_LONG', 'URL_Length', `request-target longer than ${maxTargetBytes} bytes`);
  }
  if (i === targetStart || s.charCodeAt(i) !== SP) {
    if (s.charCodeAt(i) === LF) return BARE_LF_ERROR(400);
    return fail(400, 'INVALID_TARGET', 'URL', 'request-target is empty or holds whitespace or control characters');
  }
  const target = s.slice(targetStart, i);
  const versionMinor = parseVersion(s, i + 1, 400);
  if (typeof versionMinor !== 'number') return versionMinor;
  if (s.charCodeAt(i + 9) !== CR || s.charCodeAt(i + 10) !== LF) {
    if (s.charCodeAt(i + 9) === LF) return BARE_LF_ERROR(400);
    return fail(400, 'INVALID_VERSION', 'BadRequest', 'request line does not end right after the version');
  }
  const lineEnd = i + 11;
  // CONNECT tunnels would bypass the pool's framing; the front door does not offer them.
  if (method === 'CONNECT') return fail(501, 'CONNECT_NOT_SUPPORTED', 'N/I', 'CONNECT is not supported');

  // Request-target forms (RFC 9112 §3.2): origin, absolute, asterisk; authority only for CONNECT.
  let path: string;
  let targetHost: string | null = null;
  const first = s.charCodeAt(targetStart);
  if (first === 0x2f) {
    path = query < 0 ? target : s.slice(targetStart, query);
  } else if (first === 0x2a && i === targetStart + 1) {
    if (method !== 'OPTIONS') return fail(400, 'INVALID_TARGET', 'URL', 'asterisk-form is for OPTIONS only');
    path = '*';
  } else {
    const abs = absoluteForm(s, targetStart, query < 0 ? i : query);
    if (abs === null) return fail(400, 'INVALID_TARGET', 'URL', 'request-target is not origin-, absolute- or asterisk-form');
    targetHost = abs.host;
    path = abs.path;
  }

  const err = scanFields(s, lineEnd, headEnd, 400);
  if (err !== null) return err;
  let chunked = false;
  if (fields.teCount > 0) {
    // RFC 9112 §6.1/§6.3: both framings together is the classic smuggling vector; refuse.
    if (fields.clCount > 0) return fail(400, 'CONTENT_LENGTH_WITH_TRANSFER_ENCODING', 'Header', 'both Content-Length and Transfer-Encoding');
    if (versionMinor === 0) return fail(400, 'TRANSFER_ENCODING_HTTP10', 'Header', 'Transfer-Encoding in an HTTP/1.0 request');
    if (fields.te === TE_OTHER) return fail(400, 'CHUNKED_NOT_FINAL', 'Header', 'chunked is not the final transfer coding');
    if (fields.te === TE_CHUNKED_LAST) return fail(501, 'UNSUPPORTED_TRANSFER_ENCODING', 'N/I', 'only a lone "chunked" transfer coding is supported');
    chunked = true;
  }
  // RFC 9112 §3.2: a 1.1 request without Host, or with several, MUST get 400.
  if (versionMinor === 1 && fields.hostCount === 0) return fail(400, 'MISSING_HOST', 'Hostname', 'HTTP/1.1 request without Host');
  const hostRaw = fields.hostRaw;
  let host = targetHost;
  if (hostRaw !== null) {
    const h = normalizeHost(hostRaw);
    if (h === null) return fail(400, 'INVALID_HOST', 'Hostname', 'invalid Host field');
    if (host === null) host = h;
  }
  const conn = fields.conn;
  const head: RequestHead = {
    method,
    target,
    path,
    versionMinor,
    host,
    hostRaw,
    contentLength: fields.contentLength,
    chunked,
    keepAlive: (conn & CONN_CLOSE) === 0 && (versionMinor === 1 || (conn & CONN_KEEP_ALIVE) !== 0),
    // RFC 9110 §7.8: Upgrade in an HTTP/1.0 request is ignored.
    upgrade: versionMinor === 1 && (conn & CONN_UPGRADE) !== 0 && fields.upgradeField,
    expectContinue: fields.expectContinue,
    headLength,
    headStart: start,
    requestLineEnd: start + lineEnd,
    hasForwardedHeaders: fields.forwarded,
  };
  return { kind: 'ok', head };
}

/** Host and path of an absolute-form target s[from, to) (without query); null unless http(s) with a valid host. */
function absoluteForm(s: string, from: number, to: number): { host: string; path: string } | null {
  let i = from;
  if (to - i > 7 && nameIs(s, i, 'http://')) i += 7;
  else if (to - i > 8 && nameIs(s, i, 'https://')) i += 8;
  else return null;
  let slash = s.indexOf('/', i);
  if (slash < 0 || slash > to) slash = to;
  const host = normalizeHost(s.slice(i, slash));
  if (host === null || host.length === 0) return null;
  return { host, path: slash === to ? '/' : s.slice(slash, to) };
}

/**
 * Parses a worker's response head (RFC 9112 §4). Anything malformed is an invalid upstream
 * response: status 502, which the front door sends to the client instead.
 */
export function parseResponseHead(buf: Buffer, maxHeadBytes = 16384): ParseResult<ResponseHead> {
  const s = decodeHead(buf, 0);
  if (s === null && hasBareLf(buf, 0)) return BARE_LF_ERROR(502);
  if (s === null ? buf.length > maxHeadBytes : headEnd > maxHeadBytes) {
    return fail(502, 'HEAD_TOO_LARGE', 'RequestLength', `response head larger than ${maxHeadBytes} bytes`);
  }
  if (s === null) return INCOMPLETE;
  const headLength = headEnd;
  // status-line = HTTP-version SP 3DIGIT SP [ reason-phrase ] CRLF; a missing "SP reason" is tolerated.
  const versionMinor = parseVersion(s, 0, 502);
  if (typeof versionMinor !== 'number') return versionMinor;
  const d0 = s.charCodeAt(9) - 0x30;
  const d1 = s.charCodeAt(10) - 0x30;
  const d2 = s.charCodeAt(11) - 0x30;
  if (s.charCodeAt(8) !== SP || !(d0 >= 1 && d0 <= 9) || !(d1 >= 0 && d1 <= 9) || !(d2 >= 0 && d2 <= 9)) {
    return fail(502, 'INVALID_STATUS_LINE', 'BadRequest', 'status line is not "HTTP/1.x 3DIGIT"');
  }
  let p = 12;
  if (s.charCodeAt(p) === SP) {
    p++;
    while (FIELD_VALUE_CHARS[s.charCodeAt(p)] === 1) p++;
  }
  if (s.charCodeAt(p) !== CR || s.charCodeAt(p + 1) !== LF) {
    if (s.charCodeAt(p) === LF) return BARE_LF_ERROR(502);
    return fail(502, 'INVALID_STATUS_LINE', 'BadRequest', 'invalid reason phrase or line ending');
  }
  const err = scanFields(s, p + 2, headEnd, 502);
  if (err !== null) return err;
  let closeDelimited = false;
  if (fields.teCount > 0) {
    if (fields.clCount > 0) return fail(502, 'CONTENT_LENGTH_WITH_TRANSFER_ENCODING', 'Header', 'both Content-Length and Transfer-Encoding');
    // RFC 9112 §6.1: Transfer-Encoding in a 1.0 message means the framing is faulty.
    if (versionMinor === 0) return fail(502, 'TRANSFER_ENCODING_HTTP10', 'Header', 'Transfer-Encoding in an HTTP/1.0 response');
    // RFC 9112 §6.3: chunked not final in a response -> the body runs until the connection closes.
    closeDelimited = fields.te === TE_OTHER;
  }
  const conn = fields.conn;
  const head: ResponseHead = {
    status: d0 * 100 + d1 * 10 + d2,
    versionMinor,
    contentLength: fields.contentLength,
    chunked: fields.te === TE_CHUNKED || fields.te === TE_CHUNKED_LAST,
    keepAlive: !closeDelimited && (conn & CONN_CLOSE) === 0 && (versionMinor === 1 || (conn & CONN_KEEP_ALIVE) !== 0),
    headLength,
  };
  return { kind: 'ok', head };
}

/**
 * How a response body is delimited (RFC 9112 §6.3): none for HEAD and 1xx/204/304, else chunked,
 * else Content-Length, else until the worker closes the connection.
 */
export function responseBodyKind(head: ResponseHead, requestMethod: string): 'none' | 'length' | 'chunked' | 'close' {
  const st = head.status;
  if (requestMethod === 'HEAD' || st < 200 || st === 204 || st === 304) return 'none';
  if (head.chunked) return 'chunked';
  if (head.contentLength >= 0) return 'length';
  return 'close';
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
