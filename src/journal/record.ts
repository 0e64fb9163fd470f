import type { Literal } from '../runbook/expression.js';
import { assertNever } from '../util/errors.js';
import type { Operator } from '../util/operator.js';
import type {
  ChecklistAnswer,
  FailureDecision,
  JournalEntry,
  PlannedStepInfo,
  RecoveryPoint,
  RunMode,
  RunObjectives,
  RunOptionsRecord,
  RunScope,
  RunStatus,
  StepStatus,
  CleanupResult,
} from './entries.js';

export interface StepRecord {
  id: string;
  status: StepStatus;
  attempts: number;
  exitCode: number | null;
  durationMs: number;
  waitingMs: number;
  overBudget: boolean;
  outputs: Record<string, unknown>;
  reason?: string | undefined;
  /** The last lines of the command's error output, when its exit code failed the step. */
  errorTail?: string | undefined;
  /** For a failed step: what the run did next (continue: the step was allowed to fail). */
  then?: FailureDecision | undefined;
  startedAt?: string | undefined;
  finishedAt?: string | undefined;
  /** Outputs that held a secret: journaled masked, so a resumed run cannot use them. */
  redactedOutputs?: string[] | undefined;
  /** RPO evidence a step produced (a backup's time and name). */
  recoveryPoint?: RecoveryPoint | undefined;
  /** How many times the step ran: more than 1 when the operator ran it again from the menu. */
  runs?: number | undefined;
}

/** One try of a step's command or action, as its `step.attempt` entry journaled it. */
export interface AttemptRecord {
  attempt: number;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  exitCode: number | null;
  error: string | null;
  /** The last lines of its error output (stdout when stderr was empty); null when it had none. */
  errorTail: string | null;
  /** The last lines of its standard output; null when it had none. */
  outputTail: string | null;
}

/** A question the run asked and how it was answered: the decisions of the after-action record. */
export interface DecisionRecord {
  at: string;
  step: string | null;
  /** The kind of question (step.action, failure.action, …). */
  question: string;
  /** The question as shown; the kind where an older journal did not keep it. */
  text: string;
  answer: string;
  waitMs: number;
  /** user@host of who answered; "--yes" for an answer no one gave; null where the journal did not say. */
  by: string | null;
}

/** Where drctl stopped before the run's end: a signal it journaled, or a crash the next resume found. */
export interface InterruptionRecord {
  at: string;
  step: string | null;
  cause: 'signal' | 'crash';
  signal: string | null;
  resumedAt: string | null;
}

/** The step-level facts of the after-action record: when each step began, its tries and who confirmed it. */
export interface StepHistory {
  /** When the step first started. */
  startedAt: string;
  attempts: AttemptRecord[];
  /** user@host, "--yes" or "user@host (run all)": who chose to run it; null when nobody was asked. */
  confirmedBy: string | null;
}

/** A step's earlier runs, while the operator runs it again: added to its result when it finishes. */
export interface EarlierRuns {
  runs: number;
  attempts: number;
  durationMs: number;
  waitingMs: number;
}

/** A command that started and never reported its end: drctl stopped while it ran. */
export interface InFlight {
  step: string;
  /** Its process group (it may outlive a killed drctl); unknown when drctl stopped before journaling it. */
  pgid?: number | undefined;
  /** The tag every process it started carries, even one that left the group. */
  tag?: string | undefined;
}

export interface RollbackRecord {
  /** The steps to undo, newest first, as decided when the rollback began. */
  steps: string[];
  /** Rollbacks that ended, with whether they worked. */
  done: Map<string, boolean>;
  inFlight?: (InFlight & { automatic: boolean }) | undefined;
  finished?: { ok: boolean } | undefined;
}

/** A run rebuilt from its journal: what resume continues from and what reports are made of. */
/** A journal file's size in entries and the hash of its last line (see chain.ts). */
export interface JournalState {
  entries: number;
  head: string | null;
}

