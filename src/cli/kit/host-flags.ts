/**
 * V8 settings for the long-running host (`paddock run`). A young generation of 16 MB per
 * semi-space: the front door's garbage is short-lived (a request's head, its record, its closures),
 * so a scavenge costs what survives, not what died, and fewer scavenges cost less in all. Measured
 * behind `wrk -c64` (bench/profile.ts, bench/throughput.ts) against 2 MB: the garbage collector's
 * share of the host's time drops from ~12 % to ~3 %, CPU per request by 6 % on a quiet machine
 * (12 % on a loaded one), p99 latency the same, for up to ~30 MB more resident memory under load.
 * The flag must be given when Node starts, so `run` re-executes itself with it, keeping its pid
 * (process.execve), before loading anything else. Under systemd the same exec goes through the
 * helper that opens the notification socket (service/notify-socket.ts).
 */
import { NOTIFY_FD_VARIABLE, hasPassedSockets, notifyHelper } from '../../service/notify-socket.ts';

export const hostFlags = ['--max-semi-space-size=16'] as const;
const optionsWithValue = new Set(['--config', '-c', '--admin', '--token']);

/** The command word of a `paddock` command line (the first argument that is not an option or its value). */
export function commandOf(args: readonly string[]): string | null {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (optionsWithValue.has(a)) {
      i++;
      continue;
    }
    if (!a.startsWith('-')) return a;
  }
  return null;
}

/**
 * For `paddock run` started without the host's V8 flags, or under systemd without its notification
 * socket yet: replaces this process (same pid) with one that has them.
 */
export function reexecWithHostFlags(): void {
  if (commandOf(process.argv.slice(2)) !== 'run') return;
  if (typeof process.execve !== 'function') return;
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  const flags = given.some((a) => a.startsWith('--max-semi-space-size')) ? [] : hostFlags;
  const helper = notifyHelper(process.env);
  if (flags.length === 0 && helper === null) return;
  if (hasPassedSockets(process.env)) {
    // Node marked the sockets systemd passed close-on-exec as it started: an exec now would close
    // them. The unit `paddock service install` writes gives the flags and the notification socket.
    if (helper !== null) process.env[NOTIFY_FD_VARIABLE] = 'failed: the host was started without the notification socket and cannot open it without closing the sockets systemd passed; start it as `paddock service install` writes ExecStart';
    return;
  }
  const node = [process.execPath, ...flags, ...process.execArgv, ...process.argv.slice(1)];
  const argv = helper === null ? node : [...helper, ...node];
  try {
    process.execve(argv[0], argv, process.env as Record<string, string>);
  } catch {
    // The exec failed before replacing anything: run on as we are.
  }
}
