/** `paddock run`: the host itself, in the foreground (for systemd, a container, or a terminal). */
import type { Command } from 'commander';
import { globals } from '../kit/command-kit.ts';
import { configPath } from '../kit/target.ts';
import { CliError, EXIT } from '../kit/admin-client.ts';

/** Registers `run`. */
export function register(program: Command): void {
  program
    .command('run')
    .description('run the host in the foreground with the configuration file')
    .action(async (_opts: unknown, cmd: Command) => {
      const file = configPath(globals(cmd));
      // Loaded only here, so that every other command starts without the host's modules.
      const { runHost, HostStartError } = await import('../../host/host.ts');
      try {
        await runHost(file);
      } catch (err) {
        if (err instanceof HostStartError) throw new CliError(EXIT.failed, err.message);
        throw err;
      }
    });
}
