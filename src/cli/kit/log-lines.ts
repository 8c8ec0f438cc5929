/**
 * Lines of the pool logs for `paddock logs`: parsed from the form PoolOutputLog writes
 * (`TIME WORKER STREAM text`), tagged with their pool, and several pools' lines interleaved by time.
 */

/** One line of a pool's log. */
export interface LogLine {
  readonly pool: string;
  /** ISO time the host read it; null for a line not in the log's form. */
  readonly time: string | null;
  readonly worker: string | null;
  readonly stream: 'stdout' | 'stderr' | null;
  /** What the worker wrote. */
  readonly text: string;
  /** The line as stored. */
  readonly line: string;
}

const FORM = /^(\d{4}-\d{2}-\d{2}T\S+Z) (\S+) (stdout|stderr) ?(.*)$/;

/** Reads a stored line of `pool`'s log. */
export function parseLogLine(pool: string, line: string): LogLine {
  const m = FORM.exec(line);
  if (!m) return { pool, time: null, worker: null, stream: null, text: line, line };
  return { pool, time: m[1], worker: m[2], stream: m[3] as 'stdout' | 'stderr', text: m[4], line };
}

/** `--json`: one object per line. */
export function logLineJson(l: LogLine): string {
  return JSON.stringify({ pool: l.pool, time: l.time, worker: l.worker, stream: l.stream, text: l.text });
}

/** The line tagged with its pool, pool names padded to `width` (as `pm2 logs` tags its apps). */
export function taggedLine(l: LogLine, width: number): string {
  return `${l.pool.padEnd(width)} | ${l.line}`;
}

/** Several pools' lines in time order; lines without a time keep their place after the line before them. */
export function mergeByTime(lists: readonly (readonly LogLine[])[]): LogLine[] {
  const keyed = lists.flatMap((list, source) => {
    let last = '';
    return list.map((l, i) => {
      if (l.time !== null) last = l.time;
      return { l, key: last, source, i };
    });
  });
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.source - b.source || a.i - b.i));
  return keyed.map((k) => k.l);
}

/**
 * Prints several pools' logs, each an async series of lines (its backlog, then with --follow what
 * comes): the backlogs interleaved by time, then live lines as they arrive. A backlog is taken to
 * be what a source yields before it has been quiet for `settleMs`.
 */
export async function printPools(
  sources: ReadonlyArray<{ pool: string; lines: AsyncIterable<string> }>,
  print: (l: LogLine) => void,
  options: { follow: boolean; settleMs?: number },
): Promise<void> {
  const settleMs = options.settleMs ?? 300;
  const backlog: LogLine[][] = sources.map(() => []);
  let live = false;
  let lastLine = Date.now();
  const pumps = sources.map(async (s, i) => {
    for await (const line of s.lines) {
      const l = parseLogLine(s.pool, line);
      lastLine = Date.now();
      if (live) print(l);
      else backlog[i].push(l);
    }
  });
  const flush = (): void => {
    if (live) return;
    live = true;
    for (const l of mergeByTime(backlog)) print(l);
  };
  if (!options.follow) {
    await Promise.all(pumps);
    flush();
    return;
  }
  // Following: the streams never end by themselves; the backlog is what arrived before a pause.
  const settled = (async () => {
    while (!live && Date.now() - lastLine < settleMs) await new Promise((r) => setTimeout(r, settleMs / 3));
    flush();
  })();
  await Promise.all([...pumps, settled]);
  flush();
}
