import { resolve } from 'node:path';
import type { Host } from '../engine/events.js';
import { isNoteAnswer } from '../engine/events.js';
import type { RunChannel } from '../engine/executor.js';
import { Executor } from '../engine/executor.js';
import type { ResolvedInputs } from '../engine/inputs.js';
import { resolveInputs, secretValues, unjournaledInputs } from '../engine/inputs.js';
import type { Plan, PlanContext } from '../engine/plan.js';
import { buildPlan, expressionEnv, resolveRunbookEnv, runScope } from '../engine/plan.js';
import { CLOCK_SKEW_MS } from '../engine/incident-start.js';
import { runPreflight } from '../engine/preflight.js';
import { Redactor } from '../engine/redact.js';
import type { JournalEntryBody, PlannedStepInfo } from '../journal/entries.js';
import { dropTornTail, JournalWriter } from '../journal/journal.js';
import { acquireRunLock } from '../journal/lock.js';
import type { RunRecord } from '../journal/record.js';
import { remainingWork } from '../journal/record.js';
import { journalFile, loadRun, prepareStateDir } from '../journal/runs.js';
import { buildReport, exitCodeFor } from '../report/build.js';
import { pastStepTimes } from '../report/history-runs.js';
import type { ActionExecutor } from '../ports/actions.js';
import type { AwsSettings } from '../ports/aws.js';
import type { Clock } from '../ports/clock.js';
import type { ProcessRunner } from '../ports/process.js';
import type { Runbook } from '../runbook/model.js';
import { outputRefs } from '../runbook/refs.js';
import { validateFile } from '../runbook/validate.js';
import { UserError } from '../util/errors.js';
import { didYouMean } from '../util/suggest.js';
import { packageVersion } from '../util/package-root.js';
import type { Person } from '../util/record-text.js';
import { parsePerson } from '../util/record-text.js';
import type { Operator } from '../util/operator.js';
import { currentOperator } from '../util/operator.js';
import { cleanUpLedger } from './cleanup.js';
import { Recorder, runChannel } from './recorder.js';
import type { ReportRequest } from './reports.js';
import { ensureReportJson, reportJsonFile, summaryOf, writeRunReports } from './reports.js';
import type { OutputSources } from './start-outputs.js';
import { startOutputs } from './start-outputs.js';

/**
 * The life of a run, in one place: refusals before anything runs, the lock, preflight, the
 * journal, execution, the end, and the reports. `drctl run` starts a run here and `drctl resume`
 * continues one; both are "options in, exit code out" around these two functions.
 */

/** The outside world a run needs, injected so tests can drive a whole run with fakes. */
export interface LifecycleDeps {
  host: Host;
  /** Fires on Ctrl-C, SIGTERM or SIGHUP: the run stops and stays resumable. */
  signal: AbortSignal;
  clock: Clock;
  runner: ProcessRunner;
  actions(settings: { aws: AwsSettings; incidentStart: Date }): ActionExecutor;
  /** Whether a command started by an earlier drctl still runs: its process group, or anything carrying its tag. */
  commandAlive(command: { pgid?: number | undefined; tag?: string | undefined }): boolean;
  env: Readonly<Record<string, string | undefined>>;
  pid: number;
  /** A problem that does not change the run's outcome (a report that could not be written). */
  warn(message: string): void;
  /** Who runs this drctl (journaled with the session and every answer); by default the current user, host and terminal. */
  operator?: Operator | undefined;
}

/** What the operator asked for that decides whether the run may start at all. */
export interface Approval {
  /** --yes: every confirmation approved, no question asked. */
  yes: boolean;
  /** Standard input and output are a terminal, so questions can be asked. */
  interactive: boolean;
  acceptManual: boolean;
}

export interface StartRequest extends Approval {
  stateDir: string;
  runbook: Runbook;
  inputs: ResolvedInputs;
  mode: 'real' | 'drill';
  runId: string;
  incidentStart: Date;
  startAt?: string | undefined;
  /** --output and --outputs-from: the outputs of the steps --start-at skips. */
  outputs?: OutputSources | undefined;
  reports: ReportRequest[];
  aws: AwsSettings;
  /** --environment: where the run happens (free text, checked by the command line), journaled in its scope. */
  environment?: string | undefined;
  /** --participant: who takes part; none given, an interactive drill asks. */
  participants?: Person[] | undefined;
}

