/**
 * Readable output for people: aligned tables, sizes, ages and times. `--json` bypasses all of it
 * and prints the API's JSON as it is.
 */

export interface Column {
  readonly title: string;
  /** Numbers read better right-aligned. Default left. */
  readonly align?: 'left' | 'right';
}

function layoutRow(columns: readonly Column[], widths: readonly number[], cells: readonly string[]): string {
  return cells
    .map((cell, i) => {
      if (columns[i]?.align === 'right') return cell.padStart(widths[i]);
      return i === columns.length - 1 ? cell : cell.padEnd(widths[i]);
    })
    .join('  ')
    .trimEnd();
}

function widthsOf(columns: readonly Column[], rows: readonly (readonly string[])[]): number[] {
  return columns.map((c, i) => Math.max(c.title.length, ...rows.map((r) => (r[i] ?? '').length)));
}

/**
 * Lays out rows under column titles, two spaces apart; the last column is not padded, so a long
 * message runs on instead of pushing every line wide.
 * @example table([{ title: 'POOL' }, { title: 'STATE' }], [['web', 'started']])
 */
export function table(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = widthsOf(columns, rows);
  return [layoutRow(columns, widths, columns.map((c) => c.title)), ...rows.map((r) => layoutRow(columns, widths, r))].join('\n');
}

/** "-" for an unknown value; shared so every table shows missing figures alike. */
export const NONE = '-';

/** Bytes in 1024-based units, as the config's memory sizes are: "512.0 MiB". */
export function formatBytes(bytes: number | null): string {
  if (bytes === null) return NONE;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** A duration as its two largest units: "3d 4h", "2h 5m", "45s". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${sec}s`;
  return `${sec}s`;
}

/** How long ago an ISO time was, from `nowMs`. */
export function formatAge(iso: string, nowMs: number = Date.now()): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? NONE : formatDuration(nowMs - t);
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** An ISO time in the local time zone, to the second: "2025-01-31 10:04:05". */
export function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** CPU time in seconds, one decimal: "12.3s". */
export function formatCpu(seconds: number | null): string {
  return seconds === null ? NONE : `${seconds.toFixed(1)}s`;
}

/** "yes" / "no", for boolean columns. */
export function yesNo(v: boolean): string {
  return v ? 'yes' : 'no';
}

/**
 * A table printed a row at a time (for `--follow`): columns start at the widths of the rows seen
 * so far and only grow, so a stream stays aligned without knowing its rows in advance.
 */
export class StreamTable {
  readonly #columns: readonly Column[];
  readonly #widths: number[];
  constructor(columns: readonly Column[], rows: readonly (readonly string[])[] = []) {
    this.#columns = columns;
    this.#widths = widthsOf(columns, rows);
  }

  /** The title line. */
  header(): string {
    return this.row(this.#columns.map((c) => c.title));
  }

  /** One row, padded to the widths so far. */
  row(cells: readonly string[]): string {
    cells.forEach((cell, i) => { this.#widths[i] = Math.max(this.#widths[i] ?? 0, cell.length); });
    return layoutRow(this.#columns, this.#widths, cells);
  }
}
