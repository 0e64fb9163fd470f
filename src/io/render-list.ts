import type { RunbookEntry } from '../runbook/lookup.js';
import { formatDuration } from '../util/duration.js';
import type { Style } from './style.js';
import { table } from './table.js';

export interface ListRow {
  name: string;
  title: string;
  rto: string | null;
  rpo: string | null;
  steps: number;
  budget: string;
  budget_s: number;
  source: 'local' | 'shipped';
  file: string;
}

export function listRows(entries: readonly RunbookEntry[]): ListRow[] {
  return entries.map(({ name, file, shipped, result }) => {
    const runbook = result.runbook!;
    const budgetMs = runbook.steps.reduce((sum, step) => sum + (step.budgetMs ?? 0), 0);
    const { rtoMs, rpoMs } = runbook.objectives;
    return {
      name,
      title: runbook.title,
      rto: rtoMs === undefined ? null : formatDuration(rtoMs),
      rpo: rpoMs === undefined ? null : formatDuration(rpoMs),
      steps: runbook.steps.length,
      budget: formatDuration(budgetMs),
      budget_s: budgetMs / 1000,
      source: shipped ? 'shipped' : 'local',
      file,
    };
  });
}

export function renderList(rows: readonly ListRow[], style: Style): string {
  const header = ['NAME', 'TITLE', 'RTO', 'RPO', 'STEPS', 'BUDGET', 'SOURCE'].map((h) => style.bold(h));
  const body = rows.map((r) => [style.cyan(r.name), r.title, r.rto ?? '-', r.rpo ?? '-', String(r.steps), r.budget, r.source]);
  return table([header, ...body], { align: ['left', 'left', 'right', 'right', 'right', 'right', 'left'] });
}
