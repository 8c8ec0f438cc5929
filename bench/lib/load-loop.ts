/**
 * A small load generator for figures that need to know which worker answered each request and
 * when: `concurrency` loops of keep-alive GETs, each request recorded with its start, end, status
 * and the pid in the answer ("pid N", from the worker's /pid route).
 */
import http from 'node:http';
import { probe, sleep } from './http-probe.ts';

export interface Sample {
  /** performance.now() when sent and answered (or failed). */
  readonly start: number;
  readonly end: number;
  /** HTTP status, or null for a socket error or timeout. */
  readonly status: number | null;
  readonly pid: number | null;
  readonly error: string | null;
}

export interface LoadLoop {
  readonly samples: readonly Sample[];
  /** Stops sending, waits for the requests in flight, and returns every sample. */
  stop(): Promise<Sample[]>;
}

export interface LoadOptions {
  readonly port: number;
  readonly path?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly concurrency?: number;
  /** A request not answered within this counts as failed. */
  readonly timeoutMs?: number;
}

/** Starts the loops; they run until `stop()`. */
export function startLoadLoop(options: LoadOptions): LoadLoop {
  const concurrency = options.concurrency ?? 8;
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const samples: Sample[] = [];
  let running = true;
  const loop = async (): Promise<void> => {
    while (running) {
      const start = performance.now();
      try {
        const r = await probe({ port: options.port, path: options.path ?? '/pid', headers: options.headers, agent, timeoutMs: options.timeoutMs ?? 10_000 });
        const m = /pid (\d+)/.exec(r.body);
        samples.push({ start, end: performance.now(), status: r.status, pid: m ? Number(m[1]) : null, error: null });
      } catch (err) {
        samples.push({ start, end: performance.now(), status: null, pid: null, error: (err as NodeJS.ErrnoException).code ?? (err as Error).message });
        await sleep(5); // a refused connection must not become a busy loop
      }
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  return {
    samples,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return samples;
    },
  };
}

/** Samples that failed: a socket error, a timeout, or a status other than 200. */
export function failedSamples(samples: readonly Sample[]): Sample[] {
  return samples.filter((s) => s.status !== 200);
}