export interface ResumeRequest extends Approval {
  stateDir: string;
  /** The run to continue; the latest when absent. */
  runId?: string | undefined;
  /** Inputs given again (secrets are never journaled); the journaled ones fill the rest. */
  inputs: { pairs: Record<string, string>; file?: Parameters<typeof resolveInputs>[1]['file'] };
  /** Resume although the runbook file changed since the run began. */
  force: boolean;
  /** Do not run the preflight checks again (they run by default: hours may have passed). */
  skipPreflight: boolean;
  /** Reports to write at the end; the run's own --report options when empty. */
  reports: ReportRequest[] | undefined;
  aws: AwsSettings;
  /** --incident-start: the corrected incident start, journaled as a correction (with --reason, why). */
  incidentStart?: { at: Date; reason: string | null } | undefined;
  /** --participant: people who join the run at this resume. */
  participants?: Person[] | undefined;
}

/** Refusals before step 1: each exits 2 having run nothing. */
export function checkRunnable(
  runbook: Runbook,
  approval: Approval & { startAt?: string | undefined },
  command: 'run' | 'resume' = 'run',
): void {
  if (!approval.yes && !approval.interactive) {
    throw new UserError(`drctl ${command} needs a terminal to ask before each step, and this is not one`, {
      hint: 'in CI or a script, pass --yes to approve every confirmation',
    });
  }
  if (approval.startAt !== undefined && !runbook.steps.some((s) => s.id === approval.startAt)) {
    const suggestion = didYouMean(
      approval.startAt,
      runbook.steps.map((s) => s.id),
    );
    throw new UserError(`--start-at ${approval.startAt}: no such step in ${runbook.name}${suggestion ? `; ${suggestion}` : ''}`, {
      hint: `steps: ${runbook.steps.map((s) => s.id).join(', ')}`,
    });
  }
  const first = approval.startAt === undefined ? 0 : runbook.steps.findIndex((s) => s.id === approval.startAt);
  const manual = runbook.steps
    .slice(first)
    .filter((s) => s.body.kind === 'manual')
    .map((s) => s.id);
  if (approval.yes && manual.length > 0 && !approval.acceptManual) {
    throw new UserError(`--yes cannot do the manual steps of ${runbook.name}: ${manual.join(', ')}`, {
      hint: 'pass --accept-manual to record them as acknowledged (a drill or CI rehearsal), or run interactively',
    });
  }
}

function plannedSteps(plan: Plan): PlannedStepInfo[] {
  return plan.steps.map((p) => ({ id: p.step.id, title: p.step.title, budget_ms: p.step.budgetMs ?? null }));
}

