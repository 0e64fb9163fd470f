import type { ProcessRunner } from '../ports/process.js';
import type { ChecklistAnswer, FailureDecision, RunStatus } from '../journal/entries.js';
import { MAX_NOTE_LENGTH } from '../journal/entries.js';
import type { ChecklistItemRecord, RunRecord, StepRecord } from '../journal/record.js';
import { remainingWork } from '../journal/record.js';
import type { Literal, Scope } from '../runbook/expression.js';
import type { CommandBody, Runbook, Step } from '../runbook/model.js';
import type { Clock } from '../ports/clock.js';
import type { Answer, ClockView, NoteAnswer, Question, RerunCandidate, RunEvent, StepCard, StepHistoryView } from './events.js';
import { isNoteAnswer, TYPED_ABORT, TYPED_SKIP } from './events.js';
import { checklistItems } from './checklist.js';
import { LineSplitter } from './line-splitter.js';
import type { Plan, PlanContext } from './plan.js';
import { expressionEnv, runScope, viewOf } from './plan.js';
import { stepEnvView } from './env-view.js';
import { resolveFrom } from './preflight.js';
import type { Redactor } from './redact.js';
import { evaluateCondition, renderString, resolveValue } from './render.js';
import type { StepState } from './scope.js';
import type { ActionExecutor } from '../ports/actions.js';
import type { Operator } from '../util/operator.js';
import { currentOperator } from '../util/operator.js';
import { openLibpqEnv } from './libpq-env.js';
import type { CommandOutcome } from './step-runner.js';
import { outputOnlyHooks, runCommand } from './step-runner.js';
import { questionText } from './question-text.js';

/**
 * Where the executor's events go and where its questions are answered. The lifecycle wires it to
 * the host (what the operator sees) and the journal (what the run record keeps), masking secrets.
 */
export interface RunChannel {
  emit(event: RunEvent): void;
  ask<Q extends Question>(question: Q, signal: AbortSignal): Promise<Answer<Q> | NoteAnswer>;
  /** Questions are answered with their defaults, by no one (--yes). */
  readonly answersByDefault?: boolean | undefined;
}

export interface ExecutorDeps {
  channel: RunChannel;
  runner: ProcessRunner;
  clock: Clock;
  redactor: Redactor;
  actions?: ActionExecutor | undefined;
  /** Who is at the keyboard: journaled with every answer. */
  operator?: Operator | undefined;
}

export interface ExecuteOptions {
  /** Run every step without asking first (steps with `confirm` still ask): --yes. */
  runAll: boolean;
  startAt?: string | undefined;
  /** Outputs of the steps before startAt, given by the operator: journaled with each skipped step. */
  givenOutputs?: Record<string, Record<string, unknown>> | undefined;
  /** Continue a run rebuilt from its journal. */
  resume?: RunRecord | undefined;
  /** Fires when the run must stop before its next step (the journal's disk is full). */
  drain?: AbortSignal | undefined;
  /** Steps' times from past drills and runs: the projection takes them instead of the budgets. */
  history?: ReadonlyMap<string, StepHistoryView> | undefined;
}

/** A step's result as the executor keeps it: the journal's record of it, less where and when. */
export type StepResult = Omit<StepRecord, 'id' | 'startedAt' | 'finishedAt'>;

export interface ExecutionResult {
  status: RunStatus;
  finishedAt: number;
}

class Interrupted extends Error {}

type StepOutcome = 'next' | 'abort' | 'fail' | 'rollback';

/**
 * Walks the plan step by step: asks the operator (through the channel), runs commands, emits
 * every transition, keeps the clock, handles failures (retry, skip, roll back, abort) and
 * interruptions. Resumed, it does exactly what the journal says is left (see remainingWork).
 */
export class Executor {
  private readonly results = new Map<string, StepResult>();
  private readonly states = new Map<string, StepState>();
  private runAll: boolean;
  /** The step in flight at the resume whose question was answered: a rerun from its menu does not ask it again. */
  private inFlightAsked: string | undefined;
  private waitingMs = 0;
  private resumedChecklist: { step: string; items: ChecklistItemRecord[] } | undefined;
  private atRisk = false;
  private readonly runbookEnv: Record<string, string>;
  private readonly exprEnv: Record<string, string | undefined>;

