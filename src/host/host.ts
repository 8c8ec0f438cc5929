/**
 * `paddock run`: the host process. Reads the config (a bad file starts nothing), opens the event
 * log, starts the front door, the pools, the admin API and the health listener, and handles
 * signals: SIGHUP reloads, SIGTERM/SIGINT drain every pool within its limit and exit 0, as the end
 * of a `paddock drain` does.
 */
import { dirname, join } from 'node:path';
import { loadConfigIsolated } from '../config/load-isolated.ts';
import { formatConfigError } from '../config/config-error.ts';
import { configWarnings, formatConfigWarning } from '../config/warnings.ts';
import type { HostConfig } from '../config/types.ts';
import { EventLog } from '../events/event-log.ts';
import { EventIds } from '../events/event-ids.ts';
import { Supervisor, type SupervisorParts } from './supervisor.ts';
import { FrontDoor } from '../front-door/front-door.ts';
import { FrontDoorThreads } from '../front-door/front-door-threads.ts';
import { ThreadDispatch } from '../dispatch/thread-dispatch.ts';
import { AccessLog } from '../front-door/access-log.ts';
import type { Pool } from '../pools/pool.ts';
import { Diagnostics, type DiagnosticsOptions } from '../diagnostics/diagnostics.ts';
import { startAdminServer, type AdminServer } from '../admin/admin-server.ts';
import { dashboardHtml } from '../admin/dashboard/dashboard.ts';
import { takeInheritedSockets, type InheritedSocket } from '../service/listen-fds.ts';
import { SdNotifier } from '../service/sd-notify.ts';
import { describeOpenFileLimit, raiseOpenFileLimit } from '../service/open-file-limit.ts';
import { ensureDir } from '../service/ensure-dir.ts';
import { prepareDataDir } from './data-dir.ts';
import { loadOrCreateAdminToken, type AdminTokenFile } from '../admin/admin-token.ts';
import { identityTypeOf } from '../supervisor/identity.ts';
import { HostDrain } from '../admin/host-drain.ts';
import { activityOf } from '../admin/drain-policy.ts';
import { startHealthServer, type HealthServer } from '../admin/health-server.ts';
import type { HistoryOptions } from '../admin/observe/history.ts';
import { PaddockError } from '../paddock-error.ts';
import type { CgroupLayout } from '../supervisor/cgroups/layout.ts';

export interface RunningHost {
  readonly supervisor: Supervisor;
  readonly admin: AdminServer;
  /** The health checks' own binding (`health.listen`), or null. */
  readonly health: HealthServer | null;
  /** `paddock drain`: out of rotation, then stop once quiet. */
  readonly drain: HostDrain;
  readonly bound: ReadonlyArray<{ host: string; port: number; tls: boolean }>;
  /** The token made for the TCP admin binding (`<dataDir>/admin.token`), or null when the config gives one or there is no TCP binding. */
  readonly adminToken: AdminTokenFile | null;
  /** Drains every pool and closes everything; later calls return the same promise. */
  stop(): Promise<void>;
  /** Settles when stop() is first called, by a signal, `paddock shutdown` (POST /api/shutdown) or the end of a drain. */
  readonly stopRequested: Promise<void>;
}

/**
 * The front door and its access log (every request, IIS W3C or JSON), routing to a pool map the
 * supervisor fills. A failure of either is an event; the front door keeps serving.
 */
