/**
 * The access log of refusals and failures (IIS HTTPERR): every request the front door answered
 * itself, with the HTTP.sys reason (QueueFull, AppOffline, Disabled, AppShutdown,
 * Connection_Abandoned_By_AppPool, ...). Successful requests are counted in /metrics, not
 * logged line by line, which keeps the request path cheap.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

/** After a failure the file is tried again on the first refusal this long after it, as the output logs do. */
const DEFAULT_RETRY_MS = 5_000;

/** Appends one line per refusal: time, client, method, path, pool, status, reason. */
export class AccessLog {
  readonly file: string;
  #stream: WriteStream | null = null;
  /** While the file cannot be written: when to try again (epoch ms). */
  #retryAt = 0;
  /** A failure was reported and no write has succeeded since: one report per streak. */
  #reported = false;
  readonly #retryMs: number;
  readonly #onError: (err: Error) => void;
  /** Refusals by reason, since start. */
  readonly counts: Record<string, number> = {};

  /** `onError` is called once per streak of failures; lines are dropped until a retry succeeds. */
  constructor(file: string, onError: (err: Error) => void, options: { retryMs?: number } = {}) {
    this.file = file;
    this.#onError = onError;
    this.#retryMs = options.retryMs ?? DEFAULT_RETRY_MS;
  }

  #open(): WriteStream | null {
    if (this.#stream !== null || Date.now() < this.#retryAt) return this.#stream;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      const stream = createWriteStream(this.file, { flags: 'a' });
      stream.on('error', (err) => this.#fail(stream, err));
      this.#stream = stream;
    } catch (err) {
      this.#fail(null, err as Error);
    }
    return this.#stream;
  }

  /** A full disk must not stop the front door: say it once, drop lines, try again later. */
  #fail(stream: WriteStream | null, err: Error): void {
    if (stream !== null && stream !== this.#stream) return; // a late error of a stream already given up
    this.#stream = null;
    stream?.destroy();
    this.#retryAt = Date.now() + this.#retryMs;
    if (this.#reported) return;
    this.#reported = true;
    try {
      this.#onError(err);
    } catch {
      // the reporter's failure is not the front door's to raise
    }
  }

  /** Records a request the front door refused or failed; status 0 = connection reset. */
  refusal(client: string, method: string, path: string, pool: string | null, status: number, reason: string): void {
    this.counts[reason] = (this.counts[reason] ?? 0) + 1;
    const s = this.#open();
    if (s === null || s.writableLength > 1 << 20) return;
    const line = `${new Date().toISOString()} ${client} ${method} ${path} ${pool ?? '-'} ${status === 0 ? 'RESET' : status} ${reason}\n`;
    s.write(line, (err) => {
      if (!err) this.#reported = false;
    });
  }

  close(): void {
    this.#stream?.end();
    this.#stream = null;
  }
}
