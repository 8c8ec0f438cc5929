/** Entry point of the `paddock` command (bin/paddock.mjs imports it; `node src/cli/main.ts` runs it). */
import { enableCompileCache } from 'node:module';
import { reexecWithHostFlags } from './kit/host-flags.ts';

// `paddock run` restarts itself once, same pid, with the host's V8 settings (see host-flags.ts).
reexecWithHostFlags();

// Node strips the TypeScript of every source file it loads, and the stripper's memory is never
// given back: caching the stripped and compiled code on disk makes every later start cheaper in
// time and in memory (about 25 MB less RSS for `paddock run`). The modules are loaded after it.
enableCompileCache();
const { runCli } = await import('./program.ts');

// `paddock logs web | head` closes the pipe early: that is the reader's choice, not a failure.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

process.exitCode = await runCli(process.argv);
