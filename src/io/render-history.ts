import type { DrillDue, HistoryRun, RunbookHistory, StepHistory } from '../report/history.js';
import { formatDuration, formatInterval } from '../util/duration.js';
import type { Style } from './style.js';
import { sanitizeOutput } from './sanitize.js';
import { table } from './table.js';

const BLOCKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'] as const;
/** The sparkline shows the latest this many runs; the plain series the latest PLAIN_POINTS. */
const SPARK_POINTS = 40;
const PLAIN_POINTS = 10;

const fmt = (s: number | null): string => (s === null ? '-' : formatDuration(s * 1000));

/** One block a value, low to high over the values' range; a gap (a space) where there is none. */
export function sparkline(values: ReadonlyArray<number | null>): string {
  const known = values.filter((v): v is number => v !== null);
  const low = Math.min(...known);
  const high = Math.max(...known);
  return values
    .map((v) => {
      if (v === null) return ' ';
      if (high === low) return BLOCKS[3];
      return BLOCKS[Math.min(BLOCKS.length - 1, Math.floor(((v - low) / (high - low)) * BLOCKS.length))];
    })
    .join('');
}

interface Series {
  label: string;
  values: Array<number | null>;
  met: Array<boolean | null>;
}

/** The RTO achieved by each run that recovered, and the RPO where the run had evidence of it, oldest to newest. */
function seriesOf(history: RunbookHistory): Series[] {
  const recovered = (r: HistoryRun): boolean => r.status === 'succeeded';
  const target = (s: number | null | undefined): string => (s === null || s === undefined ? '' : ` ${fmt(s)}`);
  const lastRto = history.runs.findLast((r) => r.rto_target_s !== null)?.rto_target_s;
  const lastRpo = history.runs.findLast((r) => r.rpo_target_s !== null)?.rpo_target_s;
  const out: Series[] = [
    {
      label: `RTO${target(lastRto)}`,
      values: history.runs.map((r) => (recovered(r) ? r.elapsed_s : null)),
      met: history.runs.map((r) => r.rto_met),
    },
  ];
  if (history.runs.some((r) => r.rpo_s !== null)) {
    out.push({
      label: `RPO${target(lastRpo)}`,
      values: history.runs.map((r) => (recovered(r) ? r.rpo_s : null)),
      met: history.runs.map((r) => r.rpo_met),
    });
  }
  return out;
}

/** "RTO 5m  ▂▃▁▅█  latest 3m10s · median 2m30s · 7 of 8 met": a sparkline on a terminal, the latest figures in plain text. */
function seriesLine(series: Series, style: Style, unicode: boolean): string {
  const known = series.values.filter((v): v is number => v !== null);
  const judged = series.met.filter((m): m is boolean => m !== null);
  const facts: string[] = [];
  if (known.length === 0) return `${series.label}: no run recovered yet`;
  const latest = series.values.findLast((v) => v !== null) ?? null;
  facts.push(`latest ${fmt(latest)}`, `best ${fmt(Math.min(...known))}`, `worst ${fmt(Math.max(...known))}`);
  if (judged.length > 0) facts.push(`${judged.filter(Boolean).length} of ${judged.length} met`);
  if (unicode) {
    const start = Math.max(0, series.values.length - SPARK_POINTS);
    const line = sparkline(series.values.slice(start));
    const coloured = [...line]
      .map((block, i) => {
        const met = series.met[start + i];
        return met === true ? style.green(block) : met === false ? style.red(block) : block;
      })
      .join('');
    return `${series.label}  ${coloured}  ${facts.join(' · ')}`;
  }
  const points = series.values.slice(-PLAIN_POINTS).map(fmt).join(' ');
  return `${series.label}: ${points} (oldest to newest) · ${facts.join(' · ')}`;
}

function stepRow(step: StepHistory, style: Style): string[] {
  const p90 = step.p90_over_budget ? style.red(fmt(step.p90_s)) : fmt(step.p90_s);
  return [step.id, String(step.runs), fmt(step.budget_s), fmt(step.median_s), p90, step.suggested_budget ?? '-'];
}

function regressionLine(step: StepHistory, style: Style, unicode: boolean): string | undefined {
  const r = step.regression;
  if (!r) return undefined;
  const mark = unicode ? '⚠' : '!';
  return style.yellow(
    `${mark} ${step.id} regressed: ${fmt(r.newest_s)} in ${r.run_id}, against a median of ${fmt(r.earlier_median_s)} over the ${r.earlier_runs} runs before`,
  );
}

function headLine(history: RunbookHistory): string {
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  const what = [`${plural(history.runs.length, 'run')} (${plural(history.drills, 'drill')}, ${history.real_runs} real)`];
  const last = history.last_successful_drill;
  what.push(last ? `last successful drill ${last.finished_at}` : 'no successful drill');
  if (history.drill_every_s !== null) {
    what.push(
      `drill every ${formatInterval(history.drill_every_s * 1000)}${history.next_drill_due ? `, next due ${history.next_drill_due}` : ''}`,
    );
  }
  return what.join(' · ');
}

/** `drctl history`: per runbook, its objectives over time, then its steps against their budgets and what regressed. */
export function renderHistory(histories: readonly RunbookHistory[], style: Style, unicode: boolean): string {
  const out: string[] = [];
  for (const history of histories) {
    if (out.length > 0) out.push('');
    // A title comes from report.json files anyone with the state dir may have written: it must not drive the terminal.
    out.push(`${style.bold(style.cyan(history.runbook))}  ${sanitizeOutput(history.title, { colour: false })}`, `  ${headLine(history)}`);
    for (const series of seriesOf(history)) out.push(`  ${seriesLine(series, style, unicode)}`);
    const header = ['STEP', 'RUNS', 'BUDGET', 'MEDIAN', 'P90', 'SUGGESTED'].map((h) => style.bold(h));
    const rows = [header, ...history.steps.map((s) => stepRow(s, style))];
    out.push(
      '',
      ...table(rows, { align: ['left', 'right', 'right', 'right', 'right', 'right'] })
        .split('\n')
        .map((l) => `  ${l}`),
    );
    const regressions = history.steps.map((s) => regressionLine(s, style, unicode)).filter((l): l is string => l !== undefined);
    if (regressions.length > 0) out.push('', ...regressions.map((l) => `  ${l}`));
  }
  return out.join('\n');
}

/** `drctl history --overdue`: the runbooks due for a drill. */
export function renderOverdue(rows: readonly DrillDue[], style: Style): string {
  const header = ['RUNBOOK', 'DRILL EVERY', 'LAST SUCCESSFUL DRILL', 'DUE SINCE'].map((h) => style.bold(h));
  const body = rows.map((r) => [
    style.cyan(r.runbook),
    formatInterval(r.drill_every_s * 1000),
    r.last_successful_drill?.finished_at ?? 'never',
    r.next_drill_due === null ? 'never drilled' : style.red(r.next_drill_due),
  ]);
  return table([header, ...body]);
}
