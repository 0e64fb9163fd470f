import * as z from '../../util/zod.js';
import { pgPort } from '../../adapters/pg-port.js';
import type { PgConnection, PgPort } from '../../ports/pg.js';
import { PgServerError } from '../../ports/pg.js';
import { formatDuration } from '../../util/duration.js';
import { pollIntervalArg } from '../args.js';
import { defineAction, PermanentActionError } from '../types.js';
import { describeTarget, openConnection, problemOf, runQuery, textOf, urlArg } from './common.js';

/** How often postgres.wait tries by default: a server coming up is worth noticing quickly. */
const DEFAULT_WAIT_POLL_MS = 2_000;

/** Errors that waiting cannot fix: wrong credentials, no such database. */
function isFinal(error: unknown): boolean {
  return error instanceof PgServerError && (error.sqlstate.startsWith('28') || error.sqlstate === '3D000');
}

export function createPostgresWait(port: PgPort) {
  return defineAction({
    name: 'postgres.wait',
    summary: 'Wait until PostgreSQL accepts connections and answers SELECT 1',
    args: z.strictObject({
      url: urlArg(),
      /** How often to try while waiting (default {@link DEFAULT_WAIT_POLL_MS}). */
      poll_interval: pollIntervalArg(),
    }),
    outputs: ['server_version', 'host', 'port', 'database'],
    secretArgs: ['url'],
    async run(args, ctx) {
      const target = describeTarget(args.url);
      const pollMs = args.poll_interval ?? DEFAULT_WAIT_POLL_MS;
      const started = performance.now();
      let attempts = 0;
      let lastProblem: string | undefined;
      const onAbort = (): void => {
        ctx.record({
          host: target.host,
          port: target.port,
          database: target.database,
          ready: false,
          attempts,
          last_problem: lastProblem ?? null,
        });
        if (lastProblem) ctx.log(`gave up on ${target.label} after ${attempts} attempt${attempts === 1 ? '' : 's'}; last: ${lastProblem}`);
      };
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      try {
        for (;;) {
          attempts++;
          let conn: PgConnection | undefined;
          try {
            conn = await openConnection(port, args.url, ctx);
            await runQuery(port, conn, args.url, 'SELECT 1', ctx);
            const version = textOf((await runQuery(port, conn, args.url, 'SHOW server_version', ctx)).rows[0]?.server_version);
            const waitedMs = Math.round(performance.now() - started);
            ctx.log(`${target.label} is up (PostgreSQL ${version}) after ${attempts} attempt${attempts === 1 ? '' : 's'}`);
            ctx.record({
              host: target.host,
              port: target.port,
              database: target.database,
              ready: true,
              attempts,
              waited_ms: waitedMs,
              server_version: version,
            });
            // Where it connected, from the URL (never its user or password): for confirmations that name the target.
            return { server_version: version, host: target.host, port: target.port, database: target.database };
          } catch (error) {
            if (ctx.signal.aborted) throw error;
            const problem = problemOf(error, args.url);
            if (isFinal(error)) throw new PermanentActionError(`postgres.wait: ${target.label}: ${problem} (waiting will not fix this)`);
            if (problem !== lastProblem) ctx.log(`${target.label} not ready: ${problem}; trying every ${formatDuration(pollMs)}`);
            lastProblem = problem;
          } finally {
            await conn?.end();
          }
          await ctx.sleep(pollMs);
        }
      } finally {
        ctx.signal.removeEventListener('abort', onAbort);
      }
    },
  });
}

export const postgresWait = createPostgresWait(pgPort);
