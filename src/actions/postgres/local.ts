import type { LocalPostgres } from '../../adapters/local-postgres.js';
import { pgPort } from '../../adapters/pg-port.js';
import type { PgPort } from '../../ports/pg.js';
import * as z from '../../util/zod.js';
import { arg } from '../args.js';
import type { ActionContext } from '../types.js';
import { ActionError, defineAction, PermanentActionError } from '../types.js';

const NAME = 'postgres.local';

/** A database name that needs no quoting worries: what the drills and rehearsals use. */
const DATABASE_NAME = /^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/;

const localArgs = z.strictObject({
  /** A database to create in the new server (default: none besides `postgres`); `url` names it. */
  database: z.optional(
    arg
      .text()
      .check(z.refine((v: string) => DATABASE_NAME.test(v), { error: 'expected a database name: letters, digits, _, $ or -, at most 63' })),
  ),
});

/**
 * Start a throw-away PostgreSQL (src/adapters/local-postgres.ts: initdb in a private temporary
 * folder, a free loopback port, trusting local connections) that lives until the run ends: its
 * folder is on the run's cleanup ledger (kind postgres-server), so the run stops the server and
 * removes the folder when it ends, and `drctl resume`, `abandon` or `cleanup` do after a crash.
 */
export function createPostgresLocal(port: PgPort) {
  return defineAction({
    name: NAME,
    summary: 'Start a throw-away local PostgreSQL that is stopped and removed when the run ends',
    args: localArgs,
    outputs: ['url', 'host', 'port', 'database', 'data_dir', 'folder', 'bindir', 'version'],
    async run(args, ctx) {
      const { DATA_DIR } = await import('../../adapters/local-postgres.js');
      const server = await startScratchServer(ctx, NAME);
      const database = args.database ?? 'postgres';
      try {
        if (database !== 'postgres') await createDatabase(port, server.url(), database, ctx, NAME);
      } catch (error) {
        // The server is of no use without its database: stop it now rather than at the run's end.
        const problem = server.remove();
        if (problem) ctx.log(`could not remove ${server.dir}: ${problem}`);
        throw error;
      }
      const { join } = await import('node:path');
      ctx.record({ dir: server.dir, bindir: server.bindir, port: server.port, version: server.version, database });
      ctx.log(`${server.version} on 127.0.0.1:${server.port}, database ${database}: stopped and removed when the run ends`);
      return {
        url: server.url(database),
        host: '127.0.0.1',
        port: server.port,
        database,
        data_dir: join(server.dir, DATA_DIR),
        // The throw-away folder that holds data_dir: what a drill puts there goes with the server.
        folder: server.dir,
        // Where the server's programs are (pgbench too, on Debian: off PATH).
        bindir: server.bindir,
        version: server.version,
      };
    },
  });
}

/**
 * A throw-away server for `ctx`'s step, its folder on the run's cleanup ledger (kind
 * postgres-server); a failure is one line starting with `label`, missing binaries fail for good.
 */
export async function startScratchServer(ctx: ActionContext, label: string): Promise<LocalPostgres> {
  const { startLocalPostgres, MissingPostgresBinaries } = await import('../../adapters/local-postgres.js');
  try {
    return await startLocalPostgres({
      env: process.env,
      signal: ctx.signal,
      log: ctx.log,
      register: (folder) => ctx.cleanup({ ...folder, kind: 'postgres-server', keep: false }),
    });
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    if (error instanceof MissingPostgresBinaries) throw new PermanentActionError(`${label}: ${error.message}`);
    const permanent = (error as { permanent?: unknown }).permanent === true;
    throw new ActionError(`${label}: ${(error as Error).message}`, { permanent });
  }
}

/** CREATE DATABASE in a throw-away server; a failure is one line starting with `label`. */
export async function createDatabase(port: PgPort, adminUrl: string, database: string, ctx: ActionContext, label: string): Promise<void> {
  const { openConnection, problemOf, runQuery } = await import('./common.js');
  const { quoteIdent } = await import('./fingerprint-core.js');
  let conn;
  try {
    conn = await openConnection(port, adminUrl, ctx);
    await runQuery(port, conn, adminUrl, `CREATE DATABASE ${quoteIdent(database)}`, ctx);
  } catch (error) {
    if (ctx.signal.aborted || error instanceof ActionError) throw error;
    throw new ActionError(`${label}: CREATE DATABASE ${database}: ${problemOf(error, adminUrl)}`);
  } finally {
    await conn?.end();
  }
}

export const postgresLocal = createPostgresLocal(pgPort);
