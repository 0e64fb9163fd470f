import * as z from '../../util/zod.js';
import { awsFailure, isPermanentAwsError } from '../../adapters/aws.js';
import type { RdsInstance, RdsPort, RdsSnapshot } from '../../ports/rds.js';
import { formatDuration } from '../../util/duration.js';
import { arg, DEFAULT_POLL_MS } from '../args.js';
import { ActionError, PermanentActionError } from '../types.js';
import type { ActionContext } from '../types.js';

/** How an action gets its RDS port: the SDK in drctl, a fake in unit tests. */
export type RdsPortFactory = (ctx: ActionContext) => RdsPort | Promise<RdsPort>;

export const realRdsPort: RdsPortFactory = async (ctx) => {
  const { createRdsPort } = await import('../../adapters/rds-port.js');
  return createRdsPort(ctx.aws);
};

/**
 * Statuses an instance never leaves on its own: waiting on, it would only burn the step's timeout.
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/accessing-monitoring.html#Overview.DBInstance.Status
 */
const TERMINAL_INSTANCE_STATUSES: ReadonlySet<string> = new Set([
  'failed',
  'incompatible-restore',
  'incompatible-parameters',
  'incompatible-network',
  'incompatible-option-group',
  'storage-full',
  'inaccessible-encryption-credentials',
  'restore-error',
  'deleting',
  'deleted',
]);

const TERMINAL_SNAPSHOT_STATUSES: ReadonlySet<string> = new Set(['failed', 'error', 'deleting', 'deleted', 'incompatible-restore']);

/** A list argument that may also be written as one value (`security_groups: sg-123`). */
const listOrOne = () =>
  arg.prepared((v) => (typeof v === 'string' ? [v] : v), arg.list(arg.text()).check(z.minLength(1, { error: 'must not be empty' })));

/** Elapsed time for progress lines: 45s, 2m30s. */
function elapsedText(ms: number): string {
  return ms < 60_000 ? `${Math.round(ms / 1000)}s` : formatDuration(ms);
}

/**
 * Call AWS; a failure becomes one line naming the action, the resource and the AWS error code. When
 * the step was interrupted or timed out, the abort is passed through so the runner reports it as such.
 */
export async function callAws<T>(ctx: ActionContext, action: string, resource: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (ctx.signal.aborted || error instanceof ActionError) throw error;
    throw new ActionError(awsFailure(action, resource, error), { permanent: isPermanentAwsError(error) });
  }
}

export interface InstanceWait {
  action: string;
  instance: string;
  intervalMs: number;
  /** What the instance is waited for, for messages: "available", "promoted". */
  goal: string;
  done(instance: RdsInstance): boolean;
  /** Extra words for the progress line (e.g. "still a replica of prod-db"). */
  detail?(instance: RdsInstance): string | undefined;
}

/**
 * Poll DescribeDBInstances every `intervalMs` until `done`. A terminal status or a vanished instance
 * fails at once; the step's timeout and interruptions end it through ctx.signal / ctx.sleep.
 */
