/**
 * The one base of Paddock's errors (STYLE.md habit 5; undici's `UND_ERR_*` codes, Passenger's spawn
 * journey): a stable `code` that programs and tests match on, and the `step` that failed — the
 * words a person needs at 3 a.m. ("open events.db", "resolve the pool's identity"). Only the front
 * door and the admin API turn these into HTTP statuses; the CLI turns them into exit codes.
 */
export interface PaddockErrorOptions {
  /** The step that failed, in words ("open events.db"). */
  readonly step?: string;
  readonly cause?: unknown;
}

/** An error with a stable code and, where one applies, the step that failed. */
export class PaddockError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly step: string | null;

  constructor(code: Code, message: string, options: PaddockErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.step = options.step ?? null;
  }
}

/** `code` of any error: a PaddockError's own, Node's `ERR_*`/errno code, or null. */
export function errorCode(err: unknown): string | null {
  if (err instanceof PaddockError) return err.code;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : null;
}
