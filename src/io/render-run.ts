import { Chalk } from 'chalk';
import type { RunEvent, RunSummary, StepCard } from '../engine/events.js';
import type { CleanupResult, FailureDecision } from '../journal/entries.js';
import type { Mark } from '../report/verdict.js';
import { rpoLabel, rpoText, rtoLabel, rtoText, statusWithOutcome } from '../report/verdict.js';
import { formatDuration } from '../util/duration.js';
import { assertNever } from '../util/errors.js';
import { clockText } from './live-clock.js';
import { layout } from './layout.js';
import { inline, renderMarkdown } from './markdown.js';
import { formatCommand } from './render-command.js';
import { formatEnv } from './render-env.js';
import { sanitizeOutput } from './sanitize.js';
import type { Style } from './style.js';
import { table } from './table.js';

function renderCard(card: StepCard, style: Style): string {
  const budget = card.budgetMs === undefined ? 'no budget' : `budget ${formatDuration(card.budgetMs)}`;
  const history = card.history;
  const projected = history
    ? ` · ${formatDuration(history.ms)} projected from ${history.runs} ${history.drillsOnly ? 'drills' : 'past runs'}`
    : '';
  const lines = [
    '',
    style.bold(`Step ${card.number}/${card.total}: ${card.title}`) + style.dim(`  [${card.id}] · ${budget}${projected}`),
    `  ${style.dim('clock')} ${clockText(card.clock, style)}`,
  ];
  if (card.description) lines.push(...renderMarkdown(card.description, style).map((l) => (l ? `  ${l}` : l)));
  lines.push(formatCommand(card.command, style, '  '));
  lines.push(...formatEnv(card.env, style, '  '));
  if (card.confirm !== 'none')
    lines.push(`  ${style.red(card.confirm === 'type' ? 'destructive: asks you to type a confirmation' : 'asks for confirmation')}`);
  return lines.join('\n');
}

export function renderSummary(summary: RunSummary, style: Style): string {
  const rows = [['#', 'STEP', 'STATUS', 'BUDGET', 'ACTUAL', 'OVER/UNDER'].map((h) => style.bold(h))];
  for (const step of summary.steps) {
    const diff =
      step.budgetMs !== undefined &&
      step.durationMs !== undefined &&
      (step.status === 'succeeded' || step.status === 'failed' || step.status === 'rolled_back')
        ? step.durationMs - step.budgetMs
        : undefined;
    const status =
      step.status === 'succeeded'
        ? style.green(step.status)
        : step.status === 'failed'
          ? style.red(step.status)
          : step.status === 'rolled_back'
            ? style.yellow(step.status)
            : style.dim(step.status);
    rows.push([
      String(step.number),
      step.id,
      status,
      step.budgetMs === undefined ? '-' : formatDuration(step.budgetMs),
      step.durationMs === undefined ? '-' : formatDuration(step.durationMs),
      diff === undefined ? '' : diff > 0 ? style.red(`+${formatDuration(diff)} over`) : style.green(`${formatDuration(-diff)} under`),
    ]);
  }
  const out = [table(rows, { align: ['right', 'left', 'left', 'right', 'right', 'left'] }), ''];
  const facts = summary;
  const mark: Mark = (word, met) => (met ? style.green(word.toUpperCase()) : style.red(word.toUpperCase()));
  out.push(
    `Run ${summary.runId}: ${statusWithOutcome(facts, summary.status === 'succeeded' ? style.green(summary.status) : style.red(summary.status))}`,
  );
  out.push(`${rtoLabel(facts)}: ${rtoText(facts, mark)}`);
  if (summary.rpo) out.push(`${rpoLabel(facts)}: ${rpoText(facts, mark)}`);
  for (const line of summary.integrity ?? [])
    out.push(`Integrity (${line.step}): ${line.ok === null ? line.text : line.ok ? style.green(line.text) : style.red(line.text)}`);
  out.push(`Time running commands ${formatDuration(summary.runningMs)} · waiting for the operator ${formatDuration(summary.waitingMs)}`);
  out.push(style.dim(`Report: ${summary.reportFile} · exit code ${summary.exitCode}`));
  return out.join('\n');
}

