import { dirname, resolve } from 'node:path';
import { resolveRunRef } from '../../journal/run-ref.js';
import { findRun, stateDirsOf } from '../../journal/runs.js';
import { ensureReportJson, historyUpTo } from '../../lifecycle/reports.js';
import { buildReport } from '../../report/build.js';
import type { ReportFormat } from '../../report/render.js';
import { REPORT_FORMATS, renderReport } from '../../report/render.js';
import { UserError } from '../../util/errors.js';
import { makeFolder, writeFileAtomic } from '../../util/write-file-atomic.js';

export function reportCommand(runRef: string | undefined, options: { stateDir?: string; format: string; output?: string }): number {
  if (!(REPORT_FORMATS as readonly string[]).includes(options.format)) {
    throw new UserError(`--format ${options.format} is not a report format`, { hint: `formats: ${REPORT_FORMATS.join(', ')}` });
  }
  const stateDirs = stateDirsOf(options.stateDir, process.env);
  const { record, stateDir } = findRun(stateDirs, resolveRunRef(stateDirs, runRef));
  if (!record.finished) {
    throw new UserError(`run ${record.runId} is still running: its report is written when it ends`, {
      hint: `follow it with: drctl runs --runbook ${record.runbook}`,
    });
  }
  // A drctl killed just after the run's end left no report.json: put it in place.
  ensureReportJson(stateDir, record);
  const report = buildReport(record);
  const text = renderReport(
    report,
    options.format as ReportFormat,
    options.format === 'html' ? { history: historyUpTo(stateDirs, report) } : {},
  );
  // Written beside the target and renamed over it: a link planted at --output is replaced, not followed.
  if (options.output) writeOutput(options.output, text);
  else process.stdout.write(text);
  return 0;
}

/** The report at --output, in folders made as needed (as `run --report` makes them); a path that cannot be written is one line. */
function writeOutput(file: string, text: string): void {
  try {
    makeFolder(dirname(resolve(file)));
  } catch (error) {
    const why = error instanceof UserError ? error.message : (error as NodeJS.ErrnoException).code;
    if (why === undefined) throw error;
    throw new UserError(`--output ${file}: cannot write there (${why})`);
  }
  // Its own errors name the file and say why (a full disk, a folder in the way).
  writeFileAtomic(file, text);
}
