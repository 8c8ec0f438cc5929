/** `paddock reload`: the host re-reads its configuration file and applies the difference (DESIGN §3). */
import type { Command } from 'commander';
import type { ReloadResult } from '../../admin/host-control.ts';
import { apiError, CliError, EXIT } from '../kit/admin-client.ts';
import { clientFor, globals, printJson, println } from '../kit/command-kit.ts';

function list(names: readonly string[]): string {
  return names.length ? names.join(', ') : 'none';
}

/** Registers `reload`. */
export function register(program: Command): void {
  program
    .command('reload')
    .description('re-read the configuration: new pools start, removed pools drain, changed pools recycle')
    .action(async (_opts: unknown, cmd: Command) => {
      const client = await clientFor(cmd);
      const { status, body } = await client.call<ReloadResult>('POST', '/api/reload');
      if (status !== 200 && status !== 400) throw apiError(status, body);
      if (globals(cmd).json) printJson(body);
      if (!body.ok) {
        if (!globals(cmd).json) for (const e of body.errors) process.stderr.write(e + '\n');
        throw new CliError(EXIT.failed, 'the configuration was not reloaded; the running one stays');
      }
      if (globals(cmd).json) return;
      if (body.added.length + body.removed.length + body.changed.length === 0) println('reloaded: no pool changed');
      else println(`reloaded: added ${list(body.added)}; removed ${list(body.removed)}; changed ${list(body.changed)}`);
    });
}
