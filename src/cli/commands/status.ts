/** `paddock status`: is the host up, and one line per pool. */
import type { Command } from 'commander';
import type { IsolationReport, PoolSnapshot } from '../../admin/host-control.ts';
import { clientFor, globals, printJson, println } from '../kit/command-kit.ts';
import { formatAge, formatTime } from '../kit/format.ts';
import { poolsTable } from '../kit/pool-view.ts';

interface Health {
  readonly status: string;
  readonly startedAt: string;
  readonly pid?: number;
  readonly draining?: boolean;
}

/** Registers `status`. */
export function register(program: Command): void {
  program
    .command('status')
    .description('host health and one line per pool')
    .action(async (_opts: unknown, cmd: Command) => {
      const client = await clientFor(cmd);
      const health = await client.json<Health>('GET', '/health');
      const pools = await client.json<PoolSnapshot[]>('GET', '/api/pools');
      const isolation = await client.json<IsolationReport>('GET', '/api/isolation');
      if (globals(cmd).json) return printJson({ health, pools, isolation });
      const pid = health.pid === undefined ? '' : `, pid ${health.pid}`;
      const draining = health.draining ? ', draining (out of rotation: `paddock drain --cancel` puts it back)' : '';
      println(`host: ${health.status}${pid}${draining}, up ${formatAge(health.startedAt)} (since ${formatTime(health.startedAt)}), admin ${client.describe()}`);
      println(isolationLine(isolation));
      println('');
      println(poolsTable(pools));
    });
}

/** One line on how workers are isolated: in cgroups (where), or not and why. */
export function isolationLine(r: IsolationReport): string {
  if (r.enabled) return `isolation: cgroups (${r.description}), a cgroup per worker under ${r.root.join(', ')}`;
  return `isolation: no cgroups (${r.reason}); workers run in process groups only`;
}
