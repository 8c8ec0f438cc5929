/**
 * Finds where a chunked body ends (RFC 9112 §7.1) without copying it, so the front door can
 * forward the bytes as they come and know when the next message on the connection starts.
 * Strict like llhttp: hex sizes only, no bare CR or LF, every chunk's data followed by CRLF,
 * chunk extensions in their exact grammar, trailers with the same rules as header fields.
 * Extensions and trailers are bounded (CVE-2024-22019: unbounded extensions were a DoS).
 */
import { FIELD_VALUE_CHARS, TOKEN_CHARS } from './http/chars.ts';

const SP = 0x20;
const HT = 0x09;
const CR = 0x0d;
const LF = 0x0a;

/** Stable codes for a malformed chunked body. */
export type ChunkedErrorCode =
  | 'INVALID_CHUNK_SIZE' | 'CHUNK_SIZE_OVERFLOW' | 'INVALID_CHUNK_EXTENSION' | 'CHUNK_EXTENSIONS_TOO_LARGE'
  | 'BARE_LF' | 'BARE_CR' | 'CHUNK_DATA_NOT_TERMINATED' | 'INVALID_TRAILER' | 'TRAILERS_TOO_LARGE';

/** A malformed chunked body; the connection cannot be reused. */
export interface ChunkedError {
  readonly error: ChunkedErrorCode;
}

/** Limits of a {@link ChunkedScanner}. */
export interface ChunkedLimits {
  /** Bytes of chunk extensions allowed in one body, all chunks together. Default 16384 (Node's limit). */
  readonly maxExtensionBytes?: number;
  /** Bytes of trailer section allowed, final CRLF included. Default 16384. */
  readonly maxTrailerBytes?: number;
}

// One error object per code: errors allocate nothing and compare by identity.
const ERRORS = new Map<ChunkedErrorCode, ChunkedError>();
function error(code: ChunkedErrorCode): ChunkedError {
  let e = ERRORS.get(code);
  if (e === undefined) ERRORS.set(code, (e = Object.freeze({ error: code })));
  return e;
}

// States. chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF;
// chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] ).
const SIZE = 0; // hex digits
const BWS_BEFORE_SEMI = 1; // whitespace after the size or a value: only ";" may follow
const EXT_NAME_START = 2; // after ";": BWS, then a token
const EXT_NAME = 3;
const EXT_AFTER_NAME = 4; // BWS after a name: "=" or ";"
const EXT_VALUE_START = 5; // after "=": BWS, then a token or a quoted-string
const EXT_TOKEN = 6;
const EXT_QUOTED = 7;
const EXT_QUOTED_ESCAPE = 8;
const EXT_AFTER_QUOTED = 9;
const SIZE_LF = 10; // CR of the size line seen
const DATA = 11;
const DATA_CR = 12;
const DATA_LF = 13;
const TRAILER_START = 14; // a trailer field, or the final CRLF
const TRAILER_NAME = 15;
const TRAILER_VALUE = 16;
const TRAILER_LF = 17;
const FINAL_LF = 18;
const FAILED = 19;

/** 16 hex digits reach 2^64; past 2^53 a JS number cannot count the bytes exactly, so refuse. */
const MAX_SIZE_DIGITS = 16;

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x57;
  return -1;
}

/** Streams through a chunked body without copying it and reports where the message ends. */
export class ChunkedScanner {
  readonly #maxExtensionBytes: number;
  readonly #maxTrailerBytes: number;
  #state = SIZE;
  #size = 0;
  #digits = 0;
  #remaining = 0;
  #extensionBytes = 0;
  #trailerBytes = 0;
  #error: ChunkedError | null = null;

  constructor(limits: ChunkedLimits = {}) {
    this.#maxExtensionBytes = limits.maxExtensionBytes ?? 16384;
    this.#maxTrailerBytes = limits.maxTrailerBytes ?? 16384;
  }

