/**
 * Test support for scenarios that run `paddock` and its companions as processes: output gathered
 * as it comes, JSON lines waited for, a config written to a temp folder.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { repoRoot, waitFor } from './test-host.ts';

export const cliMain = join(repoRoot, 'src/cli/main.ts');

/** A running process with its output so far. */
export interface Watched {
  readonly child: ChildProcess;
  out(): string;
  err(): string;
  /** JSON objects printed one per line on stdout so far. */
  lines(): Array<Record<string, unknown>>;
  /** Waits for a stdout JSON line that matches; returns it. */
  waitLine(match: (l: Record<string, unknown>) => boolean, what: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  readonly exited: Promise<number | null>;
}

/** Spawns a program and watches its output. */
export function watch(file: string, args: readonly string[], options: SpawnOptions = {}): Watched {
  const child = spawn(file, [...args], { stdio: ['pipe', 'pipe', 'pipe'], ...options });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c) => (out += c));
  child.stderr?.on('data', (c) => (err += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const lines = (): Array<Record<string, unknown>> => out.split('\n').flatMap((l) => {
    if (!l.startsWith('{')) return [];
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
  return {
    child,
    out: () => out,
    err: () => err,
    lines,
    waitLine: (match, what, timeoutMs = 20_000) => waitFor(() => lines().find(match) ?? null, timeoutMs, `${what}; stdout:\n${out}\nstderr:\n${err}`),
    exited,
  };
}

/** A temp folder with paddock.yaml (dataDir and admin socket inside it). */
export function writeConfigDir(config: Record<string, unknown>, prefix = 'pdk-'): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const file = join(dir, 'paddock.yaml');
  writeFileSync(file, stringify({ dataDir: dir, listen: ['127.0.0.1:0'], admin: { socket: join(dir, 'admin.sock') }, ...config }));
  return { dir, file };
}

/** The socket inodes a process holds open ("socket:[123]" → "123"). */
export function socketInodes(pid: number): Set<string> {
  const out = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) out.add(m[1]);
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    // the process is gone
  }
  return out;
}

/** A process's environment as it was at exec. */
export function environOf(pid: number): Record<string, string> {
  return Object.fromEntries(readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').filter(Boolean).map((kv) => {
    const i = kv.indexOf('=');
    return [kv.slice(0, i), kv.slice(i + 1)];
  }));
}
