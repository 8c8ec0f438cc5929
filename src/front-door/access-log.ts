/**
 * The access log of refusals and failures (IIS HTTPERR): every request the front door answered
 * itself, with the HTTP.sys reason (QueueFull, AppOffline, Disabled, AppShutdown,
 * Connection_Abandoned_By_AppPool, ...). Successful requests are counted in /metrics, not
 * logged line by line, which keeps the request path cheap.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

/** Appends one line per refusal: time, client, method, path, pool, status, reason. */
export class AccessLog {
  readonly file: string;
  #stream: WriteStream | null = null;
  #failed = false;
  readonly #onError: (err: Error) => void;
  /** Refusals by reason, since start. */
  readonly counts: Record<string, number> = {};

  constructor(file: string, onError: (err: Error) => void) {
    this.file = file;
    this.#onError = onError;
  }

  #open(): WriteStream | null {
    if (this.#stream !== null || this.#failed) return this.#stream;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      this.#stream = createWriteStream(this.file, { flags: 'a' });
      this.#stream.on('error', (err) => {
        // A full disk must not stop the front door: say it once and keep serving.
        this.#failed = true;
        this.#stream = null;
        this.#onError(err);
      });
    } catch (err) {
      this.#failed = true;
      this.#onError(err as Error);
    }
    return this.#stream;
  }

  /** Records a request the front door refused or failed; status 0 = connection reset. */
  refusal(client: string, method: string, path: string, pool: string | null, status: number, reason: string): void {
    this.counts[reason] = (this.counts[reason] ?? 0) + 1;
    const s = this.#open();
    if (s === null || s.writableLength > 1 << 20) return;
    s.write(`${new Date().toISOString()} ${client} ${method} ${path} ${pool ?? '-'} ${status === 0 ? 'RESET' : status} ${reason}\n`);
  }

  close(): void {
    this.#stream?.end();
    this.#stream = null;
  }
}
