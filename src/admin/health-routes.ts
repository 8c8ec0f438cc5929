/**
 * The checks load balancers and orchestrators call (DESIGN §8/§9), served without a token on the
 * admin TCP binding and on `health.listen`:
 *
 * - `GET /health`: liveness of the host. It depends on no worker and no pool, so a failing pool
 *   never makes an orchestrator restart the host (and with it every healthy pool). It stays 200
 *   while the host drains: a draining host is alive, only leaving.
 * - `GET /health/pools/:name`: readiness of one pool on this host (readiness.ts): 200 when it can
 *   take a request now, 503 with a JSON reason otherwise — 503 is what a balancer's check reads as
 *   "take me out" (RFC 9110 §15.6.4). The reason is also in the `Paddock-Readiness` header, so a
 *   check can tell a draining host (take it out gently) from a failed pool without parsing JSON.
 *
 * `HEAD` answers the same status and headers with no body (dispatch maps it to GET).
 */
import { sendJson } from './http-reply.ts';
import { poolReadiness, READINESS_HEADER } from './readiness.ts';
import type { Route } from './route.ts';

/** The health routes; the admin API serves them too. */
export const HEALTH_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    pattern: /^\/health$/,
    handle: ({ res, control, drain }) => sendJson(res, 200, {
      status: 'ok',
      startedAt: control.startedAt,
      pid: process.pid,
      draining: drain?.draining ?? false,
    }),
  },
  {
    method: 'GET',
    pattern: /^\/health\/pools\/([^/]+)$/,
    handle: ({ res, control, drain, params }) => {
      const p = control.pool(params[0]);
      const r = poolReadiness(p, drain?.draining ?? false);
      const body = { pool: p.name, ready: r.ready, reason: r.reason, message: r.message, available: r.ready, state: p.state, stopReason: p.stopReason };
      sendJson(res, r.ready ? 200 : 503, body, { [READINESS_HEADER]: r.reason });
    },
  },
];
