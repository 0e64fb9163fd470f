import type { FailureDecision, JournalEntryBody, RunMode, RunStatus, StepStatus } from '../journal/entries.js';
import type { CommandView } from './plan.js';
import type { StepEnvView } from './env-view.js';

export type { RunMode, RunStatus, StepStatus } from '../journal/entries.js';

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
  /** The step's `env:` and `postgres:` connection, resolved, secrets masked (absent in older callers). */
  env?: StepEnvView | undefined;
  /** What past drills and runs say the step takes, when enough of them did: the projection counts this instead of the budget. */
  history?: StepHistoryView | undefined;
}

/** A step's median time over its past drills and runs (`runs` of them; `drillsOnly` when none was a real run). */
export interface StepHistoryView {
  ms: number;
  runs: number;
  drillsOnly: boolean;
}

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
  /** From the incident start to the run's end. */
  elapsedMs: number;
  /** The step whose failure ended the run, if one did. */
  failedStep?: string | undefined;
  rto: { targetMs: number; elapsedMs: number; met: boolean } | null;
  rpo: { targetMs: number; achievedMs: number; met: boolean; evidence: string } | null;
  /** The run's integrity evidence, one line per fingerprint (`ok`: matched; null: nothing compared). */
  integrity?: Array<{ step: string; text: string; ok: boolean | null }> | undefined;
  runningMs: number;
  waitingMs: number;
  reportFile: string;
}

/** What only the operator sees: the journal keeps none of these. */
export type DisplayEvent =
  | {
      type: 'run.header';
      runId: string;
      runbook: string;
      title: string;
      mode: RunMode;
      incidentStart: string;
      resumed: boolean;
      totalSteps: number;
      rtoMs?: number | undefined;
    }
  | { type: 'preflight.check'; title: string; ok: boolean; detail?: string | undefined }
  | { type: 'step.card'; card: StepCard }
  | { type: 'step.attempt.started'; number: number; id: string; attempt: number; attempts: number; budgetMs?: number | undefined }
  | { type: 'step.output'; id: string; stream: 'stdout' | 'stderr'; text: string }
  | { type: 'step.attempt.failed'; id: string; attempt: number; reason: string; retryInMs?: number | undefined }
  | { type: 'step.polling'; id: string; attempt: number; reason: string; nextInMs: number }
  /** A step failed, before the decision on what follows (which step.finished records). */
  | { type: 'step.failed'; number: number; id: string; durationMs: number; budgetMs?: number | undefined; reason: string }
  | { type: 'run.summary'; summary: RunSummary };

/**
 * Everything that happens in a run, as typed events: the engine never prints and never writes the
 * journal. Journal entries are events too: one subscriber journals them (src/lifecycle/recorder.ts),
 * the host shows what the operator needs (see the exhaustive switch in src/io/render-run.ts).
 */
export type RunEvent = JournalEntryBody | DisplayEvent;

export type DisplayEventType = DisplayEvent['type'];

const DISPLAY_TYPES: Record<DisplayEventType, true> = {
  'run.header': true,
  'preflight.check': true,
  'step.card': true,
  'step.attempt.started': true,
  'step.output': true,
  'step.attempt.failed': true,
  'step.polling': true,
  'step.failed': true,
  'run.summary': true,
};

export function isDisplayEvent(event: RunEvent): event is DisplayEvent {
  return Object.hasOwn(DISPLAY_TYPES, event.type);
}

/** The answer to "a step failed: what now?": one of the failure decisions, or try again. */
export type FailureAnswer = FailureDecision | 'retry';

/**
 * Questions the engine asks. Every question carries `default`: the answer the non-interactive
 * host (--yes) gives, so the engine never needs to know which host it talks to.
 */
