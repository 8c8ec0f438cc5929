/**
 * Finds the programs the anchors need. A missing one makes its anchor print "not installed"; it
 * never fails the bench. Debian puts nginx and haproxy in /usr/sbin, which a non-root PATH lacks.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

const EXTRA_DIRS = ['/usr/sbin', '/sbin', '/usr/local/sbin'];

/** Absolute path of an executable named `name`, or null when none is installed. */
export function findExecutable(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...EXTRA_DIRS].filter(Boolean);
  for (const dir of dirs) {
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

/** The first line a tool prints about its version (stdout or stderr), or null. */
export function toolVersion(file: string, args: readonly string[]): string | null {
  const r = spawnSync(file, args, { encoding: 'utf8', timeout: 10_000 });
  const text = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.split('\n').map((l) => l.trim()).find((l) => l !== '');
  return text ?? null;
}
