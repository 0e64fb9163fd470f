import type { RunStatus, StepStatus } from '../engine/events.js';
import type { RunRecord } from '../journal/record.js';

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
  rto: { target_s: number; elapsed_s: number; met: boolean } | null;
  rpo: { target_s: number; achieved_s: number; met: boolean; evidence: string } | null;
  time: { running_s: number; waiting_for_operator_s: number };
  steps: ReportStep[];
  exit_code: number | null;
}

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
}

const seconds = (ms: number): number => Math.round(ms) / 1000;

export function buildReport(record: RunRecord): RunReport {
  const finishedAt = record.finished?.at ?? null;
  const end = Date.parse(finishedAt ?? record.lastEventAt);
  const elapsedMs = end - Date.parse(record.incidentStart);
  const steps = record.plannedSteps.map((planned): ReportStep => {
    const step = record.steps.get(planned.id);
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
    };
    if (step?.reason) entry.reason = step.reason;
    return entry;
  });
  const runningMs = [...record.steps.values()].reduce((sum, step) => sum + step.durationMs, 0);
  const rtoTarget = record.objectives.rto_ms;
  const status = record.finished?.status ?? 'running';
  return {
    run_id: record.runId,
    runbook: record.runbook,
    title: record.title,
    mode: record.mode,
    status,
    incident_start: record.incidentStart,
    started_at: record.startedAt,
    finished_at: finishedAt,
    // The RTO is met only by a run that recovered, in time.
    rto:
      rtoTarget === null
        ? null
        : { target_s: seconds(rtoTarget), elapsed_s: seconds(elapsedMs), met: status === 'succeeded' && elapsedMs <= rtoTarget },
    rpo: rpoOf(record),
    time: { running_s: seconds(runningMs), waiting_for_operator_s: seconds(record.waitingMs) },
    steps,
    exit_code: record.finished?.exitCode ?? null,
  };
}

function rpoOf(record: RunRecord): RunReport['rpo'] {
  const target = record.objectives.rpo_ms;
  if (target === null) return null;
  const points = [...record.steps.values()].filter((s) => s.status !== 'skipped' && s.recoveryPoint).map((s) => s.recoveryPoint!);
  const point = points[points.length - 1];
  if (!point) return null;
  const achievedMs = Math.max(0, Date.parse(record.incidentStart) - Date.parse(point.at));
  return { target_s: seconds(target), achieved_s: seconds(achievedMs), met: achievedMs <= target, evidence: point.evidence };
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
