/**
 * What every figure of the bench shares: where the repo and the run's scratch folder are, how long
 * a load run lasts, the tools found on the machine, and anchors measured once and quoted twice.
 */
import { chmodSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findExecutable } from './tools.ts';

export interface BenchContext {
  /** The repository's root folder. */
  readonly root: string;
  /** This run's scratch folder (configs, sockets, logs), short enough for unix socket paths. */
  readonly tmp: string;
  /** Length of each measured load run, from BENCH_SECONDS (default 10). */
  readonly seconds: number;
  /** wrk, or null when it is not installed. */
  readonly wrk: string | null;
  /** The hello-world worker behind every front door. */
  readonly workerFile: string;
  /** Anchors measured once per run and used by more than one figure, by key. */
  readonly shared: Map<string, Promise<unknown>>;
  /** Progress on stderr: stdout holds only the table. */
  log(message: string): void;
}

/**
 * A new scratch folder (mkdtemp) that others may enter but not list (0711): under root every pool
 * runs as its own uid (docs/identity.md), which must reach the configs and apps kept here.
 */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(prefix);
  chmodSync(dir, 0o711);
  return dir;
}

/** Builds the context from the environment. */
export function createContext(): BenchContext {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const seconds = Number(process.env.BENCH_SECONDS ?? '10');
  return {
    root,
    tmp: scratchDir(path.join(os.tmpdir(), 'pdk-bench-')),
    seconds: Number.isFinite(seconds) && seconds > 0 ? seconds : 10,
    wrk: findExecutable('wrk'),
    workerFile: path.join(root, 'bench/workers/hello.mjs'),
    shared: new Map(),
    log: (message) => process.stderr.write(`bench: ${message}\n`),
  };
}

/** Runs `make` once per run for `key`; later callers get the same promise. */
export function once<T>(ctx: BenchContext, key: string, make: () => Promise<T>): Promise<T> {
  let p = ctx.shared.get(key) as Promise<T> | undefined;
  if (!p) {
    p = make();
    ctx.shared.set(key, p);
  }
  return p;
}
