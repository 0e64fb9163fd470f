import * as z from '../util/zod.js';
import { DURATION_PATTERN } from './duration.js';

/**
 * The runbook format v1 as one schema: it validates documents and generates the JSON Schema
 * that editors use (`drctl schema`). Rules that need more than one key at a time live in rules.ts.
 */

export const ID_PATTERN = /^[a-z0-9][a-z0-9-]*$/;
const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

const id = z
  .string({ error: 'expected an id (lowercase letters, digits and "-")' })
  .regex(ID_PATTERN, { error: 'must be lowercase letters, digits and "-", starting with a letter or digit (e.g. restore-db)' });
const duration = z
  .string({ error: 'expected a duration such as 90s, 15m or 1h30m' })
  .regex(new RegExp(DURATION_PATTERN), { error: 'is not a duration: write it as 500ms, 90s, 15m, 1h30m or 2h' })
  .meta({ description: 'A duration: 500ms, 90s, 15m, 1h30m, 2h' });
const text = z.string();
const scalar = z.union([z.string(), z.number(), z.boolean()]);
const argv = z.array(scalar).min(1, { error: 'needs at least the program to run' });
const envMap = z.record(z.string().regex(ENV_NAME_PATTERN, { error: 'is not an environment variable name' }), scalar);
const numberOrExpression = z.union([z.number(), z.string()]);

const baseMatcher = z.strictObject({
  equals: scalar.optional(),
  contains: z.string().optional(),
  matches: z.string().optional().meta({ description: 'A regular expression' }),
  gt: numberOrExpression.optional(),
  gte: numberOrExpression.optional(),
  lt: numberOrExpression.optional(),
  lte: numberOrExpression.optional(),
});
export const matcherSchema = baseMatcher.extend({ not: baseMatcher.optional() });

const expectation = z.strictObject({
  exit_code: z.union([z.number().int(), z.array(z.number().int()).min(1)]).optional(),
  stdout: matcherSchema.optional(),
  stderr: matcherSchema.optional(),
  outputs: z.record(z.string(), matcherSchema).optional().meta({ description: 'Expectations on the step\'s outputs (for actions)' }),
});

const outputSpec = z.strictObject({
  from: z.enum(['stdout', 'stderr', 'exit_code']),
  trim: z.boolean().optional(),
  regex: z.string().optional().meta({ description: 'The first capture group (or the whole match) becomes the value' }),
});

const retries = z.union([
  z.number().int().min(0),
  z.strictObject({
    attempts: z.number().int().min(1),
    delay: duration.optional(),
    backoff: z.number().min(1).optional(),
  }),
]);

const confirm = z.union([z.boolean(), z.string(), z.strictObject({ type: z.string() })]);

const commandKeys = {
  run: text.optional().meta({ description: 'A bash script (-e -o pipefail); substituted values are shell-quoted' }),
  exec: argv.optional().meta({ description: 'A program and its arguments, run without a shell' }),
  uses: z.string().optional().meta({ description: 'A built-in action' }),
  with: z.record(z.string(), z.unknown()).optional().meta({ description: 'The action\'s arguments' }),
};

const rollbackBody = z.strictObject({
  ...commandKeys,
  env: envMap.optional(),
  cwd: text.optional(),
  timeout: duration.optional(),
});

export const stepSchema = z.strictObject({
  id,
  title: text,
  description: text.optional(),
  ...commandKeys,
  manual: text.optional().meta({ description: 'Done by hand: the operator reads this and confirms when done' }),
  budget: duration.optional(),
  timeout: duration.optional(),
  retries: retries.optional(),
  until: expectation.optional(),
  interval: duration.optional(),
  if: z.union([z.string(), z.boolean()]).optional(),
  confirm: confirm.optional(),
  env: envMap.optional(),
  cwd: text.optional(),
  expect: expectation.optional(),
  outputs: z.record(z.string().regex(NAME_PATTERN, { error: 'is not an output name (letters, digits, "_" and "-")' }), outputSpec).optional(),
  on_failure: z.enum(['abort', 'continue', 'rollback']).optional(),
  rollback: z.union([z.string(), rollbackBody]).optional(),
  idempotent: z.boolean().optional(),
});

export const preflightSchema = z.strictObject({
  title: text.optional(),
  require: z.array(z.string()).min(1).optional().meta({ description: 'Tools that must be on PATH' }),
  ...commandKeys,
  env: envMap.optional(),
  cwd: text.optional(),
  timeout: duration.optional(),
  expect: expectation.optional(),
});

export const INPUT_TYPES = ['string', 'number', 'boolean', 'duration', 'choice'] as const;
export type InputType = (typeof INPUT_TYPES)[number];

export const inputSchema = z.strictObject({
  description: text.optional(),
  type: z.enum(INPUT_TYPES).optional(),
  default: scalar.optional(),
  options: z.array(scalar).min(1).optional(),
  secret: z.boolean().optional(),
  env: z.string().regex(ENV_NAME_PATTERN, { error: 'is not an environment variable name' }).optional(),
});

export const runbookSchema = z
  .strictObject({
    apiVersion: z.literal('drctl/v1'),
    kind: z.literal('Runbook'),
    metadata: z.strictObject({
      name: id,
      title: text,
      description: text.optional(),
      severity: text.optional(),
      owner: text.optional(),
      tags: z.array(z.string()).optional(),
    }),
    objectives: z.strictObject({ rto: duration.optional(), rpo: duration.optional() }).optional(),
    inputs: z.record(z.string().regex(NAME_PATTERN, { error: 'is not an input name (letters, digits, "_" and "-")' }), inputSchema).optional(),
    env: envMap.optional(),
    preflight: z.array(preflightSchema).optional(),
    steps: z.array(stepSchema).min(1, { error: 'needs at least one step' }),
  })
  .meta({ title: 'drctl runbook', description: 'A disaster-recovery runbook (drctl format v1)' });

export type RunbookDoc = z.infer<typeof runbookSchema>;
export type StepDoc = z.infer<typeof stepSchema>;
export type PreflightDoc = z.infer<typeof preflightSchema>;
export type InputDoc = z.infer<typeof inputSchema>;
export type MatcherDoc = z.infer<typeof matcherSchema>;
export type ExpectationDoc = z.infer<typeof expectation>;
export type RollbackDoc = z.infer<typeof rollbackBody>;
export type OutputDoc = z.infer<typeof outputSpec>;

export function runbookJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(runbookSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
