/**
 * Errors of a configuration file: each names the key path and the line, so that `paddock check`
 * prints them the way compilers do (`file:line:col: path: message`) and editors can jump to them.
 */

/** One thing wrong with the file. */
export interface ConfigError {
  /** Key path, e.g. "pools.web.processModel.pingInterval" or "sites[0].apps[1].pool"; "" for the file. */
  readonly path: string;
  /** 1-based line of the offending key or value; null when the file could not be read. */
  readonly line: number | null;
  /** 1-based column; null when the line is. */
  readonly column: number | null;
  readonly message: string;
  /** Stable code for scripts and tests, e.g. CONFIG_UNKNOWN_KEY, CONFIG_YAML, CONFIG_MISSING_POOL. */
  readonly code: string;
}

/** A key path as the parts of the host produce it: map keys and list indexes. */
export type PathSegment = string | number;

/** A problem found before it is placed on a line: where (as a key path) and what. */
export interface Problem {
  readonly path: readonly PathSegment[];
  /** Point at the key itself (unknown or misnamed keys) rather than at its value. */
  readonly at: 'key' | 'value';
  readonly code: string;
  readonly message: string;
}

/** Joins a key path for people: `["sites", 0, "apps"]` → "sites[0].apps". */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

/** `file:LINE:COL: path: message`, the form compilers use and editors can jump to. */
export function formatConfigError(e: ConfigError, file: string): string {
  const where = e.line === null ? file : `${file}:${e.line}:${e.column ?? 1}`;
  return e.path === '' ? `${where}: ${e.message}` : `${where}: ${e.path}: ${e.message}`;
}
