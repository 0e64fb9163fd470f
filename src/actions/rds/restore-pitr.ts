import * as z from '../../util/zod.js';
import { arg, pollIntervalArg } from '../args.js';
import { ActionError, defineAction, PermanentActionError } from '../types.js';
import { callAws, realRdsPort, restoredInstance, restoreOptionArgs, restoreOptions } from './common.js';
import type { RdsPortFactory } from './common.js';

const NAME = 'rds.restore-pitr';

/** `latest`, or an ISO time that says its zone (a bare local time is ambiguous at 3 a.m.). */
const timeArg = () =>
  arg.prepared(
    (v) => (v instanceof Date ? v.toISOString() : v),
    arg.text().check(
      z.refine((v: string) => v.toLowerCase() === 'latest' || (/(?:Z|[+-]\d{2}:?\d{2})$/i.test(v) && !Number.isNaN(Date.parse(v))), {
        error: 'expected an ISO time with its zone, such as 2026-11-22T02:50:00Z, or latest',
      }),
    ),
  );

export function restorePitrAction(portFor: RdsPortFactory = realRdsPort) {
  return defineAction({
    name: NAME,
    summary: 'Restore an RDS instance to a point in time, as a new instance',
    args: z.strictObject({
      /** The DB instance to restore from. */
      source: arg.text(),
      /** Identifier of the new instance. */
      target: arg.text(),
      /** ISO time with zone, or latest (the latest restorable time). */
      time: timeArg(),
      ...restoreOptionArgs,
      wait: z._default(arg.boolean(), true),
      poll_interval: pollIntervalArg(),
    }),
    outputs: ['endpoint', 'arn', 'restored_to'],
    async run(args, ctx) {
      const port = await portFor(ctx);
      const latest = args.time.toLowerCase() === 'latest';
      let restoredTo: Date;
      if (latest) {
        // The recovery point is the source's latest restorable time, read just before the restore:
        // RDS restores to that time or a moment later, so the RPO this reports is never flattering.
        const source = await callAws(ctx, NAME, args.source, () => port.describeInstance(args.source, ctx.signal));
        if (!source) throw new PermanentActionError(`${NAME}: ${args.source}: DBInstanceNotFound: no such source instance`);
        if (!source.latestRestorableTime) {
          throw new ActionError(
            `${NAME}: ${args.source}: has no latest restorable time (are automated backups enabled? status ${source.status})`,
          );
        }
        restoredTo = source.latestRestorableTime;
      } else {
        restoredTo = new Date(args.time);
      }
      const at = restoredTo.toISOString();
      ctx.log(`restoring ${args.source} as of ${at}${latest ? ' (latest restorable time)' : ''} into new instance ${args.target}`);
      const created = await callAws(ctx, NAME, `${args.source} → ${args.target}`, () =>
        port.restoreToPointInTime(args.source, latest ? undefined : restoredTo, restoreOptions(args.target, args), ctx.signal),
      );
      ctx.record({
        source: args.source,
        target: args.target,
        restore_time: at,
        use_latest_restorable_time: latest,
        arn: created.arn ?? null,
        status: created.status,
      });
      ctx.recoveryPoint(restoredTo, `rds:${args.source}@${at}`);
      return { ...(await restoredInstance(port, ctx, NAME, args.target, args, created)), restored_to: at };
    },
  });
}

export const rdsRestorePitr = restorePitrAction();
