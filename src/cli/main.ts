/** Entry point of the `paddock` command (bin/paddock.mjs imports it; `node src/cli/main.ts` runs it). */
import { runCli } from './program.ts';

// `paddock logs web | head` closes the pipe early: that is the reader's choice, not a failure.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

process.exitCode = await runCli(process.argv);
