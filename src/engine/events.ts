import type { CommandView } from './plan.js';
import type { RunMode } from './scope.js';

/** Statuses a step ends in (report.json, section 6). */
export type StepStatus = 'succeeded' | 'failed' | 'skipped' | 'rolled_back' | 'not_run';
export type RunStatus = 'succeeded' | 'failed' | 'rolled_back' | 'aborted' | 'interrupted';

/** The clock as the operator sees it before each step and while it runs. */
export interface ClockView {
  /** Time since the incident start. */
  elapsedMs: number;
  rtoMs?: number | undefined;
  /** Elapsed plus the budgets of the steps still to run. */
  projectedMs: number;
}

export interface StepCard {
  number: number;
  total: number;
  id: string;
  title: string;
  description?: string | undefined;
  command: CommandView;
  budgetMs?: number | undefined;
  clock: ClockView;
  confirm: 'none' | 'ask' | 'type';
  manual: boolean;
}

/**
 * Everything the engine tells the operator, as typed events: the engine never prints.
 * Every host renders every kind (see the exhaustive switch in the hosts).
 */
export type RunEvent =
  | { kind: 'run.started'; runId: string; runbook: string; title: string; mode: RunMode; incidentStart: string; resumed: boolean; totalSteps: number; rtoMs?: number | undefined }
  | { kind: 'preflight.check'; title: string; ok: boolean; detail?: string | undefined }
  | { kind: 'step.card'; card: StepCard }
  | { kind: 'step.skipped'; number: number; id: string; reason: string }
  | { kind: 'step.started'; number: number; id: string; attempt: number; attempts: number; budgetMs?: number | undefined }
  | { kind: 'step.output'; id: string; stream: 'stdout' | 'stderr'; text: string }
  | { kind: 'step.attempt.failed'; id: string; attempt: number; reason: string; retryInMs?: number | undefined }
  | { kind: 'step.polling'; id: string; attempt: number; reason: string; nextInMs: number }
  | { kind: 'step.over_budget'; id: string; budgetMs: number }
  | { kind: 'step.finished'; number: number; id: string; status: StepStatus; durationMs: number; budgetMs?: number | undefined; reason?: string | undefined }
  | { kind: 'rto.at_risk'; projectedMs: number; rtoMs: number; elapsedMs: number }
  | { kind: 'rollback.started'; steps: string[] }
  | { kind: 'rollback.step'; id: string; ok: boolean; reason?: string | undefined }
  | { kind: 'run.interrupted'; signal: string }
  | { kind: 'run.finished'; summary: RunSummary };

export interface RunSummaryStep {
  number: number;
  id: string;
  title: string;
  status: StepStatus;
  budgetMs?: number | undefined;
  durationMs?: number | undefined;
}

export interface RunSummary {
  runId: string;
  status: RunStatus;
  exitCode: number;
  steps: RunSummaryStep[];
  rto: { targetMs: number; elapsedMs: number; met: boolean } | null;
  rpo: { targetMs: number; achievedMs: number; met: boolean; evidence: string } | null;
  runningMs: number;
  waitingMs: number;
  reportFile: string;
}

/** Questions the engine asks; each carries the answer a non-interactive host gives with --yes. */
export type Question =
  | { kind: 'step.action'; card: StepCard; choices: Array<'run' | 'skip' | 'abort' | 'all'>; default: 'run' }
  | { kind: 'step.confirm'; id: string; question: string; default: true }
  | { kind: 'step.type'; id: string; expected: string; default: string }
  | { kind: 'manual.done'; id: string; text: string; default: 'done' }
  | { kind: 'failure.action'; id: string; reason: string; canRollback: boolean; default: 'retry' | 'skip' | 'rollback' | 'abort' }
  | { kind: 'inflight.action'; id: string; title: string; default: 'rerun' | 'skip' | 'abort' };

export type Answer<Q extends Question> = Q extends { kind: 'step.action' }
  ? 'run' | 'skip' | 'abort' | 'all'
  : Q extends { kind: 'step.confirm' }
    ? boolean
    : Q extends { kind: 'step.type' }
      ? string
      : Q extends { kind: 'manual.done' }
        ? 'done' | 'abort'
        : Q extends { kind: 'failure.action' }
          ? 'retry' | 'skip' | 'rollback' | 'abort'
          : Q extends { kind: 'inflight.action' }
            ? 'rerun' | 'skip' | 'abort'
            : never;

/** The UI, injected: a terminal host, a non-interactive host for --yes, or a recording host in tests. */
export interface Host {
  readonly interactive: boolean;
  emit(event: RunEvent): void;
  ask<Q extends Question>(question: Q, signal: AbortSignal): Promise<Answer<Q>>;
  /** Called once at the end (restore the terminal, stop spinners). */
  close(): void;
}

/** What an operator may type at a typed confirmation instead of the text: skip the step, or stop the run. */
export const TYPED_SKIP = 'skip';
export const TYPED_ABORT = 'abort';
