/**
 * Bucketing: is this crash the same bug as another? Windows Error Reporting's answer, adapted:
 * the signature is the kind, the error type and the top frames (function and file base name),
 * never line numbers, columns or addresses, so a rebuild or a shifted line keeps the bucket while a
 * different throw site makes a new one. The bucket id is a short hash of that text.
 */
import { createHash } from 'node:crypto';
import type { Frame, ReportKind } from './report-types.ts';
import { baseName, frameText } from './stack-text.ts';

/** Frames that make up a signature. */
export const SIGNATURE_FRAMES = 5;
/** Frames shown as `top` in bucket lists. */
export const TOP_FRAMES = 5;

export interface Signature {
  /** The normalised text the bucket is a hash of. */
  readonly signature: string;
  /** First 12 hex digits of its SHA-256. */
  readonly bucket: string;
  readonly top: readonly string[];
}

/**
 * Frames every crash of a kind shares, which say nothing about the bug: gdb's unknown ones, and
 * the libc and Node machinery between the faulting code and the signal (every abort() passes
 * through raise and abort; WER skips such frames the same way).
 */
const NOISE = /^(\?\?|<signal handler called>|__restore_rt|__pthread_kill_implementation|__pthread_kill_internal|__GI_raise|raise|__GI_abort|abort|__assert_fail_base|__GI___assert_fail|__assert_fail|__libc_message|__GI___libc_fatal|__fortify_fail|__stack_chk_fail|node::Abort|node::Assert|node::.*DefaultAbortHandler|node::DumpBacktrace)$/;

function meaningful(frame: Frame): boolean {
  return frame.function !== '' && !NOISE.test(frame.function);
}

/**
 * The signature of a report. `fallbackKey` (the pool name) separates frameless reports — a plain
 * `exit code 1` of one app is not the same bug as that of another.
 */
export function signatureOf(kind: ReportKind, errorType: string, frames: readonly Frame[], fallbackKey: string): Signature {
  const top = frames.filter(meaningful).slice(0, SIGNATURE_FRAMES);
  const parts = top.map((f) => {
    const base = baseName(f.file);
    return base === null ? f.function : `${f.function} (${base})`;
  });
  const text = parts.length > 0
    ? `${kind} ${errorType} | ${parts.join(' | ')}`
    : `${kind} ${errorType} | no stack | pool ${fallbackKey}`;
  const bucket = createHash('sha256').update(text).digest('hex').slice(0, 12);
  return { signature: text, bucket, top: frames.filter(meaningful).slice(0, TOP_FRAMES).map(frameText) };
}
