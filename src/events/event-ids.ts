/**
 * Event numbers (DESIGN §6). Where IIS 6.0+ writes an event for the same happening (source WAS or
 * W3SVC in the Windows System log), Paddock uses IIS's number, so an operator's runbooks and
 * alert rules carry over. 6001–6012 are the worker lifecycle and diagnostics events IIS leaves to
 * ETW; 7001 and up are the host's own. docs/events.md lists the same facts (a test keeps them in step).
 */
/** How serious an event is (the System log's levels). */
export type EventLevel = 'info' | 'warning' | 'error';

/** Every event number, by name. A plain frozen object rather than an enum (erasable TypeScript). */
export const EventIds = Object.freeze({
  /** WAS 5002: the pool was stopped by rapid-fail protection. */
  RapidFailStopped: 5002,
  /** WAS 5009: a worker terminated unexpectedly. */
  WorkerCrashed: 5009,
  /** WAS 5010: a worker failed to answer a ping in time (hang). */
  PingMissed: 5010,
  /** WAS 5011: fatal communication error with a worker (control channel broke). */
  ChannelBroken: 5011,
  /** WAS 5012: a worker did not become ready within startupTimeLimit. */
  StartupTimeLimit: 5012,
  /** WAS 5013: a worker did not exit within shutdownTimeLimit and was killed. */
  ShutdownTimeLimit: 5013,
  /** WAS 5021: the pool's identity is invalid; the pool was stopped. */
  IdentityInvalid: 5021,
  RecycleTime: 5074,
  RecycleRequests: 5075,
  RecycleSchedule: 5076,
  RecycleMemory: 5077,
  RecyclePrivateMemory: 5117,
  /** WAS 5078: the worker reported itself unhealthy (IIS HSE_REQ_REPORT_UNHEALTHY). */
  RecycleUnhealthy: 5078,
  RecycleAdmin: 5079,
  RecycleConfigChange: 5080,
  /** WAS 5093: the replacement of an overlapped recycle never became ready; the old worker stays. */
  OverlappedRecycleFailed: 5093,
  IdleShutdown: 5186,
  PoolStoppedByAdmin: 5059,
  PoolStartedByAdmin: 5060,
  /** WAS 5090: the pool's CPU limit was exceeded; the message names the action taken. */
  CpuLimit: 5090,
  WorkerStarted: 6001,
  WorkerReady: 6002,
  WorkerStopped: 6003,
  CrashReport: 6010,
  HangReport: 6011,
  WorkerOrphaned: 6012,
  HostStarted: 7001,
  HostStopping: 7002,
  ConfigReloaded: 7003,
  ConfigReloadRefused: 7004,
  /** More orphans than maxOrphanedProcesses: the oldest was killed. */
  OrphanKilled: 7005,
  /** A pool's worker output log could not be written (disk full, unwritable directory). */
  OutputLogFailed: 7006,
  PoolRemovedByConfig: 7007,
  PoolAddedByConfig: 7008,
  AutoShutdownActionRan: 7009,
  /** A pool's command names a program that is not installed: the pool was stopped, the others go on. */
  CommandNotFound: 7240,
  /** A background loop of the host met an unexpected error; it logged it and went on. */
  InternalError: 7010,
  /** events.db was damaged: moved aside (events.db.corrupt-TIME) and a fresh one opened. */
  EventLogMovedAside: 7170,
  /** The crash index was damaged: moved aside and rebuilt from the reports on disk. */
  CrashIndexMovedAside: 7171,
  /** A reload lowered maxProcesses: the workers past it drain. */
  WebGardenShrunk: 7173,
  /** The host ran out of file descriptors (EMFILE/ENFILE): new clients are refused until some close. */
  OpenFilesExhausted: 7172,
  /** The front door runs in front-door threads (how many in details). */
  FrontDoorThreads: 7180,
  /** A front-door thread failed and was replaced; the other threads' connections went on. */
  FrontDoorThreadFailed: 7181,
  /** The host's open-file limit at start: raised to the hard limit, or why not. */
  OpenFileLimit: 7120,
  /** The front door serves listening sockets passed by systemd (socket activation). */
  SocketActivation: 7121,
  /** systemd asked for notifications (NOTIFY_SOCKET) that the host cannot send. */
  NotifyUnavailable: 7122,
  /** Workers run in cgroups: the layout and the host's subtree in details. */
  CgroupsInUse: 7100,
  /** The host cannot create cgroups: workers keep process groups; the reason in details. */
  CgroupsUnavailable: 7101,
  /** Cgroups a killed predecessor left were found and their processes ended. */
  LeftoverCgroupsReaped: 7102,
  ChildOomKilled: 7103,
  /** Requests of a worker answered 504: no response head within processModel.requestTimeout. */
  RequestTimedOut: 7160,
  /** Requests refused 503 QueueFull after waiting processModel.queueTimeout in the queue. */
  QueueTimedOut: 7161,
  /** A request was in hand at two worker deaths: answered 502, never retried again. */
  PoisonRequest: 7162,
  /** A worker reported itself unhealthy within startupTimeLimit of becoming ready: a failure toward rapid-fail. */
  UnhealthyAtStart: 7163,
  /** `paddock drain`: every pool's readiness answers 503; the host keeps serving what arrives. */
  DrainStarted: 7200,
  /** `paddock drain --cancel`: the host is back in rotation. */
  DrainCancelled: 7201,
  /** A drain ended (quiet for drain.idleTime, or its deadline): the host stops. */
  DrainFinished: 7202,
  /** Workers run as the host's own identity (HostIdentity): they can reach the admin socket and dataDir. */
  HostIdentityWorkers: 7110,
  /** A random admin token was made for the TCP binding; its file is in details, never the token. */
  AdminTokenCreated: 7111,
  /** A request to the admin TCP binding was refused for its Host header (DNS rebinding). */
  AdminHostRefused: 7112,
} as const);

