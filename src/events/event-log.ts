/**
 * The event log (DESIGN §6): every state change of the host, its pools and workers as a numbered
 * event, kept in SQLite at `<dataDir>/events.db` and echoed as one JSON line on stdout — the
 * Windows event log and the ETW trace of IIS in one place.
 *
 * Writing an event must never hurt the host: a full disk or a read-only file costs the stored copy,
 * not the stdout line, not the subscribers, and never throws into the caller.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { defaultLevel, type EventLevel } from './event-ids.ts';
import { PaddockError } from '../paddock-error.ts';

export type { EventLevel } from './event-ids.ts';

/** One stored event. `seq` is 0 for an event that could not be stored. */
export interface PaddockEvent {
  readonly seq: number;
  readonly id: number;
  /** ISO 8601, UTC. */
  readonly time: string;
  readonly level: EventLevel;
  readonly pool: string | null;
  readonly worker: string | null;
  readonly pid: number | null;
  readonly message: string;
  readonly details: Readonly<Record<string, unknown>>;
}

export interface EventInput {
  id: number;
  message: string;
  /** Default: `defaultLevel(id)` (event-ids.ts). */
  level?: EventLevel;
  pool?: string | null;
  worker?: string | null;
  pid?: number | null;
  details?: Record<string, unknown>;
}

export interface EventQuery {
  pool?: string;
  id?: number;
  /** Only events at or after this time (epoch ms). */
  sinceMs?: number;
  /**
   * Only events with a greater seq. With afterSeq the *oldest* `limit` events after it are returned,
   * so a follower that pages forward by the last seq it saw never skips one.
   */
  afterSeq?: number;
  /** Default 100, at most 10000. Without afterSeq: the newest `limit`, in ascending order. */
  limit?: number;
}

export interface EventLogOptions {
  /** Writer of the structured stdout line; null silences it (tests). Default: process.stdout. */
  stdout?: ((line: string) => void) | null;
  /** Where a storage failure is reported, once per streak. Default: process.stderr. */
  stderr?: (line: string) => void;
  /** Clock, epoch ms. Default Date.now. */
  now?: () => number;
  /** How long a write waits for another connection's write lock (SQLite busy_timeout). Default 250 ms. */
  busyTimeoutMs?: number;
  /** Events kept; older ones are deleted as new ones arrive. Default 1,000,000 (~300 MB). */
  maxEvents?: number;
}

/** Thrown by `open()` and `query()`; never by `write()`. */
export class EventLogError extends PaddockError<'EventLogOpenFailed' | 'EventLogQueryFailed' | 'EventLogClosed'> {
  constructor(code: EventLogError['code'], message: string, cause?: unknown) {
    super(code, message, { cause, step: code === 'EventLogOpenFailed' ? 'open events.db' : code === 'EventLogQueryFailed' ? 'query events.db' : 'use events.db' });
  }
}

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 10_000;
/** Retention is enforced every this many writes, not on each one. */
const PRUNE_EVERY = 1000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id INTEGER NOT NULL,
  time TEXT NOT NULL,
  ts INTEGER NOT NULL,
  level TEXT NOT NULL,
  pool TEXT,
  worker TEXT,
  pid INTEGER,
  message TEXT NOT NULL,
  details TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_pool_ts ON events (pool, ts);
