// The public worker API an app may import (later published as `paddock/worker`). Every function is
// safe to call in any process: outside Paddock they do nothing and return false / a no-op.
import { installWorkerAgent } from './agent.mjs';

/**
 * Asks the host to recycle this worker, as IIS's HSE_REQ_REPORT_UNHEALTHY does (event 5078).
 * @example
 * if (dbPool.broken) reportUnhealthy('database pool exhausted');
 * @param {string} reason shown in the host's event log
 * @returns {boolean} true when the message went to the host; false when not managed
 */
export function reportUnhealthy(reason) {
  return installWorkerAgent()?.reportUnhealthy(reason) ?? false;
}

/**
 * True when this process is a Paddock worker with an open control channel.
 * @returns {boolean}
 */
export function isManaged() {
  return installWorkerAgent()?.managed ?? false;
}

/**
 * Runs `fn` when the host drains this worker (recycle, idle timeout, pool stop). The worker has
 * already stopped accepting; it exits once in-flight requests and every handler's promise are done,
 * or at the host's deadline. Returns a function that removes the handler.
 * @example
 * onDrain(async () => { await queue.flush(); await db.end(); });
 * @param {() => unknown} fn
 * @returns {() => void}
 */
export function onDrain(fn) {
  return installWorkerAgent()?.onDrain(fn) ?? (() => {});
}
