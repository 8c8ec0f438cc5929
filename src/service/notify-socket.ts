/**
 * How the host gets a socket to systemd's NOTIFY_SOCKET without a native addon. Node cannot send
 * a datagram on a unix socket (node:dgram is UDP only), but write(2) on a *connected* unix datagram
 * socket sends one datagram, and Node writes to any descriptor it is given. So the host starts
 * through a few lines of Perl (perl-base is essential on Debian) or else Python — notify-exec.pl,
 * notify-exec.py — that connect a datagram socket to NOTIFY_SOCKET, leave it open across exec as
 * PADDOCK_NOTIFY_FD, and exec Node: same pid throughout, so systemd accepts the messages with
 * NotifyAccess=main. `systemd-notify` would not do: it sends from its own pid, which systemd
 * accepts only with NotifyAccess=all, and even then loses messages whose sender has exited.
 *
 * The unit `paddock service install` writes starts the host that way. A host started otherwise
 * under systemd goes through the helper in its one re-exec at start (host-flags.ts) — unless
 * systemd passed it sockets: Node marks inherited descriptors close-on-exec as it starts, so any
 * exec then would close them.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Set by the helper: the descriptor's number, or `failed: <why>`. */
export const NOTIFY_FD_VARIABLE = 'PADDOCK_NOTIFY_FD';

const HELPERS = [
  { interpreters: ['/usr/bin/perl', '/bin/perl'], script: fileURLToPath(new URL('./notify-exec.pl', import.meta.url)) },
  { interpreters: ['/usr/bin/python3', '/bin/python3', '/usr/local/bin/python3'], script: fileURLToPath(new URL('./notify-exec.py', import.meta.url)) },
];

/** The argv prefix that runs a command with the notification socket open: the first helper installed, or null. */
export function notifyExecPrefix(exists: (file: string) => boolean = existsSync): string[] | null {
  for (const h of HELPERS) {
    const interpreter = h.interpreters.find(exists);
    if (interpreter !== undefined && exists(h.script)) return [interpreter, h.script];
  }
  return null;
}

/**
 * The prefix when this process needs it: under systemd (NOTIFY_SOCKET set) and not yet done (no
 * PADDOCK_NOTIFY_FD); null otherwise, or when no helper is installed.
 */
export function notifyHelper(env: NodeJS.ProcessEnv, exists: (file: string) => boolean = existsSync): string[] | null {
  if (!env.NOTIFY_SOCKET || env[NOTIFY_FD_VARIABLE] !== undefined) return null;
  return notifyExecPrefix(exists);
}

/** Whether systemd passed this process listening sockets (LISTEN_PID is ours). */
export function hasPassedSockets(env: NodeJS.ProcessEnv, pid: number = process.pid): boolean {
  return Number(env.LISTEN_FDS) > 0 && Number(env.LISTEN_PID) === pid;
}
