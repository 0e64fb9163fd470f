import { Command, Option } from 'commander';
import { packageVersion } from '../util/package-root.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

const dirOption = (): Option => new Option('--dir <folder>', 'runbooks folder (also $DRCTL_RUNBOOKS)').default(undefined, './runbooks');

function inputOptions(command: Command): Command {
  return command
    .option('--input <name=value>', 'an input value (repeatable)', collect, [])
    .option('--inputs-file <file>', 'a YAML or JSON map of input values');
}

function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;
}

/**
 * The command line. Each command's module is imported only when it runs, so `--help`, `list` and
 * `validate` never load the AWS SDK, pg or the prompt library.
 */
export function buildProgram(): Command {
  const program = new Command('drctl')
    .description('Disaster-recovery runbooks: validate, plan, run step by step against the RTO, resume.')
    .version(packageVersion(), '-V, --version')
    .option('--debug', 'print stack traces for errors')
    .exitOverride()
    .showSuggestionAfterError()
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true });

  program
    .command('list')
    .description('runbooks found, with RTO, RPO, steps and the sum of their budgets')
    .addOption(dirOption())
    .option('--json', 'machine-readable output')
    .addHelpText('after', examples('drctl list', 'drctl list --dir ./dr/runbooks --json'))
    .action(async (options: { dir?: string; json?: boolean }) => {
      const { listCommand } = await import('./commands/list.js');
      process.exitCode = listCommand(options);
    });

  program
    .command('show')
    .description('a readable view of a scenario and its steps')
    .argument('<runbook>', 'a runbook file, or a name in --dir or the shipped runbooks')
    .addOption(dirOption())
    .addHelpText('after', examples('drctl show database-loss', 'drctl show ./runbooks/my-scenario.yaml'))
    .action(async (runbook: string, options: { dir?: string }) => {
      const { showCommand } = await import('./commands/show.js');
      process.exitCode = showCommand(runbook, options);
    });

  program
    .command('validate')
    .description('check runbooks and report every problem at once as file:line:col (exit 2 when any is invalid)')
    .argument('[paths...]', 'runbook files or folders (default: the runbooks folder)')
    .addOption(dirOption())
    .option('--json', 'machine-readable output')
    .addHelpText('after', examples('drctl validate', 'drctl validate runbooks/ extra/failover.yaml', 'drctl validate --json runbooks/ | jq .'))
    .action(async (paths: string[], options: { dir?: string; json?: boolean }) => {
      const { validateCommand } = await import('./commands/validate.js');
      process.exitCode = validateCommand(paths, options);
    });

  inputOptions(
    program
      .command('plan')
      .description('what `run` would do, expressions resolved and secrets masked; runs nothing')
      .argument('<runbook>', 'a runbook file, or a name in --dir or the shipped runbooks')
      .addOption(dirOption())
      .option('--incident-start <time>', 'when the disaster began: ISO time or an offset such as -45m')
      .option('--json', 'machine-readable output'),
  )
    .addHelpText('after', examples('drctl plan database-loss --input namespace=payments --input backup_bucket=acme-backups', 'DATABASE_URL=postgres://... drctl plan database-loss --inputs-file prod.yaml --json'))
    .action(async (runbook: string, options: PlanOptions) => {
      const { planCommand } = await import('./commands/plan.js');
      process.exitCode = planCommand(runbook, options);
    });

  program
    .command('schema')
    .description('the JSON Schema of the runbook format, for editors (yaml-language-server)')
    .addHelpText('after', examples('drctl schema > drctl.schema.json'))
    .action(async () => {
      const { schemaCommand } = await import('./commands/schema.js');
      process.exitCode = schemaCommand();
    });

  return program;
}

export interface PlanOptions {
  dir?: string;
  input: string[];
  inputsFile?: string;
  incidentStart?: string;
  json?: boolean;
}
