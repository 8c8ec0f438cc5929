/**
 * The scoreboard: one row per figure (Paddock, its anchor measured in the same run, the target
 * and the verdict), the machine it ran on, and the details that back each figure. Printed to
 * stdout and written to bench/RESULTS.md as Markdown.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** `pass` / `MISS` against a target; `info` where a row has no target; `n/a` when it could not be measured. */
export type Verdict = 'pass' | 'MISS' | 'info' | 'n/a';

export interface Row {
  readonly section: string;
  readonly figure: string;
  readonly paddock: string;
  readonly anchor: string;
  readonly target: string;
  readonly verdict: Verdict;
}

export interface SectionResult {
  readonly rows: Row[];
  /** Raw facts behind the rows: wrk failure breakdowns, events seen, settings. */
  readonly details: string[];
}

/** Pass when `ok`, MISS otherwise; n/a when the figure is missing. */
export function verdict(ok: boolean | null): Verdict {
  if (ok === null) return 'n/a';
  return ok ? 'pass' : 'MISS';
}

/** Formats a number with a unit and sensible precision; "—" for a missing figure. */
export function fmt(value: number | null | undefined, unit = '', digits?: number): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const d = digits ?? (Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2);
  const text = value.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
  return unit ? `${text} ${unit}` : text;
}

/**
 * The CPU's model name, with its family and model numbers from /proc/cpuinfo: a virtual machine
 * may name only the vendor ("AMD EPYC"), and the ratio to nginx depends on the generation.
 */
export function cpuModel(): string {
  const name = os.cpus()[0]?.model.trim() || 'unknown CPU';
  try {
    const info = readFileSync('/proc/cpuinfo', 'latin1');
    const family = /^cpu family\s*:\s*(\d+)/m.exec(info)?.[1];
    const model = /^model\s*:\s*(\d+)/m.exec(info)?.[1];
    if (family !== undefined && model !== undefined) return `${name} (family ${family}, model ${model}), ${os.cpus().length} cores`;
  } catch {
    // not Linux: the name is all there is
  }
  return `${name}, ${os.cpus().length} cores`;
}

/** The machine, as the header of the results states it. */
export function machineLines(): string[] {
  let kernel = os.release();
  try {
    kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {
    // os.release() is the same figure
  }
  return [
    `- CPU: ${cpuModel()}`,
    `- memory: ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    `- Node: ${process.version}`,
    `- kernel: ${os.type()} ${kernel}`,
  ];
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The rows as one Markdown table. */
export function renderTable(rows: readonly Row[]): string {
  const lines = ['| section | figure | Paddock | anchor (same run) | target | verdict |', '|---|---|---|---|---|---|'];
  for (const r of rows) {
    lines.push(`| ${[r.section, r.figure, r.paddock, r.anchor, r.target, r.verdict].map(cell).join(' | ')} |`);
  }
  return lines.join('\n');
}

/** The whole RESULTS.md: date, machine, settings, table, details per section. */
export function renderResults(input: {
  readonly startedAt: Date;
  /** Load averages at the start and end of the run: other work on the machine skews every figure. */
  readonly load: string;
  readonly seconds: number;
  readonly tools: readonly string[];
  readonly rows: readonly Row[];
  readonly details: ReadonlyArray<{ section: string; lines: readonly string[] }>;
}): string {
  const out = [
    '# Paddock bench results',
    '',
    `Run of \`npm run bench\` on ${input.startedAt.toISOString()}. Every anchor was measured in the same run,`,
    `on the same machine, against the same hello-world worker (\`bench/workers/hello.mjs\`).`,
    'Absolute figures drift between runs and machines; the ratios inside one run are what count.',
    '',
    '## Machine',
    '',
    ...machineLines(),
    `- load average (1, 5, 15 min): ${input.load}`,
    '',
    '## Settings',
    '',
    `- load: \`wrk -t1 -c64 -d${input.seconds}s --latency\` (BENCH_SECONDS=${input.seconds}) unless a row says otherwise`,
    ...input.tools.map((t) => `- ${t}`),
    '',
    '## Figures',
    '',
    renderTable(input.rows),
    '',
    '## Details',
    '',
  ];
  for (const d of input.details) {
    if (d.lines.length === 0) continue;
    out.push(`### ${d.section}`, '', ...d.lines.map((l) => `- ${l}`), '');
  }
  return out.join('\n');
}
