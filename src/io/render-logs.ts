import type { JournalEntry } from '../journal/entries.js';
import type { RunRecord } from '../journal/record.js';
import { formatDuration } from '../util/duration.js';
import { UserError } from '../util/errors.js';
import { sanitizeOutput } from './sanitize.js';
import type { Style } from './style.js';

type Attempt = Extract<JournalEntry, { type: 'step.attempt' }>;

/**
 * What `drctl logs` prints: the output a run's steps left in its journal, every attempt labelled,
 * steps in the runbook's order (or the one step asked for). The journal keeps the last part of each
 * stream (its tail); a tail that lost its start says so. Output was masked before it was journaled,
 * and it goes through the same sanitizer as live output before it reaches the terminal.
 */
export function renderLogs(record: RunRecord, entries: readonly JournalEntry[], step: string | undefined, style: Style): string {
  const ids = record.plannedSteps.map((s) => s.id);
  if (step !== undefined && !ids.includes(step)) {
    throw new UserError(`run ${record.runId} has no step ${JSON.stringify(step)}`, { hint: `its steps: ${ids.join(', ')}` });
  }
  const attempts = new Map<string, Attempt[]>();
  for (const entry of entries) {
    if (entry.type !== 'step.attempt') continue;
    const list = attempts.get(entry.step) ?? [];
    list.push(entry);
    attempts.set(entry.step, list);
  }
  const clean = { colour: style.level > 0 };
  const out: string[] = [];
  for (const [index, planned] of record.plannedSteps.entries()) {
    if (step !== undefined && planned.id !== step) continue;
    const status = record.steps.get(planned.id)?.status ?? (record.inFlight?.step === planned.id ? 'running' : 'not_run');
    out.push(style.bold(`Step ${index + 1}/${ids.length}: ${planned.title}`) + style.dim(`  [${planned.id}] · ${status}`));
    const list = attempts.get(planned.id) ?? [];
    if (list.length === 0) out.push(style.dim('  no command output journaled'));
    // Numbered across the run, as the report counts them: a step run again, or cut short and
    // finished after a resume, starts the journal's attempt count again at 1.
    for (const [n, attempt] of list.entries()) {
      const exit = attempt.exit_code === null ? 'no exit code' : `exit ${attempt.exit_code}`;
      const how = attempt.ended === 'exited' ? '' : ` (${attempt.ended})`;
      const label = `  attempt ${n + 1} · ${exit}${how} · ${formatDuration(attempt.duration_ms)} · ${attempt.t}`;
      out.push(style.dim(label));
      if (attempt.error) out.push(`  ${style.red(sanitizeOutput(attempt.error, { colour: false }))}`);
      if (attempt.truncated) out.push(style.yellow('  output truncated: only the last part of each stream was journaled'));
      out.push(...stream('stdout', attempt.stdout_tail, clean, style), ...stream('stderr', attempt.stderr_tail, clean, style));
    }
    out.push('');
  }
  return `${out.join('\n')}`;
}

function stream(name: string, tail: string, clean: { colour: boolean }, style: Style): string[] {
  if (tail === '') return [style.dim(`  ${name}: (empty)`)];
  const lines = sanitizeOutput(tail.replace(/\n$/, ''), clean).split('\n');
  return [style.dim(`  ${name}:`), ...lines.map((line) => `  ${style.dim('│')} ${line}`)];
}
