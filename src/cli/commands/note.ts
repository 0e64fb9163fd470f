import { MAX_NOTE_LENGTH } from '../../journal/entries.js';
import { UserError } from '../../util/errors.js';
import { currentOperator } from '../../util/operator.js';
import { appendEntry, hasEnded, runToAppendTo, writeReportIfEnded } from '../run-journal.js';

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
  const run = runToAppendTo(runRef, options.stateDir);
  const { record, active } = run;
  const { user, host } = currentOperator();
  appendEntry(run, { type: 'note', text, user, host });
  // A run that ended keeps its report beside its journal: it shows the note from now on. That is so
  // as soon as its journal holds run.finished, while its drctl may still be writing its reports.
  if (active || hasEnded(record)) writeReportIfEnded(run);
  const state = active ? 'running' : (record.finished?.status ?? 'not running');
  process.stdout.write(`Noted in run ${record.runId} (${state}) as ${user}@${host}\n`);
  return 0;
}
