import type { Readable } from 'node:stream';
import { pgPort } from '../../adapters/pg-port.js';
import type { BackupStore, ObjectInfo } from '../../ports/backup-store.js';
import type { PgPort } from '../../ports/pg.js';
import type { PipeExit, PipeProcess } from '../../adapters/pipe-process.js';
import { formatDuration } from '../../util/duration.js';
import * as z from '../../util/zod.js';
import { arg } from '../args.js';
import { parseObjectUri, parses, uriOf } from '../backup/location.js';
import type { ObjectRef } from '../backup/location.js';
import type { BackupManifest } from '../backup/manifest.js';
import { HashMeter } from '../../util/hash-meter.js';
import { formatBytes, progressReporter, rate } from '../backup/progress.js';
import type { OpenStore } from '../backup/store.js';
import { openStore, storeFailure } from '../backup/store.js';
import type { ActionContext } from '../types.js';
import { ActionError, defineAction, PermanentActionError } from '../types.js';
import type { PgTarget } from './common.js';
import { describeTarget, failure, openConnection, runQuery, urlArg } from './common.js';
import { quoteIdent } from './fingerprint-core.js';

const NAME = 'postgres.restore';

/** How often a progress line is written while a restore runs. */
const PROGRESS_EVERY_MS = 5_000;
/** Ranged reads that fill the file a custom-format restore needs: parts of this size, this many at once. */
const PART_SIZE = 8 * 1024 * 1024;
const PARTS_AT_ONCE = 6;

export type DumpFormat = 'plain' | 'plain-gzip' | 'custom' | 'directory';

/** A backup: `folder` when its URI ends in / (as backup.latest gives a directory-format backup). */
export type BackupRef = ObjectRef & { folder?: boolean };

/**
 * A backup's URI without a trailing slash: a directory-format backup is a folder, named like a file.
 * A trailing slash names the folder: on S3, where an object and a folder may share a name, its
 * objects are restored before an object of that name.
 */
export function parseBackupUri(text: string): BackupRef | string {
  const folder = text.length > 1 && text.endsWith('/');
  const ref = parseObjectUri(folder ? text.replace(/\/+$/, '') : text);
  return typeof ref === 'string' || !folder ? ref : { ...ref, folder: true };
}

const postgresRestoreArgs = z.strictObject({
  /** The database to restore into: postgresql://user:password@host:port/database (a secret). */
  url: urlArg(),
  /** The backup: s3://bucket/key or file:///path (a file, or a directory-format folder). */
  from: arg.text().check(z.superRefine(parses(parseBackupUri))),
  /** Restore into a database that already has tables: their schemas are dropped and recreated first. */
  clean: z.optional(arg.boolean()),
  /** Objects belong to the user that restores them, not to the roles named in the dump (default true). */
  no_owner: z.optional(arg.boolean()),
  /** The role to restore as (SET ROLE): the objects are created by it. */
  role: z.optional(arg.text()),
  /** pg_restore's parallel jobs for custom and directory dumps (default: the machine's cores). */
  jobs: z.optional(arg.integer().check(z.minimum(1, { error: 'must be at least 1' }), z.maximum(64, { error: 'must be at most 64' }))),
  /** A plain dump is restored and checked in its transaction, then rolled back: a rehearsal that leaves the database as it was. */
  rollback: z.optional(arg.boolean()),
});

type RestoreArgs = z.infer<typeof postgresRestoreArgs>;

/** Tables in the database outside PostgreSQL's own schemas. */
const USER_TABLES_SQL = `SELECT count(*)::int AS n FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace s ON s.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND s.nspname !~ '^pg_' AND s.nspname <> 'information_schema'`;

/**
 * `clean: true` for a plain dump, inside the restore's transaction (so a failed restore leaves the
 * old data as it was): every schema outside PostgreSQL's own is dropped with what it holds, and
 * `public` is made again as a new database has it (owned by pg_database_owner, usable by all).
 */
const CLEAN_SQL = `DO $drctl_clean$
DECLARE s name;
BEGIN
  FOR s IN SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema' LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', s);
  END LOOP;
  CREATE SCHEMA public;
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'pg_database_owner') THEN
    BEGIN
      ALTER SCHEMA public OWNER TO pg_database_owner;
    EXCEPTION WHEN insufficient_privilege THEN NULL;
    END;
  END IF;
  GRANT USAGE ON SCHEMA public TO PUBLIC;
END
$drctl_clean$;
`;

