/**
 * The field section of a head (RFC 9112 §5, RFC 9110 §5.5), read straight from the bytes: token
 * names right against the colon, values of field-vchar, SP, HTAB and obs-text only, every line
 * ended by CRLF, then the empty line. One pass checks the syntax and notes the fields that decide
 * framing, routing and forwarding, without turning the head into a string.
 */
import { bytesAre, COLON, COMMA, CR, FIELD_VALUE_CHARS, HT, isOws, LF, SP, TOKEN_CHARS } from './chars.ts';
import { hostValue } from './host.ts';
import { bareCr, bareLf, fail, type BadMessageStatus, type ParseError } from './parse-result.ts';

/** Connection options (RFC 9110 §7.6.1), as bits. */
export const CONN_CLOSE = 1;
export const CONN_KEEP_ALIVE = 2;
export const CONN_UPGRADE = 4;

/** How a Transfer-Encoding list ends (RFC 9112 §6.1, §6.3). */
export type TransferCoding =
  | 'none'
  /** exactly "chunked" */
  | 'chunked'
  /** other codings, then chunked */
  | 'chunkedLast'
  /** chunked is not the final coding */
  | 'other';

/**
 * What the header fields said. One module-level instance is reused by every scan (parsing is
 * synchronous), so a scan allocates nothing but the strings it keeps.
 */
export class FieldScan {
  /** Offset just past the head's final CRLF, once a scan has succeeded. */
  end = 0;
  /**
   * The first field that is well-formed but not acceptable (a second Host, a bad Content-Length):
   * reported only once the whole section is known to be well-formed, so a syntax error later in
   * the head still wins, as a check of the syntax first would have it.
   */
  refusal: ParseError | null = null;
  hostCount = 0;
  hostRaw: string | null = null;
  contentLength = -1;
  clCount = 0;
  te: TransferCoding = 'none';
  teCount = 0;
  conn = 0;
  upgradeField = false;
  expectContinue = false;
  forwarded = false;
  /** A Cookie field mentions the dashboard's cookie, which the front door keeps from workers (admin-cookie.ts). */
  adminCookie = false;

  reset(): void {
    this.end = 0;
    this.refusal = null;
    this.hostCount = 0;
    this.hostRaw = null;
    this.contentLength = -1;
    this.clCount = 0;
    this.te = 'none';
    this.teCount = 0;
    this.conn = 0;
    this.upgradeField = false;
    this.expectContinue = false;
    this.forwarded = false;
    this.adminCookie = false;
  }
}

/** The facts of the last scan. */
export const fields = new FieldScan();

/**
 * Checks the field lines of `buf` from `p` to the empty line and records the ones that matter in
 * `fields` (`fields.end` is then where the head ends). Returns the first syntax error, or null.
 * A head cut short reads as a syntax error where it stops: the caller decides whether the head is
 * complete (so the error stands) or still arriving. `bad` is 400 for requests, 502 for responses.
 */
export function scanFields(buf: Buffer, p: number, bad: BadMessageStatus): ParseError | null {
  fields.reset();
  // The tables in locals: the loops below run once per byte of the head.
  const token = TOKEN_CHARS;
  const value = FIELD_VALUE_CHARS;
  for (;;) {
    let c = buf[p];
    if (c === CR) {
      if (buf[p + 1] !== LF) return bareCr(bad);
      fields.end = p + 2;
      return null;
    }
    // RFC 9112 §5.2: obs-fold is rejected, as is whitespace before the first field (§2.2).
    if (isOws(c)) return fail(bad, 'OBS_FOLD', 'Header', 'field line starts with whitespace (obs-fold)');
    const nameStart = p;
    while (token[c] === 1) c = buf[++p];
    if (c !== COLON || p === nameStart) {
      if (c === LF) return bareLf(bad);
      if (p > nameStart && isOws(c)) {
        // RFC 9112 §5.1: whitespace between name and colon MUST be rejected with 400.
        return fail(bad, 'SPACE_BEFORE_COLON', 'Header', 'whitespace between field name and colon');
      }
      return fail(bad, 'INVALID_HEADER_NAME', 'Header', 'field name is not a token followed by a colon');
    }
    const nameLength = p - nameStart;
    let vStart = ++p;
    c = buf[p];
    while (value[c] === 1) c = buf[++p];
    if (c !== CR) return c === LF ? bareLf(bad) : fail(bad, 'INVALID_HEADER_VALUE', 'Header', 'control character in a field value');
    if (buf[p + 1] !== LF) return bareCr(bad);
    if (nameLength < NOTED_LENGTHS.length && NOTED_LENGTHS[nameLength] === 1) {
      let vEnd = p;
      while (vStart < vEnd && isOws(buf[vStart])) vStart++;
      while (vEnd > vStart && isOws(buf[vEnd - 1])) vEnd--;
      if (fields.refusal === null) fields.refusal = noteField(buf, nameStart, nameLength, vStart, vEnd, bad);
    }
    p += 2;
  }
}

/** Lengths of the field names `noteField` looks at: any other field is skipped at once. */
const NOTED_LENGTHS = new Uint8Array(32);
for (const n of [4, 6, 7, 10, 14, 16, 17, 18]) NOTED_LENGTHS[n] = 1;

