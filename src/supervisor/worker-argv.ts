/**
 * A worker's argv from its pool's `command` (never through a shell): `{port}`/`$PORT` replaced,
 * and for runtime node a leading `node` — or a script given as the program — run by the host's
 * own Node, the one the project pins (Node 24).
 */
import type { PoolConfig } from '../config/types.ts';
import { expandPort } from './worker-port.ts';

/** The argv of one worker whose PORT holds `port`. */
export function workerArgv(pool: PoolConfig, port: string, execPath: string = process.execPath): string[] {
  const argv = expandPort(pool.command, port);
  if (pool.runtime !== 'node' || argv.length === 0) return argv;
  if (argv[0] === 'node') argv[0] = execPath;
  else if (/\.[cm]?js$/.test(argv[0])) argv.unshift(execPath);
  return argv;
}