  constructor(
    private readonly plan: Plan,
    private readonly context: PlanContext,
    private readonly deps: ExecutorDeps,
    private readonly options: ExecuteOptions,
    private readonly signal: AbortSignal,
    runbookEnv: Record<string, string>,
  ) {
    this.runAll = options.runAll;
    this.runbookEnv = runbookEnv;
    this.exprEnv = expressionEnv(context, runbookEnv);
    for (const [id, step] of options.resume?.steps ?? []) {
      this.results.set(id, { ...step });
      this.states.set(id, { status: step.status, outputs: literalOutputs(step.outputs) });
    }
    this.waitingMs = options.resume?.waitingMs ?? 0;
    const inFlight = options.resume?.inFlight?.step;
    const items = inFlight === undefined ? undefined : options.resume?.checklists.get(inFlight);
    if (inFlight !== undefined && items) this.resumedChecklist = { step: inFlight, items: [...items] };
  }

  private get runbook(): Runbook {
    return this.plan.runbook;
  }

  private emit(event: RunEvent): void {
    this.deps.channel.emit(event);
  }

  private scope(): Scope {
    return runScope(this.runbook, this.context, this.exprEnv, this.states, 'empty');
  }

  private async ask<Q extends Question>(question: Q, stepId: string | null): Promise<Answer<Q>> {
    const started = this.deps.clock.now();
    this.emit({ type: 'prompt.asked', step: stepId, question: question.kind });
    let answer: Answer<Q>;
    try {
      // A note is journaled at once, as `drctl note` journals it, and the same question is asked again.
      for (;;) {
        const reply = await this.deps.channel.ask(question, this.signal);
        if (!isNoteAnswer(reply)) {
          answer = reply;
          break;
        }
        this.note(reply.note);
      }
    } catch (error) {
      if (this.signal.aborted) throw new Interrupted();
      throw error;
    }
    const waitMs = this.deps.clock.now() - started;
    this.waitingMs += waitMs;
    const who = this.deps.operator;
    this.emit({
      type: 'prompt.answered',
      step: stepId,
      question: question.kind,
      answer,
      wait_ms: waitMs,
      ...(who ? { who } : {}),
      text: questionText(question),
      ...(this.deps.channel.answersByDefault ? { by_default: true as const } : {}),
    });
    return answer;
  }

  /** The operator's note from a prompt: the same journal entry `drctl note` writes, with who wrote it. */
  private note(text: string): void {
    const trimmed = text.trim();
    if (trimmed === '') return;
    const { user, host } = this.deps.operator ?? currentOperator();
    this.emit({ type: 'note', text: trimmed.slice(0, MAX_NOTE_LENGTH), user, host });
  }

  clockView(fromIndex: number): ClockView {
    const elapsedMs = this.deps.clock.now() - this.context.incidentStart.getTime();
    let remaining = 0;
    const scope = runScope(this.runbook, this.context, this.exprEnv, this.states, 'placeholder');
    for (const planned of this.plan.steps.slice(fromIndex)) {
      if (this.results.has(planned.step.id)) continue;
      const condition = evaluateCondition(planned.step.if, scope);
      if (condition.decided && !condition.value) continue;
      remaining += this.options.history?.get(planned.step.id)?.ms ?? planned.step.budgetMs ?? 0;
    }
    return { elapsedMs, rtoMs: this.runbook.objectives.rtoMs, projectedMs: elapsedMs + remaining };
  }

  private checkProjection(view: ClockView): void {
    const rto = view.rtoMs;
    if (rto === undefined) return;
    const risky = view.projectedMs > rto;
    if (risky && !this.atRisk) this.emit({ type: 'rto.at_risk', projected_ms: view.projectedMs, rto_ms: rto, elapsed_ms: view.elapsedMs });
    this.atRisk = risky;
  }

  private checkpoint(): void {
    if (this.signal.aborted || this.options.drain?.aborted) throw new Interrupted();
  }

  private interruptReason(): string {
    const reason = (this.signal.reason ?? this.options.drain?.reason) as Error | string | undefined;
    return reason instanceof Error ? reason.message : String(reason ?? 'SIGINT');
  }

