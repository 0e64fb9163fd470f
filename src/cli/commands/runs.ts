import { styleFor } from '../../io/style.js';
import { table } from '../../io/table.js';
import { checkRunbookName, listRuns, stateDirOf } from '../../journal/runs.js';
import { buildReport } from '../../report/build.js';
import { formatDuration } from '../../util/duration.js';

export function runsCommand(options: { stateDir?: string; runbook?: string; json?: boolean }): number {
  if (options.runbook !== undefined) checkRunbookName(options.runbook);
  const stateDir = stateDirOf(options.stateDir, process.env);
  const { runs, damaged } = listRuns(stateDir);
  const reports = runs.filter((r) => !options.runbook || r.runbook === options.runbook).map(buildReport);
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify(
        reports.map(({ steps: _steps, ...rest }) => rest),
        null,
        2,
      )}\n`,
    );
  } else if (reports.length === 0) {
    process.stderr.write(`drctl: no runs in ${stateDir}${options.runbook ? ` for ${options.runbook}` : ''}\n`);
  } else {
    const style = styleFor(process.stdout);
    const rows = [['RUN', 'MODE', 'STATUS', 'STARTED', 'RTO', 'RPO'].map((h) => style.bold(h))];
    for (const r of reports) {
      const rto = r.rto
        ? `${formatDuration(r.rto.elapsed_s * 1000)}/${formatDuration(r.rto.target_s * 1000)} ${r.rto.met ? 'met' : 'missed'}`
        : '-';
      const rpo = r.rpo
        ? `${formatDuration(r.rpo.achieved_s * 1000)}/${formatDuration(r.rpo.target_s * 1000)} ${r.rpo.met ? 'met' : 'missed'}`
        : '-';
      const status = r.status === 'interrupted' || r.status === 'running' ? `${r.status} (resumable)` : r.status;
      rows.push([r.run_id, r.mode, status, r.started_at, rto, rpo]);
    }
    process.stdout.write(`${table(rows)}\n`);
  }
  for (const name of damaged) process.stderr.write(`drctl: skipped ${name}: its journal is unreadable\n`);
  return 0;
}
