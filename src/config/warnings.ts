/**
 * Settings that are valid but probably not what the operator meant: `paddock check` prints them
 * and exits 0; `paddock run` prints them and starts anyway.
 */
import { formatPath } from './config-error.ts';
import { startsNode } from './runtime-of.ts';
import type { HostConfig } from './types.ts';

export interface ConfigWarning {
  /** Key path, as errors name it: `pools.py.runtime`. */
  readonly path: string;
  readonly code: string;
  readonly message: string;
}

/** Every warning of a loaded configuration, in pool order. */
export function configWarnings(config: HostConfig): ConfigWarning[] {
  const out: ConfigWarning[] = [];
  for (const pool of Object.values(config.pools)) {
    if (pool.runtime === 'node' && !startsNode(pool.command)) {
      out.push({
        path: formatPath(['pools', pool.name, 'runtime']),
        code: 'CONFIG_NODE_RUNTIME_NOT_NODE',
        message: `runtime: node, but the command (${pool.command[0] ?? 'none'}) does not look like Node: the host injects the ` +
          'Node SDK through NODE_OPTIONS and sends SIGUSR1 to a hung worker for its stacks, which kills most other ' +
          'programs; use runtime: generic unless the command does start Node',
      });
    }
  }
  return out;
}

/** One warning as a line: `file: warning: path: message`. */
export function formatConfigWarning(w: ConfigWarning, file: string): string {
  return `${file}: warning: ${w.path}: ${w.message}`;
}
