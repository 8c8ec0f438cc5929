/**
 * One hang report, taken after a missed ping and before the worker is killed or orphaned (IIS
 * kills a hung w3wp at once; DebugDiag's hang rule dumps it first — this is that rule, built in).
 * Node workers: the inspector's paused JS stack (a busy loop, ~150 ms). When the inspector cannot
 * answer (main thread blocked in native code, SIGUSR1 taken by the app): `gdb -p` for the native
 * stacks of every thread. Other runtimes: gdb directly. Every step is bounded; the pool waits.
 */
import type { CrashReport, Frame, StackSource, ThreadStack } from './report-types.ts';
import { reportWorkerFields, type WorkerFacts } from './worker-facts.ts';
import { captureJsStack, type InspectorLimits } from './inspector-capture.ts';
import { gdbAttach, gdbPath, type GdbStacks } from './gdb.ts';
import { signatureOf } from './signature.ts';
import { scriptFrame } from './fastcgi-script-frame.ts';

export interface HangCaptureLimits extends InspectorLimits {
  /** gdb attached to the process. Default 5 s. */
  readonly gdbAttachMs: number;
}

export interface HangCaptureInput {
  readonly id: string;
  readonly facts: WorkerFacts;
  /** The 5010 event's sequence number, when found. */
  readonly pingEventSeq: number | null;
  readonly detectedAt: number;
  /** The worker's stderr tail now (the inspector announces its URL there). */
  readonly stderrTail: () => readonly string[];
  readonly stdoutTail: () => readonly string[];
  readonly armed: boolean;
  readonly limits: HangCaptureLimits;
  /** Why, when it is not a missed ping: requests blocked on a worker whose event loop may be free. */
  readonly cause?: { readonly type: string; readonly message: string };
}

/** The error type of every hang report. */
export const HANG_ERROR_TYPE = 'missed ping';

/** The thread a hang is about: the main thread (its LWP is the pid), else gdb's first. */
function mainThread(gdb: GdbStacks, pid: number): readonly Frame[] {
  const main = gdb.threads.find((t) => t.lwp === pid) ?? gdb.threads.find((t) => t.id === '1');
  return main?.frames ?? gdb.current;
}

/** Builds the report of one hang; the worker is left as it was found (running, inspector closed). */
export async function captureHangReport(input: HangCaptureInput): Promise<CrashReport> {
  const { facts } = input;
  const notes: string[] = [];
  let stack: readonly Frame[] = [];
  let threads: ThreadStack[] = [];
  let source: StackSource = 'none';
  let raw: string | null = null;
  const pid = facts.pid;

  if (pid === null) {
    notes.push('The worker has no process id; no stack could be taken.');
  } else {
    if (facts.pool.runtime === 'node') {
      try {
        const js = await captureJsStack(pid, input.stderrTail, input.limits);
        stack = js.frames;
        threads = [{ id: 'main', name: 'JavaScript main thread', lwp: pid, frames: js.frames }];
        source = 'inspector';
        raw = js.frames.map((f) => `    at ${f.function} (${f.file ?? '?'}:${f.line ?? '?'})`).join('\n');
        notes.push(`JavaScript stack taken through the inspector in ${js.tookMs} ms${js.closed ? '; the inspector was closed again' : '; the inspector may still listen on 127.0.0.1'}.`);
      } catch (err) {
        notes.push(`No JavaScript stack: ${(err as Error).message}. Native stacks were taken with gdb instead.`);
        // A free event loop never reaches the pause: the blocked requests wait on I/O or a promise
        // that never settles, and no JavaScript frame runs on their behalf.
        if (input.cause !== undefined) notes.push('The event loop did not run JavaScript while the inspector waited: the blocked requests wait on I/O, a timer or a promise that never settles, not in a busy loop.');
      }
    }
    if (source === 'none') {
      if (gdbPath === null) {
        notes.push('gdb is not installed (apt-get install gdb); no native stacks.');
      } else {
        const gdb = await gdbAttach(pid, input.limits.gdbAttachMs);
        if (gdb.error) notes.push(gdb.error);
        threads = [...gdb.threads];
        stack = mainThread(gdb, pid);
        raw = gdb.raw || null;
        if (stack.length > 0) source = 'gdb-attach';
      }
    }
  }

  // A FastCGI worker's native stack is the engine's; the script in hand says what hung.
  const script = facts.pool.protocol === 'fastcgi' ? scriptFrame(facts.requestsInFlight, facts.pool.documentRoot) : null;
  if (script !== null) {
    stack = [script, ...stack];
    notes.push(`The worker was running ${script.file} (the request in hand); its native stacks follow.`);
  }
  const errorType = input.cause?.type ?? HANG_ERROR_TYPE;
  const sig = signatureOf('hang', errorType, stack, facts.pool.name);
  const pm = facts.pool.processModel;
  return {
    id: input.id,
    kind: 'hang',
    bucket: sig.bucket,
    signature: sig.signature,
    top: sig.top,
    time: new Date().toISOString(),
    ...reportWorkerFields(facts),
    pid,
    exit: null,
    uptimeMs: Date.now() - facts.createdAt,
    error: input.cause ?? { type: HANG_ERROR_TYPE, message: `no answer to a ping within ${pm.pingResponseTime} ms` },
    stackSource: source,
    stack,
    threads,
    rawStack: raw,
    core: null,
    stderrTail: input.stderrTail().filter((l) => !/^(Debugger listening on ws:|For help, see: https:\/\/nodejs\.org|Debugger attached\.|Debugger ending on ws:|Waiting for the debugger to disconnect)/.test(l)),
    stdoutTail: input.stdoutTail(),
    notes,
    triggerEventSeq: input.pingEventSeq,
    captureMs: Date.now() - input.detectedAt,
    armed: input.armed,
  };
}
