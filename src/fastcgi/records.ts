/**
 * FastCGI records (FastCGI Specification 1.0, Open Market 1996): the eight-byte header, the
 * bodies of the management and application records this host uses, and name-value pairs. The
 * encoders write what the specification says a Web server sends; the decoders accept only what
 * the specification allows an application to send back, so a worker that breaks framing is
 * caught at the first wrong byte rather than read as someone else's response.
 */
import { PaddockError } from '../paddock-error.ts';

/** §8: the version every record carries. */
export const FCGI_VERSION_1 = 1;
/** §8: bytes in a record header. */
export const FCGI_HEADER_LEN = 8;
/** §3.3: management records use request id 0. */
export const FCGI_NULL_REQUEST_ID = 0;
/** §3.3: contentLength is two bytes. */
export const FCGI_MAX_CONTENT = 0xffff;
/** §5.1: the flag that asks the application to keep the connection after the request. */
export const FCGI_KEEP_CONN = 1;

/** §8: record types, by the specification's names. */
export const RecordType = Object.freeze({
  BeginRequest: 1,
  AbortRequest: 2,
  EndRequest: 3,
  Params: 4,
  Stdin: 5,
  Stdout: 6,
  Stderr: 7,
  Data: 8,
  GetValues: 9,
  GetValuesResult: 10,
  UnknownType: 11,
} as const);
export type RecordTypeValue = (typeof RecordType)[keyof typeof RecordType];

/** §5.1: roles. Paddock plays the Web server of the Responder role only. */
export const Role = Object.freeze({ Responder: 1, Authorizer: 2, Filter: 3 } as const);

/** §5.5: protocolStatus of FCGI_END_REQUEST. */
export const ProtocolStatus = Object.freeze({ RequestComplete: 0, CantMpxConn: 1, Overloaded: 2, UnknownRole: 3 } as const);
export type ProtocolStatusValue = (typeof ProtocolStatus)[keyof typeof ProtocolStatus];

/** §4.1: the variables a Web server may ask for with FCGI_GET_VALUES. */
export const MANAGEMENT_VARIABLES = ['FCGI_MAX_CONNS', 'FCGI_MAX_REQS', 'FCGI_MPXS_CONNS'] as const;

/** A record header as read from the wire. */
export interface RecordHeader {
  readonly version: number;
  readonly type: number;
  readonly requestId: number;
  readonly contentLength: number;
  readonly paddingLength: number;
}

/** Stable codes for bytes that are not FastCGI as the specification writes it. */
export type RecordErrorCode =
  | 'BAD_VERSION' | 'UNKNOWN_RECORD_TYPE' | 'BAD_END_REQUEST' | 'BAD_UNKNOWN_TYPE' | 'BAD_NAME_VALUE'
  | 'CONTENT_TOO_LARGE' | 'NAME_VALUE_TOO_LARGE' | 'DATA_AFTER_END';

/** A framing error; the connection it came on cannot be used again. */
export class RecordError extends PaddockError<RecordErrorCode> {}

/** The header of a record with `contentLength` bytes of content and `paddingLength` of padding. */
export function encodeHeader(type: number, requestId: number, contentLength: number, paddingLength = 0): Buffer {
  if (contentLength > FCGI_MAX_CONTENT) throw new RecordError('CONTENT_TOO_LARGE', `a record holds at most ${FCGI_MAX_CONTENT} bytes, not ${contentLength}`);
  const h = Buffer.allocUnsafe(FCGI_HEADER_LEN);
  h[0] = FCGI_VERSION_1;
  h[1] = type;
  h.writeUInt16BE(requestId, 2);
  h.writeUInt16BE(contentLength, 4);
  h[6] = paddingLength;
  h[7] = 0;
  return h;
}

/**
 * One whole record. With `align`, padding brings it to a multiple of eight bytes, as §3.3
 * recommends; padding is optional and a reader must skip it either way.
 */
export function encodeRecord(type: number, requestId: number, content: Buffer = EMPTY, align = false): Buffer {
  const padding = align ? (8 - (content.length % 8)) % 8 : 0;
  const out = Buffer.alloc(FCGI_HEADER_LEN + content.length + padding);
  encodeHeader(type, requestId, content.length, padding).copy(out, 0);
  content.copy(out, FCGI_HEADER_LEN);
  return out;
}

/**
 * A stream's bytes as records of at most FCGI_MAX_CONTENT each, as headers and slices of `data`
 * (no copy). An empty `data` gives the empty record that ends the stream (§3.3).
 */
export function streamRecords(type: number, requestId: number, data: Buffer): Buffer[] {
  if (data.length === 0) return [encodeHeader(type, requestId, 0)];
  const parts: Buffer[] = [];
  for (let at = 0; at < data.length; at += FCGI_MAX_CONTENT) {
    const piece = data.subarray(at, Math.min(data.length, at + FCGI_MAX_CONTENT));
    parts.push(encodeHeader(type, requestId, piece.length), piece);
  }
  return parts;
}

