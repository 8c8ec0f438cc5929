/** `paddock check`: validates the configuration file and each pool's identity, and starts nothing (DESIGN §3). */
import type { Command } from 'commander';
import { CliError, EXIT } from '../kit/admin-client.ts';
import { globals, printJson, println } from '../kit/command-kit.ts';
import { configPath } from '../kit/target.ts';

/** Registers `check`. */
export function register(program: Command): void {
  program
    .command('check')
    .description('validate the configuration file: every error with its line, or "ok"')
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = globals(cmd);
      const file = configPath(opts);
      const { formatConfigError, loadConfig } = await import('../../config/index.ts');
      const { configWarnings, formatConfigWarning } = await import('../../config/warnings.ts');
      const loaded = loadConfig(file);
      // A valid file may still name a user that does not exist or an app its identity cannot read.
      const { identityProblems } = await import('../../supervisor/identity-check.ts');
      const problems = loaded.ok ? identityProblems(loaded.config) : [];
      const result = loaded.ok && problems.length > 0 ? { ok: false as const, errors: problems } : loaded;
      if (result.ok) {
        const pools = Object.keys(result.config.pools).length;
        const sites = result.config.sites.length;
        // Warnings do not fail the check: the file is valid, perhaps not what was meant.
        const warnings = configWarnings(result.config);
        if (opts.json) return printJson({ ok: true, file, pools, sites, warnings });
        for (const w of warnings) process.stderr.write(formatConfigWarning(w, file) + '\n');
        const noted = warnings.length === 0 ? '' : `, ${warnings.length} warning${warnings.length === 1 ? '' : 's'}`;
        println(`ok: ${pools} pool${pools === 1 ? '' : 's'}, ${sites} site${sites === 1 ? '' : 's'}${noted}`);
        return;
      }
      if (opts.json) printJson({ ok: false, file, errors: result.errors });
      for (const e of result.errors) process.stderr.write(formatConfigError(e, file) + '\n');
      const n = result.errors.length;
      throw new CliError(EXIT.failed, `${n} error${n === 1 ? '' : 's'} in ${file}`);
    });
}
