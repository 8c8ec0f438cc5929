/**
 * Diagnostics figures: bench/diagnostics.ts, when it exists, exports
 * `runDiagnosticsBench(): Promise<Array<{ name; value; anchor }>>`; its rows join the table. It is
 * imported only when present, so the bench runs before that file is written.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchContext } from './lib/context.ts';
import type { Row, SectionResult, Verdict } from './lib/report.ts';

const SECTION = 'Diagnostics';
const VERDICTS: readonly string[] = ['pass', 'MISS', 'info', 'n/a'];

interface DiagnosticsRow {
  readonly name: string;
  readonly value: unknown;
  readonly anchor: unknown;
  readonly target?: unknown;
  readonly verdict?: unknown;
}

type DiagnosticsModule = { runDiagnosticsBench?: () => Promise<DiagnosticsRow[]> };

function text(v: unknown): string {
  return v === undefined || v === null || v === '' ? '—' : String(v);
}

/** Runs bench/diagnostics.ts's figures when that file exists. */
export async function runDiagnosticsSection(ctx: BenchContext): Promise<SectionResult> {
  const file = path.join(ctx.root, 'bench/diagnostics.ts');
  if (!existsSync(file)) {
    return { rows: [{ section: SECTION, figure: 'diagnostics figures', paddock: 'bench/diagnostics.ts not present', anchor: '—', target: '—', verdict: 'n/a' }], details: [] };
  }
  const mod = (await import(pathToFileURL(file).href)) as DiagnosticsModule;
  if (typeof mod.runDiagnosticsBench !== 'function') {
    throw Object.assign(new Error('bench/diagnostics.ts does not export runDiagnosticsBench()'), { code: 'BENCH_DIAGNOSTICS_EXPORT' });
  }
  ctx.log('diagnostics: bench/diagnostics.ts');
  const found = await mod.runDiagnosticsBench();
  const rows: Row[] = found.map((r) => ({
    section: SECTION,
    figure: text(r.name),
    paddock: text(r.value),
    anchor: text(r.anchor),
    target: text(r.target),
    verdict: (VERDICTS.includes(String(r.verdict)) ? String(r.verdict) : 'info') as Verdict,
  }));
  return { rows, details: [] };
}
