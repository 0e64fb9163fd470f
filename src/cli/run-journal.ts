import type { JournalEntry, JournalEntryBody } from '../journal/entries.js';
import { appendToJournal, withJournalLocked } from '../journal/journal.js';
import { runIsActive } from '../journal/lock.js';
import type { RunRecord } from '../journal/record.js';
import { applyEntry } from '../journal/record.js';
import { resolveRunRef } from '../journal/run-ref.js';
import { findRun, journalFile, loadRun, stateDirsOf } from '../journal/runs.js';
import { writeReportJson } from '../lifecycle/reports.js';
import { Redactor } from '../engine/redact.js';
import { validateFile } from '../runbook/validate.js';

/**
 * A run that an operator's command adds to from another terminal (`drctl note`, `drctl review`):
 * found by its id, a prefix or latest, with whether a drctl is running it at this moment.
 */
export interface RunToAppendTo {
  record: RunRecord;
  stateDir: string;
  /** A drctl holds the run's lock: it is writing the journal too. */
  active: boolean;
  journal: string;
  /** What masks the texts typed here (textRedactor), made when the first is appended. */
  redactor?: Redactor;
}

export function runToAppendTo(runRef: string, stateDir: string | undefined): RunToAppendTo {
  const stateDirs = stateDirsOf(stateDir, process.env);
  const found = findRun(stateDirs, resolveRunRef(stateDirs, runRef));
  return {
    record: found.record,
    stateDir: found.stateDir,
    active: runIsActive(found.stateDir, found.record.runbook, found.record.runId),
    journal: journalFile(found.stateDir, found.record.runId),
  };
}

/**
 * Append one entry beside what the run's own drctl appends (O_APPEND, one whole line in one write),
 * and bring the record up to date with it. A line a crash left half written is cut first, unless a
 * drctl is writing the journal.
 */
export function appendEntry(run: RunToAppendTo, body: JournalEntryBody): JournalEntry {
  const entry = appendToJournal(run.journal, masked(run, body), { cutTornTail: !run.active });
  applyEntry(run.record, entry);
  return entry;
}

/** A note's or a review's free text, masked as well as can be done here (textRedactor). */
function masked(run: RunToAppendTo, body: JournalEntryBody): JournalEntryBody {
  if (body.type !== 'note' && body.type !== 'review.finding' && body.type !== 'review.remediation') return body;
  const redactor = (run.redactor ??= textRedactor(run.record));
  if (body.type !== 'review.remediation') return { ...body, text: redactor.text(body.text) };
  return { ...body, text: redactor.text(body.text), owner: body.owner === null ? null : redactor.text(body.owner) };
}

/**
 * What this terminal can mask of the run's secrets: the password of any URL (postgres://app:***@db),
 * and the value of each secret input of the runbook that is taken from an environment variable
 * (`env:`) set here too. The run's secret values themselves are never journaled: one given with
 * --input, --inputs-file or at a prompt, or from a variable not set here, is unknown to this
 * terminal and cannot be masked.
 */
function textRedactor(record: RunRecord): Redactor {
  const values: string[] = [];
  // The runbook as it is now: an input renamed since the run only leaves a value unmasked.
  for (const input of validateFile(record.file).runbook?.inputs ?? []) {
    const value = input.secret && input.env !== undefined ? process.env[input.env] : undefined;
    if (value) values.push(value);
  }
  return new Redactor(values);
}

/** The run ended (not only stopped): its report.json stands beside its journal. */
export function hasEnded(record: RunRecord): boolean {
  return record.finished !== undefined && record.finished.status !== 'interrupted';
}

/**
 * Write report.json again for a run that ended, from its journal as it stands, read under the
 * journal's lock: two terminals adding to the review (or a note) at once each write the report
 * from every entry appended so far, so the last report written is never missing the other's entry.
 */
export function writeReportOf(run: RunToAppendTo): string {
  return withJournalLocked(run.journal, () => writeReportJson(run.stateDir, loadRun(run.stateDir, run.record.runId)));
}

/**
 * Write report.json again, as writeReportOf, when the journal as it stands now holds the run's end:
 * also for a run whose drctl is still writing its reports (it journaled run.finished, has not let go
 * of its lock). That drctl writes report.json under the journal's lock too, so whichever of the two
 * writes second writes the report with every entry. Whether it was written.
 */
export function writeReportIfEnded(run: RunToAppendTo): boolean {
  return withJournalLocked(run.journal, () => {
    const record = loadRun(run.stateDir, run.record.runId);
    if (!hasEnded(record)) return false;
    writeReportJson(run.stateDir, record);
    return true;
  });
}
