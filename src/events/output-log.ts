/**
 * Per-pool worker output files (`<dataDir>/logs/<pool>.log`): what the workers of a pool write to
 * stdout and stderr, one tagged line each, with size-based rotation — the role of IIS's
 * stdoutLogFile for ASP.NET Core and of PM2's log files.
 *
 * Two promises to the rest of the host: a worker flooding its stdout slows down (its pipe is paused)
 * instead of growing the host's memory, and a disk that fails never blocks a worker or throws into
 * the host (the output is drained and discarded until the file can be written again).
 */
import { mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { LineSplitter } from './line-splitter.ts';

export type OutputStream = 'stdout' | 'stderr';

export interface PoolOutputLogOptions {
  /** Folder of the pool files, normally `<dataDir>/logs`; created when missing. */
  dir: string;
  pool: string;
  /** The current file is rotated once it reaches this many bytes. */
  maxBytes: number;
  /** Rotated files kept beside the current one (`<pool>.log.1` … `.log.<maxFiles>`); 0: none. */
  maxFiles: number;
  /** Called once per streak of write failures; output is discarded until a write succeeds again. */
  onError?: (err: Error) => void;
  /** After a failure, the file is tried again on the first output this long after it. Default 5 s. */
  retryMs?: number;
}

/** A line longer than this is split (bytes). */
const MAX_LINE_BYTES = 16 * 1024;
/** Crash-report tail per worker and stream. */
const TAIL_LINES = 200;
const TAIL_BYTES = 64 * 1024;
/** Sources are paused while more than this is waiting for the file, resumed below half of it. */
const HIGH_WATER = 1024 * 1024;
/** Queued chunks are merged into writes of up to this size. */
const BATCH_BYTES = 256 * 1024;
/** Buffers per writev (the usual Linux IOV_MAX). */
const IOV_MAX = 1024;
/** Tails of workers whose streams ended and that nobody `forget()`s are dropped beyond this many. */
const KEEP_ENDED_WORKERS = 32;

interface Tail {
  lines: string[];
  bytes: number;
}

interface WorkerTails {
  readonly stdout: Tail;
  readonly stderr: Tail;
  open: number;
}

/** The output file of one pool, fed by its workers' stdout and stderr pipes. */
export class PoolOutputLog {
  readonly file: string;
  readonly pool: string;
  readonly #dir: string;
  readonly #maxBytes: number;
  readonly #maxFiles: number;
  readonly #retryMs: number;
  readonly #onError: ((err: Error) => void) | undefined;
  readonly #sources = new Set<NodeJS.ReadableStream>();
  readonly #paused = new Set<NodeJS.ReadableStream>();
  readonly #tails = new Map<string, WorkerTails>();
  /** Workers whose streams all ended, oldest first (Set keeps insertion order). */
  readonly #ended = new Set<string>();
  #queue: Buffer[] = [];
  #queued = 0;
  #fh: FileHandle | null = null;
  #size = 0;
  #pumping: Promise<void> | null = null;
  #failing = false;
  #retryAt = 0;
  #dropped = 0;
  #closed = false;

  constructor(options: PoolOutputLogOptions) {
    this.pool = options.pool;
    this.#dir = options.dir;
    this.file = join(options.dir, `${options.pool}.log`);
    this.#maxBytes = Math.max(1, options.maxBytes);
    this.#maxFiles = Math.max(0, Math.floor(options.maxFiles));
    this.#retryMs = options.retryMs ?? 5000;
    this.#onError = options.onError;
  }

  /** Output bytes discarded because the file could not be written. */
  get droppedBytes(): number {
    return this.#dropped;
  }

  /** Attaches a worker's pipe: each line goes to the pool file as `<ISO time> <workerId> <stream> <line>`. */
  attach(workerId: string, stream: OutputStream, source: NodeJS.ReadableStream): void {
    const splitter = new LineSplitter(MAX_LINE_BYTES);
    const tails = this.#tailsOf(workerId);
    tails.open++;
    this.#ended.delete(workerId);
    this.#sources.add(source);
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      this.#take(workerId, stream, splitter.flush());
      this.#sources.delete(source);
      this.#paused.delete(source);
      const t = this.#tails.get(workerId);
      if (t && --t.open === 0) this.#workerEnded(workerId);
    };
    source.on('data', (chunk: Buffer | string) => {
      this.#take(workerId, stream, splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
    });
    source.on('end', finish);
    source.on('close', finish);
    // A worker's pipe breaking is the worker's affair; it must not become an uncaught error here.
    source.on('error', () => {});
    if (this.#queued > HIGH_WATER && !this.#failing) this.#pause(source);
  }

  /** The last lines of a worker's stream (at most 200 lines and 64 KiB), oldest first. */
  tail(workerId: string, stream: OutputStream): string[] {
    return [...(this.#tails.get(workerId)?.[stream].lines ?? [])];
  }

  /** Drops a worker's tails (once its crash report, if any, has been taken). */
  forget(workerId: string): void {
    this.#tails.delete(workerId);
    this.#ended.delete(workerId);
  }

  /** Writes what is queued and closes the file; later output of still-attached pipes is discarded. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#resumeAll();
    while (this.#pumping) await this.#pumping;
    const fh = this.#fh;
    this.#fh = null;
    await fh?.close().catch(() => {});
  }

  #tailsOf(workerId: string): WorkerTails {
    let t = this.#tails.get(workerId);
    if (!t) {
      t = { stdout: { lines: [], bytes: 0 }, stderr: { lines: [], bytes: 0 }, open: 0 };
      this.#tails.set(workerId, t);
    }
    return t;
  }

  #workerEnded(workerId: string): void {
    this.#ended.add(workerId);
    // Safety net for a caller that never calls forget(): keep the tails of the last few workers only.
    for (const old of this.#ended) {
      if (this.#ended.size <= KEEP_ENDED_WORKERS) break;
      this.forget(old);
    }
  }

  #take(workerId: string, stream: OutputStream, lines: string[]): void {
    if (lines.length === 0 || this.#closed) return;
    // A forgotten worker whose pipe is still open keeps writing to the file, not to a new tail.
    const tail = this.#tails.get(workerId)?.[stream];
    if (tail) {
      for (let i = Math.max(0, lines.length - TAIL_LINES); i < lines.length; i++) {
        tail.lines.push(lines[i]);
        tail.bytes += lines[i].length;
      }
      while (tail.lines.length > TAIL_LINES || tail.bytes > TAIL_BYTES) tail.bytes -= tail.lines.shift()!.length;
    }

    const prefix = `${new Date().toISOString()} ${workerId} ${stream} `;
    const buf = Buffer.from(prefix + lines.join(`\n${prefix}`) + '\n');
    if (this.#failing && Date.now() < this.#retryAt) {
      this.#dropped += buf.length;
      return;
    }
    this.#queue.push(buf);
    this.#queued += buf.length;
    if (this.#queued > HIGH_WATER) for (const s of this.#sources) this.#pause(s);
    if (!this.#pumping) this.#pumping = this.#pump().finally(() => { this.#pumping = null; });
  }

  /** Writes the queue to the file; never rejects. */
  async #pump(): Promise<void> {
    while (this.#queue.length > 0) {
      try {
        if (!this.#fh) await this.#open();
        if (this.#size >= this.#maxBytes) await this.#rotate();
        const fh = this.#fh!;
        const parts = this.#nextBatch(this.#maxBytes - this.#size);
        const total = parts.reduce((n, b) => n + b.length, 0);
        // writev: no copy of the batch; a short write (rare on a regular file) finishes with write().
        let done = (await fh.writev(parts)).bytesWritten;
        if (done < total) {
          const rest = Buffer.concat(parts, total);
          while (done < total) done += (await fh.write(rest, done, total - done)).bytesWritten;
        }
        this.#size += total;
        this.#queued -= total;
        this.#failing = false;
        if (this.#queued <= HIGH_WATER / 2) this.#resumeAll();
      } catch (err) {
        await this.#fail(err as Error);
      }
    }
  }

  /**
   * Takes up to BATCH_BYTES from the queue, ending with the line that fills the `room` left before
   * maxBytes, so that no file grows past maxBytes by more than one line.
   */
  #nextBatch(room: number): Buffer[] {
    const parts: Buffer[] = [];
    let n = 0;
    while (this.#queue.length > 0 && n < BATCH_BYTES && parts.length < IOV_MAX) {
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

  async #open(): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    const fh = await open(this.file, 'a', 0o640);
    try {
      this.#size = (await fh.stat()).size;
    } catch (err) {
      await fh.close().catch(() => {});
      throw err;
    }
    this.#fh = fh;
  }

  /** `<pool>.log` → `.log.1` → … → `.log.<maxFiles>`, the oldest deleted; then a fresh file. */
  async #rotate(): Promise<void> {
    const fh = this.#fh;
    this.#fh = null;
    await fh?.close();
    if (this.#maxFiles === 0) {
      await ignoreMissing(unlink(this.file));
    } else {
      await ignoreMissing(unlink(`${this.file}.${this.#maxFiles}`));
      for (let i = this.#maxFiles - 1; i >= 1; i--) await ignoreMissing(rename(`${this.file}.${i}`, `${this.file}.${i + 1}`));
      await rename(this.file, `${this.file}.1`);
    }
    await this.#open();
  }

  async #fail(err: Error): Promise<void> {
    this.#dropped += this.#queued; // the queue and the batch that failed
    this.#queue = [];
    this.#queued = 0;
    this.#retryAt = Date.now() + this.#retryMs;
    const fh = this.#fh;
    this.#fh = null;
    await fh?.close().catch(() => {});
    // Workers must never wait on a broken disk: let their pipes flow; #take discards meanwhile.
    this.#resumeAll();
    if (this.#failing) return;
    this.#failing = true;
    try {
      this.#onError?.(err);
    } catch { /* the reporter's failure is not ours to raise */ }
  }

  #pause(source: NodeJS.ReadableStream): void {
    if (this.#paused.has(source)) return;
    this.#paused.add(source);
    source.pause();
  }

  #resumeAll(): void {
    for (const s of this.#paused) s.resume();
    this.#paused.clear();
  }
}

async function ignoreMissing(p: Promise<void>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
