import { parseIncidentStart } from '../../engine/incident-start.js';
import { parseInputOptions, readInputsFile, resolveInputs } from '../../engine/inputs.js';
import { buildPlan } from '../../engine/plan.js';
import { makeRunId } from '../../engine/run-id.js';
import { stateDirOf, stateDirsOf } from '../../journal/runs.js';
import { startRun } from '../../lifecycle/lifecycle.js';
import { parseReportRequests } from '../../lifecycle/reports.js';
import { UserError } from '../../util/errors.js';
import { loadRunbook } from '../load.js';
import { parseEnvironment, parseParticipants } from '../record-options.js';
import type { RunOptions } from '../program.js';
import { awsSettings, isInteractive, notifyAfter, withRealWorld } from '../run-support.js';

export async function runCommand(ref: string, options: RunOptions): Promise<number> {
  const now = new Date();
  const incidentStart = parseIncidentStart(options.incidentStart, now);
  const reports = parseReportRequests(options.report);
  const environment = parseEnvironment(options.environment);
  const participants = parseParticipants(options.participant);
  const runbook = loadRunbook(ref, options.dir);
  const pairs = parseInputOptions(options.input);
  const file = options.inputsFile ? readInputsFile(options.inputsFile) : undefined;
  const inputs = resolveInputs(runbook, { pairs, ...(file ? { file } : {}), env: process.env });
  const runId = makeRunId(runbook.name, now);
  if (options.dryRun) {
    const { printPlan } = await import('./plan.js');
    printPlan(buildPlan(runbook, { inputs, mode: 'dry-run', runId, incidentStart, env: process.env }), options.json === true);
    return 0;
  }
  if (options.json)
    throw new UserError('--json goes with --dry-run: a run reports through its report files', {
      hint: 'drctl run <runbook> --dry-run --json, or --report json:<file>',
    });
  const yes = options.yes === true;
  const interactive = isInteractive(yes);
  return withRealWorld({ interactive, notifyAfterMs: notifyAfter(options) }, (deps) =>
    startRun(
      {
        stateDir: stateDirOf(options.stateDir, process.env),
        runbook,
        inputs,
        mode: options.drill ? 'drill' : 'real',
        runId,
        incidentStart,
        startAt: options.startAt,
        outputs: { pairs: options.output, from: options.outputsFrom, stateDirs: stateDirsOf(options.stateDir, process.env) },
        yes,
        interactive,
        acceptManual: options.acceptManual === true,
        reports,
        aws: awsSettings(options),
        environment,
        participants,
      },
      deps,
    ),
  );
}
