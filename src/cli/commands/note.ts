import { writeReportJson } from '../../lifecycle/reports.js';
import { MAX_NOTE_LENGTH } from '../../journal/entries.js';
import { appendToJournal } from '../../journal/journal.js';
import { runIsActive } from '../../journal/lock.js';
import { applyEntry } from '../../journal/record.js';
import { resolveRunRef } from '../../journal/run-ref.js';
import { findRun, journalFile, stateDirsOf } from '../../journal/runs.js';
import { UserError } from '../../util/errors.js';
import { currentOperator } from '../../util/operator.js';

/**
 * Add an operator's note to a run's journal, from any terminal, while the run goes on or after it
 * ended. The note is appended (O_APPEND, one whole line in one write) beside the entries the run's
 * own drctl appends; the run's report shows it when the run ends, and at once for a run that ended.
 */
export function noteCommand(runRef: string, text: string, options: { stateDir?: string }): number {
  if (text.trim() === '') throw new UserError('the note is empty', { hint: 'drctl note <run-id> "what you saw or did"' });
  if (text.length > MAX_NOTE_LENGTH) {
    throw new UserError(`the note is ${text.length} characters long; a note holds at most ${MAX_NOTE_LENGTH}`, {
      hint: 'keep long material in a file and note where it is',
    });
  }
  const stateDirs = stateDirsOf(options.stateDir, process.env);
  const { record, stateDir } = findRun(stateDirs, resolveRunRef(stateDirs, runRef));
  const active = runIsActive(stateDir, record.runbook, record.runId);
  const { user, host } = currentOperator();
  const entry = appendToJournal(journalFile(stateDir, record.runId), { type: 'note', text, user, host }, { cutTornTail: !active });
  applyEntry(record, entry);
  // A run that ended keeps its report beside its journal: it shows the note from now on.
  if (!active && record.finished && record.finished.status !== 'interrupted') {
    writeReportJson(stateDir, record);
  }
  const state = active ? 'running' : (record.finished?.status ?? 'not running');
  process.stdout.write(`Noted in run ${record.runId} (${state}) as ${user}@${host}\n`);
  return 0;
}
