/**
 * Native stacks with gdb: `gdb -batch -ex 'thread apply all bt'` on a core file (a native crash)
 * or attached to a live process (`-p PID`, a worker blocked in native code). Always bounded: gdb
 * is killed at its time limit, and what it printed so far is kept. gdb never reaches the network
 * (debuginfod is off) and reads no init file.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Frame, ThreadStack } from './report-types.ts';

const gdbCandidates = ['/usr/bin/gdb', '/usr/local/bin/gdb', '/bin/gdb'];
/** The gdb binary, or null when it is not installed. */
export const gdbPath: string | null = gdbCandidates.find((p) => existsSync(p)) ?? null;

/** Raw gdb text kept in a report. */
const MAX_RAW_BYTES = 64 * 1024;
/** Threads and frames kept per report. */
const MAX_THREADS = 64;
const MAX_FRAMES = 40;

const CRASHING = '==paddock-crashing-thread==';
const ALL = '==paddock-all-threads==';

/** What gdb printed, parsed. */
export interface GdbStacks {
  /** The thread gdb stopped in: the faulting thread of a core, the first one of an attach. */
  readonly current: readonly Frame[];
  readonly threads: readonly ThreadStack[];
  /** "Program terminated with signal SIGSEGV, Segmentation fault." for a core. */
  readonly terminatedBy: string | null;
  readonly raw: string;
  /** Why the stacks are missing or partial (timeout, no gdb, permission). */
  readonly error: string | null;
}

const commonArgs = [
  '-batch', '-nx',
  '-iex', 'set debuginfod enabled off',
  '-iex', 'set pagination off',
  '-ex', 'set print frame-arguments scalars',
  '-ex', `echo ${CRASHING}\\n`, '-ex', 'bt',
  '-ex', `echo ${ALL}\\n`, '-ex', 'thread apply all bt',
];

/** Symbolic backtraces of every thread in a core file. */
export function gdbCore(exe: string | null, core: string, timeoutMs: number): Promise<GdbStacks> {
  return runGdb(exe === null ? ['-c', core] : [exe, core], timeoutMs);
}

/** Backtraces of every thread of a live process; the process is stopped while gdb reads it. */
export async function gdbAttach(pid: number, timeoutMs: number): Promise<GdbStacks> {
  const stacks = await runGdb(['-p', String(pid)], timeoutMs);
  // A gdb killed at its limit may leave the process stopped; an orphaned worker must run on.
  try {
    process.kill(pid, 'SIGCONT');
  } catch {
    // gone
  }
  return stacks;
}

function runGdb(target: readonly string[], timeoutMs: number): Promise<GdbStacks> {
  if (gdbPath === null) return Promise.resolve(empty('gdb is not installed (apt-get install gdb)'));
  return new Promise((resolve) => {
    let out = '';
    let err = '';
    let timedOut = false;
    const child = spawn(gdbPath!, [...commonArgs, ...target], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, LANG: 'C', LC_ALL: 'C' } });
    child.stdout.setEncoding('utf8').on('data', (d: string) => { if (out.length < 4 * MAX_RAW_BYTES) out += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { if (err.length < MAX_RAW_BYTES) err += d; });
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    const done = (error: string | null): void => {
      clearTimeout(timer);
      const parsed = parseGdbOutput(out);
      const problem = error ?? (timedOut ? `gdb did not finish within ${timeoutMs} ms; its output so far is kept` : null)
        ?? (parsed.threads.length === 0 && parsed.current.length === 0 ? `gdb printed no stack: ${firstLines(err)}` : null);
      resolve({ ...parsed, raw: (out + (err ? `\n--- gdb stderr ---\n${err}` : '')).slice(0, MAX_RAW_BYTES), error: problem });
    };
    child.once('error', (e) => done(`gdb could not be run: ${e.message}`));
    child.once('close', () => done(null));
  });
}

function empty(error: string): GdbStacks {
  return { current: [], threads: [], terminatedBy: null, raw: '', error };
}

function firstLines(text: string): string {
  return text.split('\n').filter((l) => l.trim() !== '').slice(0, 3).join(' / ') || 'nothing on stderr';
}

/** Parses gdb's batch output around the markers; pure, for tests. */
export function parseGdbOutput(text: string): Omit<GdbStacks, 'raw' | 'error'> {
  const lines = text.split('\n');
  const terminatedBy = lines.find((l) => l.startsWith('Program terminated with signal'))?.trim() ?? null;
  const iCrash = lines.indexOf(CRASHING);
  const iAll = lines.indexOf(ALL);
  const current: Frame[] = [];
  if (iCrash !== -1) {
    for (const l of lines.slice(iCrash + 1, iAll === -1 ? undefined : iAll)) {
      const f = parseGdbFrame(l);
      if (f !== null && current.length < MAX_FRAMES) current.push(f);
    }
  }
  const threads: ThreadStack[] = [];
  let thread: { id: string; name: string | null; lwp: number | null; frames: Frame[] } | null = null;
  for (const l of iAll === -1 ? [] : lines.slice(iAll + 1)) {
    const t = /^Thread (\d+) \((.*)\):$/.exec(l);
    if (t) {
      if (threads.length >= MAX_THREADS) break;
      const lwp = /LWP (\d+)/.exec(t[2]);
      const name = /"([^"]*)"\s*\)?$/.exec(t[2]);
      thread = { id: t[1], name: name ? name[1] : null, lwp: lwp ? Number(lwp[1]) : null, frames: [] };
      threads.push(thread);
      continue;
    }
    const f = parseGdbFrame(l);
    if (f !== null && thread !== null && thread.frames.length < MAX_FRAMES) thread.frames.push(f);
  }
  return { current, threads, terminatedBy };
}

/** "#1  0x000055 in dereferenceNull (p=0x0) at segv.c:3" → frame; null for other lines. */
export function parseGdbFrame(line: string): Frame | null {
  const m = /^#\d+\s+(?:0x[0-9a-fA-F]+ in )?(.*)$/.exec(line);
  if (m === null) return null;
  let rest = m[1];
  let file: string | null = null;
  let lineNo: number | null = null;
  const at = / at (\S+):(\d+)$/.exec(rest);
  const from = / from (\S+)$/.exec(rest);
  if (at) {
    file = at[1];
    lineNo = Number(at[2]);
    rest = rest.slice(0, at.index);
  } else if (from) {
    file = from[1];
    rest = rest.slice(0, from.index);
  }
  return { function: functionName(rest), file, line: lineNo };
}

/** The function of "name (args)", where a C++ name may hold parentheses and templates. */
function functionName(text: string): string {
  let depth = 0;
  let end = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '<') depth++;
    else if (c === '>' && depth > 0) depth--;
    else if (c === ' ' && text[i + 1] === '(' && depth === 0) {
      end = i;
      break;
    }
  }
  const name = text.slice(0, end).trim();
  // "ns::Cls::Method(void*) const" → "ns::Cls::Method": a signature changes with a parameter, the bug does not.
  return stripParameters(name) || '??';
}

function stripParameters(name: string): string {
  const trimmed = name.replace(/\s+const$/, '');
  if (!trimmed.endsWith(')')) return trimmed;
  let depth = 0;
  for (let i = trimmed.length - 1; i >= 0; i--) {
    if (trimmed[i] === ')') depth++;
    else if (trimmed[i] === '(') {
      depth--;
      if (depth === 0) return i === 0 ? trimmed : trimmed.slice(0, i);
    }
  }
  return trimmed;
}