export interface RunRecord {
  runId: string;
  runbook: string;
  title: string;
  file: string;
  digest: string;
  mode: RunMode;
  incidentStart: string;
  startedAt: string;
  inputs: Record<string, Literal>;
  secretInputs: string[];
  objectives: RunObjectives;
  options: RunOptionsRecord;
  plannedSteps: PlannedStepInfo[];
  steps: Map<string, StepRecord>;
  /** A step that started and never finished: the process died or was interrupted in it. */
  inFlight?: InFlight | undefined;
  /** The run's end was decided (a failure with on_failure: abort, an operator's abort) but not yet journaled. */
  ending?: { status: 'failed' | 'aborted'; step: string | null } | undefined;
  /** A failed step asked for a rollback that has not begun yet. */
  rollbackDue: boolean;
  rollback?: RollbackRecord | undefined;
  waitingMs: number;
  /** The answers to manual steps' checklists, by step, in item order (the latest answer of each item). */
  checklists: Map<string, ChecklistItemRecord[]>;
  /** The operator chose "run all" at the last step menu they answered: a resumed run goes on so. */
  runAll: boolean;
  /** How many times the run was resumed. */
  resumes: number;
  finished?: { status: RunStatus; exitCode: number; at: string } | undefined;
  lastEventAt: string;
  tornTail: boolean;
  /** Operators' notes (`drctl note`), oldest first. */
  notes: NoteRecord[];
  /**
   * The journal as read from its file: its complete lines and its head (the sha256 of the last
   * line; null for a journal older than the hash chain). Set where the file is read, not by the entries.
   */
  journal?: JournalState | undefined;
  /** Steps being run again (`step.rerun`) whose new result is not journaled yet: what their earlier runs took. */
  earlierRuns?: Map<string, EarlierRuns> | undefined;
  /** Corrections of the incident start (`resume --incident-start`), oldest first; `incidentStart` is the latest. */
  incidentStartCorrections: IncidentStartCorrection[];
  /** Who ran each session of the run: the start, then every resume. */
  operators: OperatorSession[];
  /** What actions created for the run and what became of each (the cleanup ledger), in the order made. */
  cleanup: CleanupRecord[];
  /** The operator ended the run for good (`drctl abandon`): it is never resumed. */
  abandoned?: { at: string; user: string; host: string; terminal: string; reason: string | null } | undefined;
  /**
   * Attempts of a command step that drctl's stop cut short (Ctrl-C, a crash), by step: the step's
   * attempts and running time count them when it finishes after a resume.
   */
  cutShort?: Map<string, { attempts: number; durationMs: number }> | undefined;
  /** The command step running now: the attempts it journaled, their time, and since when one is under way. */
  running?: { step: string; attempts: number; durationMs: number; openSince?: string | undefined } | undefined;
  /** The integrity evidence actions journaled (`postgres.fingerprint`'s `integrity` record), in the order taken. */
  integrity?: IntegrityEvidence[] | undefined;
  /** The version of the drctl that started the run; null in journals of earlier versions. */
  toolVersion: string | null;
  /** The runbook's `metadata.version` when the run started; null when it had none. */
  runbookVersion: string | null;
  /** What the run was about (`--environment`, the runbook's severity, owner and tags). */
  scope: RunScope;
  /** Who took part (`participant.added`), in the order added. */
  participants: ParticipantRecord[];
  /** The review after the end (`drctl review`): findings, remediation and sign-offs, oldest first. */
  review: ReviewRecord;
  /** Per step: its first start, every try, and who confirmed it. */
  stepHistory: Map<string, StepHistory>;
  /** Every question asked and its answer, in order. */
  decisions: DecisionRecord[];
  /** Every stop before the end: signals and crashes, with when the run was resumed. */
  interruptions: InterruptionRecord[];
  /** Who chose "run all" at the step menu, while it holds: the steps that follow ran on that choice. */
  runAllBy?: string | undefined;
}

/** A person who took part in the run, and who added them (user@host). */
export interface ParticipantRecord {
  name: string;
  role: string | null;
  at: string;
  addedBy: string | null;
}

export interface ReviewRecord {
  findings: Array<{ at: string; by: string; text: string }>;
  remediation: Array<{ at: string; by: string; text: string; owner: string | null; due: string | null }>;
  signOffs: Array<{ at: string; name: string; role: string | null; by: string; covers: string | null }>;
}

