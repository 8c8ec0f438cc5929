/**
 * Defaults of the configuration file. Pool defaults are IIS's own (the `applicationPoolDefaults`
 * of a fresh applicationHost.config), in the resolved units: milliseconds and bytes.
 */
import type { PoolConfig, RecycleEventName } from './types.ts';

/** A pool's settings other than those that name it or its program. */
export type PoolSettings = Omit<PoolConfig, 'name' | 'command' | 'cwd' | 'documentRoot'>;

const MINUTE = 60_000;
const SECOND = 1000;

/** IIS's `logEventOnRecycle` flags, in IIS's order. Since IIS 8.5 every one is logged by default. */
export const RECYCLE_EVENT_NAMES: readonly RecycleEventName[] = [
  'Time', 'Requests', 'Schedule', 'Memory', 'IsapiUnhealthy', 'OnDemand', 'ConfigChange', 'PrivateMemory',
];

/** Every pool starts from these, then `applicationPoolDefaults`, then its own keys. */
export const POOL_DEFAULTS: PoolSettings = {
  env: {},
  runtime: 'node',
  listen: 'unix',
  protocol: 'http',
  queueLength: 1000,
  autoStart: true,
  startMode: 'OnDemand',
  processModel: {
    maxProcesses: 1,
    idleTimeout: 20 * MINUTE,
    idleTimeoutAction: 'Terminate',
    pingingEnabled: true,
    pingInterval: 30 * SECOND,
    pingResponseTime: 90 * SECOND,
    pingPath: null,
    startupTimeLimit: 90 * SECOND,
    shutdownTimeLimit: 90 * SECOND,
    user: null,
    group: null,
    identityType: null,
    eventLoopDelayLimit: 1 * SECOND,
    eventLoopDelayTime: 10 * SECOND,
    requestTimeout: 90 * SECOND,
    queueTimeout: 2 * MINUTE,
    maxConcurrentRequestsPerWorker: 0,
  },
  recycling: {
    disallowOverlappingRotation: false,
    disallowRotationOnConfigChange: false,
    logEventOnRecycle: RECYCLE_EVENT_NAMES,
    periodicRestart: {
      time: 1740 * MINUTE, // IIS: 1.05:00:00, i.e. 29 hours
      requests: 0,
      memory: 0,
      privateMemory: 0,
      schedule: [],
    },
    recycleJitter: 0,
  },
  failure: {
    rapidFailProtection: true,
    rapidFailProtectionInterval: 5 * MINUTE,
    rapidFailProtectionMaxCrashes: 5,
    loadBalancerCapabilities: 'HttpLevel',
    orphanWorkerProcess: false,
    orphanAction: null,
    orphanActionTimeLimit: 60 * SECOND,
    maxOrphanedProcesses: 2,
    autoShutdownAction: null,
    autoShutdownActionTimeLimit: 60 * SECOND,
    blockedRequestLimit: 0,
    blockedRequestTime: 90 * SECOND,
  },
  cpu: {
    limit: 0,
    action: 'NoAction',
    resetInterval: 5 * MINUTE,
  },
  limits: {
    memory: 0,
    tasks: 0,
  },
  diagnostics: {
    crashReports: true,
    hangReports: true,
    coreDumps: false,
    keepCores: false,
    includeQueryStrings: false,
  },
};

/** Top-level defaults, as the file writes them (resolved against the file's folder later). */
export const HOST_DEFAULTS = {
  dataDir: '.paddock',
  listen: ['127.0.0.1:8080'],
  adminSocket: 'admin.sock',
  siteHosts: ['*'],
  logsMaxBytes: 10 * 1024 * 1024,
  logsMaxFiles: 5,
  drainIdleTime: 5 * SECOND,
  drainTimeLimit: 60 * SECOND,
  /** frontDoor.threads defaults to the cores the host may use, at most this. */
  frontDoorThreadsMax: 8,
  logsAccessFormat: 'w3c',
} as const;
