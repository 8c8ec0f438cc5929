/**
 * One crash report: everything the host can learn about an unexpected exit, from the cheapest
 * source that has it. Node's diagnostic report (error and JS stack), else a core file read by gdb
 * (native crash), else the last error in stderr, else the bare exit facts — and always what the
 * worker was doing (requests in flight) and what it said last (stderr and stdout tails). Every
 * step that finds nothing says so in `notes`, because "no stack" is itself an answer.
 */
import { rmSync } from 'node:fs';
import type { ExitFacts } from '../supervisor/worker-process.ts';
import type { CoreOutcome, CrashReport, Frame, StackSource, ThreadStack } from './report-types.ts';
import { reportWorkerFields, type WorkerFacts } from './worker-facts.ts';
import { takeNodeReport, type NodeReportFacts } from './node-report.ts';
import { corePatternNote, findCore, readCorePattern } from './core-dumps.ts';
import { gdbCore, gdbPath, type GdbStacks } from './gdb.ts';
import { lastErrorInText, type TextError } from './stack-text.ts';
import { signatureOf } from './signature.ts';
import { oomWords } from '../supervisor/cgroups/oom-words.ts';

/** Signals whose default action dumps core (signal(7)). */
const CORE_SIGNALS: ReadonlySet<string> = new Set(['SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGILL', 'SIGQUIT', 'SIGSEGV', 'SIGSYS', 'SIGTRAP', 'SIGXCPU', 'SIGXFSZ']);

export interface CrashCaptureLimits {
  /** Wait for Node's report file. Default 500 ms. */
  readonly nodeReportWaitMs: number;
  /** Wait for the core file. Default 500 ms. */
  readonly coreWaitMs: number;
  /** gdb on a core. Default 30 s (loading a large binary's symbols takes a while). */
  readonly gdbCoreMs: number;
}

export interface CrashCaptureInput {
  readonly id: string;
  readonly facts: WorkerFacts;
  readonly exit: ExitFacts;
  readonly crashEventSeq: number;
  /** When the exit was seen (epoch ms). */
  readonly detectedAt: number;
  readonly stderrTail: readonly string[];
  readonly stdoutTail: readonly string[];
  /** Node's report directory for the pool; null when the worker ran without report flags. */
  readonly nodeReportDir: string | null;
  readonly cores: {
    readonly enabled: boolean;
    readonly keep: boolean;
    /** The worker's executable, for gdb's symbols. */
    readonly exe: string | null;
    /** The worker's working directory, where relative core patterns land. */
    readonly cwd: string;
    /** Why the core limit could not be raised, if it could not. */
    readonly limitNote: string | null;
  };
  /** Moves a core into the store; returns its new path. */
  readonly keepCore: (id: string, path: string) => string;
  readonly armed: boolean;
  readonly limits: CrashCaptureLimits;
  /** Notes known before the capture (why a source was not set up). */
  readonly notes?: readonly string[];
}

interface StackChoice {
  readonly error: { readonly type: string; readonly message: string | null };
  readonly stack: readonly Frame[];
  readonly source: StackSource;
}

/** Builds the report of one crash; never throws for a missing source, only notes it. */
export async function captureCrash(input: CrashCaptureInput): Promise<CrashReport> {
  const { facts, exit } = input;
  const notes: string[] = [...(input.notes ?? [])];
  const signal = exit.signal;

  let nodeReport: NodeReportFacts | null = null;
  if (input.nodeReportDir !== null && facts.pid !== null) {
    nodeReport = await takeNodeReport(input.nodeReportDir, facts.pid, input.limits.nodeReportWaitMs);
    if (nodeReport !== null) notes.push(...nodeReport.notes);
    else notes.push(noNodeReportNote(signal));
  }

  let core: CoreOutcome | null = null;
  let gdb: GdbStacks | null = null;
  if (signal !== null && CORE_SIGNALS.has(signal) && facts.pid !== null) {
    ({ core, gdb } = await captureCore(input, facts.pid));
    if (gdb?.error) notes.push(gdb.error);
  } else if (exit.oom) {
    notes.push(`The worker was ${oomWords(exit.oom)}: a process of its cgroup passed the pool's limits.memory.`);
  } else if (signal === 'SIGKILL') {
    notes.push('SIGKILL: the worker was killed from outside (the kernel OOM killer, a cgroup limit, an operator); no process can report its own SIGKILL.');
  }

  const textError = lastErrorInText(input.stderrTail);
  const picked = chooseStack(nodeReport, gdb, textError, exit);
  // The kernel ended it: no process reports its own OOM kill, and these words say what happened.
  const choice: StackChoice = exit.oom ? { ...picked, error: { type: 'OOM kill', message: oomWords(exit.oom) } } : picked;
  if (choice.source === 'stderr') notes.push('The error and stack were read from the worker\'s stderr.');
  const sig = signatureOf('crash', choice.error.type, choice.stack, facts.pool.name);
  const threads: ThreadStack[] = gdb?.threads ? [...gdb.threads] : [];
  // Node's native frames matter only when it has no JS stack (out of memory): then they are all there is.
  if (threads.length === 0 && nodeReport !== null && nodeReport.jsFrames.length === 0 && nodeReport.nativeFrames.length > 0) {
    threads.push({ id: 'main', name: 'node (from the diagnostic report)', lwp: facts.pid, frames: nodeReport.nativeFrames });
  }
  return {
    id: input.id,
    kind: 'crash',
    bucket: sig.bucket,
    signature: sig.signature,
    top: sig.top,
    time: new Date().toISOString(),
    ...reportWorkerFields(facts),
    pid: facts.pid,
    exit: { code: exit.code, signal },
    uptimeMs: exit.uptimeMs,
    error: choice.error,
    stackSource: choice.source,
    stack: choice.stack,
    threads,
    rawStack: gdb?.raw || null,
    core,
    stderrTail: input.stderrTail,
    stdoutTail: input.stdoutTail,
    notes,
    triggerEventSeq: input.crashEventSeq || null,
    captureMs: Date.now() - input.detectedAt,
    armed: input.armed,
  };
}

