/**
 * The Node options the host adds to every `runtime: node` worker (DESIGN §4), through
 * NODE_OPTIONS after the SDK import:
 * - `--report-uncaught-exception --report-on-fatalerror`: Node writes a diagnostic report (error,
 *   JS stack, native stack) before it exits on an uncaught exception or a fatal error (OOM);
 * - `--report-directory`: under `<dataDir>/reports/<pool>`, where the host finds it by pid;
 * - `--report-exclude-env`: the environment stays out of the report, and with it the secrets;
 * - `--inspect-port=127.0.0.1:0`: SIGUSR1 opens the inspector on a free loopback port, so a hang
 *   capture works and many workers never fight over 9229. Nothing listens until SIGUSR1.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** `<dataDir>/reports/<pool>`: Node's report directory for one pool. */
export function nodeReportDir(dataDir: string, pool: string): string {
  return join(dataDir, 'reports', pool);
}

const excludeEnvSupport = new Map<string, boolean>();

/**
 * Whether the Node at `exe` accepts `--report-exclude-env` (Node 22.13 / 23.3 and later). An older
 * Node refuses to start with an unknown flag in NODE_OPTIONS, and without the flag its report would
 * hold the environment, secrets included: such workers get no report flags (stderr stands in).
 * Asked once per executable; the host's own Node is known.
 */
export function supportsReportExcludeEnv(exe: string | null): boolean {
  if (exe === null) return false;
  if (exe === process.execPath) return true;
  let known = excludeEnvSupport.get(exe);
  if (known === undefined) {
    try {
      const out = execFileSync(exe, ['-p', "process.allowedNodeEnvironmentFlags.has('--report-exclude-env')"], {
        timeout: 3000,
        stdio: ['ignore', 'pipe', 'ignore'],
        env: { PATH: process.env.PATH ?? '' },
        encoding: 'utf8',
      });
      known = out.trim() === 'true';
    } catch {
      known = false; // not a Node, or one that cannot say: stay safe
    }
    excludeEnvSupport.set(exe, known);
  }
  return known;
}

/** NODE_OPTIONS splits on spaces but honours double quotes. */
function quoteOption(value: string): string {
  return /[\s"\\]/.test(value) ? `"${value.replace(/(["\\])/g, '\\$1')}"` : value;
}

/** The diagnostic flags for a worker whose reports go to `reportDir`. */
export function nodeDiagnosticFlags(reportDir: string, options: { readonly reports: boolean; readonly inspector: boolean }): string[] {
  const flags: string[] = [];
  if (options.reports) {
    flags.push('--report-uncaught-exception', '--report-on-fatalerror', `--report-directory=${quoteOption(reportDir)}`, '--report-exclude-env');
  }
  if (options.inspector) flags.push('--inspect-port=127.0.0.1:0');
  return flags;
}

/**
 * Creates the report directory (Node does not, and silently writes nothing when it is missing),
 * owned by the pool's user when the pool switches identity, so its workers can write there.
 * Never throws: a missing directory costs the Node report, not the worker.
 */
export function ensureReportDir(dir: string, uid: number | null, gid: number | null): string | null {
  try {
    // The parent is traversable (0711) so a worker running as another user reaches its own folder.
    mkdirSync(dirname(dir), { recursive: true, mode: 0o711 });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (uid !== null || gid !== null) chownSync(dir, uid ?? -1, gid ?? -1);
    return null;
  } catch (err) {
    return `the Node report directory ${dir} could not be prepared: ${(err as Error).message}`;
  }
}
