/**
 * PHP's errors as php-cgi writes them to stderr (log_errors, display_errors=stderr) or to an
 * error_log file: `PHP Fatal error:  Uncaught Error: … in /srv/www/cart.php:8`, its `Stack trace:`
 * (`#0 /srv/www/cart.php(10): checkout(Array)` … `#1 {main}`), or a fatal without a trace
 * (`… exhausted … in /srv/www/big.php on line 12`). Read into an error type, a message without
 * the location, and frames innermost first, each with its file and line, so a crash report of a
 * php-cgi says which script and line failed last and its bucket follows the failing function.
 */
import type { Frame } from './report-types.ts';

/** The errors that end a script; warnings and notices are not what a crash report is about. */
const HEADER = /^(?:\[[^\]]*\]\s+)?(?:PHP )?(Fatal error|Parse error|Recoverable fatal error|Catchable fatal error|Core error|Compile error)(?::\s+|:$)(.*)$/;
const AT_COLON = /^(.*) in (\/.*?|[A-Za-z]:\\.*?|\S.*?):(\d+)$/;
const ON_LINE = /^(.*) in (.+?) on line (\d+)$/;
const TRACE = /^#\d+ (?:(.+)\((\d+)\): (.+)$|\[internal function\]: (.+)$|\{main\}$)/;

/** The name a trace line calls: "Cart->total(Array, 3)" → "Cart->total". */
function calledName(call: string): string {
  const paren = call.indexOf('(');
  return (paren === -1 ? call : call.slice(0, paren)).trim() || '{main}';
}

/** The last fatal PHP error in `lines` and the index of its header line; null when there is none. */
export function lastPhpError(lines: readonly string[]): { at: number; error: { type: string; message: string | null; frames: Frame[] } } | null {
  let h = -1;
  let m: RegExpExecArray | null = null;
  for (let i = lines.length - 1; i >= 0; i--) {
    m = HEADER.exec(lines[i].trimEnd());
    if (m !== null) {
      h = i;
      break;
    }
  }
  if (m === null) return null;
  const type = `PHP ${m[1]}`;
  let text = m[2].trim();
  let file: string | null = null;
  let line: number | null = null;
  const loc = ON_LINE.exec(text) ?? AT_COLON.exec(text);
  if (loc !== null) {
    text = loc[1].trim();
    file = loc[2];
    line = Number(loc[3]);
  }
  // The trace follows as "Stack trace:" and "#n" lines; the callee of entry k ran at entry k-1's site.
  const calls: Array<{ file: string | null; line: number | null; callee: string }> = [];
  let i = h + 1;
  if (i < lines.length && lines[i].trim() === 'Stack trace:') {
    for (i++; i < lines.length; i++) {
      const t = TRACE.exec(lines[i].trim());
      if (t === null) break;
      if (t[1] !== undefined) calls.push({ file: t[1], line: Number(t[2]), callee: calledName(t[3]) });
      else if (t[4] !== undefined) calls.push({ file: null, line: null, callee: calledName(t[4]) });
      else calls.push({ file: null, line: null, callee: '{main}' });
    }
  }
  const frames: Frame[] = [];
  if (file !== null) frames.push({ function: calls[0]?.callee ?? 'PHP', file, line });
  for (let k = 1; k < calls.length; k++) frames.push({ function: calls[k].callee, file: calls[k - 1].file, line: calls[k - 1].line });
  return { at: h, error: { type, message: text || null, frames } };
}