/** A libpq connection string naming just the database (the rest comes from libpq's environment). */
function dbnameConninfo(database: string): string {
  return `dbname='${database.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Read the first `n` bytes of `body` and give back a stream that still starts with them. */
function peek(body: Readable, n: number): Promise<{ head: Buffer; body: Readable }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const finish = (ended: boolean): void => {
      body.off('readable', onReadable);
      body.off('end', onEnd);
      body.off('error', onError);
      const all = Buffer.concat(chunks);
      if (ended) {
        void import('node:stream').then(({ Readable: R }) => resolve({ head: all.subarray(0, n), body: R.from([all]) }), reject);
        return;
      }
      if (all.length > 0) body.unshift(all);
      resolve({ head: all.subarray(0, n), body });
    };
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while (length < n && (chunk = body.read() as Buffer | null) !== null) {
        chunks.push(chunk);
        length += chunk.length;
      }
      if (length >= n) finish(false);
    };
    const onEnd = (): void => finish(true);
    const onError = (error: Error): void => {
      body.off('readable', onReadable);
      body.off('end', onEnd);
      reject(error);
    };
    body.on('readable', onReadable);
    body.once('end', onEnd);
    body.once('error', onError);
  });
}

/** The dump's format from its first bytes; a reason when it is none drctl restores. */
export function detectFormat(head: Buffer): DumpFormat | { problem: string } {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'plain-gzip';
  if (head.subarray(0, 5).toString('latin1') === 'PGDMP') return 'custom';
  if (head.length === 0) return { problem: 'the backup is empty' };
  if (head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar')
    return { problem: 'a tar-format dump: restore it with pg_restore by hand, or back up in custom, directory or plain format' };
  // Plain SQL: text, without the control bytes a binary file has.
  for (const byte of head)
    if (byte < 0x09 || (byte > 0x0d && byte < 0x20 && byte !== 0x1b))
      return { problem: 'not a dump drctl knows (neither plain SQL, gzip, custom nor directory format)' };
  return 'plain';
}

/** The lines of psql's or pg_restore's stderr that say what failed. */
function errorLines(lines: string[]): string {
  const errors = lines.filter((line) => /\b(ERROR|FATAL|PANIC|error|fatal):/.test(line));
  const picked = (errors.length > 0 ? errors.slice(0, 2) : lines.slice(-2)).map((line) => line.replace(/\s+/g, ' ').trim());
  return picked.join('; ') || 'no message';
}

interface Restored {
  format: DumpFormat;
  bytes: number;
  sha256: string | null;
  expected: string | undefined;
  source: string | undefined;
  tables: number;
  rows?: number | undefined;
}

/**
 * Restore a pg_dump backup into a database. A plain dump (gzipped or not) streams from the store
 * through gunzip and a guard into psql: one transaction that is committed only when the dump is
 * complete and the object's size and sha256 match. A custom dump is downloaded (ranged reads in
 * parallel) to a private temporary file and restored by `pg_restore -j`; a directory dump (file://)
 * is restored where it is.
 */
export function createPostgresRestore(port: PgPort, open: OpenStore = openStore) {
  return defineAction({
    name: NAME,
    summary: 'Restore a pg_dump backup (plain, gzip, custom or directory) from S3 or a file',
    args: postgresRestoreArgs,
    outputs: ['format', 'bytes', 'duration_s', 'tables', 'sha256'],
    secretArgs: ['url'],
    async run(args, ctx) {
      const from = parseBackupUri(args.from);
      if (typeof from === 'string') throw new PermanentActionError(`${NAME}: ${args.from}: ${from}`);
      const restored = await restoreInto(port, from, args.url, args, ctx, open);
      return {
        format: restored.format,
        bytes: restored.bytes,
        duration_s: restored.duration_s,
        tables: restored.tables,
        sha256: restored.sha256,
      };
    },
  });
}

/** What a restore did: postgres.restore's outputs, and the rows a plain dump held. */
export interface RestoreResult {
  format: DumpFormat;
  bytes: number;
  duration_s: number;
  tables: number;
  /** The object's sha256 (null for a directory-format folder). */
  sha256: string | null;
  rows: number | null;
}

export type RestoreOptions = Omit<RestoreArgs, 'url' | 'from'>;

/**
 * postgres.restore's work, for the actions that restore a backup as part of theirs (backup.verify):
 * refuse a non-empty target unless `clean`, restore, log and journal what was done.
 */
export async function restoreInto(
  port: PgPort,
  from: ObjectRef,
  url: string,
  options: RestoreOptions,
  ctx: ActionContext,
  open: OpenStore = openStore,
): Promise<RestoreResult> {
  const args: RestoreArgs = { ...options, url, from: from.uri };
  const target = describeTarget(url);
  const started = performance.now();
  // The backup is opened while the target is checked; a refused target closes it unread.
  const opening = openSource(from, ctx, open);
  opening.catch(() => undefined);
  try {
    await refuseNonEmpty(port, args, target, ctx);
  } catch (error) {
    void opening.then(
      (source) => (source.kind === 'object' ? source.body.destroy() : undefined),
      () => undefined,
    );
    throw error;
  }
  const source = await opening;
  const { libpqHandover } = await import('../../util/libpq-passfile.js');
  let handover;
  try {
    handover = libpqHandover(url, { ...(process.env as Record<string, string>) });
  } catch (error) {
    if (source.kind === 'object') source.body.destroy();
    throw new PermanentActionError(`${NAME}: ${target.label}: ${(error as Error).message}`);
  }
  let restored: Restored;
  try {
    restored = await restore(args, from, source, target, handover.env, ctx);
  } finally {
    handover.close();
  }
  const elapsedMs = performance.now() - started;
  const durationS = Math.round(elapsedMs / 100) / 10;
  const verified =
    restored.expected !== undefined
      ? `sha256 verified (${restored.source})`
      : restored.format === 'directory'
        ? 'no sha256 recorded for its files'
        : 'the object carries no sha256';
  ctx.log(
    `${args.rollback ? 'rehearsed' : 'restored'} ${from.uri}${restored.format === 'directory' ? '/' : ''} (${restored.format}, ${formatBytes(restored.bytes)}) into ${target.label}: ${restored.tables} table${restored.tables === 1 ? '' : 's'}${restored.rows !== undefined ? `, ${restored.rows} rows` : ''} in ${formatDuration(elapsedMs)}${args.rollback ? ', then rolled back (the database is as it was)' : ''}; ${verified}`,
  );
  ctx.record({
    uri: from.uri,
    host: target.host,
    port: target.port,
    database: target.database,
    format: restored.format,
    bytes: restored.bytes,
    sha256: restored.sha256,
    expected_sha256: restored.expected ?? null,
    sha256_source: restored.source ?? null,
    tables: restored.tables,
    rows: restored.rows ?? null,
    clean: args.clean ?? false,
    rollback: args.rollback ?? false,
    no_owner: args.no_owner ?? true,
    role: args.role ?? null,
    duration_ms: Math.round(elapsedMs),
  });
  return {
    format: restored.format,
    bytes: restored.bytes,
    duration_s: durationS,
    tables: restored.tables,
    sha256: restored.sha256,
    rows: restored.rows ?? null,
  };
}

/** Refuse a target that has tables of its own, unless `clean`. */
async function refuseNonEmpty(port: PgPort, args: RestoreArgs, target: PgTarget, ctx: ActionContext): Promise<void> {
  let conn;
  try {
    conn = await openConnection(port, args.url, ctx);
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    throw failure(NAME, target, error, args.url);
  }
  let tables: number;
  try {
    const result = await runQuery(port, conn, args.url, USER_TABLES_SQL, ctx);
    tables = Number(result.rows[0]?.n ?? 0);
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    throw failure(NAME, target, error, args.url);
  } finally {
    await conn.end();
  }
  if (tables > 0 && !args.clean)
    throw new PermanentActionError(
      `${NAME}: ${target.label}: the database is not empty (${tables} table${tables === 1 ? '' : 's'}): restore into an empty database, or set clean: true to replace what is there`,
    );
  if (tables > 0)
    ctx.log(
      `${target.label} has ${tables} table${tables === 1 ? '' : 's'}: clean: true ${args.rollback ? 'drops them in the transaction that is rolled back' : 'replaces them'}`,
    );
}

/** One file of a directory-format backup's folder. */
interface FolderFile {
  name: string;
  size: number;
}

/**
 * The backup, opened: a directory-format folder (its files, as listed), or an object with its
 * format told by its first bytes.
 */
type Source =
  | { kind: 'directory'; store: BackupStore; files: FolderFile[] }
  | { kind: 'object'; store: BackupStore; info: ObjectInfo; body: Readable; format: DumpFormat };

/** A folder's files: a directory-format backup is complete with its toc.dat (src/actions/backup/directory.ts), and refused without it. */
async function folderSource(from: ObjectRef, store: BackupStore, files: FolderFile[]): Promise<Source> {
  const { isDumpFileName, partialProblem } = await import('../backup/directory.js');
  const names = files.map((f) => f.name);
  if (!names.some(isDumpFileName))
    throw new PermanentActionError(`${NAME}: ${from.uri}: a folder without toc.dat: not a directory-format dump`);
  const problem = partialProblem(names);
  if (problem !== undefined) throw new PartialBackup(`${from.uri}/`, problem);
  return { kind: 'directory', store, files };
}

/** A directory-format backup that stopped part way: refused. */
export class PartialBackup extends PermanentActionError {
  constructor(
    readonly uri: string,
    readonly problem: string,
  ) {
    super(`${NAME}: ${uri}: ${problem}; nothing was restored`);
  }
}

/**
 * The partial directory-format backup at `from`, or undefined when it is complete or no folder
 * (whatever else is wrong with it, restoring it says).
 */
export async function partialBackup(from: ObjectRef, ctx: ActionContext, open: OpenStore = openStore): Promise<PartialBackup | undefined> {
  try {
    const source = await openSource(from, ctx, open);
    if (source.kind === 'object') source.body.destroy();
    return undefined;
  } catch (error) {
    if (error instanceof PartialBackup) return error;
    if (ctx.signal.aborted) throw error;
    return undefined;
  }
}

/** The objects directly in the S3 folder `<key>/` (every page of the listing). */
async function listFolder(store: BackupStore, key: string, signal: AbortSignal): Promise<FolderFile[]> {
  const prefix = `${key}/`;
  const files: FolderFile[] = [];
  let token: string | undefined;
  do {
    const page = await store.listPage(prefix, token, signal);
    for (const object of page.objects) {
      const name = object.key.slice(prefix.length);
      if (name && !name.includes('/')) files.push({ name, size: object.size });
    }
    token = page.next;
  } while (token !== undefined);
  return files;
}

/** Open the backup and read its first bytes (while the target is being checked: a restore starts sooner). */
async function openSource(from: ObjectRef, ctx: ActionContext, open: OpenStore): Promise<Source> {
  let store: BackupStore;
  try {
    store = await open(from.store, ctx.aws);
  } catch (error) {
    throw storeFailure(NAME, from.uri, error, ctx.signal);
  }
  if (from.store.scheme === 'file') {
    const { readdir, stat } = await import('node:fs/promises');
    const info = await stat(from.key).catch((error: unknown) => {
      throw storeFailure(NAME, from.uri, error, ctx.signal);
    });
    if (info.isDirectory()) {
      const files: FolderFile[] = [];
      for (const entry of await readdir(from.key, { withFileTypes: true })) {
        const file = entry.isFile() || entry.isSymbolicLink() ? await stat(`${from.key}/${entry.name}`).catch(() => undefined) : undefined;
        if (file?.isFile()) files.push({ name: entry.name, size: file.size });
      }
      return folderSource(from, store, files);
    }
  }
  // A folder named with its trailing / (backup.latest's uri for a directory-format backup): its
  // objects, not an object of the same name beside it; an empty folder falls back to the object.
  const folderFiles = async (): Promise<FolderFile[]> => {
    try {
      return await listFolder(store, from.key, ctx.signal);
    } catch (listError) {
      throw storeFailure(NAME, `${from.uri}/`, listError, ctx.signal);
    }
  };
  const namedAsFolder = (from as BackupRef).folder === true && from.store.scheme === 's3';
  if (namedAsFolder) {
    const files = await folderFiles();
    if (files.length > 0) return folderSource(from, store, files);
  }
  let opened: { info: ObjectInfo; body: Readable };
  try {
    opened = await store.read(from.key, ctx.signal);
  } catch (error) {
    if (ctx.signal.aborted || from.store.scheme === 'file') throw storeFailure(NAME, from.uri, error, ctx.signal);
    const { missingObject } = await import('../backup/store.js');
    if (!missingObject(error)) throw storeFailure(NAME, from.uri, error, ctx.signal);
    // No such object: a directory-format backup is the objects under `<key>/` (already listed, and
    // empty, when the URI named a folder).
    const files = namedAsFolder ? [] : await folderFiles();
    if (files.length === 0) throw storeFailure(NAME, from.uri, error, ctx.signal);
    return folderSource(from, store, files);
  }
  let peeked;
  try {
    peeked = await peek(opened.body, 512);
  } catch (error) {
    opened.body.destroy();
    throw storeFailure(NAME, from.uri, error, ctx.signal);
  }
  const format = detectFormat(peeked.head);
  if (typeof format !== 'string') {
    peeked.body.destroy();
    throw new PermanentActionError(`${NAME}: ${from.uri}: ${format.problem}`);
  }
  return { kind: 'object', store, info: opened.info, body: peeked.body, format };
}

async function restore(
  args: RestoreArgs,
  from: ObjectRef,
  source: Source,
  target: PgTarget,
  env: Record<string, string>,
  ctx: ActionContext,
): Promise<Restored> {
  if (source.kind === 'directory') {
    if (args.rollback)
      throw new PermanentActionError(
        `${NAME}: ${from.uri}/: rollback: true applies to plain dumps only (pg_restore commits a directory dump as it goes); nothing was restored`,
      );
    return restoreDirectory(args, from, source, target, env, ctx);
  }
  const { store, info, body, format } = source;
  if (args.rollback && format !== 'plain' && format !== 'plain-gzip') {
    body.destroy();
    throw new PermanentActionError(
      `${NAME}: ${from.uri}: rollback: true applies to plain dumps only (pg_restore commits a ${format} dump as it goes); nothing was restored`,
    );
  }
  ctx.log(`restoring ${from.uri} (${format}, ${formatBytes(info.size)}) into ${target.label}`);
  if (format === 'plain' || format === 'plain-gzip') return restorePlain(args, from, format, info, body, target, env, ctx);
  return restoreCustom(args, from, store, info, body, target, env, ctx);
}

/** A size-and-sha256 objection, or undefined when the bytes read are the object's. */
function objectProblem(meter: { bytes: number; digest(): string }, info: ObjectInfo): { problem?: string; sha256: string } {
  if (meter.bytes !== info.size)
    return {
      sha256: '',
      problem: `read ${meter.bytes} bytes, the object has ${info.size}: ${meter.bytes < info.size ? 'the read was cut short' : 'the object changed while it was read'}`,
    };
  const sha256 = meter.digest();
  if (info.sha256 !== undefined && sha256 !== info.sha256)
    return {
      sha256,
      problem: `sha256 mismatch: the object's ${info.sha256Source ?? 'sha256'} is ${info.sha256}, the bytes read hash to ${sha256}`,
    };
  return { sha256 };
}

