/**
 * `paddock crash ID`: one whole crash or hang report — by report id, or the newest report of a
 * bucket by bucket id. People get the error, the stack, the requests in flight and the last output
 * lines; `--json` gives the stored report as it is. With the host down, read from dataDir.
 */
import type { Command } from 'commander';
import type { CrashReport, Frame } from '../../diagnostics/report-types.ts';
import { CliError, EXIT } from '../kit/admin-client.ts';
import { globals, printJson, println, seg } from '../kit/command-kit.ts';
import { NONE, formatDuration, formatTime } from '../kit/format.ts';
import { hostOrDataDir } from '../kit/offline.ts';

function frameLine(f: Frame): string {
  const where = f.file === null ? '' : ` (${f.file}${f.line === null ? '' : `:${f.line}`})`;
  return `    at ${f.function}${where}`;
}

function section(title: string, lines: readonly string[]): string[] {
  return lines.length === 0 ? [] : ['', `${title}:`, ...lines.map((l) => `  ${l}`)];
}

/** The report as text for a terminal. */
export function reportText(r: CrashReport): string {
  const exit = r.exit === null ? null : r.exit.signal ?? `exit code ${r.exit.code}`;
  const out = [
    `${r.kind} report ${r.id}`,
    `  bucket     ${r.bucket}  (${r.signature})`,
    `  time       ${formatTime(r.time)}`,
    `  pool       ${r.pool}, worker ${r.worker}, pid ${r.pid ?? NONE} (${r.runtime}: ${r.command.join(' ')})`,
    ...(exit === null ? [] : [`  exit       ${exit}`]),
    `  uptime     ${formatDuration(r.uptimeMs)}, ${r.requestsServed} requests served`,
    `  error      ${r.error.type}${r.error.message ? `: ${r.error.message}` : ''}`,
    `  stack from ${r.stackSource}${r.armed ? ' (captured by debug --next-crash)' : ''}`,
  ];
  if (r.stack.length > 0) out.push(...r.stack.slice(0, 30).map(frameLine));
  out.push(...section('requests in flight', r.requestsInFlight));
  out.push(...section('requests whose connection broke', r.requestsAbandoned));
  if (r.core !== null) out.push(...section('core', [`${r.core.status}${r.core.path ? ` ${r.core.path}` : ''}${r.core.note ? ` — ${r.core.note}` : ''}`]));
  const others = r.threads.filter((t) => t.frames !== r.stack && t.frames.length > 0);
  if (others.length > 1 || (others.length === 1 && r.stackSource !== 'gdb-attach')) {
    out.push('', `threads (${others.length}):`);
    for (const t of others.slice(0, 16)) {
      out.push(`  thread ${t.id}${t.name ? ` "${t.name}"` : ''}${t.lwp !== null ? ` (LWP ${t.lwp})` : ''}`);
      out.push(...t.frames.slice(0, 8).map(frameLine));
    }
  }
  out.push(...section('notes', r.notes));
  out.push(...section('stderr (last lines)', r.stderrTail.slice(-30)));
  out.push(...section('stdout (last lines)', r.stdoutTail.slice(-10)));
  return out.join('\n');
}

/** Registers `crash`. */
export function register(program: Command): void {
  program
    .command('crash')
    .argument('<id>', 'a report id, or a bucket id for its newest report')
    .description('show one crash or hang report whole: error, stack, requests in flight, last output')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const report = await hostOrDataDir(cmd, (client) => client.json<CrashReport>('GET', `/api/crashes/${seg(id)}`), async (dataDir) => {
        const { CrashStore } = await import('../../diagnostics/crash-store.ts');
        const store = CrashStore.open(dataDir);
        try {
          const found = store.report(id);
          if (found === null) throw new CliError(EXIT.failed, `no crash report or bucket '${id}'`);
          return found;
        } finally {
          store.close();
        }
      });
      if (globals(cmd).json) return printJson(report);
      println(reportText(report));
    });
}
