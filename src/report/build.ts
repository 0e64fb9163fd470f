import type { RunStatus, StepStatus } from '../engine/events.js';
import type { IncidentStartCorrection, OperatorSession, RunRecord } from '../journal/record.js';
import type { VerdictFacts } from './verdict.js';
import { objectiveMet, outcomeText, verdictWord } from './verdict.js';
import { MAX_INTERVAL_MS } from '../util/duration.js';

/** report.json (format section 6): what a finished run proves. */
export interface RunReport {
  run_id: string;
  runbook: string;
  title: string;
  mode: string;
  status: RunStatus | 'running';
  incident_start: string;
  started_at: string;
  finished_at: string | null;
  /** From the incident start to the end (or, for a run not ended, its last event). */
  elapsed_s: number;
  /** The step whose failure ended the run (not one allowed to fail), or null. */
  failed_step: string | null;
  /** "recovered in 3m30s", "in progress", "interrupted", "not recovered (failed at X after 3m30s)", "rolled back", "aborted". */
  outcome: string;
  /** `met` is true only for a recovery that happened (status succeeded) in time; `verdict` says "not recovered" otherwise. */
  rto: { target_s: number; elapsed_s: number; met: boolean; verdict: ObjectiveVerdict } | null;
  rpo: { target_s: number; achieved_s: number; met: boolean; evidence: string; verdict: ObjectiveVerdict } | null;
  time: { running_s: number; waiting_for_operator_s: number };
  steps: ReportStep[];
  exit_code: number | null;
  /** Operators' notes (`drctl note`), oldest first: an addition to section 6. */
  notes: ReportNote[];
  /** Who ran each session of the run (its start, then every resume): an addition to section 6. */
  operators: ReportOperator[];
  /**
   * Corrections of the incident start (`resume --incident-start`), oldest first: `incident_start`
   * is the corrected time, and the RTO and RPO are measured from it. An addition to section 6.
   */
  incident_start_corrections: ReportIncidentStartCorrection[];
  /** The drctl that started the run (each session's own version is in `operators`): an addition to section 6. */
  tool: { name: 'drctl'; version: string | null };
  /** The runbook file as the run started: its path, sha256 and `metadata.version`. An addition to section 6. */
  runbook_file: { path: string; digest: string; version: string | null };
  /** What the run was about: `--environment`, and the runbook's severity, owner and tags. An addition to section 6. */
  scope: { environment: string | null; severity: string | null; owner: string | null; tags: string[] };
  /** Who took part (`--participant`, or asked at the start of a drill), and who added them (user@host). */
  participants: ReportParticipant[];
  /** The review after the run (`drctl review`), oldest first: findings, remediation with owner and due date, sign-offs. */
  findings: ReportFinding[];
  remediation: ReportRemediation[];
  sign_offs: ReportSignOff[];
  /** The cleanup ledger: what actions made for the run (a downloaded backup) and what became of it. */
  cleanup: ReportCleanup[];
  /**
   * The run's integrity evidence, in the order taken: each data fingerprint (`postgres.fingerprint`)
   * and what it was compared with. An addition to section 6.
   */
  integrity: ReportIntegrity[];
  /** Every question asked during the run and its answer, oldest first. An addition to section 6. */
  decisions: ReportDecision[];
  /** Every stop before the end (a signal, a crash) and when the run was resumed. An addition to section 6. */
  interruptions: ReportInterruption[];
  /** `objectives.drill_every` in seconds, null when the runbook sets none. An addition to section 6. */
  drill_every_s: number | null;
  /** A drill that succeeded: its finish plus drill_every; null for any other run or without drill_every. */
  next_drill_due: string | null;
  /**
   * The journal the report was built from: its entries and its head, the sha256 of its last line
   * (null for a journal older than the hash chain). `drctl verify` checks both. An addition to section 6.
   */
  journal: { entries: number; head: string | null };
}

export interface ReportParticipant {
  name: string;
  role: string | null;
  at: string;
  added_by: string | null;
}

export interface ReportFinding {
  at: string;
  /** user@host of who wrote it. */
  by: string;
  text: string;
}

export interface ReportRemediation {
  at: string;
  by: string;
  text: string;
  owner: string | null;
  /** YYYY-MM-DD. */
  due: string | null;
}