  async execute(): Promise<ExecutionResult> {
    const remaining = this.options.resume ? remainingWork(this.options.resume) : ({ kind: 'steps' } as const);
    let status: RunStatus;
    try {
      switch (remaining.kind) {
        case 'finished':
          status = this.options.resume!.finished!.status;
          break;
        case 'end':
          status = remaining.status;
          break;
        case 'rollback':
          status = await this.rollback();
          break;
        case 'steps':
          status = await this.walkSteps();
          break;
      }
    } catch (error) {
      if (!(error instanceof Interrupted) && !this.signal.aborted) throw error;
      this.emit({ type: 'run.interrupted', signal: this.interruptReason() });
      return { status: 'interrupted', finishedAt: this.deps.clock.now() };
    }
    return { status, finishedAt: this.deps.clock.now() };
  }

  private async walkSteps(): Promise<RunStatus> {
    const startIndex = this.options.startAt ? this.plan.steps.findIndex((p) => p.step.id === this.options.startAt) : 0;
    for (let index = 0; index < this.plan.steps.length; index++) {
      const step = this.plan.steps[index]!.step;
      if (this.results.has(step.id)) continue;
      if (index < startIndex) {
        const outputs = this.options.givenOutputs?.[step.id] ?? {};
        this.finishStep(step, { ...skippedResult(`before --start-at ${this.options.startAt}`, 0), outputs });
        continue;
      }
      this.checkpoint();
      const outcome = await this.walkStep(index);
      if (outcome === 'abort') return 'aborted';
      if (outcome === 'fail') return 'failed';
      if (outcome === 'rollback') return this.rollback();
    }
    return 'succeeded';
  }

  private abortRun(step: Step, reason: string): 'abort' {
    this.emit({ type: 'run.aborting', step: step.id, reason });
    return 'abort';
  }

  /** One step: the card, the operator's choice, the run, and what to do if it fails. */
  private async walkStep(index: number): Promise<StepOutcome> {
    const planned = this.plan.steps[index]!;
    const step = planned.step;
    const scope = this.scope();
    const condition = evaluateCondition(step.if, scope);
    if (condition.decided && !condition.value) {
      this.finishStep(step, skippedResult(`if: ${String(step.if)} is false`, 0));
      return 'next';
    }
    const view = this.clockView(index);
    const card: StepCard = {
      number: planned.number,
      total: this.plan.steps.length,
      id: step.id,
      title: step.title,
      description: step.description,
      command: viewOf(step.body, scope),
      budgetMs: step.budgetMs,
      clock: view,
      confirm: step.confirm.kind === 'none' ? 'none' : step.confirm.kind,
      manual: step.body.kind === 'manual',
      env: stepEnvView(step, scope),
      history: this.options.history?.get(step.id),
    };
    this.emit({ type: 'step.card', card });
    this.checkProjection(view);
    const waitBefore = this.waitingMs;

    // A manual step that was in flight only asks again: reading its text twice harms nothing.
    if (
      this.options.resume?.inFlight?.step === step.id &&
      !step.idempotent &&
      step.body.kind !== 'manual' &&
      this.inFlightAsked !== step.id
    ) {
      this.inFlightAsked = step.id;
      const choice = await this.ask({ kind: 'inflight.action', id: step.id, title: step.title, default: 'abort' }, step.id);
      if (choice === 'abort') return this.abortRun(step, 'aborted by the operator after an interrupted attempt');
      if (choice === 'skip') return this.skip(step, 'skipped by the operator after an interrupted attempt', waitBefore);
    }
    // One decision per step: a step with a confirmation asks only that (yes runs it, no skips it).
    // `pause: true` stops "run all" before the step and shows the menu again; --yes answers "all".
    if (step.confirm.kind === 'none' && (!this.runAll || step.pause)) {
      const pause = this.runAll && step.pause;
      const again = this.rerunCandidates();
      const choice = await this.ask(
        {
          kind: 'step.action',
          card,
          choices: ['run', 'skip', 'abort', 'all', ...(again.length > 0 ? (['rerun'] as const) : [])],
          ...(pause ? { pause } : {}),
          default: pause ? 'all' : 'run',
        },
        step.id,
      );
      if (choice === 'rerun') {
        const outcome = await this.rerun(step, again);
        // Back where it was: this step's card and menu again, with what the rerun changed (outputs, clock).
        return outcome === 'next' ? this.walkStep(index) : outcome;
      }
      this.runAll = choice === 'all';
      if (choice === 'abort') return this.abortRun(step, 'aborted by the operator');
      if (choice === 'skip') return this.skip(step, 'skipped by the operator', waitBefore);
    }
    if (step.confirm.kind === 'ask') {
      const question = step.confirm.question !== undefined ? renderString(step.confirm.question, scope).display : `Run "${step.title}"?`;
      if (!(await this.ask({ kind: 'step.confirm', id: step.id, question, default: true }, step.id)))
        return this.skip(step, 'not confirmed by the operator', waitBefore);
    } else if (step.confirm.kind === 'type') {
      const expected = renderString(step.confirm.text, scope).text;
      // --yes confirms. An operator types the text, or chooses to skip or abort.
      const typed = await this.ask(
        { kind: 'step.type', id: step.id, expected, matches: (text) => text === expected, default: 'confirmed' },
        step.id,
      );
      if (typed === TYPED_ABORT) return this.abortRun(step, 'aborted by the operator at the typed confirmation');
      if (typed === TYPED_SKIP) return this.skip(step, 'skipped by the operator at the typed confirmation', waitBefore);
    }
    if (step.body.kind === 'manual') return this.manual(step, scope, waitBefore);
    return this.runWithFailureHandling(step, scope, planned.number, waitBefore);
  }

