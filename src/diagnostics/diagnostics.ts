/**
 * Crash and hang diagnostics for every pool (DESIGN §1 DIAGNOSTICS): the seam the pools call
 * (`PoolDiagnostics`) and the store the admin API reads (`DiagnosticsControl`).
 *
 * - Every unexpected exit gets a crash report (event 6010, linked to its 5009), captured in the
 *   background so the replacement worker never waits for it.
 * - Every missed ping gets a hang report (event 6011) before the worker is killed or orphaned,
 *   within a bound of a few seconds.
 * - Reports with the same signature share a bucket; `paddock debug POOL --next-crash` arms full
 *   capture (cores included) for a pool until its next crash is caught (DebugDiag's crash rule).
 *
 * A failure here never reaches the pool: every capture step is caught and reported as an event.
 */
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { PoolConfig } from '../config/types.ts';
import type { HangCause, PoolDiagnostics } from '../pools/pool.ts';
import type { WorkerProcess, ExitFacts } from '../supervisor/worker-process.ts';
import type { EventLog, PaddockEvent } from '../events/event-log.ts';
import { EventIds } from '../events/event-ids.ts';
import type { PoolOutputLog } from '../events/output-log.ts';
import { resolveIdentity, type Identity } from '../supervisor/identity.ts';
import type { CrashBucket, CrashReport, NextCrashState } from './report-types.ts';
import { CrashStore, type CrashStoreLimits } from './crash-store.ts';
import { ensureReportDir, nodeDiagnosticFlags, nodeReportDir, supportsReportExcludeEnv } from './node-flags.ts';
import { pruneReportDir } from './node-report.ts';
import { captureCrash, type CrashCaptureLimits } from './crash-capture.ts';
import { captureHangReport, type HangCaptureLimits } from './hang-capture.ts';
import { corePatternNote, raiseCoreLimit, readCorePattern } from './core-dumps.ts';
import { WorkerRegistry, resolveExecutable } from './worker-registry.ts';
import { workerFacts } from './worker-facts.ts';
import { redactValue, secretsOf } from './redact.ts';

export interface CaptureLimits extends CrashCaptureLimits, HangCaptureLimits {
  /** Wait for a crashed worker's pipes to close, so its last output is in the tails. Default 1 s. */
  readonly outputCloseWaitMs: number;
  /** Upper bound of a whole hang capture; the pool waits at most this long. Default 7 s. */
  readonly hangTotalMs: number;
}

export const DEFAULT_CAPTURE_LIMITS: CaptureLimits = {
  nodeReportWaitMs: 500,
  coreWaitMs: 500,
  gdbCoreMs: 30_000,
  listenMs: 1000,
  stepMs: 1000,
  gdbAttachMs: 5000,
  outputCloseWaitMs: 1000,
  hangTotalMs: 7000,
};

export interface DiagnosticsOptions {
  readonly dataDir: string;
  readonly events: EventLog;
  readonly storeLimits?: Partial<CrashStoreLimits>;
  readonly captureLimits?: Partial<CaptureLimits>;
}

/** What the supervisor gives diagnostics and asks of it on behalf of the admin API. */
export interface DiagnosticsControl {
  /** Where the workers' output tails are (the supervisor owns one output log per pool). */
  useOutputs(lookup: (pool: string) => PoolOutputLog | undefined): void;
  /** The identity each pool runs as (its report folder is owned by it); throws IdentityError. */
  useIdentities(lookup: (pool: PoolConfig) => Identity): void;
  crashes(pool?: string): CrashBucket[];
  /** A report by id, or the newest report of a bucket by bucket id; null when neither exists. */
  crash(id: string): CrashReport | null;
  /** The newest `limit` stored reports of a bucket, whole, newest first (the dashboard's bucket page). */
  crashReports(bucket: string, limit: number): CrashReport[];
  armNextCrash(pool: string, pids: readonly number[]): Promise<NextCrashState>;
  disarmNextCrash(pool: string): NextCrashState;
  nextCrashState(pool: string): NextCrashState;
  /** Waits for captures in progress (bounded), then closes the store. */
  close(): Promise<void>;
}

interface Armed {
  readonly since: number;
  readonly workers: NextCrashState['workers'];
}

/** Report ids: kind, UTC time, worker, a random suffix (worker ids restart with the host). */
/** A crash report that names the poison requests it was a second death of. */
function withPoison(report: CrashReport, poison: readonly string[]): CrashReport {
  const text = `${poison.join(', ')} ${poison.length === 1 ? 'was' : 'were'} in hand at 2 worker deaths: the request is the cause of this crash, and it was not retried again.`;
  return { ...report, poisonRequests: poison, notes: [text, ...report.notes] };
}