export interface ReportSignOff {
  at: string;
  name: string;
  role: string | null;
  /** user@host of who recorded it. */
  by: string;
  /** The journal's head hash the sign-off signs: every entry up to it; null for a journal without a hash chain. */
  covers: string | null;
}

export interface ReportIntegrity {
  step: string;
  at: string;
  database: string | null;
  /** The manifest or earlier fingerprint the data was compared with; null when it was only taken. */
  compared_with: string | null;
  tables: number | null;
  rows: number | null;
  /** One line per table that differed. */
  differences: string[];
  /** true: everything matched; false: a table differed; null: nothing was compared. */
  ok: boolean | null;
}

export interface ReportCleanup {
  path: string;
  kind: 'file' | 'dir' | 'postgres-server';
  step: string;
  /** pending: not yet removed (the run has not ended, or `drctl cleanup` has still to run). */
  status: 'pending' | 'removed' | 'kept' | 'gone' | 'failed';
  error: string | null;
  at: string | null;
}

/** Who started or resumed the run, as the record keeps it. */
export type ReportOperator = OperatorSession;

/** A correction of the incident start, as the record keeps it. */
export type ReportIncidentStartCorrection = IncidentStartCorrection;

export interface ReportNote {
  at: string;
  user: string;
  host: string;
  text: string;
}

export type ObjectiveVerdict = 'met' | 'missed' | 'not recovered';

export interface ReportStep {
  id: string;
  title: string;
  status: StepStatus;
  attempts: number;
  budget_s: number | null;
  duration_s: number | null;
  waiting_s: number | null;
  over_budget: boolean;
  exit_code: number | null;
  outputs: Record<string, unknown>;
  reason?: string;
  /** The last lines of the command's error output, when its exit code failed the step. */
  error_tail?: string;
  /** The step failed and the run went on (on_failure: continue, or the operator chose to): it did not fail the run. */
  continued?: true;
  /** How many times the step ran, when the operator ran it again from the menu (attempts and times count every run). */
  runs?: number;
  /** A manual step's checklist: each item answered, in order (an addition to section 6). */
  checklist?: ReportChecklistItem[];
  /** When the step first started and last finished; null for a step that did not run. An addition to section 6. */
  started_at: string | null;
  finished_at: string | null;
  /** Who chose to run it: user@host, "user@host (run all)", "--yes"; null when nobody was asked. */
  confirmed_by: string | null;
  /** Every try of its command or action, oldest first (a manual step has none). */
  attempt_log: ReportAttempt[];
}

export interface ReportAttempt {
  attempt: number;
  started_at: string;
  finished_at: string;
  duration_s: number;
  exit_code: number | null;
  /** Why drctl counted it failed (a timeout, an expectation not met), when it did. */
  error: string | null;
  /** The last lines of its error output (stdout when stderr was empty), for a try that failed. */
  error_tail: string | null;
  /** The last lines of its standard output. */
  output_tail: string | null;
}

/** A question the run asked, its answer, and who gave it ("--yes" when no one was asked). */
export interface ReportDecision {
  at: string;
  step: string | null;
  question: string;
  answer: string;
  wait_s: number;
  by: string | null;
}

/** A stop before the run's end: a signal drctl journaled, or a crash found by the next resume. */
export interface ReportInterruption {
  at: string;
  step: string | null;
  cause: 'signal' | 'crash';
  signal: string | null;
  resumed_at: string | null;
}

export interface ReportChecklistItem {
  index: number;
  text: string;
  answer: 'done' | 'skipped' | 'acknowledged' | 'aborted';
  at: string;
  /** user@host of who answered, null where the journal did not say. */
  by: string | null;
}

const seconds = (ms: number): number => Math.round(ms) / 1000;

