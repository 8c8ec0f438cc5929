/**
 * `npm run bench`: every figure the project claims, each beside its anchor measured in the same
 * run, printed as one table and written to bench/RESULTS.md with the date and the machine.
 *
 * Environment:
 *   BENCH_SECONDS=10                      length of each measured wrk run
 *   BENCH_ROUNDS=3                        rounds of the throughput figure's CPU per request (medians)
 *   BENCH_ONLY=throughput,faults,...      run only these sections (throughput, faults, hang,
 *                                         recycle, suspend, scale, diagnostics, php, balancers,
 *                                         accesslog, overload, isolation, scaling,
 *                                         interference); a partial run
 *                                         prints its table but leaves RESULTS.md alone unless
 *                                         BENCH_WRITE=1
 *   BENCH_KEEP=1                          keep the scratch folder (configs, host logs, event DBs)
 *   BENCH_SECTION_LIMIT_MS=900000         a section still running after this is reported as failed
 *
 * Every process the bench starts is stopped with its process group, on success, on error and on
 * Ctrl-C (bench/lib/children.ts).
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { stopAll } from './lib/children.ts';
import { createContext, type BenchContext } from './lib/context.ts';
import { ensurePm2 } from './lib/pm2.ts';
import { cpuModel, renderResults, renderTable, type Row, type SectionResult } from './lib/report.ts';
import { findExecutable, toolVersion } from './lib/tools.ts';
import { runThroughputBench } from './throughput.ts';
import { runFaultsBench } from './faults.ts';
import { runHangBench } from './hang.ts';
import { runRecycleBench } from './recycle.ts';
import { runSuspendBench } from './suspend.ts';
import { runScaleBench } from './scale.ts';
import { runDiagnosticsSection } from './diagnostics-section.ts';
import { runPhpBench } from './php.ts';
import { runBalancersBench } from './balancers.ts';
import { runAccessLogBench } from './access-log.ts';
import { runOverloadBench } from './overload.ts';
import { runIsolationBench } from './isolation.ts';
import { runScalingBench } from './scaling.ts';
import { runInterferenceBench } from './interference.ts';

/** A section that runs longer than this is abandoned and reported as failed. */
const SECTION_LIMIT_MS = Number(process.env.BENCH_SECTION_LIMIT_MS ?? 15 * 60_000);

interface Section {
  readonly key: string;
  readonly title: string;
  readonly run: (ctx: BenchContext) => Promise<SectionResult>;
}

const SECTIONS: readonly Section[] = [
  { key: 'throughput', title: 'Throughput', run: runThroughputBench },
  { key: 'faults', title: 'Faults under load', run: runFaultsBench },
  { key: 'hang', title: 'Hang detection', run: runHangBench },
  { key: 'recycle', title: 'Recycle and reload', run: runRecycleBench },
  { key: 'suspend', title: 'Suspend', run: runSuspendBench },
  { key: 'scale', title: 'Scale', run: runScaleBench },
  { key: 'diagnostics', title: 'Diagnostics', run: runDiagnosticsSection },
  { key: 'php', title: 'PHP (FastCGI)', run: runPhpBench },
  { key: 'balancers', title: 'Balancers', run: runBalancersBench },
  { key: 'accesslog', title: 'Access log', run: runAccessLogBench },
  { key: 'overload', title: 'Overload', run: runOverloadBench },
  { key: 'isolation', title: 'Isolation', run: runIsolationBench },
  { key: 'scaling', title: 'Scaling', run: runScalingBench },
  { key: 'interference', title: 'Isolation between pools (p99)', run: runInterferenceBench },
];