/** What an action journaled as `integrity` in an `action.record` entry, with the step and when; the report shapes it. */
export interface IntegrityEvidence {
  step: string;
  rollback: boolean;
  at: string;
  evidence: Record<string, unknown>;
}

/** One session of a run (its start or a resume) and who ran it; null where an older journal did not say. */
export interface OperatorSession {
  session: 'run' | 'resume';
  at: string;
  user: string | null;
  host: string | null;
  terminal: string | null;
  /** The version of drctl this session ran; null where an older journal did not say. */
  version: string | null;
}

function sessionOf(
  session: OperatorSession['session'],
  at: string,
  operator: Operator | undefined,
  version: string | undefined,
): OperatorSession {
  return {
    session,
    at,
    user: operator?.user ?? null,
    host: operator?.host ?? null,
    terminal: operator?.terminal ?? null,
    version: typeof version === 'string' ? version : null,
  };
}

/** The run's scope as journaled with its start, each field checked (a journal is data); empty for an older journal. */
function scopeOf(scope: RunScope | undefined): RunScope {
  const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
  return {
    environment: text(scope?.environment),
    severity: text(scope?.severity),
    owner: text(scope?.owner),
    tags: Array.isArray(scope?.tags) ? scope.tags.filter((t): t is string => typeof t === 'string') : [],
  };
}

/** A file or folder on the run's cleanup ledger: `pending` until the run's end removes (or keeps) it. */
export interface CleanupRecord {
  path: string;
  kind: 'file' | 'dir' | 'postgres-server';
  step: string;
  keep: boolean;
  dev: number;
  ino: number;
  registeredAt: string;
  status: 'pending' | CleanupResult;
  error?: string | undefined;
  doneAt?: string | undefined;
}

/** The incident start corrected at a resume: from what, to what, by whom and why. */
export interface IncidentStartCorrection {
  at: string;
  from: string;
  to: string;
  user: string;
  host: string;
  terminal: string;
  reason: string | null;
}

/** One answered item of a manual step's checklist. */
export interface ChecklistItemRecord {
  index: number;
  text: string;
  answer: ChecklistAnswer;
  at: string;
  /** user@host of who answered; null where the journal did not say. */
  by: string | null;
}

/** A note an operator added to the run's journal. */
export interface NoteRecord {
  at: string;
  text: string;
  user: string;
  host: string;
}

/** A note as the record keeps it: the journal's `note` entry, with its time. */
export function noteOf(entry: Extract<JournalEntry, { type: 'note' }>): NoteRecord {
  return { at: entry.t, text: entry.text, user: entry.user, host: entry.host };
}

/** What a resumed run still has to do, derived from any prefix of its journal. */
export type Remaining =
  /** The run ended: nothing runs. */
  | { kind: 'finished' }
  /** Its end was decided; only the journal's last word (and the reports) are missing. */
  | { kind: 'end'; status: 'failed' | 'aborted' | 'rolled_back' }
  /** A rollback is due or under way: it is finished, and no further step runs. */
  | { kind: 'rollback'; inFlight?: RollbackRecord['inFlight'] }
  /** Steps remain: the next one not finished, and the one in flight, if any. */
  | { kind: 'steps'; inFlight?: InFlight | undefined };

export function remainingWork(record: RunRecord): Remaining {
  if (record.finished && record.finished.status !== 'interrupted') return { kind: 'finished' };
  // Abandoned, and stopped before its end was journaled: nothing runs, it ends as aborted.
  if (record.abandoned) return { kind: 'end', status: 'aborted' };
  if (record.rollback?.finished) return { kind: 'end', status: record.rollback.finished.ok ? 'rolled_back' : 'failed' };
  if (record.rollback || record.rollbackDue) return { kind: 'rollback', inFlight: record.rollback?.inFlight };
  if (record.ending) return { kind: 'end', status: record.ending.status };
  return { kind: 'steps', inFlight: record.inFlight };
}

