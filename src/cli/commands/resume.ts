import { parseInputOptions, readInputsFile, resolveInputs, secretValues } from '../../engine/inputs.js';
import type { PlanContext } from '../../engine/plan.js';
import { buildPlan, resolveRunbookEnv } from '../../engine/plan.js';
import { Redactor } from '../../engine/redact.js';
import { groupAlive } from '../../adapters/process.js';
import { dropTornTail, JournalWriter } from '../../journal/journal.js';
import { acquireRunLock } from '../../journal/lock.js';
import { journalFile, loadRun, prepareStateDir, stateDirOf } from '../../journal/runs.js';
import { outputRefs } from '../../runbook/refs.js';
import { validateFile } from '../../runbook/validate.js';
import { UserError } from '../../util/errors.js';
import type { ResumeOptions } from '../program.js';
import { awsSettings, executeAndReport, interruptController, makeHost, parseReportRequests } from '../session.js';
import { checkRunnable } from './run.js';

export async function resumeCommand(runId: string | undefined, options: ResumeOptions): Promise<number> {
  const stateDir = stateDirOf(options.stateDir, process.env);
  const record = loadRun(stateDir, runId);
  if (record.finished && record.finished.status !== 'interrupted') {
    throw new UserError(`run ${record.runId} already finished: ${record.finished.status}`, { hint: `see its report: drctl report ${record.runId}` });
  }
  const result = validateFile(record.file);
  if (!result.runbook) throw new UserError(`the runbook of run ${record.runId} (${record.file}) is no longer valid`, { hint: `drctl validate ${record.file}` });
  const runbook = result.runbook;
  if (runbook.digest !== record.digest && !options.force) {
    throw new UserError(`${record.file} changed since run ${record.runId} began`, { hint: 'resuming with a different procedure may skip or repeat work; pass --force if you checked the change' });
  }
  // Secrets were never journaled: they come again from --input, --inputs-file or the environment.
  const pairs = { ...Object.fromEntries(Object.entries(record.inputs).map(([k, v]) => [k, String(v)])), ...parseInputOptions(options.input) };
  const file = options.inputsFile ? readInputsFile(options.inputsFile) : undefined;
  const inputs = resolveInputs(runbook, { pairs, ...(file ? { file } : {}), env: process.env });
  const yes = options.yes === true;
  const interactive = !yes && process.stdin.isTTY === true && process.stdout.isTTY === true;
  checkRunnable(runbook, { yes, interactive, acceptManual: options.acceptManual === true || record.options.accept_manual });
  if (record.inFlight && record.inFlightPgid !== undefined && groupAlive(record.inFlightPgid)) {
    // drctl was killed but its command was not: running the step again now would run it twice.
    throw new UserError(`step ${record.inFlight} of run ${record.runId} is still running as process group ${record.inFlightPgid}, started before drctl stopped`, {
      hint: `wait for it to end, or stop it with: kill -TERM -${record.inFlightPgid}; then resume`,
    });
  }
  const inFlight = record.inFlight ? runbook.steps.find((s) => s.id === record.inFlight) : undefined;
  if (inFlight && !inFlight.idempotent && yes) {
    throw new UserError(`step ${inFlight.id} was running when run ${record.runId} stopped and is not idempotent: --yes cannot decide whether to run it again`, {
      hint: 'resume interactively to choose, or mark the step idempotent: true if running it twice is safe',
    });
  }
  for (const step of runbook.steps.filter((s) => !record.steps.has(s.id))) {
    const lost = outputRefs(step).find((ref) => record.steps.get(ref.step)?.redactedOutputs?.includes(ref.output));
    if (lost) {
      throw new UserError(`step ${step.id} uses output ${lost.output} of step ${lost.step}, which held a secret and was not kept in the journal`, {
        hint: `run again from that step: drctl run ${record.runbook} --start-at ${lost.step} --incident-start ${record.incidentStart}`,
      });
    }
  }
  const context: PlanContext = { inputs, mode: record.mode, runId: record.runId, incidentStart: new Date(record.incidentStart), env: process.env };
  const plan = buildPlan(runbook, context);
  const runbookEnv = resolveRunbookEnv(runbook, context).text;
  const reports = parseReportRequests(options.report.length ? options.report : record.options.reports);
  prepareStateDir(stateDir);
  const release = acquireRunLock(stateDir, runbook.name, record.runId);
  const { controller, dispose } = interruptController();
  const host = await makeHost(interactive, () => controller.abort(new Error('SIGINT')));
  try {
    if (record.tornTail) dropTornTail(journalFile(stateDir, record.runId));
    const journal = new JournalWriter(journalFile(stateDir, record.runId));
    journal.append('run.resumed', {
      pid: process.pid,
      in_flight: record.inFlight ?? null,
      torn_tail: record.tornTail,
      forced: runbook.digest !== record.digest,
      steps: plan.steps.map((p) => ({ id: p.step.id, title: p.step.title, budget_ms: p.step.budgetMs ?? null })),
    });
    host.emit({ kind: 'run.started', runId: record.runId, runbook: runbook.name, title: runbook.title, mode: record.mode, incidentStart: record.incidentStart, resumed: true, totalSteps: runbook.steps.length, rtoMs: runbook.objectives.rtoMs });
    return await executeAndReport({
      stateDir,
      plan,
      context,
      runbookEnv,
      host,
      journal,
      redactor: new Redactor(secretValues(context.inputs)),
      options: { yes, acceptManual: options.acceptManual === true || record.options.accept_manual, resume: record },
      reports,
      aws: awsSettings(options, { profile: record.options.aws_profile ?? undefined, region: record.options.aws_region ?? undefined }),
      signal: controller.signal,
    });
  } finally {
    host.close();
    dispose();
    release();
  }
}