function selected(): readonly Section[] {
  const only = (process.env.BENCH_ONLY ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (only.length === 0) return SECTIONS;
  const unknown = only.filter((k) => !SECTIONS.some((s) => s.key === k));
  if (unknown.length) {
    process.stderr.write(`bench: unknown section(s) ${unknown.join(', ')}; known: ${SECTIONS.map((s) => s.key).join(', ')}\n`);
    process.exit(2);
  }
  return SECTIONS.filter((s) => only.includes(s.key));
}

async function toolLines(ctx: BenchContext, sections: readonly Section[]): Promise<string[]> {
  const version = (name: string, args: readonly string[]): string => {
    const file = findExecutable(name);
    return file ? (toolVersion(file, args) ?? 'installed') : 'not installed';
  };
  const lines = [`wrk: ${version('wrk', ['-v'])}`, `nginx: ${version('nginx', ['-v'])}`, `HAProxy: ${version('haproxy', ['-v'])}`];
  if (sections.some((s) => ['throughput', 'faults', 'recycle'].includes(s.key))) {
    lines.push(`PM2: ${(await ensurePm2(ctx)) ?? 'not installed'} (cluster mode, run with pm2-runtime)`);
  }
  lines.push(`scratch folder: ${ctx.tmp}${process.env.BENCH_KEEP === '1' ? ' (kept)' : ' (removed)'}`);
  return lines;
}

async function main(): Promise<void> {
  const sections = selected();
  const ctx = createContext();
  const startedAt = new Date();
  const loadText = (): string => os.loadavg().map((l) => l.toFixed(2)).join(', ');
  const loadAtStart = loadText();
  const rows: Row[] = [];
  const details: Array<{ section: string; lines: string[] }> = [];
  const onSignal = (): void => {
    void stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // A section's stray rejection (a timer of its own, an in-process host) fails that section, not
  // the whole run: the other figures still reach the table.
  let stray: ((err: unknown) => void) | null = null;
  process.on('unhandledRejection', (err) => {
    ctx.log(`unhandled rejection: ${(err as Error)?.stack ?? String(err)}`);
    stray?.(err);
  });
  try {
    const tools = await toolLines(ctx, sections);
    for (const section of sections) {
      const t0 = Date.now();
      ctx.log(`${section.title}...`);
      try {
        const result = await new Promise<SectionResult>((resolve, reject) => {
          stray = reject;
          const limit = setTimeout(
            () => reject(Object.assign(new Error(`no result within ${SECTION_LIMIT_MS / 60_000} min`), { code: 'BENCH_SECTION_LIMIT' })),
            SECTION_LIMIT_MS,
          );
          section.run(ctx).then(resolve, reject).finally(() => clearTimeout(limit));
        }).finally(() => (stray = null));
        rows.push(...result.rows);
        details.push({ section: section.title, lines: result.details });
      } catch (err) {
        const e = err as Error & { code?: string };
        ctx.log(`${section.title} failed: ${e.stack ?? e.message}`);
        rows.push({ section: section.title, figure: 'error', paddock: `${e.code ?? 'Error'}: ${e.message.split('\n')[0]}`, anchor: '—', target: '—', verdict: 'n/a' });
        details.push({ section: section.title, lines: [`the section failed: ${e.message}`] });
      } finally {
        await stopAll();
      }
      ctx.log(`${section.title} done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
    const table = renderTable(rows);
    // A ratio to nginx holds on the CPU it was measured on: name it beside the figures.
    process.stdout.write(`CPU: ${cpuModel()}\n\n${table}\n`);
    const full = sections.length === SECTIONS.length;
    if (full || process.env.BENCH_WRITE === '1') {
      const file = path.join(ctx.root, 'bench/RESULTS.md');
      writeFileSync(file, renderResults({ startedAt, load: `${loadAtStart} at the start; ${loadText()} at the end`, seconds: ctx.seconds, tools, rows, details }));
      ctx.log(`wrote ${file}`);
    } else {
      ctx.log('partial run (BENCH_ONLY): bench/RESULTS.md left as it was; BENCH_WRITE=1 writes it');
    }
  } finally {
    await stopAll();
    if (process.env.BENCH_KEEP !== '1' && existsSync(ctx.tmp)) rmSync(ctx.tmp, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
