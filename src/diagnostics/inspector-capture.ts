/**
 * The JavaScript stack of a hung Node worker, taken through its inspector: SIGUSR1 opens the
 * inspector (the worker runs with `--inspect-port=127.0.0.1:0`, so on a free loopback port), the
 * host connects over the DevTools protocol, `Debugger.pause` interrupts the busy loop, the paused
 * call frames are read, then `Debugger.resume` and `process._debugEnd()` close the inspector again.
 * The pause is a V8 interrupt, so it works while JS spins; it cannot work while the main thread is
 * blocked inside native code (a sync child process, a native addon) or when the app handles
 * SIGUSR1 itself — then nothing listens within the bound and the caller falls back to gdb.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { request } from 'node:http';
import type { Frame } from './report-types.ts';
import { CdpSession } from './cdp-session.ts';
import { cleanFunctionName } from './stack-text.ts';
import { PaddockError } from '../paddock-error.ts';

export interface InspectorLimits {
  /** How long to wait for the inspector to listen after SIGUSR1. */
  readonly listenMs: number;
  /** How long each protocol step may take (connect, enable, pause). */
  readonly stepMs: number;
}

export interface InspectorStack {
  readonly frames: readonly Frame[];
  /** Milliseconds from SIGUSR1 to the paused frames. */
  readonly tookMs: number;
  /** Whether the inspector was closed again afterwards. */
  readonly closed: boolean;
}

/** Why the inspector gave no stack; a stable code for tests and reports. */
export class InspectorCaptureError extends PaddockError<'InspectorSignalFailed' | 'InspectorNotListening' | 'InspectorPauseFailed'> {}

const LISTENING = /Debugger listening on (ws:\/\/\S+)/;

/** Inodes of the TCP sockets a process has open. */
function socketInodes(pid: number): Set<string> {
  const out = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) out.add(m[1]);
      } catch {
        // the fd closed meanwhile
      }
    }
  } catch {
    // gone, or not ours to read
  }
  return out;
}

/** Loopback ports on which `pid` listens (from /proc/<pid>/net/tcp and its socket inodes). */
export function listeningPorts(pid: number): Set<number> {
  const inodes = socketInodes(pid);
  const ports = new Set<number>();
  for (const table of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is HEX_IP:HEX_PORT; st 0A is LISTEN; the inode is field 9.
      if (f.length > 9 && f[3] === '0A' && inodes.has(f[9])) ports.add(parseInt(f[1].split(':')[1], 16));
    }
  }
  return ports;
}

/** The debugger URL an inspector on `port` announces at /json/list. */
function debuggerUrl(port: number, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/json/list', timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => {
        try {
          const list = JSON.parse(body) as Array<{ webSocketDebuggerUrl?: string }>;
          resolve(list.find((t) => typeof t.webSocketDebuggerUrl === 'string')?.webSocketDebuggerUrl ?? null);
        } catch {
          resolve(null);
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}

/**
 * Opens the inspector of `pid` and finds its URL: a new "Debugger listening on" line in the
 * worker's stderr, or a new loopback listener in /proc (an app whose stderr goes elsewhere).
 */
async function openInspector(pid: number, stderrTail: () => readonly string[], listenMs: number): Promise<string> {
  const announced = (): string[] => stderrTail().map((l) => LISTENING.exec(l)?.[1]).filter((u): u is string => u !== undefined);
  const before = announced().length;
  const portsBefore = listeningPorts(pid);
  try {
    process.kill(pid, 'SIGUSR1');
  } catch (err) {
    throw new InspectorCaptureError('InspectorSignalFailed', `SIGUSR1 could not be sent: ${(err as Error).message}`);
  }
  const deadline = Date.now() + listenMs;
  let polls = 0;
  while (Date.now() < deadline) {
    const urls = announced();
    if (urls.length > before) return urls[urls.length - 1];
    if (++polls % 5 === 0) {
      for (const port of listeningPorts(pid)) {
        if (portsBefore.has(port)) continue;
        const url = await debuggerUrl(port, 200);
        if (url !== null) return url.replace('localhost', '127.0.0.1');
      }
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new InspectorCaptureError('InspectorNotListening', `the inspector did not open within ${listenMs} ms of SIGUSR1 (main thread blocked in native code, or the app handles SIGUSR1)`);
}

/** Pauses a Node worker's main thread and reads its JS stack; throws InspectorCaptureError. */
export async function captureJsStack(pid: number, stderrTail: () => readonly string[], limits: InspectorLimits): Promise<InspectorStack> {
  const t0 = Date.now();
  const url = await openInspector(pid, stderrTail, limits.listenMs);
  let session: CdpSession;
  try {
    session = await CdpSession.connect(url, limits.stepMs);
  } catch (err) {
    throw new InspectorCaptureError('InspectorPauseFailed', (err as Error).message);
  }
  try {
    await session.send('Debugger.enable', {}, limits.stepMs);
    await session.send('Debugger.pause', {}, limits.stepMs);
    const paused = await session.waitFor('Debugger.paused', limits.stepMs);
    const tookMs = Date.now() - t0;
    const scripts = new Map<string, string>();
    for (const e of session.events) {
      if (e.method === 'Debugger.scriptParsed') scripts.set(String(e.params.scriptId), String(e.params.url ?? ''));
    }
    const callFrames = (paused.params.callFrames ?? []) as Array<{ functionName?: string; url?: string; location?: { scriptId?: string; lineNumber?: number } }>;
    const frames: Frame[] = callFrames.map((f) => ({
      function: cleanFunctionName(f.functionName || '<anonymous>'),
      file: (f.url || scripts.get(String(f.location?.scriptId)) || null),
      line: typeof f.location?.lineNumber === 'number' ? f.location.lineNumber + 1 : null,
    }));
    await session.send('Debugger.resume', {}, limits.stepMs).catch(() => {});
    // Closing the inspector from inside: the session ends with it, so the answer never comes.
    session.post('Runtime.evaluate', { expression: "typeof process._debugEnd === 'function' && process._debugEnd()" });
    const closed = await session.waitClosed(limits.stepMs);
    return { frames, tookMs, closed };
  } catch (err) {
    throw new InspectorCaptureError('InspectorPauseFailed', `the inspector opened but gave no stack: ${(err as Error).message}`);
  } finally {
    session.close();
  }
}
