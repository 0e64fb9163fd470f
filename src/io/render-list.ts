import type { RunbookEntry } from '../runbook/lookup.js';
import { formatDuration, formatInterval } from '../util/duration.js';
import type { Style } from './style.js';
import { table } from './table.js';

export interface ListRow {
  name: string;
  title: string;
  rto: string | null;
  rto_s: number | null;
  rpo: string | null;
  steps: number;
  /** The sum of the step budgets. */
  budget: string;
  budget_s: number;
  /** The sum of the step budgets as a percentage of the RTO (rounded), null without an RTO. */
  budget_percent_of_rto: number | null;
  /** `objectives.drill_every` as written (90d), null when not set. */
  drill_every: string | null;
  drill_every_s: number | null;
  source: 'local' | 'shipped';
  file: string;
}

export function listRows(entries: readonly RunbookEntry[]): ListRow[] {
  return entries.map(({ name, file, shipped, result }) => {
    const runbook = result.runbook!;
    const budgetMs = runbook.steps.reduce((sum, step) => sum + (step.budgetMs ?? 0), 0);
    const { rtoMs, rpoMs } = runbook.objectives;
    const percent = rtoMs ? Math.round((budgetMs / rtoMs) * 100) : null;
    return {
      name,
      title: runbook.title,
      rto: rtoMs === undefined ? null : formatDuration(rtoMs),
      rto_s: rtoMs === undefined ? null : rtoMs / 1000,
      rpo: rpoMs === undefined ? null : formatDuration(rpoMs),
      steps: runbook.steps.length,
      budget: formatDuration(budgetMs),
      budget_s: budgetMs / 1000,
      budget_percent_of_rto: percent,
      drill_every: runbook.objectives.drillEveryMs === undefined ? null : formatInterval(runbook.objectives.drillEveryMs),
      drill_every_s: runbook.objectives.drillEveryMs === undefined ? null : runbook.objectives.drillEveryMs / 1000,
      source: shipped ? 'shipped' : 'local',
      file,
    };
  });
}

/** The table of runbooks; given a width, long titles wrap so the table fits. */
export function renderList(rows: readonly ListRow[], style: Style, width?: number): string {
  // The sum of the step budgets stands beside the RTO it must fit in, with its share of it.
  // How often each runbook is to be drilled, as a column only when one of them says.
  const drills = rows.some((r) => r.drill_every !== null);
  const header = ['NAME', 'TITLE', 'RTO', 'BUDGET', 'RPO', ...(drills ? ['DRILL EVERY'] : []), 'STEPS', 'SOURCE'].map((h) => style.bold(h));
  const body = rows.map((r) => [
    style.cyan(r.name),
    r.title,
    r.rto ?? '-',
    budgetCell(r),
    r.rpo ?? '-',
    ...(drills ? [r.drill_every ?? '-'] : []),
    String(r.steps),
    r.source,
  ]);
  return table([header, ...body], {
    align: ['left', 'left', 'right', 'right', 'right', ...(drills ? (['right'] as const) : []), 'right', 'left'],
    wrap: 1,
    ...(width ? { width } : {}),
  });
}

/** "45m (75%)": the sum of the step budgets and its share of the RTO. */
function budgetCell(row: ListRow): string {
  return row.budget_percent_of_rto === null ? row.budget : `${row.budget} (${row.budget_percent_of_rto}%)`;
}
