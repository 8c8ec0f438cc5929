/**
 * Plain stand-ins for the pool core's unit tests: workers that are only facts, a clock that moves
 * when told, and an effects recorder that does to the fakes what the pool shell does to processes
 * (a started worker is `starting`, a drained one `draining`, a granted request is in flight) and
 * writes every decision to a log the tests compare.
 */
import { POOL_DEFAULTS, type PoolSettings } from '../../src/config/defaults.ts';
import type { PoolConfig } from '../../src/config/types.ts';
import type { CoreWorker, HeldRequest, PoolEffects } from '../../src/pools/pool-core.ts';
import type { Connector, Lease, LeasedWorker, LeaseRequest, Refusal, Waiter } from '../../src/pools/lease.ts';
import type { WorkerHealth, WorkerState } from '../../src/supervisor/worker-state.ts';
import type { FailureRecord } from '../../src/pools/policy/rapid-fail.ts';

type DeepPartial<T> = { [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** A pool config: IIS defaults, the given keys over them. */
export function poolConfig(over: DeepPartial<PoolSettings> = {}): PoolConfig {
  const d = POOL_DEFAULTS;
  return {
    ...d,
    ...over,
    name: 'p',
    command: ['app'],
    cwd: '/',
    documentRoot: '/',
    processModel: { ...d.processModel, ...over.processModel },
    recycling: { ...d.recycling, ...over.recycling, periodicRestart: { ...d.recycling.periodicRestart, ...over.recycling?.periodicRestart } },
    failure: { ...d.failure, ...over.failure },
    cpu: { ...d.cpu, ...over.cpu },
    diagnostics: { ...d.diagnostics, ...over.diagnostics },
  } as PoolConfig;
}

/** A clock that only moves when told. */
export class FakeClock {
  now = 1_000_000;
  readonly read = (): number => this.now;
  advance(ms: number): number {
    this.now += ms;
    return this.now;
  }
}

/** A worker that is only facts: the tests move it by hand, as the process would. */
export class FakeWorker implements CoreWorker {
  readonly id: string;
  state: WorkerState = 'starting';
  health: WorkerHealth = 'healthy';
  hung = false;
  inFlight = 0;
  requests = 0;
  tunnels = 0;
  lastActivityAt: number;
  readyAt = 0;
  /** The requests it holds, in grant order, as the tick's sweep reads them (tests add them by hand). */
  readonly held: FakeRequest[] = [];

  constructor(id: string, now: number) {
    this.id = id;
    this.lastActivityAt = now;
  }
}

/** A request a fake worker holds: only the facts the request limits read. */
export class FakeRequest implements HeldRequest {
  readonly grantedAt: number;
  readonly label: string;
  responseStarted = false;
  tunnel = false;

  constructor(label: string, grantedAt: number) {
    this.label = label;
    this.grantedAt = grantedAt;
  }
}

/** Hands `worker` a request granted now (its facts for the sweep, and one more in flight). */
export function holdRequest(worker: FakeWorker, label: string, now: number): FakeRequest {
  const r = new FakeRequest(label, now);
  worker.held.push(r);
  grantTo(worker, now);
  return r;
}

const noConnector: Connector<null> = { connect: () => null, release: () => {} };

/** A request waiting for a worker; `granted` / `refused` say what became of it. */
export class FakeWaiter implements Waiter<null> {
  /** The core only compares it with its workers; a fake worker stands for a leased one here. */
  readonly exclude: LeasedWorker | null;
  readonly connector = noConnector;
  readonly freshConnection = false;
  readonly request: LeaseRequest = { method: 'GET', path: '/', target: '/' };
  granted: FakeWorker | null = null;
  refused: Refusal | null = null;

  constructor(exclude: FakeWorker | null = null) {
    this.exclude = exclude as unknown as LeasedWorker | null;
  }
  grant(_lease: Lease<null>): void {
    throw new Error('the core grants through its effects, never by a lease of its own');
  }
  refuse(refusal: Refusal): void {
    this.refused = refusal;
  }
}

/** Carries out the core's decisions on fakes and logs each one: "start w1", "drain w1 (recycled)", … */
export class EffectsRecorder implements PoolEffects<FakeWorker> {
  readonly log: string[] = [];
  readonly started: FakeWorker[] = [];
  retryDelays: number[] = [];
  tripped: readonly FailureRecord[] | null = null;
  /** Make the next start fail (the shell returns null when, say, the identity is invalid). */
  failStarts = false;
  #seq = 0;
  readonly #clock: FakeClock;

  constructor(clock: FakeClock) {
    this.#clock = clock;
  }

  /** The log so far, and empties it. */
  take(): string[] {
    return this.log.splice(0);
  }

  startWorker(replacementFor: FakeWorker | null): FakeWorker | null {
    if (this.failStarts) {
      this.log.push('start failed');
      return null;
    }
    const w = new FakeWorker(`w${++this.#seq}`, this.#clock.now);
    this.started.push(w);
    this.log.push(replacementFor === null ? `start ${w.id}` : `start ${w.id} for ${replacementFor.id}`);
    return w;
  }
  drainWorker(worker: FakeWorker, reason: string): void {
    if (worker.state !== 'stopped') worker.state = 'draining';
    this.log.push(`drain ${worker.id} (${reason})`);
  }
  grant(waiter: Waiter, worker: FakeWorker): void {
    grantTo(worker, this.#clock.now);
    (waiter as FakeWaiter).granted = worker;
    this.log.push(`grant ${worker.id}`);
  }
  suspendWorker(worker: FakeWorker, idleMs: number): void {
    worker.state = 'suspended';
    this.log.push(`suspend ${worker.id} after ${idleMs} ms`);
  }
  shutDownIdle(worker: FakeWorker, idleMs: number): void {
    worker.state = 'draining';
    this.log.push(`idle shutdown ${worker.id} after ${idleMs} ms`);
  }
  retryStartsIn(delayMs: number): void {
    this.retryDelays.push(delayMs);
    this.log.push(`retry in ${delayMs} ms`);
  }
  rapidFailTripped(failures: readonly FailureRecord[]): void {
    this.tripped = failures;
    this.log.push(`rapid-fail stop (${failures.map((f) => f.kind).join(', ')})`);
  }
  logRecycle(worker: FakeWorker | null, trigger: string): void {
    this.log.push(`recycle event ${worker?.id ?? 'pool'} ${trigger}`);
  }
  logReplacementFailed(old: FakeWorker, replacement: FakeWorker): void {
    this.log.push(`5093 ${old.id} kept, ${replacement.id} failed`);
  }
  requestsTimedOut(worker: FakeWorker, requests: readonly HeldRequest[], limitMs: number): void {
    // The shell answers them 504 and releases their leases: they leave the worker.
    for (const r of requests) {
      const at = worker.held.indexOf(r as FakeRequest);
      if (at !== -1) worker.held.splice(at, 1);
      worker.inFlight--;
    }
    this.log.push(`504 ${worker.id} ${requests.map((r) => r.label).join(', ')} after ${limitMs} ms`);
  }
  logQueueTimeout(count: number, limitMs: number): void {
    this.log.push(`queue timeout ${count} after ${limitMs} ms`);
  }
  blockedWorker(worker: FakeWorker, requests: readonly HeldRequest[]): void {
    this.log.push(`blocked ${worker.id} ${requests.map((r) => r.label).join(', ')}`);
  }
  logUnhealthyAtStart(worker: FakeWorker, reason: string, sinceReadyMs: number): void {
    this.log.push(`unhealthy at start ${worker.id} (${reason}) ${sinceReadyMs} ms after ready`);
  }
}

/** What a lease does to its worker when it is made: one more request in flight. */
export function grantTo(worker: FakeWorker, now: number): void {
  if (worker.state === 'suspended') worker.state = 'ready';
  worker.inFlight++;
  worker.requests++;
  worker.lastActivityAt = now;
}

/** What releasing a lease does to its worker. */
export function endOn(worker: FakeWorker, now: number): void {
  worker.inFlight--;
  worker.lastActivityAt = now;
}

/** The worker became ready, as its process would report. */
export function makeReady(worker: FakeWorker, now: number): void {
  worker.state = 'ready';
  worker.readyAt = now;
  worker.lastActivityAt = now;
}
