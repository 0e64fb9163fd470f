import type { LocalPostgres } from '../../adapters/local-postgres.js';
import { pgPort } from '../../adapters/pg-port.js';
import type { PgPort } from '../../ports/pg.js';
import { formatDuration } from '../../util/duration.js';
import * as z from '../../util/zod.js';
import { arg } from '../args.js';
import { describeTarget, failure } from '../postgres/common.js';
import { createDatabase, startScratchServer } from '../postgres/local.js';
import { parseBackupUri } from '../postgres/restore.js';
import type { FingerprintMethod, TableFingerprint } from '../postgres/fingerprint-core.js';
import type { ActionContext } from '../types.js';
import { ActionError, defineAction, PermanentActionError } from '../types.js';
import { parses, uriOf } from './location.js';
import type { ObjectRef } from './location.js';
import type { BackupManifest } from './manifest.js';
import { manifestKeyFor, parseManifest, readManifestText } from './manifest.js';
import type { OpenStore } from './store.js';
import { missingObject, openStore, storeFailure } from './store.js';

const NAME = 'backup.verify';

function isScratch(text: string): boolean {
  if (text === 'local') return true;
  if (!/^postgres(ql)?:\/\//i.test(text)) return false;
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
}

const verifyArgs = z.strictObject({
  /** The backup object: s3://bucket/key or file:///path (a directory-format folder, with or without its trailing /); its manifest is beside it (`<key>.manifest.json`). */
  backup: arg.text().check(z.superRefine(parses(parseBackupUri))),
  /** Where to restore it: `local` (a throw-away PostgreSQL drctl starts and removes) or a database URL. */
  scratch: arg
    .text()
    .check(
      z.refine(isScratch, { error: 'expected local (a throw-away PostgreSQL) or a postgresql://user:password@host:port/database URL' }),
    ),
  /** pg_restore's parallel jobs for custom and directory backups (default: the machine's cores). */
  jobs: z.optional(arg.integer().check(z.minimum(1, { error: 'must be at least 1' }), z.maximum(64, { error: 'must be at most 64' }))),
  /** false: a backup without a manifest is only restored (and counted), not compared. Default true. */
  require_manifest: z.optional(arg.boolean()),
  /** A scratch URL whose database has tables: drop them first (as postgres.restore's clean). Default false. */
  clean: z.optional(arg.boolean()),
});

type VerifyArgs = z.infer<typeof verifyArgs>;

/** The manifest beside the backup, or undefined when there is none. */
async function readManifest(backup: ObjectRef, ctx: ActionContext, open: OpenStore): Promise<BackupManifest | undefined> {
  const key = manifestKeyFor(backup.key);
  const where = uriOf(backup.store, key);
  let text: string;
  try {
    const store = await open(backup.store, ctx.aws);
    const { body } = await store.read(key, ctx.signal);
    text = await readManifestText(body, NAME, where, ctx.signal);
  } catch (error) {
    if (!ctx.signal.aborted && missingObject(error)) return undefined;
    throw storeFailure(NAME, where, error, ctx.signal);
  }
  return parseManifest(text, `${NAME}: ${where}`);
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Restore a backup into a scratch database (a throw-away local PostgreSQL, or a URL) with
 * postgres.restore's core, fingerprint what was restored and compare it with the manifest beside
 * the backup: the step fails naming each table that differs. A local server is stopped and its
 * folder removed when the action ends, whatever the outcome; the cleanup ledger is the net for a crash.
 */
export function createBackupVerify(port: PgPort, open: OpenStore = openStore) {
  return defineAction({
    name: NAME,
    summary: 'Restore a backup into a scratch database and check its data against the backup manifest',
    args: verifyArgs,
    outputs: ['tables', 'rows', 'differences', 'restore_s', 'summary'],
    secretArgs: ['scratch'],
    openValues: { scratch: ['local'] },
    async run(args: VerifyArgs, ctx) {
      const backup = parseBackupUri(args.backup);
      if (typeof backup === 'string') throw new PermanentActionError(`${NAME}: ${args.backup}: ${backup}`);
      const requireManifest = args.require_manifest ?? true;
      // The manifest first: without one (when it is required) nothing is started.
      const manifest = await readManifest(backup, ctx, open);
      const manifestUri = uriOf(backup.store, manifestKeyFor(backup.key));
      if (!manifest) {
        // A directory-format backup is complete before its manifest is written: without one, it may have stopped part way.
        const { partialBackup } = await import('../postgres/restore.js');
        const partial = await partialBackup(backup, ctx, open);
        if (partial) throw new PermanentActionError(`${NAME}: ${partial.uri}: ${partial.problem}; nothing was restored`);
      }
      if (!manifest && requireManifest)
        throw new PermanentActionError(
          `${NAME}: ${backup.uri}: no manifest beside the backup (${manifestUri}): nothing to compare the restored data with; with require_manifest: false the backup is only restored and counted`,
        );
      if (!manifest) ctx.log(`no manifest at ${manifestUri}: checking only that the backup restores`);

      let server: LocalPostgres | undefined;
      try {
        let url: string;
        if (args.scratch === 'local') {
          server = await startScratchServer(ctx, `${NAME}: scratch: local`);
          const database = manifest?.database || 'verify';
          url = server.url(database);
          if (database !== 'postgres') await createDatabase(port, server.url(), database, ctx, `${NAME}: the throw-away server`);
        } else {
          url = args.scratch;
        }
        const target = describeTarget(url);
        ctx.log(`restoring ${backup.uri} into ${args.scratch === 'local' ? `the throw-away server's ${target.database}` : target.label}`);
        const started = performance.now();
        const { restoreInto } = await import('../postgres/restore.js');
        const restoredObject = await restoreInto(port, backup, url, { jobs: args.jobs, clean: args.clean }, ctx, open);
        const restoreMs = performance.now() - started;
        const restore_s = Math.round(restoreMs / 100) / 10;
        ctx.log('fingerprinting the restored data');

        // Like with like: a manifest of an earlier drctl (no fingerprint_method) holds drctl-fp1 checksums.
        const method = manifest ? (manifest.fingerprint_method ?? 'drctl-fp1') : undefined;
        if (method === 'drctl-fp1')
          ctx.log(`the manifest's checksums are drctl-fp1 (an earlier drctl's): the restored data is fingerprinted the same way`);
        const tables = await fingerprint(port, url, ctx, method);
        const rows = tables.reduce((sum, t) => sum + t.rows, 0);
        const { compareFingerprints, describeDifference } = await import('../postgres/fingerprint-core.js');
        const differences = manifest ? compareFingerprints(manifest.tables, tables).map(describeDifference) : [];
        // The manifest must describe these very bytes: another dump's manifest proves nothing about this one.
        if (manifest && restoredObject.sha256 && restoredObject.sha256 !== manifest.sha256)
          differences.unshift(`the backup's sha256 is ${restoredObject.sha256}, its manifest says ${manifest.sha256}`);
        const restored = `${plural(tables.length, 'table')}, ${plural(rows, 'row')} restored in ${formatDuration(restoreMs)}`;
        const summary = !manifest
          ? `${restored}; no manifest to compare with`
          : differences.length === 0
            ? `${restored}: all match the manifest (${manifestUri})`
            : `the restored backup differs from its manifest (${manifestUri}): ${differences.join('; ')}`;
        ctx.log(summary);
        ctx.record({
          backup: backup.uri,
          manifest: manifest ? manifestUri : null,
          scratch: args.scratch === 'local' ? `local (${server!.version}, 127.0.0.1:${server!.port})` : target.label,
          format: restoredObject.format,
          bytes: restoredObject.bytes,
          sha256: restoredObject.sha256,
          restore_ms: Math.round(restoreMs),
          integrity: {
            database: manifest?.database ?? target.database,
            compared_with: manifest ? manifestUri : null,
            tables: tables.length,
            rows,
            differences,
            ok: manifest ? differences.length === 0 : null,
          },
        });
        if (differences.length) throw new PermanentActionError(`${NAME}: ${backup.uri}: ${summary}`);
        return { tables: tables.length, rows, differences: differences.length, restore_s, summary };
      } finally {
        if (server) {
          const problem = server.remove();
          ctx.log(
            problem
              ? `could not remove the throw-away server's folder ${server.dir}: ${problem}`
              : `stopped and removed the throw-away server (${server.dir})`,
          );
        }
      }
    },
  });
}

async function fingerprint(
  port: PgPort,
  url: string,
  ctx: ActionContext,
  method: FingerprintMethod | undefined,
): Promise<TableFingerprint[]> {
  const { fingerprintDatabase } = await import('../postgres/fingerprint-core.js');
  try {
    const result = await fingerprintDatabase(
      { url, port, statementTimeoutMs: ctx.timeoutMs, applicationName: `drctl ${ctx.stepId}` },
      { signal: ctx.signal, log: ctx.log, method },
    );
    return result.tables;
  } catch (error) {
    if (ctx.signal.aborted || error instanceof ActionError) throw error;
    throw failure(NAME, describeTarget(url), error, url);
  }
}

export const backupVerify = createBackupVerify(pgPort);