/** §5.1: FCGI_BEGIN_REQUEST with its role and flags. */
export function encodeBeginRequest(requestId: number, role: number, flags: number): Buffer {
  const body = Buffer.alloc(8);
  body.writeUInt16BE(role, 0);
  body[2] = flags;
  return encodeRecord(RecordType.BeginRequest, requestId, body);
}

/** §5.5: FCGI_END_REQUEST (an application sends it; the tests' fake application uses this). */
export function encodeEndRequest(requestId: number, appStatus: number, protocolStatus: number): Buffer {
  const body = Buffer.alloc(8);
  body.writeUInt32BE(appStatus >>> 0, 0);
  body[4] = protocolStatus;
  return encodeRecord(RecordType.EndRequest, requestId, body);
}

/** §3.4: one length, in one byte up to 127 and in four bytes (high bit set) above. */
function lengthBytes(n: number): Buffer {
  if (n <= 127) return Buffer.from([n]);
  if (n > 0x7fffffff) throw new RecordError('NAME_VALUE_TOO_LARGE', `a name or value holds at most ${0x7fffffff} bytes`);
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE((n | 0x80000000) >>> 0, 0);
  return b;
}

/**
 * §3.4: name-value pairs. Names and values are byte strings: each character is one byte (latin1),
 * which is how the front door holds request heads, so a header's bytes reach the application as sent.
 */
export function encodeNameValuePairs(pairs: Iterable<readonly [string, string]>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of pairs) {
    const n = Buffer.from(name, 'latin1');
    const v = Buffer.from(value, 'latin1');
    parts.push(lengthBytes(n.length), lengthBytes(v.length), n, v);
  }
  return Buffer.concat(parts);
}

/**
 * FCGI_PARAMS records for `pairs`, then the empty one that ends the stream (§5.2). Pairs are split
 * across records wherever the 64 KiB content limit falls, as the specification allows (example 2).
 */
export function encodeParams(requestId: number, pairs: Iterable<readonly [string, string]>): Buffer {
  const bytes = encodeNameValuePairs(pairs);
  return Buffer.concat([...streamRecords(RecordType.Params, requestId, bytes), encodeHeader(RecordType.Params, requestId, 0)]);
}

/** §4.1: FCGI_GET_VALUES for `names` (values empty). */
export function encodeGetValues(names: readonly string[]): Buffer {
  return encodeRecord(RecordType.GetValues, FCGI_NULL_REQUEST_ID, encodeNameValuePairs(names.map((n) => [n, ''] as const)));
}

/** Reads one §3.4 length at `at`; null when the bytes end inside it. */
function readLength(buf: Buffer, at: number): { value: number; next: number } | null {
  if (at >= buf.length) return null;
  const b = buf[at];
  if ((b & 0x80) === 0) return { value: b, next: at + 1 };
  if (at + 4 > buf.length) return null;
  return { value: buf.readUInt32BE(at) & 0x7fffffff, next: at + 4 };
}

/** §3.4: decodes a whole run of name-value pairs; throws RecordError when one is cut short. */
export function decodeNameValuePairs(buf: Buffer): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let at = 0;
  while (at < buf.length) {
    const n = readLength(buf, at);
    const v = n === null ? null : readLength(buf, n.next);
    if (n === null || v === null || v.next + n.value + v.value > buf.length) {
      throw new RecordError('BAD_NAME_VALUE', `a name-value pair at byte ${at} runs past the end of its ${buf.length} bytes`);
    }
    const nameEnd = v.next + n.value;
    out.push([buf.toString('latin1', v.next, nameEnd), buf.toString('latin1', nameEnd, nameEnd + v.value)]);
    at = nameEnd + v.value;
  }
  return out;
}

/** §5.5: the body of FCGI_END_REQUEST. */
export function decodeEndRequest(content: Buffer): { appStatus: number; protocolStatus: number } {
  if (content.length !== 8) throw new RecordError('BAD_END_REQUEST', `FCGI_END_REQUEST has an 8-byte body, not ${content.length} bytes`);
  return { appStatus: content.readInt32BE(0), protocolStatus: content[4] };
}

/** The name of a record type, for messages ("FCGI_STDOUT"). */
export function typeName(type: number): string {
  const names = ['', 'FCGI_BEGIN_REQUEST', 'FCGI_ABORT_REQUEST', 'FCGI_END_REQUEST', 'FCGI_PARAMS', 'FCGI_STDIN', 'FCGI_STDOUT',
    'FCGI_STDERR', 'FCGI_DATA', 'FCGI_GET_VALUES', 'FCGI_GET_VALUES_RESULT', 'FCGI_UNKNOWN_TYPE'];
  return names[type] || `record type ${type}`;
}

const EMPTY = Buffer.alloc(0);