/** Start a run of a runbook: preflight, then every step. Returns the exit code (section 6). */
export async function startRun(request: StartRequest, deps: LifecycleDeps): Promise<number> {
  const { runbook, runId, incidentStart } = request;
  checkRunnable(runbook, request);
  const given = startOutputs(runbook, request.startAt, request.outputs ?? { pairs: [], stateDirs: [] });
  const context: PlanContext = { inputs: request.inputs, mode: request.mode, runId, incidentStart, env: deps.env, ...runFacts(deps) };
  const plan = buildPlan(runbook, context);
  const redactor = new Redactor(secretValues(request.inputs));
  prepareStateDir(request.stateDir);
  const release = await acquireRunLock(request.stateDir, runbook.name, runId);
  try {
    deps.host.emit({
      type: 'run.header',
      runId,
      runbook: runbook.name,
      title: runbook.title,
      mode: request.mode,
      incidentStart: incidentStart.toISOString(),
      resumed: false,
      totalSteps: runbook.steps.length,
      rtoMs: runbook.objectives.rtoMs,
    });
    await preflight(plan, context, request.aws, redactor, deps);
    const operator = deps.operator ?? currentOperator(deps.env);
    const participants = request.participants?.length ? request.participants : await askParticipants(request, deps);
    // Secrets, and URLs with a password, are never journaled: a resumed run is given them again.
    const unjournaled = unjournaledInputs(request.inputs);
    const inputs: Record<string, ResolvedInputs['values'][string]> = {};
    for (const [name, value] of Object.entries(request.inputs.values)) if (!unjournaled.has(name)) inputs[name] = value;
    const started: JournalEntryBody = {
      type: 'run.started',
      run_id: runId,
      runbook: runbook.name,
      title: runbook.title,
      // Absolute, so `drctl resume` works from any folder.
      file: resolve(runbook.file),
      digest: runbook.digest,
      mode: request.mode,
      incident_start: incidentStart.toISOString(),
      inputs,
      secret_inputs: [...unjournaled],
      objectives: {
        rto_ms: runbook.objectives.rtoMs ?? null,
        rpo_ms: runbook.objectives.rpoMs ?? null,
        drill_every_ms: runbook.objectives.drillEveryMs ?? null,
      },
      options: {
        yes: request.yes,
        accept_manual: request.acceptManual,
        start_at: request.startAt ?? null,
        reports: request.reports.map((r) => `${r.format}:${r.file}`),
        aws_profile: request.aws.profile ?? null,
        aws_region: request.aws.region ?? null,
      },
      steps: plannedSteps(plan),
      pid: deps.pid,
      operator,
      tool_version: packageVersion(),
      runbook_version: runbook.version ?? null,
      scope: {
        environment: request.environment ?? null,
        severity: runbook.severity ?? null,
        owner: runbook.owner ?? null,
        tags: runbook.tags,
      },
    };
    return await execute(
      {
        stateDir: request.stateDir,
        plan,
        context,
        redactor,
        reports: request.reports,
        aws: request.aws,
        runAll: request.yes,
        startAt: request.startAt,
        givenOutputs: given,
        first: started,
        then: participantEntries(participants, operator),
      },
      deps,
    );
  } finally {
    deps.host.close();
    release();
  }
}

/** Continue a run from its journal, doing exactly what it says is left. Returns the exit code. */
export async function resumeRun(request: ResumeRequest, deps: LifecycleDeps): Promise<number> {
  const known = loadRun(request.stateDir, request.runId);
  refuseFinished(request.stateDir, known);
  refuseLateIncidentStart(known, request.incidentStart?.at);
  prepareStateDir(request.stateDir);
  const release = await acquireRunLock(request.stateDir, known.runbook, known.runId);
  try {
    // Read again under the lock: another resume may have moved the run on since.
    const record = loadRun(request.stateDir, known.runId);
    refuseFinished(request.stateDir, record);
    const runbook = runbookOf(record, request.force);
    const pairs = { ...Object.fromEntries(Object.entries(record.inputs).map(([k, v]) => [k, String(v)])), ...request.inputs.pairs };
    const inputs = resolveInputs(runbook, { pairs, ...(request.inputs.file ? { file: request.inputs.file } : {}), env: deps.env });
    checkRunnable(runbook, { ...request, acceptManual: request.acceptManual || record.options.accept_manual }, 'resume');
    checkResumable(record, runbook, request.yes, deps);
    // A corrected incident start: the clock and the verdicts measure from it; earlier choices stay.
    const operator = deps.operator ?? currentOperator(deps.env);
    const corrected = request.incidentStart?.at.toISOString();
    const correction: JournalEntryBody | undefined =
      corrected !== undefined && corrected !== record.incidentStart
        ? {
            type: 'incident_start.corrected',
            from: record.incidentStart,
            to: corrected,
            user: operator.user,
            host: operator.host,
            terminal: operator.terminal,
            reason: request.incidentStart?.reason ?? null,
          }
        : undefined;
    const incidentStart = corrected ?? record.incidentStart;
    const context: PlanContext = {
      inputs,
      mode: record.mode,
      runId: record.runId,
      incidentStart: new Date(incidentStart),
      env: deps.env,
      startedAt: new Date(record.startedAt),
      ...runFacts(deps),
    };
    const plan = buildPlan(runbook, context);
    const redactor = new Redactor(secretValues(inputs));
    const aws = {
      ...request.aws,
      profile: request.aws.profile ?? record.options.aws_profile ?? undefined,
      region: request.aws.region ?? record.options.aws_region ?? undefined,
    };
    deps.host.emit({
      type: 'run.header',
      runId: record.runId,
      runbook: runbook.name,
      title: runbook.title,
      mode: record.mode,
      incidentStart,
      resumed: true,
      totalSteps: runbook.steps.length,
      rtoMs: runbook.objectives.rtoMs,
    });
    if (!request.skipPreflight) await preflight(plan, context, aws, redactor, deps);
    if (record.tornTail) dropTornTail(journalFile(request.stateDir, record.runId));
    const resumed: JournalEntryBody = {
      type: 'run.resumed',
      pid: deps.pid,
      in_flight: record.inFlight?.step ?? null,
      torn_tail: record.tornTail,
      forced: runbook.digest !== record.digest,
      preflight: request.skipPreflight ? 'skipped' : 'ran',
      steps: plannedSteps(plan),
      operator,
      tool_version: packageVersion(),
    };
    const reports = request.reports ?? record.options.reports.map(parseStoredReport);
    return await execute(
      {
        stateDir: request.stateDir,
        plan,
        context,
        redactor,
        reports,
        aws,
        runAll: request.yes || record.runAll,
        resume: record,
        first: resumed,
        then: [...(correction ? [correction] : []), ...participantEntries(request.participants ?? [], operator)],
      },
      deps,
    );
  } finally {
    deps.host.close();
    release();
  }
}

