/**
 * The balancer scenarios of issue 14, as functions that return what happened (no assertions), so
 * the scenario test judges them and the bench reports them:
 *
 * - `rapidFailOnA`: under load through a balancer, a pool on host A crash-loops into rapid-fail
 *   (5002); who served what, what failed, and when the balancer last sent a request to A's
 *   stopped pool;
 * - `drainA`: host A is drained under the same load; what failed, and whether A left on its own.
 */
import { chmodSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FARM_POOLS, freePorts, generateHaproxyConfig, readyPid, startFarmHost, startHaproxy, until, type FarmHost, type FarmPool, type Haproxy } from './farm.ts';
import { summarise, timedLoad, type Answer, type TimedLoad, type TimedLoadResult } from './timed-load.ts';

export type Via = 'http' | 'tcp';

export interface Farm {
  readonly dir: string;
  readonly a: FarmHost;
  readonly b: FarmHost;
  readonly haproxy: Readonly<Record<Via, Haproxy>>;
  /** Where clients send a pool's requests through each balancer (its port, and the path). */
  entry(via: Via, pool: FarmPool): { readonly port: number; readonly path: string };
  /** HAProxy's backend/server key of a pool on a host: "pool_bad/a". */
  server(pool: FarmPool, host: FarmHost): string;
  stop(): Promise<void>;
}

export interface FarmOptions {
  /** HAProxy's check interval. Default 200 ms. */
  readonly interMs?: number;
  /** Keep the scratch folder (host logs, configs); also PADDOCK_KEEP_FARM=1. */
  readonly keep?: boolean;
}

