/**
 * Prometheus metrics (`GET /metrics`, text format 0.0.4): every figure the host knows, per pool,
 * per worker and for the host, named in Prometheus's conventions (`paddock_` prefix, `_total`
 * counters, `_seconds` and `_bytes` units) and listed in docs/metrics.md. Everything is read at
 * scrape time from snapshots and from the observatory's counters, so the request path pays nothing.
 * The latency histograms are written from the observatory's own bucket counters (prom-client's
 * histograms can only observe, and observing per request through them would cost a label hash).
 */
import { Registry, Gauge, Counter } from 'prom-client';
import type { PoolSnapshot } from './host-control.ts';
import type { Observatory } from './observe/observatory.ts';
import type { LatencyHistogram } from './observe/latency-histogram.ts';

/** What the metrics are read from. */
export interface MetricsSource {
  readonly observatory: Observatory;
  /** Client connections open at the front door now. */
  connections(): number;
  /** Each front-door thread's load; null when the front door runs on the host's thread. */
  threads?(): ReadonlyArray<{ readonly thread: number; readonly connections: number; readonly requests: number; readonly inFlight: number; readonly restarts: number }> | null;
}

interface Metrics {
  readonly registry: Registry;
  readonly g: Readonly<Record<string, Gauge>>;
  readonly c: Readonly<Record<string, Counter>>;
}

const cache = new WeakMap<Observatory, Metrics>();

function create(): Metrics {
  const registry = new Registry();
  const gauge = (name: string, help: string, labelNames: string[] = []): Gauge => new Gauge({ name, help, labelNames, registers: [registry] });
  const counter = (name: string, help: string, labelNames: string[] = []): Counter => new Counter({ name, help, labelNames, registers: [registry] });
  return {
    registry,
    c: {
      requestsByCode: counter('paddock_requests_total', 'Requests that ended, by pool and the status sent (code "0": nothing was sent, a reset or a client that left; pool "": no app matched).', ['pool', 'code']),
      requests: counter('paddock_pool_requests_total', 'Requests dispatched to a worker of the pool (a retried GET counts twice).', ['pool']),
      refused: counter('paddock_pool_refused_requests_total', 'Requests the front door answered itself, by HTTP.sys reason.', ['pool', 'reason']),
      crashes: counter('paddock_worker_crashes_total', 'Workers that exited unexpectedly (WAS 5009).', ['pool']),
      hangs: counter('paddock_worker_hangs_total', 'Workers that missed a ping (WAS 5010).', ['pool']),
      recycles: counter('paddock_worker_recycles_total', 'Workers recycled, by reason (IIS logEventOnRecycle names).', ['pool', 'reason']),
      rapidFail: counter('paddock_rapid_fail_stops_total', 'Times rapid-fail protection stopped the pool (WAS 5002).', ['pool']),
      cpuLimit: counter('paddock_cpu_limit_actions_total', 'Times the pool exceeded its CPU limit, by the action taken (WAS 5090).', ['pool', 'action']),
      threadRequests: counter('paddock_front_door_thread_requests_total', 'Requests that ended on each front-door thread (frontDoor.threads above 1).', ['thread']),
      threadRestarts: counter('paddock_front_door_thread_restarts_total', 'Times a front-door thread failed and was replaced (event 7181).', ['thread']),
      poolCpu: counter('paddock_pool_cpu_seconds_total', 'CPU time (user + system) of the pool\'s worker processes since the host started, exited ones included.', ['pool']),
    },
    g: {
      poolUp: gauge('paddock_pool_started', '1 when the pool is started, 0 when stopping or stopped.', ['pool', 'stop_reason']),
      queued: gauge('paddock_pool_queued_requests', 'Requests waiting for a ready worker (queue depth).', ['pool']),
      inFlight: gauge('paddock_pool_in_flight_requests', 'Requests being served by the pool\'s workers.', ['pool']),
      failures: gauge('paddock_pool_recent_failures', 'Failures in the current rapid-fail window.', ['pool']),
      poolRss: gauge('paddock_pool_resident_bytes', 'Resident memory of the pool\'s worker processes.', ['pool']),
      workers: gauge('paddock_workers', 'Workers by state and health.', ['pool', 'state', 'health']),
      workerRss: gauge('paddock_worker_resident_bytes', 'Resident memory of a worker.', ['pool', 'worker']),
      workerCpu: gauge('paddock_worker_cpu_seconds', 'CPU time (user + system) of a worker.', ['pool', 'worker']),
      workerRequests: gauge('paddock_worker_requests', 'Requests a worker has served.', ['pool', 'worker']),
      connections: gauge('paddock_front_door_connections', 'Client connections open at the front door.'),
      threadConnections: gauge('paddock_front_door_thread_connections', 'Client connections open on each front-door thread.', ['thread']),
      threadInFlight: gauge('paddock_front_door_thread_in_flight_requests', 'Requests each front-door thread holds on workers now.', ['thread']),
      loopP50: gauge('paddock_host_event_loop_delay_p50_seconds', 'Median event-loop delay of the host since the previous scrape.'),
      loopP99: gauge('paddock_host_event_loop_delay_p99_seconds', '99th percentile event-loop delay of the host since the previous scrape.'),
      loopMax: gauge('paddock_host_event_loop_delay_max_seconds', 'Longest event-loop delay of the host since the previous scrape.'),
      hostRss: gauge('paddock_host_resident_bytes', 'Resident memory of the host process.'),
      hostCpu: gauge('paddock_host_cpu_seconds', 'CPU time (user + system) of the host process.'),
    },
  };
}