  /** Finished steps (succeeded, failed or skipped) the operator may run again from the step menu, in order. */
  private rerunCandidates(): RerunCandidate[] {
    return this.plan.steps.flatMap(({ step, number }) => {
      const status = this.results.get(step.id)?.status;
      if (status !== 'succeeded' && status !== 'failed' && status !== 'skipped') return [];
      return [{ number, id: step.id, title: step.title, status, idempotent: step.idempotent || step.body.kind === 'manual' }];
    });
  }

  /**
   * "rerun" at a step's menu: the operator picks a finished step and confirms (a yes for an
   * idempotent step, its id typed for any other), and it runs again. `step.rerun` is journaled
   * first, so a stop during the rerun resumes with that step unfinished. 'next' goes back to the menu.
   */
  private async rerun(at: Step, candidates: RerunCandidate[]): Promise<StepOutcome> {
    const id = await this.ask({ kind: 'step.rerun', id: at.id, steps: candidates, default: null }, at.id);
    const chosen = candidates.find((c) => c.id === id);
    const planned = this.plan.steps.find((p) => p.step.id === id);
    if (!chosen || !planned) return 'next';
    const step = planned.step;
    const before = chosen.status === 'skipped' ? 'was skipped' : chosen.status;
    if (chosen.idempotent) {
      const question = `Run step ${chosen.number} "${step.title}" again? (it ${before} before)`;
      if (!(await this.ask({ kind: 'step.confirm', id: step.id, question, default: true }, step.id))) return 'next';
    } else {
      const typed = await this.ask(
        { kind: 'step.type', id: step.id, expected: step.id, matches: (text) => text === step.id, again: true, default: 'confirmed' },
        step.id,
      );
      if (typed !== 'confirmed') return 'next';
    }
    this.emit({ type: 'step.rerun', step: step.id, number: planned.number, previous: chosen.status });
    this.results.delete(step.id);
    this.states.delete(step.id);
    const scope = this.scope();
    const waitBefore = this.waitingMs;
    if (step.body.kind === 'manual') return this.manual(step, scope, waitBefore);
    return this.runWithFailureHandling(step, scope, planned.number, waitBefore);
  }

  private skip(step: Step, reason: string, waitBefore: number): 'next' {
    this.finishStep(step, skippedResult(reason, this.waitingMs - waitBefore));
    return 'next';
  }

