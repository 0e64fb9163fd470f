import { appendFileSync } from 'node:fs';
import type { Answer, Host, NoteAnswer, Question, RunEvent, RunSummary } from '../engine/events.js';
import { outcomeText, rpoLabel, rpoText, rtoLabel, rtoText } from '../report/verdict.js';
import { formatDuration } from '../util/duration.js';
import { sanitizeOutput } from './sanitize.js';
import { workflowCommand } from './workflow-commands.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * A non-interactive run under GitHub Actions (GITHUB_ACTIONS=true): the host it wraps prints the
 * run as always, and this adds the workflow commands GitHub reads from the same stream: each step's
 * lines folded in `::group::Step N/M: title`, `::error` for a failed step, a failed rollback or
 * preflight check, `::warning` for a step past its budget and for the RTO at risk; at the end, a
 * Markdown summary appended to the file $GITHUB_STEP_SUMMARY names. What it shows comes from the
 * events, which reach every host with secrets already masked.
 */
export class GitHubActionsHost implements Host {
  private open = false;
  private header: Extract<RunEvent, { type: 'run.header' }> | undefined;
  private readonly titles = new Map<string, string>();
  private readonly warnedBudget = new Set<string>();

  constructor(
    private readonly inner: Host,
    private readonly out: NodeJS.WritableStream = process.stderr,
    private readonly env: Env = process.env,
    private readonly warn: (message: string) => void = (message) => process.stderr.write(`drctl: warning: ${message}\n`),
  ) {}

  emit(event: RunEvent): void {
    switch (event.type) {
      case 'run.header':
        this.header = event;
        break;
      case 'step.card':
        this.endGroup();
        this.titles.set(event.card.id, event.card.title);
        this.command('group', {}, `Step ${event.card.number}/${event.card.total}: ${event.card.title}`);
        this.open = true;
        break;
      case 'rollback.step.started':
        this.endGroup();
        this.command('group', {}, `Rollback of ${event.step}`);
        this.open = true;
        break;
      case 'rollback.started':
      case 'run.aborting':
      case 'run.interrupted':
      case 'run.finished':
      case 'run.summary':
        this.endGroup();
        break;
      default:
        break;
    }
    this.inner.emit(event);
    switch (event.type) {
      case 'preflight.check':
        if (!event.ok) this.command('error', { title: 'preflight' }, `${event.title}${event.detail ? `: ${event.detail}` : ''}`);
        break;
      case 'step.over_budget':
        this.warnedBudget.add(event.step);
        this.command('warning', { title: event.step }, `${event.step} has run past its budget of ${formatDuration(event.budget_ms)}`);
        break;
      case 'rto.at_risk':
        this.command(
          'warning',
          { title: 'RTO at risk' },
          `projected finish T+${formatDuration(event.projected_ms)} is past the RTO of ${formatDuration(event.rto_ms)}`,
        );
        break;
      case 'step.finished': {
        this.endGroup();
        const title = this.titles.get(event.step) ?? event.step;
        if (event.status === 'failed')
          this.command('error', { title: event.step }, `Step ${event.number} ${title} failed: ${event.reason ?? 'failed'}`);
        if (event.over_budget && event.budget_ms !== null && !this.warnedBudget.has(event.step))
          this.command('warning', { title: event.step }, `${event.step} went past its budget of ${formatDuration(event.budget_ms)}`);
        break;
      }
      case 'rollback.step':
        this.endGroup();
        if (!event.ok)
          this.command('error', { title: `rollback of ${event.step}` }, `rollback of ${event.step} failed: ${event.reason ?? ''}`);
        break;
      case 'run.summary':
        this.writeSummary(event.summary);
        break;
      default:
        break;
    }
  }

  ask<Q extends Question>(question: Q, signal: AbortSignal): Promise<Answer<Q> | NoteAnswer> {
    return this.inner.ask(question, signal);
  }

  close(): void {
    this.endGroup();
    this.inner.close();
  }

  private endGroup(): void {
    if (!this.open) return;
    this.open = false;
    this.command('endgroup', {}, '');
  }

  private command(name: string, properties: Record<string, string>, message: string): void {
    // A command's text may quote a command's output: no escape sequence or control character.
    const clean = (text: string): string => sanitizeOutput(text, { colour: false });
    const props = Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, clean(value)]));
    this.out.write(`${workflowCommand(name, props, clean(message))}\n`);
  }

  private writeSummary(summary: RunSummary): void {
    const file = this.env.GITHUB_STEP_SUMMARY;
    if (!file) return;
    try {
      appendFileSync(file, stepSummary(summary, this.header));
    } catch (error) {
      this.warn(`could not write the job summary to ${file}: ${(error as Error).message}`);
    }
  }
}

/** Text for a Markdown table cell or line: no HTML, no table break, no emphasis or link by accident, one line. */
export function markdownText(text: string): string {
  return sanitizeOutput(text, { colour: false })
    .replace(/\r?\n/g, ' ')
    .replace(/[\\`*_[\]|~#]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

const ICON: Record<RunSummary['status'], string> = {
  succeeded: '✅',
  failed: '❌',
  rolled_back: '↩️',
  aborted: '⛔',
  interrupted: '⏸️',
};

/** The job summary: the outcome, the RTO and RPO verdicts, one table row per step, the report's path. */
export function stepSummary(summary: RunSummary, header?: Extract<RunEvent, { type: 'run.header' }>): string {
  const what = header ? `${markdownText(header.title)} (${markdownText(header.runbook)})` : markdownText(summary.runId);
  const kind = header?.mode === 'drill' ? 'drill' : 'run';
  const lines = [
    `### ${ICON[summary.status]} drctl ${kind}: ${what}`,
    '',
    `**Run ${markdownText(summary.runId)}: ${markdownText(summary.status)}, ${markdownText(outcomeText(summary))}** (exit code ${summary.exitCode})`,
    '',
    `- **${markdownText(rtoLabel(summary))}**: ${markdownText(rtoText(summary))}`,
  ];
  if (summary.rpo) lines.push(`- **${markdownText(rpoLabel(summary))}**: ${markdownText(rpoText(summary))}`);
  for (const line of summary.integrity ?? []) lines.push(`- **Integrity (${markdownText(line.step)})**: ${markdownText(line.text)}`);
  lines.push(
    `- Time running commands ${formatDuration(summary.runningMs)} · waiting for the operator ${formatDuration(summary.waitingMs)}`,
    '',
    '| # | Step | Title | Status | Budget | Actual | Over/under |',
    '| ---: | --- | --- | --- | ---: | ---: | --- |',
  );
  for (const step of summary.steps) {
    const ran = step.status === 'succeeded' || step.status === 'failed' || step.status === 'rolled_back';
    const diff = ran && step.budgetMs !== undefined && step.durationMs !== undefined ? step.durationMs - step.budgetMs : undefined;
    const cells = [
      String(step.number),
      markdownText(step.id),
      markdownText(step.title),
      markdownText(step.status),
      step.budgetMs === undefined ? '-' : formatDuration(step.budgetMs),
      step.durationMs === undefined ? '-' : formatDuration(step.durationMs),
      diff === undefined ? '' : diff > 0 ? `+${formatDuration(diff)} over` : `${formatDuration(-diff)} under`,
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  lines.push('', `Report: ${markdownText(summary.reportFile)}`, '', '');
  return lines.join('\n');
}