function incAll(counter: Counter, map: ReadonlyMap<string, number>, label: string): void {
  for (const [pool, n] of map) counter.inc({ [label]: pool }, n);
}

function setPool(m: Metrics, obs: Observatory, p: PoolSnapshot): void {
  const { g, c } = m;
  const pool = p.name;
  g.poolUp.set({ pool, stop_reason: p.stopReason ?? '' }, p.state === 'started' ? 1 : 0);
  g.queued.set({ pool }, p.queued);
  g.inFlight.set({ pool }, p.inFlight);
  g.failures.set({ pool }, p.recentFailures);
  c.requests.inc({ pool }, p.requests);
  for (const [reason, n] of Object.entries(p.refused)) c.refused.inc({ pool, reason }, n);
  c.poolCpu.inc({ pool }, obs.cpuSeconds(p));
  let rss = 0;
  const byState = new Map<string, number>();
  for (const w of p.workers) {
    const key = `${w.state}\u0000${w.health}`;
    byState.set(key, (byState.get(key) ?? 0) + 1);
    if (w.rssBytes !== null) {
      rss += w.rssBytes;
      g.workerRss.set({ pool, worker: w.id }, w.rssBytes);
    }
    if (w.cpuSeconds !== null) g.workerCpu.set({ pool, worker: w.id }, w.cpuSeconds);
    g.workerRequests.set({ pool, worker: w.id }, w.requests);
  }
  g.poolRss.set({ pool }, rss);
  for (const [key, n] of byState) {
    const [state, health] = key.split('\u0000');
    g.workers.set({ pool, state, health }, n);
  }
}

/** Renders the Prometheus text exposition of the host's state now. */
export async function renderMetrics(source: MetricsSource): Promise<string> {
  const obs = source.observatory;
  let m = cache.get(obs);
  if (m === undefined) {
    m = create();
    cache.set(obs, m);
  }
  m.registry.resetMetrics();
  for (const p of obs.pools()) setPool(m, obs, p);
  const { c, g } = m;
  for (const [pool, s] of obs.requests.pools) for (const [code, n] of s.byCode) c.requestsByCode.inc({ pool, code: String(code) }, n);
  const k = obs.counters;
  incAll(c.crashes, k.crashes, 'pool');
  incAll(c.hangs, k.hangs, 'pool');
  incAll(c.rapidFail, k.rapidFailStops, 'pool');
  for (const [pool, byReason] of k.recycles) for (const [reason, n] of byReason) c.recycles.inc({ pool, reason }, n);
  for (const [pool, byAction] of k.cpuLimitActions) for (const [action, n] of byAction) c.cpuLimit.inc({ pool, action }, n);
  g.connections.set(source.connections());
  for (const t of source.threads?.() ?? []) {
    const thread = String(t.thread);
    g.threadConnections.set({ thread }, t.connections);
    g.threadInFlight.set({ thread }, t.inFlight);
    c.threadRequests.inc({ thread }, t.requests);
    c.threadRestarts.inc({ thread }, t.restarts);
  }
  const loop = obs.takeLoopDelay();
  g.loopP50.set(loop.p50);
  g.loopP99.set(loop.p99);
  g.loopMax.set(loop.max);
  const usage = process.resourceUsage();
  g.hostRss.set(process.memoryUsage.rss());
  g.hostCpu.set((usage.userCPUTime + usage.systemCPUTime) / 1e6);
  const pools = [...obs.requests.pools];
  const histograms = [
    histogramText('paddock_request_duration_seconds', 'Time from the request head\'s arrival to the end of its answer (W3C time-taken).', pools.map(([pool, s]) => [pool, s.total])),
    histogramText('paddock_time_to_first_byte_seconds', 'Time from the request head\'s arrival to the first byte of the answer sent to the client.', pools.map(([pool, s]) => [pool, s.ttfb])),
    histogramText('paddock_queue_wait_seconds', 'Time a request waited in the pool\'s queue for a ready worker.', pools.map(([pool, s]) => [pool, s.queueWait])),
  ];
  return (await m.registry.metrics()) + histograms.join('');
}

/** A label value in the text format: backslash, double quote and newline escaped. */
function labelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** One histogram family with a series per pool, in the text format's order (buckets, sum, count). */
function histogramText(name: string, help: string, series: ReadonlyArray<readonly [string, LatencyHistogram]>): string {
  let out = `# HELP ${name} ${help}\n# TYPE ${name} histogram\n`;
  for (const [pool, h] of series) {
    const p = `pool="${labelValue(pool)}"`;
    const cum = h.cumulative();
    h.bounds.forEach((b, i) => (out += `${name}_bucket{${p},le="${b}"} ${cum[i]}\n`));
    out += `${name}_bucket{${p},le="+Inf"} ${cum[cum.length - 1]}\n`;
    out += `${name}_sum{${p}} ${h.sum}\n${name}_count{${p}} ${h.count}\n`;
  }
  return out;
}
