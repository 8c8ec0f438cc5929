/**
 * `paddock events`: the event log (DESIGN §6), newest last, with `--follow` to keep printing new
 * events as the host writes them (like `journalctl -f`). With the host down, read from dataDir.
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { PaddockEvent } from '../../events/event-log.ts';
import { parseSince } from '../../admin/event-query.ts';
import type { AdminClient } from '../kit/admin-client.ts';
import { globals, println, printJson, wholeNumber, withQuery } from '../kit/command-kit.ts';
import { NONE, StreamTable, formatTime, table } from '../kit/format.ts';
import { hostOrDataDir } from '../kit/offline.ts';

/** How often `events --follow` with the host down looks for new rows in the event log. */
const OFFLINE_POLL_MS = 500;

/** Backlog shown by `--follow` without `--limit` or `--since`, as `tail -f` shows the last lines. */
const FOLLOW_BACKLOG = 10;

interface EventsOptions {
  readonly pool?: string;
  readonly since?: string;
  readonly id?: number;
  readonly limit?: number;
  readonly follow?: boolean;
}

const COLUMNS = [
  { title: 'TIME' }, { title: 'ID', align: 'right' as const }, { title: 'LEVEL' }, { title: 'POOL' },
  { title: 'WORKER' }, { title: 'PID', align: 'right' as const }, { title: 'MESSAGE' },
];

function row(e: PaddockEvent): string[] {
  return [formatTime(e.time), String(e.id), e.level, e.pool ?? NONE, e.worker ?? NONE, e.pid === null ? NONE : String(e.pid), e.message];
}

function checkSince(value: string): string {
  try {
    parseSince(value, Date.now());
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return value;
}

/**
 * Prints the backlog, then new events until the host closes the stream, skipping and repeating
 * none. Sequence numbers are global, so the newest seq of all read *before* the filtered backlog,
 * or the backlog's own last seq if later, bounds every event already shown.
 */
async function follow(client: AdminClient, opts: EventsOptions, limit: number | undefined, json: boolean): Promise<void> {
  const newest = await client.json<PaddockEvent[]>('GET', '/api/events?limit=1');
  const backlog = await client.json<PaddockEvent[]>('GET', withQuery('/api/events', { pool: opts.pool, since: opts.since, id: opts.id, limit }));
  const after = Math.max(newest[0]?.seq ?? 0, backlog.at(-1)?.seq ?? 0);
  const out = new StreamTable(COLUMNS, backlog.map(row));
  // With --json, one event per line (NDJSON): a stream has no closing bracket.
  const print = (e: PaddockEvent): void => println(json ? JSON.stringify(e) : out.row(row(e)));
  if (!json) println(out.header());
  for (const e of backlog) print(e);
  for await (const line of client.lines(withQuery('/api/events/stream', { pool: opts.pool, id: opts.id, after }))) {
    if (line.trim() === '') continue; // keep-alive
    print(JSON.parse(line) as PaddockEvent);
  }
}

/**
 * The host is down: the event log in dataDir answers the same query. `--follow` then watches the
 * file for rows a host started later writes.
 */
async function offline(dataDir: string, opts: EventsOptions, limit: number | undefined, json: boolean): Promise<void> {
  const { EventLog } = await import('../../events/event-log.ts');
  const log = EventLog.open(dataDir, { stdout: null });
  try {
    const query = { pool: opts.pool, id: opts.id, sinceMs: opts.since === undefined ? undefined : parseSince(opts.since, Date.now()) };
    const events = log.query({ ...query, limit });
    if (!opts.follow) {
      if (json) printJson(events);
      else println(events.length ? table(COLUMNS, events.map(row)) : 'no events');
      return;
    }
    let after = Math.max(log.query({ limit: 1 })[0]?.seq ?? 0, events.at(-1)?.seq ?? 0);
    const out = new StreamTable(COLUMNS, events.map(row));
    const print = (e: PaddockEvent): void => println(json ? JSON.stringify(e) : out.row(row(e)));
    if (!json) println(out.header());
    for (const e of events) print(e);
    for (;;) {
      await new Promise((r) => setTimeout(r, OFFLINE_POLL_MS));
      const next = log.query({ pool: opts.pool, id: opts.id, afterSeq: after, limit: 1000 });
      for (const e of next) print(e);
      // Rows of other pools or ids move the mark too, so that they are not read again.
      after = Math.max(after, next.at(-1)?.seq ?? 0, log.query({ limit: 1 })[0]?.seq ?? 0);
    }
  } finally {
    log.close();
  }
}

/** Registers `events`. */
export function register(program: Command): void {
  program
    .command('events')
    .description('show the event log: time, event id, level, pool, worker, pid, message')
    .option('--pool <name>', 'only events of this pool')
    .option('--since <when>', 'only events since a duration ago (10m, 1h, 2d), an ISO time, or epoch ms', checkSince)
    .option('--id <n>', 'only events with this number (e.g. 5009 for crashes)', wholeNumber(1))
    .option('--limit <n>', 'at most this many events, the newest (default 100)', wholeNumber(1))
    .option('-f, --follow', 'keep printing new events as they are written')
    .action(async (opts: EventsOptions, cmd: Command) => {
      const json = globals(cmd).json === true;
      const limit = opts.limit ?? (opts.follow && opts.since === undefined ? FOLLOW_BACKLOG : undefined);
      await hostOrDataDir(cmd, async (client) => {
        if (opts.follow) return follow(client, opts, limit, json);
        const events = await client.json<PaddockEvent[]>('GET', withQuery('/api/events', { pool: opts.pool, since: opts.since, id: opts.id, limit }));
        if (json) printJson(events);
        else println(events.length ? table(COLUMNS, events.map(row)) : 'no events');
      }, (dataDir) => offline(dataDir, opts, limit, json));
    });
}
