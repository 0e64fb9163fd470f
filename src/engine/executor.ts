import type { ProcessRunner } from '../adapters/process.js';
import type { JournalWriter } from '../journal/journal.js';
import type { RunRecord, StepRecord } from '../journal/record.js';
import type { Literal, Scope } from '../runbook/expression.js';
import type { CommandBody, Runbook, Step } from '../runbook/model.js';
import type { Clock } from './clock.js';
import type { Answer, ClockView, Host, Question, RunEvent, RunStatus, StepCard } from './events.js';
import { TYPED_ABORT } from './events.js';
import type { Plan, PlanContext } from './plan.js';
import { expressionEnv, runScope, viewOf } from './plan.js';
import type { Redactor } from './redact.js';
import { evaluateCondition, renderString, resolveValue } from './render.js';
import type { StepState } from './scope.js';
import type { ActionExecutor, CommandOutcome } from './step-runner.js';
import { resolveFrom } from './preflight.js';
import { outputOnlyHooks, runCommand } from './step-runner.js';

export interface ExecutorDeps {
  host: Host;
  runner: ProcessRunner;
  clock: Clock;
  journal: JournalWriter;
  redactor: Redactor;
  actions?: ActionExecutor | undefined;
}

export interface ExecuteOptions {
  yes: boolean;
  acceptManual: boolean;
  startAt?: string | undefined;
  /** Continue a run rebuilt from its journal. */
  resume?: RunRecord | undefined;
}

/** A step's result as the executor keeps it: the journal's record of it, less where and when. */
export type StepResult = Omit<StepRecord, 'id' | 'startedAt' | 'finishedAt'>;

export interface ExecutionResult {
  status: RunStatus;
  results: Map<string, StepResult>;
  waitingMs: number;
  finishedAt: number;
}

class Interrupted extends Error {}
class OperatorAbort extends Error {}

/**
 * Walks the plan step by step: asks the host, runs commands, journals every transition, keeps
 * the clock, handles failures (retry, skip, roll back, abort) and interruptions.
 */
