/**
 * A host run as its own process (`paddock run`), for scenarios that measure the host alone (its
 * RSS, its descriptors) or run it under a wrapper such as `prlimit`. Its events are read from the
 * JSON lines it prints on stdout.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { EventIds } from '../../src/events/event-ids.ts';
import { cliMain, watch, type Watched } from './processes.ts';
import { waitFor } from './test-host.ts';

/** One event as the host prints it on stdout (event-log.ts). */
export interface EventLine {
  readonly event: number;
  readonly pool: string | null;
  readonly msg: string;
  readonly [key: string]: unknown;
}

export interface HostProcess {
  readonly w: Watched;
  readonly pid: number;
  /** The first front-door binding's port. */
  readonly port: number;
  readonly url: string;
  events(id?: number): EventLine[];
  waitEvent(id: number, what?: string, timeoutMs?: number): Promise<EventLine>;
  /** The host process's resident set, from /proc (bytes). */
  rssBytes(): number;
  /** SIGTERM, then SIGKILL after `ms`; resolves with the exit code. */
  stop(ms?: number): Promise<number | null>;
}

/**
 * Runs `paddock run --config FILE` (after `wrapper`, e.g. `['prlimit', '--nofile=256', '--']`) and
 * waits for its HostStarted event.
 */
export async function startHostProcess(configFile: string, wrapper: readonly string[] = []): Promise<HostProcess> {
  const argv = [...wrapper, process.execPath, cliMain, 'run', '--config', configFile];
  const w = watch(argv[0], argv.slice(1));
  const events = (id?: number): EventLine[] => (w.lines() as unknown as EventLine[]).filter((l) => typeof l.event === 'number' && (id === undefined || l.event === id));
  const started = await waitFor(() => events(EventIds.HostStarted)[0] ?? (w.child.exitCode !== null ? 'exited' : null), 30_000, `the host to start; stderr:\n${w.err()}`);
  assert.notEqual(started, 'exited', `the host exited at start: ${w.err()}`);
  const line = started as EventLine;
  const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(line.msg)?.[1]);
  assert.ok(port > 0, line.msg);
  // HostStarted names the host's own pid (a wrapper such as prlimit execs it, keeping the child's).
  const pid = Number(/\(pid (\d+)\)/.exec(line.msg)?.[1] ?? w.child.pid);
  return {
    w,
    pid,
    port,
    url: `http://127.0.0.1:${port}`,
    events,
    waitEvent: (id, what = `event ${id}`, timeoutMs = 15_000) => waitFor(() => events(id)[0] ?? null, timeoutMs, `${what}; stderr:\n${w.err()}`),
    rssBytes: () => {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : 0;
    },
    stop: async (ms = 15_000) => {
      if (w.child.exitCode !== null || w.child.signalCode !== null) return w.child.exitCode;
      w.child.kill('SIGTERM');
      const timer = setTimeout(() => w.child.kill('SIGKILL'), ms);
      const code = await w.exited;
      clearTimeout(timer);
      return code;
    },
  };
}
