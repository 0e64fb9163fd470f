import type { CleanupItem } from '../ports/actions.js';
import type { AwsSettings } from '../ports/aws.js';
import type * as z from '../util/zod.js';
import type { MatcherDoc } from './matcher.js';

/** What an action may use while it runs. Every side effect honours `signal`. */
export interface ActionContext {
  stepId: string;
  signal: AbortSignal;
  /** The step's timeout, when it has one (the signal fires at it too). */
  timeoutMs?: number | undefined;
  incidentStart: Date;
  aws: AwsSettings;
  /** A progress line for the operator (streams like command output). */
  log(text: string): void;
  /** Journal what the action did (resources touched, decisions taken). */
  record(fields: Record<string, unknown>): void;
  /**
   * Put a file or folder the action created on the run's cleanup ledger, journaled at once: the run
   * removes it when it ends (kept when `keep`), and a resumed run or `drctl cleanup` still knows it.
   */
  cleanup(item: CleanupItem): void;
  /** The recovery point this action restored to: the run's RPO evidence. */
  recoveryPoint(at: Date, evidence: string): void;
  /** Wait, ending early (with the signal's reason) when the run is interrupted or times out. */
  sleep(ms: number): Promise<void>;
  /** Why `text` fails `matcher`, or undefined when it passes: the same test as a step's `expect:`. */
  unmetMatcher(matcher: MatcherDoc, text: string): string | undefined;
}

export type ActionOutputs = Record<string, unknown>;

/**
 * A built-in action: its arguments (checked by `validate` and again, resolved, before it runs),
 * the outputs it declares, and what it does. Implementations load their SDKs lazily, inside run.
 */
export interface ActionDefinition<Args = Record<string, unknown>> {
  name: string;
  summary: string;
  args: z.ZodMiniType<Args>;
  outputs: readonly string[];
  /** Arguments that may carry secrets (connection strings): masked wherever they are shown. */
  secretArgs?: readonly string[];
  /** Values of a secret argument that name no secret and are shown as written (backup.verify's `scratch: local`). */
  openValues?: Readonly<Record<string, readonly string[]>>;
  run(args: Args, ctx: ActionContext): Promise<ActionOutputs>;
  /** An automatic rollback, run when the run rolls back and the step has no rollback of its own. */
  rollback?(args: Args, outputs: ActionOutputs, ctx: ActionContext): Promise<void>;
}

/**
 * A failure an operator can act on: one line naming the action, the resource and the cause.
 * `permanent`: trying again cannot change it (no backup before the incident start, access denied,
 * no such bucket or instance, an invalid argument), so the step's `retry` does not repeat it.
 */
export class ActionError extends Error {
  readonly permanent: boolean;
  constructor(message: string, options: { permanent?: boolean } = {}) {
    super(message);
    this.name = 'ActionError';
    this.permanent = options.permanent ?? false;
  }
}

/** A failure that the same attempt would meet again: never retried (see `isPermanentFailure`). */
export class PermanentActionError extends ActionError {
  constructor(message: string) {
    super(message, { permanent: true });
    this.name = 'PermanentActionError';
  }
}

export function defineAction<Args>(definition: ActionDefinition<Args>): ActionDefinition<Args> {
  return definition;
}
