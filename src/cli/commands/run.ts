import { parseIncidentStart } from '../../engine/incident-start.js';
import { parseInputOptions, readInputsFile, resolveInputs, secretValues } from '../../engine/inputs.js';
import type { PlanContext } from '../../engine/plan.js';
import { buildPlan, expressionEnv, resolveRunbookEnv, runScope } from '../../engine/plan.js';
import { runPreflight } from '../../engine/preflight.js';
import { Redactor } from '../../engine/redact.js';
import { makeRunId } from '../../engine/run-id.js';
import { createProcessRunner } from '../../adapters/process.js';
import { systemClock } from '../../engine/clock.js';
import { JournalWriter } from '../../journal/journal.js';
import { acquireRunLock } from '../../journal/lock.js';
import { journalFile, prepareStateDir, stateDirOf } from '../../journal/runs.js';
import type { Runbook } from '../../runbook/model.js';
import { UserError } from '../../util/errors.js';
import { loadRunbook } from '../load.js';
import type { RunOptions } from '../program.js';
import { awsSettings, executeAndReport, interruptController, makeHost, parseReportRequests, runStartFields } from '../session.js';
import { createActionExecutor } from '../../actions/runner.js';

/** Refusals before step 1: each exits 2 having run nothing. */
export function checkRunnable(runbook: Runbook, options: { yes: boolean; interactive: boolean; acceptManual: boolean; startAt?: string | undefined }): void {
  if (!options.yes && !options.interactive) {
    throw new UserError('drctl run needs a terminal to ask before each step, and this is not one', { hint: 'in CI or a script, pass --yes to approve every confirmation' });
  }
  const first = options.startAt === undefined ? 0 : Math.max(0, runbook.steps.findIndex((s) => s.id === options.startAt));
  const manual = runbook.steps.slice(first).filter((s) => s.body.kind === 'manual').map((s) => s.id);
  if (options.yes && manual.length > 0 && !options.acceptManual) {
    throw new UserError(`--yes cannot do the manual steps of ${runbook.name}: ${manual.join(', ')}`, { hint: 'pass --accept-manual to record them as acknowledged (a drill or CI rehearsal), or run interactively' });
  }
  if (options.startAt !== undefined && !runbook.steps.some((s) => s.id === options.startAt)) {
    throw new UserError(`--start-at ${options.startAt}: no such step in ${runbook.name}`, { hint: `steps: ${runbook.steps.map((s) => s.id).join(', ')}` });
  }
}

export async function runCommand(ref: string, options: RunOptions): Promise<number> {
  const now = new Date();
  const incidentStart = parseIncidentStart(options.incidentStart, now);
  const reports = parseReportRequests(options.report);
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
  const yes = options.yes === true;
  const interactive = !yes && process.stdin.isTTY === true && process.stdout.isTTY === true;
  checkRunnable(runbook, { yes, interactive, acceptManual: options.acceptManual === true, startAt: options.startAt });

  const context: PlanContext = { inputs, mode: options.drill ? 'drill' : 'real', runId, incidentStart, env: process.env };
  const plan = buildPlan(runbook, context);
  const runbookEnv = resolveRunbookEnv(runbook, context).text;
  const stateDir = stateDirOf(options.stateDir, process.env);
  const redactor = new Redactor(secretValues(context.inputs));
  const aws = awsSettings(options);
  prepareStateDir(stateDir);
  const release = acquireRunLock(stateDir, runbook.name, runId);
  const { controller, dispose } = interruptController();
  const host = await makeHost(interactive, () => controller.abort(new Error('SIGINT')));
  try {
    host.emit({ kind: 'run.started', runId, runbook: runbook.name, title: runbook.title, mode: context.mode, incidentStart: incidentStart.toISOString(), resumed: false, totalSteps: runbook.steps.length, rtoMs: runbook.objectives.rtoMs });
    const env = { ...(process.env as Record<string, string>), ...runbookEnv };
    const failures = await runPreflight(runbook, runScope(context, expressionEnv(context, runbookEnv), new Map(), 'empty'), env, { host, runner: createProcessRunner(), clock: systemClock, redactor, actions: createActionExecutor({ aws, incidentStart }) }, controller.signal);
    if (failures.length > 0) {
      host.close();
      throw new UserError(`preflight failed, nothing was changed:\n${failures.map((f) => `  - ${f}`).join('\n')}`, { hint: 'fix what it names (wrong cluster? missing tool?) and run again' });
    }
    const journal = new JournalWriter(journalFile(stateDir, runId));
    journal.append('run.started', runStartFields(runbook, plan, context, { yes, acceptManual: options.acceptManual === true, startAt: options.startAt, reports, aws }));
    return await executeAndReport({ stateDir, plan, context, runbookEnv, host, journal, redactor, options: { yes, acceptManual: options.acceptManual === true, startAt: options.startAt }, reports, aws, signal: controller.signal });
  } finally {
    host.close();
    dispose();
    release();
  }
}
