import { parseIncidentStart } from '../../engine/incident-start.js';
import { parseInputOptions, readInputsFile } from '../../engine/inputs.js';
import { resolveRunRef } from '../../journal/run-ref.js';
import { findRun, stateDirsOf } from '../../journal/runs.js';
import { resumeRun } from '../../lifecycle/lifecycle.js';
import { parseReportRequests } from '../../lifecycle/reports.js';
import { UserError } from '../../util/errors.js';
import { parseParticipants } from '../record-options.js';
import type { ResumeOptions } from '../program.js';
import { awsSettings, isInteractive, notifyAfter, withRealWorld } from '../run-support.js';

export async function resumeCommand(runRef: string | undefined, options: ResumeOptions): Promise<number> {
  // A wrong time is refused before anything is read or written, as `run --incident-start` refuses it.
  const incidentStart = correctedIncidentStart(options);
  const participants = parseParticipants(options.participant);
  const yes = options.yes === true;
  const interactive = isInteractive(yes);
  const file = options.inputsFile ? readInputsFile(options.inputsFile) : undefined;
  // A run kept in an older ./.drctl goes on there: found first, then resumed in its own folder.
  const stateDirs = stateDirsOf(options.stateDir, process.env);
  const runId = resolveRunRef(stateDirs, runRef);
  const found = stateDirs.length > 1 ? findRun(stateDirs, runId) : undefined;
  const request = {
    stateDir: found?.stateDir ?? stateDirs[0]!,
    runId: found?.record.runId ?? runId,
    inputs: { pairs: parseInputOptions(options.input), ...(file ? { file } : {}) },
    force: options.force === true,
    skipPreflight: options.preflight === false,
    reports: options.report.length ? parseReportRequests(options.report) : undefined,
    yes,
    interactive,
    acceptManual: options.acceptManual === true,
    aws: awsSettings(options),
    participants,
    ...(incidentStart ? { incidentStart } : {}),
  };
  return withRealWorld({ interactive, notifyAfterMs: notifyAfter(options) }, (deps) => resumeRun(request, deps));
}

function correctedIncidentStart(options: ResumeOptions): { at: Date; reason: string | null } | undefined {
  if (options.incidentStart === undefined) {
    if (options.reason !== undefined)
      throw new UserError('--reason goes with --incident-start: it says why the incident start is corrected', {
        hint: 'drctl resume <run-id> --incident-start 2026-11-22T02:40:00Z --reason "first alert was 02:40"',
      });
    return undefined;
  }
  const reason = options.reason?.trim();
  return { at: parseIncidentStart(options.incidentStart, new Date()), reason: reason ? reason : null };
}
