/**
 * Where reports live: one JSON file per report in `<dataDir>/crashes/`, kept cores in
 * `<dataDir>/crashes/cores/`, and a small SQLite index (`crashes/index.db`) of reports and buckets.
 * Bounded like IIS's and WER's report stores: past the count or byte limits the oldest reports
 * (and cores) are removed first; buckets keep their counts after their reports are gone, so
 * "this bug happened 40 times since March" survives the limits.
 */
import { chmodSync, copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { CrashBucket, CrashReport, ReportKind } from './report-types.ts';
import { PaddockError } from '../paddock-error.ts';

export interface CrashStoreLimits {
  /** Reports kept. Default 200. */
  readonly maxReports: number;
  /** Bytes of report files kept. Default 64 MiB. */
  readonly maxReportBytes: number;
  /** Cores kept (keepCores). Default 3. */
  readonly maxCores: number;
  /** Bytes of cores kept. Default 2 GiB. */
  readonly maxCoreBytes: number;
  /** Buckets kept, least recently seen removed first. Default 1000. */
  readonly maxBuckets: number;
}

export const DEFAULT_STORE_LIMITS: CrashStoreLimits = {
  maxReports: 200,
  maxReportBytes: 64 * 1024 * 1024,
  maxCores: 3,
  maxCoreBytes: 2 * 1024 * 1024 * 1024,
  maxBuckets: 1000,
};

/** Thrown by `open()`; `save()` and reads report failures to their caller. */
export class CrashStoreError extends PaddockError<'CrashStoreOpenFailed' | 'CrashStoreWriteFailed'> {
  constructor(code: CrashStoreError['code'], message: string, cause?: unknown) {
    super(code, message, { cause, step: code === 'CrashStoreOpenFailed' ? 'open the crash index' : 'store a crash report' });
  }
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS reports (
  id TEXT PRIMARY KEY,
  bucket TEXT NOT NULL,
  kind TEXT NOT NULL,
  pool TEXT NOT NULL,
  ts INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  core TEXT,
  core_bytes INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS reports_ts ON reports (ts);
CREATE INDEX IF NOT EXISTS reports_bucket ON reports (bucket, ts);
CREATE TABLE IF NOT EXISTS buckets (
  bucket TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  signature TEXT NOT NULL,
  count INTEGER NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  pools TEXT NOT NULL,
  top TEXT NOT NULL,
  error TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS buckets_last ON buckets (last_seen);
`;

/** Poison requests a bucket keeps. */
const poisonKept = 20;

/** Columns added after the first schema, put into an index made before them. */
function migrate(db: DatabaseSync): void {
  const columns = (db.prepare('PRAGMA table_info(buckets)').all() as Array<{ name: string }>).map((c) => c.name);
  if (!columns.includes('poison')) db.exec(`ALTER TABLE buckets ADD COLUMN poison TEXT NOT NULL DEFAULT '[]'`);
}

/** A report or bucket id: letters, digits, '.', '_', '-' (never a path). */
export const REPORT_ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

interface BucketRow {
  bucket: string;
  kind: string;
  signature: string;
  count: number;
  first_seen: number;
  last_seen: number;
  pools: string;
  top: string;
  error: string;
  latest: string | null;
  poison: string;
}

/** The report files and bucket index of one host. */
export class CrashStore {
  readonly dir: string;
  readonly coreDir: string;
  readonly limits: CrashStoreLimits;
  readonly #db: DatabaseSync;
  #closed = false;

  private constructor(dir: string, db: DatabaseSync, limits: CrashStoreLimits) {
    this.dir = dir;
    this.coreDir = join(dir, 'cores');
    this.#db = db;
    this.limits = limits;
  }

  /** Opens (creating) `<dataDir>/crashes`; throws CrashStoreError CrashStoreOpenFailed. */
  static open(dataDir: string, limits: Partial<CrashStoreLimits> = {}): CrashStore {
    const dir = join(dataDir, 'crashes');
    let db: DatabaseSync | undefined;
    try {
      // Reports hold stderr tails and stacks: readable by the host's user only.
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      db = new DatabaseSync(join(dir, 'index.db'));
      db.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=250;');
      db.exec(SCHEMA);
      migrate(db);
      return new CrashStore(dir, db, { ...DEFAULT_STORE_LIMITS, ...limits });
    } catch (err) {
      try { db?.close(); } catch { /* already failing */ }
      throw new CrashStoreError('CrashStoreOpenFailed', `cannot open the crash store in ${dir}: ${(err as Error).message}`, err);
    }
  }

  /**
   * Moves a core into the store as `cores/<id>.core` (copying across file systems) and removes
   * older cores past the limits. Returns the new path.
   */
  keepCore(id: string, core: string): string {
    mkdirSync(this.coreDir, { recursive: true, mode: 0o700 });
    const target = join(this.coreDir, `${id}.core`);
    try {
      renameSync(core, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      copyFileSync(core, target);
      unlinkSync(core);
    }
    chmodSync(target, 0o600);
    return target;
  }

  /** Stores a report and counts it in its bucket; removes the oldest reports past the limits. */
  save(report: CrashReport): { readonly removed: readonly string[] } {
    if (!REPORT_ID.test(report.id)) throw new CrashStoreError('CrashStoreWriteFailed', `invalid report id '${report.id}'`);
    const text = JSON.stringify(report, null, 2) + '\n';
    const file = join(this.dir, `${report.id}.json`);
    try {
      writeFileSync(`${file}.tmp`, text, { mode: 0o600 });
      renameSync(`${file}.tmp`, file);
    } catch (err) {
      throw new CrashStoreError('CrashStoreWriteFailed', `cannot write ${file}: ${(err as Error).message}`, err);
    }
    const ts = Date.parse(report.time);
    const keptCore = report.core?.status === 'kept' ? report.core.path : null;
    this.#db.prepare('INSERT OR REPLACE INTO reports (id, bucket, kind, pool, ts, bytes, core, core_bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(report.id, report.bucket, report.kind, report.pool, ts, Buffer.byteLength(text), keptCore, keptCore ? (report.core?.bytes ?? 0) : 0);
    const old = this.#db.prepare('SELECT pools, poison FROM buckets WHERE bucket = ?').get(report.bucket) as { pools: string; poison: string } | undefined;
    const poison = [...(old ? (JSON.parse(old.poison) as string[]) : []), ...(report.poisonRequests ?? [])].slice(-poisonKept);
    const pools = old ? (JSON.parse(old.pools) as string[]) : [];
    if (!pools.includes(report.pool)) pools.push(report.pool);
    const error = report.error.message ? `${report.error.type}: ${report.error.message}` : report.error.type;
    if (old) {
      this.#db.prepare('UPDATE buckets SET count = count + 1, last_seen = max(last_seen, ?), first_seen = min(first_seen, ?), pools = ?, top = ?, error = ?, poison = ? WHERE bucket = ?')
        .run(ts, ts, JSON.stringify(pools), JSON.stringify(report.top), error.slice(0, 500), JSON.stringify(poison), report.bucket);
    } else {
      this.#db.prepare('INSERT INTO buckets (bucket, kind, signature, count, first_seen, last_seen, pools, top, error, poison) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?)')
        .run(report.bucket, report.kind, report.signature, ts, ts, JSON.stringify(pools), JSON.stringify(report.top), error.slice(0, 500), JSON.stringify(poison));
    }
    return { removed: this.#enforceLimits() };
  }

  #enforceLimits(): string[] {
    const removed: string[] = [];
    const totals = (): { n: number; bytes: number } => this.#db.prepare('SELECT count(*) AS n, coalesce(sum(bytes), 0) AS bytes FROM reports').get() as { n: number; bytes: number };
    const oldest = this.#db.prepare('SELECT id, core FROM reports ORDER BY ts ASC, id ASC LIMIT 1');
    for (let t = totals(); t.n > 1 && (t.n > this.limits.maxReports || t.bytes > this.limits.maxReportBytes); t = totals()) {
      const row = oldest.get() as { id: string; core: string | null };
      this.#removeReport(row.id, row.core);
      removed.push(row.id);
    }
    // Cores: the largest files by far, with their own limits.
    const coreTotals = (): { n: number; bytes: number } => this.#db.prepare('SELECT count(*) AS n, coalesce(sum(core_bytes), 0) AS bytes FROM reports WHERE core IS NOT NULL').get() as { n: number; bytes: number };
    const oldestCore = this.#db.prepare('SELECT id, core FROM reports WHERE core IS NOT NULL ORDER BY ts ASC, id ASC LIMIT 1');
    for (let c = coreTotals(); c.n > 0 && (c.n > this.limits.maxCores || c.bytes > this.limits.maxCoreBytes); c = coreTotals()) {
      const row = oldestCore.get() as { id: string; core: string };
      rmSync(row.core, { force: true });
      this.#db.prepare('UPDATE reports SET core = NULL, core_bytes = 0 WHERE id = ?').run(row.id);
      this.#markCoreRemoved(row.id);
    }
    const buckets = (this.#db.prepare('SELECT count(*) AS n FROM buckets').get() as { n: number }).n;
    if (buckets > this.limits.maxBuckets) {
      this.#db.prepare('DELETE FROM buckets WHERE bucket IN (SELECT bucket FROM buckets ORDER BY last_seen ASC LIMIT ?)').run(buckets - this.limits.maxBuckets);
    }
    return removed;
  }

  #removeReport(id: string, core: string | null): void {
    rmSync(join(this.dir, `${id}.json`), { force: true });
    if (core !== null) rmSync(core, { force: true });
    this.#db.prepare('DELETE FROM reports WHERE id = ?').run(id);
  }

  #markCoreRemoved(id: string): void {
    const file = join(this.dir, `${id}.json`);
    try {
      const report = JSON.parse(readFileSync(file, 'utf8')) as CrashReport;
      const core = report.core ? { ...report.core, status: 'deleted' as const, note: 'removed by the core limit of the crash store' } : report.core;
      writeFileSync(file, JSON.stringify({ ...report, core }, null, 2) + '\n', { mode: 0o600 });
    } catch {
      // the report itself is gone: nothing to update
    }
  }

  /** Buckets, most recently seen first; with `pool`, those that pool has hit. */
  buckets(pool?: string, kind?: ReportKind): CrashBucket[] {
    const where: string[] = [];
    const args: Array<string> = [];
    if (pool !== undefined) {
      where.push('EXISTS (SELECT 1 FROM json_each(b.pools) WHERE value = ?)');
      args.push(pool);
    }
    if (kind !== undefined) {
      where.push('b.kind = ?');
      args.push(kind);
    }
    const sql = `SELECT b.*, (SELECT r.id FROM reports r WHERE r.bucket = b.bucket ORDER BY r.ts DESC, r.id DESC LIMIT 1) AS latest
      FROM buckets b ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY b.last_seen DESC, b.bucket ASC`;
    return (this.#db.prepare(sql).all(...args) as unknown as BucketRow[]).map(toBucket);
  }

  /** One bucket by id, or null. */
  bucket(id: string): CrashBucket | null {
    return this.buckets().find((b) => b.bucket === id) ?? null;
  }

  /** Ids of the stored reports, newest first (optionally of one bucket). */
  reportIds(bucket?: string): string[] {
    const rows = bucket === undefined
      ? this.#db.prepare('SELECT id FROM reports ORDER BY ts DESC, id DESC').all()
      : this.#db.prepare('SELECT id FROM reports WHERE bucket = ? ORDER BY ts DESC, id DESC').all(bucket);
    return (rows as Array<{ id: string }>).map((r) => r.id);
  }

  /** A report by its id, or the newest stored report of a bucket by the bucket's id; null when neither. */
  report(id: string): CrashReport | null {
    if (!REPORT_ID.test(id)) return null;
    const direct = this.#read(id);
    if (direct !== null) return direct;
    const latest = this.reportIds(id)[0];
    return latest === undefined ? null : this.#read(latest);
  }

  #read(id: string): CrashReport | null {
    try {
      return JSON.parse(readFileSync(join(this.dir, `${id}.json`), 'utf8')) as CrashReport;
    } catch {
      return null;
    }
  }

  /** Bytes of the stored report files and cores (for tests and metrics). */
  usage(): { reports: number; reportBytes: number; cores: number; coreBytes: number } {
    const r = this.#db.prepare('SELECT count(*) AS n, coalesce(sum(bytes), 0) AS b FROM reports').get() as { n: number; b: number };
    const c = this.#db.prepare('SELECT count(*) AS n, coalesce(sum(core_bytes), 0) AS b FROM reports WHERE core IS NOT NULL').get() as { n: number; b: number };
    return { reports: r.n, reportBytes: r.b, cores: c.n, coreBytes: c.b };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#db.close();
    } catch {
      // already closed
    }
  }
}

function toBucket(row: BucketRow): CrashBucket {
  return {
    bucket: row.bucket,
    kind: row.kind as ReportKind,
    signature: row.signature,
    count: row.count,
    firstSeen: new Date(row.first_seen).toISOString(),
    lastSeen: new Date(row.last_seen).toISOString(),
    pools: JSON.parse(row.pools) as string[],
    top: JSON.parse(row.top) as string[],
    error: row.error,
    latest: row.latest,
    poisonRequests: JSON.parse(row.poison ?? '[]') as string[],
  };
}

/** Size of a file, or 0. */
export function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
