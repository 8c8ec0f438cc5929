/**
 * `paddock debug POOL --next-crash`: DebugDiag's crash rule — full capture (Node reports, cores
 * symbolised with gdb and kept) for the pool's running and next workers until one crash is caught,
 * then back to the pool's own settings. `--off` disarms without waiting for a crash.
 */
import type { Command } from 'commander';
import type { NextCrashState } from '../../diagnostics/report-types.ts';
import { CliError, EXIT } from '../kit/admin-client.ts';
import { clientFor, globals, printJson, println, seg } from '../kit/command-kit.ts';

/** Registers `debug`. */
export function register(program: Command): void {
  program
    .command('debug')
    .argument('<pool>', 'pool name')
    .description('capture the next crash of a pool in full, cores included, then stop capturing')
    .option('--next-crash', 'arm full capture until the next crash is caught')
    .option('--off', 'disarm')
    .action(async (pool: string, opts: { nextCrash?: boolean; off?: boolean }, cmd: Command) => {
      if (!opts.nextCrash && !opts.off) throw new CliError(EXIT.usage, 'say what to capture: paddock debug POOL --next-crash (or --off)');
      const client = await clientFor(cmd);
      const state = await client.json<NextCrashState>('POST', `/api/pools/${seg(pool)}/debug?nextCrash=${opts.off ? 'off' : 'on'}`);
      if (globals(cmd).json) return printJson(state);
      if (!state.armed) return println(`pool ${state.pool}: next-crash capture is off`);
      const raised = state.workers.filter((w) => w.coreLimitRaised).length;
      println(`pool ${state.pool}: armed for the next crash; core limit raised for ${raised} of ${state.workers.length} running workers, and for every new worker.`);
      for (const w of state.workers) if (w.note) println(`  pid ${w.pid}: ${w.note}`);
      if (state.note) println(`  ${state.note}`);
      println('  `paddock crashes --pool ' + state.pool + '` shows the report once it is caught.');
    });
}
