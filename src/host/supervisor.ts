/**
 * The supervisor (the WAS/W3SVC role): owns every pool, applies configuration and reloads, runs
 * the periodic tick, and answers the admin API through HostControl. The host (host.ts) builds the
 * front door and the access log and hands them over; the supervisor fills the pool map the front
 * door routes to, and orders the shutdown (stop accepting, serve what was accepted, drain pools).
 */
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostConfig, PoolConfig } from '../config/types.ts';
import { loadConfigIsolated } from '../config/load-isolated.ts';
import { formatConfigError } from '../config/config-error.ts';
import { diffConfig } from '../config/diff.ts';
import { reloadPlan } from '../config/reload-plan.ts';
import { AdminError, type FrontDoorReport, type HostControl, type PoolSnapshot, type ReloadResult, type WorkerSnapshot } from '../admin/host-control.ts';
import type { EventLog } from '../events/event-log.ts';
import { EventIds } from '../events/event-ids.ts';
import { PoolOutputLog } from '../events/output-log.ts';
import { Pool, type PoolDiagnostics } from '../pools/pool.ts';
import type { FrontDoor } from '../front-door/front-door.ts';
import type { FrontDoorThreads } from '../front-door/front-door-threads.ts';
import type { ThreadDispatch } from '../dispatch/thread-dispatch.ts';
import type { AccessLog } from '../front-door/access-log.ts';
import { renderMetrics } from '../admin/metrics.ts';
import { Observatory } from '../admin/observe/observatory.ts';
import type { HistoryOptions, HistorySnapshot } from '../admin/observe/history.ts';
import type { DiagnosticsControl } from '../diagnostics/diagnostics.ts';
import type { CrashBucket, CrashReport, NextCrashState } from '../diagnostics/report-types.ts';
import type { InheritedSocket } from '../service/listen-fds.ts';
import { PoolIdentities } from '../supervisor/pool-identities.ts';
import { everyoneCanEnter, makeOwnRunDir } from './data-dir.ts';
import { HostCgroups, type IsolationReport } from '../supervisor/cgroups/host-cgroups.ts';
import type { CgroupLayout } from '../supervisor/cgroups/layout.ts';

const tickMs = 250;
/** At host stop, how long a connection accepted just before may take to send its first request. */
const quiesceGraceMs = 2000;

/**
 * Where workers' unix sockets go: `<dataDir>/run`, unless that makes socket paths longer than a
 * unix socket address holds (108 bytes on Linux); then a short folder under the system's temp
 * folder, named after the dataDir so two hosts never share one; the same when a folder above
 * dataDir cannot be entered by other users.
 */
export function runDirFor(dataDir: string): string {
  const local = join(dataDir, 'run');
  // The longest socket name: "<pool>-<n>.sock" with a pool name of up to 40 characters. A worker
  // running as a uid of its own must also enter every folder on the way (docs/identity.md).
  if (Buffer.byteLength(local) + 52 <= 107 && everyoneCanEnter(dataDir)) return local;
  const hash = createHash('sha256').update(dataDir).digest('hex').slice(0, 12);
  return join(tmpdir(), `paddock-${hash}`);
}

/** What the host builds and hands to the supervisor. */
export interface SupervisorParts {
  /** The front door, routing to `pools`: on this thread, or in front-door threads. */
  readonly frontDoor: FrontDoor | FrontDoorThreads;
  /** With front-door threads: the shared table the pools publish their workers to. */
  readonly dispatch: ThreadDispatch | null;
  readonly accessLog: AccessLog;
  /** The map the front door routes to, empty: the supervisor adds the pools. */
  readonly pools: Map<string, Pool>;
}

/** Every pool of the host and the front door in front of them. */
export class Supervisor implements HostControl {
  config: HostConfig;
  readonly events: EventLog;
  readonly startedAt = new Date().toISOString();
  /** The pools by name: the same map the front door routes to. */
  readonly poolMap: Map<string, Pool>;
  readonly frontDoor: FrontDoor | FrontDoorThreads;
  readonly dispatch: ThreadDispatch | null;
  readonly accessLog: AccessLog;
  /** Request figures, history and event counters for /metrics, the dashboard and `paddock top`. */
  readonly observatory: Observatory;
  readonly #outputs = new Map<string, PoolOutputLog>();
  readonly #diagnostics: PoolDiagnostics & DiagnosticsControl;
  readonly #runDir: string;
  /** Every pool's identity (ApplicationPoolIdentity numbers), remade on reload. */
  readonly identities: PoolIdentities;
  /** A cgroup per pool and per worker (docs/isolation.md), or why not. */
  readonly cgroups: HostCgroups;
  #tick: NodeJS.Timeout | null = null;
  #reloading: Promise<ReloadResult> | null = null;
  /** Set by the host: how `paddock shutdown` (POST /api/shutdown) stops it, as SIGTERM does. */
  onShutdownRequest: (() => void) | null = null;
  /** Set by the host: told when a reload (SIGHUP or the admin API) begins and ends (systemd RELOADING/READY). */
  onReloading: (() => void) | null = null;
  onReloaded: ((result: ReloadResult) => void) | null = null;

