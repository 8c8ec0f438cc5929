/**
 * `paddock crashes [--pool P]`: the crash and hang buckets, most recently seen first — one line per
 * bug with how often it happened, where, and its top frame. `--json` prints the buckets as the API
 * gives them (DESIGN §7: `{ bucket, kind, signature, count, firstSeen, lastSeen, pools, top }`).
 * With the host down, the crash store in dataDir is read directly.
 */
import type { Command } from 'commander';
import type { CrashBucket } from '../../diagnostics/report-types.ts';
import { globals, printJson, println, withQuery } from '../kit/command-kit.ts';
import { NONE, formatAge, table } from '../kit/format.ts';
import { hostOrDataDir } from '../kit/offline.ts';

const COLUMNS = [
  { title: 'BUCKET' }, { title: 'KIND' }, { title: 'COUNT', align: 'right' as const }, { title: 'LAST SEEN' },
  { title: 'FIRST SEEN' }, { title: 'POOLS' }, { title: 'ERROR' }, { title: 'TOP FRAME' },
];

function row(b: CrashBucket, now: number): string[] {
  const error = b.error.length > 60 ? `${b.error.slice(0, 57)}...` : b.error;
  return [b.bucket, b.kind, String(b.count), `${formatAge(b.lastSeen, now)} ago`, `${formatAge(b.firstSeen, now)} ago`, b.pools.join(','), error, b.top[0] ?? NONE];
}

/** Registers `crashes`. */
export function register(program: Command): void {
  program
    .command('crashes')
    .description('list crash and hang buckets (one per bug), most recently seen first')
    .option('--pool <name>', 'only buckets this pool has hit')
    .action(async (opts: { pool?: string }, cmd: Command) => {
      const buckets = await hostOrDataDir(cmd, (client) => client.json<CrashBucket[]>('GET', withQuery('/api/crashes', { pool: opts.pool })), async (dataDir) => {
        const { CrashStore } = await import('../../diagnostics/crash-store.ts');
        const store = CrashStore.open(dataDir);
        try {
          return store.buckets(opts.pool);
        } finally {
          store.close();
        }
      });
      if (globals(cmd).json) return printJson(buckets);
      if (buckets.length === 0) return println(opts.pool ? `no crashes or hangs recorded for pool ${opts.pool}` : 'no crashes or hangs recorded');
      const now = Date.now();
      println(table(COLUMNS, buckets.map((b) => row(b, now))));
      println('');
      println('`paddock crash BUCKET` shows the newest report of a bucket; `paddock crash REPORT-ID` one report.');
    });
}
