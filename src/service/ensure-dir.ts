/**
 * Creates a directory and its missing parents, one step at a time, and fails with the step and the
 * reason. Node's `mkdir(…, { recursive: true })` loops forever on a path it cannot create under some
 * file systems (under /proc it spins at full CPU printing nothing): the host must fail fast instead,
 * saying which directory could not be made and why.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PaddockError } from '../paddock-error.ts';

/** A directory the host needs could not be made; `path` is the one that failed. */
export class EnsureDirError extends PaddockError<'DirectoryFailed'> {
  readonly path: string;
  constructor(message: string, path: string, cause?: unknown) {
    super('DirectoryFailed', message, { cause, step: `create ${path}` });
    this.path = path;
  }
}

/**
 * Makes `dir` (and missing parents, with `mode`) unless it exists; throws EnsureDirError naming
 * `what` ("dataDir"), the path that could not be made, and the system's reason.
 * @example ensureDir('/var/lib/paddock', 'dataDir')
 */
export function ensureDir(dir: string, what: string, mode = 0o755): void {
  const target = resolve(dir);
  const missing: string[] = [];
  for (let p = target; ; p = dirname(p)) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new EnsureDirError(`cannot create ${what} ${target}: ${p} cannot be read (${reason(err)})`, p, err);
      missing.unshift(p);
      if (dirname(p) === p) break;
      continue;
    }
    if (!isDir) throw new EnsureDirError(`cannot create ${what} ${target}: ${p} exists and is not a directory`, p);
    break;
  }
  for (const p of missing) {
    try {
      mkdirSync(p, { mode });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && isDirectory(p)) continue;
      const parent = dirname(p);
      throw new EnsureDirError(`cannot create ${what} ${target}: ${parent} does not take a new directory ${p} (${reason(err)})`, p, err);
    }
  }
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ? `${e.code}: ${e.message.replace(/^[A-Z]+: /, '')}` : String(e.message ?? e);
}
