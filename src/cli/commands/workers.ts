/** `paddock workers [POOL]`: every worker process, or those of one pool. */
import type { Command } from 'commander';
import type { WorkerSnapshot } from '../../admin/host-control.ts';
import { clientFor, globals, printJson, println, withQuery } from '../kit/command-kit.ts';
import { workersTable } from '../kit/pool-view.ts';

/** Registers `workers`. */
export function register(program: Command): void {
  program
    .command('workers')
    .argument('[pool]', 'only the workers of this pool')
    .description('list worker processes: pid, state, health, requests, memory, CPU')
    .action(async (pool: string | undefined, _opts: unknown, cmd: Command) => {
      const client = await clientFor(cmd);
      const workers = await client.json<WorkerSnapshot[]>('GET', withQuery('/api/workers', { pool }));
      if (globals(cmd).json) printJson(workers);
      else println(workersTable(workers, pool === undefined));
    });
}
