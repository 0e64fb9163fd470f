import { join } from 'node:path';
import { RUNS_HEADER, runsRow } from '../../io/render-runs.js';
import { layout, terminalWidth } from '../../io/layout.js';
import { styleFor } from '../../io/style.js';
import { table } from '../../io/table.js';
import { checkRunbookName, listRunsIn, stateDirsOf } from '../../journal/runs.js';
import { buildReport } from '../../report/build.js';

export function runsCommand(options: { stateDir?: string; runbook?: string; json?: boolean }): number {
  if (options.runbook !== undefined) checkRunbookName(options.runbook);
  const stateDirs = stateDirsOf(options.stateDir, process.env);
  const { runs, damaged } = listRunsIn(stateDirs);
  const kept = runs.filter((r) => !options.runbook || r.record.runbook === options.runbook);
  const reports = kept.map((r) => buildReport(r.record));
  // Runs of an older ./.drctl are listed beside the default folder's: a column says which folder keeps each.
  const folders = kept.some((r) => r.stateDir !== stateDirs[0]);
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify(
        reports.map(({ steps: _steps, ...rest }) => rest),
        null,
        2,
      )}\n`,
    );
  } else if (reports.length === 0) {
    process.stderr.write(`drctl: no runs in ${stateDirs.join(' or ')}${options.runbook ? ` for ${options.runbook}` : ''}\n`);
  } else {
    const style = styleFor(process.stdout);
    const rows = [[...RUNS_HEADER, ...(folders ? ['KEPT IN'] : [])].map((h) => style.bold(h))];
    for (const [i, r] of reports.entries()) rows.push([...runsRow(r), ...(folders ? [kept[i]!.stateDir] : [])]);
    // The outcome is the free text of a row: it wraps when the table is wider than the terminal.
    const width = terminalWidth(process.stdout);
    process.stdout.write(`${layout(table(rows, { wrap: RUNS_HEADER.indexOf('OUTCOME'), ...(width ? { width } : {}) }), width)}\n`);
  }
  for (const { name, stateDir } of damaged) {
    process.stderr.write(`drctl: skipped ${stateDirs.length > 1 ? join(stateDir, 'runs', name) : name}: its journal is unreadable\n`);
  }
  return 0;
}