export type EventName = keyof typeof EventIds;
export type EventId = (typeof EventIds)[EventName];

/** What each event means, one line; used by docs/events.md and `paddock events`. */
const descriptions: Readonly<Record<EventId, string>> = {
  5002: 'Pool stopped by rapid-fail protection: too many failures within rapidFailProtectionInterval.',
  5009: 'Worker terminated unexpectedly (pid, exit code or signal in details).',
  5010: 'Worker failed to answer a ping within pingResponseTime (hang).',
  5011: 'Fatal communication error: the worker\'s control channel broke.',
  5012: 'Worker did not become ready within startupTimeLimit; it was killed.',
  5013: 'Worker did not exit within shutdownTimeLimit; it was killed.',
  5021: 'Pool identity (user/group) invalid; the pool was stopped.',
  5074: 'Recycle: the worker reached periodicRestart.time.',
  5075: 'Recycle: the worker reached periodicRestart.requests.',
  5076: 'Recycle: a periodicRestart.schedule time was reached.',
  5077: 'Recycle: the worker exceeded periodicRestart.memory (virtual memory).',
  5117: 'Recycle: the worker exceeded periodicRestart.privateMemory.',
  5078: 'Recycle: the worker reported itself unhealthy.',
  5079: 'Recycle: requested by an administrator.',
  5080: 'Recycle: the pool\'s configuration changed.',
  5093: 'Overlapped recycle failed: the replacement did not become ready; the old worker was kept.',
  5186: 'Worker shut down after idleTimeout without requests.',
  5059: 'Pool stopped by an administrator.',
  5060: 'Pool started by an administrator.',
  5090: 'Pool exceeded its CPU limit; the message names the action taken.',
  6001: 'Worker started (pid).',
  6002: 'Worker ready: serving requests.',
  6003: 'Worker stopped normally.',
  6010: 'Crash report captured (bucket id in details).',
  6011: 'Hang report captured (bucket id in details).',
  6012: 'Worker orphaned: released and left running for debugging (orphanWorkerProcess).',
  7001: 'Host started.',
  7002: 'Host stopping.',
  7003: 'Configuration reloaded (pools added, removed and changed in details).',
  7004: 'Configuration reload refused: the new file is invalid; the running configuration stays.',
  7005: 'Orphaned worker killed: more orphans than maxOrphanedProcesses.',
  7006: 'Worker output log could not be written (disk full, unwritable directory); output discarded until it recovers.',
  7007: 'Pool removed by a configuration reload; its workers drain.',
  7008: 'Pool added by a configuration reload.',
  7009: 'autoShutdownAction ran after the host stopped the pool.',
  7010: 'Internal error in a background loop of the host (stack in details); the loop went on.',
  7170: 'The event log (events.db) was damaged: moved aside to events.db.corrupt-TIME and a fresh one opened (paths and reason in details).',
  7171: 'The crash index was damaged: moved aside to crashes/index.db.corrupt-TIME, a fresh one opened and the reports on disk indexed again.',
  7172: 'The host ran out of file descriptors (EMFILE/ENFILE): new clients are refused until some close; once per burst, with RLIMIT_NOFILE in details.',
  7173: 'A reload lowered maxProcesses: the workers past it drain, finishing the requests in hand (workers in details).',
  7180: 'The front door runs in front-door threads, each with its own listeners on every binding (SO_REUSEPORT); how many in details.',
  7181: 'A front-door thread failed (error in details) and was replaced; its own client connections closed, the other threads\' went on.',
  7120: 'Open-file limit at start: raised to the hard limit, or why not (soft and hard limits in details).',
  7121: 'The front door serves listening sockets passed by systemd (socket activation); descriptors and addresses in details.',
  7122: 'systemd asked for readiness notifications (NOTIFY_SOCKET) that the host cannot send; the reason is in details.',
  7100: 'Workers run in cgroups, one per worker inside one per pool, below the host\'s own cgroup (layout and paths in details).',
  7101: 'The host cannot create cgroups (no permission, no delegation, no hierarchy): workers run in process groups as before; the reason is in details.',
  7102: 'Cgroups a killed predecessor left were found at start and every process in them was ended (how many in details).',
  7103: "The kernel's OOM killer ended a process of a worker's tree at the pool's memory limit; the worker process itself runs on.",
  7160: 'Requests answered 504: their worker sent no response head within processModel.requestTimeout (requests in details); not retried.',
  7161: 'Requests refused with 503 QueueFull: they waited in the pool\'s queue longer than processModel.queueTimeout.',
  7162: 'Poison request: a request was in hand when two workers died; it was answered 502 and not retried again.',
  7163: 'A worker reported itself unhealthy within startupTimeLimit of becoming ready: counted as a failure toward rapid-fail.',
  7110: 'Workers run as the host\'s own identity (HostIdentity): they can connect to the admin socket and read dataDir (pools in details).',
  7111: 'An admin token was made for the TCP admin binding and stored 0600 in its file (path in details; never the token).',
  7112: 'A request to the admin TCP binding was refused (403) for a Host header it does not answer to (DNS rebinding); host and peer in details.',
  7200: 'Drain started: every pool\'s readiness answers 503; the host serves what still arrives, then exits.',
  7201: 'Drain cancelled: the host is back in rotation.',
  7202: 'Drain finished (quiet for drain.idleTime, or at its deadline): the host stops.',
  7240: 'A pool\'s command names a program that is not installed or not on PATH; the pool was stopped, the others go on.',
};

