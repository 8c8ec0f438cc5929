/**
 * The `runtime` a pool gets when its config says none: `node` for a command that starts Node
 * (`node`, `nodejs`, `npm`, `npx`, or a `.js`/`.mjs`/`.cjs` file), `generic` for anything else.
 * `runtime: node` injects the worker SDK through NODE_OPTIONS and sends a hung worker SIGUSR1 to
 * take its stacks; most other programs die of SIGUSR1, so a Python or PHP pool left on `node`
 * turned one hang into several failures.
 */
import { basename } from 'node:path';
import type { Runtime } from './types.ts';

const NODE_PROGRAMS: ReadonlySet<string> = new Set(['node', 'nodejs', 'npm', 'npx']);

/** Whether `command` (argv) starts Node. */
export function startsNode(command: readonly string[]): boolean {
  const first = command[0];
  if (first === undefined) return false;
  return NODE_PROGRAMS.has(basename(first)) || /\.[cm]?js$/.test(first);
}

/** The runtime a command implies. */
export function runtimeOf(command: readonly string[]): Runtime {
  return startsNode(command) ? 'node' : 'generic';
}