/** Two hosts, an http-mode and a tcp-mode HAProxy in front of both, configured by `paddock lb haproxy`. */
export async function startFarm(options: FarmOptions = {}): Promise<Farm> {
  const dir = mkdtempSync(join(tmpdir(), 'pdk-farm-'));
  // Under root each pool runs as an ApplicationPoolIdentity, which must enter the hosts' folders (their cwd).
  chmodSync(dir, 0o711);
  const [pa, pb, ha, hb, front] = await freePorts(5);
  // In tcp mode each pool has a frontend, on consecutive ports in the config's order.
  const [tcpBase] = await freePorts(FARM_POOLS.length, true);
  const started = await Promise.allSettled([
    startFarmHost({ name: 'a', dir: join(dir, 'a'), port: pa, healthPort: ha }),
    startFarmHost({ name: 'b', dir: join(dir, 'b'), port: pb, healthPort: hb }),
  ]);
  const hosts = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.all(hosts.map((h) => h.stop()));
    throw (failed as PromiseRejectedResult).reason;
  }
  const [a, b] = hosts;
  const running: Haproxy[] = [];
  try {
    for (const [mode, bind] of [['http', front], ['tcp', tcpBase]] as const) {
      const text = await generateHaproxyConfig(a.configFile, [
        '--hosts', `a=127.0.0.1:${pa}@${ha},b=127.0.0.1:${pb}@${hb}`,
        '--mode', mode, '--bind', `127.0.0.1:${bind}`,
        '--inter', `${options.interMs ?? 200}ms`, '--fall', '2', '--rise', '1',
      ]);
      running.push(await startHaproxy(dir, `haproxy-${mode}`, text));
    }
  } catch (err) {
    await Promise.all([...running.map((h) => h.stop()), a.stop(), b.stop()]);
    throw err;
  }
  const [httpLb, tcpLb] = running;
  return {
    dir, a, b,
    haproxy: { http: httpLb, tcp: tcpLb },
    entry: (via, pool) => ({ port: via === 'http' ? front : tcpBase + FARM_POOLS.indexOf(pool), path: `/${pool}` }),
    server: (pool, host) => `pool_${pool}/${host.name}`,
    stop: async () => {
      await Promise.all(running.map((h) => h.stop()));
      await Promise.all([a.stop(), b.stop()]);
      if (!(options.keep ?? process.env.PADDOCK_KEEP_FARM === '1')) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Loads on the healthy pool and on the pool that will fail, through one balancer. */
export interface FarmLoads {
  readonly via: Via;
  readonly failing: 'bad' | 'bad4';
  readonly good: TimedLoad;
  readonly bad: TimedLoad;
}

export function startLoads(farm: Farm, via: Via, failing: 'bad' | 'bad4', concurrency = 3): FarmLoads {
  return {
    via,
    failing,
    good: timedLoad({ ...farm.entry(via, 'good'), concurrency }),
    bad: timedLoad({ ...farm.entry(via, failing), concurrency }),
  };
}

/** Waits until a host's pool has answered at least `n` of the load's requests since `since`. */
export function servedBy(load: TimedLoad, pid: number, n: number, since = 0): Promise<true> {
  return until(`pid ${pid} to answer ${n} requests`, 30_000, () => load.answers.filter((x) => x.pid === pid && x.at >= since).length >= n);
}

/** Answers after `t`, by pid. */
export function pidsAfter(answers: readonly Answer[], t: number): Map<number, number> {
  const m = new Map<number, number>();
  for (const x of answers) if (x.at > t && x.pid !== null) m.set(x.pid, (m.get(x.pid) ?? 0) + 1);
  return m;
}

interface PoolCounters {
  readonly requests: number;
  readonly refused: Readonly<Record<string, number>>;
}

/** Requests the pool on `host` has been handed (served or refused) so far. */
async function handed(host: FarmHost, pool: string): Promise<number> {
  const p = await host.admin<PoolCounters>('GET', `/api/pools/${pool}`);
  return p.requests + Object.values(p.refused).reduce((n, v) => n + v, 0);
}

export interface RapidFailFacts {
  /** 5002's time on host A (epoch ms). */
  readonly rapidFailAt: number;
  /** When HAProxy last handed A's `bad` pool a request, by A's own counters (epoch ms, ±25 ms). */
  readonly lastToStoppedAt: number;
  /** Requests A's `bad` pool was handed after its 5002. */
  readonly handedAfter: number;
  /** ms A's counters stayed still after the last one, watched for `quietMs`. */
  readonly quietMs: number;
  /** When HAProxy's check first showed A's `bad` as not UP (epoch ms), or null. */
  readonly markedAt: number | null;
  readonly markedAs: string | null;
  readonly good: TimedLoadResult;
  readonly bad: TimedLoadResult;
  /** Pids of each host's pools (for "who served"). */
  readonly pids: { readonly goodA: number; readonly goodB: number; readonly badA: number; readonly badB: number };
}

/**
 * Under load, makes A's `bad` pool crash-loop into rapid-fail: the crash marker, then SIGKILL of
 * its worker; every replacement exits soon after it is ready, and the third failure stops the
 * pool (5002). Its readiness stays 200 until then (each worker does become ready), so the
 * balancer learns of the failure from the 5002's 503, as the issue's scenario asks. Watches
 * A's counters until `watchMs` after the 5002, then keeps the load going `tailMs` more.
 */
export async function rapidFailOnA(farm: Farm, loads: FarmLoads, options: { watchMs?: number; quietMs?: number; tailMs?: number } = {}): Promise<RapidFailFacts> {
  const { a, b } = farm;
  const pool = loads.failing;
  const pids = { goodA: await readyPid(a, 'good'), goodB: await readyPid(b, 'good'), badA: await readyPid(a, pool), badB: await readyPid(b, pool) };
  // Both hosts serve both pools before the fault.
  await Promise.all([servedBy(loads.good, pids.goodA, 5), servedBy(loads.good, pids.goodB, 5), servedBy(loads.bad, pids.badA, 5), servedBy(loads.bad, pids.badB, 5)]);
  writeFileSync(a.crashMarker(pool), '');
  process.kill(pids.badA, 'SIGKILL');
  let markedAt: number | null = null;
  let markedAs: string | null = null;
  let lastCount = await handed(a, pool);
  let lastToStoppedAt = Date.now();
  let rapidFailAt: number | null = null;
  let countAt5002 = 0;
  const watchMs = options.watchMs ?? 2_500;
  const quietMs = options.quietMs ?? 700;
  const key = farm.server(pool, a);
  // Sample A's counters and HAProxy's view every 25 ms until watchMs after the 5002.
  const t0 = Date.now();
  for (;;) {
    const [count, states] = await Promise.all([handed(a, pool), farm.haproxy[loads.via].states()]);
    const now = Date.now();
    if (count !== lastCount) {
      lastCount = count;
      lastToStoppedAt = now;
    }
    if (markedAt === null && states[key] !== 'UP') {
      markedAt = now;
      markedAs = states[key];
    }
    if (rapidFailAt === null) {
      const e = await a.admin<Array<{ time: string }>>('GET', `/api/events?id=5002&pool=${pool}`);
      if (e.length > 0) {
        rapidFailAt = Date.parse(e[0].time);
        countAt5002 = count;
      }
    }
    if (rapidFailAt !== null && now >= rapidFailAt + watchMs && now - lastToStoppedAt >= quietMs) break;
    if (now - t0 > 30_000) throw new Error(`no rapid-fail stop, or HAProxy kept sending to A's stopped pool (5002 at ${rapidFailAt}; last at ${lastToStoppedAt})`);
    await new Promise((r) => setTimeout(r, 25));
  }
  const handedAfter = lastCount - countAt5002;
  await new Promise((r) => setTimeout(r, options.tailMs ?? 300));
  const [good, bad] = await Promise.all([loads.good.stop(), loads.bad.stop()]);
  return { rapidFailAt: rapidFailAt!, lastToStoppedAt, handedAfter, quietMs: Date.now() - lastToStoppedAt, markedAt, markedAs, good, bad, pids };
}

/** Puts A's failed pool back (marker gone, `start`) and waits until the balancer sends it requests again. */
export async function restoreOnA(farm: Farm, loads: FarmLoads): Promise<number> {
  unlinkSync(farm.a.crashMarker(loads.failing));
  await farm.a.admin('POST', `/api/pools/${loads.failing}/start`);
  const pid = await until(`a new ready worker of ${loads.failing} on A`, 30_000, () => readyPid(farm.a, loads.failing).catch(() => null));
  await servedBy(loads.bad, pid, 3);
  return pid;
}

export interface DrainFacts {
  readonly drainAt: number;
  /** When A's process exited (epoch ms), and its exit code. */
  readonly exitedAt: number;
  readonly exitCode: number | string;
  /** HAProxy's view of A's pools right after the drain began (NOLB when the check saw `draining`). */
  readonly statesSeen: readonly string[];
  readonly good: TimedLoadResult;
  readonly bad: TimedLoadResult;
  /** Answers after A's exit, by pid. */
  readonly goodAfterExit: Map<number, number>;
  readonly badAfterExit: Map<number, number>;
  readonly pidsB: { readonly good: number; readonly bad: number };
}

/** Drains host A (`POST /api/drain`) under load; waits for it to exit on its own. */
export async function drainA(farm: Farm, loads: FarmLoads, options: { tailMs?: number } = {}): Promise<DrainFacts> {
  const { a, b } = farm;
  const pidsB = { good: await readyPid(b, 'good'), bad: await readyPid(b, loads.failing) };
  const drainAt = Date.now();
  await a.admin('POST', '/api/drain');
  const seen = new Set<string>();
  const exit = a.exited.then((code) => ({ code, at: Date.now() }));
  let done: { code: number | string; at: number } | null = null;
  void exit.then((d) => (done = d));
  await until('host A to exit on its own', 20_000, async () => {
    if (done === null) {
      const s = await farm.haproxy[loads.via].states().catch(() => ({} as Record<string, string>));
      for (const pool of ['good', loads.failing] as const) if (s[farm.server(pool, a)]) seen.add(`${pool}: ${s[farm.server(pool, a)]}`);
    }
    return done !== null;
  }, 25);
  await new Promise((r) => setTimeout(r, options.tailMs ?? 300));
  const [good, bad] = await Promise.all([loads.good.stop(), loads.bad.stop()]);
  const ended = done!;
  return {
    drainAt, exitedAt: ended.at, exitCode: ended.code, statesSeen: [...seen], good, bad,
    goodAfterExit: pidsAfter(good.answers, ended.at), badAfterExit: pidsAfter(bad.answers, ended.at), pidsB,
  };
}

/** The failures of a load, with when they happened relative to `t` (ms). */
export function failuresAround(result: TimedLoadResult, t: number): string[] {
  return result.answers.filter((x) => x.outcome !== '200').map((x) => `${x.outcome} at ${x.at - t >= 0 ? '+' : ''}${x.at - t} ms`);
}

export { summarise };
