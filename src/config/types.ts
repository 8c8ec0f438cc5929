/**
 * The resolved configuration: what the rest of the host reads after `loadConfig()` has parsed,
 * validated and defaulted the YAML file (see docs/configuration.md and DESIGN §3).
 *
 * Keys keep their IIS `applicationHost.config` names. In this resolved form every duration is a
 * number of milliseconds and every memory size a number of bytes, whatever the file said
 * ("90s", "00:01:30", "512MB", or IIS's kilobyte integers). Paths are absolute.
 */

/**
 * One front-door binding: `"127.0.0.1:8080"`, `"[::1]:8080"` or `":8080"` (all addresses);
 * `"https://127.0.0.1:8443"` serves TLS with the certificate of the top-level `tls` key.
 */
export interface Binding {
  readonly host: string;
  readonly port: number;
  /** TLS on this binding (written with an `https://` prefix). Default false. */
  readonly tls: boolean;
}

/** The certificate and key of the TLS bindings (PEM files, absolute paths). */
export interface TlsConfig {
  readonly cert: string;
  readonly key: string;
}

export interface AdminConfig {
  /** Unix socket of the admin API, absolute (default `<dataDir>/admin.sock`, mode 0600). */
  readonly socket: string;
  /** Optional TCP binding of the admin API and dashboard; requires `token`. Default: none. */
  readonly tcp: Binding | null;
  /** Bearer token for the TCP binding. Default: none (a random one is made in `<dataDir>/admin.token`). */
  readonly token: string | null;
  /** Host names the TCP binding answers besides its address and localhost (DNS rebinding). Default: none. */
  readonly hosts: readonly string[];
}

/** Health checks for load balancers on a binding of their own (docs/balancers.md). */
export interface HealthConfig {
  /** Serves `GET /health` and `GET /health/pools/:name` without a token, and nothing else. Default: none. */
  readonly listen: Binding | null;
  /** Also serve `GET /metrics` there, for a scraper that holds no token. Default false. */
  readonly metrics: boolean;
}

/** `paddock drain`: readiness 503 for every pool, then exit once quiet (docs/balancers.md). */
export interface DrainConfig {
  /** The host exits once no request has been in flight or arrived for this long. Default 5s. */
  readonly idleTime: number;
  /** ...and at the latest this long after the drain began, whatever still arrives. Default 60s. */
  readonly timeLimit: number;
}

export interface AppConfig {
  /** Path prefix, normalised to start with "/" and not end with "/" (except "/" itself). */
  readonly path: string;
  readonly pool: string;
  /**
   * Remove `path` from the request path before it goes to the worker ("/api/users" arrives as
   * "/users"), for apps written for "/". The prefix is always sent as X-Forwarded-Prefix. Default false.
   */
  readonly stripPrefix?: boolean;
}

export interface SiteConfig {
  readonly name: string;
  /** Host header patterns, lower case, without port: "shop.example", "*.example", "*". */
  readonly hosts: readonly string[];
  readonly apps: readonly AppConfig[];
}

export type Runtime = 'node' | 'generic';
export type WorkerListen = 'unix' | 'tcp';
/** What the front door speaks to a pool's workers: HTTP/1.1, or FastCGI's responder role (php-cgi). */
export type WorkerProtocol = 'http' | 'fastcgi';
export type StartMode = 'OnDemand' | 'AlwaysRunning';
export type IdleTimeoutAction = 'Terminate' | 'Suspend';
export type LoadBalancerCapabilities = 'HttpLevel' | 'TcpLevel';
export type CpuAction = 'NoAction' | 'KillW3wp' | 'Throttle' | 'ThrottleUnderLoad';
export type RecycleEventName =
  | 'Time' | 'Requests' | 'Schedule' | 'Memory' | 'PrivateMemory' | 'IsapiUnhealthy' | 'OnDemand' | 'ConfigChange';

