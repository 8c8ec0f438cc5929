/**
 * Prometheus metrics (`GET /metrics`): every figure the host knows, per pool and per worker,
 * read from snapshots at scrape time so the request path pays nothing for them.
 */
import { Registry, Gauge, Counter } from 'prom-client';
import type { Supervisor } from '../supervisor/supervisor.ts';

interface Metrics {
  readonly registry: Registry;
  readonly poolUp: Gauge;
  readonly queued: Gauge;
  readonly inFlight: Gauge;
  readonly requests: Counter;
  readonly refused: Counter;
  readonly failures: Gauge;
  readonly workers: Gauge;
  readonly workerRss: Gauge;
  readonly workerCpu: Gauge;
  readonly workerRequests: Gauge;
  readonly connections: Gauge;
  readonly hostRss: Gauge;
  readonly hostCpu: Gauge;
}

const cache = new WeakMap<Supervisor, Metrics>();

function create(): Metrics {
  const registry = new Registry();
  const g = (name: string, help: string, labelNames: string[] = []): Gauge => new Gauge({ name, help, labelNames, registers: [registry] });
  const c = (name: string, help: string, labelNames: string[] = []): Counter => new Counter({ name, help, labelNames, registers: [registry] });
  return {
    registry,
    poolUp: g('paddock_pool_started', '1 when the pool is started, 0 when stopping or stopped.', ['pool', 'stop_reason']),
    queued: g('paddock_pool_queued_requests', 'Requests waiting for a ready worker.', ['pool']),
    inFlight: g('paddock_pool_in_flight_requests', 'Requests being served by the pool\'s workers.', ['pool']),
    requests: c('paddock_pool_requests_total', 'Requests dispatched to a worker of the pool.', ['pool']),
    refused: c('paddock_pool_refused_requests_total', 'Requests the front door answered itself, by HTTP.sys reason.', ['pool', 'reason']),
    failures: g('paddock_pool_recent_failures', 'Failures in the current rapid-fail window.', ['pool']),
    workers: g('paddock_workers', 'Workers by state and health.', ['pool', 'state', 'health']),
    workerRss: g('paddock_worker_resident_bytes', 'Resident memory of a worker.', ['pool', 'worker']),
    workerCpu: g('paddock_worker_cpu_seconds', 'CPU time (user + system) of a worker.', ['pool', 'worker']),
    workerRequests: g('paddock_worker_requests', 'Requests a worker has served.', ['pool', 'worker']),
    connections: g('paddock_front_door_connections', 'Client connections open at the front door.'),
    hostRss: g('paddock_host_resident_bytes', 'Resident memory of the host process.'),
    hostCpu: g('paddock_host_cpu_seconds', 'CPU time (user + system) of the host process.'),
  };
}

/** Renders the Prometheus text exposition of the host's state now. */
export async function renderMetrics(host: Supervisor): Promise<string> {
  let m = cache.get(host);
  if (m === undefined) {
    m = create();
    cache.set(host, m);
  }
  m.registry.resetMetrics();
  for (const p of host.pools()) {
    m.poolUp.set({ pool: p.name, stop_reason: p.stopReason ?? '' }, p.state === 'started' ? 1 : 0);
    m.queued.set({ pool: p.name }, p.queued);
    m.inFlight.set({ pool: p.name }, p.inFlight);
    m.requests.inc({ pool: p.name }, p.requests);
    for (const [reason, n] of Object.entries(p.refused)) m.refused.inc({ pool: p.name, reason }, n);
    m.failures.set({ pool: p.name }, p.recentFailures);
    const byState = new Map<string, number>();
    for (const w of p.workers) {
      const key = `${w.state}\u0000${w.health}`;
      byState.set(key, (byState.get(key) ?? 0) + 1);
      if (w.rssBytes !== null) m.workerRss.set({ pool: p.name, worker: w.id }, w.rssBytes);
      if (w.cpuSeconds !== null) m.workerCpu.set({ pool: p.name, worker: w.id }, w.cpuSeconds);
      m.workerRequests.set({ pool: p.name, worker: w.id }, w.requests);
    }
    for (const [key, n] of byState) {
      const [state, health] = key.split('\u0000');
      m.workers.set({ pool: p.name, state, health }, n);
    }
  }
  m.connections.set(host.frontDoor.context.connections.size);
  const usage = process.resourceUsage();
  m.hostRss.set(process.memoryUsage.rss());
  m.hostCpu.set((usage.userCPUTime + usage.systemCPUTime) / 1e6);
  return m.registry.metrics();
}
