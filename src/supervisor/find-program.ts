/**
 * Whether a worker's program exists before it is started. Workers start through setpriv, so a
 * program that is not installed would show only as an exit with code 127, five times, until
 * rapid-fail stops the pool; looked up first, it is one clear event (7240) naming the program.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/** The file `program` runs as (a path, or the first match on `path`), or null when there is none. */
export function findProgram(program: string, path: string | undefined, cwd: string): string | null {
  if (program.includes('/')) return runnable(isAbsolute(program) ? program : resolve(cwd, program));
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '') continue;
    const found = runnable(join(isAbsolute(dir) ? dir : resolve(cwd, dir), program));
    if (found !== null) return found;
  }
  return null;
}

function runnable(file: string): string | null {
  try {
    if (!statSync(file).isFile()) return null;
    accessSync(file, constants.X_OK);
    return file;
  } catch {
    return null;
  }
}
