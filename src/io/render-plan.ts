import type { Plan, PlannedStep } from '../engine/plan.js';
import { formatDuration } from '../util/duration.js';
import { envEntries } from '../engine/env-view.js';
import { formatCommand } from './render-command.js';
import { formatEnv, formatEnvEntries } from './render-env.js';
import type { Style } from './style.js';
import { table } from './table.js';

/**
 * What `run` would do, resolved, with a budget timeline against the RTO. The inputs table fits in
 * `width` columns (a long value wraps); the rest is wrapped by `layout` (src/io/layout.ts).
 */
export function renderPlan(plan: Plan, style: Style, width?: number): string {
  const { runbook } = plan;
  const rtoMs = runbook.objectives.rtoMs;
  const out: string[] = [];
  out.push(`${style.bold('Plan')} ${style.bold(runbook.title)} ${style.dim(`(${runbook.name})`)}`);
  out.push(
    style.dim(
      `mode ${plan.mode} · incident start ${plan.incidentStart} · RTO ${rtoMs === undefined ? 'not set' : formatDuration(rtoMs)} · RPO ${runbook.objectives.rpoMs === undefined ? 'not set' : formatDuration(runbook.objectives.rpoMs)}`,
    ),
  );
  if (plan.inputs.length) {
    out.push('', style.bold('Inputs'));
    out.push(
      indent(
        table(
          plan.inputs.map((i) => [i.name, i.display, style.dim(`(${i.source})`)]),
          { wrap: 1, ...(width ? { width: width - 2 } : {}) },
        ),
      ),
    );
  }
  const env = envEntries(plan.env);
  if (env.length) out.push('', style.bold('Environment') + style.dim('  (every step)'), ...formatEnvEntries(env, '  '));
  if (plan.preflight.length) {
    out.push('', style.bold('Preflight'));
    for (const check of plan.preflight) {
      out.push(`  - ${check.title}`);
      if (check.command) out.push(formatCommand(check.command, style, '      '));
    }
  }
  out.push('', style.bold('Steps'));
  for (const planned of plan.steps) out.push(...stepLines(planned, style), '');
  out.push(style.bold('Budget timeline'));
  out.push(indent(timeline(plan, style)));
  out.push('', summaryLine(plan, style));
  return out.join('\n') + '\n';
}

function stepLines(planned: PlannedStep, style: Style): string[] {
  const { step, condition } = planned;
  const skipped = condition.decided && !condition.value;
  const budget = step.budgetMs === undefined ? style.dim('no budget') : `budget ${formatDuration(step.budgetMs)}`;
  const head = `${style.bold(`${planned.number}.`)} ${skipped ? style.strikethrough(step.title) : style.bold(step.title)} ${style.dim(`[${step.id}]`)}  ${budget}`;
  const lines = [head];
  if (step.if !== undefined) {
    const verdict = condition.decided
      ? condition.value
        ? style.green('runs')
        : style.yellow('skipped')
      : style.yellow(`decided at run time (depends on ${condition.placeholder})`);
    lines.push(`   ${style.dim('if')} ${String(step.if)} → ${verdict}`);
  }
  if (planned.confirm.kind === 'ask')
    lines.push(`   ${style.red('asks for confirmation')}${planned.confirm.question ? `: ${planned.confirm.question}` : ''}`);
  if (planned.confirm.kind === 'type') lines.push(`   ${style.red(`the operator must type "${planned.confirm.text}"`)}`);
  lines.push(formatCommand(planned.command, style, '   '));
  lines.push(...formatEnv(planned.env, style, '   '));
  if (planned.rollback) lines.push(`   ${style.dim('rollback:')}`, formatCommand(planned.rollback, style, '     '));
  return lines;
}

const BAR_WIDTH = 30;

function timeline(plan: Plan, style: Style): string {
  const rtoMs = plan.runbook.objectives.rtoMs;
  const scale = Math.max(rtoMs ?? 0, plan.totalBudgetMs, 1);
  const rows = plan.steps.map((planned) => {
    const filled = Math.round((planned.cumulativeMs / scale) * BAR_WIDTH);
    const bar = '#'.repeat(filled) + '.'.repeat(Math.max(0, BAR_WIDTH - filled));
    const skipped = planned.condition.decided && !planned.condition.value;
    const of = rtoMs === undefined ? '' : ` / ${formatDuration(rtoMs)}`;
    const cumulative = `${formatDuration(planned.cumulativeMs)}${of}`;
    return [
      `${planned.number}.`,
      planned.step.id,
      skipped ? style.dim('skipped') : planned.step.budgetMs === undefined ? style.dim('-') : formatDuration(planned.step.budgetMs),
      planned.pastRto ? style.red(bar) : bar,
      planned.pastRto ? style.red(`${cumulative} past RTO`) : cumulative,
    ];
  });
  return table(rows, { align: ['right', 'left', 'right', 'left', 'left'] });
}

function summaryLine(plan: Plan, style: Style): string {
  const rtoMs = plan.runbook.objectives.rtoMs;
  const total = `Total budget ${formatDuration(plan.totalBudgetMs)}`;
  const unbudgeted = plan.unbudgetedSteps ? style.yellow(` (${plan.unbudgetedSteps} step(s) without a budget)`) : '';
  if (rtoMs === undefined) return `${total}${unbudgeted}; no RTO set.`;
  const share = Math.round((plan.totalBudgetMs / rtoMs) * 100);
  const verdict =
    plan.totalBudgetMs > rtoMs
      ? style.red(`exceeds the RTO of ${formatDuration(rtoMs)} (${share}%)`)
      : style.green(`within the RTO of ${formatDuration(rtoMs)} (${share}%)`);
  return `${total} ${verdict}${unbudgeted}. Nothing was run.`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => (line ? `  ${line}` : line))
    .join('\n');
}
