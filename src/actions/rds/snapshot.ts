import * as z from '../../util/zod.js';
import { arg, DEFAULT_POLL_MS, pollIntervalArg } from '../args.js';
import { defineAction } from '../types.js';
import { callAws, realRdsPort, waitForSnapshot } from './common.js';
import type { RdsPortFactory } from './common.js';

const NAME = 'rds.snapshot';

/** `<instance>-drctl-<yyyymmddHHMMss>`, in UTC. */
export function defaultSnapshotId(instance: string, now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/\.\d+Z$/, '')
    .replace(/[-:T]/g, '');
  return `${instance}-drctl-${stamp}`;
}

export function snapshotAction(portFor: RdsPortFactory = realRdsPort, now: () => Date = () => new Date()) {
  return defineAction({
    name: NAME,
    summary: 'Take a manual RDS snapshot of an instance',
    args: z.strictObject({
      /** The DB instance to snapshot. */
      instance: arg.text(),
      /** Snapshot identifier (default <instance>-drctl-<yyyymmddHHMMss>, UTC). */
      snapshot_id: z.optional(arg.text()),
      wait: z._default(arg.boolean(), true),
      poll_interval: pollIntervalArg(),
    }),
    outputs: ['snapshot_id'],
    async run(args, ctx) {
      const port = await portFor(ctx);
      const id = args.snapshot_id ?? defaultSnapshotId(args.instance, now());
      ctx.log(`taking snapshot ${id} of ${args.instance}`);
      const created = await callAws(ctx, NAME, `${args.instance} → snapshot ${id}`, () =>
        port.createSnapshot(args.instance, id, ctx.signal),
      );
      ctx.record({ instance: args.instance, snapshot: id, arn: created.arn ?? null, status: created.status });
      if (args.wait) await waitForSnapshot(port, ctx, NAME, id, args.poll_interval ?? DEFAULT_POLL_MS);
      return { snapshot_id: id };
    },
  });
}

export const rdsSnapshot = snapshotAction();
