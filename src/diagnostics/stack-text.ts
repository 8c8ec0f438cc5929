/**
 * Stacks written as text: V8's `at fn (file:line:col)` lines (Node's diagnostic report and an
 * uncaught exception's stderr), Python's tracebacks, PHP's fatal errors, and Node's `FATAL ERROR` line. Used for the
 * Node report's JS stack and as the fallback when no report exists (abort, `process.exit` after a
 * logged error, a report directory that could not be written).
 */
import type { Frame } from './report-types.ts';
import { lastPhpError } from './php-error-text.ts';

/** An error read from text: its type, message and frames (innermost first). */
export interface TextError {
  readonly type: string;
  readonly message: string | null;
  readonly frames: readonly Frame[];
}

const V8_AT = /^\s*at (?:async )?(?:(.+?) \((.*)\)|(.+))$/;
const LOCATION = /^(.*?):(\d+)(?::\d+)?$/;
const ERROR_HEADER = /^(?:Uncaught )?([A-Za-z_$][\w$.]*)(?: \[[^\]]*\])?(?::\s?(.*))?$/;
const PY_FRAME = /^\s*File "([^"]+)", line (\d+), in (.+)$/;

/** One V8 stack line ("at fn (file:1:2)", "at file:1:2") as a frame; null for any other line. */
export function parseV8Frame(line: string): Frame | null {
  const m = V8_AT.exec(line);
  if (m === null) return null;
  const name = m[1] ?? null;
  const where = m[2] ?? m[3] ?? '';
  // A bare "at X" is a frame only when X is a location ("at /a.js:1:2"), not a word ("at Unavailable.").
  if (m[3] !== undefined && !LOCATION.test(m[3])) return null;
  // "eval at fn (file:1:1), <anonymous>:1:1": the frame is in eval'd code; name the eval.
  const evalSite = where.startsWith('eval at ') ? where.slice(where.lastIndexOf(', ') + 2) : where;
  const loc = LOCATION.exec(evalSite);
  return {
    function: cleanFunctionName(name ?? '<anonymous>'),
    file: loc ? loc[1] : evalSite || null,
    line: loc ? Number(loc[2]) : null,
  };
}

/** "Timeout.boom [as _onTimeout]" → "Timeout.boom"; "new Foo" stays. */
export function cleanFunctionName(name: string): string {
  return name.replace(/ \[as [^\]]*\]$/, '').trim() || '<anonymous>';
}

/** Splits "TypeError: x is not a function" into type and message. */
export function splitErrorHeader(header: string): { type: string; message: string | null } {
  const text = header.trim();
  const m = ERROR_HEADER.exec(text);
  if (m !== null && /(Error|Exception|Interrupt|Exit)$|^Error$/.test(m[1])) return { type: m[1], message: m[2] ?? null };
  return { type: 'Error', message: text || null };
}

/**
 * The last error with a stack in a tail of stderr lines: a V8 `at` block and the header line above
 * it, or a Python traceback. Falls back to Node's `FATAL ERROR:` line (out of memory), which has
 * no JS stack. Null when the tail holds none.
 */
export function lastErrorInText(lines: readonly string[]): TextError | null {
  // The latest of a V8 stack, a Python traceback and a PHP fatal error (php-error-text.ts).
  let last: { at: number; error: TextError } | null = null;
  for (const found of [lastV8Error(lines), lastPythonError(lines), lastPhpError(lines)]) {
    if (found !== null && (last === null || found.at > last.at)) last = found;
  }
  if (last !== null) return last.error;
  for (let i = lines.length - 1; i >= 0; i--) {
    const fatal = /FATAL ERROR:\s*(.*)$/.exec(lines[i]);
    if (fatal) return { type: 'FATAL ERROR', message: fatal[1] || null, frames: [] };
  }
  return null;
}

function lastV8Error(lines: readonly string[]): { at: number; error: TextError } | null {
  let end = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (parseV8Frame(lines[i]) !== null) {
      end = i;
      break;
    }
  }
  if (end === -1) return null;
  let start = end;
  while (start > 0 && parseV8Frame(lines[start - 1]) !== null) start--;
  const frames = lines.slice(start, end + 1).map((l) => parseV8Frame(l)!);
  // The header is the nearest non-empty line above the block (a multi-line message keeps its last line).
  let h = start - 1;
  while (h >= 0 && lines[h].trim() === '') h--;
  const header = h >= 0 ? splitErrorHeader(lines[h]) : { type: 'Error', message: null };
  return { at: end, error: { ...header, frames } };
}

function lastPythonError(lines: readonly string[]): { at: number; error: TextError } | null {
  let tb = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i].startsWith('Traceback (most recent call last):')) {
      tb = i;
      break;
    }
  }
  if (tb === -1) return null;
  const frames: Frame[] = [];
  let i = tb + 1;
  for (; i < lines.length; i++) {
    const m = PY_FRAME.exec(lines[i]);
    if (m) frames.push({ function: m[3].trim(), file: m[1], line: Number(m[2]) });
    else if (!/^\s/.test(lines[i])) break;
  }
  const header = i < lines.length ? splitErrorHeader(lines[i]) : { type: 'Error', message: null };
  // Python prints the innermost frame last; reports list it first.
  return { at: i, error: { ...header, frames: frames.reverse() } };
}

/** The last path segment of a file or URL ("file:///srv/app/server.mjs" → "server.mjs"). */
export function baseName(file: string | null): string | null {
  if (file === null || file === '') return null;
  const clean = file.replace(/[?#].*$/, '');
  const slash = clean.lastIndexOf('/');
  return slash === -1 ? clean : clean.slice(slash + 1) || clean;
}

/** "explodeOnPurpose (hello.mjs)": how frames are shown in bucket lists. */
export function frameText(frame: Frame): string {
  const base = baseName(frame.file);
  return base === null ? frame.function : `${frame.function} (${base})`;
}
