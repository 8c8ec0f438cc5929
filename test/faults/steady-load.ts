/**
 * Steady GET load for fault scenarios: keep-alive loops that count every outcome by name ("200",
 * "502", "503 AppOffline", "ECONNRESET", …) until stopped, so a scenario can say exactly which
 * failures it expects.
 */
import { Agent } from 'node:http';
import { get } from '../helpers/test-host.ts';

/** Outcomes of a steady load: counts by outcome ("200", "502", "503 AppOffline", "ECONNRESET", …). */
export interface LoadResult {
  readonly ok: number;
  readonly failed: number;
  readonly outcomes: Readonly<Record<string, number>>;
  /** The first few failures, in full. */
  readonly failures: readonly string[];
}

export interface RunningLoad {
  /** Counts so far. */
  snapshot(): LoadResult;
  stop(): Promise<LoadResult>;
}

export interface LoadOptions {
  /** Keep-alive loops. Default 2. */
  readonly concurrency?: number;
  /** A loop rests this long after a failure, so a refusing pool is not hammered. Default 20 ms. */
  readonly restAfterFailureMs?: number;
  /** A loop rests this long after every request: continuous, but not flat out. Default 0. */
  readonly paceMs?: number;
  readonly timeoutMs?: number;
}

/** The outcome name of one answer: the status, plus the front door's reason for a 503. */
function outcomeOf(status: number, body: string): string {
  if (status !== 503) return String(status);
  const reason = /\((\w+)\)\.?\s*$/.exec(body.trim())?.[1];
  return reason ? `503 ${reason}` : '503';
}

/** Continuous GETs of `url` on `concurrency` keep-alive connections until stop(). */
export function steadyLoad(url: string, options: LoadOptions = {}): RunningLoad {
  const concurrency = options.concurrency ?? 2;
  const rest = options.restAfterFailureMs ?? 20;
  const pace = options.paceMs ?? 0;
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const outcomes: Record<string, number> = {};
  const failures: string[] = [];
  let ok = 0;
  let failed = 0;
  let running = true;
  const count = (outcome: string, detail: string): void => {
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    if (outcome === '200') {
      ok++;
      return;
    }
    failed++;
    if (failures.length < 10) failures.push(detail);
  };
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      let good = false;
      try {
        const r = await get(url, { agent, timeoutMs: options.timeoutMs ?? 15_000 });
        count(outcomeOf(r.status, r.body), `${r.status} ${r.body.slice(0, 120).trim()}`);
        good = r.status === 200;
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        count(e.code ?? 'error', e.message);
      }
      const pause = good ? pace : Math.max(rest, pace);
      if (pause > 0 && running) await new Promise((r) => setTimeout(r, pause));
    }
  });
  const snapshot = (): LoadResult => ({ ok, failed, outcomes: { ...outcomes }, failures: [...failures] });
  let stopped: Promise<LoadResult> | null = null;
  return {
    snapshot,
    stop: () => {
      stopped ??= (async () => {
        running = false;
        await Promise.all(loops);
        agent.destroy();
        return snapshot();
      })();
      return stopped;
    },
  };
}

/** Formats a load result for an assertion message. */
export function describeLoad(r: LoadResult): string {
  return `${r.ok} ok, ${r.failed} failed ${JSON.stringify(r.outcomes)}${r.failures.length ? `: ${r.failures.join(' | ')}` : ''}`;
}
