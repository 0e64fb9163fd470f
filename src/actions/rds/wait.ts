import * as z from '../../util/zod.js';
import { arg, DEFAULT_POLL_MS, pollIntervalArg } from '../args.js';
import { defineAction } from '../types.js';
import { realRdsPort, waitForInstance } from './common.js';
import type { RdsPortFactory } from './common.js';

const NAME = 'rds.wait';

export function waitAction(portFor: RdsPortFactory = realRdsPort) {
  return defineAction({
    name: NAME,
    summary: 'Wait for an RDS instance to reach a status (failing at once on a terminal one)',
    args: z.strictObject({
      /** The DB instance to watch. */
      instance: arg.text(),
      /** The status to wait for (default available; deleted waits until it is gone). */
      status: z._default(
        arg.prepared((v) => (typeof v === 'string' ? v.trim().toLowerCase() : v), arg.text()),
        'available',
      ),
      poll_interval: pollIntervalArg(),
    }),
    outputs: ['status', 'endpoint'],
    async run(args, ctx) {
      const port = await portFor(ctx);
      ctx.log(`waiting for ${args.instance} to be ${args.status}`);
      const instance = await waitForInstance(port, ctx, {
        action: NAME,
        instance: args.instance,
        intervalMs: args.poll_interval ?? DEFAULT_POLL_MS,
        goal: args.status,
        done: (i) => i.status === args.status,
      });
      return { status: instance.status, endpoint: instance.endpoint ?? null };
    },
  });
}

export const rdsWait = waitAction();
