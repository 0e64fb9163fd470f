import { Argument, Command, Option } from 'commander';
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
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true })
    .addHelpText(
      'after',
      examples(
        'drctl list',
        'drctl show database-loss',
        'drctl plan database-loss --inputs-file prod.yaml',
        'drctl run database-loss --incident-start -20m --inputs-file prod.yaml',
        'drctl resume',
      ),
    );

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
    .addHelpText(
      'after',
      examples('drctl validate', 'drctl validate runbooks/ extra/failover.yaml', 'drctl validate --json runbooks/ | jq .'),
    )
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
    .addHelpText(
      'after',
      examples(
        'drctl plan database-loss --input namespace=payments --input backup_bucket=acme-backups',
        'DATABASE_URL=postgres://... drctl plan database-loss --inputs-file prod.yaml --json',
      ),
    )
    .action(async (runbook: string, options: PlanOptions) => {
      const { planCommand } = await import('./commands/plan.js');
      process.exitCode = planCommand(runbook, options);
    });

  const runOptions = (command: Command): Command =>
    command
      .option('--yes', 'non-interactive: approve every confirmation (CI, scripts)')
      .option('--accept-manual', 'with --yes, record manual steps as acknowledged instead of refusing to start')
      .option(
        '--report <format:file>',
        'also write a report when the run ends: json, md, junit, junit-ant or html (repeatable)',
        collect,
        [],
      )
      .option('--state-dir <dir>', 'where runs are kept (also $DRCTL_STATE_DIR; default $XDG_STATE_HOME/drctl or ~/.local/state/drctl)')
      .option('--profile <name>', 'AWS profile for the built-in AWS actions (also $AWS_PROFILE)')
      .option('--region <region>', 'AWS region for the built-in AWS actions (also $AWS_REGION)')
      .option('--notify', 'ring the bell and notify the desktop (OSC 9/777) when a step that ran 30s or more ends (also $DRCTL_NOTIFY=1)')
      .option('--notify-after <duration>', 'notify when a step that ran this long ends (implies --notify; default 30s)')
      .option('--participant <"name, role">', 'a person who takes part, journaled and in the report (repeatable)', collect, []);

  inputOptions(
    runOptions(
      program
        .command('run')
        .description('walk a runbook step by step, timing every step against the RTO')
        .argument('<runbook>', 'a runbook file, or a name in --dir or the shipped runbooks')
        .addOption(dirOption())
        .option('--dry-run', 'the same as plan: show what would run, run nothing')
        .option('--drill', 'a rehearsal: recorded and reported as a drill (run.mode = drill)')
        .option('--environment <name>', "where the run happens (free text, such as staging): journaled and in the report's scope")
        .option('--incident-start <time>', 'when the disaster began (ISO time, or an offset such as -45m); the RTO clock starts there')
        .option('--start-at <step-id>', 'begin at this step; earlier steps are recorded as skipped')
        .option('--output <step.name=value>', 'with --start-at: an output of a skipped step that later steps use (repeatable)', collect, [])
        .option('--outputs-from <run-id|latest>', "with --start-at: take the skipped steps' outputs from an earlier run of this runbook")
        .option('--json', 'with --dry-run: the plan as JSON'),
    ),
  )
    .addHelpText(
      'after',
      examples(
        'drctl run database-loss --incident-start -20m --input namespace=shop ...',
        'drctl run database-loss --drill --yes --accept-manual --report junit:drill.xml --inputs-file staging.yaml',
        'drctl run database-loss --start-at restore-database --output download-backup.path=/var/backups/db.dump',
      ) +
        '\nWith --start-at, steps that use outputs of the skipped steps refuse to start (exit 2) until those outputs are\n' +
        'given with --output or taken from an earlier run with --outputs-from.\n' +
        '\nExit codes: 0 succeeded and met its objectives, 1 a step failed (failed or rolled back), 2 refused before step 1,\n' +
        '3 succeeded but missed the RTO or RPO, 4 aborted by the operator, 130 interrupted (drctl resume continues it).\n',
    )
    .action(async (runbook: string, options: RunOptions) => {
      const { runCommand } = await import('./commands/run.js');
      process.exitCode = await runCommand(runbook, options);
    });

  inputOptions(
    runOptions(
      program
        .command('resume')
        .description('continue an interrupted run from its journal (default: the latest run)')
        .argument('[run-id]', 'the run to continue: its id, a unique prefix of it, or latest (the default; see drctl runs)')
        .option('--force', 'resume even though the runbook file changed since the run began')
        .option('--no-preflight', 'do not run the preflight checks again (they run by default: hours may have passed)')
        .option(
          '--incident-start <time>',
          'correct when the disaster began (ISO time, or an offset such as -45m): journaled, and the RTO and RPO are measured from it',
        )
        .option('--reason <text>', 'with --incident-start: why it is corrected (journaled, shown in the report)'),
    ),
  )
    .addHelpText(
      'after',
      examples(
        'drctl resume',
        'drctl resume database-loss-20261122T031500Z-4f2a --yes',
        'drctl resume database-loss-2026   # a unique prefix of the run id',
        'DATABASE_URL=... drctl resume   # secrets are never journaled: give them again',
        'drctl resume --incident-start 2026-11-22T02:40:00Z --reason "first alert was 02:40"',
      ),
    )
    .action(async (runId: string | undefined, options: ResumeOptions) => {
      const { resumeCommand } = await import('./commands/resume.js');
      process.exitCode = await resumeCommand(runId, options);
    });

  program
    .command('runs')
    .description('past runs and drills, newest first')
    .option('--runbook <name>', 'only the runs of this runbook')
    .option('--state-dir <dir>', 'where runs are kept (also $DRCTL_STATE_DIR; default $XDG_STATE_HOME/drctl or ~/.local/state/drctl)')
    .option('--json', 'machine-readable output')
    .addHelpText('after', examples('drctl runs', 'drctl runs --runbook database-loss --json'))
    .action(async (options: { runbook?: string; stateDir?: string; json?: boolean }) => {
      const { runsCommand } = await import('./commands/runs.js');
      process.exitCode = runsCommand(options);
    });

  program
    .command('history')
    .description('past drills and runs of each runbook: RTO and RPO over time, step times against budgets, regressions')
    .argument('[runbook]', 'only this runbook: its name (metadata.name) or file')
    .option('--overdue', 'list the runbooks whose last successful drill is older than objectives.drill_every (exit 3 when any is)')
    .addOption(dirOption())
    .option('--state-dir <dir>', 'where runs are kept (also $DRCTL_STATE_DIR; default $XDG_STATE_HOME/drctl or ~/.local/state/drctl)')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      examples('drctl history', 'drctl history database-loss --json', 'drctl history --overdue --dir ./dr/runbooks   # in cron or CI'),
    )
    .action(async (runbook: string | undefined, options: { overdue?: boolean; dir?: string; stateDir?: string; json?: boolean }) => {
      const { historyCommand } = await import('./commands/history.js');
      process.exitCode = await historyCommand(runbook, options);
    });

  program
    .command('report')
    .description("a run's report: RTO and RPO achieved, the timeline of its steps (default: the latest run)")
    .argument('[run-id]', 'the run: its id, a unique prefix of it, or latest (the default; see drctl runs)')
    .option('--format <format>', 'json, md, junit, junit-ant or html', 'json')
    .option('--output <file>', 'write to a file instead of standard output')
    .option('--state-dir <dir>', 'where runs are kept (also $DRCTL_STATE_DIR; default $XDG_STATE_HOME/drctl or ~/.local/state/drctl)')
    .addHelpText(
      'after',
      examples(
        'drctl report',
        'drctl report database-loss-20261122T031500Z-4f2a',
        'drctl report database-loss-20261122 --format md --output drill-report.md',
      ),
    )
    .action(async (runId: string | undefined, options: { format: string; output?: string; stateDir?: string }) => {
      const { reportCommand } = await import('./commands/report.js');
      process.exitCode = reportCommand(runId, options);
    });

  program
    .command('verify')
    .description("check a run's record: the journal's hash chain line by line, and report.json against the journal")
    .argument('[run-id]', 'the run: its id, a unique prefix of it, or latest (the default)')
    .option('--json', 'machine-readable output')
    .option('--state-dir <dir>', 'where runs are kept (also $DRCTL_STATE_DIR; default $XDG_STATE_HOME/drctl or ~/.local/state/drctl)')
    .addHelpText(
      'after',
      examples('drctl verify', 'drctl verify database-loss-20261122T031500Z-4f2a --json') +
        '\nExit codes: 0 the chain is intact and report.json matches the journal; 1 a line was changed, removed,\n' +
        'inserted or moved, or report.json does not match (the first broken line is named as file:line:1); 2 a mistake.\n' +
        'Prints the head hash: compare it with the one a sign-off covers or one kept elsewhere.\n',
    )
    .action(async (runId: string | undefined, options: { json?: boolean; stateDir?: string }) => {
      const { verifyCommand } = await import('./commands/verify.js');
      process.exitCode = verifyCommand(runId, options);
    });

  program
    .command('logs')
    .description("a run's command output, kept in its journal: every attempt of every step, or of one step")
    .argument('[run-id]', 'the run: its id, a unique prefix of it, or latest (the default)')
    .argument('[step]', 'only this step')
    .option('--state-dir <dir>', 'where runs are kept (also $DRCTL_STATE_DIR; default $XDG_STATE_HOME/drctl or ~/.local/state/drctl)')
    .addHelpText(
      'after',
      examples('drctl logs', 'drctl logs database-loss-20261122 restore-db', 'drctl logs latest restore-db') +
        '\nThe journal keeps the last 64 KiB of each stream of each attempt; an attempt whose output was longer says so.\n',
    )
    .action(async (runId: string | undefined, step: string | undefined, options: { stateDir?: string }) => {
      const { logsCommand } = await import('./commands/logs.js');
      process.exitCode = logsCommand(runId, step, options);
    });

  program
    .command('note')
    .description("add a note to a run's journal, from any terminal, while it runs or after it ended; reports show it")
    .argument('<run-id>', 'the run: its id, a unique prefix of it, or latest')
    .argument('<text>', 'the note (quote it)')
    .option('--state-dir <dir>', 'where runs are kept (also $DRCTL_STATE_DIR; default $XDG_STATE_HOME/drctl or ~/.local/state/drctl)')
    .addHelpText(
      'after',
      examples(
        'drctl note latest "DBA on call confirms the replica is gone"',
        'drctl note database-loss-20261122 "restore slow: S3 throttling, ticket INC-4411"',
      ) + '\nThe note is journaled with your user name and host, and shown in report.json (notes), md and html.\n',
    )
    .action(async (runId: string, text: string, options: { stateDir?: string }) => {
      const { noteCommand } = await import('./commands/note.js');
      process.exitCode = noteCommand(runId, text, options);
    });

  program
    .command('review')
    .description('after a run ended: add findings, remediation (owner, due date) and sign-offs to its journal and report')
    .argument('<run-id>', 'the run: its id, a unique prefix of it, or latest')
    .option('--finding <text>', 'an issue the run brought to light (repeatable)', collect, [])
    .option('--remediation <"text; owner: name; due: YYYY-MM-DD">', 'what is to be done, by whom, by when (repeatable)', collect, [])
    .option('--sign-off <"name, role">', "a sign-off: it names the journal's head hash it signs (repeatable)", collect, [])
    .option('--state-dir <dir>', 'where runs are kept (also $DRCTL_STATE_DIR; default $XDG_STATE_HOME/drctl or ~/.local/state/drctl)')
    .addHelpText(
      'after',
      examples(
        'drctl review latest --finding "restore took 3x its budget: S3 throttling"',
        'drctl review latest --remediation "raise the S3 request quota; owner: Ada Lovelace; due: 2026-12-15"',
        'drctl review database-loss-20261122 --sign-off "Grace Hopper, head of operations"',
        'drctl review latest   # show the review so far',
      ) +
        '\nOnly a run that ended is reviewed (exit 2 otherwise). Each value is checked before anything is written;\n' +
        'each entry is journaled with your user name and host, and report.json is written again.\n',
    )
    .action(async (runId: string, options: { finding: string[]; remediation: string[]; signOff: string[]; stateDir?: string }) => {
      const { reviewCommand } = await import('./commands/review.js');
      process.exitCode = reviewCommand(runId, options);
    });

  program
    .command('abandon')
    .description('end a stopped run that will not be resumed: journaled as aborted (exit code 4), with who and why')
    .argument('<run-id>', 'the run: its id, a unique prefix of it, or latest')
    .option('--reason <text>', 'why it is abandoned (journaled and kept with the run)')
    .option('--state-dir <dir>', 'where runs are kept (also $DRCTL_STATE_DIR; default $XDG_STATE_HOME/drctl or ~/.local/state/drctl)')
    .addHelpText(
      'after',
      examples(
        'drctl abandon database-loss-20261122T031500Z-4f2a --reason "restored by hand from the replica"',
        'drctl abandon database-loss-20261122',
      ) + '\nA run whose drctl is still running is refused: stop it first. drctl runs then shows it as aborted, and resume refuses it.\n',
    )
    .action(async (runId: string, options: { reason?: string; stateDir?: string }) => {
      const { abandonCommand } = await import('./commands/abandon.js');
      process.exitCode = await abandonCommand(runId, options);
    });

  program
    .command('cleanup')
    .description("remove what is left of a finished or abandoned run's downloaded backups (its cleanup ledger)")
    .argument('[run-id]', 'the run: its id, a unique prefix of it, or latest (the default)')
    .option('--state-dir <dir>', 'where runs are kept (also $DRCTL_STATE_DIR; default $XDG_STATE_HOME/drctl or ~/.local/state/drctl)')
    .addHelpText(
      'after',
      examples('drctl cleanup database-loss-20261122T031500Z-4f2a', 'drctl cleanup') +
        '\nA run removes what it downloaded when it ends; this finishes a removal that failed or was cut short.\nA run that is running or can be resumed is refused (exit 2): it may still need the files.\n',
    )
    .action(async (runId: string | undefined, options: { stateDir?: string }) => {
      const { cleanupCommand } = await import('./commands/cleanup.js');
      process.exitCode = await cleanupCommand(runId, options);
    });

  const backup = program
    .command('backup')
    .description('backups for cron and CI: freshness against an RPO (check) and retention (prune)')
    .addHelpText(
      'after',
      examples(
        'drctl backup check s3://acme-backups/pg/ --rpo 15m',
        'drctl backup prune s3://acme-backups/pg/ --keep-daily 7 --keep-weekly 4 --keep-monthly 12 --yes',
      ),
    );
  const backupOptions = (command: Command): Command =>
    command
      .option('--match <glob>', 'only the objects whose name under the location matches (* does not cross /)')
      .option('--json', 'machine-readable output')
      .option('--profile <name>', 'AWS profile for s3:// (also $AWS_PROFILE)')
      .option('--region <region>', 'AWS region for s3:// (also $AWS_REGION)');

  backupOptions(
    backup
      .command('check')
      .description('is the newest backup younger than the RPO, with no gap longer than it? (exit 0 yes, 3 no)')
      .argument('<location>', 's3://bucket/prefix/ or file:///dir/')
      .option('--rpo <duration>', 'the recovery point objective, e.g. 15m (required)')
      .option('--since <duration>', 'how far back to look for gaps between backups (default 24h)'),
  )
    .addHelpText(
      'after',
      examples(
        'drctl backup check s3://acme-backups/pg/ --rpo 15m',
        "drctl backup check file:///var/backups/pg/ --rpo 1h --since 168h --match 'db-*.sql.gz' --json",
      ) +
        "\nA backup's time is its object's last-modified time; *.manifest.json files are not backups.\n" +
        '\nExit codes: 0 fresh, 3 the newest backup is older than the RPO, a gap is longer than it, or there is no backup,\n' +
        '1 the location could not be listed, 2 bad usage.\n',
    )
    .action(async (location: string, options: BackupCheckOptions) => {
      const { backupCheckCommand } = await import('./commands/backup.js');
      process.exitCode = await backupCheckCommand(location, options);
    });

  backupOptions(
    backup
      .command('prune')
      .description('delete backups past their retention; a dry run that lists them unless --yes')
      .argument('<location>', 's3://bucket/prefix/ or file:///dir/')
      .option('--keep-daily <n>', 'keep the newest backup of each of the last n days that hold one (default 7)')
      .option('--keep-weekly <n>', 'the same for ISO weeks (default 4)')
      .option('--keep-monthly <n>', 'the same for calendar months (default 12)')
      .option('--yes', 'really delete (default: a dry run that deletes nothing)'),
  )
    .addHelpText(
      'after',
      examples(
        'drctl backup prune s3://acme-backups/pg/ --keep-daily 7 --keep-weekly 4 --keep-monthly 6',
        "drctl backup prune file:///var/backups/pg/ --match 'db-*.sql.gz' --yes",
      ) +
        '\nThe newest backup, and every backup not older than the oldest one kept, is never deleted. A backup deleted\n' +
        'goes with its <key>.manifest.json. Exit codes: 0 done, 1 the listing or a deletion failed, 2 bad usage.\n',
    )
    .action(async (location: string, options: BackupPruneOptions) => {
      const { backupPruneCommand } = await import('./commands/backup.js');
      process.exitCode = await backupPruneCommand(location, options);
    });

  program
    .command('schema')
    .description('the JSON Schema of the runbook format, for editors (yaml-language-server)')
    .addHelpText('after', examples('drctl schema > drctl.schema.json'))
    .action(async () => {
      const { schemaCommand } = await import('./commands/schema.js');
      process.exitCode = schemaCommand();
    });

  program
    .command('completion')
    .description('a completion script for bash, zsh or fish: commands, options, runbook names, step ids and run ids')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish']))
    .addHelpText(
      'after',
      examples(
        'source <(drctl completion bash)                      # in ~/.bashrc',
        'source <(drctl completion zsh)                       # in ~/.zshrc, after compinit',
        'drctl completion fish > ~/.config/fish/completions/drctl.fish',
      ),
    )
    .action(async (shell: 'bash' | 'zsh' | 'fish') => {
      const { completionCommand } = await import('./commands/completion.js');
      process.exitCode = completionCommand(shell);
    });

  // Called by the completion scripts: the words after `drctl` (after --), the last one being completed.
  program
    .command('__complete', { hidden: true })
    .argument('[words...]')
    .action(async (words: string[]) => {
      const { completeCommand } = await import('./commands/completion.js');
      process.exitCode = completeCommand(words);
    });

  return program;
}