/** A step run again has finished: its earlier runs count in its runs, attempts and time. */
function addEarlierRuns(record: RunRecord, id: string): void {
  const earlier = record.earlierRuns?.get(id);
  const step = record.steps.get(id);
  if (!earlier || !step) return;
  record.earlierRuns!.delete(id);
  step.runs = earlier.runs + 1;
  step.attempts += earlier.attempts;
  step.durationMs += earlier.durationMs;
  step.waitingMs += earlier.waitingMs;
}

/** Rebuild a run from its journal entries (any prefix of a journal gives a consistent record). */
export function rebuildRun(entries: readonly JournalEntry[], tornTail = false): RunRecord {
  const start = entries[0];
  if (start?.type !== 'run.started') throw new Error('a run journal starts with run.started');
  const record: RunRecord = {
    runId: start.run_id,
    runbook: start.runbook,
    title: start.title,
    file: start.file,
    digest: start.digest,
    mode: start.mode,
    incidentStart: start.incident_start,
    startedAt: start.t,
    inputs: start.inputs,
    secretInputs: start.secret_inputs,
    objectives: start.objectives,
    options: start.options,
    plannedSteps: start.steps,
    steps: new Map(),
    rollbackDue: false,
    waitingMs: 0,
    runAll: false,
    resumes: 0,
    lastEventAt: start.t,
    tornTail,
    notes: [],
    checklists: new Map(),
    incidentStartCorrections: [],
    cleanup: [],
    operators: [sessionOf('run', start.t, start.operator, start.tool_version)],
    toolVersion: typeof start.tool_version === 'string' ? start.tool_version : null,
    runbookVersion: typeof start.runbook_version === 'string' ? start.runbook_version : null,
    scope: scopeOf(start.scope),
    participants: [],
    review: { findings: [], remediation: [], signOffs: [] },
    stepHistory: new Map(),
    decisions: [],
    interruptions: [],
  };
  for (const entry of entries) applyEntry(record, entry);
  return record;
}

