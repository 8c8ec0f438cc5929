/**
 * A CGI response (RFC 3875 §6), as a FastCGI application writes it to FCGI_STDOUT, turned into an
 * HTTP/1.1 response for the client: the `Status:` field becomes the status line (a `Location:`
 * without one is a 302, §6.2.3), the other fields pass on except the hop-by-hop ones, and the body
 * is framed by what is known. A script that gave a Content-Length keeps it; a whole response that
 * arrived with its FCGI_END_REQUEST gets one counted; anything longer streams chunked to an
 * HTTP/1.1 client and close-delimited to an HTTP/1.0 one (RFC 9112 §6.3). The head is held to the
 * same strictness as a worker's HTTP head, so a script cannot split the response it writes.
 */
import { FIELD_VALUE_CHARS, TOKEN_CHARS } from './http-parser.ts';
import { httpDate } from './http-date.ts';

/** The request facts that decide a response's framing. */
export interface ResponseRequestFacts {
  readonly method: string;
  readonly versionMinor: 0 | 1;
  /** The client connection may carry another request (RFC 9112 §9.3). */
  readonly keepAlive: boolean;
}

/** Stable codes for a CGI head that cannot be answered with. */
export type CgiHeadErrorCode = 'HEAD_TOO_LARGE' | 'BAD_HEADER_LINE' | 'BAD_STATUS' | 'BAD_CONTENT_LENGTH' | 'NO_HEAD';

/** Why a response could not be made (the client gets a 502). */
export interface CgiHeadError {
  readonly kind: 'error';
  readonly code: CgiHeadErrorCode;
  readonly message: string;
}

/** How the body goes to the client. */
export type BodyFraming = 'none' | 'length' | 'chunked' | 'close';

/** A CGI head bigger than this is refused (nginx refuses one past fastcgi_buffer_size, 4–8 KiB). */
export const MAX_CGI_HEAD = 64 * 1024;

/** Fields that describe one connection and never pass a gateway (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

const REASONS: Readonly<Record<number, string>> = {
  200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 206: 'Partial Content',
  301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict',
  410: 'Gone', 413: 'Content Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Content', 429: 'Too Many Requests',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

const CRLF = Buffer.from('\r\n', 'latin1');
const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');

function headError(code: CgiHeadErrorCode, message: string): CgiHeadError {
  return { kind: 'error', code, message };
}

/** One response on its way from FCGI_STDOUT to the client. */
export class CgiResponse {
  readonly #req: ResponseRequestFacts;
  /** Head bytes gathered so far (null once the head is parsed). */
  #headBuf: Buffer | null = null;
  #parsed = false;
  #committed = false;
  #fields: Array<[string, string]> = [];
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #framing: BodyFraming = 'none';
  /** Body bytes the client is still owed, for 'length'. */
  #remaining = 0;
  #declaredLength = -1;
  #finished = false;
  /** Bytes the script wrote past its Content-Length (dropped, as nginx does). */
  excess = 0;
  status = 0;

  constructor(req: ResponseRequestFacts) {
    this.#req = req;
  }

  /** Whether the status line has gone to the client (a retry is no longer possible). */
  get committed(): boolean {
    return this.#committed;
  }

  get framing(): BodyFraming {
    return this.#framing;
  }

  /** Takes FCGI_STDOUT bytes; an error means the head is not a CGI head. */
  push(data: Buffer): CgiHeadError | null {
    if (this.#parsed) {
      this.#queueBody(data);
      return null;
    }
    const buf = this.#headBuf === null ? data : Buffer.concat([this.#headBuf, data]);
    const end = headEnd(buf);
    if (end === null) {
      if (buf.length > MAX_CGI_HEAD) return headError('HEAD_TOO_LARGE', `the CGI head is longer than ${MAX_CGI_HEAD} bytes`);
      this.#headBuf = buf;
      return null;
    }
    if (end.headLength > MAX_CGI_HEAD) return headError('HEAD_TOO_LARGE', `the CGI head is longer than ${MAX_CGI_HEAD} bytes`);
    this.#headBuf = null;
    const error = this.#parseHead(buf.toString('latin1', 0, end.textLength));
    if (error !== null) return error;
    this.#parsed = true;
    if (end.headLength < buf.length) this.#queueBody(buf.subarray(end.headLength));
    return null;
  }