export class Executor {
  private readonly results = new Map<string, StepResult>();
  private readonly states = new Map<string, StepState>();
  private runAll: boolean;
  private waitingMs = 0;
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
    this.runAll = options.yes;
    this.runbookEnv = runbookEnv;
    this.exprEnv = expressionEnv(context, runbookEnv);
    for (const [id, step] of options.resume?.steps ?? []) {
      this.results.set(id, { ...step, reason: step.reason });
      this.states.set(id, { status: step.status, outputs: literalOutputs(step.outputs) });
    }
    this.waitingMs = options.resume?.waitingMs ?? 0;
  }

  private get runbook(): Runbook {
    return this.plan.runbook;
  }

  private emit(event: RunEvent): void {
    this.deps.host.emit(this.deps.redactor.value(event));
  }

  private journal(type: string, fields: Record<string, unknown> = {}, options: { sync?: boolean } = {}): void {
    this.deps.journal.append(type, this.deps.redactor.value(fields), options);
  }

  private scope(): Scope {
    return runScope(this.context, this.exprEnv, this.states, 'empty');
  }

  private async ask<Q extends Question>(question: Q, stepId?: string): Promise<Answer<Q>> {
    const started = this.deps.clock.now();
    this.journal('prompt.asked', { step: stepId ?? null, question: question.kind });
    let answer: Answer<Q>;
    try {
      // The host shows the question: it never sees a secret.
      answer = await this.deps.host.ask(this.deps.redactor.value(question), this.signal);
    } catch (error) {
      if (this.signal.aborted) throw new Interrupted();
      throw error;
    }
    const waitMs = this.deps.clock.now() - started;
    this.waitingMs += waitMs;
    // A typed confirmation may echo a secret; the redactor masks it.
    this.journal('prompt.answered', { step: stepId ?? null, question: question.kind, answer, wait_ms: waitMs });
    return answer;
  }

  clockView(fromIndex: number): ClockView {
    const elapsedMs = this.deps.clock.now() - this.context.incidentStart.getTime();
    let remaining = 0;
    const scope = runScope(this.context, this.exprEnv, this.states, 'placeholder');
    for (const planned of this.plan.steps.slice(fromIndex)) {
      if (this.results.has(planned.step.id)) continue;
      const condition = evaluateCondition(planned.step.if, scope);
      if (condition.decided && !condition.value) continue;
      remaining += planned.step.budgetMs ?? 0;
    }
    return { elapsedMs, rtoMs: this.runbook.objectives.rtoMs, projectedMs: elapsedMs + remaining };
  }

  private checkProjection(view: ClockView): void {
    const rto = view.rtoMs;
    if (rto === undefined) return;
    const risky = view.projectedMs > rto;
    if (risky && !this.atRisk) {
      this.emit({ kind: 'rto.at_risk', projectedMs: view.projectedMs, rtoMs: rto, elapsedMs: view.elapsedMs });
      this.journal('rto.at_risk', { projected_ms: view.projectedMs, rto_ms: rto, elapsed_ms: view.elapsedMs });
    }
    this.atRisk = risky;
  }

  async execute(): Promise<ExecutionResult> {
    let status: RunStatus = 'succeeded';
    const startIndex = this.options.startAt ? this.plan.steps.findIndex((p) => p.step.id === this.options.startAt) : 0;
    // A run interrupted while rolling back finishes its rollback; it never goes forward again.
    const rollingBack = this.options.resume?.rollback !== undefined;
    try {
      if (rollingBack) status = await this.rollback();
      for (let index = 0; !rollingBack && index < this.plan.steps.length; index++) {
        const planned = this.plan.steps[index]!;
        const step = planned.step;
        if (this.results.has(step.id)) continue;
        if (index < startIndex) {
          this.finishStep(step, { status: 'skipped', attempts: 0, exitCode: null, durationMs: 0, waitingMs: 0, overBudget: false, outputs: {}, reason: `before --start-at ${this.options.startAt}` });
          continue;
        }
        const outcome = await this.walkStep(index);
        if (outcome === 'abort' || outcome === 'fail') {
          status = outcome === 'abort' ? 'aborted' : 'failed';
          break;
        }
        if (outcome === 'rollback') {
          status = await this.rollback();
          break;
        }
      }
    } catch (error) {
      if (error instanceof Interrupted || this.signal.aborted) {
        this.journal('run.interrupted', { signal: String((this.signal.reason as Error | undefined)?.message ?? 'SIGINT') });
        this.emit({ kind: 'run.interrupted', signal: String((this.signal.reason as Error | undefined)?.message ?? 'SIGINT') });
        return { status: 'interrupted', results: this.results, waitingMs: this.waitingMs, finishedAt: this.deps.clock.now() };
      }
      if (error instanceof OperatorAbort) status = 'aborted';
      else throw error;
    }
    return { status, results: this.results, waitingMs: this.waitingMs, finishedAt: this.deps.clock.now() };
  }

  /** One step: the card, the operator's choice, the run, and what to do if it fails. */
  private async walkStep(index: number): Promise<'next' | 'abort' | 'fail' | 'rollback'> {
    const planned = this.plan.steps[index]!;
    const step = planned.step;
    const scope = this.scope();
    const condition = evaluateCondition(step.if, scope);
    if (condition.decided && !condition.value) {
      this.emit({ kind: 'step.skipped', number: planned.number, id: step.id, reason: `if: ${String(step.if)} is false` });
      this.finishStep(step, { status: 'skipped', attempts: 0, exitCode: null, durationMs: 0, waitingMs: 0, overBudget: false, outputs: {}, reason: 'condition false' });
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
    };
    this.emit({ kind: 'step.card', card });
    this.checkProjection(view);
    const waitBefore = this.waitingMs;

    if (this.options.resume?.inFlight === step.id && !step.idempotent) {
      const choice = await this.ask({ kind: 'inflight.action', id: step.id, title: step.title, default: 'abort' }, step.id);
      if (choice === 'abort') return 'abort';
      if (choice === 'skip') return this.skip(step, 'skipped by the operator after an interrupted attempt', waitBefore);
    }
    if (this.deps.host.interactive && !this.runAll) {
      const choice = await this.ask({ kind: 'step.action', card, choices: ['run', 'skip', 'abort', 'all'], default: 'run' }, step.id);
      if (choice === 'abort') return 'abort';
      if (choice === 'skip') return this.skip(step, 'skipped by the operator', waitBefore);
      if (choice === 'all') this.runAll = true;
    }
    if (step.confirm.kind === 'ask') {
      const question = step.confirm.question !== undefined ? renderString(step.confirm.question, scope).display : `Run "${step.title}"?`;
      if (!(await this.ask({ kind: 'step.confirm', id: step.id, question, default: true }, step.id))) return this.skip(step, 'not confirmed by the operator', waitBefore);
    } else if (step.confirm.kind === 'type') {
      const expected = renderString(step.confirm.text, scope).text;
      const typed = await this.ask({ kind: 'step.type', id: step.id, expected, default: expected }, step.id);
      // --yes approves typed confirmations too. An operator either types the text, or chooses to skip or abort.
      if (this.deps.host.interactive && typed !== expected) {
        if (typed === TYPED_ABORT) return 'abort';
        return this.skip(step, 'skipped by the operator at the typed confirmation', waitBefore);
      }
    }
    if (step.body.kind === 'manual') return this.manual(step, scope, waitBefore);
    return this.runWithFailureHandling(step, scope, planned.number, waitBefore);
  }

  private skip(step: Step, reason: string, waitBefore: number): 'next' {
    const number = step.index + 1;
    this.emit({ kind: 'step.skipped', number, id: step.id, reason });
    this.finishStep(step, { status: 'skipped', attempts: 0, exitCode: null, durationMs: 0, waitingMs: this.waitingMs - waitBefore, overBudget: false, outputs: {}, reason });
    return 'next';
  }

  private async manual(step: Step, scope: Scope, waitBefore: number): Promise<'next' | 'abort'> {
    this.journal('step.started', { step: step.id, number: step.index + 1, kind: 'manual' });
    const text = renderString((step.body as { text: string }).text, scope).text;
    const answer = await this.ask({ kind: 'manual.done', id: step.id, text, default: 'done' }, step.id);
    if (answer === 'abort') return 'abort';
    const waited = this.waitingMs - waitBefore;
    const reason = this.deps.host.interactive ? 'done by the operator' : 'acknowledged with --accept-manual';
    this.finishStep(step, { status: 'succeeded', attempts: 1, exitCode: null, durationMs: 0, waitingMs: waited, overBudget: step.budgetMs !== undefined && waited > step.budgetMs, outputs: {}, reason });
    this.emit({ kind: 'step.finished', number: step.index + 1, id: step.id, status: 'succeeded', durationMs: waited, budgetMs: step.budgetMs, reason });
    return 'next';
  }

  private async runWithFailureHandling(step: Step, scope: Scope, number: number, waitBefore: number): Promise<'next' | 'fail' | 'abort' | 'rollback'> {
    // An operator's retry after a failure adds attempts and running time to the same step.
    let attempts = 0;
    let durationMs = 0;
    for (;;) {
      const once = await this.runStep(step, scope, number);
      if (once.interrupted) throw new Interrupted();
      attempts += once.attempts;
      durationMs += once.durationMs;
      const outcome = { ...once, attempts, durationMs };
      const waited = this.waitingMs - waitBefore;
      const overBudget = step.budgetMs !== undefined && outcome.durationMs > step.budgetMs;
      if (outcome.ok) {
        this.finishStep(step, { status: 'succeeded', attempts: outcome.attempts, exitCode: outcome.exitCode, durationMs: outcome.durationMs, waitingMs: waited, overBudget, outputs: outcome.outputs, recoveryPoint: outcome.recoveryPoint });
        this.emit({ kind: 'step.finished', number, id: step.id, status: 'succeeded', durationMs: outcome.durationMs, budgetMs: step.budgetMs });
        return 'next';
      }
      const reason = outcome.reason ?? 'failed';
      this.emit({ kind: 'step.finished', number, id: step.id, status: 'failed', durationMs: outcome.durationMs, budgetMs: step.budgetMs, reason });
      let decision: 'retry' | 'skip' | 'rollback' | 'abort' | 'continue';
      if (this.deps.host.interactive) {
        decision = await this.ask({ kind: 'failure.action', id: step.id, reason, canRollback: this.rollbackCandidates(step).length > 0, default: step.onFailure === 'continue' ? 'skip' : step.onFailure }, step.id);
      } else decision = step.onFailure;
      if (decision === 'retry') continue;
      const result: StepResult = { status: 'failed', attempts: outcome.attempts, exitCode: outcome.exitCode, durationMs: outcome.durationMs, waitingMs: this.waitingMs - waitBefore, overBudget, outputs: outcome.outputs, reason };
      if (decision === 'skip' || decision === 'continue') {
        this.finishStep(step, { ...result, reason: `${reason} (${decision === 'skip' ? 'skipped by the operator' : 'on_failure: continue'})` });
        return 'next';
      }
      this.finishStep(step, result);
      // The operator's own abort at the failure prompt is an abort (exit 4); on_failure: abort is a failure (exit 1).
      if (decision === 'abort' && this.deps.host.interactive) return 'abort';
      return decision === 'rollback' ? 'rollback' : 'fail';
    }
  }

  private async runStep(step: Step, scope: Scope, number: number): Promise<CommandOutcome> {
    const env = this.stepEnv(step.env, step.id, scope);
    const cwd = step.cwd ? this.resolveCwd(renderString(step.cwd, scope).text) : undefined;
    let budgetTimer: NodeJS.Timeout | undefined;
    if (step.budgetMs !== undefined) {
      const budgetMs = step.budgetMs;
      budgetTimer = setTimeout(() => {
        this.emit({ kind: 'step.over_budget', id: step.id, budgetMs });
        this.journal('step.over_budget', { step: step.id, budget_ms: budgetMs });
      }, budgetMs);
    }
    this.journal('step.started', { step: step.id, number, kind: step.body.kind });
    const lines = new LineSplitter((stream, text) => this.emit({ kind: 'step.output', id: step.id, stream, text }));
    try {
      return await runCommand(
        { id: step.id, body: step.body as CommandBody, env, cwd, timeoutMs: step.timeoutMs, retry: step.retry, until: step.until, intervalMs: step.intervalMs, expect: step.expect, outputs: step.outputs, scope },
        this.deps,
        {
          onOutput: (stream, text) => lines.push(stream, text),
          onRecord: (fields) => this.journal('action.record', { step: step.id, record: fields }),
          // Written at once, flushed with the step's next transition: resume checks it is gone.
          onSpawn: (pgid) => this.journal('step.process', { step: step.id, pgid }, { sync: false }),
          addSecret: (value) => this.deps.redactor.add(value),
          onAttemptStart: (attempt) => this.emit({ kind: 'step.started', number, id: step.id, attempt, attempts: step.retry.attempts, budgetMs: step.budgetMs }),
          onAttemptEnd: (record) => {
            lines.flush();
            this.journal('step.attempt', { step: step.id, attempt: record.attempt, exit_code: record.exitCode, duration_ms: Math.round(record.durationMs), ended: record.ended, error: record.error ?? null, stdout_tail: record.stdoutTail, stderr_tail: record.stderrTail, truncated: record.truncated }, { sync: false });
          },
          onRetry: (attempt, reason, delayMs) => this.emit({ kind: 'step.attempt.failed', id: step.id, attempt, reason, retryInMs: delayMs }),
          onPoll: (attempt, reason, nextInMs) => this.emit({ kind: 'step.polling', id: step.id, attempt, reason, nextInMs }),
        },
        this.signal,
      );
    } finally {
      lines.flush();
      clearTimeout(budgetTimer);
    }
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

  private finishStep(step: Step, result: StepResult): void {
    this.results.set(step.id, result);
    this.states.set(step.id, { status: result.status, outputs: literalOutputs(result.outputs) });
    // Outputs that held a secret reach the journal masked: a resumed run cannot use them.
    const redacted = Object.entries(result.outputs).filter(([, v]) => typeof v === 'string' && this.deps.redactor.text(v) !== v).map(([k]) => k);
    this.journal('step.finished', {
      redacted_outputs: redacted,
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
      ...(result.recoveryPoint ? { recovery_point: result.recoveryPoint } : {}),
    });
  }

  /** A step can be undone when it has a rollback, or its action rolls itself back (route53.upsert). */
  private canUndo(step: Step): boolean {
    return step.rollback !== undefined || (step.body.kind === 'uses' && this.deps.actions?.canRollback(step.body.action) === true);
  }

  private rollbackCandidates(failed?: Step): Step[] {
    return this.runbook.steps.filter((s) => s !== failed && this.canUndo(s) && this.results.get(s.id)?.status === 'succeeded').reverse();
  }

  /** Undo every step that succeeded and has a rollback, newest first. */
  private async rollback(): Promise<RunStatus> {
    const steps = this.rollbackCandidates();
    this.emit({ kind: 'rollback.started', steps: steps.map((s) => s.id) });
    this.journal('rollback.started', { steps: steps.map((s) => s.id) });
    let allOk = true;
    for (const step of steps) {
      const scope = this.scope();
      this.journal('rollback.step.started', { step: step.id });
      const outcome = step.rollback ? await this.runRollback(step, step.rollback, scope) : await this.runAutomaticRollback(step, scope);
      if (outcome.interrupted) throw new Interrupted();
      allOk &&= outcome.ok;
      if (outcome.ok) {
        const result = this.results.get(step.id)!;
        result.status = 'rolled_back';
        this.states.set(step.id, { status: 'rolled_back', outputs: literalOutputs(result.outputs) });
      }
      this.emit({ kind: 'rollback.step', id: step.id, ok: outcome.ok, reason: outcome.reason });
      this.journal('rollback.step', { step: step.id, ok: outcome.ok, exit_code: outcome.exitCode, duration_ms: Math.round(outcome.durationMs), reason: outcome.reason ?? null });
    }
    this.journal('rollback.finished', { ok: allOk });
    return allOk ? 'rolled_back' : 'failed';
  }

  private async runAutomaticRollback(step: Step, scope: Scope): Promise<CommandOutcome> {
    const body = step.body as Extract<CommandBody, { kind: 'uses' }>;
    const started = this.deps.clock.now();
    // The step's timeout bounds its automatic rollback too.
    const signal = step.timeoutMs === undefined ? this.signal : AbortSignal.any([this.signal, AbortSignal.timeout(step.timeoutMs)]);
    try {
      await this.deps.actions!.rollback(
        {
          stepId: step.id,
          action: body.action,
          with: resolveValue(body.with, scope).value as Record<string, unknown>,
          signal,
          timeoutMs: step.timeoutMs,
          onOutput: (text) => this.emit({ kind: 'step.output', id: step.id, stream: 'stdout', text }),
          onRecord: (fields) => this.journal('action.record', { step: step.id, rollback: true, record: fields }),
          addSecret: (value) => this.deps.redactor.add(value),
        },
        this.results.get(step.id)?.outputs ?? {},
      );
      return { ok: true, interrupted: false, exitCode: 0, outputs: {}, attempts: 1, durationMs: this.deps.clock.now() - started };
    } catch (error) {
      const reason = !this.signal.aborted && signal.aborted ? `timed out after ${Math.round((step.timeoutMs ?? 0) / 1000)}s` : (error as Error).message;
      return { ok: false, interrupted: this.signal.aborted, exitCode: 1, outputs: {}, reason, attempts: 1, durationMs: this.deps.clock.now() - started };
    }
  }

  private runRollback(step: Step, rollback: NonNullable<Step['rollback']>, scope: Scope): Promise<CommandOutcome> {
    return runCommand(
      { id: `${step.id}:rollback`, body: rollback.body, env: this.stepEnv(rollback.env, step.id, scope), cwd: rollback.cwd ? this.resolveCwd(renderString(rollback.cwd, scope).text) : undefined, timeoutMs: rollback.timeoutMs, retry: { attempts: 1, delayMs: 0, backoff: 1 }, intervalMs: 0, outputs: {}, scope },
      this.deps,
      outputOnlyHooks((stream, text) => this.emit({ kind: 'step.output', id: step.id, stream, text })),
      this.signal,
    );
  }
}

/** Emits output a line at a time, so a secret split across two chunks is still masked whole. */
class LineSplitter {
  private pending: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };

  constructor(private readonly emit: (stream: 'stdout' | 'stderr', text: string) => void) {}

  push(stream: 'stdout' | 'stderr', chunk: string): void {
    const text = this.pending[stream] + chunk;
    const cut = text.lastIndexOf('\n');
    if (cut < 0) {
      this.pending[stream] = text;
      return;
    }
    this.pending[stream] = text.slice(cut + 1);
    this.emit(stream, text.slice(0, cut + 1));
  }

  flush(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.pending[stream]) this.emit(stream, `${this.pending[stream]}\n`);
      this.pending[stream] = '';
    }
  }
}

/** Outputs as expressions see them: lists and objects (query rows, say) as JSON text. */
function literalOutputs(outputs: Record<string, unknown>): Record<string, Literal> {
  const out: Record<string, Literal> = {};
  for (const [name, value] of Object.entries(outputs)) {
    out[name] = value === null || ['string', 'number', 'boolean'].includes(typeof value) ? (value as Literal) : JSON.stringify(value);
  }
  return out;
}
