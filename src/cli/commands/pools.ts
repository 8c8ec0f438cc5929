/** `paddock pools` and `paddock pool NAME`: the pools' snapshots. */
import type { Command } from 'commander';
import type { PoolSnapshot } from '../../admin/host-control.ts';
import { clientFor, globals, printJson, println, seg } from '../kit/command-kit.ts';
import { poolDetail, poolsTable } from '../kit/pool-view.ts';

/** Registers `pools` and `pool`. */
export function register(program: Command): void {
  program
    .command('pools')
    .description('list the pools')
    .action(async (_opts: unknown, cmd: Command) => {
      const client = await clientFor(cmd);
      const pools = await client.json<PoolSnapshot[]>('GET', '/api/pools');
      if (globals(cmd).json) printJson(pools);
      else println(poolsTable(pools));
    });

  program
    .command('pool')
    .argument('<name>', 'pool name')
    .description('one pool in detail, with its workers')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const client = await clientFor(cmd);
      const pool = await client.json<PoolSnapshot>('GET', `/api/pools/${seg(name)}`);
      if (globals(cmd).json) printJson(pool);
      else println(poolDetail(pool));
    });
}
