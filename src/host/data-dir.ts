/**
 * What is private in dataDir (docs/identity.md). Workers may run as other users (an
 * ApplicationPoolIdentity, a SpecificUser); they must reach their own socket folder and report
 * folder, and nothing else of the host's:
 * - dataDir itself is 0711: enterable, not listable, so a worker reaches `run/<pool>/` by its path;
 * - events.db (and its -wal, -shm), admin.token: 0600; the admin socket: 0600 (admin-server.ts);
 * - logs/ and crashes/: 0700;
 * - run/ and reports/: 0711, each pool's folder inside owned by the pool's uid, 0700.
 */
import { chmodSync, closeSync, lstatSync, mkdirSync, openSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ensureDir } from '../service/ensure-dir.ts';
import { PaddockError } from '../paddock-error.ts';

/** A folder the host needs is not safe to use (another owner, a symlink). */
export class DataDirError extends PaddockError<'DATA_DIR_UNSAFE'> {
  constructor(message: string) {
    super('DATA_DIR_UNSAFE', message, { step: 'prepare dataDir' });
  }
}

/** Makes dataDir and sets the modes above on what the host keeps there. */
export function prepareDataDir(dataDir: string): void {
  ensureDir(dataDir, 'dataDir', 0o711);
  tryChmod(dataDir, 0o711);
  for (const sub of ['logs', 'crashes']) {
    mkdirSync(join(dataDir, sub), { recursive: true, mode: 0o700 });
    tryChmod(join(dataDir, sub), 0o700);
  }
  const db = join(dataDir, 'events.db');
  // SQLite gives -wal and -shm the mode of the database file: make it 0600 before SQLite opens it.
  try {
    closeSync(openSync(db, 'a', 0o600));
  } catch {
    // EventLog.open reports a database it cannot open
  }
  for (const name of readdirSync(dataDir)) {
    if (name.startsWith('events.db') || name === 'admin.token') tryChmod(join(dataDir, name), 0o600);
  }
}

function tryChmod(path: string, mode: number): void {
  try {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) return;
    if ((st.mode & 0o7777) !== mode) chmodSync(path, mode);
  } catch {
    // a folder owned by another user keeps its mode; the host still works
  }
}

/** Whether a user with no relation to the owners (an ApplicationPoolIdentity) can enter `dir` and every folder above it. */
export function everyoneCanEnter(dir: string): boolean {
  for (let p = dir; ; p = dirname(p)) {
    try {
      if ((statSync(p).mode & 0o001) === 0) return false;
    } catch {
      // not made yet: made 0711 by the host
    }
    if (dirname(p) === p) return true;
  }
}

/** Makes a run folder outside dataDir (in the temp folder) and refuses one another user made or a symlink. */
export function makeOwnRunDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o711 });
  const st = lstatSync(dir);
  if (st.isSymbolicLink() || !st.isDirectory() || st.uid !== (process.getuid?.() ?? st.uid)) {
    throw new DataDirError(`the run folder ${dir} exists but is not a folder of the host's own user: remove it`);
  }
  tryChmod(dir, 0o711);
}