  private async manual(step: Step, scope: Scope, waitBefore: number): Promise<StepOutcome> {
    // Answers journaled before an interruption: a resumed checklist does not ask them again.
    const answered = this.resumedChecklist?.step === step.id ? this.resumedChecklist.items : [];
    this.resumedChecklist = undefined;
    this.emit({ type: 'step.started', step: step.id, number: step.index + 1, kind: 'manual' });
    const shown = renderString((step.body as { text: string }).text, scope);
    const items = checklistItems(shown.display);
    let reason: string;
    if (items.length === 0) {
      const answer = await this.ask({ kind: 'manual.done', id: step.id, text: shown.text, default: 'acknowledged' }, step.id);
      if (answer === 'abort') return this.abortRun(step, 'aborted by the operator at a manual step');
      reason = answer === 'done' ? 'done by the operator' : 'acknowledged with --accept-manual';
    } else {
      const answers: ChecklistAnswer[] = [];
      for (const [i, text] of items.entries()) {
        const index = i + 1;
        const before = answered.find((item) => item.index === index && item.text === text && item.answer !== 'aborted');
        if (before) {
          answers.push(before.answer);
          continue;
        }
        const waited = this.waitingMs;
        const choice = await this.ask(
          { kind: 'manual.item', id: step.id, index, total: items.length, text, default: 'acknowledged' },
          step.id,
        );
        const answer = CHECKLIST_ANSWER[choice];
        const who = this.deps.operator;
        this.emit({
          type: 'manual.item',
          step: step.id,
          index,
          total: items.length,
          text,
          answer,
          wait_ms: this.waitingMs - waited,
          ...(who ? { who } : {}),
        });
        if (answer === 'aborted') return this.abortRun(step, `aborted by the operator at checklist item ${index}/${items.length}`);
        answers.push(answer);
      }
      reason = checklistReason(answers);
    }
    const waited = this.waitingMs - waitBefore;
    this.finishStep(step, {
      status: 'succeeded',
      attempts: 1,
      exitCode: null,
      durationMs: 0,
      waitingMs: waited,
      overBudget: step.budgetMs !== undefined && waited > step.budgetMs,
      outputs: {},
      reason,
    });
    return 'next';
  }

  private async runWithFailureHandling(step: Step, scope: Scope, number: number, waitBefore: number): Promise<StepOutcome> {
    // An operator's retry after a failure adds attempts and running time to the same step.
    let attempts = 0;
    let durationMs = 0;
    for (;;) {
      const once = await this.runStep(step, scope, number);
      if (once.interrupted) throw new Interrupted();
      attempts += once.attempts;
      durationMs += once.durationMs;
      const overBudget = step.budgetMs !== undefined && durationMs > step.budgetMs;
      if (once.ok) {
        this.finishStep(step, {
          status: 'succeeded',
          attempts,
          exitCode: once.exitCode,
          durationMs,
          waitingMs: this.waitingMs - waitBefore,
          overBudget,
          outputs: once.outputs,
          recoveryPoint: once.recoveryPoint,
        });
        return 'next';
      }
      const reason = once.reason ?? 'failed';
      this.emit({ type: 'step.failed', number, id: step.id, durationMs, budgetMs: step.budgetMs, reason });
      const policy: Exclude<FailureDecision, 'abort'> = step.onFailure === 'abort' ? 'fail' : step.onFailure;
      const decision = await this.ask(
        { kind: 'failure.action', id: step.id, reason, canRollback: this.rollbackCandidates(step).length > 0, default: policy },
        step.id,
      );
      if (decision === 'retry') continue;
      const result: StepResult = {
        status: 'failed',
        attempts,
        exitCode: once.exitCode,
        durationMs,
        waitingMs: this.waitingMs - waitBefore,
        overBudget,
        outputs: once.outputs,
        reason,
        errorTail: once.errorTail,
      };
      if (decision === 'continue')
        result.reason = `${reason} (${policy === 'continue' ? 'on_failure: continue' : 'the operator chose to go on'})`;
      this.finishStep(step, result, decision);
      if (decision === 'continue') return 'next';
      // The operator's own abort at the failure prompt is an abort (exit 4); on_failure: abort is a failure (exit 1).
      return decision === 'fail' ? 'fail' : decision;
    }
  }