async function restorePlain(
  args: RestoreArgs,
  from: ObjectRef,
  format: 'plain' | 'plain-gzip',
  info: ObjectInfo,
  body: Readable,
  target: PgTarget,
  env: Record<string, string>,
  ctx: ActionContext,
): Promise<Restored> {
  const { pipeline } = await import('node:stream/promises');
  const { startPipeProcess } = await import('../../adapters/pipe-process.js');
  const { DumpGuard, DumpRefused } = await import('./restore-guard.js');
  const meter = new HashMeter();
  let sha256 = '';
  // A dump is data, never a script: \restrict stops psql from running any backslash command a
  // tampered dump holds (\! runs a shell command) from here on. Older psql has no \restrict.
  const restrict = await restrictLine();
  if (restrict === undefined)
    ctx.log(
      `${NAME}: this psql cannot refuse the backslash commands a dump may hold (\\! runs a shell command): trust only backups you made, or install psql 17.6, 16.10, 15.14, 14.19, 13.22 or later`,
    );
  // The transaction is sealed with a key the dump cannot know: a dump that ends it itself (a COMMIT,
  // END or ROLLBACK of its own, which pg_dump never writes) loses the key, and the check before the
  // final COMMIT fails, so the step cannot report a restore in one transaction that was not.
  const { randomBytes } = await import('node:crypto');
  const seal = randomBytes(16).toString('hex');
  const prelude = [
    restrict ?? '',
    'BEGIN;',
    `SET LOCAL ${SEAL_SETTING} = '${seal}';`,
    args.role !== undefined ? `SET ROLE ${quoteIdent(args.role)};` : '',
    args.clean ? CLEAN_SQL : '',
  ]
    .filter(Boolean)
    .join('\n');
  const guard = new DumpGuard({
    prelude: `${prelude}\n`,
    stripOwner: args.no_owner ?? true,
    beforeCommit() {
      const checked = objectProblem(meter, info);
      sha256 = checked.sha256;
      return checked.problem;
    },
    rollback: args.rollback ?? false,
    // concat() keeps the cast from being folded at planning time, where it would fail whatever the WHERE says.
    seal: `SELECT CAST(concat('${TRANSACTION_ENDED}', current_setting('${SEAL_SETTING}', true)) AS integer) WHERE current_setting('${SEAL_SETTING}', true) IS DISTINCT FROM '${seal}';\n`,
  });
  // psql runs the dump as it arrives; the guard alone sends COMMIT. -X: no ~/.psqlrc.
  const psql = startPipeProcess('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1'], { env, stdin: 'pipe' });
  const stages: Array<NodeJS.ReadableStream | NodeJS.WritableStream | NodeJS.ReadWriteStream> = [body, meter];
  if (format === 'plain-gzip') {
    const { createGunzip } = await import('node:zlib');
    stages.push(createGunzip({ chunkSize: 256 * 1024 }));
  }
  stages.push(guard, psql.child.stdin!);
  const started = performance.now();
  const timer = setInterval(() => {
    const t = performance.now() - started;
    const read =
      info.size > 0
        ? `${Math.floor((meter.bytes * 100) / info.size)}% read (${formatBytes(meter.bytes)} of ${formatBytes(info.size)}, ${rate(meter.bytes, t)})`
        : `${formatBytes(meter.bytes)} read (${rate(meter.bytes, t)})`;
    ctx.log(
      `restoring ${from.uri}: ${read}, ${guard.rows} rows into ${guard.tables} table${guard.tables === 1 ? '' : 's'}, ${formatDuration(t)}`,
    );
  }, PROGRESS_EVERY_MS);
  timer.unref();
  let streamError: unknown;
  // An interruption does not wait for the streams to close (a read may be blocked on a slow source):
  // psql is stopped at once, and the streams finish closing behind.
  let onAbort: (() => void) | undefined;
  const interrupted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(ctx.signal.reason as Error);
    if (ctx.signal.aborted) onAbort();
    else ctx.signal.addEventListener('abort', onAbort, { once: true });
  });
  const flowing = pipeline(stages, { signal: ctx.signal });
  flowing.catch(() => undefined);
  interrupted.catch(() => undefined);
  try {
    await Promise.race([flowing, interrupted]);
  } catch (error) {
    streamError = error;
  } finally {
    clearInterval(timer);
    if (onAbort) ctx.signal.removeEventListener('abort', onAbort);
  }
  if (streamError !== undefined) {
    // psql's input ended (or ends now) inside the open transaction: the server rolls it back.
    // Interrupted, psql first asks the server to cancel the statement it is running.
    await psql.stop({ interruptFirst: ctx.signal.aborted });
    if (ctx.signal.aborted) throw ctx.signal.reason as Error;
    const exit = await psql.exited;
    if (streamError instanceof DumpRefused)
      throw new ActionError(`${NAME}: ${from.uri}: ${streamError.message}; nothing was committed`, { permanent: true });
    if (exit.code !== null && exit.code !== 0)
      throw new ActionError(
        `${NAME}: ${target.label}: psql (exit ${exit.code}): ${errorLines(psql.stderrLines())}; ${uncommitted(guard)}`,
        {
          permanent: true,
        },
      );
    const e = streamError as { code?: unknown; message?: string };
    if (typeof e.code === 'string' && e.code.startsWith('Z_'))
      throw new ActionError(`${NAME}: ${from.uri}: the gzip stream is damaged (${e.message ?? e.code}); nothing was committed`, {
        permanent: true,
      });
    const failed = storeFailure(NAME, from.uri, streamError, ctx.signal);
    throw new ActionError(`${failed.message}; nothing was committed`, { permanent: (failed as ActionError).permanent ?? false });
  }
  // The whole dump is with psql, which may still be building indexes: an interruption stops it
  // there too, and the transaction that has not reached its COMMIT is rolled back.
  const exit = await untilExitOrAbort(psql, ctx.signal);
  // The seal's error, or (a dump that copied the seal's key to its session before ending the
  // transaction) the server's warning that drctl's own COMMIT or ROLLBACK found no transaction.
  const ended = (line: string): boolean => line.includes(TRANSACTION_ENDED) || (exit.code === 0 && line.includes(NO_TRANSACTION));
  if (exit.code !== null && psql.stderrLines().some(ended))
    throw new ActionError(
      `${NAME}: ${from.uri}: the dump ended drctl's transaction itself (a COMMIT, END or ROLLBACK of its own, which pg_dump never writes): what ran before that point was committed, what came after was not; check ${target.label} before trusting it`,
      { permanent: true },
    );
  if (exit.code !== 0) {
    const how = exit.code === null ? `ended by ${exit.signal ?? 'a signal'}` : `exit ${exit.code}`;
    throw new ActionError(`${NAME}: ${target.label}: psql (${how}): ${errorLines(psql.stderrLines())}; ${uncommitted(guard)}`, {
      permanent: true,
    });
  }
  return { format, bytes: meter.bytes, sha256, expected: info.sha256, source: info.sha256Source, tables: guard.tables, rows: guard.rows };
}

