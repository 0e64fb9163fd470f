import type { RunStatus } from '../engine/events.js';
import { formatDuration } from '../util/duration.js';

/**
 * The one wording of a run's outcome and of its RTO and RPO verdicts, for the terminal summary,
 * `drctl runs` and every report. Only a recovery that happened (status succeeded) gets a verdict:
 * a run that failed, was rolled back, aborted, interrupted or is still going recovered nothing.
 */
export interface VerdictFacts {
  status: RunStatus | 'running';
  /** From the incident start to the run's end (or its last event). */
  elapsedMs: number;
  /** The step whose failure ended the run, if one did. */
  failedStep?: string | undefined;
  rto: { targetMs: number; elapsedMs: number; met: boolean } | null;
  rpo: { targetMs: number; achievedMs: number; met: boolean; evidence: string } | null;
}

/** How a verdict word is shown: plain, bold in Markdown, coloured on a terminal. */
export type Mark = (word: 'met' | 'missed', met: boolean) => string;
const plain: Mark = (word) => word;

export function recovered(status: RunStatus | 'running'): boolean {
  return status === 'succeeded';
}

/** "recovered in 3m30s", "in progress", "interrupted", "not recovered (failed at X after 3m30s)", "rolled back", "aborted". */
export function outcomeText(facts: VerdictFacts): string {
  switch (facts.status) {
    case 'succeeded':
      return `recovered in ${formatDuration(facts.elapsedMs)}`;
    case 'running':
      return 'in progress';
    case 'interrupted':
      return 'interrupted';
    case 'failed':
      return facts.failedStep
        ? `not recovered (failed at ${facts.failedStep} after ${formatDuration(facts.elapsedMs)})`
        : `not recovered (failed after ${formatDuration(facts.elapsedMs)})`;
    case 'rolled_back':
      return 'rolled back';
    case 'aborted':
      return 'aborted';
  }
}

/**
 * The status with its outcome, once: "succeeded, recovered in 3m30s", "failed, not recovered (…)",
 * but "aborted" or "rolled back" alone where the outcome only says the status again. `status` is
 * the word as shown (it may be coloured); `separator` joins the two.
 */
export function statusWithOutcome(facts: VerdictFacts, shownStatus: string = facts.status, separator = ', '): string {
  const outcome = outcomeText(facts);
  return outcome === facts.status.replace('_', ' ') ? outcome : `${shownStatus}${separator}${outcome}`;
}

/** For report.json: "met", "missed", or "not recovered" when no recovery happened. */
export function verdictWord(status: RunStatus | 'running', met: boolean): 'met' | 'missed' | 'not recovered' {
  return recovered(status) ? (met ? 'met' : 'missed') : 'not recovered';
}

/** Whether an objective counts as met: only by a recovery that happened, in time. */
export function objectiveMet(status: RunStatus | 'running', withinTarget: boolean): boolean {
  return recovered(status) && withinTarget;
}

/** "no verdict (not recovered)": why a run has no RTO or RPO verdict, in brief (the outcome line has the detail). */
function noVerdict(status: RunStatus | 'running'): string {
  const why = status === 'failed' ? 'not recovered' : outcomeText({ status, elapsedMs: 0, rto: null, rpo: null });
  return `no verdict (${why})`;
}

/** "RTO 1h", or "RTO" when the runbook sets none. */
export function rtoLabel(facts: VerdictFacts): string {
  return facts.rto ? `RTO ${formatDuration(facts.rto.targetMs)}` : 'RTO';
}

export function rpoLabel(facts: VerdictFacts): string {
  return facts.rpo ? `RPO ${formatDuration(facts.rpo.targetMs)}` : 'RPO';
}

/** "recovery took 3m30s since the incident start, met"; "no verdict (rolled back)" for a run that recovered nothing. */
export function rtoText(facts: VerdictFacts, mark: Mark = plain): string {
  const { rto } = facts;
  if (!rto) return 'not set';
  if (!recovered(facts.status)) return noVerdict(facts.status);
  return `recovery took ${formatDuration(rto.elapsedMs)} since the incident start, ${mark(rto.met ? 'met' : 'missed', rto.met)}`;
}

/** "recovery point 6m52s before the incident (s3://...), met"; "no verdict (...)" without a recovery. */
export function rpoText(facts: VerdictFacts, mark: Mark = plain): string {
  const { rpo } = facts;
  if (!rpo) return 'no evidence';
  if (!recovered(facts.status)) return noVerdict(facts.status);
  return `recovery point ${formatDuration(rpo.achievedMs)} before the incident (${rpo.evidence}), ${mark(rpo.met ? 'met' : 'missed', rpo.met)}`;
}

/** The short form for a table cell (`drctl runs`): "3m30s of 1h, met", or "-" without a verdict. */
export function objectiveCell(facts: VerdictFacts, which: 'rto' | 'rpo', mark: Mark = plain): string {
  if (!recovered(facts.status)) return '-';
  const objective =
    which === 'rto'
      ? facts.rto && { took: facts.rto.elapsedMs, target: facts.rto.targetMs, met: facts.rto.met }
      : facts.rpo && { took: facts.rpo.achievedMs, target: facts.rpo.targetMs, met: facts.rpo.met };
  if (!objective) return '-';
  return `${formatDuration(objective.took)} of ${formatDuration(objective.target)}, ${mark(objective.met ? 'met' : 'missed', objective.met)}`;
}
