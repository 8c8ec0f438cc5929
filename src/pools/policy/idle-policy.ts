/**
 * When an idle worker is suspended or shut down (IIS `processModel.idleTimeout`,
 * `idleTimeoutAction`). Pure: the worker's facts and the time come in, a verdict goes out.
 */
import type { ProcessModelConfig, StartMode } from '../../config/types.ts';

/** `suspend` / `terminate`: act on the worker; `keep`: idle, but an AlwaysRunning pool keeps it (IIS applies the idle timeout to OnDemand pools). */
export type IdleVerdict = 'suspend' | 'terminate' | 'keep';

/** The verdict for a ready worker now, or null when it is not idle (or is being recycled already). */
export function idleVerdict(
  pm: ProcessModelConfig,
  startMode: StartMode,
  w: { readonly inFlight: number; readonly lastActivityAt: number },
  recycling: boolean,
  now: number,
): IdleVerdict | null {
  if (pm.idleTimeout <= 0 || w.inFlight !== 0 || recycling || now - w.lastActivityAt < pm.idleTimeout) return null;
  if (pm.idleTimeoutAction === 'Suspend') return 'suspend';
  return startMode === 'AlwaysRunning' ? 'keep' : 'terminate';
}