  /**
   * What to write to the client now. Call after each batch of records; `ended` once the request's
   * FCGI_END_REQUEST has been read. Before the head is whole this gives nothing, unless the
   * application ended without one (an error).
   */
  take(ended: boolean): Buffer[] | CgiHeadError {
    if (!this.#parsed) return ended ? headError('NO_HEAD', 'the application ended its output without a complete CGI head') : [];
    const out: Buffer[] = [];
    if (!this.#committed) {
      this.#committed = true;
      out.push(this.#buildHead(ended));
    }
    for (const b of this.#pending) this.#frame(b, out);
    this.#pending = [];
    this.#pendingBytes = 0;
    if (ended && !this.#finished) {
      this.#finished = true;
      if (this.#framing === 'chunked') out.push(LAST_CHUNK);
    }
    return out;
  }

  /** After the end: whether the client got the whole body its head announced. */
  get complete(): boolean {
    return this.#finished && (this.#framing !== 'length' || this.#remaining === 0);
  }

  /** After the end: whether the client connection may carry the next request. */
  get keepClient(): boolean {
    return this.complete && this.#req.keepAlive && this.#framing !== 'close';
  }

  #queueBody(data: Buffer): void {
    if (this.#committed && this.#framing === 'none') return;
    // Framed by take(), so push() never writes to the client itself.
    this.#pending.push(data);
    this.#pendingBytes += data.length;
  }

  #frame(data: Buffer, out: Buffer[]): void {
    switch (this.#framing) {
      case 'none':
        return;
      case 'length': {
        const n = Math.min(this.#remaining, data.length);
        if (n < data.length) this.excess += data.length - n;
        if (n > 0) out.push(n === data.length ? data : data.subarray(0, n));
        this.#remaining -= n;
        return;
      }
      case 'chunked':
        if (data.length === 0) return;
        out.push(Buffer.from(data.length.toString(16) + '\r\n', 'latin1'), data, CRLF);
        return;
      case 'close':
        out.push(data);
    }
  }

  #parseHead(text: string): CgiHeadError | null {
    let status: number | null = null;
    let reason: string | null = null;
    let location = false;
    // RFC 3875 §6.3: lines end in NL; scripts write CRLF or a bare LF.
    for (const raw of text.split('\n')) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      const colon = line.indexOf(':');
      if (colon <= 0 || !isToken(line, 0, colon)) return headError('BAD_HEADER_LINE', `not a header field: ${JSON.stringify(line.slice(0, 80))}`);
      let v = colon + 1;
      while (line.charCodeAt(v) === 0x20 || line.charCodeAt(v) === 0x09) v++;
      let e = line.length;
      while (e > v && (line.charCodeAt(e - 1) === 0x20 || line.charCodeAt(e - 1) === 0x09)) e--;
      const value = line.slice(v, e);
      if (!isFieldValue(value)) return headError('BAD_HEADER_LINE', `a control character in the value of ${line.slice(0, colon)}`);
      const name = line.slice(0, colon);
      const lower = name.toLowerCase();
      if (lower === 'status') {
        const m = /^([1-5]\d\d)(?:[ \t]+(.*))?$/.exec(value);
        if (m === null || status !== null) return headError('BAD_STATUS', `not a status: ${JSON.stringify(value.slice(0, 80))}`);
        status = Number(m[1]);
        if (status < 200) return headError('BAD_STATUS', `a CGI response cannot be ${status}`);
        reason = m[2] ?? null;
        continue;
      }
      if (lower === 'location') location = true;
      if (lower === 'content-length') {
        if (!/^\d{1,15}$/.test(value) || this.#declaredLength !== -1) return headError('BAD_CONTENT_LENGTH', `bad Content-Length: ${JSON.stringify(value.slice(0, 40))}`);
        this.#declaredLength = Number(value);
      }
      if (HOP_BY_HOP.has(lower)) continue;
      this.#fields.push([name, value]);
    }
    this.status = status ?? (location ? 302 : 200);
    this.#reason = reason ?? REASONS[this.status] ?? (status === null ? 'OK' : 'Unknown');
    return null;
  }

  #reason = 'OK';

  #buildHead(ended: boolean): Buffer {
    const req = this.#req;
    const noBody = req.method === 'HEAD' || this.status === 204 || this.status === 304;
    let head = `HTTP/1.1 ${this.status} ${this.#reason}\r\n`;
    let hasDate = false;
    for (const [name, value] of this.#fields) {
      const lower = name.toLowerCase();
      if (lower === 'date') hasDate = true;
      // 204 and 304 carry no length of a body (RFC 9110 §8.6); a HEAD answer keeps the script's.
      if (lower === 'content-length' && (this.status === 204 || this.status === 304)) continue;
      head += `${name}: ${value}\r\n`;
    }
    // RFC 9110 §6.6.1: an origin with a clock sends Date; for the client the host is that origin.
    if (!hasDate) head += `Date: ${httpDate()}\r\n`;
    if (noBody) {
      this.#framing = 'none';
    } else if (this.#declaredLength >= 0) {
      this.#framing = 'length';
      this.#remaining = this.#declaredLength;
    } else if (ended) {
      this.#framing = 'length';
      this.#remaining = this.#pendingBytes;
      head += `Content-Length: ${this.#pendingBytes}\r\n`;
    } else if (req.versionMinor === 1) {
      this.#framing = 'chunked';
      head += 'Transfer-Encoding: chunked\r\n';
    } else {
      this.#framing = 'close';
    }
    if (!req.keepAlive || this.#framing === 'close') head += 'Connection: close\r\n';
    else if (req.versionMinor === 0) head += 'Connection: keep-alive\r\n';
    return Buffer.from(head + '\r\n', 'latin1');
  }
}

/** Where the head ends: the first empty line, written CRLF CRLF or LF LF (or mixed). */
function headEnd(buf: Buffer): { textLength: number; headLength: number } | null {
  let from = 0;
  for (;;) {
    const lf = buf.indexOf(0x0a, from);
    if (lf === -1) return null;
    // The line after this LF is empty when the next byte is LF, or CR then LF.
    if (buf[lf + 1] === 0x0a) return { textLength: lf > 0 && buf[lf - 1] === 0x0d ? lf - 1 : lf, headLength: lf + 2 };
    if (buf[lf + 1] === 0x0d && buf[lf + 2] === 0x0a) return { textLength: lf > 0 && buf[lf - 1] === 0x0d ? lf - 1 : lf, headLength: lf + 3 };
    if (lf + 1 >= buf.length || (buf[lf + 1] === 0x0d && lf + 2 >= buf.length)) return null;
    from = lf + 1;
  }
}

function isToken(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (TOKEN_CHARS[s.charCodeAt(i)] !== 1) return false;
  return true;
}

function isFieldValue(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (FIELD_VALUE_CHARS[s.charCodeAt(i)] !== 1) return false;
  return true;
}
