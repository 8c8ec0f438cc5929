/** `paddock logs POOL`: the last lines of a pool's worker output, and with `--follow` new ones. */
import type { Command } from 'commander';
import { clientFor, println, seg, wholeNumber, withQuery } from '../command-kit.ts';

/** Registers `logs`. */
export function register(program: Command): void {
  program
    .command('logs')
    .argument('<pool>', 'pool name')
    .description("print a pool's log (its workers' stdout and stderr)")
    .option('-n, --lines <n>', 'lines of backlog (default 100)', wholeNumber(0))
    .option('-f, --follow', 'keep printing new lines as the workers write them')
    .action(async (pool: string, opts: { lines?: number; follow?: boolean }, cmd: Command) => {
      const path = withQuery(`/api/logs/${seg(pool)}`, { lines: opts.lines, follow: opts.follow === true });
      const client = await clientFor(cmd);
      for await (const line of client.lines(path, 'text/plain')) println(line);
    });
}
