import type { StepHistoryView } from '../engine/events.js';
import { formatDuration } from '../util/duration.js';
import type { ReportStep, RunReport } from './build.js';
import { actualSeconds } from './build.js';

/**
 * A runbook's drill history, from the reports of its past runs: the RTO and RPO each achieved, how
 * long each step really takes against its budget, the steps that got slower, budgets the record
 * supports, and when the next drill is due. Pure: the reports are read elsewhere (history-runs.ts).
 *
 * What counts: drills and real runs that ended (succeeded, failed, rolled back or aborted). Dry runs
 * run nothing, and a run interrupted or still going has not ended, so neither counts. A step's time
 * counts only where the step succeeded: a failed step's time says how long it took to fail.
 */

/** A step's median and p90 are taken over its latest times, at most this many. */
export const HISTORY_WINDOW = 20;
/** A step is flagged as a regression only with this many earlier times to compare with. */
export const REGRESSION_MIN_EARLIER = 3;
/** ... when its newest time is more than this share above the median of the earlier ones... */
export const REGRESSION_RATIO = 1.5;
/** ... and slower than that median by at least this much (a few seconds are noise). */
export const REGRESSION_MIN_SECONDS = 10;
/** A budget is suggested from a step's p90 only with at least this many times. */
export const SUGGESTION_MIN_RUNS = 3;
/** The live projection takes a step's median instead of its budget from this many times on. */
export const PROJECTION_MIN_RUNS = 5;

export interface HistoryRun {
  run_id: string;
  mode: 'drill' | 'real';
  status: RunReport['status'];
  started_at: string;
  finished_at: string | null;
  /** From the incident start to the end: the RTO achieved by a run that recovered (status succeeded). */
  elapsed_s: number;
  rto_target_s: number | null;
  /** The verdict on the RTO: null without an RTO objective or for a run that recovered nothing. */
  rto_met: boolean | null;
  /** The data-loss window achieved (the backup used to the incident start); null when the run had no RPO evidence. */
  rpo_s: number | null;
  rpo_target_s: number | null;
  rpo_met: boolean | null;
}

export interface StepRegression {
  /** The run of the newest time. */
  run_id: string;
  newest_s: number;
  /** The median of the earlier times it is compared with, and how many there were. */
  earlier_median_s: number;
  earlier_runs: number;
}

export interface StepHistory {
  id: string;
  title: string;
  /** The budget in the newest run's plan. */
  budget_s: number | null;
  /** How many times the step succeeded, in all the runs counted; median and p90 take the latest HISTORY_WINDOW of them. */
  runs: number;
  /** Oldest to newest, the latest HISTORY_WINDOW. */
  times_s: number[];
  median_s: number | null;
  p90_s: number | null;
  /** The p90 is past the budget: the budget is too tight for what the step takes one run in ten. */
  p90_over_budget: boolean;
  /** The p90 rounded up to a readable figure; null with fewer than SUGGESTION_MIN_RUNS times. */
  suggested_budget_s: number | null;
  suggested_budget: string | null;
  regression: StepRegression | null;
}

export interface RunbookHistory {
  runbook: string;
  title: string;
  /** The runs counted, oldest to newest. */
  runs: HistoryRun[];
  drills: number;
  real_runs: number;
  steps: StepHistory[];
  last_successful_drill: { run_id: string; finished_at: string } | null;
  /** From the newest run's journal (the runbook's drill_every as it was then). */
  drill_every_s: number | null;
  next_drill_due: string | null;
}

/**
 * What history reads of a run's report.json: its run facts, objectives and step times, and none of
 * its attempts, outputs or notes, so that the reports of years of drills take little memory.
 */
export type HistoryReport = Pick<
  RunReport,
  'run_id' | 'runbook' | 'title' | 'mode' | 'status' | 'started_at' | 'finished_at' | 'elapsed_s' | 'drill_every_s' | 'rto' | 'rpo'
> & { steps: Array<Pick<ReportStep, 'id' | 'title' | 'status' | 'budget_s' | 'duration_s' | 'waiting_s'>> };

