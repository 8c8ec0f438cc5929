/**
 * The PHP script a hung php-cgi was running, as a frame for its hang report. gdb shows where the
 * Zend engine is (`execute_ex` … `php_execute_script`), which is the same for every script; the
 * request in hand says which script it is, and a php-cgi runs one request at a time. So the hang
 * report of a FastCGI worker starts with that script, and hangs in different scripts fall into
 * different buckets while two hangs in one script share one.
 */
import type { Frame } from './report-types.ts';

/** "GET /shop/cart.php/x?y" → "/shop/cart.php": the path up to its first .php segment. */
const SCRIPT = /^\S+ (\/[^?#\s]*?\.php)(?=[/?#]|$)/;
/** "GET /blog/" → "/blog/": a folder, which runs its index.php. */
const FOLDER = /^\S+ (\/(?:[^?#\s]*\/)?)(?=[?#]|$)/;

/** The frame of the script in hand, or null when no request names a script. */
export function scriptFrame(requestsInFlight: readonly string[], documentRoot: string): Frame | null {
  for (const request of requestsInFlight) {
    const m = SCRIPT.exec(request);
    const folder = m === null ? FOLDER.exec(request) : null;
    if (m === null && folder === null) continue;
    let script = m !== null ? m[1] : `${folder![1]}index.php`;
    try {
      script = decodeURIComponent(script);
    } catch {
      // a malformed escape stays as it was sent
    }
    const root = documentRoot.endsWith('/') ? documentRoot.slice(0, -1) : documentRoot;
    return { function: `PHP script ${script}`, file: root + script, line: null };
  }
  return null;
}