  constructor(config: HostConfig, events: EventLog, diagnostics: PoolDiagnostics & DiagnosticsControl, parts: SupervisorParts, options: { history?: HistoryOptions; cgroupLayout?: CgroupLayout } = {}) {
    this.config = config;
    this.events = events;
    this.poolMap = parts.pools;
    this.frontDoor = parts.frontDoor;
    this.dispatch = parts.dispatch;
    this.accessLog = parts.accessLog;
    this.#diagnostics = diagnostics;
    // Crash reports carry the last lines a worker wrote; the output logs hold them.
    diagnostics.useOutputs((pool) => this.#outputs.get(pool));
    this.identities = new PoolIdentities(Object.values(config.pools));
    diagnostics.useIdentities((pool) => this.identities.resolve(pool));
    this.#runDir = runDirFor(config.dataDir);
    makeOwnRunDir(this.#runDir);
    this.observatory = new Observatory({ accessLog: this.accessLog, events, pools: () => this.pools(), history: options.history });
    this.cgroups = HostCgroups.setUp({ dataDir: config.dataDir, layout: options.cgroupLayout });
    for (const pool of Object.values(config.pools)) this.#addPool(pool);
  }

  get dataDir(): string {
    return this.config.dataDir;
  }

  #addPool(config: PoolConfig): Pool {
    const output = new PoolOutputLog({
      dir: join(this.config.dataDir, 'logs'),
      pool: config.name,
      maxBytes: this.config.logs.maxBytes,
      maxFiles: this.config.logs.maxFiles,
      onError: (err) => {
        this.events.write({ id: EventIds.OutputLogFailed, level: 'error', pool: config.name, message: `Worker output of pool '${config.name}' cannot be written: ${err.message}. Output is discarded until it can.`, details: { error: err.message } });
      },
    });
    this.#outputs.set(config.name, output);
    const pool = new Pool(config, {
      events: this.events,
      output,
      runDir: this.#runDir,
      now: Date.now,
      diagnostics: this.#diagnostics,
      identityOf: (p) => this.identities.resolve(p),
      cgroups: this.cgroups,
      dispatch: this.dispatch,
    });
    this.poolMap.set(config.name, pool);
    return pool;
  }

  /** Listens (on the sockets systemd passed, where given) and starts the pools marked autoStart. */
  async start(inherited: readonly InheritedSocket[] = []): Promise<Array<{ host: string; port: number; tls: boolean }>> {
    const bound = await this.frontDoor.listen(this.config.listen, this.config.tls, inherited);
    if (this.dispatch !== null) {
      const threads = this.dispatch.threads;
      this.events.write({ id: EventIds.FrontDoorThreads, message: `The front door runs in ${threads} threads, each with its own listeners on every binding.`, details: { threads } });
    }
    await this.#startIsolation();
    for (const pool of this.poolMap.values()) if (pool.config.autoStart) pool.start(false);
    this.#tick = setInterval(() => this.#onTick(), tickMs);
    this.#tick.unref();
    return bound;
  }

  /** Says what isolation the workers get (7100 / 7101) and ends what a killed predecessor left (7102), before any worker starts. */
  async #startIsolation(): Promise<void> {
    const r = this.cgroups.report;
    if (!r.enabled) {
      this.events.write({ id: EventIds.CgroupsUnavailable, message: `Workers run without cgroups (${r.description}): ${r.reason}. A worker is its process group, as before: a child that leaves the group outlives the worker, limits.memory and limits.tasks are not enforced, and CPU and memory are the worker process's own.`, details: { ...r } });
      return;
    }
    const reaped = await this.cgroups.reapLeftovers();
    if (reaped.owners.length > 0 && (reaped.processes > 0 || reaped.cgroups > 0)) {
      this.events.write({ id: EventIds.LeftoverCgroupsReaped, message: `Found ${reaped.cgroups} cgroup(s) a killed predecessor left and ended the ${reaped.processes} process(es) in them before starting any worker.`, details: { ...reaped } });
    }
    this.events.write({ id: EventIds.CgroupsInUse, message: `Workers run in cgroups (${r.description}): one per worker inside one per pool, under ${r.root.join(', ')}.`, details: { ...r } });
  }

