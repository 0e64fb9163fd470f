import * as z from '../util/zod.js';
import { matcherSchema } from '../actions/matcher.js';
import { DURATION_PATTERN, INTERVAL_PATTERN } from '../util/duration.js';

/**
 * The runbook format v1 as one schema: it validates documents and generates the JSON Schema
 * that editors use (`drctl schema`). Rules that need more than one key at a time live in rules.ts.
 */

const ID_PATTERN = /^[a-z0-9][a-z0-9-]*$/;
const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

const id = z
  .string({ error: 'expected an id (lowercase letters, digits and "-")' })
  .check(z.regex(ID_PATTERN, { error: 'must be lowercase letters, digits and "-", starting with a letter or digit (e.g. restore-db)' }));
const duration = z
  .string({ error: 'expected a duration such as 90s, 15m or 1h30m' })
  .check(z.regex(new RegExp(DURATION_PATTERN), { error: 'is not a duration: write it as 500ms, 90s, 15m, 1h30m or 2h' }))
  .register(z.globalRegistry, { description: 'A duration: 500ms, 90s, 15m, 1h30m, 2h' });
const text = z.string();
const scalar = z.union([z.string(), z.number(), z.boolean()]);
const argv = z.array(scalar).check(z.minLength(1, { error: 'needs at least the program to run' }));
const envMap = z.record(z.string().check(z.regex(ENV_NAME_PATTERN, { error: 'is not an environment variable name' })), scalar);
const optional = z.optional;
/** An optional key with a description for editors (`drctl schema`). */
function described<T extends z.ZodMiniType>(schema: T, description: string): z.ZodMiniOptional<T> {
  const wrapped = z.optional(schema);
  z.globalRegistry.add(wrapped as z.ZodMiniType, { description });
  return wrapped;
}

const wholeNumber = z.number().check(z.int());
const expectation = z.strictObject({
  exit_code: optional(z.union([wholeNumber, z.array(wholeNumber).check(z.minLength(1))])),
  stdout: optional(matcherSchema),
  stderr: optional(matcherSchema),
  outputs: described(z.record(z.string(), matcherSchema), "Expectations on the step's outputs (for actions)"),
});

const outputSpec = z.strictObject({
  from: z.enum(['stdout', 'stderr', 'exit_code']),
  trim: described(z.boolean(), 'Strip leading and trailing whitespace; default true, but false for the capture of a regex'),
  regex: described(
    z.string(),
    'The first capture group (or the whole match) becomes the value; RE2 syntax (no backreferences, no lookarounds), ^ and $ match at each line',
  ),
});

const retries = z.union([
  z.number().check(z.int(), z.gte(0)),
  z.strictObject({
    attempts: z.number().check(z.int(), z.gte(1)),
    delay: optional(duration),
    backoff: optional(z.number().check(z.gte(1))),
  }),
]);

const confirm = z.union([z.boolean(), z.string(), z.strictObject({ type: z.string() })]);

const commandKeys = {
  run: described(text, 'A bash script (-e -o pipefail); substituted values are shell-quoted'),
  exec: described(argv, 'A program and its arguments, run without a shell'),
  uses: described(z.string(), 'A built-in action'),
  with: described(z.record(z.string(), z.unknown()), "The action's arguments"),
};

const postgresKey = described(
  text,
  'A PostgreSQL URL handed to psql, pg_dump and pg_restore through PGHOST, PGPORT, PGUSER, PGDATABASE and a temporary password file, never on a command line',
);

const rollbackBody = z.strictObject({
  ...commandKeys,
  env: optional(envMap),
  postgres: postgresKey,
  cwd: optional(text),
  timeout: optional(duration),
  idempotent: described(z.boolean(), 'Safe to run again when a resumed run finds it was in flight'),
});

const stepSchema = z.strictObject({
  id,
  title: text,
  description: optional(text),
  ...commandKeys,
  manual: described(text, 'Done by hand: the operator reads this and confirms when done'),
  budget: optional(duration),
  timeout: optional(duration),
  retries: optional(retries),
  until: optional(expectation),
  interval: optional(duration),
  if: optional(z.union([z.string(), z.boolean()])),
  confirm: optional(confirm),
  pause: optional(z.boolean()),
  env: optional(envMap),
  postgres: postgresKey,
  cwd: optional(text),
  expect: optional(expectation),
  outputs: optional(
    z.record(z.string().check(z.regex(NAME_PATTERN, { error: 'is not an output name (letters, digits, "_" and "-")' })), outputSpec),
  ),
  on_failure: optional(z.enum(['abort', 'continue', 'rollback'])),
  rollback: optional(z.union([z.string(), rollbackBody])),
  idempotent: optional(z.boolean()),
});

const preflightSchema = z.strictObject({
  title: optional(text),
  require: described(z.array(z.string()).check(z.minLength(1)), 'Tools that must be on PATH'),
  ...commandKeys,
  env: optional(envMap),
  postgres: postgresKey,
  cwd: optional(text),
  timeout: optional(duration),
  expect: optional(expectation),
});

const INPUT_TYPES = ['string', 'number', 'boolean', 'duration', 'choice'] as const;
export type InputType = (typeof INPUT_TYPES)[number];

const inputSchema = z.strictObject({
  description: optional(text),
  type: optional(z.enum(INPUT_TYPES)),
  default: optional(scalar),
  options: optional(z.array(scalar).check(z.minLength(1))),
  secret: optional(z.boolean()),
  env: optional(z.string().check(z.regex(ENV_NAME_PATTERN, { error: 'is not an environment variable name' }))),
});

export const runbookSchema = z
  .strictObject({
    apiVersion: z.literal('drctl/v1'),
    kind: z.literal('Runbook'),
    metadata: z.strictObject({
      name: id,
      title: text,
      description: optional(text),
      severity: optional(text),
      owner: optional(text),
      tags: optional(z.array(z.string())),
      version: described(
        text,
        'The runbook\'s own version, free text such as "2.3" (quoted) or 2026-11-r2: journaled with each run and shown in its report',
      ),
    }),
    objectives: optional(
      z.strictObject({
        rto: optional(duration),
        rpo: optional(duration),
        drill_every: described(
          z
            .string({ error: 'expected a drill interval such as 90d, 30d or 12h' })
            .check(z.regex(new RegExp(INTERVAL_PATTERN), { error: 'is not a drill interval: write it as 90d, 30d, 1d12h or 12h' })),
          'How often the runbook is to be drilled: 90d, 30d, 1d12h (days allowed); drctl history --overdue lists it once its last successful drill is older',
        ),
      }),
    ),
    inputs: optional(
      z.record(z.string().check(z.regex(NAME_PATTERN, { error: 'is not an input name (letters, digits, "_" and "-")' })), inputSchema),
    ),
    env: optional(envMap),
    preflight: optional(z.array(preflightSchema)),
    steps: z.array(stepSchema).check(z.minLength(1, { error: 'needs at least one step' })),
  })
  .register(z.globalRegistry, { title: 'drctl runbook', description: 'A disaster-recovery runbook (drctl format v1)' });

export type RunbookDoc = z.infer<typeof runbookSchema>;
export type StepDoc = z.infer<typeof stepSchema>;
export type PreflightDoc = z.infer<typeof preflightSchema>;
export type InputDoc = z.infer<typeof inputSchema>;
export type { MatcherDoc } from '../actions/matcher.js';
export type ExpectationDoc = z.infer<typeof expectation>;
export type RollbackDoc = z.infer<typeof rollbackBody>;
export type OutputDoc = z.infer<typeof outputSpec>;

export function runbookJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(runbookSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
