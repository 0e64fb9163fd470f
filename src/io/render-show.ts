import { envEntries, writtenEnvView } from '../engine/env-view.js';
import { formatDuration, formatInterval } from '../util/duration.js';
import type { ExpectationDoc, MatcherDoc } from '../runbook/schema.js';
import type { InputSpec, Runbook, Step } from '../runbook/model.js';
import { renderMarkdown } from './markdown.js';
import { formatCommand, rawView } from './render-command.js';
import { formatEnv, formatEnvEntries } from './render-env.js';
import type { Style } from './style.js';
import { table } from './table.js';

/**
 * A readable view of a scenario: what it is for, what it needs, and what each step does. Its
 * table of inputs fits in `width` columns; the rest is wrapped by `layout` (src/io/layout.ts).
 */
export function renderShow(runbook: Runbook, style: Style, width?: number): string {
  const out: string[] = [];
  out.push(`${style.bold(runbook.title)} ${style.dim(`(${runbook.name})`)}`);
  const facts = [
    runbook.severity && `severity ${runbook.severity}`,
    runbook.owner && `owner ${runbook.owner}`,
    runbook.tags.length > 0 && `tags ${runbook.tags.join(', ')}`,
  ].filter(Boolean);
  if (facts.length) out.push(style.dim(facts.join(' · ')));
  out.push(style.dim(runbook.file));
  if (runbook.description) out.push('', ...renderMarkdown(runbook.description, style));
  out.push('', style.bold('Objectives'), `  ${objectivesLine(runbook)}`);
  if (runbook.inputs.length) out.push('', style.bold('Inputs'), indent(table(runbook.inputs.map(inputRow), fit(width)), '  '));
  if (runbook.preflight.length) {
    out.push('', style.bold('Preflight') + style.dim('  (read-only checks before step 1; a failure stops the run, exit 2)'));
    for (const item of runbook.preflight) {
      if (item.kind === 'require') out.push(`  ${item.index + 1}. tools on PATH: ${item.tools.join(', ')}`);
      else {
        out.push(`  ${item.index + 1}. ${item.title}`, formatCommand(rawView(item.body), style, '       '));
        if (item.expect) out.push(`       ${style.dim('expect')} ${describeExpectation(item.expect)}`);
      }
    }
  }
  const env = envEntries(runbook.env);
  if (env.length) out.push('', style.bold('Environment') + style.dim('  (every step)'), ...formatEnvEntries(env, '  '));
  out.push('', style.bold('Steps'));
  for (const step of runbook.steps) out.push(...stepLines(step, style), '');
  return out.join('\n').trimEnd() + '\n';
}

/** The inputs table, when it is too wide, puts the descriptions under their inputs and wraps what each input is. */
function fit(width: number | undefined): { width?: number; wrap: number; below: number } {
  return width === undefined ? { wrap: 1, below: 2 } : { width: width - 2, wrap: 1, below: 2 };
}

function objectivesLine(runbook: Runbook): string {
  const { rtoMs, rpoMs } = runbook.objectives;
  const budget = runbook.steps.reduce((sum, s) => sum + (s.budgetMs ?? 0), 0);
  const parts = [
    `RTO ${rtoMs === undefined ? 'not set' : formatDuration(rtoMs)}`,
    `RPO ${rpoMs === undefined ? 'not set' : formatDuration(rpoMs)}`,
  ];
  const share = rtoMs ? ` (${Math.round((budget / rtoMs) * 100)}% of the RTO)` : '';
  parts.push(`step budgets ${formatDuration(budget)}${share}`);
  const every = runbook.objectives.drillEveryMs;
  if (every !== undefined) parts.push(`drill every ${formatInterval(every)}`);
  return parts.join(' · ');
}

function inputRow(input: InputSpec): string[] {
  const facts: string[] = [input.type === 'choice' ? `choice of ${(input.options ?? []).join('|')}` : input.type];
  if (input.secret) facts.push('secret');
  if (input.env) facts.push(`from $${input.env}`);
  if (input.default !== undefined) facts.push(`default ${input.secret ? '***' : JSON.stringify(input.default)}`);
  else if (!input.env) facts.push('required');
  else facts.push('required unless set');
  return [input.name, facts.join(', '), input.description ?? ''];
}

function stepLines(step: Step, style: Style): string[] {
  const tags = [
    step.body.kind === 'manual' && style.yellow('manual'),
    step.confirm.kind !== 'none' && style.red(step.confirm.kind === 'type' ? `type "${step.confirm.text}" to confirm` : 'confirm'),
    step.idempotent && 'idempotent',
  ].filter(Boolean);
  const budget = step.budgetMs === undefined ? style.dim('no budget') : `budget ${formatDuration(step.budgetMs)}`;
  const lines = [
    `  ${style.bold(`${step.index + 1}.`)} ${style.bold(step.title)} ${style.dim(`[${step.id}]`)}  ${budget}${tags.length ? '  ' + tags.join('  ') : ''}`,
  ];
  if (step.description) lines.push(...renderMarkdown(step.description, style).map((l) => (l ? `     ${l}` : l)));
  if (step.if !== undefined) lines.push(`     ${style.dim('if')} ${String(step.if)}`);
  lines.push(formatCommand(rawView(step.body), style, '     '));
  lines.push(...formatEnv(writtenEnvView(step), style, '     '));
  const policy: string[] = [];
  if (step.timeoutMs !== undefined) policy.push(`timeout ${formatDuration(step.timeoutMs)}`);
  if (step.retry.attempts > 1)
    policy.push(
      `${step.retry.attempts} attempts${step.retry.delayMs ? `, ${formatDuration(step.retry.delayMs)} apart${step.retry.backoff > 1 ? ` (x${step.retry.backoff})` : ''}` : ''}`,
    );
  if (step.until) policy.push(`repeat every ${formatDuration(step.intervalMs)} until ${describeExpectation(step.until)}`);
  if (step.expect) policy.push(`expect ${describeExpectation(step.expect)}`);
  if (step.onFailure !== 'abort') policy.push(`on failure: ${step.onFailure}`);
  if (policy.length) lines.push(`     ${style.dim(policy.join(' · '))}`);
  const outputs = Object.keys(step.outputs);
  if (outputs.length) lines.push(`     ${style.dim('outputs')} ${outputs.join(', ')}`);
  if (step.rollback) lines.push(`     ${style.dim('rollback:')}`, formatCommand(rawView(step.rollback.body), style, '       '));
  return lines;
}

function describeExpectation(expectation: ExpectationDoc): string {
  const parts: string[] = [];
  if (expectation.exit_code !== undefined)
    parts.push(`exit code ${Array.isArray(expectation.exit_code) ? expectation.exit_code.join('|') : expectation.exit_code}`);
  if (expectation.stdout) parts.push(`stdout ${describeMatcher(expectation.stdout)}`);
  if (expectation.stderr) parts.push(`stderr ${describeMatcher(expectation.stderr)}`);
  for (const [name, matcher] of Object.entries(expectation.outputs ?? {})) parts.push(`${name} ${describeMatcher(matcher)}`);
  return parts.join(', ');
}

function describeMatcher(matcher: MatcherDoc): string {
  const parts = Object.entries(matcher).map(([op, value]) =>
    op === 'not' ? `not (${describeMatcher(value as MatcherDoc)})` : `${op} ${JSON.stringify(value)}`,
  );
  return parts.join(' and ');
}

function indent(text: string, by: string): string {
  return text
    .split('\n')
    .map((line) => (line ? by + line : line))
    .join('\n');
}
