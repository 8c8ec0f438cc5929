/**
 * A diagnostic store (the event log, the crash index) found corrupt is moved aside, not repaired
 * and not fatal: `events.db` becomes `events.db.corrupt-20261201T235900Z` (its -wal and -shm
 * beside it), a fresh one is opened, and an event says so. The moved file stays for an operator
 * to inspect or recover with `sqlite3 .recover`. A diagnostic store never stops the service.
 */
import { existsSync, renameSync, rmSync } from 'node:fs';

/** SQLite's primary result codes that mean the file is damaged or not a database. */
const SQLITE_CORRUPT = 11;
const SQLITE_NOTADB = 26;

/** Whether an error from node:sqlite (or JSON parsing of a store) says the file is damaged. */
export function isCorruption(err: unknown): boolean {
  const e = err as { errcode?: unknown; message?: unknown } | null;
  if (e === null || typeof e !== 'object') return false;
  if (typeof e.errcode === 'number') {
    const primary = e.errcode & 0xff;
    return primary === SQLITE_CORRUPT || primary === SQLITE_NOTADB;
  }
  return typeof e.message === 'string' && /database disk image is malformed|file is not a database/.test(e.message);
}

/** The suffix of a moved-aside file: `corrupt-` and the UTC time in ISO 8601 basic format. */
export function corruptSuffix(nowMs: number): string {
  return 'corrupt-' + new Date(nowMs).toISOString().replace(/\.\d{3}/, '').replace(/[-:]/g, '');
}

/**
 * Renames `file` (and SQLite's `-wal`, `-shm` and `-journal` beside it) to `<file>.corrupt-<TIME>`;
 * returns the new path of `file`. A second damage within the same second gets a counter.
 */
export function moveAside(file: string, nowMs: number): string {
  let to = `${file}.${corruptSuffix(nowMs)}`;
  for (let n = 2; existsSync(to); n++) to = `${file}.${corruptSuffix(nowMs)}-${n}`;
  renameSync(file, to);
  for (const extra of ['-wal', '-shm', '-journal']) {
    if (existsSync(file + extra)) {
      try {
        renameSync(file + extra, to + extra);
      } catch {
        // A journal left at the path would be applied to the fresh file: it goes.
        rmSync(file + extra, { force: true });
      }
    }
  }
  return to;
}