function buildFrontDoor(config: HostConfig, events: EventLog): SupervisorParts {
  const accessFile = join(config.dataDir, 'logs', 'access.log');
  const accessLog = new AccessLog({
    file: accessFile,
    format: config.logs.accessFormat,
    includeQueryStrings: config.logs.includeQueryStrings,
    maxBytes: config.logs.maxBytes,
    maxFiles: config.logs.maxFiles,
    onError: (err) => {
      events.write({ id: EventIds.OutputLogFailed, level: 'error', message: `The access log cannot be written: ${err.message}. The front door keeps serving.`, details: { file: accessFile, error: err.message } });
    },
  });
  const pools = new Map<string, Pool>();
  const threads = config.frontDoor.threads;
  let frontDoor: FrontDoor | FrontDoorThreads;
  let dispatch: ThreadDispatch | null = null;
  if (threads > 1) {
    // The shared table holds twice the pools the configuration has (reloads add some), and room for
    // every pool's web garden to be replaced over and over before exited workers' slots are reused.
    const poolCount = Object.keys(config.pools).length;
    const workerCount = Object.values(config.pools).reduce((n, p) => n + p.processModel.maxProcesses, 0);
    dispatch = new ThreadDispatch({ threads, pools: Math.max(64, poolCount * 2), workers: Math.max(256, workerCount * 4) });
    const t = new FrontDoorThreads(threads, {
      dispatch,
      sites: config.sites,
      limits: { ...config.webLimits },
      accessLog,
      accessFormat: config.logs.accessFormat,
      includeQueryStrings: config.logs.includeQueryStrings,
    });
    t.onThreadFailed = (thread, err, code) => {
      events.write({ id: EventIds.FrontDoorThreadFailed, message: `Front-door thread ${thread} failed (${err?.message ?? `exit code ${code}`}) and was replaced; its own client connections closed, the other threads' went on.`, details: { thread, error: err?.message ?? null, stack: err?.stack ?? null, exitCode: code } });
    };
    frontDoor = t;
  } else {
    frontDoor = new FrontDoor(config.sites, pools, accessLog, { ...config.webLimits });
  }
  frontDoor.onInternalError = (err) => {
    events.write({ id: EventIds.InternalError, message: `Internal error on a client connection (closed; the front door goes on): ${err.message}`, details: { stack: err.stack ?? null } });
  };
  frontDoor.onOutOfFiles = (b) => {
    const limit = b.limit === null ? 'unknown' : b.limit.soft === Infinity ? 'unlimited' : String(b.limit.soft);
    events.write({
      id: EventIds.OpenFilesExhausted,
      message: `The host ran out of file descriptors (${b.code} at ${b.where}; RLIMIT_NOFILE ${limit}) with ${b.connections} client connections: new clients are refused until descriptors are free again; the admin socket stays reachable. Raise LimitNOFILE (or ulimit -n).`,
      details: { code: b.code, where: b.where, rlimitNofile: b.limit === null ? null : { soft: jsonLimit(b.limit.soft), hard: jsonLimit(b.limit.hard) }, connections: b.connections, reserveReleased: b.released },
    });
  };
  return { frontDoor, accessLog, pools, dispatch };
}

