/**
 * The health checks on a binding of their own (`health: { listen: "0.0.0.0:9181" }`), for networks
 * where load balancers and orchestrators must reach the checks but the admin API must not be
 * reachable at all. It serves `GET|HEAD /health` and `/health/pools/:name` without a token and
 * nothing else (404), plus `GET /metrics` when `health.metrics` is on, for a scraper that holds no
 * token (Prometheus' pod annotations cannot carry one).
 */
import { createServer, type Server } from 'node:http';
import type { Binding } from '../config/types.ts';
import type { HostControl } from './host-control.ts';
import type { DrainControl } from './drain-control.ts';
import { dispatch, metrics } from './admin-routes.ts';
import { HEALTH_ROUTES } from './health-routes.ts';
import type { Route } from './route.ts';

export interface HealthServerOptions {
  readonly listen: Binding;
  readonly metrics: boolean;
  readonly drain: DrainControl | null;
  /** Told about listener errors after start. Default: stderr. */
  readonly onError?: (err: Error) => void;
}

export interface HealthServer {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  close(): Promise<void>;
}

/** The routes of the health listener. */
export function healthListenerRoutes(withMetrics: boolean): readonly Route[] {
  return withMetrics ? [...HEALTH_ROUTES, { method: 'GET', pattern: /^\/metrics$/, handle: metrics }] : HEALTH_ROUTES;
}

/**
 * Listens on `options.listen`; rejects with the binding when it cannot.
 * @example const health = await startHealthServer(supervisor, { listen: { host: '0.0.0.0', port: 9181, tls: false }, metrics: false, drain });
 */
export async function startHealthServer(control: HostControl, options: HealthServerOptions): Promise<HealthServer> {
  const routes = healthListenerRoutes(options.metrics);
  const env = { control, drain: options.drain, dashboardHtml: undefined };
  const onError = options.onError ?? ((err: Error) => process.stderr.write(`paddock health: ${err.message}\n`));
  const server: Server = createServer((req, res) => {
    req.resume(); // no route reads a body
    dispatch(req, res, env, routes).catch(() => res.destroy());
  });
  // A balancer checks every few seconds on one connection or many: none is worth keeping long.
  server.keepAliveTimeout = 5_000;
  const { host, port } = options.listen;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`cannot listen on ${host || '*'}:${port} for the health checks: ${err.message}`)));
    server.listen(port, host === '' ? undefined : host, () => resolve());
  });
  server.on('error', onError);
  const address = server.address();
  let closing: Promise<void> | null = null;
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