/** What a failed plain restore left: nothing, unless the dump may have ended drctl's transaction itself. */
function uncommitted(guard: { ownEnd: string | undefined }): string {
  return guard.ownEnd === undefined
    ? 'nothing was committed'
    : `the dump holds a transaction end of its own ("${guard.ownEnd.slice(0, 40)}"), so what ran before it may have been committed`;
}

/** A setting of the restore's own transaction: SET LOCAL, it is gone once that transaction ends. */
const SEAL_SETTING = 'drctl.restore_seal';
/** The error the seal's check raises (psql names it in its error line), so the step can say what happened. */
const TRANSACTION_ENDED = 'drctl: the dump ended the restore transaction before drctl did';
/** PostgreSQL's warning for a COMMIT or ROLLBACK sent outside a transaction. */
const NO_TRANSACTION = 'there is no transaction in progress';

/** The first minor release of each major version whose psql has \restrict. */
const RESTRICT_SINCE: Record<number, number> = { 13: 22, 14: 19, 15: 14, 16: 10, 17: 6 };

/** `\restrict <random key>` when this machine's psql knows it, else undefined. */
async function restrictLine(): Promise<string | undefined> {
  const { execFile } = await import('node:child_process');
  const { randomBytes } = await import('node:crypto');
  const version = await new Promise<string>((resolve) =>
    execFile('psql', ['--version'], { timeout: 10_000 }, (error, stdout) => resolve(error ? '' : stdout)),
  );
  const match = /\(PostgreSQL\) (\d+)\.(\d+)/.exec(version);
  if (!match) return undefined;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  const since = RESTRICT_SINCE[major];
  const supported = major >= 18 || (since !== undefined && minor >= since);
  return supported ? `\\restrict ${randomBytes(24).toString('hex')}` : undefined;
}

