import * as z from '../util/zod.js';
import { DURATION_PATTERN, MAX_DURATION_MS, MAX_DURATION_TEXT, parseDuration } from '../util/duration.js';

/** A value turned into another before it is checked (`v.trim()`, one value as a list of one). */
function prepared<T extends z.ZodMiniType>(prepare: (value: unknown) => unknown, schema: T) {
  return z.pipe(z.transform(prepare), schema);
}

/**
 * Argument types for actions. Values arrive as written in `with:` (validate) or after expressions
 * are substituted (run), where a whole-value expression may still be text: so numbers and booleans
 * also accept their text form.
 */
export const arg = {
  text: () => z.string().check(z.minLength(1, { error: 'must not be empty' })),
  number: () => z.coerce.number({ error: 'expected a number' }),
  integer: () => z.coerce.number({ error: 'expected a whole number' }).check(z.int({ error: 'expected a whole number' })),
  boolean: () => prepared((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean({ error: 'expected true or false' })),
  /** A duration such as 30s or 2m, as milliseconds. */
  duration: () =>
    z.pipe(
      z.string().check(
        z.regex(new RegExp(DURATION_PATTERN), { error: 'expected a duration such as 10s, 5m or 1h' }),
        z.refine((text: string) => !(parseDuration(text)! > MAX_DURATION_MS), {
          error: `longer than ${MAX_DURATION_TEXT}, the longest duration drctl takes`,
          abort: true,
        }),
      ),
      z.transform((text: string) => parseDuration(text)!),
    ),
  list: <T extends z.ZodMiniType>(item: T) => z.array(item),
  prepared,
};

/** How often to check while waiting (default {@link DEFAULT_POLL_MS} unless the action says otherwise), as milliseconds. */
export const pollIntervalArg = () => z.optional(arg.duration());
export const DEFAULT_POLL_MS = 15_000;
