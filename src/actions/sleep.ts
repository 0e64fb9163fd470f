import * as z from '../util/zod.js';
import { formatDuration } from '../util/duration.js';
import { arg } from './args.js';
import { defineAction } from './types.js';

export const sleepAction = defineAction({
  name: 'sleep',
  summary: 'Wait for a duration (to let DNS or caches settle)',
  args: z.strictObject({ duration: arg.duration() }),
  outputs: [],
  async run({ duration }, ctx) {
    ctx.log(`waiting ${formatDuration(duration)}`);
    await ctx.sleep(duration);
    return {};
  },
});
