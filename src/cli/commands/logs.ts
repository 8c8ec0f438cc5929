/**
 * `paddock logs [POOL]`: the last lines of a pool's worker output, and with `--follow` new ones;
 * without a pool, every pool's, interleaved by time and tagged with the pool. `--json` prints one
 * object per line. With the host down the log files in dataDir are read directly (offline.ts).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { PoolSnapshot } from '../../admin/host-control.ts';
import { followLog } from '../../events/read-log.ts';
import { CliError, EXIT, type AdminClient } from '../kit/admin-client.ts';
import { globals, println, seg, wholeNumber, withQuery } from '../kit/command-kit.ts';
import { logLineJson, parseLogLine, printPools, taggedLine, type LogLine } from '../kit/log-lines.ts';
import { hostOrDataDir } from '../kit/offline.ts';

const DEFAULT_LINES = 100;

interface LogsOptions {
  readonly lines?: number;
  readonly follow?: boolean;
}

/** The pools whose log files a dataDir holds (`logs/<pool>.log`; the access log is not a pool's). */
function poolsWithLogs(dataDir: string): string[] {
  try {
    return readdirSync(join(dataDir, 'logs')).filter((f) => f.endsWith('.log') && f !== 'access.log').map((f) => f.slice(0, -4)).sort();
  } catch {
    return [];
  }
}

/** Registers `logs`. */
export function register(program: Command): void {
  program
    .command('logs')
    .argument('[pool]', 'pool name (default: every pool, interleaved and tagged)')
    .description("print a pool's log (its workers' stdout and stderr), or every pool's")
    .option('-n, --lines <n>', `lines of backlog, per pool (default ${DEFAULT_LINES})`, wholeNumber(0))
    .option('-f, --follow', 'keep printing new lines as the workers write them')
    .action(async (pool: string | undefined, opts: LogsOptions, cmd: Command) => {
      const json = globals(cmd).json === true;
      const lines = opts.lines ?? DEFAULT_LINES;
      const follow = opts.follow === true;
      const one = (l: LogLine): void => println(json ? logLineJson(l) : l.line);

      const online = async (client: AdminClient): Promise<void> => {
        const stream = (name: string): AsyncIterable<string> => client.lines(withQuery(`/api/logs/${seg(name)}`, { lines, follow }), 'text/plain');
        if (pool !== undefined) {
          for await (const line of stream(pool)) one(parseLogLine(pool, line));
          return;
        }
        const names = (await client.json<PoolSnapshot[]>('GET', '/api/pools')).map((p) => p.name);
        await all(names.map((name) => ({ pool: name, lines: stream(name) })));
      };

      const offline = async (dataDir: string): Promise<void> => {
        const file = (name: string): string => join(dataDir, 'logs', `${name}.log`);
        if (pool !== undefined) {
          if (!poolsWithLogs(dataDir).includes(pool) && !follow) throw new CliError(EXIT.failed, `no log of pool '${pool}' in ${join(dataDir, 'logs')}`);
          for await (const line of followLog(file(pool), { lines, follow })) one(parseLogLine(pool, line));
          return;
        }
        await all(poolsWithLogs(dataDir).map((name) => ({ pool: name, lines: followLog(file(name), { lines, follow }) })));
      };

      const all = async (sources: Array<{ pool: string; lines: AsyncIterable<string> }>): Promise<void> => {
        const width = Math.max(0, ...sources.map((s) => s.pool.length));
        await printPools(sources, (l) => println(json ? logLineJson(l) : taggedLine(l, width)), { follow });
      };

      await hostOrDataDir(cmd, online, offline);
    });
}
