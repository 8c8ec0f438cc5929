/**
 * Turns the parsed file into the resolved HostConfig: defaults applied, applicationPoolDefaults
 * merged into each pool, and relative paths made absolute against the config file's folder
 * (dataDir, pool cwd) or against dataDir (the admin socket).
 */
import { availableParallelism } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseBinding } from './binding.ts';
import type { Problem } from './config-error.ts';
import { HOST_DEFAULTS, POOL_DEFAULTS } from './defaults.ts';
import type { PoolSettings } from './defaults.ts';
import { deepMerge } from './merge.ts';
import { runtimeOf } from './runtime-of.ts';
import type { FileInput, PoolInput } from './schema.ts';
import type { HostConfig, PoolConfig, SiteConfig } from './types.ts';

/** Linux `sun_path` holds 108 bytes with the terminating NUL (unix(7)). */
const UNIX_PATH_MAX = 107;

function resolvePool(name: string, own: PoolInput, defaults: PoolInput, folder: string): PoolConfig {
  const merged = deepMerge<PoolInput>({}, defaults, own);
  const { command, cwd, documentRoot, ...settings } = merged;
  // A fresh copy per pool, so no two pools share a list or object that one could change.
  const full = deepMerge<PoolSettings>(structuredClone(POOL_DEFAULTS), settings);
  // Unset, runtime follows the command (a FastCGI worker, php-cgi, is no Node app), and PORT
  // follows the runtime: a Node worker gets a unix socket behind a port number (the SDK binds the
  // socket), anything else a loopback TCP port, which every server takes as it is
  // (docs/hosting-apps.md). A FastCGI worker is handed a socket the host makes: unix stays its default.
  const runtime = settings.runtime ?? (full.protocol === 'fastcgi' ? 'generic' : runtimeOf(command ?? []));
  const listen = settings.listen ?? (runtime === 'node' || full.protocol === 'fastcgi' ? 'unix' : 'tcp');
  const absCwd = resolve(folder, cwd ?? '.');
  return {
    name,
    // crossCheck reports a pool without a command, so resolution only runs when there is one.
    command: command ?? [],
    cwd: absCwd,
    ...full,
    runtime,
    documentRoot: documentRoot === undefined ? absCwd : resolve(folder, documentRoot),
    listen,
  };
}

function resolveSites(input: FileInput): SiteConfig[] {
  return (input.sites ?? []).map((site) => ({
    name: site.name,
    hosts: [...new Set(site.hosts ?? HOST_DEFAULTS.siteHosts)],
    apps: site.apps.map((app) => ({ path: app.path, pool: app.pool, stripPrefix: app.stripPrefix ?? false })),
  }));
}

/** Resolves a parsed, cross-checked file; the problems are those only resolution can see. */
export function resolveConfig(input: FileInput, file: string): { config: HostConfig; problems: Problem[] } {
  const problems: Problem[] = [];
  const absFile = resolve(file);
  const folder = dirname(absFile);
  const dataDir = resolve(folder, input.dataDir ?? HOST_DEFAULTS.dataDir);
  const socketSetting = input.admin?.socket ?? HOST_DEFAULTS.adminSocket;
  const socket = isAbsolute(socketSetting) ? socketSetting : resolve(dataDir, socketSetting);
  if (Buffer.byteLength(socket) > UNIX_PATH_MAX) {
    problems.push({
      path: input.admin?.socket !== undefined ? ['admin', 'socket'] : ['dataDir'],
      at: 'value',
      code: 'CONFIG_SOCKET_PATH_TOO_LONG',
      message: `the admin socket path ${socket} is longer than the ${UNIX_PATH_MAX} bytes a unix socket allows; use a shorter dataDir or an absolute admin.socket`,
    });
  }

  const defaults = input.applicationPoolDefaults ?? {};
  const pools: Record<string, PoolConfig> = {};
  for (const [name, own] of Object.entries(input.pools ?? {})) {
    pools[name] = resolvePool(name, own, defaults, folder);
  }

  const config: HostConfig = {
    file: absFile,
    dataDir,
    listen: input.listen ?? HOST_DEFAULTS.listen.map((b) => parseBinding(b)),
    tls: input.tls ? { cert: resolve(folder, input.tls.cert), key: resolve(folder, input.tls.key) } : null,
    admin: {
      socket,
      tcp: input.admin?.tcp ?? null,
      token: input.admin?.token ?? null,
      hosts: input.admin?.hosts ?? [],
    },
    sites: resolveSites(input),
    pools,
    webLimits: {
      connectionTimeout: input.webLimits?.connectionTimeout ?? 120_000,
      headerWaitTimeout: input.webLimits?.headerWaitTimeout ?? 30_000,
      entityBodyTimeout: input.webLimits?.entityBodyTimeout ?? 120_000,
    },
    logs: {
      maxBytes: input.logs?.maxBytes ?? HOST_DEFAULTS.logsMaxBytes,
      maxFiles: input.logs?.maxFiles ?? HOST_DEFAULTS.logsMaxFiles,
      accessFormat: input.logs?.accessFormat ?? HOST_DEFAULTS.logsAccessFormat,
      includeQueryStrings: input.logs?.includeQueryStrings ?? false,
    },
    health: { listen: input.health?.listen ?? null, metrics: input.health?.metrics ?? false },
    frontDoor: { threads: input.frontDoor?.threads ?? defaultThreads() },
    drain: {
      idleTime: input.drain?.idleTime ?? HOST_DEFAULTS.drainIdleTime,
      timeLimit: input.drain?.timeLimit ?? HOST_DEFAULTS.drainTimeLimit,
    },
  };
  return { config, problems };
}

/**
 * frontDoor.threads when the file does not say: the cores the host may use, at most
 * HOST_DEFAULTS.frontDoorThreadsMax; or PADDOCK_FRONT_DOOR_THREADS when it is set (the test suite
 * runs its scenarios once more with the front door on one thread).
 */
function defaultThreads(): number {
  const env = Number(process.env.PADDOCK_FRONT_DOOR_THREADS);
  if (Number.isInteger(env) && env >= 1 && env <= 64) return env;
  return Math.max(1, Math.min(HOST_DEFAULTS.frontDoorThreadsMax, availableParallelism()));
}
