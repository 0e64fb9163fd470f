import * as z from '../util/zod.js';

/**
 * A matcher: the runbook format's test of one value (`equals`, `contains`, `matches`, `gt`, `gte`,
 * `lt`, `lte`, and `not` over one more). Steps use it in `expect:` and `until:`; actions take it as
 * an argument (http.check's `body`, each check of postgres.check). It is defined here, with the
 * actions, because the runbook's schema (src/runbook/schema.ts) sits above them and builds step
 * expectations from it. The engine does the matching (src/engine/expect.ts); an action asks for it
 * through its context's `unmetMatcher`.
 */

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const numberOrExpression = z.union([z.number(), z.string()]);
const pattern = z.optional(z.string());
z.globalRegistry.add(pattern as z.ZodMiniType, { description: 'A regular expression' });

const baseMatcher = z.strictObject({
  equals: z.optional(scalar),
  contains: z.optional(z.string()),
  matches: pattern,
  gt: z.optional(numberOrExpression),
  gte: z.optional(numberOrExpression),
  lt: z.optional(numberOrExpression),
  lte: z.optional(numberOrExpression),
});

export const matcherSchema = z.extend(baseMatcher, { not: z.optional(baseMatcher) });

export type MatcherDoc = z.infer<typeof matcherSchema>;