/** One line for each event the operator needs, for logs and non-interactive runs. Every type is decided here. */
export function eventLine(event: RunEvent, style: Style): string | undefined {
  switch (event.type) {
    case 'run.header':
      return `${style.bold(event.resumed ? 'Resuming' : 'Running')} ${event.title} (${event.runbook}) · run ${event.runId} · mode ${event.mode} · incident start ${event.incidentStart}`;
    case 'preflight.check':
      return `${event.ok ? style.green('✓') : style.red('✗')} preflight: ${event.title}${event.detail ? ` — ${event.detail}` : ''}`;
    case 'step.card':
      return renderCard(event.card, style);
    case 'step.attempt.started':
      return event.attempts > 1 ? style.dim(`  attempt ${event.attempt}/${event.attempts}`) : undefined;
    case 'step.output':
      return event.text
        .replace(/\n$/, '')
        .split('\n')
        .map((line) => `  ${style.dim('│')} ${line}`)
        .join('\n');
    case 'step.attempt.failed':
      return style.yellow(`  attempt ${event.attempt} failed: ${event.reason}; retrying in ${formatDuration(event.retryInMs ?? 0)}`);
    case 'step.polling':
      return style.dim(`  check ${event.attempt}: ${event.reason}; again in ${formatDuration(event.nextInMs)}`);
    case 'step.over_budget':
      return style.yellow(`  ⚠ ${event.step} has run past its budget of ${formatDuration(event.budget_ms)}`);
    case 'step.failed': {
      const took = `${formatDuration(event.durationMs)}${event.budgetMs !== undefined ? ` of ${formatDuration(event.budgetMs)} budget` : ''}`;
      return style.red(`✗ ${event.id} failed after ${took}: ${event.reason}`);
    }
    case 'step.rerun':
      return style.yellow(
        `↻ running step ${event.number} ${event.step} again (it ${event.previous === 'skipped' ? 'was skipped' : event.previous} before)`,
      );
    case 'step.finished':
      return finishedLine(event, style);
    case 'rto.at_risk':
      return style.red(
        style.bold(
          `⚠ RTO AT RISK: projected finish T+${formatDuration(event.projected_ms)} is past the RTO of ${formatDuration(event.rto_ms)}`,
        ),
      );
    case 'run.aborting':
      return style.red(`Stopping: ${event.reason}${event.step ? ` (at ${event.step})` : ''}. Nothing is rolled back.`);
    case 'rollback.started':
      return style.yellow(
        event.steps.length ? `Rolling back: ${event.steps.join(', ')} (newest first)` : 'Rolling back: no succeeded step has a rollback',
      );
    case 'rollback.step':
      return event.ok
        ? style.yellow(`↺ rolled back ${event.step}`)
        : style.red(`✗ rollback of ${event.step} failed: ${event.reason ?? ''}`);
    case 'run.interrupted':
      return style.red(`Interrupted (${event.signal}). The run is saved; continue it with: drctl resume`);
    case 'run.summary':
      return `\n${renderSummary(event.summary, style)}`;
    case 'run.abandoned':
      return style.red(`Abandoned by ${event.user}@${event.host}${event.reason ? `: ${event.reason}` : ''}. It will not be resumed.`);
    case 'manual.item':
      return checklistLine(event, style);
    case 'cleanup.done':
      return cleanupLine(event, style);
    case 'note':
      return style.cyan(`✎ note from ${event.user}@${event.host}: ${event.text}`);
    case 'participant.added':
      return style.dim(`  taking part: ${personText(event)}`);
    case 'review.finding':
      return `finding (${event.user}@${event.host}): ${event.text}`;
    case 'review.remediation': {
      const facts = [event.owner === null ? undefined : `owner ${event.owner}`, event.due === null ? undefined : `due ${event.due}`];
      const more = facts.filter((f) => f !== undefined).join(', ');
      return `remediation (${event.user}@${event.host}): ${event.text}${more ? ` (${more})` : ''}`;
    }
    case 'review.sign_off':
      return style.green(
        `signed off by ${personText(event)} (${event.user}@${event.host})${event.covers === null ? '' : `, covering the journal up to ${event.covers}`}`,
      );
    case 'incident_start.corrected':
      return style.yellow(
        `Incident start corrected by ${event.user}@${event.host}: ${event.from} → ${event.to}${event.reason ? ` (${event.reason})` : ''}. ` +
          'The RTO and RPO are measured from the new time; what earlier steps chose by the old one (a backup) stays as it is.',
      );
    case 'run.started':
    case 'run.resumed':
    case 'step.started':
    case 'step.process':
    case 'step.attempt':
    case 'action.record':
    case 'prompt.asked':
    case 'prompt.answered':
    case 'rollback.step.started':
    case 'rollback.finished':
    case 'cleanup.registered':
    case 'run.finished':
      // The journal's business: the header, the card, prompts and the summary show these to the operator.
      return undefined;
    default:
      return assertNever(event, 'event');
  }
}

