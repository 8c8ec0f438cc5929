/**
 * `paddock start|stop|recycle NAME`: the administrator's commands on a pool (IIS events 5060,
 * 5059 and 5079). Each returns once the host has carried the command out.
 */
import type { Command } from 'commander';
import type { PoolSnapshot } from '../../admin/host-control.ts';
import { clientFor, globals, printJson, println, seg } from '../kit/command-kit.ts';
import { poolStateText } from '../kit/pool-view.ts';

const ACTIONS = [
  { verb: 'start', description: 'start a stopped pool (also after rapid-fail protection stopped it)' },
  { verb: 'stop', description: 'stop a pool: its workers drain and new requests are refused' },
  { verb: 'recycle', description: 'replace every worker of a pool (overlapping unless configured otherwise)' },
] as const;

/** Registers `start`, `stop` and `recycle`. */
export function register(program: Command): void {
  for (const action of ACTIONS) {
    program
      .command(action.verb)
      .argument('<name>', 'pool name')
      .description(action.description)
      .action(async (name: string, _opts: unknown, cmd: Command) => {
        const client = await clientFor(cmd);
        const pool = await client.json<PoolSnapshot>('POST', `/api/pools/${seg(name)}/${action.verb}`);
        if (globals(cmd).json) return printJson(pool);
        const ready = pool.workers.filter((w) => w.state === 'ready').length;
        println(`pool ${pool.name}: ${poolStateText(pool)}; ${ready} of ${pool.maxProcesses} workers ready`);
      });
  }
}
