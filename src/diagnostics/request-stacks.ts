/**
 * Where the blocked requests of a Node worker wait (failure.blockedRequestLimit). A request waiting
 * on a promise leaves no frame on the stack, so an inspector pause cannot show it, and on an idle
 * event loop the pause never comes. The worker SDK's request trace (worker-sdk/node/request-trace.mjs,
 * on in pools that watch for blocked requests) keeps, per request, the stacks its newest promises
 * were created from; this reads them through the inspector with one `Runtime.evaluate`, which a
 * Node worker answers even while its loop is idle, then closes the inspector again.
 */
import type { Frame, ThreadStack } from './report-types.ts';
import { CdpSession } from './cdp-session.ts';
import { openInspector, type InspectorLimits } from './inspector-capture.ts';
import { parseV8Frame } from './stack-text.ts';

/** One request in hand, as the SDK's trace reports it; `stacks` newest first. */
export interface TracedRequest {
  readonly method: string;
  readonly path: string;
  readonly ageMs: number;
  readonly stacks: readonly string[];
}

const EXPRESSION = "(globalThis[Symbol.for('paddock.worker-sdk.requests-in-hand')] ?? (() => null))()";

/** The requests in hand with their stacks, or null when the worker runs no request trace. Throws as the inspector's capture does. */
export async function captureRequestStacks(pid: number, stderrTail: () => readonly string[], limits: InspectorLimits): Promise<TracedRequest[] | null> {
  const url = await openInspector(pid, stderrTail, limits.listenMs);
  const session = await CdpSession.connect(url, limits.stepMs);
  try {
    const r = await session.send('Runtime.evaluate', { expression: EXPRESSION, returnByValue: true }, limits.stepMs);
    const value = (r as { result?: { value?: unknown } }).result?.value;
    session.post('Runtime.evaluate', { expression: "typeof process._debugEnd === 'function' && process._debugEnd()" });
    await session.waitClosed(limits.stepMs);
    return typeof value === 'string' ? (JSON.parse(value) as TracedRequest[]) : null;
  } finally {
    session.close();
  }
}

/** The frames of one stack text ("    at f (file:1:2)" lines). */
export function framesOf(text: string): Frame[] {
  return text.split('\n').map(parseV8Frame).filter((f): f is Frame => f !== null);
}

/** Frames of the app's own code: not Node's internals, not V8's built-ins ("Promise.then (<anonymous>)"). */
function appFrames(frames: readonly Frame[]): number {
  return frames.filter((f) => f.file !== null && f.file !== '<anonymous>' && !f.file.startsWith('node:')).length;
}

/**
 * A thread-like entry per traced request: the stack that goes deepest into the app's own code
 * (the newest of equals), named by the request and how long it has waited.
 */
export function requestThreads(requests: readonly TracedRequest[]): ThreadStack[] {
  return requests.map((r, i) => {
    const deepest = r.stacks.map(framesOf).reduce<Frame[]>((best, f) => (appFrames(f) > appFrames(best) ? f : best), []);
    return { id: `request ${i + 1}`, name: `${r.method} ${r.path}, waiting ${r.ageMs} ms`, lwp: null, frames: deepest };
  });
}
