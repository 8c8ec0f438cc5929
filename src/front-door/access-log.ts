/**
 * The access log: one record per request the front door saw, served or refused (IIS's W3C log and
 * HTTPERR log in one), written as W3C extended lines or JSON lines to `<dataDir>/logs/access.log`.
 *
 * The request path only appends a record to a batch. The batch is formatted and handed to the
 * file (one writev on libuv's thread pool) at most `flushMs` later, off that path, the way IIS
 * buffers its log (it flushes every 64 KB or minute). The same batch feeds the host's request
 * figures (/metrics, the dashboard's history) through `onBatch`, so one record serves all three.
 */
import { AccessLineFormatter, w3cHeader, type AccessFormat } from './access-log-format.ts';
import { AccessLogFile } from './access-log-file.ts';
import type { RequestRecord } from './request-record.ts';
import type { RequestFigures } from '../dispatch/messages.ts';

export type { AccessFormat } from './access-log-format.ts';
export type { RequestRecord } from './request-record.ts';

export interface AccessLogOptions {
  readonly file: string;
  /** `w3c` (default), `json`, or `off` (no file; the figures are still counted). */
  readonly format: AccessFormat;
  /** Log query strings (cs-uri-query); default false. */
  readonly includeQueryStrings: boolean;
  readonly maxBytes: number;
  readonly maxFiles: number;
  /** Called once per streak of write failures; lines are dropped until a retry succeeds. */
  readonly onError: (err: Error) => void;
  /** After a failure the file is tried again on the first batch this long after it. Default 5 s. */
  readonly retryMs?: number;
  /** A record reaches the file (and the listeners) at most this long after its request ended. Default 100 ms. */
  readonly flushMs?: number;
  /** `#Software:` of the W3C header. */
  readonly software?: string;
  /** Given every whole batch instead of the listeners and the file (a front-door thread hands it to the host's log). */
  readonly sink?: (batch: readonly RequestRecord[]) => void;
}

/** What a batch's listeners read of each request: RequestFigures (front-door threads hand over no more). */
export type { RequestFigures } from '../dispatch/messages.ts';

/** Told about every batch of records, in order; must not throw (a throw is swallowed). */
export type BatchListener = (batch: readonly RequestFigures[]) => void;

/** A batch is formatted early once it holds this many records, so memory stays bounded under load. */
const MAX_BATCH = 4096;

/** Records every request, in batches. */
export class AccessLog {
  readonly file: string;
  readonly format: AccessFormat;
  readonly #file: AccessLogFile | null;
  readonly #formatter: AccessLineFormatter | null;
  readonly #flushMs: number;
  readonly #listeners = new Set<BatchListener>();
  #batch: RequestRecord[] = [];
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  readonly #sink: ((batch: readonly RequestRecord[]) => void) | null;

  constructor(options: AccessLogOptions) {
    this.file = options.file;
    this.format = options.format;
    this.#flushMs = options.flushMs ?? 100;
    this.#sink = options.sink ?? null;
    if (options.format === 'off') {
      this.#file = null;
      this.#formatter = null;
    } else {
      const software = options.software ?? 'Paddock';
      this.#formatter = new AccessLineFormatter(options.format, { includeQueryStrings: options.includeQueryStrings });
      this.#file = new AccessLogFile({
        file: options.file,
        maxBytes: options.maxBytes,
        maxFiles: options.maxFiles,
        header: options.format === 'w3c' ? () => w3cHeader(software, new Date()) : () => '',
        onError: options.onError,
        retryMs: options.retryMs,
      });
    }
  }

  /** Bytes of lines dropped because the file could not be written. */
  get droppedBytes(): number {
    return this.#file?.droppedBytes ?? 0;
  }

  /** Records a finished request. The request path's whole cost: one push, sometimes a timer. */
  record(r: RequestRecord): void {
    if (this.#closed) return;
    this.#batch.push(r);
    if (this.#batch.length >= MAX_BATCH) this.#flush();
    else if (this.#timer === null) {
      this.#timer = setTimeout(() => this.#flush(), this.#flushMs);
      this.#timer.unref();
    }
  }

  /** Calls `fn` with every batch from now on; returns the unsubscribe function. */
  onBatch(fn: BatchListener): () => void {
    this.#listeners.add(fn);
    return () => {
      this.#listeners.delete(fn);
    };
  }

  /**
   * A batch a front-door thread formatted: its lines go to the file, its figures to the listeners,
   * after what this log holds itself.
   */
  appendFormatted(chunks: readonly Uint8Array[], figures: readonly RequestFigures[]): void {
    if (this.#closed) return;
    this.#flush();
    this.#tell(figures);
    if (this.#file === null) return;
    for (const chunk of chunks) this.#file.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }

  #tell(batch: readonly RequestFigures[]): void {
    for (const fn of this.#listeners) {
      try {
        fn(batch);
      } catch {
        // a figure that cannot be counted must not cost the log its lines
      }
    }
  }

  #flush(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    const batch = this.#batch;
    if (batch.length === 0) return;
    this.#batch = [];
    if (this.#sink !== null) return this.#sink(batch);
    this.#tell(batch);
    if (this.#formatter === null || this.#file === null) return;
    for (const chunk of this.#formatter.encode(batch)) this.#file.write(chunk);
  }

  /** Formats what is pending now and resolves once it is written (tests, shutdown). */
  async flush(): Promise<void> {
    await this.upstream?.();
    this.#flush();
    await this.#file?.flushed();
  }

  /** Resolves when the front-door threads have handed over every record they hold (set by them). */
  upstream: (() => Promise<void>) | null = null;

  /** Writes what is pending and closes the file; later records are ignored. */
  async close(): Promise<void> {
    this.#flush();
    this.#closed = true;
    await this.#file?.close();
  }
}
