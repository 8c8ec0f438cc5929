/**
 * Isolation (cgroups): how fast a recycle ends the old worker's whole tree, its daemonised
 * grandchild included (the last process of the tree gone, beside the worker process itself in the
 * same run), and the CPU share a busy loop gets under `cpu.action: Throttle` at 25% of one CPU
 * (the kernel's quota), measured from the worker's cgroup. An in-process host; about 15 s.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import type { BenchContext } from './lib/context.ts';
import { createContext, scratchDir } from './lib/context.ts';
import { cpuModel, fmt, renderTable, verdict, type SectionResult } from './lib/report.ts';
import { median } from './lib/http-probe.ts';
import { parseConfig } from '../src/config/index.ts';
import { startHost } from '../src/host/host.ts';

const SECTION = 'Isolation';
const ROUNDS = 5;

function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return false;
  }
}

async function json<T>(url: string): Promise<T> {
  const r = await fetch(url);
  return (await r.json()) as T;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs the isolation figures. */
export async function runIsolationBench(ctx: BenchContext): Promise<SectionResult> {
  const dir = scratchDir(path.join(ctx.tmp, 'iso-'));
  const file = path.join(dir, 'paddock.yaml');
  const worker = path.join(ctx.root, 'test/fixtures/tree-worker.mjs');
  const cores = os.availableParallelism();
  const config = {
    dataDir: dir,
    listen: ['127.0.0.1:0'],
    admin: { socket: path.join(dir, 'admin.sock') },
    sites: [{ name: 's', hosts: ['*'], apps: [{ path: '/tree', pool: 'tree' }, { path: '/busy', pool: 'busy' }] }],
    pools: {
      tree: { command: ['node', worker], env: { TREE_DAEMON: '1' }, processModel: { shutdownTimeLimit: '5s' } },
      busy: { command: ['node', worker], cpu: { limit: Math.round(25_000 / cores), action: 'Throttle', resetInterval: '1m' }, processModel: { pingingEnabled: false, eventLoopDelayLimit: 0 } },
    },
  };
  writeFileSync(file, stringify(config));
  const parsed = parseConfig(stringify(config), file);
  if (!parsed.ok) throw new Error('bench config refused');
  const host = await startHost(parsed.config, { quiet: true });
  const base = `http://127.0.0.1:${host.bound[0].port}`;
  const details: string[] = [];
  const treeMs: number[] = [];
  const workerMs: number[] = [];
  let share = NaN;
  try {
    const iso = host.supervisor.isolation();
    details.push(`isolation: ${iso.enabled ? `${iso.description}, under ${iso.root.join(', ')}` : `none (${iso.reason})`}`);
    if (!iso.enabled) return { rows: [{ section: SECTION, figure: 'cgroups', paddock: 'not available', anchor: String(iso.reason), target: '—', verdict: 'n/a' }], details };
    const pool = host.supervisor.poolMap.get('tree')!;
    for (let i = 0; i < ROUNDS; i++) {
      let tree = await json<{ pid: number; daemon: number | null }>(`${base}/tree/tree`);
      for (let j = 0; tree.daemon === null && j < 100; j++) {
        await sleep(20);
        tree = await json(`${base}/tree/tree`);
      }
      const t0 = performance.now();
      pool.recycle('OnDemand', { reason: 'bench' });
      let workerGone = NaN;
      for (;;) {
        const mainAlive = running(tree.pid);
        if (!mainAlive && Number.isNaN(workerGone)) workerGone = performance.now() - t0;
        if (!mainAlive && (tree.daemon === null || !running(tree.daemon))) break;
        if (performance.now() - t0 > 15_000) throw new Error('the old tree outlived its recycle by 15 s');
        await sleep(1);
      }
      treeMs.push(performance.now() - t0);
      workerMs.push(workerGone);
      // The replacement serves before the next round.
      for (let j = 0; j < 200; j++) {
        const t = await json<{ pid: number }>(`${base}/tree/tree`).catch(() => null);
        if (t !== null && t.pid !== tree.pid) break;
        await sleep(20);
      }
    }
    details.push(`recycle → last process of the old tree gone: ${treeMs.map((m) => m.toFixed(1)).join(', ')} ms; → the worker process itself gone: ${workerMs.map((m) => m.toFixed(1)).join(', ')} ms`);

    await fetch(`${base}/busy/`);
    const [w] = host.supervisor.poolMap.get('busy')!.workers;
    const busy = fetch(`${base}/busy/busy?ms=5000`).catch(() => null);
    await sleep(1000);
    const t0 = performance.now();
    const c0 = w.cpuSeconds() ?? NaN;
    await sleep(3000);
    share = ((w.cpuSeconds() ?? NaN) - c0) / ((performance.now() - t0) / 1000);
    await busy;
    details.push(`Throttle at ${Math.round(25_000 / cores)} (25% of one CPU on ${cores} cores): the busy loop used ${(share * 100).toFixed(1)}% of one CPU over 3 s (cgroup CPU time)`);
  } finally {
    await host.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const tree = median(treeMs);
  const own = median(workerMs);
  return {
    rows: [
      {
        section: SECTION,
        figure: `recycle → last process of the old tree gone (daemon included), median of ${ROUNDS}`,
        paddock: fmt(tree, 'ms'),
        anchor: `the worker process itself gone, same run: ${fmt(own, 'ms')}`,
        target: 'within 100 ms of the worker',
        verdict: verdict(Number.isFinite(tree) && Number.isFinite(own) ? tree - own <= 100 : null),
      },
      {
        section: SECTION,
        figure: 'CPU share of a busy loop under Throttle',
        paddock: Number.isFinite(share) ? `${(share * 100).toFixed(1)}% of one CPU` : '—',
        anchor: 'limit: 25% of one CPU',
        target: '20–30%',
        verdict: verdict(Number.isFinite(share) ? share >= 0.2 && share <= 0.3 : null),
      },
    ],
    details,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const ctx = createContext();
  try {
    const result = await runIsolationBench(ctx);
    process.stdout.write(`CPU: ${cpuModel()}\n\n${renderTable(result.rows)}\n\n${result.details.map((d) => `- ${d}`).join('\n')}\n`);
  } finally {
    if (process.env.BENCH_KEEP !== '1') rmSync(ctx.tmp, { recursive: true, force: true });
  }
}
