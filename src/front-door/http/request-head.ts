/**
 * A request head (RFC 9112 §2–§7), strictly: single spaces in the request line, token methods,
 * targets without whitespace or CTLs, HTTP/1.0 or 1.1, then the field section (field-scan.ts).
 * The bytes are read where they lie; the only strings made are the method, target, path and Host,
 * and a client that repeats them (every keep-alive client does) gets the last request's strings.
 */
import { bytesAre, bytesEqual, CR, CRLFCRLF, hasBareLf, LF, SP, TARGET_CHARS, TOKEN_CHARS } from './chars.ts';
import { CONN_CLOSE, CONN_KEEP_ALIVE, CONN_UPGRADE, fields, scanFields } from './field-scan.ts';
import { normalizeHost } from './host.ts';
import { bareLf, fail, INCOMPLETE, type ParseError, type ParseResult } from './parse-result.ts';
import { parseVersion } from './version.ts';

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
  /**
   * The authority of an absolute-form target as sent ("internal.example:8080"), else null. It is the
   * request's host whatever the Host field says (RFC 9112 §3.2.2): the worker is told this one.
   */
  readonly authority: string | null;
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
  /** The client sent X-Forwarded-Proto, -Host or -Prefix, which the front door must strip. */
  readonly hasForwardedHeaders: boolean;
  /** A Cookie field mentions the dashboard's cookie, which the front door strips (admin-cookie.ts). */
  readonly hasAdminCookie: boolean;
}

/**
 * Heads longer than this that hold no CRLFCRLF yet are waited for after one native search,
 * without being walked byte by byte: a head trickling in costs a search per read, as before.
 */
const WALK_UNSEEN_BYTES = 1024;

// What the request line said, for the head being parsed (parsing is synchronous).
let method = '';
let target = '';
let path = '';
let targetHost: string | null = null;
let targetAuthority: string | null = null;
let versionMinor: 0 | 1 = 1;
let lineEnd = 0;

// The last origin-form target and its path: a keep-alive client asks for the same ones again.
let lastTarget = '/';
let lastTargetPath = '/';

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
  if (len - start > WALK_UNSEEN_BYTES && buf.indexOf(CRLFCRLF, start) < 0) return pending(buf, start, maxHeadBytes, maxTargetBytes);
  const err = readRequestLine(buf, start, maxTargetBytes) ?? scanFields(buf, lineEnd, 400);
  if (err !== null) return refused(buf, start, err, maxHeadBytes, maxTargetBytes);
  const headLength = fields.end;
  if (headLength > maxHeadBytes) return tooLarge(buf, start, maxHeadBytes, maxTargetBytes) ?? INCOMPLETE;
  return requestHead(start, headLength);
}

/**
 * The verdict on a head the walk stopped in: an error stands only once the head is complete and
 * within its limits; until then the head is still arriving (or already too large).
 */
function refused(buf: Buffer, start: number, err: ParseError, maxHeadBytes: number, maxTargetBytes: number): ParseResult<RequestHead> {
  const at = buf.indexOf(CRLFCRLF, start);
  if (at < 0) return pending(buf, start, maxHeadBytes, maxTargetBytes);
  if (at + 4 > maxHeadBytes) return tooLarge(buf, start, maxHeadBytes, maxTargetBytes) ?? INCOMPLETE;
  return err;
}

