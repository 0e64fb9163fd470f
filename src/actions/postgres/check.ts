import * as z from '../../util/zod.js';
import { pgPort } from '../../adapters/pg-port.js';
import type { PgPort } from '../../ports/pg.js';
import { PgServerError } from '../../ports/pg.js';
import { arg } from '../args.js';
import { matcherSchema } from '../matcher.js';
import { ActionError, defineAction } from '../types.js';
import { describeTarget, failure, firstValue, openConnection, problemOf, runQuery, textOf, urlArg } from './common.js';

export interface CheckResult {
  name: string;
  /** The first column of the first row (null: NULL, or no rows). */
  value: unknown;
  ok: boolean;
  /** Why it failed: the value against the expectation, or the SQL's error. */
  problem?: string;
}

const checkArg = z.strictObject({
  name: arg.text(),
  sql: arg.text(),
  /** Applied to the first column of the first row, as text. */
  expect: matcherSchema,
});

export function createPostgresCheck(port: PgPort) {
  return defineAction({
    name: 'postgres.check',
    summary: 'Run SQL checks against PostgreSQL, each with an expectation on its first value',
    args: z.strictObject({
      url: urlArg(),
      checks: arg.list(checkArg).check(
        z.minLength(1, { error: 'give at least one check' }),
        z.superRefine((checks: Array<{ name: string }>, ctx) => {
          const seen = new Set<string>();
          checks.forEach((check, i) => {
            if (seen.has(check.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `two checks are named "${check.name}"` });
            seen.add(check.name);
          });
        }),
      ),
    }),
    outputs: ['results'],
    secretArgs: ['url'],
    async run(args, ctx) {
      const target = describeTarget(args.url);
      let conn;
      try {
        conn = await openConnection(port, args.url, ctx);
      } catch (error) {
        if (ctx.signal.aborted) throw error;
        throw failure('postgres.check', target, error, args.url);
      }
      const results: CheckResult[] = [];
      try {
        // Every check runs, even after one fails: the operator sees the whole picture at once.
        for (const check of args.checks) {
          let result: CheckResult;
          try {
            const value = firstValue(await runQuery(port, conn, args.url, check.sql, ctx));
            const unmet = ctx.unmetMatcher(check.expect, textOf(value));
            result = unmet
              ? { name: check.name, value, ok: false, problem: value === null ? unmet.replace(/^was ""/, 'was NULL') : unmet }
              : { name: check.name, value, ok: true };
          } catch (error) {
            if (ctx.signal.aborted) throw error;
            // The server refused this SQL: the check fails, the others still run. A lost connection ends the step.
            if (!(error instanceof PgServerError)) throw failure('postgres.check', target, error, args.url);
            result = { name: check.name, value: null, ok: false, problem: `failed: ${problemOf(error, args.url)}` };
          }
          results.push(result);
          ctx.log(result.ok ? `ok    ${check.name}: ${textOf(result.value)}` : `FAIL  ${check.name}: ${result.problem}`);
        }
      } finally {
        await conn.end();
      }
      const failed = results.filter((r) => !r.ok);
      ctx.record({
        host: target.host,
        port: target.port,
        database: target.database,
        checks: results.length,
        failed: failed.map((r) => r.name),
        results,
      });
      if (failed.length) {
        throw new ActionError(
          `postgres.check: ${target.label}: ${failed.length} of ${results.length} check${results.length === 1 ? '' : 's'} failed: ${failed.map((r) => `${r.name}: ${r.problem}`).join('; ')}`,
        );
      }
      return { results };
    },
  });
}

export const postgresCheck = createPostgresCheck(pgPort);