/** Bring a record up to date with one more entry: the reader and the live run share this. */
export function applyEntry(record: RunRecord, entry: JournalEntry): void {
  const previous = record.lastEventAt;
  record.lastEventAt = entry.t;
  switch (entry.type) {
    case 'run.started':
      return;
    case 'run.resumed':
      // A crash journaled no end: drctl stopped at its last entry, in the step then in flight.
      if (!record.finished)
        record.interruptions.push({ at: previous, step: record.inFlight?.step ?? null, cause: 'crash', signal: null, resumedAt: null });
      for (const stop of record.interruptions) stop.resumedAt ??= entry.t;
      // A crash journaled no end: the attempt it cut short ran at least until its last entry.
      cutShort(record, previous);
      record.finished = undefined;
      record.resumes += 1;
      record.operators.push(sessionOf('resume', entry.t, entry.operator, entry.tool_version));
      // A resume with --force may bring a changed list of steps: the report follows it.
      record.plannedSteps = entry.steps;
      return;
    case 'step.started':
      record.inFlight = { step: entry.step };
      startStepHistory(record, entry.step, entry.t);
      if (entry.kind === 'manual') {
        // A manual step's time is the operator's, counted in the answer's wait.
        record.running = undefined;
      } else {
        // A command's attempt is under way from its process (step.process); an action's from here.
        const openSince = entry.kind === 'uses' ? entry.t : undefined;
        // The operator's retry after a failure starts the step again: its attempts so far still count.
        if (record.running?.step === entry.step) record.running.openSince = openSince;
        else record.running = { step: entry.step, attempts: 0, durationMs: 0, openSince };
      }
      return;
    case 'step.process':
      if (entry.rollback) {
        if (record.rollback?.inFlight?.step === entry.step) Object.assign(record.rollback.inFlight, { pgid: entry.pgid, tag: entry.tag });
      } else if (record.inFlight?.step === entry.step) Object.assign(record.inFlight, { pgid: entry.pgid, tag: entry.tag });
      // A process of the running step: an attempt is under way (the first one since step.started).
      if (!entry.rollback && record.running?.step === entry.step) record.running.openSince ??= entry.t;
      return;
    case 'prompt.answered':
      record.waitingMs += entry.wait_ms;
      if (entry.question === 'step.action') record.runAll = entry.answer === 'all';
      recordDecision(record, entry);
      return;
    case 'step.finished': {
      const earlier = record.cutShort?.get(entry.step);
      record.cutShort?.delete(entry.step);
      if (record.running?.step === entry.step) record.running = undefined;
      const durationMs = entry.duration_ms + (earlier?.durationMs ?? 0);
      record.steps.set(entry.step, {
        id: entry.step,
        status: entry.status,
        attempts: entry.attempts + (earlier?.attempts ?? 0),
        exitCode: entry.exit_code,
        durationMs,
        waitingMs: entry.waiting_ms,
        overBudget: entry.over_budget || (entry.budget_ms !== null && earlier !== undefined && durationMs > entry.budget_ms),
        outputs: entry.outputs,
        reason: entry.reason ?? undefined,
        errorTail: entry.error_tail,
        then: entry.then,
        finishedAt: entry.t,
        recoveryPoint: entry.recovery_point,
        redactedOutputs: entry.redacted_outputs,
      });
      if (record.inFlight?.step === entry.step) record.inFlight = undefined;
      addEarlierRuns(record, entry.step);
      if (entry.then === 'rollback') record.rollbackDue = true;
      if (entry.then === 'fail' || entry.then === 'abort')
        record.ending = { status: entry.then === 'fail' ? 'failed' : 'aborted', step: entry.step };
      return;
    }
    case 'run.aborting':
      record.inFlight = undefined;
      record.ending = { status: 'aborted', step: entry.step };
      return;
    case 'manual.item': {
      const items = record.checklists.get(entry.step) ?? [];
      const item = {
        index: entry.index,
        text: entry.text,
        answer: entry.answer,
        at: entry.t,
        by: entry.who ? `${entry.who.user}@${entry.who.host}` : null,
      };
      record.checklists.set(
        entry.step,
        [...items.filter((i) => i.index !== entry.index), item].sort((a, b) => a.index - b.index),
      );
      return;
    }
    case 'rollback.started':
      record.rollbackDue = false;
      record.inFlight = undefined;
      record.rollback = { steps: entry.steps, done: new Map() };
      return;
    case 'rollback.step.started':
      if (record.rollback) record.rollback.inFlight = { step: entry.step, automatic: entry.automatic };
      return;
    case 'rollback.step': {
      if (!record.rollback) return;
      record.rollback.done.set(entry.step, entry.ok);
      if (record.rollback.inFlight?.step === entry.step) record.rollback.inFlight = undefined;
      const step = record.steps.get(entry.step);
      if (entry.ok && step) step.status = 'rolled_back';
      return;
    }
    case 'rollback.finished':
      if (record.rollback) record.rollback.finished = { ok: entry.ok };
      return;
    case 'run.interrupted':
      record.interruptions.push({
        at: entry.t,
        step: record.inFlight?.step ?? record.rollback?.inFlight?.step ?? null,
        cause: 'signal',
        signal: entry.signal,
        resumedAt: null,
      });
      cutShort(record, entry.t);
      record.finished = { status: 'interrupted', exitCode: 130, at: entry.t };
      return;
    case 'run.finished':
      record.finished = { status: entry.status, exitCode: entry.exit_code, at: entry.t };
      return;
    case 'run.abandoned':
      record.inFlight = undefined;
      record.abandoned = { at: entry.t, user: entry.user, host: entry.host, terminal: entry.terminal, reason: entry.reason };
      return;
    case 'cleanup.registered': {
      // The same path made again (a step run again) replaces the earlier entry: one file, one fate.
      const item: CleanupRecord = {
        path: entry.path,
        kind: entry.kind,
        step: entry.step,
        keep: entry.keep,
        dev: entry.dev,
        ino: entry.ino,
        registeredAt: entry.t,
        status: 'pending',
      };
      const at = record.cleanup.findIndex((c) => c.path === entry.path);
      if (at >= 0) record.cleanup.splice(at, 1);
      record.cleanup.push(item);
      return;
    }
    case 'cleanup.done': {
      // `drctl cleanup` after the end is not the run's own doing: its time is not when the run last did something.
      if (record.finished && record.finished.status !== 'interrupted') record.lastEventAt = previous;
      const item = record.cleanup.find((c) => c.path === entry.path);
      if (item) Object.assign(item, { status: entry.result, error: entry.error ?? undefined, doneAt: entry.t });
      return;
    }
    case 'note':
      // A note is not the run's own doing: its time is not when the run last did something.
      record.lastEventAt = previous;
      record.notes.push(noteOf(entry));
      return;
    case 'participant.added':
      // Who takes part is the operator's word, not the run's doing: it does not move the run's last event.
      record.lastEventAt = previous;
      record.participants.push({ name: entry.name, role: entry.role, at: entry.t, addedBy: `${entry.who.user}@${entry.who.host}` });
      return;
    case 'review.finding':
    case 'review.remediation':
    case 'review.sign_off':
      // The review comes after the end (drctl review): it is not the run's doing.
      record.lastEventAt = previous;
      applyReview(record.review, entry);
      return;
    case 'step.rerun': {
      // The step runs again: its new result replaces this one, which still counts in attempts and time.
      const earlier = record.steps.get(entry.step);
      record.steps.delete(entry.step);
      // Its checklist is asked anew: the first run's answers must not stand for the rerun's (a resume asks the rest).
      record.checklists.delete(entry.step);
      if (earlier) {
        record.earlierRuns ??= new Map();
        record.earlierRuns.set(entry.step, {
          runs: earlier.runs ?? 1,
          attempts: earlier.attempts,
          durationMs: earlier.durationMs,
          waitingMs: earlier.waitingMs,
        });
      }
      return;
    }
    case 'incident_start.corrected': {
      const { from, to, user, host, terminal, reason } = entry;
      record.incidentStart = to;
      record.incidentStartCorrections.push({ at: entry.t, from, to, user, host, terminal, reason });
      return;
    }
    case 'step.attempt':
      recordAttempt(record, entry);
      if (record.running?.step === entry.step) {
        record.running.attempts += 1;
        record.running.durationMs += entry.duration_ms;
        record.running.openSince = undefined;
      }
      return;
    case 'action.record': {
      const evidence = entry.record.integrity;
      if (evidence !== null && typeof evidence === 'object' && !Array.isArray(evidence)) {
        record.integrity ??= [];
        record.integrity.push({ step: entry.step, rollback: entry.rollback, at: entry.t, evidence: evidence as Record<string, unknown> });
      }
      return;
    }
    case 'prompt.asked':
    case 'step.over_budget':
    case 'rto.at_risk':
      // Details for reports and for the operator; they change nothing that resume needs.
      return;
    default:
      assertNever(entry, 'journal entry');
  }
}

