/**
 * `paddock run`: the host process. Reads the config (a bad file starts nothing), opens the event
 * log, starts the front door, the pools and the admin API, and handles signals: SIGHUP reloads,
 * SIGTERM/SIGINT drain every pool within its limit and exit 0.
 */
import { mkdirSync } from 'node:fs';
import { loadConfigIsolated } from './config/load-isolated.ts';
import { formatConfigError } from './config/config-error.ts';
import { configWarnings, formatConfigWarning } from './config/warnings.ts';
import type { HostConfig } from './config/types.ts';
import { EventLog } from './events/event-log.ts';
import { EventIds } from './events/event-ids.ts';
import { Supervisor } from './supervisor/supervisor.ts';
import { Diagnostics, type DiagnosticsOptions } from './diagnostics/diagnostics.ts';
import { startAdminServer, type AdminServer } from './admin/admin-server.ts';
import { dashboardHtml } from './admin/dashboard/dashboard.ts';

export interface RunningHost {
  readonly supervisor: Supervisor;
  readonly admin: AdminServer;
  readonly bound: ReadonlyArray<{ host: string; port: number; tls: boolean }>;
  /** Drains every pool and closes everything; later calls return the same promise. */
  stop(): Promise<void>;
  /** Settles when stop() is first called, by a signal or by `paddock shutdown` (POST /api/shutdown). */
  readonly stopRequested: Promise<void>;
}

/** Starts a host from a loaded config; used by `paddock run` and by tests. */
export async function startHost(
  config: HostConfig,
  options: { quiet?: boolean; diagnostics?: Pick<DiagnosticsOptions, 'storeLimits' | 'captureLimits'> } = {},
): Promise<RunningHost> {
  mkdirSync(config.dataDir, { recursive: true });
  const events = EventLog.open(config.dataDir, options.quiet ? { stdout: null } : {});
  const diagnostics = new Diagnostics({ dataDir: config.dataDir, events, ...options.diagnostics });
  const supervisor = new Supervisor(config, events, diagnostics);
  let bound: Array<{ host: string; port: number; tls: boolean }>;
  try {
    bound = await supervisor.start();
  } catch (err) {
    await supervisor.shutdown();
    await diagnostics.close();
    events.close();
    throw err;
  }
  const admin = await startAdminServer(supervisor, {
    socket: config.admin.socket,
    tcp: config.admin.tcp,
    token: config.admin.token,
    dashboardHtml,
  });
  events.write({
    id: EventIds.HostStarted,
    message: `Host started (pid ${process.pid}): ${Object.keys(config.pools).length} pools, listening on ${bound.map((b) => `${b.host}:${b.port}`).join(', ')}.`,
    details: { config: config.file, listen: bound, admin: config.admin.socket, adminTcpPort: admin.tcpPort },
  });
  let stopping: Promise<void> | null = null;
  let requested!: () => void;
  const stopRequested = new Promise<void>((resolve) => { requested = resolve; });
  const stop = (): Promise<void> => {
    requested();
    stopping ??= (async () => {
      events.write({ id: EventIds.HostStopping, message: `Host stopping (pid ${process.pid}): draining every pool.` });
      await supervisor.shutdown();
      await admin.close();
      await diagnostics.close();
      events.close();
    })();
    return stopping;
  };
  supervisor.onShutdownRequest = () => void stop();
  return { supervisor, admin, bound, stop, stopRequested };
}

/** Thrown by runHost when nothing could be started; the message says why. */
export class HostStartError extends Error {
  readonly code = 'PADDOCK_HOST_START';
}

/** `paddock run --config FILE`: runs until SIGTERM or SIGINT. */
export async function runHost(configFile: string): Promise<void> {
  const result = await loadConfigIsolated(configFile);
  if (!result.ok) {
    for (const e of result.errors) process.stderr.write(formatConfigError(e, configFile) + '\n');
    throw new HostStartError(`${result.errors.length} error(s) in ${configFile}; nothing was started`);
  }
  for (const w of configWarnings(result.config)) process.stderr.write(`paddock: ${formatConfigWarning(w, configFile)}\n`);
  let host: RunningHost;
  try {
    host = await startHost(result.config);
  } catch (err) {
    throw new HostStartError(`${(err as Error).message}; nothing was started`);
  }
  const urls = host.bound.map((b) => `${b.tls ? 'https' : 'http'}://${b.host.includes(':') ? `[${b.host}]` : b.host}:${b.port}/`);
  process.stderr.write(`paddock: serving ${Object.keys(result.config.pools).length} pools on ${urls.join(' ')}\n`);
  process.stderr.write(`paddock: admin socket ${result.config.admin.socket}${host.admin.tcpPort ? `, dashboard http://127.0.0.1:${host.admin.tcpPort}/?token=<admin.token> (once; a cookie keeps it)` : ''}\n`);
  for (const line of tryLines(result.config, urls[0])) process.stderr.write(`paddock:   ${line}\n`);
  process.on('SIGHUP', () => {
    void host.supervisor.reload().then((r) => {
      if (!r.ok) process.stderr.write(`paddock: reload refused:\n${r.errors.join('\n')}\n`);
    });
  });
  const onSignal = (): void => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    void host.stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // A signal or `paddock shutdown`: the same graceful stop.
  await host.stopRequested;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  await host.stop();
}

/** A few curl lines to try, one per app of the configured sites (at most 8). */
function tryLines(config: HostConfig, base: string | undefined): string[] {
  if (base === undefined) return [];
  const url = new URL(base);
  const lines: string[] = [];
  for (const site of config.sites) {
    // The site answers the binding's own address when it lists it or "*"; else name one of its hosts.
    const direct = site.hosts.includes('*') || site.hosts.includes(url.hostname);
    const host = direct ? null : site.hosts.find((h) => !h.includes('*'));
    for (const app of site.apps) {
      const header = host ? `-H 'Host: ${host}' ` : '';
      lines.push(`curl ${header}${url.origin}${app.path === '/' ? '/' : app.path + '/'}   # site ${site.name}, pool ${app.pool}`);
    }
  }
  return lines.slice(0, 8);
}