  private async runStep(step: Step, scope: Scope, number: number): Promise<CommandOutcome> {
    const env = this.stepEnv(step.env, step.id, scope);
    const cwd = step.cwd ? this.resolveCwd(renderString(step.cwd, scope).text) : undefined;
    let budgetTimer: NodeJS.Timeout | undefined;
    if (step.budgetMs !== undefined) {
      const budgetMs = step.budgetMs;
      budgetTimer = setTimeout(() => this.emit({ type: 'step.over_budget', step: step.id, budget_ms: budgetMs }), budgetMs);
    }
    this.emit({ type: 'step.started', step: step.id, number, kind: step.body.kind });
    const lines = this.outputLines(step.id);
    const libpq = openLibpqEnv(step.postgres, scope, env, (value) => this.deps.redactor.add(value));
    try {
      if (libpq.problem !== undefined) return refusedCommand(libpq.problem);
      return await runCommand(
        {
          id: step.id,
          body: step.body as CommandBody,
          env: libpq.env,
          cwd,
          timeoutMs: step.timeoutMs,
          retry: step.retry,
          until: step.until,
          intervalMs: step.intervalMs,
          expect: step.expect,
          outputs: step.outputs,
          scope,
          mask: (text: string) => this.deps.redactor.text(text),
        },
        this.deps,
        {
          onOutput: (stream, text) => lines.push(stream, text),
          onRecord: (fields) => this.emit({ type: 'action.record', step: step.id, rollback: false, record: fields }),
          onCleanup: (item) => this.emit({ type: 'cleanup.registered', step: step.id, ...item }),
          onSpawn: (pgid, tag) => this.emit({ type: 'step.process', step: step.id, rollback: false, pgid, ...(tag ? { tag } : {}) }),
          addSecret: (value) => this.deps.redactor.add(value),
          onAttemptStart: (attempt) =>
            this.emit({
              type: 'step.attempt.started',
              number,
              id: step.id,
              attempt,
              attempts: step.retry.attempts,
              budgetMs: step.budgetMs,
            }),
          onAttemptEnd: (record) => {
            lines.flush();
            this.emit({
              type: 'step.attempt',
              step: step.id,
              attempt: record.attempt,
              exit_code: record.exitCode,
              duration_ms: Math.round(record.durationMs),
              ended: record.ended,
              error: record.error ?? null,
              stdout_tail: record.stdoutTail,
              stderr_tail: record.stderrTail,
              truncated: record.truncated,
            });
          },
          onRetry: (attempt, reason, delayMs) =>
            this.emit({ type: 'step.attempt.failed', id: step.id, attempt, reason, retryInMs: delayMs }),
          onPoll: (attempt, reason, nextInMs) => this.emit({ type: 'step.polling', id: step.id, attempt, reason, nextInMs }),
        },
        this.signal,
      );
    } finally {
      libpq.close();
      lines.flush();
      clearTimeout(budgetTimer);
    }
  }

  /**
   * A step's output as whole lines, masked before a long line is cut into pieces: a secret split
   * across two reads, or inside a very long line, is still masked whole.
   */
  private outputLines(stepId: string): LineSplitter {
    return new LineSplitter(
      (stream, text) => this.emit({ type: 'step.output', id: stepId, stream, text }),
      (text) => this.deps.redactor.text(text),
    );
  }