export async function waitForInstance(port: RdsPort, ctx: ActionContext, wait: InstanceWait): Promise<RdsInstance> {
  const started = Date.now();
  for (let check = 1; ; check++) {
    const instance = await callAws(ctx, wait.action, wait.instance, () => port.describeInstance(wait.instance, ctx.signal));
    const elapsed = Date.now() - started;
    if (!instance) {
      if (wait.goal === 'deleted') {
        ctx.log(`${wait.instance} is gone`);
        ctx.record({ instance: wait.instance, status: 'deleted', waited_ms: elapsed, checks: check });
        return { id: wait.instance, status: 'deleted' };
      }
      if (check === 1) throw new PermanentActionError(`${wait.action}: ${wait.instance}: DBInstanceNotFound: no such instance`);
      throw new PermanentActionError(
        `${wait.action}: ${wait.instance} no longer exists (DBInstanceNotFound) while waiting for ${wait.goal}`,
      );
    }
    if (wait.done(instance)) {
      ctx.log(`${wait.instance} is ${instance.status}${check > 1 ? ` after ${elapsedText(elapsed)}` : ''}`);
      ctx.record({ instance: wait.instance, status: instance.status, waited_ms: elapsed, checks: check });
      return instance;
    }
    const onItsWay = wait.goal === 'deleted' && instance.status === 'deleting';
    if (TERMINAL_INSTANCE_STATUSES.has(instance.status) && !onItsWay) {
      ctx.record({ instance: wait.instance, status: instance.status, waited_ms: elapsed, checks: check, terminal: true });
      throw new PermanentActionError(`${wait.action}: ${wait.instance} is ${instance.status}: it will not become ${wait.goal}`);
    }
    const detail = wait.detail?.(instance);
    ctx.log(`waiting for ${wait.instance}: ${instance.status}${detail ? `, ${detail}` : ''} (${elapsedText(elapsed)})`);
    await ctx.sleep(wait.intervalMs);
  }
}

/** Poll DescribeDBSnapshots until the snapshot is available; failed or vanished fails at once. */
export async function waitForSnapshot(
  port: RdsPort,
  ctx: ActionContext,
  action: string,
  id: string,
  intervalMs: number,
): Promise<RdsSnapshot> {
  const started = Date.now();
  for (let check = 1; ; check++) {
    const snapshot = await callAws(ctx, action, `snapshot ${id}`, () => port.describeSnapshot(id, ctx.signal));
    const elapsed = Date.now() - started;
    if (!snapshot)
      throw new PermanentActionError(
        `${action}: snapshot ${id} no longer exists (DBSnapshotNotFound) while waiting for it to become available`,
      );
    if (snapshot.status === 'available') {
      ctx.log(`snapshot ${id} is available${check > 1 ? ` after ${elapsedText(elapsed)}` : ''}`);
      ctx.record({ snapshot: id, status: snapshot.status, waited_ms: elapsed, checks: check });
      return snapshot;
    }
    if (TERMINAL_SNAPSHOT_STATUSES.has(snapshot.status)) {
      ctx.record({ snapshot: id, status: snapshot.status, waited_ms: elapsed, checks: check, terminal: true });
      throw new PermanentActionError(`${action}: snapshot ${id} is ${snapshot.status}: it will not become available`);
    }
    const progress = snapshot.progress !== undefined ? `, ${snapshot.progress}%` : '';
    ctx.log(`waiting for snapshot ${id}: ${snapshot.status}${progress} (${elapsedText(elapsed)})`);
    await ctx.sleep(intervalMs);
  }
}

/** Restore options shared by the two restore actions. */
export const restoreOptionArgs = {
  /** DB instance class of the new instance (default: as the source). */
  instance_class: z.optional(arg.text()),
  /** DB subnet group of the new instance. */
  subnet_group: z.optional(arg.text()),
  /** VPC security group ids of the new instance. */
  security_groups: z.optional(listOrOne()),
};

export function restoreOptions(
  target: string,
  args: { instance_class?: string | undefined; subnet_group?: string | undefined; security_groups?: string[] | undefined },
) {
  return { target, instanceClass: args.instance_class, subnetGroup: args.subnet_group, securityGroups: args.security_groups };
}

/** After a restore: wait (unless `wait: false`) until the new instance is available. */
export async function restoredInstance(
  port: RdsPort,
  ctx: ActionContext,
  action: string,
  target: string,
  args: { wait: boolean; poll_interval?: number | undefined },
  created: RdsInstance,
): Promise<{ endpoint: string | null; arn: string | null }> {
  const instance = args.wait
    ? await waitForInstance(port, ctx, {
        action,
        instance: target,
        intervalMs: args.poll_interval ?? DEFAULT_POLL_MS,
        goal: 'available',
        done: (i) => i.status === 'available',
      })
    : created;
  return { endpoint: instance.endpoint ?? null, arn: instance.arn ?? created.arn ?? null };
}
