import type { Literal } from '../runbook/expression.js';
import type { Operator } from '../util/operator.js';
import { dateProblem } from '../util/record-text.js';

/**
 * The run journal's vocabulary, defined once for the one writer and the one reader.
 *
 * Every line of `journal.jsonl` is one `JournalEntry`. The engine emits these as events; a single
 * subscriber appends them (src/lifecycle/recorder.ts); `rebuildRun` (record.ts) reads them back
 * with an exhaustive switch, so an entry type that the reader does not handle does not compile.
 */

export type RunMode = 'real' | 'drill' | 'dry-run';

/** Statuses a step ends in (report.json, section 6). */
export type StepStatus = 'succeeded' | 'failed' | 'skipped' | 'rolled_back' | 'not_run';

/** An item of a manual step's checklist: done, skipped, acknowledged by --accept-manual, or where the operator aborted. */
export type ChecklistAnswer = 'done' | 'skipped' | 'acknowledged' | 'aborted';

/** How a run ends (report.json, section 6). */
export type RunStatus = 'succeeded' | 'failed' | 'rolled_back' | 'aborted' | 'interrupted';

/**
 * What follows a failed step, journaled with it so that a resumed run does exactly that:
 * `continue` goes on, `rollback` undoes the steps done so far, `fail` ends the run as failed
 * (on_failure: abort), `abort` ends it as aborted by the operator.
 */
export type FailureDecision = 'continue' | 'rollback' | 'fail' | 'abort';

export interface PlannedStepInfo {
  id: string;
  title: string;
  budget_ms: number | null;
}

export interface RunOptionsRecord {
  yes: boolean;
  accept_manual: boolean;
  start_at: string | null;
  reports: string[];
  aws_profile?: string | null;
  aws_region?: string | null;
}

export interface RecoveryPoint {
  at: string;
  evidence: string;
}

/** What became of a file or folder on the run's cleanup ledger. */
export type CleanupResult = 'removed' | 'kept' | 'gone' | 'failed';

/** A command drctl started: its process group, so that resume can tell whether it still runs. */
export interface ProcessInfo {
  pgid: number;
  /** DRCTL_PROCESS_TAG of the command: finds what it started outside its group (setsid, double fork). */
  tag?: string;
}

/** A run's objectives as journaled at its start, in milliseconds. */
export interface RunObjectives {
  rto_ms: number | null;
  rpo_ms: number | null;
  drill_every_ms?: number | null;
}

