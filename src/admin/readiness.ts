/**
 * Readiness of a pool, for load balancers (`GET /health/pools/:name`, DESIGN §8/§9): whether this
 * host's pool can take a request now, and if not, why. Pure: a pool snapshot and the host's drain
 * state in, a verdict out.
 *
 * "Ready" means what IIS means by a pool that answers: started, a worker ready or one that can be
 * started, and room in the queue. A pool that is stopped (by an administrator, rapid-fail
 * protection, the CPU limit, a bad identity, or configuration), whose workers keep dying before
 * they become ready, or whose queue is full, is not ready, and neither is any pool of a draining
 * host. The verdict's reason is a stable word a balancer's check may match (docs/balancers.md).
 */
import type { PoolSnapshot } from './host-control.ts';

/** Why a pool is or is not ready: `ready`, a stop reason, or one of the host's own. */
export type ReadinessReason =
  | 'ready'
  | 'admin'
  | 'rapidFail'
  | 'cpuLimit'
  | 'identity'
  | 'config'
  | 'draining'
  | 'startFailing'
  | 'queueFull';

export interface Readiness {
  readonly ready: boolean;
  readonly reason: ReadinessReason;
  /** One sentence for a person reading the check's answer. */
  readonly message: string;
}

/** The response header that carries the reason, so a balancer's check can match it without parsing JSON. */
export const READINESS_HEADER = 'paddock-readiness';

/** How a stopped pool came to stop, after "is stopped" / "is stopping". */
const STOPPED: Readonly<Record<Exclude<PoolSnapshot['stopReason'], null>, string>> = {
  admin: 'by an administrator (event 5059)',
  rapidFail: 'by rapid-fail protection (event 5002)',
  cpuLimit: 'by its CPU limit until the reset interval ends (event 5090)',
  identity: 'because its identity is invalid (event 5021)',
  config: 'by the configuration, or because the host is stopping',
};

/** Whether a worker of the pool can take a request now (a suspended one thaws for it). */
function hasReadyWorker(pool: PoolSnapshot): boolean {
  return pool.workers.some((w) => w.state === 'ready' || w.state === 'suspended');
}

/**
 * The readiness of `pool` on a host that is (`draining`) or is not taking itself out of rotation.
 * A stopped pool says why it stopped even while the host drains: it serves nothing, which matters
 * more to a balancer than that the host is leaving.
 */
export function poolReadiness(pool: PoolSnapshot, draining: boolean): Readiness {
  if (pool.state !== 'started') {
    const reason = pool.stopReason ?? 'admin';
    const verb = pool.state === 'stopping' ? 'stopping' : 'stopped';
    return { ready: false, reason, message: `pool '${pool.name}' is ${verb} ${STOPPED[reason]}` };
  }
  if (draining) {
    return { ready: false, reason: 'draining', message: `the host is draining: pool '${pool.name}' finishes what still arrives, then the host exits` };
  }
  if (pool.startFailures > 0 && !hasReadyWorker(pool)) {
    const n = pool.startFailures;
    return { ready: false, reason: 'startFailing', message: `pool '${pool.name}' has no ready worker and its last ${n === 1 ? 'start' : `${n} starts`} failed` };
  }
  if (pool.queued > 0 && pool.queued >= pool.queueLength) {
    return { ready: false, reason: 'queueFull', message: `pool '${pool.name}' has a full queue (${pool.queued} of ${pool.queueLength})` };
  }
  return { ready: true, reason: 'ready', message: `pool '${pool.name}' can take a request` };
}