/** A head whose CRLFCRLF has not arrived: a bare LF is refused now, a head already too large too. */
function pending(buf: Buffer, start: number, maxHeadBytes: number, maxTargetBytes: number): ParseResult<RequestHead> {
  if (hasBareLf(buf, start)) return bareLf(400);
  if (buf.length <= maxHeadBytes && buf.length - start <= maxTargetBytes) return INCOMPLETE;
  return tooLarge(buf, start, maxHeadBytes, maxTargetBytes) ?? INCOMPLETE;
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

/**
 * request-line = method SP request-target SP HTTP-version CRLF (RFC 9112 §3), single spaces.
 * Fills the request-line facts; returns the first thing wrong with it, or null.
 */
function readRequestLine(buf: Buffer, start: number, maxTargetBytes: number): ParseError | null {
  let i = start;
  let c = buf[i];
  while (TOKEN_CHARS[c] === 1) c = buf[++i];
  if (i === start || c !== SP) return c === LF ? bareLf(400) : fail(400, 'INVALID_METHOD', 'Verb', 'method is not a token followed by one space');
  method = methodName(buf, start, i - start);
  const targetStart = ++i;
  let query = -1;
  for (c = buf[i]; TARGET_CHARS[c] === 1; c = buf[++i]) {
    if ((c === 0x3f || c === 0x23) && query < 0) query = i;
  }
  const targetEnd = i;
  if (targetEnd - targetStart > maxTargetBytes) {
    return fail(414, 'TARGET_TOO_LONG', 'URL_Length', `request-target longer than ${maxTargetBytes} bytes`);
  }
  if (targetEnd === targetStart || c !== SP) {
    return c === LF ? bareLf(400) : fail(400, 'INVALID_TARGET', 'URL', 'request-target is empty or holds whitespace or control characters');
  }
  const version = parseVersion(buf, targetEnd + 1, 400);
  if (typeof version !== 'number') return version;
  versionMinor = version;
  if (buf[targetEnd + 9] !== CR || buf[targetEnd + 10] !== LF) {
    if (buf[targetEnd + 9] === LF) return bareLf(400);
    return fail(400, 'INVALID_VERSION', 'BadRequest', 'request line does not end right after the version');
  }
  lineEnd = targetEnd + 11;
  // CONNECT tunnels would bypass the pool's framing; the front door does not offer them.
  if (method === 'CONNECT') return fail(501, 'CONNECT_NOT_SUPPORTED', 'N/I', 'CONNECT is not supported');
  return targetForm(buf, targetStart, targetEnd, query);
}

/** Request-target forms (RFC 9112 §3.2): origin, absolute, asterisk; authority only for CONNECT. */
function targetForm(buf: Buffer, from: number, to: number, query: number): ParseError | null {
  targetHost = null;
  targetAuthority = null;
  const first = buf[from];
  if (first === 0x2f) {
    if (to - from === lastTarget.length && bytesEqual(buf, from, lastTarget)) {
      target = lastTarget;
      path = lastTargetPath;
      return null;
    }
    target = buf.toString('latin1', from, to);
    path = query < 0 ? target : target.slice(0, query - from);
    lastTarget = target;
    lastTargetPath = path;
    return null;
  }
  target = buf.toString('latin1', from, to);
  if (first === 0x2a && to === from + 1) {
    if (method !== 'OPTIONS') return fail(400, 'INVALID_TARGET', 'URL', 'asterisk-form is for OPTIONS only');
    path = '*';
    return null;
  }
  const abs = absoluteForm(buf, from, query < 0 ? to : query, target);
  if (abs === null) return fail(400, 'INVALID_TARGET', 'URL', 'request-target is not origin-, absolute- or asterisk-form');
  targetHost = abs.host;
  targetAuthority = abs.authority;
  path = abs.path;
  return null;
}

/**
 * Host and path of an absolute-form target in buf[from, to) (without query), whose string is `t`;
 * null unless http(s) with a valid host.
 */
function absoluteForm(buf: Buffer, from: number, to: number, t: string): { host: string; authority: string; path: string } | null {
  let i = from;
  if (to - i > 7 && bytesAre(buf, i, 'http://')) i += 7;
  else if (to - i > 8 && bytesAre(buf, i, 'https://')) i += 8;
  else return null;
  const end = to - from;
  let slash = t.indexOf('/', i - from);
  if (slash < 0 || slash > end) slash = end;
  const authority = t.slice(i - from, slash);
  const host = normalizeHost(authority);
  if (host === null || host.length === 0) return null;
  return { host, authority, path: slash === end ? '/' : t.slice(slash, end) };
}

/** The common method names as constants, so later comparisons hit V8's interned strings. */
function methodName(buf: Buffer, at: number, len: number): string {
  switch (len) {
    case 3: if (bytesEqual(buf, at, 'GET')) return 'GET'; if (bytesEqual(buf, at, 'PUT')) return 'PUT'; break;
    case 4: if (bytesEqual(buf, at, 'POST')) return 'POST'; if (bytesEqual(buf, at, 'HEAD')) return 'HEAD'; break;
    case 5: if (bytesEqual(buf, at, 'PATCH')) return 'PATCH'; break;
    case 6: if (bytesEqual(buf, at, 'DELETE')) return 'DELETE'; break;
    case 7: if (bytesEqual(buf, at, 'OPTIONS')) return 'OPTIONS'; if (bytesEqual(buf, at, 'CONNECT')) return 'CONNECT'; break;
  }
  return buf.toString('latin1', at, at + len);
}

/** The head of a request whose syntax is sound: the framing rules, then Host (RFC 9112 §3.2, §6). */
function requestHead(start: number, headLength: number): ParseResult<RequestHead> {
  if (fields.refusal !== null) return fields.refusal;
  let chunked = false;
  if (fields.teCount > 0) {
    // RFC 9112 §6.1/§6.3: both framings together is the classic smuggling vector; refuse.
    if (fields.clCount > 0) return fail(400, 'CONTENT_LENGTH_WITH_TRANSFER_ENCODING', 'Header', 'both Content-Length and Transfer-Encoding');
    if (versionMinor === 0) return fail(400, 'TRANSFER_ENCODING_HTTP10', 'Header', 'Transfer-Encoding in an HTTP/1.0 request');
    if (fields.te === 'other') return fail(400, 'CHUNKED_NOT_FINAL', 'Header', 'chunked is not the final transfer coding');
    if (fields.te === 'chunkedLast') return fail(501, 'UNSUPPORTED_TRANSFER_ENCODING', 'N/I', 'only a lone "chunked" transfer coding is supported');
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
    authority: targetAuthority,
    contentLength: fields.contentLength,
    chunked,
    keepAlive: (conn & CONN_CLOSE) === 0 && (versionMinor === 1 || (conn & CONN_KEEP_ALIVE) !== 0),
    // RFC 9110 §7.8: Upgrade in an HTTP/1.0 request is ignored.
    upgrade: versionMinor === 1 && (conn & CONN_UPGRADE) !== 0 && fields.upgradeField,
    expectContinue: fields.expectContinue,
    headLength,
    headStart: start,
    requestLineEnd: lineEnd,
    hasForwardedHeaders: fields.forwarded,
    hasAdminCookie: fields.adminCookie,
  };
  return { kind: 'ok', head };
}