/** Only what history reads of a report (a RunReport is one as it is). */
export function historyReport(r: HistoryReport): HistoryReport {
  return {
    run_id: r.run_id,
    runbook: r.runbook,
    title: r.title,
    mode: r.mode,
    status: r.status,
    started_at: r.started_at,
    finished_at: r.finished_at,
    elapsed_s: r.elapsed_s,
    drill_every_s: r.drill_every_s,
    rto: r.rto,
    rpo: r.rpo,
    steps: r.steps.map((s) => ({
      id: s.id,
      title: s.title,
      status: s.status,
      budget_s: s.budget_s,
      duration_s: s.duration_s,
      waiting_s: s.waiting_s,
    })),
  };
}

/** Whether a report is one history counts: a drill or a real run that ended. */
export function counts(report: Pick<RunReport, 'mode' | 'status'>): boolean {
  return (
    (report.mode === 'drill' || report.mode === 'real') &&
    (report.status === 'succeeded' || report.status === 'failed' || report.status === 'rolled_back' || report.status === 'aborted')
  );
}

/** The median: the middle value, or the mean of the two middle values. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The 90th percentile by nearest rank: the smallest value that at least 90% of the values do not exceed. */
export function p90(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(0.9 * sorted.length) - 1]!;
}

/**
 * A budget one can write in a runbook, at least `seconds`: up to a minute in steps of 5s, up to
 * 10 minutes in steps of 30s, up to an hour in whole minutes, up to 6 hours in 5 minutes, beyond in
 * 15 minutes.
 */
export function readableBudget(seconds: number): number {
  const step = seconds <= 60 ? 5 : seconds <= 600 ? 30 : seconds <= 3600 ? 60 : seconds <= 6 * 3600 ? 300 : 900;
  return Math.max(step, Math.ceil(seconds / step) * step);
}

/**
 * The regression rule: the step's newest time is more than REGRESSION_RATIO times the median of
 * the (at most HISTORY_WINDOW) times before it, and at least REGRESSION_MIN_SECONDS slower, with at
 * least REGRESSION_MIN_EARLIER earlier times.
 */
export function regressionOf(times: ReadonlyArray<{ run_id: string; s: number }>): StepRegression | null {
  const newest = times.at(-1);
  const earlier = times.slice(Math.max(0, times.length - 1 - HISTORY_WINDOW), -1).map((t) => t.s);
  if (!newest || earlier.length < REGRESSION_MIN_EARLIER) return null;
  const base = median(earlier)!;
  if (!(newest.s > base * REGRESSION_RATIO && newest.s - base >= REGRESSION_MIN_SECONDS)) return null;
  return { run_id: newest.run_id, newest_s: newest.s, earlier_median_s: base, earlier_runs: earlier.length };
}

/**
 * Times (ISO 8601, UTC), run ids and runbook names in the order of their characters: the same order
 * as localeCompare gives them, without the time it takes to set up the locale's collation (about
 * 14 ms on its first call).
 */
const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Each runbook's history from the reports of its runs (any order; those that do not count are left out), by runbook name. */
export function buildHistory(reports: readonly HistoryReport[]): RunbookHistory[] {
  const byRunbook = new Map<string, HistoryReport[]>();
  for (const report of reports) {
    if (!counts(report)) continue;
    const list = byRunbook.get(report.runbook) ?? [];
    list.push(report);
    byRunbook.set(report.runbook, list);
  }
  return [...byRunbook.entries()].sort(([a], [b]) => byText(a, b)).map(([, runs]) => runbookHistory(runs));
}

