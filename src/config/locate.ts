/**
 * Maps a key path ("pools.web.processModel.pingInterval") back to its line and column in the YAML
 * source, so that every error, from the schema or from a cross-check, points at the file.
 */
import { isAlias, isMap, isScalar, isSeq } from 'yaml';
import type { Document, LineCounter } from 'yaml';
import type { PathSegment } from './config-error.ts';

/** A 1-based place in the source. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

function startOf(node: unknown): number | null {
  const range = (node as { range?: readonly number[] } | null)?.range;
  return range ? range[0] : null;
}

/**
 * The position of `path` in `doc`. `at: "key"` points at the last key itself (for unknown keys);
 * otherwise a scalar value is pointed at directly and a mapping or list at the key that holds it.
 * A path that goes further than the file (a missing key) points at the deepest key that exists.
 */
export function locate(
  doc: Document,
  lineCounter: LineCounter,
  path: readonly PathSegment[],
  at: 'key' | 'value' = 'value',
): Position | null {
  let node: unknown = doc.contents;
  let offset = startOf(node);
  const done = (o: number | null): Position | null => {
    if (o === null) return null;
    const { line, col } = lineCounter.linePos(o);
    return { line, column: col };
  };

  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === String(seg));
      if (!pair) return done(offset);
      const keyOffset = startOf(pair.key);
      if (keyOffset !== null) offset = keyOffset;
      if (i === path.length - 1 && at === 'key') return done(offset);
      node = pair.value;
      if (node === null || node === undefined) return done(offset);
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (item === undefined) return done(offset);
      node = item;
      offset = startOf(item) ?? offset;
    } else {
      return done(offset);
    }
  }
  if (isAlias(node)) return done(startOf(node) ?? offset);
  if (isScalar(node)) {
    // `key:` with nothing after it is an empty null scalar placed after the colon: point at the key.
    const empty = node.range != null && node.range[0] === node.range[1];
    return done(empty ? offset : (startOf(node) ?? offset));
  }
  return done(offset);
}

/** The position of a character offset (for YAML's own errors). */
export function positionOf(lineCounter: LineCounter, offset: number): Position {
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}
