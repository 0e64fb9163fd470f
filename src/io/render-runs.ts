import type { RunReport } from '../report/build.js';
import { verdictFacts } from '../report/build.js';
import { objectiveCell, outcomeText } from '../report/verdict.js';

export const RUNS_HEADER = ['RUN', 'MODE', 'STATUS', 'STARTED', 'OUTCOME', 'RTO', 'RPO'] as const;

/** One row of `drctl runs`: the outcome in the words of the reports, and RTO and RPO verdicts only for a recovery. */
export function runsRow(r: RunReport): string[] {
  const facts = verdictFacts(r);
  const status = r.status === 'interrupted' || r.status === 'running' ? `${r.status} (resumable)` : r.status;
  return [r.run_id, r.mode, status, r.started_at, outcomeText(facts), objectiveCell(facts, 'rto'), objectiveCell(facts, 'rpo')];
}