function noNodeReportNote(signal: string | null): string {
  if (signal === 'SIGABRT') return 'Node wrote no diagnostic report: abort() (a native assertion, process.abort()) ends the process before any report.';
  if (signal !== null) return `Node wrote no diagnostic report: a ${signal} ends the process before any report.`;
  return 'Node wrote no diagnostic report: the process exited by itself (process.exit, or an error the app handled), which is no uncaught exception to Node.';
}

/** Node's report first, then the core's faulting thread, then stderr, then the exit facts. */
function chooseStack(nodeReport: NodeReportFacts | null, gdb: GdbStacks | null, text: TextError | null, exit: ExitFacts): StackChoice {
  if (nodeReport !== null && nodeReport.jsFrames.length > 0) return { error: nodeReport.error, stack: nodeReport.jsFrames, source: 'node-report' };
  const gdbStack = gdb ? (gdb.current.length > 0 ? gdb.current : gdb.threads[0]?.frames ?? []) : [];
  if (gdbStack.length > 0) {
    // "Program terminated with signal SIGSEGV, Segmentation fault." → "Segmentation fault"
    const message = gdb!.terminatedBy?.replace(/^Program terminated with signal \w+,\s*/, '').replace(/\.$/, '') ?? null;
    return { error: { type: exit.signal ?? 'signal', message }, stack: gdbStack, source: 'gdb-core' };
  }
  if (text !== null && text.frames.length > 0) return { error: { type: text.type, message: text.message }, stack: text.frames, source: 'stderr' };
  if (nodeReport !== null) return { error: nodeReport.error, stack: nodeReport.nativeFrames, source: 'node-report' };
  if (text !== null) return { error: { type: text.type, message: text.message }, stack: [], source: 'stderr' };
  const type = exit.signal ?? (exit.code === null ? 'did not start' : `exit code ${exit.code}`);
  return { error: { type, message: null }, stack: [], source: 'none' };
}

async function captureCore(input: CrashCaptureInput, pid: number): Promise<{ core: CoreOutcome; gdb: GdbStacks | null }> {
  const cp = readCorePattern();
  const base = { path: null, bytes: null, corePattern: cp?.pattern ?? null };
  if (!input.cores.enabled) {
    return { core: { ...base, status: 'off', note: 'diagnostics.coreDumps is off for this pool; `paddock debug POOL --next-crash` captures the next crash with a core.' }, gdb: null };
  }
  const piped = corePatternNote(cp);
  if (piped !== null || cp === null) return { core: { ...base, status: 'piped', note: piped }, gdb: null };
  const found = await findCore(cp, pid, input.cores.cwd, input.facts.createdAt, input.limits.coreWaitMs);
  if (found === null) {
    const why = input.cores.limitNote ?? 'the worker\'s directory may not be writable by it, or the crash came before its core limit was raised';
    return { core: { ...base, status: 'none', note: `No core file for pid ${pid} under core_pattern '${cp.pattern}' in ${input.cores.cwd}: ${why}.` }, gdb: null };
  }
  const gdb = gdbPath === null ? null : await gdbCore(input.cores.exe, found.path, input.limits.gdbCoreMs);
  const noGdb = gdbPath === null ? 'gdb is not installed, so the core was kept unsymbolised (apt-get install gdb).' : null;
  // Without gdb the core is the only record of the crash: keep it for a later look.
  if (input.cores.keep || gdbPath === null) {
    try {
      const kept = input.keepCore(input.id, found.path);
      return { core: { ...base, status: 'kept', path: kept, bytes: found.bytes, note: noGdb }, gdb };
    } catch (err) {
      rmSync(found.path, { force: true });
      return { core: { ...base, status: 'failed', bytes: found.bytes, note: `the core could not be kept: ${(err as Error).message}; it was deleted` }, gdb };
    }
  }
  rmSync(found.path, { force: true });
  return { core: { ...base, status: 'deleted', bytes: found.bytes, note: noGdb ?? 'Symbolised and deleted (diagnostics.keepCores is off).' }, gdb };
}