export type JournalEntryBody =
  | {
      type: 'run.started';
      run_id: string;
      runbook: string;
      title: string;
      file: string;
      digest: string;
      mode: RunMode;
      incident_start: string;
      inputs: Record<string, Literal>;
      secret_inputs: string[];
      /** drill_every_ms: `objectives.drill_every` (absent in journals of earlier versions). */
      objectives: RunObjectives;
      options: RunOptionsRecord;
      steps: PlannedStepInfo[];
      pid: number;
      /** Who started it: user, host and terminal (absent in journals of earlier versions). */
      operator?: Operator;
      /** The version of the drctl that started it (absent in journals of earlier versions). */
      tool_version?: string;
      /** The runbook's `metadata.version`, null when it has none (absent in journals of earlier versions). */
      runbook_version?: string | null;
      /** What the run was about: `--environment`, and the runbook's severity, owner and tags (absent in earlier journals). */
      scope?: RunScope;
    }
  | {
      type: 'run.resumed';
      pid: number;
      /** Who resumed it (absent in journals of earlier versions). */
      operator?: Operator;
      /** The version of the drctl that resumed it (absent in journals of earlier versions). */
      tool_version?: string;
      in_flight: string | null;
      torn_tail: boolean;
      forced: boolean;
      preflight: 'ran' | 'skipped';
      steps: PlannedStepInfo[];
    }
  | { type: 'step.started'; step: string; number: number; kind: 'run' | 'exec' | 'uses' | 'manual' }
  | ({ type: 'step.process'; step: string; rollback: boolean } & ProcessInfo)
  | {
      type: 'step.attempt';
      step: string;
      attempt: number;
      exit_code: number | null;
      duration_ms: number;
      ended: string;
      error: string | null;
      stdout_tail: string;
      stderr_tail: string;
      truncated: boolean;
    }
  | { type: 'action.record'; step: string; rollback: boolean; record: Record<string, unknown> }
  | { type: 'prompt.asked'; step: string | null; question: string }
  | {
      type: 'prompt.answered';
      step: string | null;
      question: string;
      answer: unknown;
      wait_ms: number;
      /** Who answered (absent in journals of earlier versions). */
      who?: Operator;
      /** The question as the operator saw it, secrets masked (absent in journals of earlier versions). */
      text?: string;
      /** Answered with its default by --yes, not by a person. */
      by_default?: true;
    }
  /**
   * The answer to one item of a manual step's checklist (`index` from 1 of `total`), with the item's
   * text as shown, the time the operator took and who answered. Resume does not ask it again.
   */
  | {
      type: 'manual.item';
      step: string;
      index: number;
      total: number;
      text: string;
      answer: ChecklistAnswer;
      wait_ms: number;
      who?: Operator;
    }
  /**
   * The operator runs a finished step again (the step menu's "rerun"): its result so far is set
   * aside, and its step.finished that follows replaces it, counting both runs' attempts and time.
   */
  | { type: 'step.rerun'; step: string; number: number; previous: StepStatus }
  | { type: 'step.over_budget'; step: string; budget_ms: number }
  | { type: 'rto.at_risk'; projected_ms: number; rto_ms: number; elapsed_ms: number }
  | {
      type: 'step.finished';
      step: string;
      number: number;
      status: StepStatus;
      attempts: number;
      exit_code: number | null;
      duration_ms: number;
      waiting_ms: number;
      over_budget: boolean;
      outputs: Record<string, unknown>;
      reason: string | null;
      /** For a command whose exit code failed the step: the last lines of its stderr (stdout when stderr was empty), masked. */
      error_tail?: string;
      /** Outputs that held a secret: journaled masked, so a resumed run cannot use them. */
      redacted_outputs: string[];
      recovery_point?: RecoveryPoint;
      /** For a failed step: what the run does next. */
      then?: FailureDecision;
      budget_ms: number | null;
    }
  /** The operator stopped the run at a prompt (outside a step's failure): it ends as aborted. */
  | { type: 'run.aborting'; step: string | null; reason: string }
  | { type: 'rollback.started'; steps: string[] }
  | { type: 'rollback.step.started'; step: string; automatic: boolean }
  | { type: 'rollback.step'; step: string; ok: boolean; exit_code: number | null; duration_ms: number; reason: string | null }
  | { type: 'rollback.finished'; ok: boolean }
  | { type: 'run.interrupted'; signal: string }
  | { type: 'run.finished'; status: Exclude<RunStatus, 'interrupted'>; exit_code: number }
  /**
   * An operator's note (`drctl note`), written by another drctl while the run goes on or after it
   * ended. It changes nothing in the run; reports show it.
   */
  | { type: 'note'; text: string; user: string; host: string }
  /**
   * The incident start (T0) corrected by `drctl resume --incident-start`: from then on the record, the
   * clock and every report measure the RTO and RPO from `to`. What steps already chose by T0 (a
   * backup) stays as journaled.
   */
  | {
      type: 'incident_start.corrected';
      from: string;
      to: string;
      user: string;
      host: string;
      terminal: string;
      reason: string | null;
    }
  /** The operator ended a run that will not be resumed (`drctl abandon`); run.finished (aborted) follows. */
  | { type: 'run.abandoned'; user: string; host: string; terminal: string; reason: string | null }
  /**
   * A file or folder an action created for the run (a downloaded backup, its folder), put on the
   * cleanup ledger as it is made: the run removes it when it ends, unless `keep`. Its device and
   * inode say, at removal, that it is still the one created.
   */
  | {
      type: 'cleanup.registered';
      step: string;
      path: string;
      /** postgres-server: a throw-away PostgreSQL's folder; its server is stopped before the folder goes. */
      kind: 'file' | 'dir' | 'postgres-server';
      keep: boolean;
      dev: number;
      ino: number;
    }
  /**
   * What became of a ledger entry: removed, kept (keep: true), already gone, or failed (left in
   * place, with why). Written when the run ends, by `drctl abandon`, or by `drctl cleanup` later.
   */
  | { type: 'cleanup.done'; path: string; result: CleanupResult; error: string | null }
  /** A person who takes part in the run (`--participant "Name, role"`, or asked at the start of a drill), and who added them. */
  | { type: 'participant.added'; name: string; role: string | null; who: Operator }
  /**
   * The review of a run that ended (`drctl review`), appended after its end: a finding, a
   * remediation with its owner and due date (YYYY-MM-DD), and a sign-off, which names the journal's
   * head hash it signs (`covers`, null for a journal without a hash chain). Each with who wrote it.
   */
  | { type: 'review.finding'; text: string; user: string; host: string }
  | { type: 'review.remediation'; text: string; owner: string | null; due: string | null; user: string; host: string }
  | { type: 'review.sign_off'; name: string; role: string | null; covers: string | null; user: string; host: string };