export interface ProcessModelConfig {
  /** Workers in the pool; more than 1 makes a web garden. Default 1. */
  readonly maxProcesses: number;
  /** A worker with no request for this long is stopped (or suspended); 0 = never. Default 20m. */
  readonly idleTimeout: number;
  /** What idleTimeout does: Terminate (default) or Suspend (SIGSTOP; thawed on the next request). */
  readonly idleTimeoutAction: IdleTimeoutAction;
  /** Ping each ready worker. Default true. */
  readonly pingingEnabled: boolean;
  /** Time between pings. Default 30s. */
  readonly pingInterval: number;
  /** A ping not answered within this is a missed ping (hang). Default 90s. */
  readonly pingResponseTime: number;
  /** HTTP path pinged for workers without a control channel; null = no HTTP ping. Default null. */
  readonly pingPath: string | null;
  /** A worker not ready within this is killed (event 5012). Default 90s. */
  readonly startupTimeLimit: number;
  /** A draining worker still alive after this is killed (event 5013). Default 90s. */
  readonly shutdownTimeLimit: number;
  /** Identity the worker runs as; a name that does not exist stops the pool (5021). Default null. */
  readonly user: string | null;
  readonly group: string | null;
  /**
   * Who the workers run as (IIS identityType, docs/identity.md): ApplicationPoolIdentity (a uid
   * and gid of the pool's own, no passwd entry), SpecificUser (`user`) or HostIdentity (the host's
   * own). Default null: SpecificUser when `user` is set, else ApplicationPoolIdentity when the host
   * runs as root, else HostIdentity.
   */
  readonly identityType: 'ApplicationPoolIdentity' | 'SpecificUser' | 'HostIdentity' | null;
  /**
   * Node SDK event-loop watch (beyond IIS): a loop delayed more than `eventLoopDelayLimit`, for
   * `eventLoopDelayTime` in all, reports itself unhealthy. 0 turns it off. Defaults 1s and 10s.
   */
  readonly eventLoopDelayLimit: number;
  readonly eventLoopDelayTime: number;
  /**
   * A request whose worker sends no response head within this is answered 504 and not retried
   * (IIS FastCGI `requestTimeout`); 0 = no limit. Default 90s.
   */
  readonly requestTimeout: number;
  /** A request queued longer than this is refused with 503 `QueueFull` (HTTP.sys RequestQueue timer). Default 2m. */
  readonly queueTimeout: number;
  /**
   * Requests one worker holds at once; past it requests queue even with workers ready, and
   * `queueLength` refuses the excess with 503 at once. 0 = unlimited. Default 0.
   */
  readonly maxConcurrentRequestsPerWorker: number;
}

/** The front door's connection timers (IIS webLimits / HTTP.sys timers), in ms. */
export interface WebLimitsConfig {
  readonly connectionTimeout: number;
  readonly headerWaitTimeout: number;
  /** A request body that sends nothing for this long is answered 408 and its connection closed (HTTP.sys EntityBody timer); 0 = none. Default 2m. */
  readonly entityBodyTimeout: number;
}

export interface PeriodicRestartConfig {
  /** Recycle a worker after it has run this long; 0 = never. Default 29h (IIS 1740 minutes). */
  readonly time: number;
  /** Recycle after this many requests; 0 = never. Default 0. */
  readonly requests: number;
  /** Recycle when virtual memory exceeds this many bytes; 0 = never. Default 0. */
  readonly memory: number;
  /** Recycle when private memory exceeds this many bytes; 0 = never. Default 0. */
  readonly privateMemory: number;
  /** Times of day ("03:00") or cron expressions at which to recycle. Default []. */
  readonly schedule: readonly string[];
}

export interface RecyclingConfig {
  /** Stop the old worker before starting the new one. Default false (overlapping). */
  readonly disallowOverlappingRotation: boolean;
  /** Do not recycle when the pool's configuration changes. Default false. */
  readonly disallowRotationOnConfigChange: boolean;
  /** Which recycle triggers write an event (IIS names). Default: Time, Requests, Schedule, Memory, PrivateMemory, IsapiUnhealthy, OnDemand, ConfigChange. */
  readonly logEventOnRecycle: readonly RecycleEventName[];
  readonly periodicRestart: PeriodicRestartConfig;
  /**
   * Beyond IIS: each time-based trigger fires at a random point up to this much later, so the
   * workers of a garden or many pools on one schedule do not recycle at once. Default 0.
   */
  readonly recycleJitter: number;
}

export interface FailureConfig {
  /** Stop the pool after too many failures in a window. Default true. */
  readonly rapidFailProtection: boolean;
  /** The sliding window. Default 5m. */
  readonly rapidFailProtectionInterval: number;
  /** Failures in the window that stop the pool. Default 5. */
  readonly rapidFailProtectionMaxCrashes: number;
  /** How a stopped pool answers: HttpLevel (503) or TcpLevel (reset). Default HttpLevel. */
  readonly loadBalancerCapabilities: LoadBalancerCapabilities;
  /** Leave a hung worker running for debugging instead of killing it. Default false. */
  readonly orphanWorkerProcess: boolean;
  /** argv run when a worker is orphaned; "{pid}" is replaced. Default null. */
  readonly orphanAction: readonly string[] | null;
  /** The orphanAction is killed (SIGKILL) after this long. Default 60s. */
  readonly orphanActionTimeLimit: number;
  /** Beyond IIS: orphans kept per pool; the oldest beyond it is killed. Default 2. */
  readonly maxOrphanedProcesses: number;
  /** argv run when the host stops the pool by itself; "{pool}" is replaced. Default null. */
  readonly autoShutdownAction: readonly string[] | null;
  /** The autoShutdownAction is killed (SIGKILL) after this long. Default 60s. */
  readonly autoShutdownActionTimeLimit: number;
  /**
   * A worker holding this many requests that have waited blockedRequestTime each without a
   * response head is unhealthy: a hang report, then an overlapping recycle (5078). 0 = off. Default 0.
   */
  readonly blockedRequestLimit: number;
  /** How long a request waits without a response head before it counts as blocked. Default 90s. */
  readonly blockedRequestTime: number;
}

