/**
 * Continuous GET load through a balancer, every answer recorded with its wall-clock time and the
 * pid that served it ("… pid N" in the fixtures' answers), so a scenario can ask who served what
 * after a given event and which requests failed, and how.
 */
import { Agent, request } from 'node:http';

/** One request's outcome. `at` is Date.now() when it ended, comparable with event times. */
export interface Answer {
  readonly at: number;
  /** "200", "503", or the socket error's code ("ECONNRESET", …). */
  readonly outcome: string;
  readonly pid: number | null;
}

export interface TimedLoad {
  readonly answers: readonly Answer[];
  stop(): Promise<TimedLoadResult>;
}

export interface TimedLoadResult {
  readonly answers: readonly Answer[];
  readonly ok: number;
  readonly failed: number;
  /** Counts by outcome. */
  readonly outcomes: Readonly<Record<string, number>>;
}

export interface TimedLoadOptions {
  readonly port: number;
  readonly path: string;
  /** Keep-alive connections. Default 3. */
  readonly concurrency?: number;
  /** Rest after each answer, so the load is steady rather than flat out on a shared machine. Default 5 ms. */
  readonly paceMs?: number;
  readonly timeoutMs?: number;
}

function once(agent: Agent, o: TimedLoadOptions): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port: o.port, path: o.path, agent, timeout: o.timeoutMs ?? 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        const pid = /pid (\d+)/.exec(body);
        resolve({ at: Date.now(), outcome: String(res.statusCode), pid: pid ? Number(pid[1]) : null });
      });
      res.on('error', (err: NodeJS.ErrnoException) => resolve({ at: Date.now(), outcome: err.code ?? 'error', pid: null }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'TIMEOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ at: Date.now(), outcome: err.code ?? err.message, pid: null }));
    req.end();
  });
}

/** Summarises answers: ok, failed and counts by outcome. */
export function summarise(answers: readonly Answer[]): TimedLoadResult {
  const outcomes: Record<string, number> = {};
  for (const a of answers) outcomes[a.outcome] = (outcomes[a.outcome] ?? 0) + 1;
  const ok = outcomes['200'] ?? 0;
  return { answers, ok, failed: answers.length - ok, outcomes };
}

/** Starts `concurrency` loops of keep-alive GETs of `path` until stop(). */
export function timedLoad(options: TimedLoadOptions): TimedLoad {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency ?? 3 });
  const answers: Answer[] = [];
  let running = true;
  const pace = options.paceMs ?? 5;
  const loops = Array.from({ length: options.concurrency ?? 3 }, async () => {
    while (running) {
      answers.push(await once(agent, options));
      if (pace > 0) await new Promise((r) => setTimeout(r, pace));
    }
  });
  let stopped: Promise<TimedLoadResult> | null = null;
  return {
    answers,
    stop: () => {
      stopped ??= (async () => {
        running = false;
        await Promise.all(loops);
        agent.destroy();
        return summarise(answers);
      })();
      return stopped;
    },
  };
}