interface BackupCheckOptions {
  rpo?: string;
  since?: string;
  match?: string;
  json?: boolean;
  profile?: string;
  region?: string;
}

interface BackupPruneOptions {
  keepDaily?: string;
  keepWeekly?: string;
  keepMonthly?: string;
  yes?: boolean;
  match?: string;
  json?: boolean;
  profile?: string;
  region?: string;
}

interface CommonRunOptions {
  input: string[];
  profile?: string;
  region?: string;
  inputsFile?: string;
  yes?: boolean;
  acceptManual?: boolean;
  report: string[];
  stateDir?: string;
  notify?: boolean;
  notifyAfter?: string;
  participant: string[];
}

export interface RunOptions extends CommonRunOptions {
  dir?: string;
  dryRun?: boolean;
  drill?: boolean;
  incidentStart?: string;
  startAt?: string;
  output: string[];
  outputsFrom?: string;
  json?: boolean;
  environment?: string;
}

export interface ResumeOptions extends CommonRunOptions {
  force?: boolean;
  /** A corrected incident start, parsed as `run --incident-start`. */
  incidentStart?: string;
  reason?: string;
  /** false with --no-preflight. */
  preflight?: boolean;
}

export interface PlanOptions {
  dir?: string;
  input: string[];
  inputsFile?: string;
  incidentStart?: string;
  json?: boolean;
}
