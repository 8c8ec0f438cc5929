/**
 * Runs an operator's action (orphanAction, autoShutdownAction): argv, no shell, bounded in time
 * and in captured output, never throwing.
 */
import { spawn } from 'node:child_process';

export interface ActionResult {
  readonly code: number | null;
  /** stdout and stderr, at most 8 KiB. */
  readonly output: string;
  readonly error: string | null;
}

const maxOutput = 8 * 1024;

/** Runs `argv` in `cwd`; kills it after `timeoutMs` (the pool's orphanActionTimeLimit or autoShutdownActionTimeLimit). */
export function runAction(argv: readonly string[], cwd: string, timeoutMs: number): Promise<ActionResult> {
  return new Promise((resolve) => {
    let output = '';
    const keep = (chunk: Buffer): void => {
      if (output.length < maxOutput) output += chunk.toString('utf8').slice(0, maxOutput - output.length);
    };
    let child;
    try {
      child = spawn(argv[0], argv.slice(1), { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      resolve({ code: null, output: '', error: (err as Error).message });
      return;
    }
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    timer.unref();
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, output, error: err.message });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, output, error: signal === 'SIGKILL' && timedOut ? `killed after its time limit of ${timeoutMs} ms` : signal ? `killed by ${signal}` : null });
    });
  });
}