export function buildReport(record: RunRecord): RunReport {
  const finishedAt = record.finished?.at ?? null;
  const end = Date.parse(finishedAt ?? record.lastEventAt);
  const elapsedMs = end - Date.parse(record.incidentStart);
  const steps = record.plannedSteps.map((planned): ReportStep => {
    const step = record.steps.get(planned.id);
    const history = record.stepHistory.get(planned.id);
    const entry: ReportStep = {
      id: planned.id,
      title: planned.title,
      status: step?.status ?? 'not_run',
      attempts: step?.attempts ?? 0,
      budget_s: planned.budget_ms === null ? null : seconds(planned.budget_ms),
      duration_s: step ? seconds(step.durationMs) : null,
      waiting_s: step ? seconds(step.waitingMs) : null,
      over_budget: step?.overBudget ?? false,
      exit_code: step?.exitCode ?? null,
      outputs: step?.outputs ?? {},
      started_at: history?.startedAt || null,
      finished_at: step?.finishedAt ?? null,
      confirmed_by: history?.confirmedBy ?? null,
      attempt_log: (history?.attempts ?? []).map((a) => ({
        attempt: a.attempt,
        started_at: a.startedAt,
        finished_at: a.finishedAt,
        duration_s: seconds(a.durationMs),
        exit_code: a.exitCode,
        error: a.error,
        error_tail: a.errorTail,
        output_tail: a.outputTail,
      })),
    };
    if (step?.reason) entry.reason = step.reason;
    if (step?.errorTail) entry.error_tail = step.errorTail;
    if (step?.status === 'failed' && step.then === 'continue') entry.continued = true;
    if (step?.runs !== undefined && step.runs > 1) entry.runs = step.runs;
    const checklist = record.checklists.get(planned.id);
    if (checklist?.length) entry.checklist = checklist.map((i) => ({ index: i.index, text: i.text, answer: i.answer, at: i.at, by: i.by }));
    return entry;
  });
  // Attempts cut short by a stop ran too, and so does the step still running (to its last entry).
  const { running } = record;
  const openMs = running?.openSince ? Math.max(0, Date.parse(record.lastEventAt) - Date.parse(running.openSince)) : 0;
  const unfinishedMs = [...(record.cutShort?.values() ?? [])].reduce(
    (sum, attempt) => sum + attempt.durationMs,
    (running?.durationMs ?? 0) + openMs,
  );
  // A step being run again: its earlier runs' time counts until the new result includes it.
  const rerunMs = [...(record.earlierRuns?.values() ?? [])].reduce((sum, earlier) => sum + earlier.durationMs, unfinishedMs);
  const runningMs = [...record.steps.values()].reduce((sum, step) => sum + step.durationMs, rerunMs);
  const rtoTarget = record.objectives.rto_ms;
  const status = record.finished?.status ?? 'running';
  const failedStep = steps.filter((s) => s.status === 'failed' && !s.continued).at(-1)?.id ?? null;
  return {
    run_id: record.runId,
    runbook: record.runbook,
    title: record.title,
    mode: record.mode,
    status,
    incident_start: record.incidentStart,
    started_at: record.startedAt,
    finished_at: finishedAt,
    elapsed_s: seconds(elapsedMs),
    failed_step: failedStep,
    outcome: outcomeText({ status, elapsedMs, failedStep: failedStep ?? undefined, rto: null, rpo: null }),
    // The RTO is met only by a run that recovered, in time.
    rto:
      rtoTarget === null
        ? null
        : {
            target_s: seconds(rtoTarget),
            elapsed_s: seconds(elapsedMs),
            met: objectiveMet(status, elapsedMs <= rtoTarget),
            verdict: verdictWord(status, elapsedMs <= rtoTarget),
          },
    rpo: rpoOf(record, status),
    time: { running_s: seconds(runningMs), waiting_for_operator_s: seconds(record.waitingMs) },
    steps,
    exit_code: record.finished?.exitCode ?? null,
    notes: record.notes.map((n) => ({ at: n.at, user: n.user, host: n.host, text: n.text })),
    operators: record.operators.map((o) => ({
      session: o.session,
      at: o.at,
      user: o.user,
      host: o.host,
      terminal: o.terminal,
      version: o.version,
    })),
    incident_start_corrections: record.incidentStartCorrections.map((c) => ({ ...c })),
    tool: { name: 'drctl', version: record.toolVersion },
    runbook_file: { path: record.file, digest: record.digest, version: record.runbookVersion },
    scope: { ...record.scope, tags: [...record.scope.tags] },
    participants: record.participants.map((p) => ({ name: p.name, role: p.role, at: p.at, added_by: p.addedBy })),
    findings: record.review.findings.map((f) => ({ ...f })),
    remediation: record.review.remediation.map((r) => ({ ...r })),
    sign_offs: record.review.signOffs.map((s) => ({ ...s })),
    cleanup: record.cleanup.map((c) => ({
      path: c.path,
      kind: c.kind,
      step: c.step,
      status: c.status,
      error: c.error ?? null,
      at: c.doneAt ?? null,
    })),
    integrity: (record.integrity ?? []).map(integrityOf),
    decisions: record.decisions.map((d) => ({
      at: d.at,
      step: d.step,
      question: d.text,
      answer: d.answer,
      wait_s: seconds(d.waitMs),
      by: d.by,
    })),
    interruptions: record.interruptions.map((i) => ({
      at: i.at,
      step: i.step,
      cause: i.cause,
      signal: i.signal,
      resumed_at: i.resumedAt,
    })),
    ...drillDue(record, status, finishedAt),
    // Counted where the journal file was read; a record that was never read from one counts none.
    journal: record.journal ? { ...record.journal } : { entries: 0, head: null },
  };
}