/** What a run was about, journaled with its start. */
export interface RunScope {
  /** `--environment`: free text, such as staging. */
  environment: string | null;
  severity: string | null;
  owner: string | null;
  tags: string[];
}

/** A note is a remark, not a document: long enough for a paragraph, short enough to stay one journal line. */
export const MAX_NOTE_LENGTH = 4000;

/** One line of the journal: an entry and when it was written (ISO). */
/**
 * An entry as journaled: its time, and `prev`, the sha256 of the journal line before it (null on
 * the first line; absent in journals of earlier versions): the hash chain of src/journal/chain.ts.
 */
export type JournalEntry = JournalEntryBody & { t: string; prev?: string | null };

export type JournalEntryType = JournalEntryBody['type'];

/** Every entry type (a Record, so a new type must be listed): the reader checks lines against it. */
const ENTRY_TYPES: Record<JournalEntryType, true> = {
  'run.started': true,
  'run.resumed': true,
  'step.started': true,
  'step.process': true,
  'step.attempt': true,
  'action.record': true,
  'prompt.asked': true,
  'prompt.answered': true,
  'manual.item': true,
  'step.rerun': true,
  'step.over_budget': true,
  'rto.at_risk': true,
  'step.finished': true,
  'run.aborting': true,
  'rollback.started': true,
  'rollback.step.started': true,
  'rollback.step': true,
  'rollback.finished': true,
  'run.interrupted': true,
  'run.finished': true,
  note: true,
  'incident_start.corrected': true,
  'run.abandoned': true,
  'cleanup.registered': true,
  'cleanup.done': true,
  'participant.added': true,
  'review.finding': true,
  'review.remediation': true,
  'review.sign_off': true,
};

export function isJournalEntryType(type: unknown): type is JournalEntryType {
  return typeof type === 'string' && Object.hasOwn(ENTRY_TYPES, type);
}

const STEP_STATUSES: ReadonlySet<unknown> = new Set<StepStatus>(['succeeded', 'failed', 'skipped', 'rolled_back', 'not_run']);
const CHECKLIST_ANSWERS: ReadonlySet<unknown> = new Set<ChecklistAnswer>(['done', 'skipped', 'acknowledged', 'aborted']);
const CLEANUP_KINDS: ReadonlySet<unknown> = new Set(['file', 'dir', 'postgres-server']);
const CLEANUP_RESULTS: ReadonlySet<unknown> = new Set<CleanupResult>(['removed', 'kept', 'gone', 'failed']);

const isText = (value: unknown): value is string => typeof value === 'string';
const isTextOrNull = (value: unknown): boolean => value === null || typeof value === 'string';
const isTime = (value: unknown): boolean => typeof value === 'string' && !Number.isNaN(Date.parse(value));
/** A calendar date written YYYY-MM-DD (2026-02-30 is not one). */
const isDate = (value: unknown): boolean => typeof value === 'string' && dateProblem(value) === undefined;
const isCount = (value: unknown): boolean => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
/** A device or inode number: as Node's stat gives it, above 2^53 too. */
const isNumber = (value: unknown): boolean => typeof value === 'number' && Number.isFinite(value);
const isNumberOrNull = (value: unknown): boolean => value === null || isNumber(value);
const isFlag = (value: unknown): value is boolean => typeof value === 'boolean';
const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
const isTexts = (value: unknown): boolean => Array.isArray(value) && value.every(isText);
/** A field added in a later version: absent in older journals, of its type where present. */
const absentOr =
  (check: (value: unknown) => boolean) =>
  (value: unknown): boolean =>
    value === undefined || check(value);
