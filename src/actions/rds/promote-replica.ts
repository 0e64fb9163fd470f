import * as z from '../../util/zod.js';
import { arg, DEFAULT_POLL_MS, pollIntervalArg } from '../args.js';
import { defineAction, PermanentActionError } from '../types.js';
import { callAws, realRdsPort, waitForInstance } from './common.js';
import type { RdsPortFactory } from './common.js';

const NAME = 'rds.promote-replica';

export function promoteReplicaAction(portFor: RdsPortFactory = realRdsPort) {
  return defineAction({
    name: NAME,
    summary: 'Promote an RDS read replica to a standalone instance',
    args: z.strictObject({
      /** The read replica to promote. */
      instance: arg.text(),
      wait: z._default(arg.boolean(), true),
      poll_interval: pollIntervalArg(),
    }),
    outputs: ['endpoint'],
    async run(args, ctx) {
      const port = await portFor(ctx);
      const before = await callAws(ctx, NAME, args.instance, () => port.describeInstance(args.instance, ctx.signal));
      if (!before) throw new PermanentActionError(`${NAME}: ${args.instance}: DBInstanceNotFound: no such instance`);
      let answer = before;
      if (!before.replicaSource) {
        // Run again after a promotion (a resumed run): nothing to promote, only wait.
        ctx.log(`${args.instance} is not a read replica (already promoted?): nothing to promote`);
        ctx.record({ instance: args.instance, promoted: false, reason: 'not a read replica', status: before.status });
      } else {
        ctx.log(`promoting ${args.instance} (a read replica of ${before.replicaSource})`);
        answer = await callAws(ctx, NAME, args.instance, () => port.promoteReadReplica(args.instance, ctx.signal));
        ctx.record({ instance: args.instance, promoted: true, source: before.replicaSource, status: answer.status });
      }
      let instance = answer;
      if (args.wait) {
        // Promotion is done when the instance is available and no longer names a source. RDS answers
        // the request with the instance modifying, then reboots it; a describe right after may still
        // show the old available replica, and the source may linger a moment after the reboot. So:
        // available counts once the instance no longer names a source, or once it was seen to go
        // through another status. A service that answers the request with an instance that is already
        // available (promotion done at once, as emulators do) is taken at its word.
        let transitioned = !before.replicaSource;
        const immediate = answer.status === 'available';
        instance = await waitForInstance(port, ctx, {
          action: NAME,
          instance: args.instance,
          intervalMs: args.poll_interval ?? DEFAULT_POLL_MS,
          goal: 'available as a standalone instance',
          done: (i) => {
            if (i.status !== 'available') transitioned = true;
            return i.status === 'available' && (!i.replicaSource || transitioned || immediate);
          },
          detail: (i) => (i.replicaSource ? `still a replica of ${i.replicaSource}` : undefined),
        });
      }
      return { endpoint: instance.endpoint ?? null };
    },
  });
}

export const rdsPromoteReplica = promoteReplicaAction();
