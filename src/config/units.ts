/**
 * Units of the configuration file: durations, memory sizes and IIS's CPU limit.
 *
 * Choices (written into docs/configuration.md too):
 * - A duration given as a bare number is milliseconds. IIS stores TimeSpans, which the YAML file
 *   writes as "00:01:30" (IIS's own form) or with a unit ("90s"); a bare number is the smallest
 *   unit so that `0` ("never") needs no unit.
 * - A memory size given as a bare number is kilobytes, as IIS's `memory` and `privateMemory`
 *   attributes are. Every unit is 1024-based, as IIS and the Windows tools that show those
 *   attributes are: KB = KiB = 1024 bytes, MB = MiB = 1024², GB = GiB = 1024³.
 * - A CPU limit is IIS's integer, in 1/1000 of a percent of all CPUs (25000 = 25%), or "25%".
 */
import { PaddockError } from '../paddock-error.ts';

/** A value in the configuration file that cannot be read; `code` is stable for callers. */
export class ConfigValueError extends PaddockError {}

const MS_PER_UNIT: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** .NET TimeSpan text as IIS writes it: `[d.]hh:mm[:ss[.fffffff]]`. */
const TIMESPAN = /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,7}))?)?$/;
const UNIT_PART = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)/gy;

/** Text for an error message that shows the offending value as the file had it. */
export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'object') return Array.isArray(v) ? 'a list' : 'a mapping';
  return String(v);
}

function badDuration(v: unknown): ConfigValueError {
  return new ConfigValueError(
    'CONFIG_BAD_DURATION',
    `invalid duration ${show(v)}: use e.g. "500ms", "90s", "20m", "29h", "1d", "1h30m", ` +
      `IIS's "00:01:30" / "1.05:00:00", or a number of milliseconds`,
  );
}

/**
 * Reads a duration and returns milliseconds: a bare number is milliseconds; strings take units
 * ("500ms", "90s", "20m", "29h", "1d", "1h30m") or IIS's TimeSpan form ("00:01:30", "1.05:00:00").
 * @example parseDuration("00:01:30") // 90000
 */
export function parseDuration(v: unknown): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) throw badDuration(v);
    return Math.round(v);
  }
  if (typeof v !== 'string') throw badDuration(v);
  const text = v.trim().toLowerCase();
  if (text === '') throw badDuration(v);
  if (/^\d+$/.test(text)) return Number(text);

  const span = TIMESPAN.exec(text);
  if (span) {
    const [, days = '0', hh, mm, ss = '0', frac = ''] = span;
    const h = Number(hh), m = Number(mm), s = Number(ss);
    if (h > 23 || m > 59 || s > 59) throw badDuration(v);
    const fracMs = frac === '' ? 0 : Math.round(Number(`0.${frac}`) * 1000);
    return ((Number(days) * 24 + h) * 60 + m) * 60_000 + s * 1000 + fracMs;
  }

  let total = 0;
  let at = 0;
  UNIT_PART.lastIndex = 0;
  for (;;) {
    while (text[at] === ' ') at++;
    if (at === text.length) break;
    UNIT_PART.lastIndex = at;
    const part = UNIT_PART.exec(text);
    if (!part) throw badDuration(v);
    total += Number(part[1]) * MS_PER_UNIT[part[2]];
    at = UNIT_PART.lastIndex;
  }
  return Math.round(total);
}

const BYTES_PER_UNIT: Readonly<Record<string, number>> = {
  b: 1,
  k: 1024, kb: 1024, kib: 1024,
  m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2,
  g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3,
  t: 1024 ** 4, tb: 1024 ** 4, tib: 1024 ** 4,
};

/** What a bare number means: IIS's kilobytes (the default) or bytes (for keys named in bytes). */
export type BareMemoryUnit = 'KB' | 'B';

function badMemory(v: unknown, bare: BareMemoryUnit): ConfigValueError {
  const unit = bare === 'KB' ? 'kilobytes (as in IIS)' : 'bytes';
  return new ConfigValueError(
    'CONFIG_BAD_MEMORY',
    `invalid memory size ${show(v)}: use e.g. "512MB", "1GiB", "100KB", or a number of ${unit}`,
  );
}

/**
 * Reads a memory size and returns bytes. A bare number is kilobytes, as IIS's `memory` and
 * `privateMemory` are (or bytes when `bare` is "B"); units are 1024-based (KB = KiB).
 * @example parseMemory("512MB") // 536870912
 */
export function parseMemory(v: unknown, bare: BareMemoryUnit = 'KB'): number {
  const bareFactor = bare === 'KB' ? 1024 : 1;
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) throw badMemory(v, bare);
    return Math.round(v * bareFactor);
  }
  if (typeof v !== 'string') throw badMemory(v, bare);
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(v.trim());
  if (!m) throw badMemory(v, bare);
  const unit = m[2].toLowerCase();
  const factor = unit === '' ? bareFactor : BYTES_PER_UNIT[unit];
  if (factor === undefined) throw badMemory(v, bare);
  return Math.round(Number(m[1]) * factor);
}

/** IIS's ceiling for `cpu.limit`: 100000 = 100% of all CPUs. */
export const CPU_LIMIT_MAX = 100_000;

function badCpu(v: unknown): ConfigValueError {
  return new ConfigValueError(
    'CONFIG_BAD_CPU_LIMIT',
    `invalid CPU limit ${show(v)}: use a percentage such as "25%", or IIS's integer in 1/1000 ` +
      `of a percent (25000 = 25%), from 0 to ${CPU_LIMIT_MAX}`,
  );
}

/**
 * Reads a CPU limit and returns IIS's unit, 1/1000 of a percent of all CPUs: 25000 or "25%" →
 * 25000. 0 means no limit.
 */
export function parseCpuLimit(v: unknown): number {
  let n: number;
  if (typeof v === 'number') {
    n = v;
  } else if (typeof v === 'string') {
    const text = v.trim();
    const pct = /^(\d+(?:\.\d+)?)\s*%$/.exec(text);
    if (pct) n = Math.round(Number(pct[1]) * 1000);
    else if (/^\d+$/.test(text)) n = Number(text);
    else throw badCpu(v);
  } else {
    throw badCpu(v);
  }
  if (!Number.isInteger(n) || n < 0 || n > CPU_LIMIT_MAX) throw badCpu(v);
  return n;
}
