import { systemClock } from '../adapters/clock.js';
import type { ActionExecutor, ActionRunResult, ActionTask } from '../ports/actions.js';
import type { AwsSettings } from '../ports/aws.js';
import { actionNamed } from './registry.js';
import type { ActionContext, ActionDefinition } from './types.js';
import { PermanentActionError } from './types.js';
import { parseActionArgs } from './validate-args.js';

export interface ActionSettings {
  aws: AwsSettings;
  incidentStart: Date;
  /** The engine's matching of a value against a matcher (src/engine/expect.ts), handed down to the actions. */
  unmetMatcher: ActionContext['unmetMatcher'];
}

/** Runs built-in actions for the engine: arguments parsed, secrets registered, evidence collected. */
export function createActionExecutor(settings: ActionSettings): ActionExecutor {
  const lookup = (name: string): ActionDefinition => {
    const action = actionNamed(name);
    if (!action) throw new PermanentActionError(`unknown action ${name}`);
    return action;
  };
  const contextFor = (task: ActionTask, result: ActionRunResult): ActionContext => ({
    stepId: task.stepId,
    signal: task.signal,
    timeoutMs: task.timeoutMs,
    incidentStart: settings.incidentStart,
    aws: settings.aws,
    log: (text) => task.onOutput(text.endsWith('\n') ? text : `${text}\n`),
    record: (fields) => task.onRecord(fields),
    cleanup: (item) => task.onCleanup?.(item),
    recoveryPoint: (at, evidence) => {
      result.recoveryPoint = { at: at.toISOString(), evidence };
    },
    sleep: (ms) => systemClock.sleep(ms, task.signal),
    unmetMatcher: settings.unmetMatcher,
  });
  const prepare = (task: ActionTask): { action: ActionDefinition; args: unknown } => {
    const action = lookup(task.action);
    // Connection strings and the like are secrets wherever they came from.
    for (const name of action.secretArgs ?? []) {
      const value = task.with[name];
      if (typeof value !== 'string' || !value || action.openValues?.[name]?.includes(value)) continue;
      task.addSecret(value);
      // A connection string's password is a secret on its own too (a script may print just that).
      const password = passwordIn(value);
      if (password) task.addSecret(password);
    }
    try {
      return { action, args: parseActionArgs(action, task.with) };
    } catch (error) {
      // Arguments that do not parse (an expression that resolved to a wrong value) parse no better next time.
      throw new PermanentActionError((error as Error).message);
    }
  };
  return {
    async run(task) {
      const { action, args } = prepare(task);
      const result: ActionRunResult = { outputs: {} };
      const outputs = await action.run(args as Record<string, unknown>, contextFor(task, result));
      const undeclared = Object.keys(outputs).filter((name) => !action.outputs.includes(name));
      if (undeclared.length) throw new PermanentActionError(`${action.name} returned undeclared outputs: ${undeclared.join(', ')}`);
      result.outputs = outputs;
      return result;
    },
    canRollback: (name) => actionNamed(name)?.rollback !== undefined,
    async rollback(task, outputs) {
      const { action, args } = prepare(task);
      if (!action.rollback) throw new Error(`${action.name} has no automatic rollback`);
      await action.rollback(args as Record<string, unknown>, outputs, contextFor(task, { outputs }));
    },
  };
}

function passwordIn(value: string): string | undefined {
  try {
    const password = new URL(value).password;
    return password ? decodeURIComponent(password) : undefined;
  } catch {
    return undefined;
  }
}