/** Records one field if it bears on framing, routing or forwarding; a refusal if it is unacceptable. */
function noteField(buf: Buffer, at: number, len: number, vStart: number, vEnd: number, bad: BadMessageStatus): ParseError | null {
  switch (len) {
    case 4:
      if (bytesAre(buf, at, 'host')) {
        if (++fields.hostCount > 1) return fail(bad, 'DUPLICATE_HOST', 'Hostname', 'more than one Host field');
        fields.hostRaw = hostValue(buf, vStart, vEnd);
      }
      break;
    case 6:
      if (bytesAre(buf, at, 'expect')) fields.expectContinue = vEnd - vStart === 12 && bytesAre(buf, vStart, '100-continue');
      else if (!fields.adminCookie && bytesAre(buf, at, 'cookie')) fields.adminCookie = containsExactly(buf, vStart, vEnd, ADMIN_COOKIE);
      break;
    case 7:
      if (bytesAre(buf, at, 'upgrade')) fields.upgradeField = vEnd > vStart;
      break;
    case 10:
      if (bytesAre(buf, at, 'connection')) fields.conn |= connectionOptions(buf, vStart, vEnd);
      break;
    case 14:
      if (bytesAre(buf, at, 'content-length')) {
        // RFC 9112 §6.3: several lengths, even equal ones, are refused like llhttp does.
        if (++fields.clCount > 1) return fail(bad, 'DUPLICATE_CONTENT_LENGTH', 'Header', 'more than one Content-Length');
        return contentLength(buf, vStart, vEnd, bad);
      }
      break;
    case 16:
      if (bytesAre(buf, at, 'x-forwarded-host')) fields.forwarded = true;
      break;
    case 17:
      if (bytesAre(buf, at, 'transfer-encoding')) {
        if (++fields.teCount > 1) return fail(bad, 'DUPLICATE_TRANSFER_ENCODING', 'Header', 'more than one Transfer-Encoding field');
        fields.te = transferCoding(buf, vStart, vEnd);
      } else if (bytesAre(buf, at, 'x-forwarded-proto')) fields.forwarded = true;
      break;
    case 18:
      if (bytesAre(buf, at, 'x-forwarded-prefix')) fields.forwarded = true;
      break;
  }
  return null;
}

/** The dashboard's cookie (set by src/admin/admin-auth.ts; taken out of what workers see by ../admin-cookie.ts). */
export const ADMIN_COOKIE = 'paddock_token';

/** Whether `buf[from, to)` holds `text` byte for byte (cookie names are case-sensitive). */
function containsExactly(buf: Buffer, from: number, to: number, text: string): boolean {
  const first = text.charCodeAt(0);
  for (let i = from; i + text.length <= to; i++) {
    if (buf[i] !== first) continue;
    let k = 1;
    while (k < text.length && buf[i + k] === text.charCodeAt(k)) k++;
    if (k === text.length) return true;
  }
  return false;
}

/** Reads a Content-Length value of digits only (RFC 9110 §8.6) into `fields`. */
function contentLength(buf: Buffer, from: number, to: number, bad: BadMessageStatus): ParseError | null {
  if (from === to) return fail(bad, 'INVALID_CONTENT_LENGTH', 'Number', 'empty Content-Length');
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = buf[i] - 0x30;
    if (d < 0 || d > 9) return fail(bad, 'INVALID_CONTENT_LENGTH', 'Number', 'Content-Length is not all digits');
    n = n * 10 + d;
    if (n > Number.MAX_SAFE_INTEGER) {
      return fail(bad === 400 ? 413 : 502, 'CONTENT_LENGTH_TOO_LARGE', 'EntityTooLarge', 'Content-Length too large');
    }
  }
  fields.contentLength = n;
  return null;
}

/** Bits of the Connection options listed in buf[from, to). */
export function connectionOptions(buf: Buffer, from: number, to: number): number {
  // Nearly every request says just one of these.
  if (to - from === 10 && bytesAre(buf, from, 'keep-alive')) return CONN_KEEP_ALIVE;
  if (to - from === 5 && bytesAre(buf, from, 'close')) return CONN_CLOSE;
  let bits = 0;
  let i = from;
  while (i < to) {
    while (i < to && (isOws(buf[i]) || buf[i] === COMMA)) i++;
    const begin = i;
    while (i < to && buf[i] !== COMMA) i++;
    let end = i;
    while (end > begin && isOws(buf[end - 1])) end--;
    const n = end - begin;
    if (n === 5 && bytesAre(buf, begin, 'close')) bits |= CONN_CLOSE;
    else if (n === 10 && bytesAre(buf, begin, 'keep-alive')) bits |= CONN_KEEP_ALIVE;
    else if (n === 7 && bytesAre(buf, begin, 'upgrade')) bits |= CONN_UPGRADE;
  }
  return bits;
}

/** Classifies a Transfer-Encoding list in buf[from, to) by its final coding. */
export function transferCoding(buf: Buffer, from: number, to: number): TransferCoding {
  let comma = to - 1;
  while (comma >= from && buf[comma] !== COMMA) comma--;
  let begin = comma >= from ? comma + 1 : from;
  while (begin < to && (buf[begin] === SP || buf[begin] === HT)) begin++;
  if (to - begin !== 7 || !bytesAre(buf, begin, 'chunked')) return 'other';
  return comma >= from ? 'chunkedLast' : 'chunked';
}