/** A review entry into the record's review. */
function applyReview(review: ReviewRecord, entry: Extract<JournalEntry, { type: `review.${string}` }>): void {
  const by = `${entry.user}@${entry.host}`;
  switch (entry.type) {
    case 'review.finding':
      review.findings.push({ at: entry.t, by, text: entry.text });
      return;
    case 'review.remediation':
      review.remediation.push({ at: entry.t, by, text: entry.text, owner: entry.owner, due: entry.due });
      return;
    case 'review.sign_off':
      review.signOffs.push({ at: entry.t, name: entry.name, role: entry.role, by, covers: entry.covers });
      return;
    default:
      assertNever(entry, 'review entry');
  }
}

/**
 * The command step running when drctl stopped at `end`: its journaled attempts, and the one under
 * way (from its start to the stop), count when the step finishes after a resume.
 */
function cutShort(record: RunRecord, end: string): void {
  const running = record.running;
  if (!running) return;
  record.running = undefined;
  const open = running.openSince === undefined ? 0 : Math.max(0, Date.parse(end) - Date.parse(running.openSince));
  const attempts = running.attempts + (running.openSince === undefined ? 0 : 1);
  if (attempts === 0) return;
  // The try under way never reported its end: the after-action record shows it, ended by the stop.
  if (running.openSince !== undefined) {
    const history = record.stepHistory.get(running.step) ?? { startedAt: running.openSince, attempts: [], confirmedBy: null };
    history.attempts.push({
      attempt: history.attempts.length + 1,
      startedAt: running.openSince,
      finishedAt: end,
      durationMs: open,
      exitCode: null,
      error: 'cut short: drctl stopped while it ran',
      errorTail: null,
      outputTail: null,
    });
    record.stepHistory.set(running.step, history);
  }
  record.cutShort ??= new Map();
  const before = record.cutShort.get(running.step) ?? { attempts: 0, durationMs: 0 };
  record.cutShort.set(running.step, { attempts: before.attempts + attempts, durationMs: before.durationMs + running.durationMs + open });
}