  private stepEnv(extra: Record<string, string>, stepId: string, scope: Scope): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.context.env)) if (v !== undefined) env[k] = v;
    Object.assign(env, this.runbookEnv);
    for (const [k, v] of Object.entries(extra)) env[k] = renderString(v, scope).text;
    env.DRCTL_RUN_ID = this.context.runId;
    env.DRCTL_MODE = this.context.mode;
    env.DRCTL_STEP_ID = stepId;
    env.DRCTL_INCIDENT_START = this.context.incidentStart.toISOString();
    return env;
  }

  private resolveCwd(cwd: string): string {
    return resolveFrom(this.runbook.file, cwd);
  }

  private finishStep(step: Step, result: StepResult, then?: FailureDecision): void {
    this.results.set(step.id, result);
    this.states.set(step.id, { status: result.status, outputs: literalOutputs(result.outputs) });
    // An output holding a URL with a password is masked like a secret, secret or not.
    this.deps.redactor.addUrlPasswords(result.outputs);
    // Outputs that held a secret reach the journal masked: a resumed run cannot use them.
    const redacted = Object.entries(result.outputs)
      .filter(([, v]) => typeof v === 'string' && this.deps.redactor.text(v) !== v)
      .map(([k]) => k);
    this.emit({
      type: 'step.finished',
      step: step.id,
      number: step.index + 1,
      status: result.status,
      attempts: result.attempts,
      exit_code: result.exitCode,
      duration_ms: Math.round(result.durationMs),
      waiting_ms: Math.round(result.waitingMs),
      over_budget: result.overBudget,
      outputs: result.outputs,
      reason: result.reason ?? null,
      ...(result.errorTail ? { error_tail: result.errorTail } : {}),
      redacted_outputs: redacted,
      budget_ms: step.budgetMs ?? null,
      ...(result.recoveryPoint ? { recovery_point: result.recoveryPoint } : {}),
      ...(then ? { then } : {}),
    });
  }

  /** A step can be undone when it has a rollback, or its action rolls itself back (route53.upsert). */
  private canUndo(step: Step): boolean {
    return step.rollback !== undefined || (step.body.kind === 'uses' && this.deps.actions?.canRollback(step.body.action) === true);
  }

  private rollbackCandidates(failed?: Step): Step[] {
    return this.runbook.steps.filter((s) => s !== failed && this.canUndo(s) && this.results.get(s.id)?.status === 'succeeded').reverse();
  }

  /**
   * Undo every step that succeeded and has a rollback, newest first. Resumed, it goes on with the
   * rollbacks that did not end, and never runs one again that may have run unless it is marked
   * idempotent (an action's own rollback restores what it recorded, so it may run again).
   */
  private async rollback(): Promise<RunStatus> {
    const journaled = this.options.resume?.rollback;
    const ids = journaled ? journaled.steps : this.rollbackCandidates().map((s) => s.id);
    if (!journaled) this.emit({ type: 'rollback.started', steps: ids });
    let allOk = [...(journaled?.done.values() ?? [])].every(Boolean);
    for (const id of ids) {
      if (journaled?.done.has(id)) continue;
      this.checkpoint();
      const step = this.runbook.steps.find((s) => s.id === id);
      if (!step || !this.canUndo(step)) {
        this.emit({
          type: 'rollback.step',
          step: id,
          ok: false,
          exit_code: null,
          duration_ms: 0,
          reason: 'the runbook no longer has a rollback for this step',
        });
        allOk = false;
        continue;
      }
      const automatic = step.rollback === undefined;
      if (journaled?.inFlight?.step === id && !(automatic || step.rollback!.idempotent)) {
        const choice = await this.ask({ kind: 'inflight.rollback', id, title: step.title, default: 'failed' }, id);
        if (choice !== 'rerun') {
          const ok = choice === 'done';
          this.emit({
            type: 'rollback.step',
            step: id,
            ok,
            exit_code: null,
            duration_ms: 0,
            reason: ok ? 'interrupted; the operator confirmed it is done' : 'interrupted; not run again',
          });
          allOk &&= ok;
          if (ok) this.markRolledBack(id);
          continue;
        }
      }
      const scope = this.scope();
      this.emit({ type: 'rollback.step.started', step: id, automatic });
      const outcome = automatic ? await this.runAutomaticRollback(step, scope) : await this.runRollback(step, step.rollback!, scope);
      if (outcome.interrupted) throw new Interrupted();
      allOk &&= outcome.ok;
      if (outcome.ok) this.markRolledBack(id);
      this.emit({
        type: 'rollback.step',
        step: id,
        ok: outcome.ok,
        exit_code: outcome.exitCode,
        duration_ms: Math.round(outcome.durationMs),
        reason: outcome.reason ?? null,
      });
    }
    this.emit({ type: 'rollback.finished', ok: allOk });
    return allOk ? 'rolled_back' : 'failed';
  }

  private markRolledBack(id: string): void {
    const result = this.results.get(id);
    if (!result) return;
    result.status = 'rolled_back';
    this.states.set(id, { status: 'rolled_back', outputs: literalOutputs(result.outputs) });
  }

  private async runAutomaticRollback(step: Step, scope: Scope): Promise<CommandOutcome> {
    const body = step.body as Extract<CommandBody, { kind: 'uses' }>;
    const started = this.deps.clock.now();
    // The step's timeout bounds its automatic rollback too.
    const signal = step.timeoutMs === undefined ? this.signal : AbortSignal.any([this.signal, AbortSignal.timeout(step.timeoutMs)]);
    const lines = this.outputLines(step.id);
    try {
      await this.deps.actions!.rollback(
        {
          stepId: step.id,
          action: body.action,
          with: resolveValue(body.with, scope).value as Record<string, unknown>,
          signal,
          timeoutMs: step.timeoutMs,
          onOutput: (text) => lines.push('stdout', text),
          onRecord: (fields) => this.emit({ type: 'action.record', step: step.id, rollback: true, record: fields }),
          addSecret: (value) => this.deps.redactor.add(value),
        },
        this.results.get(step.id)?.outputs ?? {},
      );
      return { ok: true, interrupted: false, exitCode: 0, outputs: {}, attempts: 1, durationMs: this.deps.clock.now() - started };
    } catch (error) {
      const reason =
        !this.signal.aborted && signal.aborted ? `timed out after ${Math.round((step.timeoutMs ?? 0) / 1000)}s` : (error as Error).message;
      return {
        ok: false,
        interrupted: this.signal.aborted,
        exitCode: 1,
        outputs: {},
        reason,
        attempts: 1,
        durationMs: this.deps.clock.now() - started,
      };
    } finally {
      lines.flush();
    }
  }

  private async runRollback(step: Step, rollback: NonNullable<Step['rollback']>, scope: Scope): Promise<CommandOutcome> {
    const lines = this.outputLines(step.id);
    const hooks = outputOnlyHooks((stream, text) => lines.push(stream, text));
    // Its process group is journaled like a step's, so resume can see a rollback that outlived drctl.
    hooks.onSpawn = (pgid, tag) => this.emit({ type: 'step.process', step: step.id, rollback: true, pgid, ...(tag ? { tag } : {}) });
    const env = this.stepEnv(rollback.env, step.id, scope);
    const libpq = openLibpqEnv(rollback.postgres, scope, env, (value) => this.deps.redactor.add(value));
    try {
      if (libpq.problem !== undefined) return refusedCommand(libpq.problem);
      return await runCommand(
        {
          id: `${step.id}:rollback`,
          body: rollback.body,
          env: libpq.env,
          cwd: rollback.cwd ? this.resolveCwd(renderString(rollback.cwd, scope).text) : undefined,
          timeoutMs: rollback.timeoutMs,
          retry: { attempts: 1, delayMs: 0, backoff: 1 },
          intervalMs: 0,
          outputs: {},
          scope,
        },
        this.deps,
        hooks,
        this.signal,
      );
    } finally {
      libpq.close();
      lines.flush();
    }
  }
}

