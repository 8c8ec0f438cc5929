// Drain, the worker side of an IIS overlapped recycle: stop accepting, let the requests in flight
// finish, run the app's own cleanup, then exit 0 — before the host's shutdownTimeLimit, after
// which the host kills the process (event 5013).

/** How often idle keep-alive connections are swept while draining. */
const IDLE_SWEEP_MS = 100;
/** Exit this long before the host's deadline at most, so the exit is ours and not a kill. */
const MAX_DEADLINE_MARGIN_MS = 500;

/**
 * @typedef {import('node:net').Server & {
 *   closeIdleConnections?: () => void,
 * }} DrainableServer
 */

/**
 * @typedef {object} DrainPlan
 * @property {Iterable<DrainableServer>} servers servers to close (those listening on PORT)
 * @property {readonly (() => unknown)[]} handlers the app's onDrain callbacks; may return promises
 * @property {number} deadlineMs time the host allows, from now
 * @property {(code: number) => void} exit ends the process
 */

/**
 * How long before the host's deadline the worker gives up waiting and exits by itself.
 * @param {number} deadlineMs
 * @returns {number}
 */
export function deadlineMarginMs(deadlineMs) {
  return Math.min(MAX_DEADLINE_MARGIN_MS, Math.floor(deadlineMs / 10));
}

/**
 * Runs a drain: closes every server (no new connections), answers requests that still arrive on an
 * open keep-alive connection with `Connection: close` (RFC 9112 §9.6), sweeps idle connections so
 * each closes as soon as its response is done, and calls exit(0) when every server has emitted
 * 'close' and every handler has settled, or at the deadline less a margin, whichever comes first.
 * @param {DrainPlan} plan
 */
export function runDrain(plan) {
  const servers = [...plan.servers];
  let exited = false;
  const finish = () => {
    if (exited) return;
    exited = true;
    clearInterval(sweep);
    clearTimeout(deadline);
    plan.exit(0);
  };

  const deadline = setTimeout(finish, Math.max(0, plan.deadlineMs - deadlineMarginMs(plan.deadlineMs)));
  deadline.unref();
  const sweep = setInterval(() => {
    for (const server of servers) closeIdle(server);
  }, IDLE_SWEEP_MS);
  sweep.unref();

  /** @type {Promise<unknown>[]} */
  const waits = servers.map((server) => closeServer(server));
  for (const handler of plan.handlers) {
    waits.push(Promise.resolve().then(handler).catch(() => {}));
  }
  Promise.all(waits).then(finish, finish);
}

/**
 * Closes one server; the promise settles on its 'close' event (all connections ended).
 * @param {DrainableServer} server
 * @returns {Promise<void>}
 */
function closeServer(server) {
  return new Promise((resolve) => {
    try {
      server.prependListener('request', onLateRequest);
      server.close(() => resolve());
      closeIdle(server);
    } catch {
      resolve();
    }
  });
}

/**
 * A request that arrives during drain on an already open keep-alive connection is served, and its
 * connection closes after the response.
 * @param {unknown} _req
 * @param {{ headersSent?: boolean, setHeader?: (name: string, value: string) => void, shouldKeepAlive?: boolean }} res
 */
function onLateRequest(_req, res) {
  try {
    if (res.headersSent !== true && typeof res.setHeader === 'function') res.setHeader('Connection', 'close');
    res.shouldKeepAlive = false;
  } catch {
    // never throws into the app
  }
}

/** @param {DrainableServer} server */
function closeIdle(server) {
  try {
    if (typeof server.closeIdleConnections === 'function') server.closeIdleConnections();
  } catch {
    // never throws into the app
  }
}
