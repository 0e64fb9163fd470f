import { actionNamed } from '../actions/registry.js';
import type { StepEnvView } from './env-view.js';
import { stepEnvView } from './env-view.js';
import { secretDisplay } from './url-display.js';
import type { Scope } from '../runbook/expression.js';
import type { Body, Confirm, PreflightItem, Runbook, Step } from '../runbook/model.js';
import type { Condition } from './render.js';
import { evaluateCondition, renderScript, renderString, resolveValue, SECRET_MASK } from './render.js';
import type { ResolvedInputs } from './inputs.js';
import type { RunMode, StepState } from './scope.js';
import { makeScope } from './scope.js';
import { formatDuration } from '../util/duration.js';
import { currentOperator } from '../util/operator.js';

/** What a step will do, as the operator sees it: expressions resolved, secrets masked. */
export type CommandView =
  | { kind: 'run'; display: string }
  | { kind: 'exec'; display: string[] }
  | { kind: 'uses'; action: string; with: unknown }
  | { kind: 'manual'; display: string };

export interface PlannedStep {
  number: number;
  step: Step;
  condition: Condition;
  command: CommandView;
  /** Planned budget up to and including this step (skipped steps count nothing). */
  cumulativeMs: number;
  /** The budget timeline has crossed the RTO by the end of this step. */
  pastRto: boolean;
  confirm: Confirm;
  rollback?: CommandView | undefined;
  /** The step's `env:` and `postgres:` connection, resolved, secrets masked. */
  env: StepEnvView;
}

export interface PlannedPreflight {
  item: PreflightItem;
  title: string;
  command?: CommandView;
}

export interface PlanContext {
  inputs: ResolvedInputs;
  mode: RunMode;
  runId: string;
  incidentStart: Date;
  env: Readonly<Record<string, string | undefined>>;
  /** When the run started (its first session): `run.started_at`. A plan uses its own time. */
  startedAt?: Date | undefined;
  /** Who runs it (user@host): `run.operator`. By default the current user and host. */
  operator?: string | undefined;
  /** The clock `run.now` and `run.elapsed` read; Date.now by default. */
  now?: (() => number) | undefined;
}

export interface Plan {
  runbook: Runbook;
  /** The inputs as resolved (secrets included): for the executor and for masking, never shown. */
  inputsResolved: ResolvedInputs;
  mode: RunMode;
  runId: string;
  incidentStart: string;
  inputs: Array<{ name: string; display: string; source: string; secret: boolean }>;
  /** The runbook's env with expressions resolved (what every step's process receives). */
  env: Record<string, string>;
  preflight: PlannedPreflight[];
  steps: PlannedStep[];
  totalBudgetMs: number;
  unbudgetedSteps: number;
}

/** What `env.NAME` sees: the process environment overlaid by the runbook's env. Build it once. */
export function expressionEnv(context: PlanContext, runbookEnv: Record<string, string>): Record<string, string | undefined> {
  return { ...context.env, ...runbookEnv };
}

/** The scope expressions see during a run. */
export function runScope(
  runbook: Pick<Runbook, 'name' | 'objectives'>,
  context: PlanContext,
  env: Readonly<Record<string, string | undefined>>,
  steps: ReadonlyMap<string, StepState>,
  unknownSteps: 'placeholder' | 'empty',
): Scope {
  const now = context.now ?? Date.now;
  const objective = (ms: number | undefined): string | null => (ms === undefined ? null : formatDuration(ms));
  return makeScope({
    inputs: context.inputs.values,
    secretInputs: context.inputs.secretInputs,
    env,
    run: {
      id: context.runId,
      mode: context.mode,
      incident_start: context.incidentStart.toISOString(),
      started_at: (context.startedAt ?? new Date(now())).toISOString(),
      runbook: runbook.name,
      operator: context.operator ?? operatorOf(context.env),
      rto: objective(runbook.objectives.rtoMs),
      rpo: objective(runbook.objectives.rpoMs),
    },
    now,
    steps,
    unknownSteps,
  });
}

let localOperator: string | undefined;

/** user@host of this drctl, worked out once. */
function operatorOf(env: Readonly<Record<string, string | undefined>>): string {
  if (localOperator === undefined) {
    const { user, host } = currentOperator(env);
    localOperator = `${user}@${host}`;
  }
  return localOperator;
}