/** psql's (or pg_restore's) exit, or, when the run is interrupted first, it stopped and the interruption thrown. */
async function untilExitOrAbort(psql: PipeProcess, signal: AbortSignal): Promise<PipeExit> {
  if (signal.aborted) {
    await psql.stop({ interruptFirst: true });
    throw signal.reason as Error;
  }
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<'aborted'>((resolve) => {
    onAbort = () => resolve('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const first = await Promise.race([psql.exited, aborted]);
    if (first !== 'aborted') return first;
    // As Ctrl-C would: psql and pg_restore ask the server to cancel what runs there before they go.
    await psql.stop({ interruptFirst: true });
    throw signal.reason as Error;
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}

/** A custom dump: to a private temporary file (ranged reads where the store has them), then pg_restore. */
async function restoreCustom(
  args: RestoreArgs,
  from: ObjectRef,
  store: BackupStore,
  info: ObjectInfo,
  body: Readable,
  target: PgTarget,
  env: Record<string, string>,
  ctx: ActionContext,
): Promise<Restored> {
  if (from.store.scheme === 'file') {
    // pg_restore reads the file where it is; its sha256 is worked out alongside, for the outputs.
    body.destroy();
    const { createReadStream } = await import('node:fs');
    const { pipeline } = await import('node:stream/promises');
    const meter = new HashMeter();
    const hashing = pipeline(createReadStream(from.key, { highWaterMark: 1024 * 1024 }), meter, async (source: AsyncIterable<Buffer>) => {
      for await (const _ of source) void _;
    });
    const tables = await runPgRestore(args, from.key, 'custom', target, env, ctx);
    await hashing.catch((error: unknown) => {
      throw storeFailure(NAME, from.uri, error, ctx.signal);
    });
    return { format: 'custom', bytes: meter.bytes, sha256: meter.digest(), expected: undefined, source: undefined, tables };
  }
  const { mkdtemp, chmod, lstat, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const folder = await mkdtemp(join(tmpdir(), 'drctl-restore-'));
  try {
    await chmod(folder, 0o700);
    const made = await lstat(folder);
    ctx.cleanup({ path: folder, kind: 'dir', keep: false, dev: made.dev, ino: made.ino });
    const file = join(folder, 'dump.custom');
    const sha256 = await download(from, store, info, body, file, ctx);
    const tables = await runPgRestore(args, file, 'custom', target, env, ctx);
    return { format: 'custom', bytes: info.size, sha256, expected: info.sha256, source: info.sha256Source, tables };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** A directory-format backup's files downloaded at once from S3, and the ranged reads each may make (memory stays bounded). */
const FILES_AT_ONCE = 3;
const FILE_PARTS_AT_ONCE = 2;

/** The manifest beside a backup, or undefined when it has none. */
async function manifestBeside(
  store: BackupStore,
  from: ObjectRef,
  ctx: ActionContext,
): Promise<{ manifest: BackupManifest; uri: string } | undefined> {
  const { manifestKeyFor, parseManifest, readManifestText } = await import('../backup/manifest.js');
  const { missingObject } = await import('../backup/store.js');
  const key = manifestKeyFor(from.key);
  const uri = uriOf(from.store, key);
  let text: string;
  try {
    const { body } = await store.read(key, ctx.signal);
    text = await readManifestText(body, NAME, uri, ctx.signal);
  } catch (error) {
    if (!ctx.signal.aborted && missingObject(error)) return undefined;
    throw storeFailure(NAME, uri, error, ctx.signal);
  }
  return { manifest: parseManifest(text, `${NAME}: ${uri}`), uri };
}

/**
 * A directory-format backup: each file's sha256 checked against what the backup recorded (its
 * manifest's list of files; on S3 also each object's sha256 tag) before pg_restore -j reads any.
 * A file:// folder is hashed and restored where it is; an S3 folder is downloaded into a private
 * temporary folder (on the cleanup ledger), several files at once, a large one by ranged reads.
 */
async function restoreDirectory(
  args: RestoreArgs,
  from: ObjectRef,
  source: Extract<Source, { kind: 'directory' }>,
  target: PgTarget,
  env: Record<string, string>,
  ctx: ActionContext,
): Promise<Restored> {
  const { folderDigest, isDumpFileName } = await import('../backup/directory.js');
  const beside = await manifestBeside(source.store, from, ctx);
  const recorded = beside?.manifest.files;
  const folderUri = `${from.uri}/`;
  const listed = new Map(source.files.map((f) => [f.name, f]));
  if (recorded) {
    const missing = recorded.filter((f) => !listed.has(f.name)).map((f) => f.name);
    if (missing.length > 0)
      throw new PermanentActionError(
        `${NAME}: ${folderUri}: ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''} listed in its manifest (${beside!.uri}) but not in the folder; nothing was restored`,
      );
  }
  // pg_restore reads only pg_dump's files: with a manifest, exactly those it lists.
  const wanted: FolderFile[] = recorded ? recorded.map((f) => listed.get(f.name)!) : source.files.filter((f) => isDumpFileName(f.name));
  const total = wanted.reduce((sum, f) => sum + f.size, 0);
  ctx.log(
    `restoring ${folderUri} (directory, ${wanted.length} file${wanted.length === 1 ? '' : 's'}, ${formatBytes(total)}) into ${target.label}`,
  );
  const { mkdtemp, chmod, lstat, rm } = await import('node:fs/promises');
  let folder: string | undefined;
  try {
    let checked: Array<{ name: string; sha256: string; tagged: boolean }>;
    if (from.store.scheme === 'file') {
      checked = await hashFolder(from.key, wanted, ctx);
    } else {
      const { tmpdir } = await import('node:os');
      const { join } = await import('node:path');
      folder = await mkdtemp(join(tmpdir(), 'drctl-restore-'));
      await chmod(folder, 0o700);
      const made = await lstat(folder);
      ctx.cleanup({ path: folder, kind: 'dir', keep: false, dev: made.dev, ino: made.ino });
      checked = await downloadFolder(from, source.store, wanted, total, folder, ctx);
    }
    if (recorded) {
      const bySha = new Map(checked.map((f) => [f.name, f.sha256]));
      for (const file of recorded) {
        const actual = bySha.get(file.name);
        if (actual !== file.sha256)
          throw new PermanentActionError(
            `${NAME}: ${folderUri}${file.name}: sha256 mismatch: its manifest (${beside!.uri}) records ${file.sha256}, the bytes read hash to ${actual}; nothing was restored`,
          );
      }
    }
    const tables = await runPgRestore(args, folder ?? from.key, 'directory', target, env, ctx);
    const sha256 = folderDigest(checked);
    const tagged = from.store.scheme === 's3' && checked.length > 0 && checked.every((f) => f.tagged);
    return {
      format: 'directory',
      bytes: total,
      sha256,
      expected: recorded ? folderDigest(recorded) : tagged ? sha256 : undefined,
      source: recorded ? `each file's, as its manifest records them` : tagged ? `each file's sha256 tag` : undefined,
      tables,
    };
  } finally {
    if (folder !== undefined) await rm(folder, { recursive: true, force: true });
  }
}

/** The sha256 of each file of a local folder (two at once). */
async function hashFolder(
  dir: string,
  files: FolderFile[],
  ctx: ActionContext,
): Promise<Array<{ name: string; sha256: string; tagged: boolean }>> {
  const { createReadStream } = await import('node:fs');
  const { sha256Hash } = await import('../../util/sha256.js');
  const queue = [...files];
  const hashed: Array<{ name: string; sha256: string; tagged: boolean }> = [];
  const worker = async (): Promise<void> => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      const hash = sha256Hash();
      try {
        for await (const chunk of createReadStream(`${dir}/${file.name}`, {
          signal: ctx.signal,
          highWaterMark: 1024 * 1024,
        }) as AsyncIterable<Buffer>)
          hash.update(chunk);
      } catch (error) {
        throw storeFailure(NAME, `file://${dir}/${file.name}`, error, ctx.signal);
      }
      hashed.push({ name: file.name, sha256: hash.digest('hex'), tagged: false });
    }
  };
  await Promise.all(Array.from({ length: Math.min(2, files.length) }, worker));
  return hashed;
}

/**
 * Download an S3 folder's files into `folder`: FILES_AT_ONCE at a time, each hashed and checked
 * against its sha256 tag by `download`; one progress line for the whole folder. The first failure
 * stops the other downloads.
 */
async function downloadFolder(
  from: ObjectRef,
  store: BackupStore,
  files: FolderFile[],
  total: number,
  folder: string,
  ctx: ActionContext,
): Promise<Array<{ name: string; sha256: string; tagged: boolean }>> {
  const { join } = await import('node:path');
  const progress = progressReporter(ctx.log, 'downloading', `${from.uri}/`, total);
  const stop = new AbortController();
  const signal = AbortSignal.any([ctx.signal, stop.signal]);
  const fileCtx: ActionContext = { ...ctx, signal };
  let received = 0;
  const shared = {
    received(bytes: number): void {
      received += bytes;
      progress.update(received);
    },
    partsAtOnce: FILE_PARTS_AT_ONCE,
  };
  const queue = [...files];
  const done: Array<{ name: string; sha256: string; tagged: boolean }> = [];
  const worker = async (): Promise<void> => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      signal.throwIfAborted();
      const key = `${from.key}/${file.name}`;
      const ref: ObjectRef = { store: from.store, key, uri: uriOf(from.store, key) };
      let opened: { info: ObjectInfo; body: Readable };
      try {
        opened = await store.read(key, signal);
      } catch (error) {
        throw storeFailure(NAME, ref.uri, error, signal);
      }
      const sha256 = await download(ref, store, opened.info, opened.body, join(folder, file.name), fileCtx, shared);
      done.push({ name: file.name, sha256, tagged: opened.info.sha256 !== undefined });
    }
  };
  const settled = await Promise.allSettled(
    Array.from({ length: Math.min(FILES_AT_ONCE, files.length) }, () =>
      worker().catch((error: unknown) => {
        if (!stop.signal.aborted) stop.abort(error);
        throw error;
      }),
    ),
  );
  if (ctx.signal.aborted) throw ctx.signal.reason as Error;
  if (settled.some((r) => r.status === 'rejected')) throw stop.signal.reason as Error;
  ctx.log(
    `downloaded ${files.length} file${files.length === 1 ? '' : 's'} (${formatBytes(total)}) in ${formatDuration(progress.elapsedMs())} (${rate(total, progress.elapsedMs())})`,
  );
  return done;
}

/**
 * Fill `file` (created 0600) with the object: ranged reads, several at once, where the store has
 * them, else the open stream. The file is hashed in order as its parts land; a size or sha256
 * mismatch fails before pg_restore starts. Returns the sha256.
 */
async function download(
  from: ObjectRef,
  store: BackupStore,
  info: ObjectInfo,
  body: Readable,
  file: string,
  ctx: ActionContext,
  /** One file of several (a directory-format backup): its bytes counted by `received`, no line of its own; `partsAtOnce` ranged reads at most. */
  shared?: { received(bytes: number): void; partsAtOnce: number },
): Promise<string> {
  const { open } = await import('node:fs/promises');
  const progress = shared ? { update: () => {}, elapsedMs: () => 0 } : progressReporter(ctx.log, 'downloading', from.uri, info.size);
  const partsAtOnce = shared?.partsAtOnce ?? PARTS_AT_ONCE;
  const handle = await open(file, 'wx+', 0o600);
  // On the cleanup ledger before any byte lands: after a kill -9 its folder can go only once it is empty.
  try {
    const made = await handle.stat();
    ctx.cleanup({ path: file, kind: 'file', keep: false, dev: made.dev, ino: made.ino });
  } catch (error) {
    await handle.close();
    throw error;
  }
  const { sha256Hash } = await import('../../util/sha256.js');
  const hash = sha256Hash();
  const meter = {
    bytes: 0,
    write(chunk: Buffer): void {
      hash.update(chunk);
      this.bytes += chunk.length;
    },
    digest: () => hash.digest('hex'),
  };
  try {
    let received = 0;
    const got = (n: number): void => {
      received += n;
      progress.update(received);
      shared?.received(n);
    };
    if (store.readRange === undefined || info.size <= PART_SIZE) {
      let offset = 0;
      for await (const chunk of body as AsyncIterable<Buffer>) {
        ctx.signal.throwIfAborted();
        meter.write(chunk);
        await handle.write(chunk, 0, chunk.length, offset);
        offset += chunk.length;
        got(chunk.length);
      }
    } else {
      body.destroy();
      const readRange = store.readRange.bind(store);
      const parts = Math.ceil(info.size / PART_SIZE);
      const done: boolean[] = new Array<boolean>(parts).fill(false);
      // The first failed read stops the others (and the hasher) before the file is closed.
      const stopAll = new AbortController();
      const onAbort = (): void => stopAll.abort(ctx.signal.reason);
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      let next = 0;
      let wake: (() => void) | undefined;
      const worker = async (): Promise<void> => {
        while (next < parts && !stopAll.signal.aborted) {
          const part = next++;
          const start = part * PART_SIZE;
          const end = Math.min(info.size, start + PART_SIZE) - 1;
          let offset = start;
          const stream = await readRange(from.key, start, end, stopAll.signal);
          for await (const chunk of stream as AsyncIterable<Buffer>) {
            stopAll.signal.throwIfAborted();
            await handle.write(chunk, 0, chunk.length, offset);
            offset += chunk.length;
            got(chunk.length);
          }
          if (offset !== end + 1)
            throw new ActionError(
              `${NAME}: ${from.uri}: bytes ${start}-${end} came back ${offset - start} bytes long: the read was cut short`,
            );
          done[part] = true;
          wake?.();
        }
      };
      // Hash the parts in order as they land, reading them back from the file (the page cache).
      const hasher = async (): Promise<void> => {
        const buffer = Buffer.alloc(1024 * 1024);
        for (let hashed = 0; hashed < parts;) {
          stopAll.signal.throwIfAborted();
          if (!done[hashed]) {
            await new Promise<void>((resolve) => (wake = resolve));
            continue;
          }
          const start = hashed * PART_SIZE;
          const end = Math.min(info.size, start + PART_SIZE);
          for (let at = start; at < end;) {
            const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, end - at), at);
            if (bytesRead === 0) break;
            meter.write(buffer.subarray(0, bytesRead));
            at += bytesRead;
          }
          hashed++;
        }
      };
      const failOnce = (error: unknown): never => {
        if (!stopAll.signal.aborted) stopAll.abort(error);
        wake?.();
        throw error;
      };
      const tasks = [...Array.from({ length: Math.min(partsAtOnce, parts) }, () => worker().catch(failOnce)), hasher().catch(failOnce)];
      const settled = await Promise.allSettled(tasks);
      ctx.signal.removeEventListener('abort', onAbort);
      if (ctx.signal.aborted) throw ctx.signal.reason as Error;
      const failed = settled.find((r) => r.status === 'rejected');
      if (failed) throw stopAll.signal.reason ?? (failed as PromiseRejectedResult).reason;
    }
    const checked = objectProblem(meter, info);
    if (checked.problem !== undefined)
      throw new ActionError(`${NAME}: ${from.uri}: ${checked.problem}; nothing was restored`, { permanent: true });
    if (!shared)
      ctx.log(`downloaded ${formatBytes(info.size)} in ${formatDuration(progress.elapsedMs())} (${rate(info.size, progress.elapsedMs())})`);
    return checked.sha256;
  } catch (error) {
    throw storeFailure(NAME, from.uri, error, ctx.signal);
  } finally {
    await handle.close();
  }
}