function runbookHistory(unsorted: HistoryReport[]): RunbookHistory {
  const reports = [...unsorted].sort((a, b) => byText(a.started_at, b.started_at) || byText(a.run_id, b.run_id));
  const newest = reports.at(-1)!;
  const times = new Map<string, Array<{ run_id: string; s: number }>>();
  const titles = new Map<string, { title: string; budget_s: number | null }>();
  for (const report of reports) {
    for (const step of report.steps) {
      titles.set(step.id, { title: step.title, budget_s: step.budget_s });
      const s = step.status === 'succeeded' ? actualSeconds(step) : null;
      if (s === null) continue;
      const list = times.get(step.id) ?? [];
      list.push({ run_id: report.run_id, s });
      times.set(step.id, list);
    }
  }
  // Steps in the newest run's order, then any only older runs had.
  const order = [...newest.steps.map((s) => s.id), ...[...titles.keys()].filter((id) => !newest.steps.some((s) => s.id === id))];
  const steps = order.map((id): StepHistory => {
    const all = times.get(id) ?? [];
    const latest = all.slice(-HISTORY_WINDOW).map((t) => t.s);
    const { title, budget_s } = titles.get(id)!;
    const p = p90(latest);
    const suggested = p !== null && latest.length >= SUGGESTION_MIN_RUNS ? readableBudget(p) : null;
    return {
      id,
      title,
      budget_s,
      runs: all.length,
      times_s: latest,
      median_s: median(latest),
      p90_s: p,
      p90_over_budget: p !== null && budget_s !== null && p > budget_s,
      suggested_budget_s: suggested,
      suggested_budget: suggested === null ? null : formatDuration(suggested * 1000),
      regression: regressionOf(all),
    };
  });
  const lastDrill = reports.filter((r) => r.mode === 'drill' && r.status === 'succeeded' && r.finished_at !== null).at(-1);
  const every = typeof newest.drill_every_s === 'number' ? newest.drill_every_s : null;
  return {
    runbook: newest.runbook,
    title: newest.title,
    runs: reports.map(historyRun),
    drills: reports.filter((r) => r.mode === 'drill').length,
    real_runs: reports.filter((r) => r.mode === 'real').length,
    steps,
    last_successful_drill: lastDrill ? { run_id: lastDrill.run_id, finished_at: lastDrill.finished_at! } : null,
    drill_every_s: every,
    next_drill_due: lastDrill && every !== null ? new Date(Date.parse(lastDrill.finished_at!) + every * 1000).toISOString() : null,
  };
}

function historyRun(r: HistoryReport): HistoryRun {
  return {
    run_id: r.run_id,
    mode: r.mode as HistoryRun['mode'],
    status: r.status,
    started_at: r.started_at,
    finished_at: r.finished_at,
    elapsed_s: r.elapsed_s,
    rto_target_s: r.rto?.target_s ?? null,
    rto_met: r.rto && r.status === 'succeeded' ? r.rto.met : null,
    rpo_s: r.rpo?.achieved_s ?? null,
    rpo_target_s: r.rpo?.target_s ?? null,
    rpo_met: r.rpo && r.status === 'succeeded' ? r.rpo.met : null,
  };
}

/** What the live projection expects a step to take, from its history: the median of `runs` past times. */
export type StepExpectation = StepHistoryView;

/**
 * The steps with at least PROJECTION_MIN_RUNS past times: the projection of the remaining time
 * takes their median (the likeliest time; the budget stays the limit that warns) instead of
 * their budget.
 */
export function stepExpectations(reports: readonly HistoryReport[]): Map<string, StepExpectation> {
  const counted = reports.filter(counts).sort((a, b) => byText(a.started_at, b.started_at));
  const samples = new Map<string, Array<{ s: number; drill: boolean }>>();
  for (const report of counted) {
    for (const step of report.steps) {
      const s = step.status === 'succeeded' ? actualSeconds(step) : null;
      if (s === null) continue;
      const list = samples.get(step.id) ?? [];
      list.push({ s, drill: report.mode === 'drill' });
      samples.set(step.id, list);
    }
  }
  const out = new Map<string, StepExpectation>();
  for (const [id, all] of samples) {
    const latest = all.slice(-HISTORY_WINDOW);
    if (latest.length < PROJECTION_MIN_RUNS) continue;
    out.set(id, { ms: Math.round(median(latest.map((t) => t.s))! * 1000), runs: latest.length, drillsOnly: latest.every((t) => t.drill) });
  }
  return out;
}

/** A runbook that is to be drilled every so often, and whether its last successful drill is too long ago. */
export interface DrillDue {
  runbook: string;
  file: string;
  drill_every_s: number;
  last_successful_drill: { run_id: string; finished_at: string } | null;
  /** null when never drilled successfully. */
  next_drill_due: string | null;
  overdue: boolean;
}

/** Overdue: never drilled successfully, or the last successful drill plus drill_every is before now. */
export function drillDue(
  runbook: { name: string; file: string; drillEveryMs: number },
  history: RunbookHistory | undefined,
  now: Date,
): DrillDue {
  const last = history?.last_successful_drill ?? null;
  const due = last ? Date.parse(last.finished_at) + runbook.drillEveryMs : null;
  return {
    runbook: runbook.name,
    file: runbook.file,
    drill_every_s: runbook.drillEveryMs / 1000,
    last_successful_drill: last,
    next_drill_due: due === null ? null : new Date(due).toISOString(),
    overdue: due === null || due < now.getTime(),
  };
}