/** Resolve the runbook-level env once: its values may name inputs, env and run. */
export function resolveRunbookEnv(
  runbook: Runbook,
  context: PlanContext,
): { text: Record<string, string>; display: Record<string, string> } {
  const scope = runScope(runbook, context, context.env, new Map(), 'empty');
  const text: Record<string, string> = {};
  const display: Record<string, string> = {};
  for (const [name, value] of Object.entries(runbook.env)) {
    const rendered = renderString(value, scope);
    text[name] = rendered.text;
    display[name] = rendered.display;
  }
  return { text, display };
}

export function viewOf(body: Body, scope: Scope): CommandView {
  switch (body.kind) {
    case 'run':
      try {
        return { kind: 'run', display: renderScript(body.script, scope).display };
      } catch (error) {
        return { kind: 'run', display: `${body.script}\n# drctl cannot run this: ${(error as Error).message}` };
      }
    case 'exec':
      return { kind: 'exec', display: body.argv.map((arg) => renderString(arg, scope).display) };
    case 'uses': {
      const resolved = resolveValue(body.with, scope);
      const display = resolved.display as Record<string, unknown>;
      const values = resolved.value as Record<string, unknown>;
      // Secret arguments are never shown; a database URL shows where it points, its password masked.
      const action = actionNamed(body.action);
      for (const name of action?.secretArgs ?? []) {
        const value = values[name];
        if (!(name in display) || (typeof value === 'string' && action?.openValues?.[name]?.includes(value))) continue;
        display[name] = typeof value === 'string' ? secretDisplay(value) : SECRET_MASK;
      }
      return { kind: 'uses', action: body.action, with: display };
    }
    case 'manual':
      return { kind: 'manual', display: renderString(body.text, scope).display };
  }
}

/** The ordered list of steps a run executes, resolved as far as is known before it starts. Pure. */
export function buildPlan(runbook: Runbook, context: PlanContext): Plan {
  const env = resolveRunbookEnv(runbook, context);
  const scope = runScope(runbook, context, expressionEnv(context, env.text), new Map(), 'placeholder');
  const rtoMs = runbook.objectives.rtoMs;
  let cumulativeMs = 0;
  let unbudgetedSteps = 0;
  const steps = runbook.steps.map((step): PlannedStep => {
    const condition = evaluateCondition(step.if, scope);
    const runs = !condition.decided || condition.value;
    if (runs) {
      if (step.budgetMs === undefined) unbudgetedSteps++;
      cumulativeMs += step.budgetMs ?? 0;
    }
    return {
      number: step.index + 1,
      step,
      condition,
      command: viewOf(step.body, scope),
      cumulativeMs,
      pastRto: rtoMs !== undefined && cumulativeMs > rtoMs,
      confirm: confirmView(step.confirm, scope),
      rollback: step.rollback ? viewOf(step.rollback.body, scope) : undefined,
      env: stepEnvView(step, scope),
    };
  });
  return {
    runbook,
    inputsResolved: context.inputs,
    mode: context.mode,
    runId: context.runId,
    incidentStart: context.incidentStart.toISOString(),
    inputs: runbook.inputs.map((spec) => ({
      name: spec.name,
      display: spec.secret ? SECRET_MASK : String(context.inputs.values[spec.name] ?? ''),
      source: context.inputs.sources[spec.name] ?? 'default',
      secret: spec.secret,
    })),
    env: env.display,
    preflight: runbook.preflight.map((item) => ({
      item,
      title: item.kind === 'require' ? `tools on PATH: ${item.tools.join(', ')}` : renderString(item.title, scope).display,
      ...(item.kind === 'check' ? { command: viewOf(item.body, scope) } : {}),
    })),
    steps,
    totalBudgetMs: cumulativeMs,
    unbudgetedSteps,
  };
}

function confirmView(confirm: Confirm, scope: Scope): Confirm {
  if (confirm.kind === 'type') return { kind: 'type', text: renderString(confirm.text, scope).display };
  if (confirm.kind === 'ask' && confirm.question !== undefined)
    return { kind: 'ask', question: renderString(confirm.question, scope).display };
  return confirm;
}
