/**
 * Scheduled recycling (IIS `periodicRestart.schedule`): times of day such as "03:00", or cron
 * expressions, evaluated in the host's local time by croner.
 */
import { Cron } from 'croner';

/** Turns "HH:MM[:SS]" into a cron expression; anything else is taken as cron already. */
export function scheduleToCron(entry: string): string {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(entry.trim());
  if (m === null) return entry;
  return `${Number(m[3] ?? 0)} ${Number(m[2])} ${Number(m[1])} * * *`;
}

/** Calls `fire` at every scheduled time, each delayed by a random part of `jitterMs`. */
export class ScheduleTimer {
  readonly #jobs: Cron[];
  readonly #pending = new Set<NodeJS.Timeout>();

  constructor(entries: readonly string[], jitterMs: number, fire: (at: string) => void) {
    this.#jobs = entries.map((entry) =>
      new Cron(scheduleToCron(entry), { unref: true }, () => {
        const at = new Date().toISOString();
        if (jitterMs <= 0) return fire(at);
        const t = setTimeout(() => {
          this.#pending.delete(t);
          fire(at);
        }, Math.floor(Math.random() * jitterMs));
        t.unref();
        this.#pending.add(t);
      }),
    );
  }

  stop(): void {
    for (const job of this.#jobs) job.stop();
    for (const t of this.#pending) clearTimeout(t);
    this.#pending.clear();
  }
}
