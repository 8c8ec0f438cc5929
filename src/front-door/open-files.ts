/**
 * The host out of file descriptors (EMFILE, ENFILE): the front door refuses new clients cleanly
 * (accepted and closed at once) instead of letting their requests fail on the way to a worker, and
 * keeps the admin socket reachable. At start it holds a reserve of descriptors open on /dev/null;
 * when a burst begins the reserve is closed, so that `paddock status` and the answers to the
 * clients already connected find descriptors, and one event says so with RLIMIT_NOFILE. Once no
 * EMFILE was met for `quietMs` and the reserve opens again, the burst is over.
 *
 * The reserve is the classic trick of servers that must survive the limit (nginx's and libuv's
 * EMFILE handling close a spare descriptor to accept and close what is pending).
 */
import { closeSync, openSync } from 'node:fs';
import { readOpenFileLimit } from '../service/open-file-limit.ts';

/** What a burst looked like when it began, for its event. */
export interface OutOfFilesBurst {
  /** Where the limit was met: `accept` on a listener, `connect` to a worker. */
  readonly where: string;
  readonly code: string;
  /** RLIMIT_NOFILE (soft, hard); null when it could not be read. */
  readonly limit: { readonly soft: number; readonly hard: number } | null;
  /** Client connections the front door held. */
  readonly connections: number;
  /** Descriptors the reserve gave back. */
  readonly released: number;
}

export interface OpenFilesOptions {
  /** Descriptors held in reserve. Default 16. */
  readonly reserve?: number;
  /** A burst ends once no EMFILE was met for this long. Default 1 s. */
  readonly quietMs?: number;
  /** Told once per burst, as it begins; must not throw (a throw is swallowed). */
  readonly onBurst: (burst: OutOfFilesBurst) => void;
}

/** Whether an error means the process or the system has no descriptor left. */
export function isOutOfFiles(err: unknown): err is NodeJS.ErrnoException {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'EMFILE' || code === 'ENFILE';
}

/** The front door's descriptor reserve and burst state. */
export class OpenFiles {
  readonly #size: number;
  readonly #quietMs: number;
  readonly #onBurst: OpenFilesOptions['onBurst'];
  #reserve: number[] = [];
  #burst = false;
  #lastSeen = 0;
  #timer: NodeJS.Timeout | null = null;
  #refused = 0;
  #closed = false;

  constructor(options: OpenFilesOptions) {
    this.#size = options.reserve ?? 16;
    this.#quietMs = options.quietMs ?? 1000;
    this.#onBurst = options.onBurst;
    this.#fill();
  }

  /** A burst is on: new clients are refused. */
  get shedding(): boolean {
    return this.#burst;
  }

  /** Descriptors held in reserve now. */
  get reserved(): number {
    return this.#reserve.length;
  }

  /** Clients refused since the host started. */
  get refused(): number {
    return this.#refused;
  }

  /** Counts a client refused while shedding. */
  refusedOne(): void {
    this.#refused++;
  }

  /** EMFILE/ENFILE met at `where`: starts a burst (once), or extends the one in progress. */
  exhausted(where: string, err: NodeJS.ErrnoException, connections: number): void {
    if (this.#closed) return;
    this.#lastSeen = Date.now();
    if (this.#burst) return;
    this.#burst = true;
    const released = this.#reserve.length;
    this.#empty();
    try {
      this.#onBurst({ where, code: err.code ?? 'EMFILE', limit: readOpenFileLimit(), connections, released });
    } catch {
      // the report is not the front door's to fail on
    }
    this.#timer = setInterval(() => this.#check(), Math.max(50, Math.floor(this.#quietMs / 4)));
    this.#timer.unref();
  }

  /** Gives the reserve back for good (host stop). */
  close(): void {
    this.#closed = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#empty();
  }

  #check(): void {
    if (Date.now() - this.#lastSeen < this.#quietMs) return;
    // Quiet long enough: the burst is over once the reserve is whole again. A part of it is given
    // back at once: while the burst lasts, every free descriptor is the admin socket's headroom.
    this.#fill();
    if (this.#reserve.length < this.#size) {
      this.#empty();
      return;
    }
    this.#burst = false;
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  #fill(): void {
    while (this.#reserve.length < this.#size) {
      try {
        this.#reserve.push(openSync('/dev/null', 'r'));
      } catch {
        return;
      }
    }
  }

  #empty(): void {
    for (const fd of this.#reserve.splice(0)) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    }
  }
}