/**
 * An interactive drill given no --participant asks who takes part, one person per question, until
 * an empty answer. A real recovery does not wait for this, and --yes has no one to ask.
 */
async function askParticipants(request: StartRequest, deps: LifecycleDeps): Promise<Person[]> {
  if (request.mode !== 'drill' || !request.interactive || request.yes) return [];
  const people: Person[] = [];
  const check = (answer: string): string | undefined => {
    const person = parsePerson('the participant', answer);
    return 'problem' in person ? person.problem : undefined;
  };
  try {
    for (let number = 1; ; number += 1) {
      const answer = await deps.host.ask({ kind: 'run.participant', number, check, default: '' }, deps.signal);
      // The prompt offers no note (there is no journal yet); should a host give one, the question is asked again.
      if (isNoteAnswer(answer)) {
        number -= 1;
        continue;
      }
      if (answer.trim() === '') return people;
      const person = parsePerson('the participant', answer.trim());
      if ('problem' in person) throw new UserError(`participant "${answer.trim()}": ${person.problem}`);
      people.push(person);
    }
  } catch (error) {
    if (deps.signal.aborted)
      throw new UserError('interrupted while asking who takes part: nothing was run or journaled', { exitCode: 130 });
    throw error;
  }
}

/** The journal entries of the people who take part, added by this session's operator. */
function participantEntries(people: readonly Person[], who: Operator): JournalEntryBody[] {
  return people.map((p) => ({ type: 'participant.added', name: p.name, role: p.role, who }));
}

function parseStoredReport(value: string): ReportRequest {
  const colon = value.indexOf(':');
  return { format: value.slice(0, colon) as ReportRequest['format'], file: value.slice(colon + 1) };
}

/**
 * The incident began before its recovery: a corrected incident start after the run's own start
 * (`-0m` typed at a later resume) would credit the recovery with less time than it took. Clocks
 * may disagree a little, as `run --incident-start` allows.
 */
function refuseLateIncidentStart(record: RunRecord, at: Date | undefined): void {
  if (at === undefined || at.getTime() <= Date.parse(record.startedAt) + CLOCK_SKEW_MS) return;
  throw new UserError(`--incident-start ${at.toISOString()} is after the run started (${record.startedAt})`, {
    hint: 'the incident start is when the disaster began, before its recovery: give that time, e.g. as an ISO time',
  });
}

/** A run that ended is not resumed; its report.json is put in place if a kill left it missing. */
function refuseFinished(stateDir: string, record: RunRecord): void {
  if (record.abandoned) {
    const { user, host, at, reason } = record.abandoned;
    ensureReportJson(stateDir, record);
    throw new UserError(`run ${record.runId} was abandoned by ${user}@${host} at ${at}${reason ? ` (${reason})` : ''}: it is not resumed`, {
      hint: `start a new run, or see its report: drctl report ${record.runId}`,
    });
  }
  if (!record.finished || record.finished.status === 'interrupted') return;
  ensureReportJson(stateDir, record);
  throw new UserError(`run ${record.runId} already finished: ${record.finished.status}`, {
    hint: `see its report: drctl report ${record.runId}`,
  });
}

