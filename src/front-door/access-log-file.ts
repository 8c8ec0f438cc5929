/**
 * The access log's file: batches of lines appended with one writev each, on libuv's thread pool
 * (never a synchronous write on the front door's thread), rotated by size and kept to a count
 * like the pools' output logs (`access.log` → `.1` → … → `.<maxFiles>`). Each new file starts with
 * the format's header, as IIS starts every W3C file with its directives.
 *
 * A file moved or deleted by someone else (logrotate, an operator) is noticed on the next batch
 * and a new one is opened at the path, as Python's WatchedFileHandler does: no signal needed.
 *
 * A disk that fails costs log lines, never a request: the failure is reported once per streak,
 * lines are dropped (and counted) until a retry succeeds, and memory never grows past a bound.
 */
import { mkdir, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface AccessLogFileOptions {
  readonly file: string;
  /** The file is rotated before a write would take it past this many bytes. */
  readonly maxBytes: number;
  /** Rotated files kept beside the current one; 0: none. */
  readonly maxFiles: number;
  /** Text written at the top of every new file (the W3C directives); '' for none. */
  readonly header: () => string;
  /** Called once per streak of failures. */
  readonly onError: (err: Error) => void;
  /** After a failure, writing is tried again on the first batch this long after it. Default 5 s. */
  readonly retryMs?: number;
  /** Lines waiting for the disk beyond this many bytes are dropped. Default 8 MiB. */
  readonly maxQueuedBytes?: number;
}

/** Buffers per writev (the usual Linux IOV_MAX). */
const IOV_MAX = 1024;

/** One append-only, rotated log file. */
export class AccessLogFile {
  readonly file: string;
  readonly #o: AccessLogFileOptions;
  readonly #retryMs: number;
  readonly #maxQueued: number;
  #queue: Buffer[] = [];
  #queued = 0;
  #fh: FileHandle | null = null;
  #size = 0;
  /** Bytes of lines written to the open file since it was opened. */
  #linesWritten = 0;
  /** Device and inode of the open file, to notice the path now names another file. */
  #id = '';
  #pumping: Promise<void> | null = null;
  #failing = false;
  #retryAt = 0;
  #dropped = 0;
  #closed = false;

  constructor(options: AccessLogFileOptions) {
    this.file = options.file;
    this.#o = options;
    this.#retryMs = options.retryMs ?? 5_000;
    this.#maxQueued = options.maxQueuedBytes ?? 8 * 1024 * 1024;
  }

  /** Lines dropped (bytes) because the disk failed or could not keep up. */
  get droppedBytes(): number {
    return this.#dropped;
  }

  /** Queues a batch of whole lines; returns at once. */
  write(batch: Buffer): void {
    if (this.#closed || batch.length === 0) return;
    if ((this.#failing && Date.now() < this.#retryAt) || this.#queued + batch.length > this.#maxQueued) {
      this.#dropped += batch.length;
      return;
    }
    this.#queue.push(batch);
    this.#queued += batch.length;
    this.#pumping ??= this.#pump().finally(() => {
      this.#pumping = null;
    });
  }

  /** Resolves once everything queued so far is written (or dropped). */
  async flushed(): Promise<void> {
    while (this.#pumping) await this.#pumping;
  }

  /** Writes what is queued, then closes the file; later writes are ignored. */
  async close(): Promise<void> {
    await this.flushed();
    this.#closed = true;
    const fh = this.#fh;
    this.#fh = null;
    await fh?.close().catch(() => {});
  }

  async #pump(): Promise<void> {
    while (this.#queue.length > 0) {
      try {
        if (this.#fh !== null && (await this.#replaced())) await this.#closeFile();
        if (this.#fh === null) await this.#open();
        // Rotate before a file would pass maxBytes: whatever arrives, however fast, no file grows
        // past maxBytes by more than one line.
        // A file that holds no line yet is never rotated: a header larger than maxBytes cannot loop.
        if (this.#size >= this.#o.maxBytes && this.#linesWritten > 0) await this.#rotate();
        const parts = this.#nextBatch(this.#o.maxBytes - this.#size);
        const total = parts.reduce((n, b) => n + b.length, 0);
        const fh = this.#fh!;
        let done = (await fh.writev(parts)).bytesWritten;
        if (done < total) {
          const rest = Buffer.concat(parts, total);
          while (done < total) done += (await fh.write(rest, done, total - done)).bytesWritten;
        }
        this.#size += total;
        this.#linesWritten += total;
        this.#queued -= total;
        this.#failing = false;
      } catch (err) {
        await this.#fail(err as Error);
      }
    }
  }

  /**
   * Takes up to IOV_MAX buffers from the queue, ending with the line that fills the `room` left
   * before maxBytes (a buffer holds whole lines: it is cut after a newline).
   */
  #nextBatch(room: number): Buffer[] {
    const parts: Buffer[] = [];
    let n = 0;
    while (this.#queue.length > 0 && parts.length < IOV_MAX) {
      let b = this.#queue.shift()!;
      if (n + b.length > room) {
        const nl = b.indexOf(0x0a, Math.max(0, room - n - 1));
        if (nl !== -1 && nl + 1 < b.length) {
          this.#queue.unshift(b.subarray(nl + 1));
          b = b.subarray(0, nl + 1);
        }
        parts.push(b);
        break;
      }
      parts.push(b);
      n += b.length;
    }
    return parts;
  }

  /** Whether the path no longer names the open file (moved, deleted, replaced). */
  async #replaced(): Promise<boolean> {
    try {
      const st = await stat(this.file);
      return `${st.dev}:${st.ino}` !== this.#id;
    } catch {
      return true;
    }
  }

  async #closeFile(): Promise<void> {
    const fh = this.#fh;
    this.#fh = null;
    await fh?.close().catch(() => {});
  }

  async #open(): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    const fh = await open(this.file, 'a', 0o640);
    try {
      const st = await fh.stat();
      this.#size = st.size;
      this.#linesWritten = 0;
      this.#id = `${st.dev}:${st.ino}`;
      // A host that restarts appends to the file: the header is written again, as IIS does, so a
      // reader always knows the fields of the lines that follow.
      const header = this.#o.header();
      if (header !== '') {
        const b = Buffer.from(header);
        await fh.write(b);
        this.#size += b.length;
      }
    } catch (err) {
      await fh.close().catch(() => {});
      throw err;
    }
    this.#fh = fh;
  }

  async #rotate(): Promise<void> {
    const fh = this.#fh;
    this.#fh = null;
    await fh?.close();
    const f = this.file;
    if (this.#o.maxFiles === 0) {
      await ignoreMissing(unlink(f));
    } else {
      await ignoreMissing(unlink(`${f}.${this.#o.maxFiles}`));
      for (let i = this.#o.maxFiles - 1; i >= 1; i--) await ignoreMissing(rename(`${f}.${i}`, `${f}.${i + 1}`));
      await rename(f, `${f}.1`);
    }
    await this.#open();
  }

  async #fail(err: Error): Promise<void> {
    this.#dropped += this.#queued;
    this.#queue = [];
    this.#queued = 0;
    this.#retryAt = Date.now() + this.#retryMs;
    const fh = this.#fh;
    this.#fh = null;
    await fh?.close().catch(() => {});
    if (this.#failing) return;
    this.#failing = true;
    try {
      this.#o.onError(err);
    } catch {
      // the reporter's failure is not the front door's to raise
    }
  }
}

async function ignoreMissing(p: Promise<void>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
