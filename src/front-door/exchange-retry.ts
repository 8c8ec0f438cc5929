/**
 * The retry decision of an HTTP exchange whose worker's side broke before the answer was complete.
 * A worker that dies with the request in hand: a GET/HEAD without a body, of which nothing has
 * reached the client yet, is retried once on another worker; otherwise the client gets a 502 and
 * keeps its connection when the request was read whole (DESIGN §5). A worker that drops the
 * connection but lives on gets the retry itself, on a new connection. A worker that answers with
 * bytes that are not HTTP gets its client a 502 at once: that is an answer, not a death. A request
 * that was in hand at two deaths is the cause, not a victim (a poison request): 502, never a third
 * try.
 *
 * Whether a retry goes to the same worker: a worker that died is excluded, so the retry goes to
 * another worker or waits for the replacement. A worker that lives on dropped the connection (a
 * keep-alive race, or an app that closes without answering) and may take the retry itself:
 * excluding it would leave the request queued for good in a pool of one. A dying worker's exit
 * follows its closed sockets within milliseconds, so one still ready after `verdictMs` is taken to
 * be alive.
 */
import type { LeasedWorker, RefusalReason } from '../pools/lease.ts';

/** How long a worker that closed a connection without answering has to exit before it counts as alive. */
export const verdictMs = 250;

/**
 * What a broken worker side leaves of the request: the client's answer cut off (some of it went
 * out), a retry, a 502 once the worker's fate is known (a poison request?), or a 502 now.
 */
export type FailureCourse = 'cutOff' | 'retry' | 'verdict' | 'giveUp';

export function failureCourse(sentToClient: boolean, retriable: boolean, attempts: number, malformed: boolean, deaths: number): FailureCourse {
  if (sentToClient) return 'cutOff';
  // Safe to repeat and nothing reached the client: try once more.
  if (retriable && attempts < 2 && !malformed) return 'retry';
  // It was retried after a death: if this worker died too, the request is the cause.
  if (deaths > 0 && !malformed) return 'verdict';
  return 'giveUp';
}

/** The worker is known gone (exited, not ready, or hung): the retry need not wait for its verdict. */
export function knownGone(worker: LeasedWorker): boolean {
  return worker.exitFacts !== null || worker.state !== 'ready' || worker.hung;
}

/** The worker the retry leaves out once its verdict is in: none when it is still ready (alive). */
export function excludedAfterVerdict(worker: LeasedWorker): LeasedWorker | null {
  return worker.exitFacts === null && worker.state === 'ready' ? null : worker;
}

/** The refusal counted for a request answered 502 and not tried again. */
export function gaveUpReason(poison: boolean): RefusalReason {
  return poison ? 'PoisonRequest' : 'Connection_Abandoned_By_AppPool';
}

/** What the 502 says of the worker, when not the default ("ended before answering this request"). */
export function gaveUpMessage(poison: boolean, deaths: number, malformed: boolean): string | undefined {
  return poison
    ? `ended before answering this request, as the worker before it did: it was in hand at ${deaths} worker deaths and is not tried again`
    : malformed ? 'answered with a response that is not valid HTTP' : undefined;
}
