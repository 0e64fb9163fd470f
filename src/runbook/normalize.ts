import type { Body, CommandBody, Confirm, InputSpec, PreflightItem, Rollback, Runbook, Step } from './model.js';
import { DEFAULT_POLL_INTERVAL_MS } from './model.js';
import { parseDuration, parseInterval } from '../util/duration.js';
import type { PreflightDoc, RollbackDoc, RunbookDoc, StepDoc } from './schema.js';

/**
 * Turn a schema-valid, rule-checked document into the model the planner and executor use. The
 * digest is computed the first time it is read (only runs and resumes read it).
 */
export function normalizeRunbook(doc: RunbookDoc, file: string, digestOf: () => string): Runbook {
  let digest: string | undefined;
  return {
    file,
    get digest() {
      return (digest ??= digestOf());
    },
    name: doc.metadata.name,
    title: doc.metadata.title,
    description: doc.metadata.description,
    severity: doc.metadata.severity,
    owner: doc.metadata.owner,
    tags: doc.metadata.tags ?? [],
    version: doc.metadata.version,
    objectives: {
      rtoMs: ms(doc.objectives?.rto),
      rpoMs: ms(doc.objectives?.rpo),
      drillEveryMs: doc.objectives?.drill_every === undefined ? undefined : parseInterval(doc.objectives.drill_every),
    },
    inputs: Object.entries(doc.inputs ?? {}).map(([name, spec]): InputSpec => ({
      name,
      type: spec.type ?? 'string',
      description: spec.description,
      default: spec.default,
      options: spec.options,
      secret: spec.secret ?? false,
      env: spec.env,
    })),
    env: stringMap(doc.env),
    preflight: (doc.preflight ?? []).map(normalizePreflight),
    steps: doc.steps.map(normalizeStep),
  };
}

function ms(text: string | undefined): number | undefined {
  return text === undefined ? undefined : parseDuration(text);
}

function stringMap(map: Record<string, string | number | boolean> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(map ?? {}).map(([k, v]) => [k, String(v)]));
}

function commandBody(doc: {
  run?: string | undefined;
  exec?: Array<string | number | boolean> | undefined;
  uses?: string | undefined;
  with?: Record<string, unknown> | undefined;
}): CommandBody | undefined {
  if (doc.run !== undefined) return { kind: 'run', script: doc.run };
  if (doc.exec !== undefined) return { kind: 'exec', argv: doc.exec.map(String) };
  if (doc.uses !== undefined) return { kind: 'uses', action: doc.uses, with: doc.with ?? {} };
  return undefined;
}

function normalizePreflight(doc: PreflightDoc, index: number): PreflightItem {
  const body = commandBody(doc);
  if (!body) return { kind: 'require', index, tools: doc.require ?? [] };
  return {
    kind: 'check',
    index,
    title: doc.title ?? '',
    body,
    env: stringMap(doc.env),
    postgres: doc.postgres,
    cwd: doc.cwd,
    timeoutMs: ms(doc.timeout),
    expect: doc.expect,
  };
}

function normalizeStep(doc: StepDoc, index: number): Step {
  const body: Body = doc.manual !== undefined ? { kind: 'manual', text: doc.manual } : commandBody(doc)!;
  return {
    index,
    id: doc.id,
    title: doc.title,
    description: doc.description,
    body,
    budgetMs: ms(doc.budget),
    timeoutMs: ms(doc.timeout),
    retry: retryPolicy(doc.retries),
    until: doc.until,
    intervalMs: ms(doc.interval) ?? DEFAULT_POLL_INTERVAL_MS,
    if: doc.if,
    confirm: confirmOf(doc.confirm),
    pause: doc.pause ?? false,
    env: stringMap(doc.env),
    postgres: doc.postgres,
    cwd: doc.cwd,
    expect: doc.expect,
    outputs: doc.outputs ?? {},
    onFailure: doc.on_failure ?? 'abort',
    rollback: rollbackOf(doc.rollback, doc),
    idempotent: doc.idempotent ?? false,
  };
}

function retryPolicy(retries: StepDoc['retries']): Step['retry'] {
  if (retries === undefined) return { attempts: 1, delayMs: 0, backoff: 1 };
  if (typeof retries === 'number') return { attempts: retries + 1, delayMs: 0, backoff: 1 };
  return { attempts: retries.attempts, delayMs: ms(retries.delay) ?? 0, backoff: retries.backoff ?? 1 };
}

function confirmOf(confirm: StepDoc['confirm']): Confirm {
  if (confirm === undefined || confirm === false) return { kind: 'none' };
  if (confirm === true) return { kind: 'ask' };
  if (typeof confirm === 'string') return { kind: 'ask', question: confirm };
  return { kind: 'type', text: confirm.type };
}

/** A rollback runs where its step ran and sees the step's env and database; its own keys take precedence. */
function rollbackOf(rollback: string | RollbackDoc | undefined, step: StepDoc): Rollback | undefined {
  if (rollback === undefined) return undefined;
  const env = stringMap(step.env);
  if (typeof rollback === 'string')
    return { body: { kind: 'run', script: rollback }, env, postgres: step.postgres, cwd: step.cwd, idempotent: false };
  return {
    body: commandBody(rollback)!,
    env: { ...env, ...stringMap(rollback.env) },
    // An action opens its own connections: only a command is given the step's database.
    postgres: rollback.postgres ?? (rollback.uses === undefined ? step.postgres : undefined),
    cwd: rollback.cwd ?? step.cwd,
    timeoutMs: ms(rollback.timeout),
    idempotent: rollback.idempotent ?? false,
  };
}