/**
 * An event as a host prints it, or undefined for none. A command's output may hold escape
 * sequences: only its colours reach the screen (none without colour). Its text is cleaned before
 * it is cut into lines (a lone carriage return becomes a line of its own) and shown as it came;
 * any other line, which may quote a command's output (a preflight check's last line), is cleaned
 * after and fitted to `width` (see layout).
 */
export function eventText(event: RunEvent, style: Style, width: number | undefined): string | undefined {
  const clean = { colour: style.level > 0 };
  if (event.type === 'step.output') return eventLine({ ...event, text: sanitizeOutput(event.text, clean) }, style);
  const rendered = eventLine(event, style);
  return rendered === undefined ? undefined : layout(sanitizeOutput(rendered, clean), width);
}

/** "Name, role" as given, or the name alone. */
function personText(person: { name: string; role: string | null }): string {
  return person.role === null ? person.name : `${person.name}, ${person.role}`;
}

/** "  ✓ 2/3 TLS certificates valid": a checklist item as the operator answered it. */
function checklistLine(event: Extract<RunEvent, { type: 'manual.item' }>, style: Style): string {
  const of = `${event.index}/${event.total}`;
  // The item is Markdown; on a line in one colour, its code keeps its backticks rather than a colour of its own.
  const text = inline(event.text, style);
  const quoted = inline(event.text, style.level > 0 ? new Chalk({ level: 0 }) : style);
  switch (event.answer) {
    case 'done':
      return `  ${style.green('✓')} ${of} ${text}`;
    case 'skipped':
      return style.yellow(`  - ${of} skipped: ${quoted}`);
    case 'acknowledged':
      return `  ${style.yellow('acknowledged (--accept-manual)')} ${of} ${text}`;
    case 'aborted':
      return style.red(`  ✗ ${of} not done (the run stops): ${quoted}`);
  }
}

/** What the end of the run did with a file on the cleanup ledger. */
export function cleanupLine(event: { path: string; result: CleanupResult; error: string | null }, style: Style): string {
  switch (event.result) {
    case 'removed':
      return style.dim(`  removed ${event.path}`);
    case 'kept':
      return style.dim(`  kept ${event.path} (keep: true)`);
    case 'gone':
      return style.dim(`  ${event.path} was already gone`);
    case 'failed':
      return style.yellow(`  ⚠ could not remove ${event.path}: ${event.error ?? 'unknown error'}`);
    default:
      return assertNever(event.result, 'cleanup result');
  }
}

const THEN: Record<FailureDecision, string> = {
  continue: 'going on with the next step',
  rollback: 'rolling back',
  fail: 'stopping the run (on_failure: abort)',
  abort: 'stopping the run (aborted by the operator)',
};

function finishedLine(event: Extract<RunEvent, { type: 'step.finished' }>, style: Style): string {
  if (event.status === 'skipped') return style.dim(`- step ${event.number} ${event.step} skipped: ${event.reason ?? ''}`);
  // The failure itself was shown as it happened (step.failed): this says what follows it.
  if (event.status === 'failed' && event.then) return style.dim(`  ${event.step}: ${THEN[event.then]}`);
  // A manual step's time is the operator's.
  const spent = event.duration_ms === 0 && event.waiting_ms > 0 ? event.waiting_ms : event.duration_ms;
  const took = `${formatDuration(spent)}${event.budget_ms !== null ? ` of ${formatDuration(event.budget_ms)} budget` : ''}`;
  return event.status === 'succeeded'
    ? style.green(`✓ ${event.step} succeeded in ${took}`)
    : style.red(`✗ ${event.step} ${event.status} after ${took}: ${event.reason ?? ''}`);
}
