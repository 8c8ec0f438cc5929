/**
 * What every command file uses: the global options, the admin client, output, and argument
 * parsers whose failures are usage errors (exit 2). A command is a file that exports
 * `register(program)`; `commands/index.ts` lists them.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { AdminClient } from './admin-client.ts';
import { resolveTarget, type GlobalOptions } from './target.ts';

/** A command file's one export. */
export type RegisterCommand = (program: Command) => void;

/** The global options as seen from inside a command's action. */
export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

/** An admin client for the host the command's options point at. */
export async function clientFor(cmd: Command): Promise<AdminClient> {
  return new AdminClient(await resolveTarget(globals(cmd)));
}

/** Writes a line (or lines) to stdout. */
export function println(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}

/** Prints a value as the API gave it, indented like the API's own responses. */
export function printJson(value: unknown): void {
  println(JSON.stringify(value, null, 2));
}

/** Commander parser for a whole number of at least `min` (`--limit`, `--lines`, `--id`). */
export function wholeNumber(min: number): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value) || Number(value) < min) throw new InvalidArgumentError(`expected a whole number of at least ${min}`);
    return Number(value);
  };
}

/** `/path` with the query parameters that are set (undefined and false ones are left out). */
export function withQuery(path: string, query: Record<string, string | number | boolean | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === false) continue;
    params.set(k, v === true ? '1' : String(v));
  }
  const q = params.toString();
  return q ? `${path}?${q}` : path;
}

/** A path segment for a pool name (names are `[A-Za-z0-9_.-]+`, but the API decodes either way). */
export function seg(name: string): string {
  return encodeURIComponent(name);
}