const RUN_MODES: ReadonlySet<unknown> = new Set<RunMode>(['real', 'drill', 'dry-run']);
const FINAL_STATUSES: ReadonlySet<unknown> = new Set<Exclude<RunStatus, 'interrupted'>>(['succeeded', 'failed', 'rolled_back', 'aborted']);
const FAILURE_DECISIONS: ReadonlySet<unknown> = new Set<FailureDecision>(['continue', 'rollback', 'fail', 'abort']);
const STEP_KINDS: ReadonlySet<unknown> = new Set(['run', 'exec', 'uses', 'manual']);
const isPlannedSteps = (value: unknown): boolean =>
  Array.isArray(value) && value.every((step) => isObject(step) && isText(step.id) && isText(step.title) && isNumberOrNull(step.budget_ms));
const isObjectives = (value: unknown): boolean =>
  isObject(value) && isNumberOrNull(value.rto_ms) && isNumberOrNull(value.rpo_ms) && absentOr(isNumberOrNull)(value.drill_every_ms);
const isOptions = (value: unknown): boolean =>
  isObject(value) &&
  isFlag(value.yes) &&
  isFlag(value.accept_manual) &&
  isTextOrNull(value.start_at) &&
  isTexts(value.reports) &&
  absentOr(isTextOrNull)(value.aws_profile) &&
  absentOr(isTextOrNull)(value.aws_region);
const isRecoveryPoint = (value: unknown): boolean => isObject(value) && isText(value.at) && isText(value.evidence);
const isWho = (value: unknown): boolean => {
  if (value === undefined) return true;
  if (value === null || typeof value !== 'object') return false;
  const who = value as Record<string, unknown>;
  return isText(who.user) && isText(who.host) && isText(who.terminal);
};

/**
 * Whether a line of a known entry type has the fields resume, the record and the reports read from
 * it, of their types: a line with a field missing or of the wrong type is a damaged line, not an
 * entry, so the reader names the line instead of a report, `drctl runs` or resume failing on it.
 * A field added in a later version may be absent (journals of earlier versions), never mistyped.
 */
