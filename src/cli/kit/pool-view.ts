/** How pools and workers read in the terminal: the tables of `status`, `pools`, `pool` and `workers`. */
import type { PoolSnapshot, WorkerSnapshot } from '../../admin/host-control.ts';
import { formatAge, formatBytes, formatCpu, NONE, table, yesNo } from './format.ts';

/** "started", or "stopped (rapidFail)" when the host stopped it for a reason. */
export function poolStateText(p: PoolSnapshot): string {
  return p.stopReason && p.state !== 'started' ? `${p.state} (${p.stopReason})` : p.state;
}

function readyCount(p: PoolSnapshot): number {
  return p.workers.filter((w) => w.state === 'ready').length;
}

/** One line per pool. */
export function poolsTable(pools: readonly PoolSnapshot[]): string {
  if (pools.length === 0) return 'no pools';
  return table(
    [
      { title: 'POOL' }, { title: 'STATE' }, { title: 'READY', align: 'right' }, { title: 'QUEUED', align: 'right' },
      { title: 'IN-FLIGHT', align: 'right' }, { title: 'REQUESTS', align: 'right' }, { title: 'FAILURES', align: 'right' },
      { title: 'AVAILABLE' },
    ],
    pools.map((p) => [
      p.name, poolStateText(p), `${readyCount(p)}/${p.maxProcesses}`, String(p.queued), String(p.inFlight),
      String(p.requests), String(p.recentFailures), yesNo(p.available),
    ]),
  );
}

/** One line per worker; the pool column only when several pools are listed. */
export function workersTable(workers: readonly WorkerSnapshot[], withPool: boolean, nowMs: number = Date.now()): string {
  if (workers.length === 0) return 'no workers';
  const columns = [
    ...(withPool ? [{ title: 'POOL' }] : []),
    { title: 'WORKER' }, { title: 'PID', align: 'right' as const }, { title: 'STATE' }, { title: 'HEALTH' },
    { title: 'UP', align: 'right' as const }, { title: 'REQUESTS', align: 'right' as const },
    { title: 'IN-FLIGHT', align: 'right' as const }, { title: 'RSS', align: 'right' as const }, { title: 'CPU', align: 'right' as const },
  ];
  return table(
    columns,
    workers.map((w) => [
      ...(withPool ? [w.pool] : []),
      w.id, w.pid === null ? NONE : String(w.pid), w.state, w.health, formatAge(w.startedAt, nowMs),
      String(w.requests), String(w.inFlight), formatBytes(w.rssBytes), formatCpu(w.cpuSeconds),
    ]),
  );
}

/** Everything about one pool: its figures, then its workers. */
export function poolDetail(p: PoolSnapshot, nowMs: number = Date.now()): string {
  const refused = Object.entries(p.refused).filter(([, n]) => n > 0);
  const rows: [string, string][] = [
    ['state', poolStateText(p)],
    ['available', yesNo(p.available)],
    ['start mode', p.startMode],
    ['workers', `${readyCount(p)} ready of ${p.maxProcesses}${p.maxProcesses > 1 ? ' (web garden)' : ''}`],
    ['queue', `${p.queued} of ${p.queueLength}`],
    ['in flight', String(p.inFlight)],
    ['requests', String(p.requests)],
    ['refused', refused.length ? refused.map(([reason, n]) => `${reason} ${n}`).join(', ') : 'none'],
    ['failures', `${p.recentFailures} in the rapid-fail window`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 1;
  const head = [`pool ${p.name}`, ...rows.map(([k, v]) => `  ${(k + ':').padEnd(width)} ${v}`)].join('\n');
  return `${head}\n\n${workersTable(p.workers, false, nowMs)}`;
}