function runbookOf(record: RunRecord, force: boolean): Runbook {
  const result = validateFile(record.file);
  if (!result.runbook)
    throw new UserError(`the runbook of run ${record.runId} (${record.file}) is no longer valid`, {
      hint: `drctl validate ${record.file}`,
    });
  if (result.runbook.digest !== record.digest && !force) {
    throw new UserError(`${record.file} changed since run ${record.runId} began`, {
      hint: 'resuming with a different procedure may skip or repeat work; pass --force if you checked the change',
    });
  }
  return result.runbook;
}

/** What resume refuses before it runs anything: a command that may still run, or a decision --yes cannot take. */
function checkResumable(record: RunRecord, runbook: Runbook, yes: boolean, deps: LifecycleDeps): void {
  const remaining = remainingWork(record);
  if (remaining.kind === 'steps' && remaining.inFlight) {
    const { step: id, pgid } = remaining.inFlight;
    if (deps.commandAlive(remaining.inFlight)) {
      // drctl was killed but its command was not: running the step again now would run it twice.
      throw new UserError(`step ${id} of run ${record.runId} is still running as process group ${pgid}, started before drctl stopped`, {
        hint: stopHint(remaining.inFlight),
      });
    }
    const step = runbook.steps.find((s) => s.id === id);
    if (step && yes && !step.idempotent && step.body.kind !== 'manual') {
      throw new UserError(
        `step ${id} was running when run ${record.runId} stopped and is not idempotent: --yes cannot decide whether to run it again`,
        {
          hint: 'resume interactively to choose, or mark the step idempotent: true if running it twice is safe',
        },
      );
    }
  }
  if (remaining.kind === 'rollback' && remaining.inFlight) {
    const { step: id, pgid, automatic } = remaining.inFlight;
    if (deps.commandAlive(remaining.inFlight)) {
      throw new UserError(
        `the rollback of step ${id} in run ${record.runId} is still running as process group ${pgid}, started before drctl stopped`,
        { hint: stopHint(remaining.inFlight) },
      );
    }
    const step = runbook.steps.find((s) => s.id === id);
    if (yes && !automatic && step?.rollback && !step.rollback.idempotent) {
      throw new UserError(
        `the rollback of step ${id} was running when run ${record.runId} stopped and is not marked idempotent: --yes cannot decide whether to run it again`,
        {
          hint: 'resume interactively to choose, or mark the rollback idempotent: true if running it twice is safe',
        },
      );
    }
  }
  if (remaining.kind !== 'steps') return;
  for (const step of runbook.steps.filter((s) => !record.steps.has(s.id))) {
    const lost = outputRefs(step).find((ref) => record.steps.get(ref.step)?.redactedOutputs?.includes(ref.output));
    if (lost) {
      throw new UserError(
        `step ${step.id} uses output ${lost.output} of step ${lost.step}, which held a secret and was not kept in the journal`,
        {
          hint: `run again from that step: drctl run ${record.runbook} --start-at ${lost.step} --incident-start ${record.incidentStart}`,
        },
      );
    }
  }
}

/** How to stop what a killed drctl left running: its group, and what left the group but carries its tag. */
function stopHint(command: { pgid?: number | undefined; tag?: string | undefined }): string {
  const group = command.pgid !== undefined ? `kill -TERM -${command.pgid}` : undefined;
  const tagged =
    command.tag !== undefined ? `the processes listed by: grep -l 'DRCTL_PROCESS_TAG=.*${command.tag}' /proc/[0-9]*/environ` : undefined;
  return `wait for it to end, or stop it (${[group, tagged].filter(Boolean).join('; and ')}); then resume`;
}

/** What `run.now`, `run.elapsed` and `run.operator` read during a run: the run's clock and its operator. */
function runFacts(deps: LifecycleDeps): Pick<PlanContext, 'now' | 'operator'> {
  const { user, host } = deps.operator ?? currentOperator(deps.env);
  return { now: () => deps.clock.now(), operator: `${user}@${host}` };
}