/** The TABLE DATA entries of an archive's table of contents (`pg_restore -l`): the tables it restores data into. */
async function countTableData(path: string, env: Record<string, string>, ctx: ActionContext): Promise<number> {
  const { execFile } = await import('node:child_process');
  const listing = await new Promise<string>((resolve, reject) => {
    execFile('pg_restore', ['-l', path], { env, signal: ctx.signal, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (ctx.signal.aborted) reject(ctx.signal.reason as Error);
      else if (error)
        reject(
          new ActionError(`${NAME}: ${path}: pg_restore -l: ${errorLines(String(stderr).split('\n')) || error.message}`, {
            permanent: true,
          }),
        );
      else resolve(String(stdout));
    });
  });
  return listing.split('\n').filter((line) => / TABLE DATA /.test(line) && !line.startsWith(';')).length;
}

/** pg_restore the file or folder: its TABLE DATA entries counted first (pg_restore -l), then restored with -j. Returns that count. */
async function runPgRestore(
  args: RestoreArgs,
  path: string,
  format: 'custom' | 'directory',
  target: PgTarget,
  env: Record<string, string>,
  ctx: ActionContext,
): Promise<number> {
  const { startPipeProcess } = await import('../../adapters/pipe-process.js');
  const { availableParallelism } = await import('node:os');
  const tables = await countTableData(path, env, ctx);
  const jobs = args.jobs ?? availableParallelism();
  const argv = ['--exit-on-error', '--verbose', '--dbname', dbnameConninfo(env.PGDATABASE ?? target.database)];
  if (jobs > 1) argv.push('--jobs', String(jobs));
  if (args.clean) argv.push('--clean', '--if-exists');
  if (args.no_owner ?? true) argv.push('--no-owner');
  if (args.role !== undefined) argv.push('--role', args.role);
  argv.push('--format', format === 'custom' ? 'custom' : 'directory', path);
  let started = 0;
  let lastLog = performance.now();
  const t0 = lastLog;
  const pgRestore = startPipeProcess('pg_restore', argv, {
    env,
    stdin: 'ignore',
    keepLines: 40,
    onStderrLine(line) {
      if (!/processing data for table/.test(line)) return;
      started++;
      const now = performance.now();
      if (now - lastLog < PROGRESS_EVERY_MS) return;
      lastLog = now;
      ctx.log(`pg_restore: data of ${started} of ${tables} tables under way, ${formatDuration(now - t0)}`);
    },
  });
  const exit = await untilExitOrAbort(pgRestore, ctx.signal);
  if (exit.code !== 0) {
    const how = exit.code === null ? `ended by ${exit.signal ?? 'a signal'}` : `exit ${exit.code}`;
    throw new ActionError(
      `${NAME}: ${target.label}: pg_restore (${how}): ${errorLines(pgRestore.stderrLines())}; the database is left partly restored (clean: true restores it again)`,
      { permanent: true },
    );
  }
  return tables;
}

export const postgresRestore = createPostgresRestore(pgPort);