  /** The front door's threads and their load (GET /api/front-door). */
  frontDoorLoad(): FrontDoorReport {
    return { connections: this.frontDoor.connectionCount(), threads: this.frontDoor.loads() };
  }

  /** What the host found for isolation (GET /api/isolation). */
  isolation(): IsolationReport {
    return this.cgroups.report;
  }

  #onTick(): void {
    const now = Date.now();
    this.dispatch?.sweepSlots();
    for (const pool of this.poolMap.values()) {
      try {
        pool.tick(now);
      } catch (err) {
        // A background loop never throws: say what failed and go on.
        this.events.write({ id: EventIds.InternalError, pool: pool.name, message: `Internal error in the periodic check of pool '${pool.name}': ${(err as Error).message}`, details: { stack: (err as Error).stack ?? null } });
      }
    }
  }

  /** Stops accepting, drains every pool within its limit, kills orphans. */
  async shutdown(): Promise<void> {
    if (this.#tick) clearInterval(this.#tick);
    this.#tick = null;
    const closed = this.frontDoor.close();
    // Requests already on accepted connections are served before the pools stop taking any: a
    // restart with the listening socket held by systemd then refuses nothing (docs/service.md).
    await this.frontDoor.quiesce(quiesceGraceMs);
    await Promise.all([...this.poolMap.values()].map((p) => p.shutdown()));
    await this.cgroups.close();
    this.frontDoor.destroyConnections();
    await closed;
    await this.accessLog.close();
    this.observatory.close();
    await Promise.all([...this.#outputs.values()].map((o) => o.close()));
  }

  // ---- HostControl -----------------------------------------------------------------------

  #pool(name: string): Pool {
    const pool = this.poolMap.get(name);
    if (pool === undefined) throw new AdminError('NotFound', `pool '${name}' not found`);
    return pool;
  }

  pools(): PoolSnapshot[] {
    return [...this.poolMap.values()].map((p) => p.inspect());
  }

  pool(name: string): PoolSnapshot {
    return this.#pool(name).inspect();
  }

  workers(pool?: string): WorkerSnapshot[] {
    const list = pool === undefined ? [...this.poolMap.values()] : [this.#pool(pool)];
    return list.flatMap((p) => p.inspect().workers);
  }

  async startPool(name: string): Promise<void> {
    const pool = this.#pool(name);
    if (pool.state === 'stopping') throw new AdminError('Conflict', `pool '${name}' is stopping; try again when it has stopped`);
    pool.start(true);
  }

  async stopPool(name: string): Promise<void> {
    await this.#pool(name).stop('admin');
  }

  async recyclePool(name: string): Promise<void> {
    const pool = this.#pool(name);
    if (pool.state !== 'started') throw new AdminError('Conflict', `pool '${name}' is ${pool.state}; only a started pool can be recycled`);
    pool.recycle('OnDemand', { reason: 'requested by an administrator' });
  }

  logFile(pool: string): string {
    this.#pool(pool);
    return this.#outputs.get(pool)!.file;
  }

  metrics(): Promise<string> {
    return renderMetrics({ observatory: this.observatory, connections: () => this.frontDoor.connectionCount(), threads: () => this.frontDoor.loads() });
  }

  history(pool?: string): HistorySnapshot {
    if (pool !== undefined) this.#pool(pool);
    return this.observatory.historySnapshot(pool);
  }

  crashes(pool?: string): CrashBucket[] {
    return this.#diagnostics.crashes(pool);
  }

  crash(id: string): CrashReport {
    const report = this.#diagnostics.crash(id);
    if (report === null) throw new AdminError('NotFound', `no crash report or bucket '${id}'`);
    return report;
  }

  crashReports(bucket: string, limit: number): CrashReport[] {
    const reports = this.#diagnostics.crashReports(bucket, limit);
    if (reports.length === 0 && !this.#diagnostics.crashes().some((b) => b.bucket === bucket)) throw new AdminError('NotFound', `no crash bucket '${bucket}'`);
    return reports;
  }

  async debugNextCrash(name: string, arm: boolean): Promise<NextCrashState> {
    if (!arm) {
      this.#pool(name);
      return this.#diagnostics.disarmNextCrash(name);
    }
    const live = this.#pool(name).workers.filter((w) => w.pid !== null && w.exitFacts === null);
    return this.#diagnostics.armNextCrash(name, live.map((w) => w.pid!));
  }

  requestShutdown(): void {
    if (this.onShutdownRequest === null) throw new AdminError('Conflict', 'this host is not stopped through the admin API; stop the process that runs it');
    this.onShutdownRequest();
  }

  /** Re-reads the config file and applies the difference; a bad file changes nothing. */
  reload(): Promise<ReloadResult> {
    // Reloads run one at a time: a second SIGHUP waits for the first.
    const run = async (): Promise<ReloadResult> => {
      const result = await loadConfigIsolated(this.config.file);
      if (!result.ok) {
        const errors = result.errors.map((e) => formatConfigError(e, this.config.file));
        this.events.write({ id: EventIds.ConfigReloadRefused, level: 'warning', message: `The configuration in ${this.config.file} was refused; the running configuration stays.\n${errors.join('\n')}`, details: { errors } });
        return { ok: false, errors };
      }
      return this.#apply(result.config);
    };
    const observed = async (): Promise<ReloadResult> => {
      this.onReloading?.();
      let outcome: ReloadResult = { ok: false, errors: ['the reload failed'] };
      try {
        outcome = await run();
        return outcome;
      } finally {
        this.onReloaded?.(outcome);
      }
    };
    const next = (this.#reloading ?? Promise.resolve()).then(observed, observed);
    this.#reloading = next;
    return next;
  }

  async #apply(next: HostConfig): Promise<ReloadResult> {
    const diff = diffConfig(this.config, next);
    // Bindings, certificates, the admin socket, dataDir, the health binding and the log files are
    // opened at start: a change to them waits for a restart, and the reload says so, key by key.
    const plan = reloadPlan(this.config, next);
    const running = this.config;
    this.config = { ...next, listen: running.listen, tls: running.tls, admin: running.admin, dataDir: running.dataDir, health: running.health, logs: running.logs };
    for (const key of Object.keys(next) as Array<keyof HostConfig>) {
      // Any other section a reload does not apply keeps its running value too.
      if (plan.waitsForRestart.some((k) => k === key || k.startsWith(`${key}.`))) (this.config as unknown as Record<string, unknown>)[key] = running[key];
    }
    this.identities.update(Object.values(next.pools));
    for (const name of diff.added) {
      const pool = this.#addPool(next.pools[name]);
      this.events.write({ id: EventIds.PoolAddedByConfig, pool: name, message: `Pool '${name}' was added by a configuration reload.` });
      if (pool.config.autoStart) pool.start(false);
    }
    for (const name of diff.changed) {
      const pool = this.poolMap.get(name)!;
      const config = next.pools[name];
      const disallow = config.recycling.disallowRotationOnConfigChange;
      pool.reconfigure(config);
      if (!disallow) pool.recycle('ConfigChange', { reason: 'the configuration changed' });
    }
    // Routes change after new pools exist and before removed ones go.
    this.frontDoor.reconfigure(next.sites, { ...next.webLimits });
    const removals = diff.removed.map(async (name) => {
      const pool = this.poolMap.get(name)!;
      this.poolMap.delete(name);
      this.events.write({ id: EventIds.PoolRemovedByConfig, pool: name, message: `Pool '${name}' was removed by a configuration reload; its workers drain.` });
      await pool.shutdown();
      pool.detach();
      await this.cgroups.removePool(name);
      await this.#outputs.get(name)?.close();
      this.#outputs.delete(name);
    });
    this.events.write({
      id: EventIds.ConfigReloaded,
      message: `Configuration reloaded: ${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed, ${diff.unchanged.length} untouched.` +
        `${plan.applied.length ? ` Applied: ${plan.applied.join(', ')}.` : ''}${plan.waitsForRestart.length ? ` Waits for a restart: ${plan.waitsForRestart.join(', ')}.` : ''}`,
      details: { added: diff.added, removed: diff.removed, changed: diff.changed, applied: plan.applied, waitsForRestart: plan.waitsForRestart },
    });
    void Promise.all(removals);
    return { ok: true, added: diff.added, removed: diff.removed, changed: diff.changed, applied: plan.applied, waitsForRestart: plan.waitsForRestart };
  }
}
