/** `paddock check`: validates the configuration file and starts nothing (DESIGN §3). */
import type { Command } from 'commander';
import { CliError, EXIT } from '../admin-client.ts';
import { globals, printJson, println } from '../command-kit.ts';
import { configPath } from '../target.ts';

/** Registers `check`. */
export function register(program: Command): void {
  program
    .command('check')
    .description('validate the configuration file: every error with its line, or "ok"')
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = globals(cmd);
      const file = configPath(opts);
      const { formatConfigError, loadConfig } = await import('../../config/index.ts');
      const result = loadConfig(file);
      if (result.ok) {
        const pools = Object.keys(result.config.pools).length;
        const sites = result.config.sites.length;
        if (opts.json) printJson({ ok: true, file, pools, sites });
        else println(`ok: ${pools} pool${pools === 1 ? '' : 's'}, ${sites} site${sites === 1 ? '' : 's'}`);
        return;
      }
      if (opts.json) printJson({ ok: false, file, errors: result.errors });
      for (const e of result.errors) process.stderr.write(formatConfigError(e, file) + '\n');
      const n = result.errors.length;
      throw new CliError(EXIT.failed, `${n} error${n === 1 ? '' : 's'} in ${file}`);
    });
}
