/**
 * The shapes of what diagnostics stores and serves: one report per crash or hang, and the buckets
 * that group reports of the same bug (DESIGN §7: `paddock crashes --json` and `paddock crash ID`).
 * Windows Error Reporting's model: a report is one event, a bucket is one bug.
 */

export type ReportKind = 'crash' | 'hang';

/** One stack frame, from any source (Node report, stderr, inspector, gdb). */
export interface Frame {
  /** Function name; '<anonymous>' for JS frames without one, '??' when gdb has no symbol. */
  readonly function: string;
  /** Source file, script URL or shared object; null when unknown. */
  readonly file: string | null;
  /** 1-based line; null when unknown. Never part of a signature. */
  readonly line: number | null;
}

/** The stacks of one thread (gdb) or of the JS main thread (inspector, Node report). */
export interface ThreadStack {
  /** gdb's thread number and name ("1", "node"), or "main" for JavaScript. */
  readonly id: string;
  readonly name: string | null;
  /** Kernel thread id (gdb's LWP), when known. */
  readonly lwp: number | null;
  readonly frames: readonly Frame[];
}

/** Where the stack of a report came from. */
export type StackSource = 'node-report' | 'stderr' | 'inspector' | 'gdb-core' | 'gdb-attach' | 'none';

/** What happened to a core file. */
export interface CoreOutcome {
  /** off: core dumps not enabled; piped: core_pattern hands cores to a program; none: not found. */
  readonly status: 'off' | 'piped' | 'none' | 'deleted' | 'kept' | 'failed';
  /** The core file (kept: its path under dataDir). */
  readonly path: string | null;
  readonly bytes: number | null;
  readonly corePattern: string | null;
  readonly note: string | null;
}

/** One crash or hang report, as stored in `<dataDir>/crashes/<id>.json` and served by `paddock crash ID`. */
export interface CrashReport {
  readonly id: string;
  readonly kind: ReportKind;
  /** The bucket id (first 12 hex digits of the signature's SHA-256). */
  readonly bucket: string;
  /** The normalised text the bucket id is a hash of: kind, error type and top frames. */
  readonly signature: string;
  /** Top frames as text, "function (file)", as in the bucket list. */
  readonly top: readonly string[];
  /** ISO time of the capture. */
  readonly time: string;
  readonly pool: string;
  readonly worker: string;
  readonly pid: number | null;
  readonly runtime: string;
  readonly command: readonly string[];
  /** Exit code and signal (crash reports only). */
  readonly exit: { readonly code: number | null; readonly signal: string | null } | null;
  readonly uptimeMs: number;
  readonly requestsServed: number;
  /** Requests on the worker when it crashed or hung ("GET /path"; no bodies, no query strings by default). */
  readonly requestsInFlight: readonly string[];
  /** Requests whose worker connection broke with this worker (the front door answered 502 or retried). */
  readonly requestsAbandoned: readonly string[];
  /** The error: type ("TypeError", "SIGSEGV", "hang", "exit code 1") and message. */
  readonly error: { readonly type: string; readonly message: string | null };
  readonly stackSource: StackSource;
  /** The stack the signature is taken from (the throwing, faulting or main thread). */
  readonly stack: readonly Frame[];
  /** Every thread's native stack (gdb), when taken. */
  readonly threads: readonly ThreadStack[];
  /** gdb's or the inspector's own words, bounded, for what the parsed frames leave out. */
  readonly rawStack: string | null;
  readonly core: CoreOutcome | null;
  readonly stderrTail: readonly string[];
  readonly stdoutTail: readonly string[];
  /** What could not be captured and why (abort without a report, OOM without a JS stack, ...). */
  readonly notes: readonly string[];
  /** Event log links: the 5009 or 5010 event that triggered the capture. */
  readonly triggerEventSeq: number | null;
  /**
   * Requests that were in hand at this death and at an earlier one (poison requests): the cause of
   * the crash rather than its victims. Absent when there were none.
   */
  readonly poisonRequests?: readonly string[];
  /** Milliseconds from the trigger (exit seen, ping missed) to the stored report. */
  readonly captureMs: number;
  /** Captured while `paddock debug POOL --next-crash` was armed. */
  readonly armed: boolean;
}

/** One bucket, as `GET /api/crashes` and `paddock crashes --json` show it (DESIGN §7). */
export interface CrashBucket {
  readonly bucket: string;
  readonly kind: ReportKind;
  readonly signature: string;
  readonly count: number;
  /** ISO times. */
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly pools: readonly string[];
  /** Top frames as text, "function (file)". */
  readonly top: readonly string[];
  /** The error type and message of the newest report. */
  readonly error: string;
  /** The newest report of the bucket still stored, or null once limits removed them all. */
  readonly latest: string | null;
  /** Poison requests seen in this bucket's reports ("GET /hang"), newest last, at most 20. */
  readonly poisonRequests: readonly string[];
}

/** The state of `paddock debug POOL --next-crash` for one pool. */
export interface NextCrashState {
  readonly pool: string;
  readonly armed: boolean;
  /** ISO time it was armed, or null. */
  readonly since: string | null;
  /** Running workers whose core limit was raised. */
  readonly workers: readonly { readonly pid: number; readonly coreLimitRaised: boolean; readonly note: string | null }[];
  readonly corePattern: string | null;
  /** Plain words about whether cores can be captured on this machine. */
  readonly note: string | null;
}
