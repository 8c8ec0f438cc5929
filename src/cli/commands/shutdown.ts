/**
 * `paddock shutdown`: stops the running host gracefully, as SIGTERM does — the front door stops
 * accepting, every pool drains within its shutdownTimeLimit, then the host exits 0. Waits until the
 * host is gone unless `--no-wait`; exit 3 when no host is running.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { parseDuration } from '../../config/units.ts';
import { CliError, EXIT, type AdminClient } from '../kit/admin-client.ts';
import { clientFor, globals, printJson, println } from '../kit/command-kit.ts';

const POLL_MS = 100;

function duration(value: string): number {
  try {
    return parseDuration(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Resolves once the admin API stops answering and, on this machine, the host's pid has exited. */
async function gone(client: AdminClient, pid: number, timeoutMs: number | undefined): Promise<void> {
  const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
  const local = client.target.kind === 'socket';
  for (;;) {
    let answering = true;
    try {
      await client.call('GET', '/health');
    } catch (err) {
      if (!(err instanceof CliError) || err.exitCode !== EXIT.unreachable) throw err;
      answering = false;
    }
    if (!answering && !(local && alive(pid))) return;
    if (Date.now() > deadline) throw new CliError(EXIT.failed, `the host (pid ${pid}) is still stopping after ${timeoutMs} ms; its pools may be draining long requests`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Registers `shutdown`. */
export function register(program: Command): void {
  program
    .command('shutdown')
    .description('stop the host gracefully (as SIGTERM does): stop accepting, drain every pool, exit')
    .option('--no-wait', 'return as soon as the host has begun to stop')
    .option('--timeout <duration>', 'fail if the host has not exited after this long (default: wait)', duration)
    .action(async (opts: { wait: boolean; timeout?: number }, cmd: Command) => {
      const client = await clientFor(cmd);
      const json = globals(cmd).json === true;
      const { pid } = await client.json<{ stopping: boolean; pid: number }>('POST', '/api/shutdown');
      if (!opts.wait) return json ? printJson({ stopping: true, pid }) : println(`host pid ${pid} is stopping: every pool drains, then it exits`);
      if (!json) process.stderr.write(`paddock: host pid ${pid} is stopping; waiting for its pools to drain\n`);
      await gone(client, pid, opts.timeout);
      if (json) printJson({ stopped: true, pid });
      else println(`host pid ${pid} stopped`);
    });
}
