import { statSync } from 'node:fs';
import { renderHistory, renderOverdue } from '../../io/render-history.js';
import { layout, terminalWidth } from '../../io/layout.js';
import { colorEnabled, styleFor } from '../../io/style.js';
import { checkRunbookName, isRunbookName, stateDirsOf } from '../../journal/runs.js';
import { buildHistory, drillDue } from '../../report/history.js';
import { loadHistoryReports } from '../../report/history-runs.js';
import type { Runbook } from '../../runbook/model.js';
import { UserError } from '../../util/errors.js';

export interface HistoryOptions {
  json?: boolean;
  overdue?: boolean;
  stateDir?: string;
  dir?: string;
}

/** Exit code of --overdue when a runbook is due for a drill (as for objectives missed). */
const OVERDUE_EXIT = 3;

/**
 * A runbook given by name, or by its file (its metadata.name is taken). The validator is loaded
 * only for a file: a name (no "." or "/") is never a runbook file's name.
 */
async function runbookRef(ref: string, dir: string | undefined): Promise<{ name: string; runbook?: Runbook }> {
  const name = isRunbookName(ref);
  if (!name && (ref.includes('/') || (await import('../../runbook/validate.js')).isRunbookFileName(ref))) {
    const runbook = (await import('../load.js')).loadRunbook(ref, dir);
    return { name: runbook.name, runbook };
  }
  checkRunbookName(ref, '', '; or give the runbook file');
  return { name: ref };
}

export async function historyCommand(ref: string | undefined, options: HistoryOptions): Promise<number> {
  const given = ref === undefined ? undefined : await runbookRef(ref, options.dir);
  const name = given?.name;
  const stateDirs = stateDirsOf(options.stateDir, process.env);
  if (options.overdue) return overdue(given, stateDirs, options);
  const { reports, skipped } = loadHistoryReports(stateDirs, name);
  const histories = buildHistory(reports);
  for (const runId of skipped) process.stderr.write(`drctl: skipped ${runId}: neither its report.json nor its journal is readable\n`);

  if (options.json) {
    process.stdout.write(`${JSON.stringify({ runbooks: histories, skipped }, null, 2)}\n`);
  } else if (histories.length === 0) {
    process.stderr.write(`drctl: no ended drills or runs${name ? ` of ${name}` : ''} in ${stateDirs.join(' or ')}\n`);
  } else {
    const width = terminalWidth(process.stdout);
    process.stdout.write(`${layout(renderHistory(histories, styleFor(process.stdout), colorEnabled(process.stdout)), width)}\n`);
  }
  return 0;
}

/** The runbooks `drctl list` finds that set drill_every, and whether each is due; exit 3 when one is. */
async function overdue(
  given: { name: string; runbook?: Runbook } | undefined,
  stateDirs: readonly string[],
  options: HistoryOptions,
): Promise<number> {
  const { discoverRunbooks, runbooksDir } = await import('../../runbook/lookup.js');
  const dir = runbooksDir(options.dir, process.env);
  // A folder named on purpose that is not there would pass a cron job's check for ever.
  const named = options.dir !== undefined ? '--dir' : process.env.DRCTL_RUNBOOKS ? '$DRCTL_RUNBOOKS' : undefined;
  if (named !== undefined && !given?.runbook && !isFolder(dir)) {
    throw new UserError(`${named} ${dir} is not a folder of runbooks`, {
      hint: 'give the folder that holds your runbooks, or leave it out for ./runbooks and the shipped ones',
    });
  }
  const name = given?.name;
  let runbooks: Runbook[];
  if (given?.runbook) runbooks = [given.runbook];
  else {
    const { entries, invalid } = discoverRunbooks(dir);
    for (const result of invalid)
      process.stderr.write(`drctl: skipped ${result.file}: not a valid runbook (drctl validate ${result.file})\n`);
    runbooks = entries.filter((e) => name === undefined || e.name === name).map((e) => e.result.runbook!);
    if (name !== undefined && runbooks.length === 0) {
      throw new UserError(`no runbook named "${name}" in ${dir} or the shipped runbooks`, {
        hint: 'see drctl list, or give the runbook file',
      });
    }
  }
  const now = new Date();
  // Only the runs of the runbooks that set drill_every are read.
  const due = runbooks.flatMap((r) => {
    const every = r.objectives.drillEveryMs;
    if (every === undefined) return [];
    const { reports, skipped } = loadHistoryReports(stateDirs, r.name);
    for (const runId of skipped) process.stderr.write(`drctl: skipped ${runId}: neither its report.json nor its journal is readable\n`);
    return [drillDue({ name: r.name, file: r.file, drillEveryMs: every }, buildHistory(reports)[0], now)];
  });
  const late = due.filter((d) => d.overdue);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(due, null, 2)}\n`);
  } else if (late.length > 0) {
    const width = terminalWidth(process.stdout);
    process.stdout.write(`${layout(renderOverdue(late, styleFor(process.stdout)), width)}\n`);
  } else {
    const scope = name === undefined ? `${due.length} runbook${due.length === 1 ? '' : 's'} with drill_every in ${dir}` : name;
    process.stderr.write(
      `drctl: no runbook is overdue for a drill (${due.length === 0 && name !== undefined ? `${name} sets no drill_every` : scope})\n`,
    );
  }
  return late.length > 0 ? OVERDUE_EXIT : 0;
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
