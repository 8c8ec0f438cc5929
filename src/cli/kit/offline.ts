/**
 * `events`, `crashes`, `crash` and `logs` when no host answers: what they show is on disk in the
 * host's dataDir (the event log, the crash store, the pool log files), so they read it there
 * directly and say so on stderr. The dataDir is the configuration's (`--config`, `$PADDOCK_CONFIG`
 * or ./paddock.yaml), or the folder of `--admin SOCKET` when the event log is beside it (the
 * default admin socket lives in dataDir). A TCP admin URL names another machine: nothing to read.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type { Command } from 'commander';
import { HOST_DEFAULTS } from '../../config/defaults.ts';
import { CliError, EXIT, type AdminClient } from './admin-client.ts';
import { clientFor, globals } from './command-kit.ts';
import { configPath } from './target.ts';

/** Whether a folder holds what a host writes (its event log, logs or crash store). */
function isDataDir(dir: string): boolean {
  return ['events.db', 'logs', 'crashes'].some((f) => existsSync(join(dir, f)));
}

/** The dataDir of a configuration file that may be broken: as the loader resolves it. */
async function dataDirOfFile(file: string): Promise<string | null> {
  if (!existsSync(file)) return null;
  try {
    const { loadConfig } = await import('../../config/load.ts');
    const loaded = loadConfig(file);
    if (loaded.ok) return loaded.config.dataDir;
  } catch {
    // fall through to the raw key
  }
  try {
    const { parse } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
    const doc = parse(readFileSync(file, 'utf8')) as { dataDir?: unknown } | null;
    return resolve(dirname(file), typeof doc?.dataDir === 'string' ? doc.dataDir : HOST_DEFAULTS.dataDir);
  } catch {
    return null;
  }
}

/** The dataDir to read for a command whose host does not answer, or null. */
export async function offlineDataDir(cmd: Command): Promise<string | null> {
  const opts = globals(cmd);
  if (opts.admin !== undefined) {
    if (/^https?:\/\//i.test(opts.admin)) return null;
    const dir = dirname(resolve(opts.admin));
    if (isDataDir(dir)) return dir;
    if (opts.config === undefined && process.env.PADDOCK_CONFIG === undefined) return null;
  }
  const dir = await dataDirOfFile(configPath(opts));
  return dir !== null && isDataDir(dir) ? dir : null;
}

/**
 * Runs `online` against the host; when no host answers, runs `offline` on its dataDir instead,
 * after saying so on stderr. Without a dataDir to read, the "no host" error stands (exit 3).
 */
export async function hostOrDataDir<T>(cmd: Command, online: (client: AdminClient) => Promise<T>, offline: (dataDir: string) => Promise<T>): Promise<T> {
  try {
    return await online(await clientFor(cmd));
  } catch (err) {
    if (!(err instanceof CliError) || err.exitCode !== EXIT.unreachable) throw err;
    const dir = await offlineDataDir(cmd);
    if (dir === null) throw err;
    process.stderr.write(`paddock: no host is running (${err.message.replace(/ — .*$/, '')}); reading ${dir} directly\n`);
    return offline(dir);
  }
}