function newReportId(kind: 'crash' | 'hang', workerId: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${kind}-${stamp}-${workerId}-${randomBytes(2).toString('hex')}`;
}

/** Resolves once every stream has closed, or after `ms`. */
function closedOrTimeout(streams: ReadonlyArray<Readable | null | undefined>, ms: number): Promise<void> {
  const open = streams.filter((s): s is Readable => s != null && !s.destroyed && !s.closed);
  if (open.length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    let left = open.length;
    const timer = setTimeout(resolve, ms);
    for (const s of open) s.once('close', () => { if (--left === 0) { clearTimeout(timer); resolve(); } });
  });
}

/** Diagnostics of every pool of one host. */
export class Diagnostics implements PoolDiagnostics, DiagnosticsControl {
  readonly #options: DiagnosticsOptions;
  readonly #limits: CaptureLimits;
  readonly #registry = new WorkerRegistry();
  readonly #armed = new Map<string, Armed>();
  readonly #hangs = new WeakMap<WorkerProcess, Promise<void>>();
  readonly #pending = new Set<Promise<void>>();
  readonly #unsubscribe: () => void;
  #store: CrashStore | null = null;
  #storeError: string | null = null;
  #outputs: (pool: string) => PoolOutputLog | undefined = () => undefined;
  #identities: (pool: PoolConfig) => Identity = (pool) => resolveIdentity(pool.processModel.user, pool.processModel.group);
  /** The report flags decided by the last nodeOptions() call, claimed by the extraEnv() that follows. */
  #lastNodeReports: { pool: string; reports: boolean } | null = null;
  #closed = false;

  constructor(options: DiagnosticsOptions) {
    this.#options = options;
    this.#limits = { ...DEFAULT_CAPTURE_LIMITS, ...options.captureLimits };
    try {
      this.#store = CrashStore.open(options.dataDir, options.storeLimits);
      const moved = this.#store.movedAside;
      if (moved !== null) {
        options.events.write({
          id: EventIds.CrashIndexMovedAside,
          level: 'warning',
          message: `The crash index ${moved.file} was found damaged (${moved.reason}); it was moved aside to ${moved.movedTo} and a fresh one opened, with the ${moved.reindexed} report(s) on disk indexed again.`,
          details: { ...moved },
        });
      }
    } catch (err) {
      // Crash capture is off then; the pools serve as ever.
      this.#storeError = (err as Error).message;
    }
    this.#unsubscribe = options.events.on((e) => this.#onEvent(e));
  }

  get dataDir(): string {
    return this.#options.dataDir;
  }

  /** The store, for tests and the bench. */
  get store(): CrashStore | null {
    return this.#store;
  }

  useOutputs(lookup: (pool: string) => PoolOutputLog | undefined): void {
    this.#outputs = lookup;
  }

  useIdentities(lookup: (pool: PoolConfig) => Identity): void {
    this.#identities = lookup;
  }

  // ---- PoolDiagnostics: the hooks the pools call ------------------------------------------

  nodeOptions(pool: PoolConfig): readonly string[] {
    const wanted = pool.diagnostics.crashReports || this.#armed.has(pool.name);
    const reports = wanted && supportsReportExcludeEnv(resolveExecutable(pool, process.env.PATH, existsSync));
    const inspector = pool.diagnostics.hangReports || this.#armed.has(pool.name);
    this.#lastNodeReports = { pool: pool.name, reports };
    if (reports) {
      const dir = nodeReportDir(this.dataDir, pool.name);
      let uid: number | null = null;
      let gid: number | null = null;
      try {
        ({ uid, gid } = this.#identities(pool));
      } catch {
        // an invalid identity stops the pool before any spawn; nothing to chown for
      }
      ensureReportDir(dir, uid, gid);
    }
    return nodeDiagnosticFlags(nodeReportDir(this.dataDir, pool.name), { reports, inspector });
  }

  extraEnv(pool: PoolConfig, workerId: string): Readonly<Record<string, string>> {
    this.#registry.spawning(workerId, pool);
    const entry = this.#registry.get(workerId)!;
    entry.nodeReports = pool.runtime === 'node' && this.#lastNodeReports?.pool === pool.name && this.#lastNodeReports.reports;
    this.#lastNodeReports = null;
    // Blocked requests get their stacks from the SDK's request trace (diagnostics/request-stacks.ts).
    const trace = pool.runtime === 'node' && pool.failure.blockedRequestLimit > 0 && pool.diagnostics.hangReports;
    return trace ? { PADDOCK_REQUEST_TRACE: '1' } : {};
  }

  onCrash(worker: WorkerProcess, exit: ExitFacts, crashEventSeq: number, poison: readonly string[] = []): void {
    const detectedAt = Date.now();
    const pool = worker.pool;
    const armed = this.#armed.has(pool.name);
    if ((!pool.diagnostics.crashReports && !armed) || worker.pid === null || this.#closed) {
      this.#registry.forget(worker.id);
      return;
    }
    // Copied now: the front door forgets in-flight requests as their connections fail.
    const facts = workerFacts(worker);
    const pipes = [worker.child?.stdout, worker.child?.stderr] as Array<Readable | null | undefined>;
    this.#track((async () => {
      await closedOrTimeout(pipes, this.#limits.outputCloseWaitMs);
      const output = this.#outputs(pool.name);
      const entry = this.#registry.get(worker.id);
      const id = newReportId('crash', worker.id);
      const wantCores = pool.diagnostics.coreDumps || armed || (entry?.coreLimit ?? null) !== null;
      const report = await captureCrash({
        id,
        facts,
        exit,
        crashEventSeq,
        detectedAt,
        stderrTail: output?.tail(worker.id, 'stderr') ?? [],
        stdoutTail: output?.tail(worker.id, 'stdout') ?? [],
        nodeReportDir: entry?.nodeReports ? nodeReportDir(this.dataDir, pool.name) : null,
        notes: pool.runtime === 'node' && entry !== undefined && !entry.nodeReports
          ? ['The worker ran without Node\'s report flags: its Node does not accept --report-exclude-env (Node 22.13 or later does), and a report without it would hold the environment. The stack comes from stderr.']
          : [],
        cores: {
          enabled: wantCores,
          keep: pool.diagnostics.keepCores || armed,
          exe: entry?.exe ?? resolveExecutable(pool, process.env.PATH, existsSync),
          cwd: entry?.cwd ?? pool.cwd,
          limitNote: entry?.coreLimit || null,
        },
        keepCore: (rid, path) => this.#requireStore().keepCore(rid, path),
        armed,
        limits: this.#limits,
      });
      this.#save(poison.length === 0 ? report : withPoison(report, poison), pool.env, EventIds.CrashReport);
      output?.forget(worker.id);
      this.#registry.forget(worker.id);
      if (armed) this.#armed.delete(pool.name);
      if (pool.runtime === 'node') await pruneReportDir(nodeReportDir(this.dataDir, pool.name), Date.now());
    })(), worker, 'crash');
  }

  captureHang(worker: WorkerProcess, cause?: HangCause): Promise<void> {
    const pool = worker.pool;
    const armed = this.#armed.has(pool.name);
    if ((!pool.diagnostics.hangReports && !armed) || this.#closed) return Promise.resolve();
    // One capture per worker: a second missed ping while the first capture runs waits for it.
    const running = this.#hangs.get(worker);
    if (running !== undefined) return running;
    const detectedAt = Date.now();
    const facts = workerFacts(worker);
    const output = (): PoolOutputLog | undefined => this.#outputs(pool.name);
    const capture = this.#track((async () => {
      const report = await captureHangReport({
        id: newReportId('hang', worker.id),
        facts,
        pingEventSeq: cause !== undefined ? cause.eventSeq : this.#pingEventSeq(pool.name, worker.id),
        cause: cause === undefined ? undefined : { type: cause.type, message: cause.message },
        detectedAt,
        stderrTail: () => output()?.tail(worker.id, 'stderr') ?? [],
        stdoutTail: () => output()?.tail(worker.id, 'stdout') ?? [],
        armed,
        limits: this.#limits,
      });
      this.#save(report, pool.env, EventIds.HangReport);
    })(), worker, 'hang');
    // The pool waits for the capture, never longer than the bound; a late capture still lands.
    const bounded = Promise.race([capture, new Promise<void>((r) => setTimeout(r, this.#limits.hangTotalMs).unref())]);
    this.#hangs.set(worker, bounded);
    return bounded;
  }

  // ---- DiagnosticsControl: what the admin API reads ---------------------------------------

  crashes(pool?: string): CrashBucket[] {
    return this.#store?.buckets(pool) ?? [];
  }

  crash(id: string): CrashReport | null {
    return this.#store?.report(id) ?? null;
  }

  crashReports(bucket: string, limit: number): CrashReport[] {
    const store = this.#store;
    if (store === null) return [];
    return store.reportIds(bucket).slice(0, limit).map((id) => store.report(id)).filter((r): r is CrashReport => r !== null);
  }

  async armNextCrash(pool: string, pids: readonly number[]): Promise<NextCrashState> {
    const workers = await Promise.all(pids.map(async (pid) => {
      const problem = await raiseCoreLimit(pid);
      for (const [, e] of this.#registry.ofPool(pool)) if (e.pid === pid) e.coreLimit = problem ?? '';
      return { pid, coreLimitRaised: problem === null, note: problem };
    }));
    this.#armed.set(pool, { since: this.#armed.get(pool)?.since ?? Date.now(), workers });
    return this.nextCrashState(pool);
  }

  disarmNextCrash(pool: string): NextCrashState {
    this.#armed.delete(pool);
    return this.nextCrashState(pool);
  }

  nextCrashState(pool: string): NextCrashState {
    const a = this.#armed.get(pool);
    const cp = readCorePattern();
    return {
      pool,
      armed: a !== undefined,
      since: a ? new Date(a.since).toISOString() : null,
      workers: a?.workers ?? [],
      corePattern: cp?.pattern ?? null,
      note: corePatternNote(cp),
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#unsubscribe();
    const deadline = new Promise<void>((r) => setTimeout(r, Math.max(this.#limits.hangTotalMs, 5000)).unref());
    await Promise.race([Promise.all([...this.#pending]), deadline]);
    this.#store?.close();
  }

  // ---- internals -------------------------------------------------------------------------

  #requireStore(): CrashStore {
    if (this.#store === null) throw new Error(this.#storeError ?? 'the crash store is closed');
    return this.#store;
  }

  /** Runs a capture in the background; a failure becomes an error event, never a throw. */
  #track(work: Promise<void>, worker: WorkerProcess, kind: 'crash' | 'hang'): Promise<void> {
    const p = work.catch((err: Error) => {
      this.#options.events.write({
        id: kind === 'crash' ? EventIds.CrashReport : EventIds.HangReport,
        level: 'error',
        pool: worker.pool.name,
        worker: worker.id,
        pid: worker.pid,
        message: `The ${kind} report of worker ${worker.id} (pid ${worker.pid}) could not be captured: ${err.message}`,
        details: { error: err.message, code: (err as { code?: string }).code ?? null },
      });
    }).finally(() => this.#pending.delete(p));
    this.#pending.add(p);
    return p;
  }

  /** Redacts the secrets a worker holds (the host's environment and the pool's env), stores the report, writes its event. */
  #save(raw: CrashReport, env: Readonly<Record<string, string>>, eventId: number): void {
    const store = this.#requireStore();
    const pool = raw.pool;
    // A worker inherits the host's environment as well as the pool's env: secrets of either are kept out.
    const report = redactValue(raw, secretsOf({ ...definedOf(process.env), ...env }));
    const { removed } = store.save(report);
    const bucket = store.bucket(report.bucket);
    const where = report.top[0] ? ` at ${report.top[0]}` : '';
    const what = report.error.message ? `${report.error.type}: ${report.error.message}` : report.error.type;
    this.#options.events.write({
      id: eventId,
      pool,
      worker: report.worker,
      pid: report.pid,
      message: `${report.kind === 'crash' ? 'Crash' : 'Hang'} report ${report.id} captured for worker ${report.worker} (pid ${report.pid}): ${what.slice(0, 300)}${where}. Bucket ${report.bucket}, seen ${bucket?.count ?? 1} time(s).`,
      details: {
        report: report.id,
        bucket: report.bucket,
        signature: report.signature,
        top: report.top,
        stackSource: report.stackSource,
        triggerEventSeq: report.triggerEventSeq,
        captureMs: report.captureMs,
        armed: report.armed,
        removedByLimits: removed,
      },
    });
  }

  #pingEventSeq(pool: string, workerId: string): number | null {
    try {
      const recent = this.#options.events.query({ id: EventIds.PingMissed, pool, limit: 20 });
      return recent.filter((e) => e.worker === workerId).at(-1)?.seq ?? null;
    } catch {
      return null;
    }
  }

  /** Worker started: learn its pid (and exe once it exec'd), raise its core limit when wanted; stopped: forget it. */
  #onEvent(e: PaddockEvent): void {
    if (e.worker === null || e.pid === null) return;
    if (e.id === EventIds.WorkerStopped) {
      this.#registry.forget(e.worker);
      return;
    }
    if (e.id !== EventIds.WorkerStarted && e.id !== EventIds.WorkerReady) return;
    const entry = this.#registry.get(e.worker);
    if (entry === undefined) return;
    const { worker, pid } = e;
    this.#registry.observe(worker, pid);
    if (e.id !== EventIds.WorkerStarted) return;
    // The wrapper execs the worker's program within milliseconds: look again for its exe.
    setTimeout(() => this.#registry.observe(worker, pid), 100).unref();
    if (entry.pool.diagnostics.coreDumps || this.#armed.has(entry.pool.name)) {
      void raiseCoreLimit(pid).then((problem) => {
        entry.coreLimit = problem ?? '';
      });
    }
  }
}

/** The set variables of an environment. */
function definedOf(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}