  /**
   * Scans `buf` from `start`. Returns -1 while the body continues, the index just past the
   * body's final CRLF when it ends (the scanner is then ready for the next body), or an error;
   * after an error every call returns it again until {@link reset}.
   */
  feed(buf: Buffer, start = 0): number | ChunkedError {
    let state = this.#state;
    if (state === FAILED) return this.#error as ChunkedError;
    const len = buf.length;
    let i = start;
    // The counters in locals for the loop, stored back when it ends.
    let size = this.#size;
    let digits = this.#digits;
    let remaining = this.#remaining;
    let extensionBytes = this.#extensionBytes;
    let trailerBytes = this.#trailerBytes;
    let ext = 0; // extension bytes seen in this call
    let trailer = 0;
    let err: ChunkedErrorCode | null = null;
    scan: while (i < len) {
      if (state === DATA) {
        const take = remaining < len - i ? remaining : len - i;
        i += take;
        remaining -= take;
        if (remaining === 0) state = DATA_CR;
        continue;
      }
      const c = buf[i++];
      switch (state) {
        case SIZE: {
          const h = hexValue(c);
          if (h >= 0) {
            // The value check also bounds leading zeros, which the digit count alone would not.
            if (++digits > MAX_SIZE_DIGITS || (size = size * 16 + h) > Number.MAX_SAFE_INTEGER) {
              err = 'CHUNK_SIZE_OVERFLOW';
              break scan;
            }
            break;
          }
          if (digits === 0) err = c === LF ? 'BARE_LF' : 'INVALID_CHUNK_SIZE';
          else if (c === CR) state = SIZE_LF;
          else if (c === 0x3b) state = EXT_NAME_START;
          else if (c === SP || c === HT) state = BWS_BEFORE_SEMI;
          else err = c === LF ? 'BARE_LF' : 'INVALID_CHUNK_SIZE';
          if (state !== SIZE_LF) ext++;
          break;
        }
        case BWS_BEFORE_SEMI:
          ext++;
          if (c === 0x3b) state = EXT_NAME_START;
          else if (c !== SP && c !== HT) err = 'INVALID_CHUNK_EXTENSION';
          break;
        case EXT_NAME_START:
          ext++;
          if (TOKEN_CHARS[c] === 1) state = EXT_NAME;
          else if (c !== SP && c !== HT) err = 'INVALID_CHUNK_EXTENSION';
          break;
        case EXT_NAME:
          if (c === CR) {
            state = SIZE_LF;
            break;
          }
          ext++;
          if (TOKEN_CHARS[c] === 1) break;
          if (c === 0x3d) state = EXT_VALUE_START;
          else if (c === 0x3b) state = EXT_NAME_START;
          else if (c === SP || c === HT) state = EXT_AFTER_NAME;
          else err = c === LF ? 'BARE_LF' : 'INVALID_CHUNK_EXTENSION';
          break;
        case EXT_AFTER_NAME:
          ext++;
          if (c === 0x3d) state = EXT_VALUE_START;
          else if (c === 0x3b) state = EXT_NAME_START;
          else if (c !== SP && c !== HT) err = 'INVALID_CHUNK_EXTENSION';
          break;
        case EXT_VALUE_START:
          ext++;
          if (TOKEN_CHARS[c] === 1) state = EXT_TOKEN;
          else if (c === 0x22) state = EXT_QUOTED;
          else if (c !== SP && c !== HT) err = 'INVALID_CHUNK_EXTENSION';
          break;
        case EXT_TOKEN:
          if (c === CR) {
            state = SIZE_LF;
            break;
          }
          ext++;
          if (TOKEN_CHARS[c] === 1) break;
          if (c === 0x3b) state = EXT_NAME_START;
          else if (c === SP || c === HT) state = BWS_BEFORE_SEMI;
          else err = c === LF ? 'BARE_LF' : 'INVALID_CHUNK_EXTENSION';
          break;
        case EXT_QUOTED:
          // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text (RFC 9110 §5.6.4)
          ext++;
          if (c === 0x22) state = EXT_AFTER_QUOTED;
          else if (c === 0x5c) state = EXT_QUOTED_ESCAPE;
          else if (FIELD_VALUE_CHARS[c] !== 1) err = c === LF ? 'BARE_LF' : 'INVALID_CHUNK_EXTENSION';
          break;
        case EXT_QUOTED_ESCAPE:
          ext++;
          if (FIELD_VALUE_CHARS[c] === 1) state = EXT_QUOTED;
          else err = c === LF ? 'BARE_LF' : 'INVALID_CHUNK_EXTENSION';
          break;
        case EXT_AFTER_QUOTED:
          if (c === CR) {
            state = SIZE_LF;
            break;
          }
          ext++;
          if (c === 0x3b) state = EXT_NAME_START;
          else if (c === SP || c === HT) state = BWS_BEFORE_SEMI;
          else err = c === LF ? 'BARE_LF' : 'INVALID_CHUNK_EXTENSION';
          break;
        case SIZE_LF:
          if (c !== LF) err = 'BARE_CR';
          else if (size === 0) state = TRAILER_START;
          else {
            remaining = size;
            size = 0;
            digits = 0;
            state = DATA;
          }
          break;
        case DATA_CR:
          if (c === CR) state = DATA_LF;
          else err = 'CHUNK_DATA_NOT_TERMINATED';
          break;
        case DATA_LF:
          if (c === LF) state = SIZE;
          else err = 'BARE_CR';
          break;
        case TRAILER_START:
          trailer++;
          if (c === CR) state = FINAL_LF;
          else if (TOKEN_CHARS[c] === 1) state = TRAILER_NAME;
          else err = c === LF ? 'BARE_LF' : 'INVALID_TRAILER'; // includes obs-fold (RFC 9112 §5.2)
          break;
        case TRAILER_NAME:
          trailer++;
          if (c === 0x3a) state = TRAILER_VALUE;
          else if (TOKEN_CHARS[c] !== 1) err = c === LF ? 'BARE_LF' : 'INVALID_TRAILER';
          break;
        case TRAILER_VALUE:
          trailer++;
          if (c === CR) state = TRAILER_LF;
          else if (FIELD_VALUE_CHARS[c] !== 1) err = c === LF ? 'BARE_LF' : 'INVALID_TRAILER';
          break;
        case TRAILER_LF:
          trailer++;
          if (c === LF) state = TRAILER_START;
          else err = 'BARE_CR';
          break;
        case FINAL_LF:
          if (c !== LF) {
            err = 'BARE_CR';
            break;
          }
          if (trailerBytes + trailer + 1 > this.#maxTrailerBytes) {
            err = 'TRAILERS_TOO_LARGE';
            break;
          }
          this.reset();
          return i;
      }
      if (err !== null) break;
      if (ext > 0 && (extensionBytes += ext) > this.#maxExtensionBytes) {
        err = 'CHUNK_EXTENSIONS_TOO_LARGE';
        break;
      }
      ext = 0;
      if (trailer > 0 && (trailerBytes += trailer) > this.#maxTrailerBytes) {
        err = 'TRAILERS_TOO_LARGE';
        break;
      }
      trailer = 0;
    }
    if (err !== null) {
      this.#state = FAILED;
      return (this.#error = error(err));
    }
    this.#state = state;
    this.#size = size;
    this.#digits = digits;
    this.#remaining = remaining;
    this.#extensionBytes = extensionBytes;
    this.#trailerBytes = trailerBytes;
    return -1;
  }

  /** Forgets any body in progress (and any error), ready for a new body. */
  reset(): void {
    this.#state = SIZE;
    this.#size = 0;
    this.#digits = 0;
    this.#remaining = 0;
    this.#extensionBytes = 0;
    this.#trailerBytes = 0;
    this.#error = null;
  }
}
