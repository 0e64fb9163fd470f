import * as z from '../../util/zod.js';
import { pgPort } from '../../adapters/pg-port.js';
import type { PgPort } from '../../ports/pg.js';
import { arg } from '../args.js';
import { defineAction } from '../types.js';
import { MAX_OUTPUT_ROWS, describeTarget, failure, firstValue, jsonValue, openConnection, rowCountOf, runQuery, urlArg } from './common.js';

export function createPostgresQuery(port: PgPort) {
  return defineAction({
    name: 'postgres.query',
    summary: 'Run SQL against PostgreSQL and keep its rows',
    args: z.strictObject({
      url: urlArg(),
      /** The SQL to run (several statements: the last one that returns rows gives the outputs). */
      sql: arg.text(),
    }),
    outputs: ['rows', 'row_count', 'value'],
    secretArgs: ['url'],
    async run(args, ctx) {
      const target = describeTarget(args.url);
      const started = performance.now();
      let conn;
      try {
        conn = await openConnection(port, args.url, ctx);
      } catch (error) {
        if (ctx.signal.aborted) throw error;
        throw failure('postgres.query', target, error, args.url);
      }
      try {
        const result = await runQuery(port, conn, args.url, args.sql, ctx).catch((error: unknown) => {
          if (ctx.signal.aborted) throw error;
          throw failure('postgres.query', target, error, args.url);
        });
        const rowCount = rowCountOf(result);
        const durationMs = Math.round(performance.now() - started);
        const rows = result.rows.slice(0, MAX_OUTPUT_ROWS).map((row) => jsonValue(row));
        ctx.log(`${target.label}: ${result.command || 'query'} → ${rowCount} row${rowCount === 1 ? '' : 's'} in ${durationMs}ms`);
        if (result.rows.length > MAX_OUTPUT_ROWS)
          ctx.log(`keeping the first ${MAX_OUTPUT_ROWS} of ${result.rows.length} rows in outputs.rows`);
        ctx.record({
          host: target.host,
          port: target.port,
          database: target.database,
          command: result.command,
          row_count: rowCount,
          duration_ms: durationMs,
        });
        return { rows, row_count: rowCount, value: firstValue(result) };
      } finally {
        await conn.end();
      }
    },
  });
}

export const postgresQuery = createPostgresQuery(pgPort);
