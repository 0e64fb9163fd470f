import { writeReportJson } from '../../lifecycle/reports.js';
import { cleanupLine } from '../../io/render-run.js';
import { styleFor } from '../../io/style.js';
import { appendToJournal } from '../../journal/journal.js';
import { runIsActive } from '../../journal/lock.js';
import type { RunRecord } from '../../journal/record.js';
import { applyEntry } from '../../journal/record.js';
import { resolveRunRef } from '../../journal/run-ref.js';
import { findRun, journalFile, stateDirsOf } from '../../journal/runs.js';
import { cleanupDue, cleanUpLedger } from '../../lifecycle/cleanup.js';
import { UserError } from '../../util/errors.js';

/**
 * Remove what is left on the cleanup ledger of a run that ended (finished or abandoned): a removal
 * that failed at its end, or one a crash cut short. Each removal is journaled and report.json is
 * written again. A run still running, or one that can be resumed, is refused: it may need the
 * files yet. Exit 0 when nothing is left to remove, 1 when something could not be removed.
 */
export async function cleanupCommand(runRef: string | undefined, options: { stateDir?: string }): Promise<number> {
  const stateDirs = stateDirsOf(options.stateDir, process.env);
  const { record, stateDir } = findRun(stateDirs, resolveRunRef(stateDirs, runRef));
  refuse(stateDir, record);
  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  if (cleanupDue(record).length === 0) {
    const kept = record.cleanup.filter((c) => c.status === 'kept').map((c) => c.path);
    out(`Nothing left to clean up for run ${record.runId}${kept.length ? ` (kept with keep: true: ${kept.join(', ')})` : ''}.`);
    return 0;
  }
  const file = journalFile(stateDir, record.runId);
  const done = cleanUpLedger(record, (entry) => applyEntry(record, appendToJournal(file, entry, { cutTornTail: false })));
  const report = writeReportJson(stateDir, record);
  const style = styleFor(process.stdout);
  out(`Cleaning up run ${record.runId}:`);
  for (const entry of done) out(cleanupLine(entry, style));
  out(style.dim(`Report: ${report}`));
  return done.some((entry) => entry.result === 'failed') ? 1 : 0;
}

function refuse(stateDir: string, record: RunRecord): void {
  const active = runIsActive(stateDir, record.runbook, record.runId);
  // Abandoned (even if that drctl stopped before journaling the end): no resume will need the files.
  if ((record.finished && record.finished.status !== 'interrupted') || (record.abandoned && !active)) return;
  if (active) {
    throw new UserError(`run ${record.runId} is running: it removes what it downloaded itself when it ends`, {
      hint: 'let it finish; drctl cleanup is for a run that ended',
    });
  }
  throw new UserError(`run ${record.runId} can be resumed: its downloaded files may still be needed, so they are kept`, {
    hint: `resume it (drctl resume ${record.runId}) or abandon it (drctl abandon ${record.runId}): either removes them at the end`,
  });
}