CREATE INDEX IF NOT EXISTS events_id ON events (id);
CREATE INDEX IF NOT EXISTS events_ts ON events (ts);
`;

interface EventRow {
  seq: number;
  id: number;
  time: string;
  level: string;
  pool: string | null;
  worker: string | null;
  pid: number | null;
  message: string;
  details: string;
}

/** The SQLite-backed event log of one host. */
export class EventLog {
  readonly file: string;
  readonly #db: DatabaseSync;
  readonly #insert: StatementSync;
  readonly #prune: StatementSync;
  readonly #queries = new Map<string, StatementSync>();
  readonly #listeners = new Set<(e: PaddockEvent) => void>();
  readonly #stdout: ((line: string) => void) | null;
  readonly #stderr: (line: string) => void;
  readonly #now: () => number;
  readonly #maxEvents: number;
  #failures = 0;
  #streak = 0;
  #writes = 0;
  #closed = false;

  private constructor(file: string, db: DatabaseSync, options: EventLogOptions) {
    this.file = file;
    this.#db = db;
    this.#insert = db.prepare(
      'INSERT INTO events (id, time, ts, level, pool, worker, pid, message, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.#prune = db.prepare('DELETE FROM events WHERE seq <= ?');
    this.#stdout = options.stdout === undefined ? (line) => process.stdout.write(line + '\n') : options.stdout;
    this.#stderr = options.stderr ?? ((line) => process.stderr.write(line + '\n'));
    this.#now = options.now ?? Date.now;
    this.#maxEvents = options.maxEvents ?? 1_000_000;
  }

  /** Opens (creating if needed) `<dataDir>/events.db`; throws EventLogError EventLogOpenFailed. */
  static open(dataDir: string, options: EventLogOptions = {}): EventLog {
    const file = join(dataDir, 'events.db');
    let db: DatabaseSync | undefined;
    try {
      mkdirSync(dataDir, { recursive: true });
      db = new DatabaseSync(file);
      // WAL: readers (the admin API) never block the writer; NORMAL: a commit survives a crash of
      // the host process (not of the machine) without an fsync per event.
      db.exec(`PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=${Math.max(0, Math.floor(options.busyTimeoutMs ?? 250))};`);
      db.exec(SCHEMA);
      return new EventLog(file, db, options);
    } catch (err) {
      try { db?.close(); } catch { /* already failing */ }
      throw new EventLogError('EventLogOpenFailed', `cannot open event log ${file}: ${(err as Error).message}`, err);
    }
  }

  /** Storage failures since open (the events still went to stdout and subscribers). */
  get writeFailures(): number {
    return this.#failures;
  }

  /** Records an event: SQLite, then the stdout line, then subscribers. Never throws. */
  write(e: EventInput): PaddockEvent {
    const ts = this.#now();
    const time = new Date(ts).toISOString();
    const level = e.level ?? defaultLevel(e.id);
    const details = e.details ?? {};
    const detailsJson = safeJson(details);
    const message = String(e.message ?? '');
    let seq = 0;
    try {
      if (this.#closed) throw new EventLogError('EventLogClosed', 'event log is closed');
      const r = this.#insert.run(e.id, time, ts, level, e.pool ?? null, e.worker ?? null, e.pid ?? null, message, detailsJson);
      seq = Number(r.lastInsertRowid);
      this.#succeeded();
      if (++this.#writes % PRUNE_EVERY === 0) this.#retain(seq);
    } catch (err) {
      this.#failed(err);
    }
    const event: PaddockEvent = Object.freeze({
      seq, id: e.id, time, level, pool: e.pool ?? null, worker: e.worker ?? null, pid: e.pid ?? null,
      message, details: Object.freeze(JSON.parse(detailsJson) as Record<string, unknown>),
    });
    if (this.#stdout) {
      const line = `{"time":${JSON.stringify(time)},"level":"${level}","event":${e.id},"pool":${JSON.stringify(event.pool)},` +
        `"worker":${JSON.stringify(event.worker)},"pid":${JSON.stringify(event.pid)},"msg":${JSON.stringify(message)},"details":${detailsJson}}`;
      try { this.#stdout(line); } catch { /* a closed stdout must not stop the host */ }
    }
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (err) {
        this.#report(`paddock: event listener failed on event ${e.id}: ${(err as Error)?.message ?? err}`);
      }
    }
    return event;
  }

  /** Stored events matching every given filter, in ascending seq (= time) order. */
  query(q: EventQuery = {}): PaddockEvent[] {
    if (this.#closed) throw new EventLogError('EventLogClosed', 'event log is closed');
    const wanted = Number.isFinite(q.limit) ? Math.floor(q.limit!) : DEFAULT_LIMIT;
    const limit = Math.min(MAX_LIMIT, Math.max(1, wanted));
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (q.pool !== undefined) { where.push('pool = ?'); params.push(q.pool); }
    if (q.id !== undefined) { where.push('id = ?'); params.push(q.id); }
    if (q.sinceMs !== undefined) { where.push('ts >= ?'); params.push(q.sinceMs); }
    const forward = q.afterSeq !== undefined;
    if (forward) { where.push('seq > ?'); params.push(q.afterSeq!); }
    const sql = `SELECT seq, id, time, level, pool, worker, pid, message, details FROM events` +
      (where.length ? ` WHERE ${where.join(' AND ')}` : '') + ` ORDER BY seq ${forward ? 'ASC' : 'DESC'} LIMIT ?`;
    try {
      let stmt = this.#queries.get(sql);
      if (!stmt) {
        stmt = this.#db.prepare(sql);
        this.#queries.set(sql, stmt);
      }
      const rows = stmt.all(...params, limit) as unknown as EventRow[];
      if (!forward) rows.reverse();
      return rows.map(toEvent);
    } catch (err) {
      throw new EventLogError('EventLogQueryFailed', `event query failed: ${(err as Error).message}`, err);
    }
  }

  /** Calls `listener` with every event written from now on; returns the unsubscribe function. */
  on(listener: (e: PaddockEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => { this.#listeners.delete(listener); };
  }

  /** Closes the database. Later writes still reach stdout and subscribers, and count as failures. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try { this.#db.close(); } catch { /* closing is best effort */ }
  }

  #retain(lastSeq: number): void {
    try {
      this.#prune.run(lastSeq - this.#maxEvents);
    } catch { /* retention is retried on the next round */ }
  }

  #succeeded(): void {
    if (this.#streak > 0) {
      this.#report(`paddock: event log ${this.file} writable again after ${this.#streak} failed write(s)`);
      this.#streak = 0;
    }
  }

  #failed(err: unknown): void {
    this.#failures++;
    // One line per streak: a full disk must not turn into one stderr line per event.
    if (this.#streak++ === 0) {
      this.#report(`paddock: cannot store events in ${this.file}: ${(err as Error)?.message ?? err}; events still go to stdout`);
    }
  }

  #report(line: string): void {
    try { this.#stderr(line); } catch { /* nowhere left to report */ }
  }
}

