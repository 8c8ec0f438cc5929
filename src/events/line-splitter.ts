/**
 * Splits a byte stream into text lines. Works on bytes, not strings, so a UTF-8 character cut
 * between two chunks is never mangled, and bounds a line's length so that a worker writing one
 * endless line cannot make the host hold it all in memory.
 */

const NL = 0x0a;
const CR = 0x0d;

/** Incremental `\n` splitter; a trailing `\r` is dropped (CRLF output of Windows-minded programs). */
export class LineSplitter {
  readonly maxLineBytes: number;
  #partial: Buffer | null = null;

  /** `maxLineBytes`: a longer line is cut into pieces of at most this many bytes (at a UTF-8 boundary). */
  constructor(maxLineBytes = Number.POSITIVE_INFINITY) {
    this.maxLineBytes = Math.max(4, maxLineBytes);
  }

  /** Bytes held for an unterminated last line. */
  get pendingBytes(): number {
    return this.#partial?.length ?? 0;
  }

  /** The complete lines that `chunk` finishes. */
  push(chunk: Buffer): string[] {
    const data = this.#partial ? Buffer.concat([this.#partial, chunk]) : chunk;
    this.#partial = null;
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const nl = data.indexOf(NL, start);
      const end = nl === -1 ? data.length : nl;
      while (end - start > this.maxLineBytes) {
        const cut = utf8Boundary(data, start, start + this.maxLineBytes);
        lines.push(data.toString('utf8', start, cut));
        start = cut;
      }
      if (nl === -1) break;
      lines.push(data.toString('utf8', start, nl > start && data[nl - 1] === CR ? nl - 1 : nl));
      start = nl + 1;
    }
    // Copy the remainder: a subarray would keep the whole (possibly 64 KiB) chunk alive.
    if (start < data.length) this.#partial = Buffer.from(data.subarray(start));
    return lines;
  }

  /** The unterminated last line, if any (at end of stream). */
  flush(): string[] {
    const rest = this.#partial;
    this.#partial = null;
    if (!rest || rest.length === 0) return [];
    const end = rest[rest.length - 1] === CR ? rest.length - 1 : rest.length;
    return [rest.toString('utf8', 0, end)];
  }
}

/** The largest position ≤ `pos` (and > `start`) that does not fall inside a UTF-8 sequence. */
function utf8Boundary(buf: Buffer, start: number, pos: number): number {
  let p = pos;
  // Continuation bytes are 10xxxxxx; a sequence is at most 4 bytes long.
  while (p > start + 1 && p > pos - 3 && (buf[p] & 0xc0) === 0x80) p--;
  return (buf[p] & 0xc0) === 0x80 ? pos : p;
}
