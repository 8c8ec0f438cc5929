// Where each request of a Node worker waits, for the host's hang report of a worker with blocked
// requests (failure.blockedRequestLimit). A request that waits on a promise leaves no frame on the
// stack, so an inspector pause shows nothing of it; instead, while the host asks for it
// (PADDOCK_REQUEST_TRACE=1), every promise created on a request's behalf records the stack it was
// created from, and the newest few per request are kept: the lines the request awaits at, from
// the handler's own await down to the promise that never settles. The host
// reads them through the inspector (Runtime.evaluate of the function below), which answers even
// when the event loop is idle. Costly (a stack capture per promise), so only for pools that ask.
import { AsyncLocalStorage, createHook } from 'node:async_hooks';
import http from 'node:http';

/** The global the host's inspector evaluates: a JSON array of the requests in hand. */
export const REQUEST_TRACE = Symbol.for('paddock.worker-sdk.requests-in-hand');
/** Frames kept per stack, and stacks kept per request (the newest). */
const FRAMES = 16;
const STACKS = 4;
/** The trace's own frames and the async-hook machinery, left out of every stack. */
const OWN_FRAME = /request-trace\.mjs|node:internal\/async_hooks|AsyncHook\.init|AsyncLocalStorage\.run|async_context_frame/;

/**
 * @typedef {{ method: string, url: string, startedAt: number, waitsAt: Array<{ stack?: string }> }} TracedRequest
 */

/** Starts the trace once per process; a second call does nothing. */
export function startRequestTrace() {
  if (/** @type {any} */ (globalThis)[REQUEST_TRACE]) return;
  /** @type {AsyncLocalStorage<TracedRequest>} */
  const als = new AsyncLocalStorage();
  /** @type {Set<TracedRequest>} */
  const inHand = new Set();
  /** @type {(this: http.Server, event: string, ...args: any[]) => boolean} */
  const emit = /** @type {any} */ (http.Server.prototype.emit);
  /** @type {any} */ (http.Server.prototype).emit = function (/** @type {string} */ event, /** @type {any[]} */ ...args) {
    if (event !== 'request') return emit.call(this, event, ...args);
    const [req, res] = args;
    /** @type {TracedRequest} */
    const r = { method: req.method ?? '', url: (req.url ?? '').split('?')[0], startedAt: Date.now(), waitsAt: [] };
    inHand.add(r);
    res.once('close', () => inHand.delete(r));
    return als.run(r, () => emit.call(this, event, ...args));
  };
  createHook({
    init(_id, type) {
      if (type !== 'PROMISE') return;
      const r = als.getStore();
      if (r === undefined) return;
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = FRAMES + 6;
      /** @type {{ stack?: string }} */
      const holder = {};
      Error.captureStackTrace(holder);
      Error.stackTraceLimit = limit;
      r.waitsAt.push(holder);
      if (r.waitsAt.length > STACKS) r.waitsAt.shift();
    },
  }).enable();
  /** @type {any} */ (globalThis)[REQUEST_TRACE] = () => JSON.stringify([...inHand].map((r) => ({
    method: r.method,
    path: r.url,
    ageMs: Date.now() - r.startedAt,
    // Newest first: the handler's await, then what it awaits, down to the promise that never settles.
    stacks: r.waitsAt.map((h) => (h.stack ?? '').split('\n').slice(1).filter((l) => !OWN_FRAME.test(l)).join('\n')).filter((t) => t !== '').reverse(),
  })));
}
