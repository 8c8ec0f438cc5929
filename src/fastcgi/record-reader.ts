/**
 * Reads the records an application sends back (FastCGI 1.0 §3.3), however the bytes are cut into
 * chunks, and hands each to a sink: stream content as it arrives (no copy, no wait for a whole
 * 64 KiB record), and the small bodies of FCGI_END_REQUEST and the management records whole.
 * Strict: version 1 only, and only the types an application may send (FCGI_STDOUT, FCGI_STDERR,
 * FCGI_END_REQUEST, FCGI_GET_VALUES_RESULT, FCGI_UNKNOWN_TYPE); anything else ends the connection.
 */
import { FCGI_HEADER_LEN, FCGI_VERSION_1, RecordError, RecordType, decodeEndRequest, typeName } from './records.ts';

/** Where the records go. */
export interface RecordSink {
  /** Content of FCGI_STDOUT or FCGI_STDERR, in order; never empty. */
  onStream(type: typeof RecordType.Stdout | typeof RecordType.Stderr, requestId: number, data: Buffer): void;
  /** The empty record that ends FCGI_STDOUT or FCGI_STDERR (§3.3). */
  onStreamEnd(type: typeof RecordType.Stdout | typeof RecordType.Stderr, requestId: number): void;
  onEndRequest(requestId: number, appStatus: number, protocolStatus: number): void;
  /** FCGI_GET_VALUES_RESULT or FCGI_UNKNOWN_TYPE, with its whole body. */
  onManagement(type: typeof RecordType.GetValuesResult | typeof RecordType.UnknownType, requestId: number, content: Buffer): void;
}

/**
 * What feeding bytes came to: `more` (the request goes on), `ended` (its FCGI_END_REQUEST was read
 * whole, padding too, and nothing followed), or a framing error.
 */
export type FeedResult = { readonly kind: 'more' } | { readonly kind: 'ended' } | { readonly kind: 'error'; readonly error: RecordError };

const MORE: FeedResult = Object.freeze({ kind: 'more' });
const ENDED: FeedResult = Object.freeze({ kind: 'ended' });

/** Incremental record reader for one connection. */
export class RecordReader {
  readonly #sink: RecordSink;
  readonly #header = Buffer.alloc(FCGI_HEADER_LEN);
  #headerHave = 0;
  #type = 0;
  #requestId = 0;
  /** Content bytes of the current record still to come. */
  #content = 0;
  #padding = 0;
  /** A management or END_REQUEST body being gathered. */
  #body: Buffer | null = null;
  #bodyHave = 0;
  #failed: FeedResult | null = null;
  /** FCGI_END_REQUEST's content was read; its padding may still be on the way. */
  #ended = false;

  constructor(sink: RecordSink) {
    this.#sink = sink;
  }

  /** Whether the reader stands between records (no header, content or padding half read). */
  get atBoundary(): boolean {
    return this.#headerHave === 0 && this.#content === 0 && this.#padding === 0;
  }

  /**
   * Takes the next bytes of the connection. After an error every later call returns it again.
   * Bytes after a request's FCGI_END_REQUEST are an error: on a kept connection the application
   * speaks only when asked (§3.5), so they could belong to no request.
   */
  feed(chunk: Buffer): FeedResult {
    if (this.#failed !== null) return this.#failed;
    let at = 0;
    while (at < chunk.length) {
      if (this.#ended && this.#padding === 0) {
        return this.#fail(new RecordError('DATA_AFTER_END', `${chunk.length - at} bytes arrived after FCGI_END_REQUEST`));
      }
      if (this.#content > 0) {
        const n = Math.min(this.#content, chunk.length - at);
        this.#takeContent(chunk, at, n);
        at += n;
        this.#content -= n;
        if (this.#content === 0) this.#recordContentDone();
        continue;
      }
      if (this.#padding > 0) {
        const n = Math.min(this.#padding, chunk.length - at);
        at += n;
        this.#padding -= n;
        continue;
      }
      const n = Math.min(FCGI_HEADER_LEN - this.#headerHave, chunk.length - at);
      chunk.copy(this.#header, this.#headerHave, at, at + n);
      this.#headerHave += n;
      at += n;
      if (this.#headerHave < FCGI_HEADER_LEN) break;
      this.#headerHave = 0;
      const error = this.#startRecord();
      if (error !== null) return this.#fail(error);
    }
    return this.#ended && this.#padding === 0 ? ENDED : MORE;
  }

  #fail(error: RecordError): FeedResult {
    this.#failed = { kind: 'error', error };
    return this.#failed;
  }

  #startRecord(): RecordError | null {
    const h = this.#header;
    if (h[0] !== FCGI_VERSION_1) return new RecordError('BAD_VERSION', `a record of FastCGI version ${h[0]}, not ${FCGI_VERSION_1}`);
    const type = h[1];
    this.#type = type;
    this.#requestId = h.readUInt16BE(2);
    this.#content = h.readUInt16BE(4);
    this.#padding = h[6];
    switch (type) {
      case RecordType.Stdout:
      case RecordType.Stderr:
        if (this.#content === 0) this.#sink.onStreamEnd(type, this.#requestId);
        return null;
      case RecordType.EndRequest:
        if (this.#content !== 8) return new RecordError('BAD_END_REQUEST', `FCGI_END_REQUEST has an 8-byte body, not ${this.#content} bytes`);
        break;
      case RecordType.UnknownType:
        if (this.#content !== 8) return new RecordError('BAD_UNKNOWN_TYPE', `FCGI_UNKNOWN_TYPE has an 8-byte body, not ${this.#content} bytes`);
        break;
      case RecordType.GetValuesResult:
        break;
      default:
        return new RecordError('UNKNOWN_RECORD_TYPE', `${typeName(type)} is not a record an application sends`);
    }
    this.#body = Buffer.allocUnsafe(this.#content);
    this.#bodyHave = 0;
    if (this.#content === 0) this.#recordContentDone();
    return null;
  }

  #takeContent(chunk: Buffer, at: number, n: number): void {
    if (this.#body === null) {
      const data = at === 0 && n === chunk.length ? chunk : chunk.subarray(at, at + n);
      this.#sink.onStream(this.#type as 6 | 7, this.#requestId, data);
      return;
    }
    chunk.copy(this.#body, this.#bodyHave, at, at + n);
    this.#bodyHave += n;
  }

  #recordContentDone(): void {
    const body = this.#body;
    if (body === null) return;
    this.#body = null;
    if (this.#type === RecordType.EndRequest) {
      this.#ended = true;
      const { appStatus, protocolStatus } = decodeEndRequest(body);
      this.#sink.onEndRequest(this.#requestId, appStatus, protocolStatus);
    } else {
      this.#sink.onManagement(this.#type as 10 | 11, this.#requestId, body);
    }
  }
}
