/**
 * A worker's response head (RFC 9112 §4), held to the same field rules as a request: anything
 * malformed is an invalid upstream response, status 502, which the front door sends to the client
 * instead. The framing facts are read from the bytes; no string is made.
 */
import { CR, CRLFCRLF, FIELD_VALUE_CHARS, hasBareLf, LF, SP } from './chars.ts';
import { CONN_CLOSE, CONN_KEEP_ALIVE, fields, scanFields } from './field-scan.ts';
import { bareLf, fail, INCOMPLETE, type ParseError, type ParseResult } from './parse-result.ts';
import { parseVersion } from './version.ts';

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

/** As for requests: a large head without its CRLFCRLF yet is waited for after one native search. */
const WALK_UNSEEN_BYTES = 1024;

/**
 * Parses a worker's response head (RFC 9112 §4). Anything malformed is an invalid upstream
 * response: status 502, which the front door sends to the client instead.
 */
export function parseResponseHead(buf: Buffer, maxHeadBytes = 16384): ParseResult<ResponseHead> {
  if (buf.length > WALK_UNSEEN_BYTES && buf.indexOf(CRLFCRLF) < 0) return pending(buf, maxHeadBytes);
  const version = parseVersion(buf, 0, 502);
  const err = typeof version === 'number' ? readStatusLine(buf) : version;
  if (err !== null) return refused(buf, err, maxHeadBytes);
  const versionMinor = version as 0 | 1;
  const headLength = fields.end;
  if (headLength > maxHeadBytes) return fail(502, 'HEAD_TOO_LARGE', 'RequestLength', `response head larger than ${maxHeadBytes} bytes`);
  if (fields.refusal !== null) return fields.refusal;
  let closeDelimited = false;
  if (fields.teCount > 0) {
    if (fields.clCount > 0) return fail(502, 'CONTENT_LENGTH_WITH_TRANSFER_ENCODING', 'Header', 'both Content-Length and Transfer-Encoding');
    // RFC 9112 §6.1: Transfer-Encoding in a 1.0 message means the framing is faulty.
    if (versionMinor === 0) return fail(502, 'TRANSFER_ENCODING_HTTP10', 'Header', 'Transfer-Encoding in an HTTP/1.0 response');
    // RFC 9112 §6.3: chunked not final in a response -> the body runs until the connection closes.
    closeDelimited = fields.te === 'other';
  }
  const conn = fields.conn;
  const head: ResponseHead = {
    status,
    versionMinor,
    contentLength: fields.contentLength,
    chunked: fields.te === 'chunked' || fields.te === 'chunkedLast',
    keepAlive: !closeDelimited && (conn & CONN_CLOSE) === 0 && (versionMinor === 1 || (conn & CONN_KEEP_ALIVE) !== 0),
    headLength,
  };
  return { kind: 'ok', head };
}

/** The status code of the head being parsed (parsing is synchronous). */
let status = 0;

/**
 * status-line = HTTP-version SP 3DIGIT SP [ reason-phrase ] CRLF; a missing "SP reason" is
 * tolerated. Then the field section. Returns the first thing wrong, or null.
 */
function readStatusLine(buf: Buffer): ParseError | null {
  const d0 = buf[9] - 0x30;
  const d1 = buf[10] - 0x30;
  const d2 = buf[11] - 0x30;
  if (buf[8] !== SP || !(d0 >= 1 && d0 <= 9) || !(d1 >= 0 && d1 <= 9) || !(d2 >= 0 && d2 <= 9)) {
    return fail(502, 'INVALID_STATUS_LINE', 'BadRequest', 'status line is not "HTTP/1.x 3DIGIT"');
  }
  status = d0 * 100 + d1 * 10 + d2;
  let p = 12;
  if (buf[p] === SP) {
    p++;
    while (FIELD_VALUE_CHARS[buf[p]] === 1) p++;
  }
  if (buf[p] !== CR || buf[p + 1] !== LF) {
    if (buf[p] === LF) return bareLf(502);
    return fail(502, 'INVALID_STATUS_LINE', 'BadRequest', 'invalid reason phrase or line ending');
  }
  return scanFields(buf, p + 2, 502);
}

/** An error stands once the head is complete; before that the head is still arriving, or too large. */
function refused(buf: Buffer, err: ParseError, maxHeadBytes: number): ParseResult<ResponseHead> {
  const at = buf.indexOf(CRLFCRLF);
  if (at < 0) return pending(buf, maxHeadBytes);
  if (at + 4 > maxHeadBytes) return fail(502, 'HEAD_TOO_LARGE', 'RequestLength', `response head larger than ${maxHeadBytes} bytes`);
  return err;
}

function pending(buf: Buffer, maxHeadBytes: number): ParseResult<ResponseHead> {
  if (hasBareLf(buf, 0)) return bareLf(502);
  if (buf.length > maxHeadBytes) return fail(502, 'HEAD_TOO_LARGE', 'RequestLength', `response head larger than ${maxHeadBytes} bytes`);
  return INCOMPLETE;
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
