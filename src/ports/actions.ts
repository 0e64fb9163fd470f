/**
 * The built-in actions (`uses:`) as the engine sees them: it hands a step's resolved `with:` to
 * an ActionExecutor and gets the outputs back. src/actions/runner.ts is the real one; tests pass fakes.
 */

/**
 * A file or folder an action created for the run (a downloaded backup and its folder): the run
 * removes it when it ends, unless `keep`. Its device and inode say it is still the one created.
 * `postgres-server` is the folder of a throw-away PostgreSQL (its data directory in `data/`): the
 * server is stopped, if it still runs, and the folder removed with all it holds.
 */
export interface CleanupItem {
  /** Absolute, with no symbolic link in it. */
  path: string;
  kind: 'file' | 'dir' | 'postgres-server';
  keep: boolean;
  dev: number;
  ino: number;
}

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
  /** Put what the action created on the run's cleanup ledger (journaled at once). */
  onCleanup?(item: CleanupItem): void;
}

export interface ActionRunResult {
  outputs: Record<string, unknown>;
  recoveryPoint?: { at: string; evidence: string } | undefined;
}

/**
 * Whether a failure of `run` cannot change by trying again: the error carries `permanent: true`
 * (src/actions/types.ts PermanentActionError). The step's retries and `until` polling stop at it.
 */
export function isPermanentFailure(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { permanent?: unknown }).permanent === true;
}

/** Actions (`uses:`) plug in here: they run in-process and return their outputs. */
export interface ActionExecutor {
  run(task: ActionTask): Promise<ActionRunResult>;
  canRollback(action: string): boolean;
  rollback(task: ActionTask, outputs: Record<string, unknown>): Promise<void>;
}
