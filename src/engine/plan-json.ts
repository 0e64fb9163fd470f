import { envEntries } from './env-view.js';
import type { CommandView, Plan } from './plan.js';

const seconds = (ms: number | undefined): number | null => (ms === undefined ? null : ms / 1000);

function commandJson(view: CommandView): unknown {
  switch (view.kind) {
    case 'run':
      return { run: view.display };
    case 'exec':
      return { exec: view.display };
    case 'uses':
      return { uses: view.action, with: view.with };
    case 'manual':
      return { manual: view.display };
  }
}

/** The plan as data for `plan --json`: the same resolution the text shows, secrets masked. */
export function planToJson(plan: Plan): Record<string, unknown> {
  const { runbook } = plan;
  return {
    runbook: runbook.name,
    title: runbook.title,
    file: runbook.file,
    mode: plan.mode,
    incident_start: plan.incidentStart,
    objectives: { rto_s: seconds(runbook.objectives.rtoMs), rpo_s: seconds(runbook.objectives.rpoMs) },
    inputs: plan.inputs.map((i) => ({ name: i.name, value: i.display, source: i.source, secret: i.secret })),
    env: Object.fromEntries(envEntries(plan.env).map((entry) => [entry.name, entry.value])),
    preflight: plan.preflight.map((check) => ({
      title: check.title,
      ...(check.command ? (commandJson(check.command) as object) : { require: check.item.kind === 'require' ? check.item.tools : [] }),
    })),
    steps: plan.steps.map((planned) => ({
      number: planned.number,
      id: planned.step.id,
      title: planned.step.title,
      kind: planned.step.body.kind,
      command: commandJson(planned.command),
      if:
        planned.step.if === undefined
          ? null
          : {
              expression: planned.step.if,
              decided: planned.condition.decided,
              value: planned.condition.decided ? planned.condition.value : null,
            },
      will_run: planned.condition.decided ? planned.condition.value : null,
      budget_s: seconds(planned.step.budgetMs),
      cumulative_budget_s: planned.cumulativeMs / 1000,
      past_rto: planned.pastRto,
      timeout_s: seconds(planned.step.timeoutMs),
      attempts: planned.step.retry.attempts,
      confirm: planned.confirm.kind === 'none' ? null : planned.confirm,
      on_failure: planned.step.onFailure,
      idempotent: planned.step.idempotent,
      rollback: planned.rollback ? commandJson(planned.rollback) : null,
      env: Object.fromEntries(planned.env.env.map((entry) => [entry.name, entry.value])),
      postgres: planned.env.postgres ?? null,
    })),
    total_budget_s: plan.totalBudgetMs / 1000,
    budget_within_rto: runbook.objectives.rtoMs === undefined ? null : plan.totalBudgetMs <= runbook.objectives.rtoMs,
    unbudgeted_steps: plan.unbudgetedSteps,
  };
}
