import type { RunMode } from '../engine/scope.js';
import type { RunStatus, StepStatus } from '../engine/events.js';
import type { Literal } from '../runbook/expression.js';
import type { JournalEvent } from './journal.js';

export interface StepRecord {
  id: string;
  status: StepStatus;
  attempts: number;
  exitCode: number | null;
  durationMs: number;
  waitingMs: number;
  overBudget: boolean;
  outputs: Record<string, unknown>;
  reason?: string | undefined;
  startedAt?: string | undefined;
  finishedAt?: string | undefined;
  /** Outputs that held a secret: journaled masked, so a resumed run cannot use them. */
  redactedOutputs?: string[] | undefined;
  /** RPO evidence a step produced (a backup's time and name). */
  recoveryPoint?: { at: string; evidence: string } | undefined;
}

export interface PlannedStepInfo {
  id: string;
  title: string;
  budget_ms: number | null;
}

/** A run rebuilt from its journal: what resume continues from and what reports are made of. */
export interface RunRecord {
  runId: string;
  runbook: string;
  title: string;
  file: string;
  digest: string;
  mode: RunMode;
  incidentStart: string;
  startedAt: string;
  inputs: Record<string, Literal>;
  secretInputs: string[];
  objectives: { rto_ms: number | null; rpo_ms: number | null };
  options: { yes: boolean; accept_manual: boolean; start_at: string | null; reports: string[]; aws_profile?: string | null; aws_region?: string | null };
  plannedSteps: PlannedStepInfo[];
  steps: Map<string, StepRecord>;
  /** A step that started and never finished: the process died or was interrupted in it. */
  inFlight?: string | undefined;
  /** The process group of the in-flight step's last command: it may outlive a killed drctl. */
  inFlightPgid?: number | undefined;
  /** A rollback that began: a resumed run finishes it and never runs further steps. */
  rollback?: { finished: boolean } | undefined;
  waitingMs: number;
  finished?: { status: RunStatus; exitCode: number; at: string } | undefined;
  lastEventAt: string;
  tornTail: boolean;
}

export function rebuildRun(events: readonly JournalEvent[], tornTail = false): RunRecord {
  const start = events[0]!;
  const record: RunRecord = {
    runId: start.run_id as string,
    runbook: start.runbook as string,
    title: start.title as string,
    file: start.file as string,
    digest: start.digest as string,
    mode: start.mode as RunMode,
    incidentStart: start.incident_start as string,
    startedAt: start.t,
    inputs: start.inputs as Record<string, Literal>,
    secretInputs: start.secret_inputs as string[],
    objectives: start.objectives as RunRecord['objectives'],
    options: start.options as RunRecord['options'],
    plannedSteps: start.steps as PlannedStepInfo[],
    steps: new Map(),
    waitingMs: 0,
    lastEventAt: start.t,
    tornTail,
  };
  for (const event of events) {
    record.lastEventAt = event.t;
    switch (event.type) {
      case 'step.started':
        record.inFlight = event.step as string;
        record.inFlightPgid = undefined;
        break;
      case 'step.process':
        record.inFlightPgid = event.pgid as number;
        break;
      case 'prompt.answered':
        record.waitingMs += (event.wait_ms as number) ?? 0;
        break;
      case 'step.finished': {
        const id = event.step as string;
        record.steps.set(id, {
          id,
          status: event.status as StepStatus,
          attempts: (event.attempts as number) ?? 0,
          exitCode: (event.exit_code as number | null) ?? null,
          durationMs: (event.duration_ms as number) ?? 0,
          waitingMs: (event.waiting_ms as number) ?? 0,
          overBudget: (event.over_budget as boolean) ?? false,
          outputs: (event.outputs as Record<string, unknown>) ?? {},
          reason: event.reason as string | undefined,
          startedAt: event.started_at as string | undefined,
          finishedAt: event.t,
          recoveryPoint: event.recovery_point as StepRecord['recoveryPoint'],
          redactedOutputs: event.redacted_outputs as string[] | undefined,
        });
        if (record.inFlight === id) record.inFlight = undefined;
        break;
      }
      case 'rollback.started':
        record.rollback = { finished: false };
        break;
      case 'rollback.step':
        if (event.ok === true) {
          const step = record.steps.get(event.step as string);
          if (step) step.status = 'rolled_back';
        }
        break;
      case 'rollback.finished':
        record.rollback = { finished: true };
        break;
      case 'run.resumed':
        record.finished = undefined;
        // A resume with --force may bring a changed list of steps: the report follows it.
        if (Array.isArray(event.steps)) record.plannedSteps = event.steps as PlannedStepInfo[];
        break;
      case 'run.interrupted':
        record.finished = { status: 'interrupted', exitCode: 130, at: event.t };
        break;
      case 'run.finished':
        record.finished = { status: event.status as RunStatus, exitCode: event.exit_code as number, at: event.t };
        break;
      default:
        break;
    }
  }
  return record;
}