/** A command that did not start because what it needs cannot be given to it (its `postgres:` URL). */
function refusedCommand(reason: string): CommandOutcome {
  return { ok: false, interrupted: false, exitCode: null, outputs: {}, reason, attempts: 1, durationMs: 0 };
}

const CHECKLIST_ANSWER: Record<Answer<Extract<Question, { kind: 'manual.item' }>>, ChecklistAnswer> = {
  done: 'done',
  skip: 'skipped',
  acknowledged: 'acknowledged',
  abort: 'aborted',
};

/** "done by the operator; items skipped: 2, 5": a checklist's answers as the step's reason. */
function checklistReason(answers: readonly ChecklistAnswer[]): string {
  const numbers = (answer: ChecklistAnswer): string =>
    answers
      .map((a, i) => (a === answer ? String(i + 1) : ''))
      .filter(Boolean)
      .join(', ');
  if (answers.every((a) => a === 'acknowledged')) return 'acknowledged with --accept-manual';
  const skipped = numbers('skipped');
  const acknowledged = numbers('acknowledged');
  return [
    'done by the operator',
    ...(skipped ? [`items skipped: ${skipped}`] : []),
    ...(acknowledged ? [`items acknowledged with --accept-manual: ${acknowledged}`] : []),
  ].join('; ');
}

function skippedResult(reason: string, waitingMs: number): StepResult {
  return { status: 'skipped', attempts: 0, exitCode: null, durationMs: 0, waitingMs, overBudget: false, outputs: {}, reason };
}

/** Outputs as expressions see them: lists and objects (query rows, say) as JSON text. */
function literalOutputs(outputs: Record<string, unknown>): Record<string, Literal> {
  const out: Record<string, Literal> = {};
  for (const [name, value] of Object.entries(outputs)) {
    out[name] = value === null || ['string', 'number', 'boolean'].includes(typeof value) ? (value as Literal) : JSON.stringify(value);
  }
  return out;
}