/** What answers to a question confirm its step: the menu's run, a yes, the typed text, a manual step done. */
const CONFIRMING: Record<string, ReadonlySet<unknown>> = {
  'step.action': new Set(['run', 'all']),
  'step.confirm': new Set([true]),
  'step.type': new Set(['confirmed']),
  'manual.done': new Set(['done', 'acknowledged']),
  'inflight.action': new Set(['run']),
};

function answerText(answer: unknown): string {
  if (typeof answer === 'string') return answer;
  if (typeof answer === 'boolean') return answer ? 'yes' : 'no';
  return answer === null || answer === undefined ? '-' : JSON.stringify(answer);
}

function recordDecision(record: RunRecord, entry: Extract<JournalEntry, { type: 'prompt.answered' }>): void {
  const by = entry.by_default ? '--yes' : entry.who ? `${entry.who.user}@${entry.who.host}` : null;
  record.decisions.push({
    at: entry.t,
    step: entry.step,
    question: entry.question,
    text: typeof entry.text === 'string' ? entry.text : entry.question,
    answer: answerText(entry.answer),
    waitMs: entry.wait_ms,
    by,
  });
  if (entry.question === 'step.action') record.runAllBy = entry.answer === 'all' && by !== null ? by : undefined;
  if (entry.step === null || !CONFIRMING[entry.question]?.has(entry.answer)) return;
  const history = record.stepHistory.get(entry.step);
  // The menu is answered before the step starts: its history begins here, its start comes with step.started.
  if (history) history.confirmedBy = by;
  else record.stepHistory.set(entry.step, { startedAt: '', attempts: [], confirmedBy: by });
}

/** A step starts: its first start is kept; a step nobody was asked about ran on "run all" or --yes. */
function startStepHistory(record: RunRecord, step: string, at: string): void {
  const history = record.stepHistory.get(step) ?? { startedAt: '', attempts: [], confirmedBy: null };
  if (history.startedAt === '') history.startedAt = at;
  if (history.confirmedBy === null)
    history.confirmedBy = record.runAllBy
      ? record.runAllBy === '--yes'
        ? '--yes'
        : `${record.runAllBy} (run all)`
      : record.options.yes
        ? '--yes'
        : null;
  record.stepHistory.set(step, history);
}

function recordAttempt(record: RunRecord, entry: Extract<JournalEntry, { type: 'step.attempt' }>): void {
  const ended = Date.parse(entry.ended);
  const finishedAt = Number.isNaN(ended) ? entry.t : entry.ended;
  // A line edited by hand (a time that is none, a duration missing) still rebuilds: the try then starts when it finished.
  const start = new Date(Date.parse(finishedAt) - entry.duration_ms);
  const startedAt = Number.isNaN(start.getTime()) ? finishedAt : start.toISOString();
  const tail = (text: unknown): string | null => (typeof text === 'string' && text.trimEnd() !== '' ? text.trimEnd() : null);
  const failed = entry.exit_code !== 0 || entry.error !== null;
  const history = record.stepHistory.get(entry.step) ?? { startedAt, attempts: [], confirmedBy: null };
  if (history.startedAt === '') history.startedAt = startedAt;
  // Counted over the step's whole life: a retry from the failure menu or a rerun goes on from the last try.
  history.attempts.push({
    attempt: history.attempts.length + 1,
    startedAt,
    finishedAt,
    durationMs: entry.duration_ms,
    exitCode: entry.exit_code,
    error: entry.error,
    errorTail: failed ? (tail(entry.stderr_tail) ?? tail(entry.stdout_tail)) : null,
    outputTail: tail(entry.stdout_tail),
  });
  record.stepHistory.set(entry.step, history);
}