const errors: ReadonlySet<number> = new Set([5002, 5009, 5010, 5011, 5012, 5013, 5021, 5093, 5090, 7010, 7162, 7172, 7181, 7240]);
const warnings: ReadonlySet<number> = new Set([5074, 5075, 5076, 5077, 5117, 5078, 5079, 5080, 7004, 7005, 7006, 7101, 7102, 7103, 7110, 7112, 7122, 7160, 7161, 7163, 7170, 7171]);

/** The level an event is written at unless its writer says otherwise (IIS: Error / Warning / Information). */
export function defaultLevel(id: number): EventLevel {
  if (errors.has(id)) return 'error';
  if (warnings.has(id)) return 'warning';
  return 'info';
}

/** One line saying what an event number means; unknown numbers get a neutral text, never a throw. */
export function describeEvent(id: number): string {
  return (descriptions as Readonly<Record<number, string>>)[id] ?? `Unknown event ${id}.`;
}

/** One row of the event catalogue. */
export interface EventInfo {
  readonly id: EventId;
  readonly name: EventName;
  readonly level: EventLevel;
  readonly description: string;
}

/** Every event, in numeric order: for docs and the CLI. */
export function eventCatalog(): readonly EventInfo[] {
  return (Object.keys(EventIds) as EventName[])
    .map((name) => ({ id: EventIds[name], name, level: defaultLevel(EventIds[name]), description: describeEvent(EventIds[name]) }))
    .sort((a, b) => a.id - b.id);
}
