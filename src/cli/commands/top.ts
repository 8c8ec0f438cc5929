/**
 * `paddock top`: a live view of pools and workers — requests/s, p99, errors, memory, CPU, state —
 * redrawn in place every `--interval` (the `pm2 monit` of Paddock). On a terminal it uses the
 * alternate screen and leaves the shell as it was on q, Ctrl-C or SIGTERM; piped, it prints
 * frames one after another (`--once` prints one and exits).
 */
import type { Command } from 'commander';
import type { PoolSnapshot } from '../../admin/host-control.ts';
import type { HistorySnapshot } from '../../admin/observe/history.ts';
import type { AdminClient } from '../kit/admin-client.ts';
import { clientFor, println, wholeNumber } from '../kit/command-kit.ts';
import { topFrame, type TopReading } from '../kit/top-view.ts';

const ALT_SCREEN_ON = '\x1b[?1049h\x1b[?25l';
const ALT_SCREEN_OFF = '\x1b[?25h\x1b[?1049l';
/** Cursor home; each line clears its rest; the screen below the frame is cleared. */
const HOME = '\x1b[H';
const CLEAR_LINE = '\x1b[K';
const CLEAR_BELOW = '\x1b[J';

async function read(client: AdminClient): Promise<TopReading> {
  const [pools, history] = await Promise.all([
    client.json<PoolSnapshot[]>('GET', '/api/pools'),
    client.json<HistorySnapshot>('GET', '/api/history'),
  ]);
  return { at: Date.now(), pools, history };
}

/** Registers `top`. */
export function register(program: Command): void {
  program
    .command('top')
    .description('a live view of pools and workers: requests/s, p99, memory, CPU, state')
    .option('-i, --interval <ms>', 'refresh every this many milliseconds (default 1000)', wholeNumber(100))
    .option('--once', 'print one frame and exit')
    .action(async (opts: { interval?: number; once?: boolean }, cmd: Command) => {
      const client = await clientFor(cmd);
      const interval = opts.interval ?? 1000;
      const tty = process.stdout.isTTY === true && opts.once !== true;
      let previous: TopReading | null = null;
      if (opts.once) {
        // Two readings a moment apart, so the rates have something to compare.
        previous = await read(client);
        await new Promise((r) => setTimeout(r, Math.min(interval, 1000)));
        println(topFrame(await read(client), previous, client.describe()).join('\n'));
        return;
      }
      let stop = false;
      let wake: (() => void) | null = null;
      const quit = (): void => {
        stop = true;
        wake?.();
      };
      const restore = (): void => {
        if (tty) process.stdout.write(ALT_SCREEN_OFF);
        if (process.stdin.isTTY) process.stdin.setRawMode(false);
        process.stdin.pause();
      };
      process.once('SIGINT', quit);
      process.once('SIGTERM', quit);
      if (process.stdin.isTTY) {
        process.stdin.setRawMode(true);
        process.stdin.resume();
        process.stdin.on('data', (key: Buffer) => {
          // q, Q, Ctrl-C (raw mode turns it into a byte), Esc
          if ([0x71, 0x51, 0x03, 0x1b].includes(key[0])) quit();
        });
      }
      if (tty) process.stdout.write(ALT_SCREEN_ON);
      try {
        while (!stop) {
          const now = await read(client);
          const lines = topFrame(now, previous, client.describe());
          previous = now;
          if (tty) process.stdout.write(HOME + lines.map((l) => l + CLEAR_LINE).join('\n') + '\n' + CLEAR_BELOW);
          else println(lines.join('\n') + '\n');
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, interval);
          });
        }
      } finally {
        restore();
      }
    });
}
