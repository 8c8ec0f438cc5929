/**
 * Node's diagnostic report (`--report-uncaught-exception`, `--report-on-fatalerror`): a JSON file
 * Node writes before it exits, named `report.<date>.<time>.<pid>.<tid>.<seq>.json`. The host finds
 * the one of a crashed worker by pid, keeps what a crash report needs (error, JS stack, native
 * stack) and deletes the file: the report holds the command line, loaded libraries and network
 * interfaces, which the crash report does not need to keep.
 *
 * What Node does not report: `process.abort()` and native crashes (SIGSEGV, SIGABRT) write no
 * report; an out-of-memory report has no JS stack ("No stack."); `process.exit(1)` is no crash to
 * Node at all. The caller falls back to stderr and to cores for those.
 */
import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Frame } from './report-types.ts';
import { parseV8Frame, splitErrorHeader } from './stack-text.ts';

/** What a Node report says about a crash. */
export interface NodeReportFacts {
  readonly file: string;
  /** "Exception", "FatalError", "OOMError", ... */
  readonly trigger: string;
  readonly error: { readonly type: string; readonly message: string | null };
  readonly jsFrames: readonly Frame[];
  readonly nativeFrames: readonly Frame[];
  readonly notes: readonly string[];
}

interface RawReport {
  header?: { trigger?: string; event?: string; processId?: number };
  javascriptStack?: { message?: string; stack?: string[] };
  nativeStack?: Array<{ pc?: string; symbol?: string }>;
}

/** Native frames of Node's own report writer, on top of every native stack in a report. */
const REPORT_MACHINERY = /^node::(report::|TriggerNodeReport|.*DumpReport|.*GetNodeReport)/;

/** Report files kept per pool directory beyond those of crashed workers (children's, stale ones). */
const KEEP_STRAY_REPORTS = 10;
/** Stray reports older than this are deleted. */
const STRAY_MAX_AGE_MS = 60 * 60 * 1000;

function nativeFrame(symbol: string): Frame {
  // "node::OOMErrorHandler(char const*, v8::OOMDetails const&) [node]" → name and object file
  const m = /^(.*?)\s*\[([^\]]+)\]\s*$/.exec(symbol);
  const name = (m ? m[1] : symbol).replace(/\(.*$/, '').trim();
  return { function: name || '??', file: m ? m[2] : null, line: null };
}

/** Parses a Node report; pure, for tests. */
export function parseNodeReport(file: string, raw: RawReport): NodeReportFacts {
  const trigger = raw.header?.trigger ?? 'unknown';
  const notes: string[] = [];
  const js = raw.javascriptStack ?? {};
  const stackLines = Array.isArray(js.stack) ? js.stack : [];
  const jsFrames = stackLines.map((l) => parseV8Frame(l.startsWith('at ') ? l : `at ${l}`)).filter((f): f is Frame => f !== null);
  const nativeFrames = (raw.nativeStack ?? []).map((f) => nativeFrame(f.symbol ?? '')).filter((f) => !REPORT_MACHINERY.test(f.function));
  let error: { type: string; message: string | null };
  if (trigger === 'Exception' && typeof js.message === 'string') {
    error = splitErrorHeader(js.message);
  } else {
    // Fatal errors: the event says what ("Allocation failed - JavaScript heap out of memory").
    error = { type: trigger, message: raw.header?.event ?? null };
  }
  if (jsFrames.length === 0) {
    notes.push(trigger === 'OOMError' || /out of memory/i.test(raw.header?.event ?? '')
      ? 'Out of memory: Node reports no JavaScript stack for a heap exhaustion; the native stack is shown.'
      : `Node's report (${trigger}) holds no JavaScript stack.`);
  }
  return { file, trigger, error, jsFrames, nativeFrames, notes };
}

/** Report files in `dir` written by process `pid`. */
async function filesOf(dir: string, pid: number): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => n.startsWith('report.') && n.endsWith('.json') && n.split('.')[3] === String(pid)).sort();
}

/**
 * Finds, parses and deletes the report of `pid` in `dir`, waiting up to `waitMs` for it (Node
 * writes it before exiting, so it is normally there when the exit is seen). Null when none.
 */
export async function takeNodeReport(dir: string, pid: number, waitMs: number): Promise<NodeReportFacts | null> {
  const deadline = Date.now() + waitMs;
  let files = await filesOf(dir, pid);
  while (files.length === 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    files = await filesOf(dir, pid);
  }
  if (files.length === 0) return null;
  // The newest one is the one of the fatal exit.
  const path = join(dir, files[files.length - 1]);
  let facts: NodeReportFacts | null = null;
  try {
    facts = parseNodeReport(path, JSON.parse(await readFile(path, 'utf8')) as RawReport);
  } catch {
    facts = null;
  }
  await Promise.all(files.map((f) => unlink(join(dir, f)).catch(() => {})));
  return facts;
}

/** Deletes reports nobody will read: children's, old ones, more than a few. Never throws. */
export async function pruneReportDir(dir: string, now: number): Promise<void> {
  try {
    const names = (await readdir(dir)).filter((n) => n.startsWith('report.') && n.endsWith('.json'));
    const aged = await Promise.all(names.map(async (n) => ({ n, mtime: (await stat(join(dir, n)).catch(() => null))?.mtimeMs ?? 0 })));
    aged.sort((a, b) => b.mtime - a.mtime);
    for (const [i, f] of aged.entries()) {
      if (i >= KEEP_STRAY_REPORTS || now - f.mtime > STRAY_MAX_AGE_MS) await unlink(join(dir, f.n)).catch(() => {});
    }
  } catch {
    // no directory: nothing to prune
  }
}
