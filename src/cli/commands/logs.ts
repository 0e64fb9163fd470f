import { renderLogs } from '../../io/render-logs.js';
import { styleFor } from '../../io/style.js';
import { readJournal } from '../../journal/journal.js';
import { resolveRunRef } from '../../journal/run-ref.js';
import { findRun, journalFile, stateDirsOf } from '../../journal/runs.js';

export function logsCommand(runRef: string | undefined, step: string | undefined, options: { stateDir?: string }): number {
  const stateDirs = stateDirsOf(options.stateDir, process.env);
  const { record, stateDir } = findRun(stateDirs, resolveRunRef(stateDirs, runRef));
  const { entries } = readJournal(journalFile(stateDir, record.runId));
  process.stdout.write(`${renderLogs(record, entries, step, styleFor(process.stdout))}\n`);
  return 0;
}