export interface CpuConfig {
  /** IIS unit: 1/1000 of a percent of all CPUs (25000 = 25%); 0 = no limit. Default 0. */
  readonly limit: number;
  readonly action: CpuAction;
  /** Window over which CPU use is measured. Default 5m. */
  readonly resetInterval: number;
}

/** Hard limits the kernel enforces on a pool's cgroup (docs/isolation.md); 0 = none. */
export interface LimitsConfig {
  /** Memory of the pool's workers together, in bytes; past it the kernel's OOM killer ends a worker. Default 0. */
  readonly memory: number;
  /** Processes and threads of the pool's workers together (pids.max): a fork bomb stays in its pool. Default 0. */
  readonly tasks: number;
}

export interface DiagnosticsConfig {
  /** Write a crash report for every unexpected exit. Default true. */
  readonly crashReports: boolean;
  /** Capture stacks of a worker that misses its ping before it is killed or orphaned. Default true. */
  readonly hangReports: boolean;
  /** Raise the core limit of workers and symbolise cores with gdb. Default false. */
  readonly coreDumps: boolean;
  /** Keep core files after symbolising them. Default false. */
  readonly keepCores: boolean;
  /** Keep query strings of in-flight requests in reports. Default false. */
  readonly includeQueryStrings: boolean;
}

export interface PoolConfig {
  readonly name: string;
  /** argv; no shell. For runtime node, a leading "node" runs the host's own Node. */
  readonly command: readonly string[];
  /** Working directory, absolute (default: the config file's folder). */
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /**
   * node: inject the worker SDK and diagnostic flags; generic: nothing. Default: from the command
   * (node, nodejs, npm, npx or a .js/.mjs/.cjs file: node; anything else: generic).
   */
  readonly runtime: Runtime;
  /**
   * How the host reaches the worker. unix (default for runtime node): a unix socket; a Node worker
   * sees a port number in PORT and the SDK binds the socket (PADDOCK_SOCKET) in its place, while a
   * generic worker sees the socket path. tcp (default for runtime generic): a loopback TCP port.
   */
  readonly listen: WorkerListen;
  /**
   * What the front door speaks to the workers: `http` (default) or `fastcgi`, the responder role
   * of FastCGI 1.0 (php-cgi; the listening socket is handed over on fd 0). See docs/php.md.
   */
  readonly protocol: WorkerProtocol;
  /**
   * FastCGI pools: the folder SCRIPT_FILENAME is made in (documentRoot + the request path);
   * absolute. Default: the pool's `cwd`. Not used by HTTP pools.
   */
  readonly documentRoot: string;
  /** Requests that may wait for a ready worker; more get 503. Default 1000. */
  readonly queueLength: number;
  /** Start the pool with the host. Default true. */
  readonly autoStart: boolean;
  /** OnDemand (default): first request starts a worker; AlwaysRunning: start with the host. */
  readonly startMode: StartMode;
  readonly processModel: ProcessModelConfig;
  readonly recycling: RecyclingConfig;
  readonly failure: FailureConfig;
  readonly cpu: CpuConfig;
  readonly limits: LimitsConfig;
  readonly diagnostics: DiagnosticsConfig;
}

export interface HostConfig {
  /** The config file, absolute. */
  readonly file: string;
  /** Event DB, admin socket, logs and crash reports; absolute (default `.paddock` beside the file). */
  readonly dataDir: string;
  readonly listen: readonly Binding[];
  /** Certificate and key for `https://` bindings. Default: none. */
  readonly tls: TlsConfig | null;
  readonly admin: AdminConfig;
  readonly sites: readonly SiteConfig[];
  /** Pools by name, each with applicationPoolDefaults applied. */
  readonly pools: Readonly<Record<string, PoolConfig>>;
  /**
   * The front door's connection timers (IIS webLimits): an idle keep-alive connection is closed
   * after connectionTimeout (default 2m, as IIS); a request head must arrive whole within
   * headerWaitTimeout of its first bytes, else 408 (default 30s; IIS leaves it to HTTP.sys).
   */
  readonly webLimits: WebLimitsConfig;
  /**
   * Log files: each (the pools' output logs, the access log) is rotated past maxBytes (default
   * 10MB), keeping maxFiles (default 5). accessFormat: the access log of every request, `w3c`
   * (default, IIS field names), `json` or `off`; includeQueryStrings logs cs-uri-query (default false).
   */
  readonly logs: {
    readonly maxBytes: number;
    readonly maxFiles: number;
    readonly accessFormat: 'w3c' | 'json' | 'off';
    readonly includeQueryStrings: boolean;
  };
  readonly health: HealthConfig;
  readonly drain: DrainConfig;
  readonly frontDoor: FrontDoorConfig;
}

/** The front door's threads. */
export interface FrontDoorConfig {
  /**
   * Front-door threads, each with its own listeners on every binding (SO_REUSEPORT), client
   * connections and connections to the workers; 1 serves traffic on the host's own thread.
   * Default: the cores the host may use (os.availableParallelism()), at most 8.
   */
  readonly threads: number;
}