export type Question =
  /**
   * The step card's menu. `pause`: the runbook stops "run all" here (`pause: true`); its default is
   * then "all", so --yes goes on without waiting.
   */
  | { kind: 'step.action'; card: StepCard; choices: StepAction[]; pause?: boolean; default: 'run' | 'all' }
  | { kind: 'step.confirm'; id: string; question: string; default: true }
  /** At step `id`'s menu, which finished step to run again ("rerun"): its id, or null to go back to the menu. */
  | { kind: 'step.rerun'; id: string; steps: RerunCandidate[]; default: null }
  /**
   * A typed confirmation: the operator types `expected` (shown masked when it holds a secret,
   * so the host checks the text with `matches`), or "skip" or "abort".
   */
  | {
      kind: 'step.type';
      id: string;
      expected: string;
      matches: (typed: string) => boolean;
      /** The step ran before and is not idempotent: the text confirms running it again. */
      again?: boolean;
      default: 'confirmed';
    }
  | { kind: 'manual.done'; id: string; text: string; default: 'acknowledged' }
  /**
   * One item of a manual step's Markdown checklist (`- [ ] ...`), `index` counted from 1: done, skip
   * it (journaled as skipped), or abort the run. --yes (with --accept-manual) acknowledges it.
   */
  | { kind: 'manual.item'; id: string; index: number; total: number; text: string; default: 'acknowledged' }
  /** `default` is the runbook's on_failure: continue, rollback, or fail (on_failure: abort). */
  | { kind: 'failure.action'; id: string; reason: string; canRollback: boolean; default: Exclude<FailureDecision, 'abort'> }
  | { kind: 'inflight.action'; id: string; title: string; default: 'abort' }
  | { kind: 'inflight.rollback'; id: string; title: string; default: 'failed' }
  /**
   * At the start of an interactive drill given no --participant: who takes part, one person per
   * question (`number` from 1), answered "Name, role"; an empty answer ends the list. `check` says
   * why an answer cannot be journaled (too long, a control character), undefined when it can.
   */
  | { kind: 'run.participant'; number: number; check: (answer: string) => string | undefined; default: '' };

/** The step menu: run it, skip it, stop the run, run all that follow, or run a finished step again first. */
export type StepAction = 'run' | 'skip' | 'abort' | 'all' | 'rerun';

/** A finished step the operator may run again from the step menu. */
export interface RerunCandidate {
  number: number;
  id: string;
  title: string;
  status: StepStatus;
  /** Runs again after a yes; one that is not idempotent asks for its id to be typed. */
  idempotent: boolean;
}

export type Answer<Q extends Question> = Q extends { kind: 'step.rerun' } ? string | null : AnswerOf<Q>;

type AnswerOf<Q extends Question> = Q extends { kind: 'step.action' }
  ? StepAction
  : Q extends { kind: 'step.confirm' }
    ? boolean
    : Q extends { kind: 'step.type' }
      ? 'confirmed' | typeof TYPED_SKIP | typeof TYPED_ABORT
      : Q extends { kind: 'manual.done' }
        ? 'done' | 'acknowledged' | 'abort'
        : Q extends { kind: 'manual.item' }
          ? 'done' | 'skip' | 'abort' | 'acknowledged'
          : Q extends { kind: 'failure.action' }
            ? FailureAnswer
            : Q extends { kind: 'inflight.action' }
              ? 'rerun' | 'skip' | 'abort'
              : Q extends { kind: 'inflight.rollback' }
                ? 'rerun' | 'done' | 'failed'
                : Q extends { kind: 'run.participant' }
                  ? string
                  : never;

/**
 * The operator's note, given at any prompt instead of an answer: the engine journals it (a `note`
 * entry, as `drctl note` writes, with the operator) and asks the same question again.
 */
export interface NoteAnswer {
  note: string;
}

export function isNoteAnswer(answer: unknown): answer is NoteAnswer {
  return typeof answer === 'object' && answer !== null && typeof (answer as { note?: unknown }).note === 'string';
}

/** The UI, injected: a terminal host, a non-interactive host for --yes, or a recording host in tests. */
export interface Host {
  emit(event: RunEvent): void;
  /** The answer, or a note: any question may be answered with a note first (the question is then asked again). */
  ask<Q extends Question>(question: Q, signal: AbortSignal): Promise<Answer<Q> | NoteAnswer>;
  /** Called once at the end (restore the terminal, stop spinners). */
  close(): void;
  /** Every question gets its default without anyone asked (--yes): the record says so instead of naming a person. */
  readonly answersByDefault?: boolean;
}

/** What an operator may type at a typed confirmation instead of the text: skip the step, or stop the run. */
export const TYPED_SKIP = 'skip' as const;
export const TYPED_ABORT = 'abort' as const;
/** Typed at a typed confirmation (unless it is the text asked for), it adds a note instead. */
export const TYPED_NOTE = 'note' as const;