/** Starts a host from a loaded config; used by `paddock run` and by tests. */
export async function startHost(
  config: HostConfig,
  options: {
    quiet?: boolean;
    diagnostics?: Pick<DiagnosticsOptions, 'storeLimits' | 'captureLimits'>;
    /** Listening sockets passed by systemd (socket activation), served instead of new ones. */
    inherited?: readonly InheritedSocket[];
    /** The dashboard's history: one point per intervalMs (default 5 s). Tests shorten it. */
    history?: HistoryOptions;
    /** The cgroup layout instead of the one read from /proc/self (tests of a host without cgroups). */
    cgroupLayout?: CgroupLayout;
  } = {},
): Promise<RunningHost> {
  // Fails fast with the directory and the reason: a dataDir that cannot be made stops nothing else.
  ensureDir(config.dataDir, 'dataDir', 0o711);
  // Workers may run as other users: dataDir keeps the host's files private (data-dir.ts).
  prepareDataDir(config.dataDir);
  ensureDir(dirname(config.admin.socket), 'the directory of admin.socket', 0o700);
  const events = EventLog.open(config.dataDir, options.quiet ? { stdout: null } : {});
  const diagnostics = new Diagnostics({ dataDir: config.dataDir, events, ...options.diagnostics });
  const supervisor = new Supervisor(config, events, diagnostics, buildFrontDoor(config, events), { history: options.history, cgroupLayout: options.cgroupLayout });
  let bound: Array<{ host: string; port: number; tls: boolean }>;
  try {
    bound = await supervisor.start(options.inherited);
  } catch (err) {
    await supervisor.shutdown();
    await diagnostics.close();
    events.close();
    throw err;
  }
  let stop: () => Promise<void> = async () => {};
  const drain = new HostDrain({
    events,
    limits: () => supervisor.config.drain,
    activity: () => activityOf(supervisor.pools()),
    setClosing: (closing) => supervisor.frontDoor.setDraining(closing),
    finish: () => void stop(),
  });
  let adminToken: AdminTokenFile | null = null;
  let admin: AdminServer;
  try {
    // No token ships: a TCP binding without one gets a random token kept 0600 in dataDir.
    if (config.admin.tcp !== null && config.admin.token === null) {
      adminToken = loadOrCreateAdminToken(config.dataDir);
      if (adminToken.created) {
        events.write({ id: EventIds.AdminTokenCreated, message: `An admin token was made for the TCP admin binding and stored in ${adminToken.file} (mode 0600).`, details: { file: adminToken.file } });
      }
    }
    admin = await startAdminServer(supervisor, {
      socket: config.admin.socket,
      tcp: config.admin.tcp,
      token: config.admin.token ?? adminToken?.token ?? null,
      hosts: config.admin.hosts,
      onHostRefused: (r) => {
        events.write({ id: EventIds.AdminHostRefused, message: `A request to the admin TCP binding was refused for its Host header ${r.host === null ? '(none)' : JSON.stringify(r.host)} (from ${r.peer ?? 'unknown'}): list the name in admin.hosts if it is meant.`, details: { host: r.host, peer: r.peer, path: r.path } });
      },
      dashboardHtml,
      drain,
    });
  } catch (err) {
    await supervisor.shutdown();
    await diagnostics.close();
    events.close();
    throw err;
  }
  warnHostIdentity(supervisor, events);
  let health: HealthServer | null = null;
  if (config.health.listen !== null) {
    try {
      health = await startHealthServer(supervisor, { listen: config.health.listen, metrics: config.health.metrics, drain });
    } catch (err) {
      await admin.close();
      await supervisor.shutdown();
      await diagnostics.close();
      events.close();
      throw err;
    }
  }
  events.write({
    id: EventIds.HostStarted,
    message: `Host started (pid ${process.pid}): ${Object.keys(config.pools).length} pools, listening on ${bound.map((b) => `${b.host}:${b.port}`).join(', ')}.`,
    details: { config: config.file, listen: bound, admin: config.admin.socket, adminTcpPort: admin.tcpPort, healthPort: health?.port ?? null },
  });
  let stopping: Promise<void> | null = null;
  let requested!: () => void;
  const stopRequested = new Promise<void>((resolve) => { requested = resolve; });
  stop = (): Promise<void> => {
    requested();
    stopping ??= (async () => {
      drain.close();
      events.write({ id: EventIds.HostStopping, message: `Host stopping (pid ${process.pid}): draining every pool.` });
      await supervisor.shutdown();
      await health?.close();
      await admin.close();
      await diagnostics.close();
      events.close();
    })();
    return stopping;
  };
  supervisor.onShutdownRequest = () => void stop();
  return { supervisor, admin, health, drain, bound, adminToken, stop, stopRequested };
}

/** Thrown by runHost when nothing could be started; the message says why. */
export class HostStartError extends PaddockError<'PADDOCK_HOST_START'> {
  constructor(message: string, options: { step?: string; cause?: unknown } = {}) {
    super('PADDOCK_HOST_START', message, options);
  }
}

