import type { ActionContext } from '../../src/actions/types.js';
import { unmetMatcherText } from '../../src/engine/expect.js';
import type { CleanupItem } from '../../src/ports/actions.js';
import type { AwsSettings } from '../../src/ports/aws.js';

/**
 * The action context the runner would hand an action, remembering everything the action did with
 * it: the lines it showed the operator, what it journaled, the recovery point it claimed and each
 * wait it asked for. `controller` interrupts the step (what Ctrl-C or the step's timeout does).
 * Matchers are checked by the engine's own matching, as the command line wires it.
 */
export interface FakeActionContext extends ActionContext {
  logs: string[];
  records: Array<Record<string, unknown>>;
  /** What the action put on the run's cleanup ledger, in order. */
  cleanups: CleanupItem[];
  /** Every recovery point claimed, in order. */
  points: Array<{ at: Date; evidence: string }>;
  /** The interval of every sleep asked for, in ms. */
  sleeps: number[];
  controller: AbortController;
}

export interface FakeActionContextOptions {
  stepId?: string;
  /** 2026-11-22T03:00:00Z unless said otherwise. */
  incidentStart?: Date;
  timeoutMs?: number;
  aws?: AwsSettings;
  /** Sleep for real; by default a sleep returns at once. Either way it ends early when interrupted. */
  realSleep?: boolean;
  /** Called at each sleep before it waits: e.g. interrupt the step at its third poll. */
  onSleep?: (ms: number, ctx: FakeActionContext) => void;
}

export const INCIDENT_START = new Date('2026-11-22T03:00:00.000Z');

export function fakeActionContext(options: FakeActionContextOptions = {}): FakeActionContext {
  const controller = new AbortController();
  const { signal } = controller;
  const ctx: FakeActionContext = {
    stepId: options.stepId ?? 'step',
    signal,
    timeoutMs: options.timeoutMs,
    incidentStart: options.incidentStart ?? INCIDENT_START,
    aws: options.aws ?? {},
    logs: [],
    records: [],
    cleanups: [],
    points: [],
    sleeps: [],
    controller,
    log: (text) => ctx.logs.push(text),
    record: (fields) => ctx.records.push(fields),
    cleanup: (item) => ctx.cleanups.push(item),
    recoveryPoint: (at, evidence) => ctx.points.push({ at, evidence }),
    unmetMatcher: unmetMatcherText,
    sleep: (ms) => {
      ctx.sleeps.push(ms);
      options.onSleep?.(ms, ctx);
      if (signal.aborted) return Promise.reject(signal.reason as Error);
      if (!options.realSleep) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const onAbort = (): void => {
          clearTimeout(timer);
          reject(signal.reason as Error);
        };
        const timer = setTimeout(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        }, ms);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
  return ctx;
}