function toEvent(r: EventRow): PaddockEvent {
  let details: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(r.details);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) details = parsed as Record<string, unknown>;
  } catch { /* a damaged row keeps its other fields */ }
  return Object.freeze({
    seq: r.seq, id: r.id, time: r.time, level: r.level as EventLevel, pool: r.pool, worker: r.worker,
    pid: r.pid, message: r.message, details: Object.freeze(details),
  });
}

/** JSON of an object that may hold bigints, errors or cycles; always a JSON object text. */
function safeJson(value: Record<string, unknown>): string {
  const plain = (_key: string, v: unknown): unknown => {
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Error) return { name: v.name, message: v.message, code: (v as { code?: unknown }).code };
    return v;
  };
  try {
    const text = JSON.stringify(value, plain);
    return text && text.startsWith('{') ? text : '{}';
  } catch {
    // Most likely a cycle: retry marking repeated objects (shared ones too, which is acceptable here).
    const seen = new WeakSet<object>();
    try {
      return JSON.stringify(value, (key, v: unknown) => {
        const out = plain(key, v);
        if (out && typeof out === 'object') {
          if (seen.has(out)) return '[Circular]';
          seen.add(out);
        }
        return out;
      }) ?? '{}';
    } catch (err) {
      return JSON.stringify({ unserializable: String((err as Error)?.message ?? err) });
    }
  }
}