/** When the next drill is due: only a drill that succeeded proves the runbook works, so only it sets the date. */
function drillDue(
  record: RunRecord,
  status: RunReport['status'],
  finishedAt: string | null,
): Pick<RunReport, 'drill_every_s' | 'next_drill_due'> {
  const every = record.objectives.drill_every_ms;
  // A journal is data: an interval past the longest a runbook takes could be no runbook's, and would be no date.
  if (typeof every !== 'number' || !Number.isFinite(every) || every <= 0 || every > MAX_INTERVAL_MS)
    return { drill_every_s: null, next_drill_due: null };
  const due = record.mode === 'drill' && status === 'succeeded' && finishedAt !== null ? Date.parse(finishedAt) + every : NaN;
  const date = new Date(due);
  return { drill_every_s: seconds(every), next_drill_due: Number.isNaN(date.getTime()) ? null : date.toISOString() };
}

/** One piece of integrity evidence as the report shows it, from what the action journaled (each field checked: a journal is data). */
function integrityOf(item: NonNullable<RunRecord['integrity']>[number]): ReportIntegrity {
  const e = item.evidence;
  const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  const count = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  return {
    step: item.step,
    at: item.at,
    database: text(e.database),
    compared_with: text(e.compared_with),
    tables: count(e.tables),
    rows: count(e.rows),
    differences: Array.isArray(e.differences) ? e.differences.map(String) : [],
    ok: typeof e.ok === 'boolean' ? e.ok : null,
  };
}

function rpoOf(record: RunRecord, status: RunReport['status']): RunReport['rpo'] {
  const target = record.objectives.rpo_ms;
  if (target === null) return null;
  const points = [...record.steps.values()].filter((s) => s.status !== 'skipped' && s.recoveryPoint).map((s) => s.recoveryPoint!);
  const point = points[points.length - 1];
  if (!point) return null;
  const achievedMs = Math.max(0, Date.parse(record.incidentStart) - Date.parse(point.at));
  return {
    target_s: seconds(target),
    achieved_s: seconds(achievedMs),
    // A backup picked by a run that recovered nothing is no recovery point.
    met: objectiveMet(status, achievedMs <= target),
    evidence: point.evidence,
    verdict: verdictWord(status, achievedMs <= target),
  };
}

/**
 * A step's time as the summary and every report show it: a manual step's is the operator's (its
 * wait), a command step's is its running time; null for a step that did not run or was skipped.
 */
export function actualSeconds(step: Pick<ReportStep, 'status' | 'duration_s' | 'waiting_s'>): number | null {
  if (step.duration_s === null || step.status === 'skipped' || step.status === 'not_run') return null;
  return step.duration_s === 0 ? (step.waiting_s ?? 0) : step.duration_s;
}

/** What the one wording of verdicts (verdict.ts) needs of a report. */
export function verdictFacts(report: RunReport): VerdictFacts {
  return {
    status: report.status,
    elapsedMs: report.elapsed_s * 1000,
    failedStep: report.failed_step ?? undefined,
    rto: report.rto ? { targetMs: report.rto.target_s * 1000, elapsedMs: report.rto.elapsed_s * 1000, met: report.rto.met } : null,
    rpo: report.rpo
      ? {
          targetMs: report.rpo.target_s * 1000,
          achievedMs: report.rpo.achieved_s * 1000,
          met: report.rpo.met,
          evidence: report.rpo.evidence,
        }
      : null,
  };
}

/** Exit codes of run and resume (section 6). */
export function exitCodeFor(status: RunStatus, objectivesMet: boolean): number {
  switch (status) {
    case 'succeeded':
      return objectivesMet ? 0 : 3;
    case 'failed':
    case 'rolled_back':
      return 1;
    case 'aborted':
      return 4;
    case 'interrupted':
      return 130;
  }
}
