import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { RunSummary } from '../engine/events.js';
import { readJournal, withJournalLocked } from '../journal/journal.js';
import type { RunRecord } from '../journal/record.js';
import { noteOf } from '../journal/record.js';
import { journalFile, runDir } from '../journal/runs.js';
import type { RunReport } from '../report/build.js';
import { actualSeconds, buildReport, verdictFacts } from '../report/build.js';
import type { ReportFormat } from '../report/render.js';
import type { RunbookHistory } from '../report/history.js';
import { buildHistory, counts } from '../report/history.js';
import { loadHistoryReports } from '../report/history-runs.js';
import { integrityLines, REPORT_FORMATS, renderReport } from '../report/render.js';
import { UserError } from '../util/errors.js';
import { makeFolder, writeFileAtomic } from '../util/write-file-atomic.js';

export interface ReportRequest {
  format: ReportFormat;
  file: string;
}

/** `--report json:out.json` (repeatable), checked before step 1: a report that cannot be written must not fail the run at its end. */
export function parseReportRequests(values: readonly string[]): ReportRequest[] {
  const requests = values.map((value) => {
    const colon = value.indexOf(':');
    const format = value.slice(0, colon) as ReportFormat;
    const file = value.slice(colon + 1);
    if (colon <= 0 || !file || !(REPORT_FORMATS as readonly string[]).includes(format)) {
      throw new UserError(`--report "${value}" is not <format>:<file>`, {
        hint: `formats: ${REPORT_FORMATS.join(', ')}; e.g. --report junit:drill.xml`,
      });
    }
    return { format, file };
  });
  for (const { file } of requests) {
    try {
      makeFolder(dirname(resolve(file)));
      if (existsSync(file) && statSync(file).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      accessSync(dirname(resolve(file)), constants.W_OK);
    } catch (error) {
      const why = error instanceof UserError ? error.message : ((error as NodeJS.ErrnoException).code ?? (error as Error).message);
      throw new UserError(`--report ${file}: cannot write there (${why})`);
    }
  }
  return requests;
}

export function reportJsonFile(stateDir: string, runId: string): string {
  return join(runDir(stateDir, runId), 'report.json');
}

/**
 * report.json beside the journal, then every --report file. The run's outcome stands whatever
 * happens to a report file: a write that fails is a warning, and `drctl report` can write it again.
 */
export function writeRunReports(
  stateDir: string,
  record: RunRecord,
  requests: readonly ReportRequest[],
  warn: (message: string) => void,
): RunReport {
  // Past drills, read once for however many HTML reports are asked for.
  let history: RunbookHistory | undefined;
  const historyOf = (report: RunReport): RunbookHistory | undefined => (history ??= historyUpTo([stateDir], report));
  const write = (report: RunReport, { file, format }: ReportRequest): void => {
    try {
      writeFileAtomic(file, renderReport(report, format, format === 'html' ? { history: historyOf(report) } : {}));
    } catch (error) {
      warn(`could not write the ${format} report ${file}: ${(error as Error).message}`);
    }
  };
  // The journal read and report.json written under the journal's lock: a note appended after the read
  // waits, then sees run.finished and writes report.json again (src/cli/run-journal.ts), so the last
  // report.json written holds every note.
  const report = withJournalLockedIfAny(journalFile(stateDir, record.runId), () => {
    const built = buildReport(withNotes(stateDir, record));
    write(built, { file: reportJsonFile(stateDir, record.runId), format: 'json' });
    return built;
  });
  for (const request of requests) write(report, request);
  return report;
}

/** `work` under the journal's lock; without it when the journal cannot be opened (the reports are written all the same). */
function withJournalLockedIfAny<T>(file: string, work: () => T): T {
  let ran = false;
  try {
    return withJournalLocked(file, () => {
      ran = true;
      return work();
    });
  } catch (error) {
    if (ran) throw error;
    return work();
  }
}

/**
 * The record with the notes its journal holds now: `drctl note` appends them from another process
 * while the run goes on, so the run's own record has not seen them. And the journal's entries and
 * head hash as the file has them, which the report records.
 */
function withNotes(stateDir: string, record: RunRecord): RunRecord {
  try {
    const { entries, head } = readJournal(journalFile(stateDir, record.runId));
    const notes = entries.flatMap((e) => (e.type === 'note' ? [noteOf(e)] : []));
    return { ...record, notes, journal: { entries: entries.length, head } };
  } catch {
    // The journal cannot be read back (a full disk cut it short): the notes this process knows.
    return record;
  }
}

/**
 * The run's report.json, beside its journal, written again from the record; its path. The record's
 * entries were read before the caller appended to the journal: the journal's size and head hash
 * are taken from the file as it is now.
 */
export function writeReportJson(stateDir: string, record: RunRecord): string {
  const file = reportJsonFile(stateDir, record.runId);
  writeFileAtomic(file, renderReport(buildReport({ ...record, journal: journalStateOf(stateDir, record) }), 'json'));
  return file;
}

function journalStateOf(stateDir: string, record: RunRecord): RunRecord['journal'] {
  try {
    const { entries, head } = readJournal(journalFile(stateDir, record.runId));
    return { entries: entries.length, head };
  } catch {
    return record.journal;
  }
}

/** A run that ended but whose report.json is missing (drctl was killed just after the end): write it. */
export function ensureReportJson(stateDir: string, record: RunRecord): void {
  if (!record.finished || record.finished.status === 'interrupted' || existsSync(reportJsonFile(stateDir, record.runId))) return;
  writeReportJson(stateDir, record);
}

/** The terminal's closing summary, from the same report the files hold. */
export function summaryOf(report: RunReport, reportFile: string): RunSummary {
  const { status: _status, ...verdict } = verdictFacts(report);
  return {
    ...verdict,
    runId: report.run_id,
    status: report.status === 'running' ? 'interrupted' : report.status,
    exitCode: report.exit_code ?? 130,
    steps: report.steps.map((s, i) => ({
      number: i + 1,
      id: s.id,
      title: s.title,
      status: s.status,
      budgetMs: s.budget_s === null ? undefined : s.budget_s * 1000,
      durationMs: secondsToMs(actualSeconds(s)),
    })),
    runningMs: report.time.running_s * 1000,
    waitingMs: report.time.waiting_for_operator_s * 1000,
    integrity: integrityLines(report),
    reportFile,
  };
}

function secondsToMs(seconds: number | null): number | undefined {
  return seconds === null ? undefined : seconds * 1000;
}

/**
 * The runbook's history as it stood at this run (its drills and real runs that ended, started no
 * later, this one included), for the HTML report's chart; none when the past runs cannot be read.
 */
export function historyUpTo(stateDirs: readonly string[], report: RunReport): RunbookHistory | undefined {
  try {
    const earlier = loadHistoryReports(stateDirs, report.runbook).reports.filter(
      (r) => r.run_id !== report.run_id && r.started_at <= report.started_at,
    );
    return buildHistory(counts(report) ? [...earlier, report] : earlier).find((h) => h.runbook === report.runbook);
  } catch {
    return undefined;
  }
}
