import * as z from '../util/zod.js';
import { DURATION_PATTERN, parseDuration } from '../runbook/duration.js';

/**
 * Argument types for actions. Values arrive as written in `with:` (validate) or after expressions
 * are substituted (run), where a whole-value expression may still be text: so numbers and booleans
 * also accept their text form.
 */
export const arg = {
  text: () => z.string().min(1, { error: 'must not be empty' }),
  number: () => z.coerce.number({ error: 'expected a number' }),
  integer: () => z.coerce.number({ error: 'expected a whole number' }).int({ error: 'expected a whole number' }),
  boolean: () =>
    z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean({ error: 'expected true or false' })),
  /** A duration such as 30s or 2m, as milliseconds. */
  duration: () =>
    z
      .string()
      .regex(new RegExp(DURATION_PATTERN), { error: 'expected a duration such as 10s, 5m or 1h' })
      .transform((text) => parseDuration(text)!),
  list: <T extends z.ZodType>(item: T) => z.array(item),
};

export const pollIntervalArg = (defaultText = '15s') => arg.duration().optional().meta({ description: `How often to check while waiting (default ${defaultText})` });
export const DEFAULT_POLL_MS = 15_000;
