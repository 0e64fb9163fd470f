import * as z from '../../util/zod.js';
import type { RdsSnapshot } from '../../ports/rds.js';
import { arg, pollIntervalArg } from '../args.js';
import { ActionError, defineAction, PermanentActionError } from '../types.js';
import { callAws, realRdsPort, restoredInstance, restoreOptionArgs, restoreOptions } from './common.js';
import type { RdsPortFactory } from './common.js';

const NAME = 'rds.restore-snapshot';

/** The newest available snapshot, by when its data was captured (a copy counts from its original). */
export function newestSnapshot(snapshots: readonly RdsSnapshot[]): RdsSnapshot | undefined {
  let best: RdsSnapshot | undefined;
  for (const snapshot of snapshots) {
    if (snapshot.status !== 'available' || !snapshot.createdAt) continue;
    if (!best || snapshot.createdAt.getTime() > best.createdAt!.getTime()) best = snapshot;
  }
  return best;
}

export function restoreSnapshotAction(portFor: RdsPortFactory = realRdsPort) {
  return defineAction({
    name: NAME,
    summary: 'Restore an RDS instance from a snapshot (or the newest snapshot of an instance), as a new instance',
    args: z
      .strictObject({
        /** DB snapshot identifier or ARN. */
        snapshot: z.optional(arg.text()),
        /** Use the newest available automated or manual snapshot of this instance. */
        latest_of: z.optional(arg.text()),
        /** Identifier of the new instance. */
        target: arg.text(),
        ...restoreOptionArgs,
        wait: z._default(arg.boolean(), true),
        poll_interval: pollIntervalArg(),
      })
      .check(
        z.refine((a) => (a.snapshot === undefined) !== (a.latest_of === undefined), {
          error: 'give either snapshot or latest_of (exactly one)',
        }),
      ),
    outputs: ['endpoint', 'arn', 'snapshot'],
    async run(args, ctx) {
      const port = await portFor(ctx);
      let chosen: RdsSnapshot | undefined;
      if (args.latest_of !== undefined) {
        const of = args.latest_of;
        const all = await callAws(ctx, NAME, `snapshots of ${of}`, () => port.listSnapshots(of, ctx.signal));
        chosen = newestSnapshot(all);
        if (!chosen) {
          throw new ActionError(
            `${NAME}: ${of}: no available snapshot (${all.length ? `${all.length} found, none available` : 'none found: is the instance name right?'})`,
          );
        }
        ctx.log(
          `newest snapshot of ${of}: ${chosen.id} (${chosen.type ?? 'snapshot'}, ${chosen.createdAt!.toISOString()}) of ${all.length} found`,
        );
        ctx.record({
          latest_of: of,
          snapshot: chosen.id,
          snapshot_type: chosen.type ?? null,
          snapshot_created: chosen.createdAt!.toISOString(),
          candidates: all.length,
        });
      } else {
        const id = args.snapshot!;
        chosen = await callAws(ctx, NAME, `snapshot ${id}`, () => port.describeSnapshot(id, ctx.signal));
        if (!chosen) {
          // A snapshot shared from another account is not listed here; RDS itself will say whether it can use it.
          if (!id.startsWith('arn:')) throw new PermanentActionError(`${NAME}: snapshot ${id}: DBSnapshotNotFound: no such snapshot`);
          ctx.log(`snapshot ${id} is not described in this account: restoring without its capture time (no RPO evidence)`);
          chosen = { id, status: 'unknown' };
        } else if (chosen.status !== 'available') {
          throw new ActionError(`${NAME}: snapshot ${id} is ${chosen.status}, not available`);
        }
      }
      const snapshot = chosen;
      // The snapshot's capture time is the recovery point: the run's RPO evidence.
      if (snapshot.createdAt) ctx.recoveryPoint(snapshot.createdAt, `rds-snapshot:${snapshot.id}`);
      ctx.log(`restoring snapshot ${snapshot.id} into new instance ${args.target}`);
      const created = await callAws(ctx, NAME, `${snapshot.id} → ${args.target}`, () =>
        port.restoreFromSnapshot(args.snapshot ?? snapshot.id, restoreOptions(args.target, args), ctx.signal),
      );
      ctx.record({ snapshot: snapshot.id, target: args.target, arn: created.arn ?? null, status: created.status });
      return { ...(await restoredInstance(port, ctx, NAME, args.target, args, created)), snapshot: snapshot.id };
    },
  });
}

export const rdsRestoreSnapshot = restoreSnapshotAction();
