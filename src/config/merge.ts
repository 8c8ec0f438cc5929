/**
 * Inheritance of pool settings: IIS applies `applicationPoolDefaults` to every pool, and a pool's
 * own attribute wins. Nested sections (processModel, recycling.periodicRestart, env, ...) merge key
 * by key; lists (command, schedule, orphanAction) are replaced whole, as IIS replaces a collection
 * that a pool redefines with `<clear/>`.
 */

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Deep-merges `layers` over `base`, later layers winning: objects merge key by key, arrays and
 * scalars (null included) replace, and undefined leaves the value below. Inputs are not changed.
 */
export function deepMerge<T>(base: T, ...layers: readonly unknown[]): T {
  let out: unknown = base;
  for (const layer of layers) out = mergeTwo(out, layer);
  return out as T;
}

function mergeTwo(below: unknown, above: unknown): unknown {
  if (above === undefined) return below;
  if (!isPlainObject(above) || !isPlainObject(below)) return above;
  const out: Record<string, unknown> = { ...below };
  for (const [key, value] of Object.entries(above)) out[key] = mergeTwo(below[key], value);
  return out;
}
