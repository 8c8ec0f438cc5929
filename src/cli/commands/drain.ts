/**
 * `paddock drain`: takes the host out of its load balancers' rotation for maintenance. Every
 * pool's readiness (`/health/pools/:name`) answers 503 `draining`, the host keeps serving what
 * still arrives with `Connection: close`, and it exits once quiet for `drain.idleTime` or at the
 * deadline (`drain.timeLimit`, or `--time-limit`). `--wait` returns only once the host has exited
 * (a Kubernetes preStop hook); `--cancel` puts the host back in rotation.
 */
import type { Command } from 'commander';
import type { DrainSnapshot } from '../../admin/drain-control.ts';
import { CliError, EXIT, type AdminClient } from '../kit/admin-client.ts';
import { clientFor, globals, printJson, println, withQuery } from '../kit/command-kit.ts';
import { formatTime } from '../kit/format.ts';

interface DrainOptions {
  readonly cancel?: boolean;
  readonly wait?: boolean;
  readonly timeLimit?: string;
}

/** How often `--wait` asks whether the host is still there. */
const POLL_MS = 250;

function describe(s: DrainSnapshot): string {
  if (s.state === 'serving') return 'host: serving (in rotation)';
  if (s.state === 'stopping') return `host: stopping (${s.end === 'idle' ? 'drained: quiet' : 'drain deadline reached'})`;
  return `host: draining since ${formatTime(s.startedAt!)}; readiness is 503 for every pool; ${s.busy} request(s) busy; ` +
    `exits once quiet for ${s.idleTime / 1000} s, at the latest at ${formatTime(s.deadline!)}`;
}

/** Polls until the host no longer answers; prints each change of state. Resolves with the last snapshot seen. */
async function waitForExit(client: AdminClient, first: DrainSnapshot, quiet: boolean): Promise<DrainSnapshot> {
  let last = first;
  for (;;) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    let now: DrainSnapshot;
    try {
      now = await client.json<DrainSnapshot>('GET', '/api/drain');
    } catch (err) {
      if (err instanceof CliError && err.exitCode === EXIT.unreachable) return last; // gone: done
      throw err;
    }
    if (now.state === 'serving') throw new CliError(EXIT.failed, 'the drain was cancelled; the host is serving');
    if (!quiet && now.state !== last.state) println(describe(now));
    last = now;
  }
}

/** Registers `drain`. */
export function register(program: Command): void {
  program
    .command('drain')
    .description('take the host out of rotation: readiness 503 for every pool, serve what still arrives, exit once quiet')
    .option('--time-limit <duration>', 'exit at the latest this long after the drain began (default drain.timeLimit)')
    .option('--wait', 'return only once the host has exited (e.g. a Kubernetes preStop hook)')
    .option('--cancel', 'put the host back in rotation')
    .action(async (opts: DrainOptions, cmd: Command) => {
      if (opts.cancel && (opts.wait || opts.timeLimit !== undefined)) throw new CliError(EXIT.usage, '--cancel takes neither --wait nor --time-limit');
      const json = globals(cmd).json === true;
      const client = await clientFor(cmd);
      if (opts.cancel) {
        const before = await client.json<DrainSnapshot>('GET', '/api/drain');
        const s = await client.json<DrainSnapshot>('POST', '/api/drain/cancel');
        if (json) return printJson(s);
        return println(before.state === 'serving' ? 'host: was not draining; serving' : 'host: drain cancelled; back in rotation');
      }
      const s = await client.json<DrainSnapshot>('POST', withQuery('/api/drain', { timeLimit: opts.timeLimit }));
      if (json) printJson(s);
      else println(describe(s));
      if (!opts.wait) return;
      const last = await waitForExit(client, s, json);
      if (!json) println(`host: exited${last.end ? ` (${last.end === 'idle' ? 'drained' : 'at the drain deadline'})` : ''}`);
    });
}
