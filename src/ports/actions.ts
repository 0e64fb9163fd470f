/**
 * The built-in actions (`uses:`) as the engine sees them: it hands a step's resolved `with:` to
 * an ActionExecutor and gets the outputs back. src/actions/runner.ts is the real one; tests pass fakes.
 */

export interface ActionTask {
  stepId: string;
  action: string;
  /** Arguments with expressions substituted. */
  with: Record<string, unknown>;
  signal: AbortSignal;
  timeoutMs?: number | undefined;
  onOutput(text: string): void;
  onRecord(fields: Record<string, unknown>): void;
  /** A value to mask from now on (an action's connection string, say). */
  addSecret(value: string): void;
}

export interface ActionRunResult {
  outputs: Record<string, unknown>;
  recoveryPoint?: { at: string; evidence: string } | undefined;
}

/** Actions (`uses:`) plug in here: they run in-process and return their outputs. */
export interface ActionExecutor {
  run(task: ActionTask): Promise<ActionRunResult>;
  canRollback(action: string): boolean;
  rollback(task: ActionTask, outputs: Record<string, unknown>): Promise<void>;
}