export function hasEntryFields(entry: { type: JournalEntryType } & Record<string, unknown>): boolean {
  switch (entry.type) {
    case 'run.started':
      return (
        isText(entry.run_id) &&
        isText(entry.runbook) &&
        isText(entry.title) &&
        isText(entry.file) &&
        isText(entry.digest) &&
        RUN_MODES.has(entry.mode) &&
        isText(entry.incident_start) &&
        isObject(entry.inputs) &&
        isTexts(entry.secret_inputs) &&
        isObjectives(entry.objectives) &&
        isOptions(entry.options) &&
        isPlannedSteps(entry.steps) &&
        isNumber(entry.pid) &&
        isWho(entry.operator) &&
        absentOr(isText)(entry.tool_version) &&
        absentOr(isTextOrNull)(entry.runbook_version) &&
        absentOr(isObject)(entry.scope)
      );
    case 'run.resumed':
      return (
        isNumber(entry.pid) &&
        isWho(entry.operator) &&
        absentOr(isText)(entry.tool_version) &&
        isTextOrNull(entry.in_flight) &&
        isFlag(entry.torn_tail) &&
        isFlag(entry.forced) &&
        (entry.preflight === 'ran' || entry.preflight === 'skipped') &&
        isPlannedSteps(entry.steps)
      );
    case 'step.started':
      return isText(entry.step) && isCount(entry.number) && STEP_KINDS.has(entry.kind);
    case 'step.process':
      return isText(entry.step) && isFlag(entry.rollback) && isNumber(entry.pgid) && absentOr(isText)(entry.tag);
    case 'step.attempt':
      return (
        isText(entry.step) &&
        isCount(entry.attempt) &&
        isNumberOrNull(entry.exit_code) &&
        // A try's times edited by hand still rebuild (record.ts recordAttempt): only their types are checked.
        absentOr(isNumber)(entry.duration_ms) &&
        absentOr(isText)(entry.ended) &&
        isTextOrNull(entry.error) &&
        absentOr(isText)(entry.stdout_tail) &&
        absentOr(isText)(entry.stderr_tail)
      );
    case 'action.record':
      return isText(entry.step) && isFlag(entry.rollback) && isObject(entry.record);
    case 'prompt.asked':
      return isTextOrNull(entry.step) && isText(entry.question);
    case 'prompt.answered':
      return (
        isTextOrNull(entry.step) &&
        isText(entry.question) &&
        isNumber(entry.wait_ms) &&
        isWho(entry.who) &&
        absentOr(isText)(entry.text) &&
        absentOr((value) => value === true)(entry.by_default)
      );
    case 'step.over_budget':
      return isText(entry.step) && isNumber(entry.budget_ms);
    case 'rto.at_risk':
      return isNumber(entry.projected_ms) && isNumber(entry.rto_ms) && isNumber(entry.elapsed_ms);
    case 'step.finished':
      return (
        isText(entry.step) &&
        isCount(entry.number) &&
        STEP_STATUSES.has(entry.status) &&
        isCount(entry.attempts) &&
        isNumberOrNull(entry.exit_code) &&
        isNumber(entry.duration_ms) &&
        isNumber(entry.waiting_ms) &&
        isFlag(entry.over_budget) &&
        isObject(entry.outputs) &&
        isTextOrNull(entry.reason) &&
        absentOr(isText)(entry.error_tail) &&
        isTexts(entry.redacted_outputs) &&
        absentOr(isRecoveryPoint)(entry.recovery_point) &&
        absentOr((value) => FAILURE_DECISIONS.has(value))(entry.then) &&
        isNumberOrNull(entry.budget_ms)
      );
    case 'run.aborting':
      return isTextOrNull(entry.step) && isText(entry.reason);
    case 'rollback.started':
      return isTexts(entry.steps);
    case 'rollback.step.started':
      return isText(entry.step) && isFlag(entry.automatic);
    case 'rollback.step':
      return (
        isText(entry.step) &&
        isFlag(entry.ok) &&
        isNumberOrNull(entry.exit_code) &&
        isNumber(entry.duration_ms) &&
        isTextOrNull(entry.reason)
      );
    case 'rollback.finished':
      return isFlag(entry.ok);
    case 'run.interrupted':
      return isText(entry.signal);
    case 'run.finished':
      return FINAL_STATUSES.has(entry.status) && isNumber(entry.exit_code);
    case 'note':
      return isText(entry.text) && isText(entry.user) && isText(entry.host);
    case 'incident_start.corrected':
      // `to` is the time T0 is measured from; `from` is only shown, as an earlier version journaled it.
      return (
        isText(entry.from) &&
        isTime(entry.to) &&
        isText(entry.user) &&
        isText(entry.host) &&
        isText(entry.terminal) &&
        isTextOrNull(entry.reason)
      );
    case 'run.abandoned':
      return isText(entry.user) && isText(entry.host) && isText(entry.terminal) && isTextOrNull(entry.reason);
    case 'manual.item':
      return (
        isText(entry.step) &&
        isCount(entry.index) &&
        isCount(entry.total) &&
        isText(entry.text) &&
        CHECKLIST_ANSWERS.has(entry.answer) &&
        isNumber(entry.wait_ms) &&
        isWho(entry.who)
      );
    case 'step.rerun':
      return isText(entry.step) && isCount(entry.number) && STEP_STATUSES.has(entry.previous);
    case 'cleanup.registered':
      return (
        isText(entry.step) &&
        isText(entry.path) &&
        CLEANUP_KINDS.has(entry.kind) &&
        typeof entry.keep === 'boolean' &&
        isNumber(entry.dev) &&
        isNumber(entry.ino)
      );
    case 'cleanup.done':
      return isText(entry.path) && CLEANUP_RESULTS.has(entry.result) && isTextOrNull(entry.error);
    case 'participant.added':
      return isText(entry.name) && isTextOrNull(entry.role) && entry.who !== undefined && isWho(entry.who);
    case 'review.finding':
      return isText(entry.text) && isText(entry.user) && isText(entry.host);
    case 'review.remediation':
      return (
        isText(entry.text) &&
        isTextOrNull(entry.owner) &&
        (entry.due === null || isDate(entry.due)) &&
        isText(entry.user) &&
        isText(entry.host)
      );
    case 'review.sign_off':
      return isText(entry.name) && isTextOrNull(entry.role) && isTextOrNull(entry.covers) && isText(entry.user) && isText(entry.host);
    default:
      return assertEveryType(entry.type);
  }
}

/** Every entry type has its case above: a new type without one does not compile. */
function assertEveryType(type: never): boolean {
  throw new Error(`no field check for journal entry type ${String(type)}`);
}
