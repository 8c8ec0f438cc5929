/**
 * What `paddock top` draws: one frame of text from two readings of the admin API a refresh apart
 * (pools, workers, history). Rates — requests/s and CPU % — are the change between the readings;
 * p99 is the last full interval of the host's history. Pure: readings in, lines out.
 */
import type { PoolSnapshot, WorkerSnapshot } from '../../admin/host-control.ts';
import type { HistorySnapshot } from '../../admin/observe/history.ts';
import { formatBytes, NONE, table } from './format.ts';
import { poolStateText } from './pool-view.ts';

/** One reading of the host. */
export interface TopReading {
  /** Epoch ms when it was taken. */
  readonly at: number;
  readonly pools: readonly PoolSnapshot[];
  readonly history: HistorySnapshot;
}

function rate(now: number, before: number | undefined, seconds: number): string {
  if (before === undefined || seconds <= 0) return NONE;
  return (Math.max(0, now - before) / seconds).toFixed(1);
}

function ms(v: number | null | undefined): string {
  if (v === null || v === undefined) return NONE;
  return v < 10 ? `${v.toFixed(2)} ms` : `${Math.round(v)} ms`;
}

function cpuPercent(w: WorkerSnapshot, before: WorkerSnapshot | undefined, seconds: number): string {
  if (w.cpuSeconds === null || before?.cpuSeconds == null || seconds <= 0) return NONE;
  return `${Math.round((Math.max(0, w.cpuSeconds - before.cpuSeconds) / seconds) * 100)}%`;
}

/** The lines of one frame: a title, the pools, then their workers. */
export function topFrame(now: TopReading, previous: TopReading | null, target: string): string[] {
  const seconds = previous === null ? 0 : (now.at - previous.at) / 1000;
  const prevPools = new Map(previous?.pools.map((p) => [p.name, p]) ?? []);
  const prevWorkers = new Map(previous?.pools.flatMap((p) => p.workers.map((w) => [w.id, w] as const)) ?? []);
  const title = `paddock top — ${target} — ${new Date(now.at).toLocaleTimeString()} — q to quit`;
  const pools = table(
    [
      { title: 'POOL' }, { title: 'STATE' }, { title: 'WORKERS', align: 'right' }, { title: 'QUEUED', align: 'right' },
      { title: 'IN-FLIGHT', align: 'right' }, { title: 'REQ/S', align: 'right' }, { title: 'P99', align: 'right' },
      { title: 'ERR/S', align: 'right' }, { title: 'MEMORY', align: 'right' }, { title: 'CPU', align: 'right' },
    ],
    now.pools.map((p) => {
      const h = now.history.pools[p.name];
      const last = h === undefined || h.t.length === 0 ? -1 : h.t.length - 1;
      const rss = p.workers.reduce((n, w) => n + (w.rssBytes ?? 0), 0);
      const prev = prevPools.get(p.name);
      const cpu = p.workers.reduce((n, w) => n + (w.cpuSeconds ?? 0), 0);
      const cpuBefore = prev?.workers.reduce((n, w) => n + (w.cpuSeconds ?? 0), 0);
      const ready = p.workers.filter((w) => w.state === 'ready').length;
      return [
        p.name, poolStateText(p), `${ready}/${p.maxProcesses}`, String(p.queued), String(p.inFlight),
        rate(p.requests, prev?.requests, seconds), last < 0 ? NONE : ms(h!.p99Ms[last]), last < 0 ? NONE : h!.errorsPerSec[last].toFixed(1),
        p.workers.length === 0 ? NONE : formatBytes(rss),
        cpuBefore === undefined || seconds <= 0 ? NONE : `${Math.round((Math.max(0, cpu - cpuBefore) / seconds) * 100)}%`,
      ];
    }),
  );
  const workers = now.pools.flatMap((p) => p.workers);
  const workerTable = workers.length === 0
    ? 'no workers'
    : table(
      [
        { title: 'WORKER' }, { title: 'PID', align: 'right' }, { title: 'STATE' }, { title: 'HEALTH' },
        { title: 'REQ/S', align: 'right' }, { title: 'REQUESTS', align: 'right' }, { title: 'IN-FLIGHT', align: 'right' },
        { title: 'RSS', align: 'right' }, { title: 'CPU', align: 'right' },
      ],
      workers.map((w) => {
        const before = prevWorkers.get(w.id);
        return [
          w.id, w.pid === null ? NONE : String(w.pid), w.state, w.health, rate(w.requests, before?.requests, seconds),
          String(w.requests), String(w.inFlight), formatBytes(w.rssBytes), cpuPercent(w, before, seconds),
        ];
      }),
    );
  return [title, '', ...pools.split('\n'), '', ...workerTable.split('\n')];
}
