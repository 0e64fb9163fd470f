import { accessSync, chmodSync, constants, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createActionExecutor } from '../actions/runner.js';
import type { AwsSettings } from '../actions/types.js';
import { createProcessRunner, killActiveGroups } from '../adapters/process.js';
import { systemClock } from '../engine/clock.js';
import type { Host, RunSummary } from '../engine/events.js';
import type { ExecuteOptions } from '../engine/executor.js';
import { Executor } from '../engine/executor.js';
import type { Plan, PlanContext } from '../engine/plan.js';
import type { Redactor } from '../engine/redact.js';
import type { JournalWriter} from '../journal/journal.js';
import { readJournal } from '../journal/journal.js';
import { rebuildRun } from '../journal/record.js';
import { journalFile, runDir } from '../journal/runs.js';
import { buildReport, exitCodeFor } from '../report/build.js';
import type { ReportFormat } from '../report/render.js';
import { REPORT_FORMATS, renderReport } from '../report/render.js';
import type { Runbook } from '../runbook/model.js';
import { UserError } from '../util/errors.js';

export interface ReportRequest {
  format: ReportFormat;
  file: string;
}

/** `--report json:out.json` (repeatable). */
export function parseReportRequests(values: readonly string[]): ReportRequest[] {
  const requests = values.map((value) => {
    const colon = value.indexOf(':');
    const format = value.slice(0, colon) as ReportFormat;
    const file = value.slice(colon + 1);
    if (colon <= 0 || !file || !(REPORT_FORMATS as readonly string[]).includes(format)) {
      throw new UserError(`--report "${value}" is not <format>:<file>`, { hint: `formats: ${REPORT_FORMATS.join(', ')}; e.g. --report junit:drill.xml` });
    }
    return { format, file };
  });
  // A report that cannot be written must stop the run before step 1, not fail it after the last.
  for (const { file } of requests) {
    try {
      mkdirSync(dirname(resolve(file)), { recursive: true });
      if (existsSync(file) && statSync(file).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      accessSync(dirname(resolve(file)), constants.W_OK);
    } catch (error) {
      throw new UserError(`--report ${file}: cannot write there (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  }
  return requests;
}

export async function makeHost(interactive: boolean, onInterrupt: () => void): Promise<Host> {
  if (!interactive) {
    const { PlainHost } = await import('../io/plain-host.js');
    return new PlainHost();
  }
  const { TerminalHost } = await import('../io/terminal-host.js');
  return TerminalHost.open(onInterrupt);
}

/**
 * Ctrl-C or SIGTERM: stop the step's process tree, journal the interruption, exit 130.
 * A second Ctrl-C while that is under way exits at once.
 */
export function interruptController(): { controller: AbortController; dispose: () => void } {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      // A second Ctrl-C while the first is being handled: stop everything now, leave nothing running.
      // The journal then ends without its interruption event; drctl runs and resume treat it as interrupted.
      killActiveGroups();
      process.exit(130);
    }
    controller.abort(new Error(signal));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  return {
    controller,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('SIGHUP', onSignal);
    },
  };
}

/** --profile and --region, then the standard environment; AWS_ENDPOINT_URL for emulators and S3-compatible stores. */
export function awsSettings(options: { profile?: string | undefined; region?: string | undefined }, fallback: AwsSettings = {}): AwsSettings {
  return {
    profile: options.profile ?? fallback.profile ?? process.env.AWS_PROFILE,
    region: options.region ?? fallback.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION,
    endpoint: process.env.AWS_ENDPOINT_URL,
  };
}

export function runStartFields(runbook: Runbook, plan: Plan, context: PlanContext, options: { yes: boolean; acceptManual: boolean; startAt?: string | undefined; reports: ReportRequest[]; aws: AwsSettings }): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(context.inputs.values)) if (!context.inputs.secretInputs.has(name)) inputs[name] = value;
  return {
    run_id: context.runId,
    runbook: runbook.name,
    title: runbook.title,
    // Absolute, so `drctl resume` works from any folder.
    file: resolve(runbook.file),
    digest: runbook.digest,
    mode: context.mode,
    incident_start: context.incidentStart.toISOString(),
    inputs,
    secret_inputs: [...context.inputs.secretInputs],
    objectives: { rto_ms: runbook.objectives.rtoMs ?? null, rpo_ms: runbook.objectives.rpoMs ?? null },
    options: { yes: options.yes, accept_manual: options.acceptManual, start_at: options.startAt ?? null, reports: options.reports.map((r) => `${r.format}:${r.file}`), aws_profile: options.aws.profile ?? null, aws_region: options.aws.region ?? null },
    steps: plan.steps.map((p) => ({ id: p.step.id, title: p.step.title, budget_ms: p.step.budgetMs ?? null })),
    pid: process.pid,
  };
}

/** Execute, then journal the end, write report.json and any --report files, and show the summary. */
export async function executeAndReport(args: {
  stateDir: string;
  plan: Plan;
  context: PlanContext;
  runbookEnv: Record<string, string>;
  host: Host;
  journal: JournalWriter;
  redactor: Redactor;
  options: ExecuteOptions;
  reports: ReportRequest[];
  aws: AwsSettings;
  signal: AbortSignal;
}): Promise<number> {
  const actions = createActionExecutor({ aws: args.aws, incidentStart: args.context.incidentStart });
  const executor = new Executor(args.plan, args.context, { host: args.host, runner: createProcessRunner(), clock: systemClock, journal: args.journal, redactor: args.redactor, actions }, args.options, args.signal, args.runbookEnv);
  const result = await executor.execute();
  const file = journalFile(args.stateDir, args.context.runId);
  if (result.status !== 'interrupted') {
    // The verdict on the objectives comes from the same report that `drctl report` rebuilds.
    const at = new Date(result.finishedAt).toISOString();
    const record = rebuildRun(readJournal(file).events);
    record.finished = { status: result.status, exitCode: 0, at };
    const { rto, rpo } = buildReport(record);
    const exitCode = exitCodeFor(result.status, (rto?.met ?? true) && (rpo?.met ?? true));
    args.journal.append('run.finished', { t: at, status: result.status, exit_code: exitCode });
  }
  args.journal.close();
  const record = rebuildRun(readJournal(file).events);
  const report = buildReport(record);
  const reportFile = join(runDir(args.stateDir, args.context.runId), 'report.json');
  // The run's outcome stands whatever happens to a report file: a failed write is a warning.
  for (const [file, format] of [[reportFile, 'json'] as const, ...args.reports.map((r) => [r.file, r.format] as const)]) {
    try {
      writePrivate(file, renderReport(report, format));
    } catch (error) {
      process.stderr.write(`drctl: warning: could not write the ${format} report ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}\n`);
    }
  }
  const exitCode = record.finished?.exitCode ?? 130;
  const summary: RunSummary = {
    runId: record.runId,
    status: report.status === 'running' ? 'interrupted' : report.status,
    exitCode,
    steps: report.steps.map((s, i) => ({ number: i + 1, id: s.id, title: s.title, status: s.status, budgetMs: s.budget_s === null ? undefined : s.budget_s * 1000, durationMs: s.status === 'skipped' || s.status === 'not_run' ? undefined : actualMs(s) })),
    rto: report.rto ? { targetMs: report.rto.target_s * 1000, elapsedMs: report.rto.elapsed_s * 1000, met: report.rto.met } : null,
    rpo: report.rpo ? { targetMs: report.rpo.target_s * 1000, achievedMs: report.rpo.achieved_s * 1000, met: report.rpo.met, evidence: report.rpo.evidence } : null,
    runningMs: report.time.running_s * 1000,
    waitingMs: report.time.waiting_for_operator_s * 1000,
    reportFile,
  };
  if (result.status !== 'interrupted') args.host.emit({ kind: 'run.finished', summary });
  args.host.close();
  return exitCode;
}

/** A manual step's time is the operator's; a command step's is its running time. */
function actualMs(step: { duration_s: number | null; waiting_s: number | null }): number | undefined {
  if (step.duration_s === null) return undefined;
  return (step.duration_s === 0 ? (step.waiting_s ?? 0) : step.duration_s) * 1000;
}

function writePrivate(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
}
