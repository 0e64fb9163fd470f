import { writeReportJson } from '../../lifecycle/reports.js';
import { appendToJournal, withJournalLocked } from '../../journal/journal.js';
import { acquireRunLock, runIsActive, runLockedFromHost } from '../../journal/lock.js';
import type { RunRecord } from '../../journal/record.js';
import { applyEntry } from '../../journal/record.js';
import { resolveRunRef } from '../../journal/run-ref.js';
import { findRun, journalFile, loadRun, stateDirsOf } from '../../journal/runs.js';
import { cleanupLine } from '../../io/render-run.js';
import { styleFor } from '../../io/style.js';
import { cleanUpLedger } from '../../lifecycle/cleanup.js';
import { UserError } from '../../util/errors.js';
import { currentOperator } from '../../util/operator.js';

const MAX_REASON_LENGTH = 4000;

/**
 * End for good a run that will not be resumed: journal who abandoned it and why, then its end
 * (aborted, the run's exit code 4 in its report.json), and write its report.json. A run whose drctl
 * is alive is refused: stop it first. The command exits 0 when the run was abandoned, 2 when refused.
 */
export async function abandonCommand(runRef: string, options: { reason?: string; stateDir?: string }): Promise<number> {
  const reason = options.reason?.trim() === '' ? undefined : options.reason;
  if (options.reason !== undefined && reason === undefined) throw new UserError('--reason is empty', { hint: 'leave it out, or say why' });
  if (reason !== undefined && reason.length > MAX_REASON_LENGTH) {
    throw new UserError(`--reason is ${reason.length} characters long; it holds at most ${MAX_REASON_LENGTH}`);
  }
  const stateDirs = stateDirsOf(options.stateDir, process.env);
  const { record: known, stateDir } = findRun(stateDirs, resolveRunRef(stateDirs, runRef));
  refuse(stateDir, known);
  // The lock keeps a resume of this run from starting meanwhile. Another run of the same runbook may
  // hold it (the operator started afresh): no resume of this run can start while it does.
  let release: (() => void) | undefined;
  try {
    release = await acquireRunLock(stateDir, known.runbook, known.runId);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
  }
  try {
    const record = loadRun(stateDir, known.runId);
    // Read again: a resume may have moved the run on. Holding the lock, this process is its owner now.
    refuse(stateDir, record, release === undefined);
    const file = journalFile(stateDir, record.runId);
    const operator = currentOperator();
    if (!record.abandoned) {
      const entry = appendToJournal(file, { type: 'run.abandoned', ...operator, reason: reason ?? null }, { cutTornTail: true });
      applyEntry(record, entry);
    }
    // What the run made for itself (a downloaded backup) is no longer needed by any resume.
    const cleaned = cleanUpLedger(record, (entry) => applyEntry(record, appendToJournal(file, entry, { cutTornTail: false })));
    applyEntry(record, appendToJournal(file, { type: 'run.finished', status: 'aborted', exit_code: 4 }, { cutTornTail: false }));
    // From the journal as it stands, under its lock: a note appended meanwhile is in it (a note that
    // comes after writes report.json again itself).
    const report = withJournalLocked(file, () => writeReportJson(stateDir, loadRun(stateDir, record.runId)));
    // The run's own exit code (4, in its report.json) is not this command's: abandoning it succeeded (exit 0).
    process.stdout.write(
      `Abandoned run ${record.runId}: recorded as aborted (the run's exit code: 4); it will not be resumed. Report: ${report}\n`,
    );
    for (const entry of cleaned) process.stdout.write(`${cleanupLine(entry, styleFor(process.stdout))}\n`);
    return 0;
  } finally {
    release?.();
  }
}

function refuse(stateDir: string, record: RunRecord, checkLock = true): void {
  if (checkLock && runIsActive(stateDir, record.runbook, record.runId)) {
    throw new UserError(`run ${record.runId} is active: its drctl is still running`, {
      hint: 'stop it first (Ctrl-C in its terminal), then abandon it; or let it finish',
    });
  }
  const host = checkLock ? runLockedFromHost(stateDir, record.runbook, record.runId) : undefined;
  if (host !== undefined) {
    throw new UserError(`run ${record.runId} is locked by drctl on host ${host}: it may still be running there`, {
      hint: `stop it on ${host} first; if that host is gone for good, remove ${stateDir}/locks/${record.runbook}.lock`,
    });
  }
  if (record.finished && record.finished.status !== 'interrupted') {
    const by = record.abandoned ? ` (abandoned by ${record.abandoned.user}@${record.abandoned.host} at ${record.abandoned.at})` : '';
    throw new UserError(`run ${record.runId} already finished: ${record.finished.status}${by}`, {
      hint: `only a run that stopped before its end can be abandoned; see its report: drctl report ${record.runId}`,
    });
  }
}
