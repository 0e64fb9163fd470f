import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunFolder } from '../journal/runs.js';
import { MAX_INTERVAL_MS } from '../util/duration.js';
import { loadRun, runFoldersIn } from '../journal/runs.js';
import { actualSeconds, buildReport } from './build.js';
import type { HistoryReport, StepExpectation } from './history.js';
import { counts, HISTORY_WINDOW, historyReport, stepExpectations } from './history.js';

/**
 * The reports of past runs for the history: each run's report.json where it is there and intact
 * (quick: one small file per run), else the report rebuilt from its journal. A run neither gives is
 * skipped and named. Runs that do not count (dry runs, runs not ended) are left out.
 */
export function loadHistoryReports(stateDirs: readonly string[], runbook?: string): { reports: HistoryReport[]; skipped: string[] } {
  const reports: HistoryReport[] = [];
  const skipped: string[] = [];
  for (const folder of runFoldersIn(stateDirs, runbook)) {
    const report = readReport(folder);
    if (report === undefined) skipped.push(folder.runId);
    else if (counts(report)) reports.push(report);
  }
  return { reports, skipped };
}

function readReport(folder: RunFolder): HistoryReport | undefined {
  const kept = keptReport(folder);
  if (kept !== undefined) return kept;
  try {
    const rebuilt = buildReport(loadRun(folder.stateDir, folder.runId));
    // A journal is data too: a run that counts is taken only with times and figures history can use.
    return !counts(rebuilt) || intact(rebuilt, folder.runId) ? historyReport(rebuilt) : undefined;
  } catch {
    return undefined;
  }
}

/** report.json as the run's end wrote it, when it is a regular file of the expected shape for an ended run. */
function keptReport(folder: RunFolder): HistoryReport | undefined {
  const file = join(folder.dir, 'report.json');
  try {
    // A pipe or a device in its place would hang the read.
    if (!lstatSync(file).isFile()) return undefined;
    const report = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return intact(report, folder.runId) ? historyReport(report) : undefined;
  } catch {
    return undefined;
  }
}

const ENDED = new Set(['succeeded', 'failed', 'rolled_back', 'aborted']);
/**
 * A number of seconds history can count and print: not negative, and at most about 31 years, so
 * that a time plus it is still a date and its text a readable duration.
 */
const MAX_SECONDS = 1e9;
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= MAX_SECONDS;
const numberOrNull = (v: unknown): boolean => v === null || isNumber(v);
const isTime = (v: unknown): v is string => typeof v === 'string' && Number.isFinite(Date.parse(v));
const STEP_ID = /^[a-z0-9][a-z0-9-]*$/;
/** The run id is the runbook's name, when the run began and a tag (makeRunId): a run cannot be another runbook's. */
const RUN_OF = /^-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{4}$/;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The fields the history reads, each of its type, of a run that ended (a report written at an
 * interruption is read again from the journal, which may have gone on since).
 */
function intact(value: unknown, runId: string): value is HistoryReport {
  if (!isObject(value)) return false;
  const r = value;
  if (r.run_id !== runId || typeof r.runbook !== 'string' || typeof r.title !== 'string' || typeof r.mode !== 'string') return false;
  if (!STEP_ID.test(r.runbook) || !RUN_OF.test(runId.slice(r.runbook.length)) || !runId.startsWith(r.runbook)) return false;
  if (typeof r.status !== 'string' || !ENDED.has(r.status) || !isTime(r.started_at) || !isTime(r.finished_at)) return false;
  const every = r.drill_every_s;
  if (!(every === undefined || every === null || (isNumber(every) && every > 0 && every * 1000 <= MAX_INTERVAL_MS))) return false;
  if (!isNumber(r.elapsed_s) || !Array.isArray(r.steps)) return false;
  if (r.rto !== null && !(isObject(r.rto) && isNumber(r.rto.target_s) && typeof r.rto.met === 'boolean')) return false;
  if (r.rpo !== null && !(isObject(r.rpo) && isNumber(r.rpo.target_s) && isNumber(r.rpo.achieved_s) && typeof r.rpo.met === 'boolean'))
    return false;
  return r.steps.every(
    (s) =>
      isObject(s) &&
      typeof s.id === 'string' &&
      STEP_ID.test(s.id) &&
      typeof s.title === 'string' &&
      typeof s.status === 'string' &&
      numberOrNull(s.budget_s) &&
      numberOrNull(s.duration_s) &&
      (s.waiting_s === undefined || numberOrNull(s.waiting_s)),
  );
}

/**
 * What the past drills and runs of a runbook in this state dir say each step takes, for the live
 * projection: read once at the start of a run, and nothing (the budgets) when it cannot be read,
 * since history never fails a run.
 */
export function pastStepTimes(stateDir: string, runbook: string, steps?: readonly string[]): Map<string, StepExpectation> {
  try {
    if (steps === undefined) return stepExpectations(loadHistoryReports([stateDir], runbook).reports);
    // Newest first, and only until each step of the plan has its latest HISTORY_WINDOW times: the
    // projection takes no more, and a state dir of years of drills would otherwise be read whole.
    const reports: HistoryReport[] = [];
    const times = new Map(steps.map((id) => [id, 0]));
    const folders = runFoldersIn([stateDir], runbook);
    for (let i = folders.length - 1; i >= 0 && [...times.values()].some((n) => n < HISTORY_WINDOW); i--) {
      const report = readReport(folders[i]!);
      if (report === undefined || !counts(report)) continue;
      reports.push(report);
      for (const step of report.steps) {
        const n = times.get(step.id);
        if (n !== undefined && step.status === 'succeeded' && actualSeconds(step) !== null) times.set(step.id, n + 1);
      }
    }
    return stepExpectations(reports);
  } catch {
    return new Map();
  }
}