/** `paddock run --config FILE`: runs until SIGTERM or SIGINT. */
export async function runHost(configFile: string): Promise<void> {
  const result = await loadConfigIsolated(configFile);
  if (!result.ok) {
    for (const e of result.errors) process.stderr.write(formatConfigError(e, configFile) + '\n');
    throw new HostStartError(`${result.errors.length} error(s) in ${configFile}; nothing was started`);
  }
  for (const w of configWarnings(result.config)) process.stderr.write(`paddock: ${formatConfigWarning(w, configFile)}\n`);
  // Under systemd (docs/service.md): read, then remove from the environment that workers inherit,
  // the notification socket and the passed listening sockets.
  const notifier = SdNotifier.fromEnv();
  const inherited = takeInheritedSockets();
  const limit = raiseOpenFileLimit();
  process.stderr.write(`paddock: ${describeOpenFileLimit(limit)}\n`);
  let host: RunningHost;
  try {
    host = await startHost(result.config, { inherited });
  } catch (err) {
    throw new HostStartError(`${(err as Error).message}; nothing was started`);
  }
  const events = host.supervisor.events;
  events.write({ id: EventIds.OpenFileLimit, level: limit.problem === null ? 'info' : 'warning', message: `Host ${describeOpenFileLimit(limit)}.`, details: { soft: jsonLimit(limit.soft), hard: jsonLimit(limit.hard), was: jsonLimit(limit.was), problem: limit.problem } });
  if (inherited.length > 0) {
    const list = inherited.map((i) => `fd ${i.fd} (${i.name}${i.address ? `, ${i.address.host}:${i.address.port}` : ''})`).join(', ');
    events.write({ id: EventIds.SocketActivation, message: `The front door serves ${inherited.length} listening socket(s) passed by systemd: ${list}.`, details: { sockets: inherited } });
  }
  if (notifier.problem !== null) {
    process.stderr.write(`paddock: cannot notify systemd: ${notifier.problem}\n`);
    events.write({ id: EventIds.NotifyUnavailable, message: `systemd asked for notifications the host cannot send: ${notifier.problem}. A Type=notify unit will time out starting.`, details: { problem: notifier.problem } });
  }
  const urls = host.bound.map((b) => `${b.tls ? 'https' : 'http'}://${b.host.includes(':') ? `[${b.host}]` : b.host}:${b.port}/`);
  const serving = `serving ${Object.keys(result.config.pools).length} pools on ${urls.join(' ')}`;
  host.supervisor.onReloading = () => notifier.reloading();
  host.supervisor.onReloaded = (r) => notifier.ready(`${serving}; ${r.ok ? 'configuration reloaded' : 'the new configuration was refused, the running one stays'}`);
  notifier.ready(serving);
  // `paddock drain`: systemctl status shows the drain's own line, and the serving one again after a cancel.
  host.drain.on('status', (line: string) => notifier.status(line || serving));
  process.stderr.write(`paddock: ${serving}\n`);
  process.stderr.write(`paddock: admin socket ${result.config.admin.socket}${dashboardLine(result.config, host)}\n`);
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
  // A signal, `paddock shutdown` or the end of a drain: the same graceful stop.
  await host.stopRequested;
  notifier.stopping(host.drain.state === 'stopping' ? host.drain.status : 'draining every pool');
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  await host.stop();
}

/** Where the dashboard is: with the token the first time it is made, else where the token is. */
function dashboardLine(config: HostConfig, host: RunningHost): string {
  if (config.admin.tcp === null || host.admin.tcpPort === null) return '';
  const h = config.admin.tcp.host;
  const name = h === '0.0.0.0' || h === '::' ? '127.0.0.1' : h.includes(':') ? `[${h}]` : h;
  const base = `http://${name}:${host.admin.tcpPort}/`;
  if (host.adminToken === null) return `, dashboard ${base}?token=<admin.token> (once; a cookie keeps it)`;
  if (host.adminToken.created) return `, dashboard ${base}?token=${encodeURIComponent(host.adminToken.token)} (once; a cookie keeps it; the token is kept in ${host.adminToken.file})`;
  return `, dashboard ${base} (open it with ?token= and the token in ${host.adminToken.file})`;
}

/** Event 7110 when some pool's workers run as the host itself: nothing keeps them from the admin socket. */
function warnHostIdentity(supervisor: Supervisor, events: EventLog): void {
  const pools = Object.values(supervisor.config.pools).filter((p) => identityTypeOf(p.processModel) === 'HostIdentity').map((p) => p.name);
  if (pools.length === 0) return;
  events.write({
    id: EventIds.HostIdentityWorkers,
    level: 'warning',
    message: `The workers of ${pools.length === 1 ? 'pool' : 'pools'} ${pools.map((p) => `'${p}'`).join(', ')} run as the host's own identity (uid ${process.getuid?.() ?? 'unknown'}): they can connect to the admin socket and read dataDir. ${process.getuid?.() === 0 ? 'Use identityType ApplicationPoolIdentity or SpecificUser to keep them out.' : 'Run the host as root to give each pool an identity of its own.'}`,
    details: { pools, uid: process.getuid?.() ?? null },
  });
}

/** A limit for the event's details: JSON has no Infinity. */
function jsonLimit(n: number | null): number | string | null {
  return n === Infinity ? 'unlimited' : n;
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