async function preflight(plan: Plan, context: PlanContext, aws: AwsSettings, redactor: Redactor, deps: LifecycleDeps): Promise<void> {
  const runbookEnv = resolveRunbookEnv(plan.runbook, context).text;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(deps.env)) if (v !== undefined) env[k] = v;
  Object.assign(env, runbookEnv);
  const scope = runScope(plan.runbook, context, expressionEnv(context, runbookEnv), new Map(), 'empty');
  const failures = await runPreflight(
    plan.runbook,
    scope,
    env,
    {
      host: deps.host,
      runner: deps.runner,
      clock: deps.clock,
      redactor,
      actions: deps.actions({ aws, incidentStart: context.incidentStart }),
    },
    deps.signal,
  );
  if (failures.length > 0) {
    throw new UserError(`preflight failed, nothing was changed:\n${failures.map((f) => `  - ${f}`).join('\n')}`, {
      hint: 'fix what it names (wrong cluster? missing tool?) and run again',
    });
  }
}

interface Execution {
  stateDir: string;
  plan: Plan;
  context: PlanContext;
  redactor: Redactor;
  reports: readonly ReportRequest[];
  aws: AwsSettings;
  runAll: boolean;
  startAt?: string | undefined;
  /** Outputs of the steps before --start-at, given by the operator. */
  givenOutputs?: Record<string, Record<string, unknown>> | undefined;
  resume?: RunRecord | undefined;
  /** The entry that opens this session of the run: run.started, or run.resumed. */
  first: JournalEntryBody;
  /** Entries journaled right after it (a corrected incident start). */
  then?: JournalEntryBody[] | undefined;
}

/** Journal, execute, end the run, write the reports, show the summary. */
async function execute(run: Execution, deps: LifecycleDeps): Promise<number> {
  const { stateDir, context } = run;
  const drain = new AbortController();
  const writer = new JournalWriter(journalFile(stateDir, context.runId), () => new Date(deps.clock.now()));
  const recorder = new Recorder(writer, run.resume, (error) => drain.abort(error));
  const channel: RunChannel = runChannel(deps.host, recorder, run.redactor);
  let exitCode = 130;
  try {
    channel.emit(run.first);
    for (const entry of run.then ?? []) channel.emit(entry);
    // run.started_at is when the journal says the run started (after preflight).
    const started = context.startedAt ?? (recorder.diskFull ? undefined : new Date(recorder.record.startedAt));
    const runContext: PlanContext = { ...context, startedAt: started };
    const runbookEnv = resolveRunbookEnv(run.plan.runbook, runContext).text;
    const executor = new Executor(
      run.plan,
      runContext,
      {
        channel,
        runner: deps.runner,
        clock: deps.clock,
        redactor: run.redactor,
        actions: deps.actions({ aws: run.aws, incidentStart: context.incidentStart }),
        operator: run.first.type === 'run.started' || run.first.type === 'run.resumed' ? run.first.operator : undefined,
      },
      {
        runAll: run.runAll,
        startAt: run.startAt,
        givenOutputs: run.givenOutputs,
        resume: run.resume,
        drain: drain.signal,
        history: pastStepTimes(
          stateDir,
          run.plan.runbook.name,
          run.plan.steps.map((p) => p.step.id),
        ),
      },
      deps.signal,
      runbookEnv,
    );
    const result = await executor.execute();
    if (result.status !== 'interrupted') {
      // What the run made for itself (a downloaded backup) goes now, each removal journaled; an
      // interrupted run keeps it, since its resume may still need it.
      cleanUpLedger(recorder.record, (entry) => channel.emit(entry));
      // The verdict on the objectives comes from the same report that `drctl report` rebuilds.
      const { rto, rpo } = buildReport({
        ...recorder.record,
        finished: { status: result.status, exitCode: 0, at: new Date(result.finishedAt).toISOString() },
      });
      exitCode = exitCodeFor(result.status, (rto?.met ?? true) && (rpo?.met ?? true));
      channel.emit({ type: 'run.finished', status: result.status, exit_code: exitCode });
    }
  } finally {
    recorder.close();
  }
  const report = writeRunReports(stateDir, recorder.record, run.reports, deps.warn);
  const full = recorder.diskFull;
  if (full) {
    deps.warn(
      `${full.message}. The run stopped before its next step and can be resumed: free some space, then run drctl resume ${context.runId}`,
    );
    return 130;
  }
  if (report.status !== 'interrupted' && report.status !== 'running')
    deps.host.emit({ type: 'run.summary', summary: summaryOf(report, reportJsonFile(stateDir, context.runId)) });
  return exitCode;
}
