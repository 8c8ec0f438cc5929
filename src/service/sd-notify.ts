/**
 * sd_notify(3) for the host: READY=1 once it serves, RELOADING=1 (with MONOTONIC_USEC, as systemd
 * 253's Type=notify-reload wants it) then READY=1 around a reload, STOPPING=1 when it begins to
 * drain, and STATUS= lines saying what it does, so `systemctl status paddock` shows it. Messages go
 * out on the descriptor notify-socket.ts opened; outside systemd every call does nothing.
 * Sending never throws into the host: a failure is reported once and the host goes on.
 */
import { writeSync } from 'node:fs';
import { NOTIFY_FD_VARIABLE } from './notify-socket.ts';

/** CLOCK_MONOTONIC in microseconds; libuv's hrtime reads the same clock on Linux. */
function monotonicUsec(): bigint {
  return process.hrtime.bigint() / 1000n;
}

/** The host's link to systemd's notification socket. */
export class SdNotifier {
  readonly #fd: number | null;
  readonly #report: (line: string) => void;
  #failed = false;
  /** Why there is no link although systemd asked for one (NOTIFY_SOCKET set), or null. */
  readonly problem: string | null;

  private constructor(fd: number | null, problem: string | null, report: (line: string) => void) {
    this.#fd = fd;
    this.problem = problem;
    this.#report = report;
  }

  /** From the environment the helper left; removes NOTIFY_SOCKET and the fd's variable, which workers must not inherit. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env, report: (line: string) => void = (l) => process.stderr.write(l + '\n')): SdNotifier {
    const socket = env.NOTIFY_SOCKET;
    const value = env[NOTIFY_FD_VARIABLE];
    delete env.NOTIFY_SOCKET;
    delete env[NOTIFY_FD_VARIABLE];
    if (!socket) return new SdNotifier(null, null, report);
    if (value === undefined) return new SdNotifier(null, 'no perl or python3 to open the socket with (see docs/service.md)', report);
    if (!/^\d+$/.test(value)) return new SdNotifier(null, `cannot connect to ${socket}: ${value.replace(/^failed: /, '')}`, report);
    return new SdNotifier(Number(value), null, report);
  }

  /** True when messages reach systemd. */
  get active(): boolean {
    return this.#fd !== null && !this.#failed;
  }

  /** Sends one notification: `KEY=VALUE` lines. */
  send(fields: Readonly<Record<string, string | number | bigint>>): void {
    if (this.#fd === null || this.#failed) return;
    // A STATUS with a newline would end the field early: one line only (sd_notify(3)).
    const text = Object.entries(fields).map(([k, v]) => `${k}=${String(v).replace(/\n/g, ' ')}`).join('\n');
    try {
      writeSync(this.#fd, text);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') return; // systemd's queue is full: this one is dropped, later ones go
      this.#failed = true;
      this.#report(`paddock: systemd notifications stop: ${(err as Error).message}`);
    }
  }

  ready(status: string): void {
    this.send({ READY: 1, STATUS: status });
  }

  reloading(): void {
    this.send({ RELOADING: 1, MONOTONIC_USEC: monotonicUsec(), STATUS: 'reloading the configuration' });
  }

  stopping(status: string): void {
    this.send({ STOPPING: 1, STATUS: status });
  }

  status(status: string): void {
    this.send({ STATUS: status });
  }
}
