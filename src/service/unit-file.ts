/**
 * The systemd units `paddock service install` writes for a configuration: the `pm2 startup` of
 * Paddock. Every setting says why it is there; docs/service.md repeats them for operators.
 */
import { dirname } from 'node:path';
import type { Binding } from '../config/types.ts';
import { PaddockError } from '../paddock-error.ts';

export interface UnitOptions {
  /** Unit name without suffix: `paddock` gives paddock.service (and paddock.socket). */
  readonly name: string;
  /** The configuration file, absolute. */
  readonly configFile: string;
  /** Node 24, absolute: the unit runs it directly, so the host is the unit's main process. */
  readonly node: string;
  /** bin/paddock.mjs of this installation, absolute. */
  readonly launcher: string;
  /** Node options of the host (host-flags.ts), given in ExecStart so that the host need not re-exec. */
  readonly hostFlags: readonly string[];
  /** notify-exec.pl or .py with its interpreter (notify-socket.ts); null when neither is installed. */
  readonly notifyExec: readonly string[] | null;
  readonly listen: readonly Binding[];
  /** The longest shutdownTimeLimit of the pools, ms: systemd must wait for the drain. */
  readonly drainMs: number;
  readonly socketActivation: boolean;
  readonly user: string | null;
  readonly group: string | null;
}

/** Thrown for a configuration systemd cannot carry (a binding on port 0 with socket activation). */
export class UnitError extends PaddockError<'PADDOCK_UNIT'> {
  constructor(message: string) {
    super('PADDOCK_UNIT', message, { step: 'write the systemd unit' });
  }
}

/**
 * One word of an Exec line: `%` and `$` would be specifiers and variables to systemd, and a word
 * with spaces, quotes or backslashes is double-quoted (systemd.syntax(7)).
 */
export function execWord(word: string): string {
  const escaped = word.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(escaped) ? escaped : `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function exec(words: readonly string[]): string {
  return words.map(execWord).join(' ');
}

/** A binding as systemd's ListenStream= writes it. */
export function listenStream(b: Binding): string {
  if (b.port === 0) throw new UnitError(`the binding ${b.host || '*'}:0 asks for a random port, which a socket unit cannot hold; give a port to use socket activation`);
  if (b.host === '') return String(b.port); // [::]:port, IPv4 too (BindIPv6Only=default)
  const host = b.host === 'localhost' ? '127.0.0.1' : b.host;
  return host.includes(':') ? `[${host}]:${b.port}` : `${host}:${b.port}`;
}

/** paddock.service. */
export function serviceUnit(o: UnitOptions): string {
  const run = (command: string): string => exec([o.node, o.launcher, command, '--config', o.configFile]);
  // The host is started as it must run: Node with the host's flags, through the helper that opens
  // the notification socket, so that it never re-execs (which would close passed sockets).
  const start = exec([...(o.notifyExec ?? []), o.node, ...o.hostFlags, o.launcher, 'run', '--config', o.configFile]);
  const stopSec = Math.ceil(o.drainMs / 1000) + 15;
  const socket = `${o.name}.socket`;
  return [
    `# Written by \`paddock service install\` for ${o.configFile}.`,
    '# Edit the configuration file rather than this unit; install again after moving Paddock or Node.',
    '[Unit]',
    `Description=Paddock application-pool host (${o.configFile})`,
    'After=network-online.target',
    'Wants=network-online.target',
    ...(o.socketActivation ? [`Requires=${socket}`, `After=${socket}`] : []),
    '',
    '[Service]',
    ...(o.notifyExec !== null
      ? [
        '# The host says READY=1 once it serves, RELOADING=1 and READY=1 around a reload, STOPPING=1, and STATUS=.',
        'Type=notify',
        'NotifyAccess=main',
      ]
      : [
        '# Neither perl nor python3 was found to open the notification socket with: systemd',
        '# cannot hear when the host is ready. Install one and run `paddock service install` again.',
        'Type=exec',
      ]),
    `ExecStart=${start}`,
    '# `paddock reload` waits for the host to apply the file and fails when it refuses it.',
    `ExecReload=${run('reload')}`,
    `WorkingDirectory=${execWord(dirname(o.configFile))}`,
    ...(o.user ? [`User=${o.user}`] : []),
    ...(o.group ? [`Group=${o.group}`] : []),
    '# SIGTERM to the host alone: it drains every pool and stops its workers itself. What is left',
    '# after TimeoutStopSec (the longest shutdownTimeLimit and a margin) is killed.',
    'KillMode=mixed',
    'KillSignal=SIGTERM',
    `TimeoutStopSec=${stopSec}`,
    'Restart=on-failure',
    'RestartSec=1',
    '# The host makes a cgroup per pool and per worker under its own.',
    'Delegate=yes',
    '# A worker killed by the kernel for memory is the pool\'s business (a crash, then a new',
    '# worker), not a reason to stop every pool (systemd\'s default OOMPolicy=stop).',
    'OOMPolicy=continue',
    '# Each client and each pooled worker connection is a descriptor; the host raises its soft limit to this.',
    'LimitNOFILE=1048576',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

/** paddock.socket: the front door's bindings, held by systemd across restarts of the host. */
export function socketUnit(o: UnitOptions): string {
  return [
    `# Written by \`paddock service install --socket\` for ${o.configFile}.`,
    '# systemd holds these sockets: during `systemctl restart` new connections wait in the backlog.',
    '[Unit]',
    `Description=Paddock front door (${o.configFile})`,
    '',
    '[Socket]',
    ...o.listen.map((b) => `ListenStream=${listenStream(b)}`),
    'FileDescriptorName=paddock',
    'Backlog=4096',
    'NoDelay=true',
    '',
    '[Install]',
    'WantedBy=sockets.target',
    '',
  ].join('\n');
}
