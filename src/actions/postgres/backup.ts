import type { Readable } from 'node:stream';
import type { PipeProcess } from '../../adapters/pipe-process.js';
import type { BackupStore, StreamWritten } from '../../ports/backup-store.js';
import type { PgConnection, PgPort } from '../../ports/pg.js';
import { pgPort } from '../../adapters/pg-port.js';
import { formatDuration } from '../../util/duration.js';
import * as z from '../../util/zod.js';
import { arg } from '../args.js';
import type { BackupManifest } from '../backup/manifest.js';
import { manifestKeyFor, serializeManifest } from '../backup/manifest.js';
import type { Location } from '../backup/location.js';
import { parseLocation, parses, uriOf } from '../backup/location.js';
import { formatBytes, rate } from '../backup/progress.js';
import type { OpenStore } from '../backup/store.js';
import { openStore, storeFailure } from '../backup/store.js';
import type { ActionContext } from '../types.js';
import { ActionError, defineAction, PermanentActionError } from '../types.js';
import type { PgTarget } from './common.js';
import { describeTarget, failure, openConnection, problemOf, runQuery, urlArg } from './common.js';
import type { DatabaseFingerprint } from './fingerprint-core.js';
import { dumpSettingsEnv, fingerprintDatabase, SNAPSHOT_ID, tableKey } from './fingerprint-core.js';
import type { DumpFingerprinter } from './dump-fingerprint.js';

const NAME = 'postgres.backup';

export const BACKUP_FORMATS = ['plain-gzip', 'custom', 'directory'] as const;
export type BackupFormat = (typeof BACKUP_FORMATS)[number];

/** What each format's name ends in: a directory-format backup is a folder. */
const EXTENSION: Record<BackupFormat, string> = { 'plain-gzip': '.sql.gz', custom: '.dump', directory: '/' };

export const DEFAULT_NAME = '{database}-{time}';
const PLACEHOLDER = /\{([^{}]*)\}/g;
const PLACEHOLDERS = new Set(['database', 'time']);

/** At most one progress line this often. */
const PROGRESS_EVERY_MS = 5_000;
/** How long pg_dump may go on failing by itself after the fingerprint failed, so the message names its error. */
const DUMP_FAILURE_GRACE_MS = 5_000;
/** Files of a directory-format dump uploaded at once. */
const UPLOADS_AT_ONCE = 2;

function nameProblem(template: string): string | undefined {
  for (const match of template.matchAll(PLACEHOLDER))
    if (!PLACEHOLDERS.has(match[1]!)) return `{${match[1]}} is not a placeholder: use {database} and {time}`;
  if (template.startsWith('/')) return 'must not start with "/": it is a name under the location';
  if (template.endsWith('/')) return 'must not end with "/": drctl adds the extension (.sql.gz, .dump, or / for a folder)';
  if (template.split('/').some((part) => part === '..' || part === '.' || part === '')) return 'must not hold ".", ".." or "//"';
  return undefined;
}

const postgresBackupArgs = z
  .strictObject({
    url: urlArg(),
    /** Where backups go: s3://bucket/prefix/ or file:///dir/. */
    to: arg.text().check(z.superRefine(parses(parseLocation))),
    /** plain-gzip (pg_dump's SQL, gzipped), custom (-Fc) or directory (-Fd, dumped by `jobs` processes). */
    format: z.optional(z.enum(BACKUP_FORMATS, { error: `expected one of ${BACKUP_FORMATS.join(', ')}` })),
    /** pg_dump's parallel jobs for the directory format. */
    jobs: z.optional(arg.integer().check(z.minimum(1, { error: 'must be 1 or more' }), z.maximum(64, { error: 'must be 64 or fewer' }))),
    /** false: no manifest, so no fingerprint (a plain `pg_dump | gzip` backup, with its sha256). */
    manifest: z.optional(arg.boolean()),
    /** The object's name under the location, without its extension: {database} and {time} (UTC, 20261130T021500Z). */
    name: z.optional(arg.text().check(z.superRefine(parses(nameProblem)))),
  })
  .check(
    z.refine((a) => a.jobs === undefined || a.format === 'directory', {
      error: 'jobs applies to the directory format only (format: directory)',
      path: ['jobs'],
    }),
  );

type BackupArgs = z.infer<typeof postgresBackupArgs>;

/** 20261130T021500Z */
export function compactUtc(at: Date): string {
  return `${at.toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;
}

/** The object's key under the location: the name template filled in, with the format's extension. */
export function backupKey(location: Location, template: string, database: string, at: Date, format: BackupFormat): string {
  // The database's name makes no path: other characters become _, and so do "." and ".." (between the name's slashes, they point elsewhere).
  const safeDatabase = database.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.{1,2}$/, (dots) => '_'.repeat(dots.length));
  const name = template.replace(PLACEHOLDER, (_m, key: string) => (key === 'database' ? safeDatabase : compactUtc(at)));
  return `${location.prefix}${name}${EXTENSION[format]}`;
}

/** pg_dump's failure as one line: its last error lines, never a credential (libpq's variables keep them off its output). */
function dumpFailure(target: PgTarget, exit: { code: number | null; signal: NodeJS.Signals | null }, lines: string[]): ActionError {
  const errors = lines.filter((l) => /error|fatal|denied|failed|abort/i.test(l));
  const tail = (errors.length ? errors : lines).slice(-3).join('; ') || 'no message';
  const how = exit.signal ? `killed by ${exit.signal}` : `exit ${exit.code ?? '?'}`;
  // The same dump fails again: a refused login, a missing database or table, no permission, another server version.
  const permanent = /permission denied|does not exist|authentication failed|password|version mismatch|no pg_hba\.conf entry/i.test(tail);
  return new ActionError(`${NAME}: ${target.label}: pg_dump failed (${how}): ${tail}`, { permanent });
}

/** Lines every few seconds while bytes flow. */
function progressLog(ctx: ActionContext, verb: string, where: string): { update(bytes: number): void; startedAt: number } {
  const startedAt = performance.now();
  let lastAt = startedAt;
  return {
    startedAt,
    update(bytes) {
      const now = performance.now();
      if (now - lastAt < PROGRESS_EVERY_MS) return;
      lastAt = now;
      ctx.log(`${verb} ${where}: ${formatBytes(bytes)} so far (${rate(bytes, now - startedAt)}, ${formatDuration(now - startedAt)})`);
    },
  };
}

interface Snapshot {
  conn: PgConnection;
  id: string | undefined;
  serverVersion: string;
  database: string;
}

/**
 * A repeatable-read transaction whose snapshot is exported: pg_dump (--snapshot) and the
 * fingerprint read the same data. It stays open until both are done. A server that cannot export
 * one (a standby of an old version) gives no id: each then takes its own, and a line says so.
 */
async function exportSnapshot(port: PgPort, url: string, target: PgTarget, ctx: ActionContext, wanted: boolean): Promise<Snapshot> {
  let conn: PgConnection;
  try {
    conn = await openConnection(port, url, ctx);
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    throw failure(NAME, target, error, url);
  }
  try {
    const about = await runQuery(
      port,
      conn,
      url,
      `SELECT current_setting('server_version') AS server_version, current_database() AS database`,
      ctx,
    );
    const row = about.rows[0]!;
    let id: string | undefined;
    if (wanted)
      try {
        await runQuery(port, conn, url, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', ctx);
        const exported = await runQuery(port, conn, url, 'SELECT pg_export_snapshot() AS snapshot', ctx);
        id = String(exported.rows[0]?.snapshot ?? '');
        if (!SNAPSHOT_ID.test(id)) id = undefined;
      } catch (error) {
        if (ctx.signal.aborted) throw error;
        ctx.log(
          `the server exports no snapshot (${problemOf(error, url)}): pg_dump and the fingerprint read the data each at its own moment`,
        );
        await runQuery(port, conn, url, 'ROLLBACK', ctx).catch(() => {});
      }
    return { conn, id, serverVersion: String(row.server_version), database: String(row.database) };
  } catch (error) {
    await conn.end();
    if (ctx.signal.aborted) throw error;
    throw failure(NAME, target, error, url);
  }
}

/** The environment pg_dump runs with: drctl's, with the URL handed over through libpq's variables and a password file. */
async function dumpEnvironment(url: string): Promise<{ env: Record<string, string>; close(): void }> {
  const { libpqHandover } = await import('../../util/libpq-passfile.js');
  const base: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) base[key] = value;
  try {
    const handover = libpqHandover(url, base);
    // UTC, hex bytea, UTF-8: the data lines the fingerprint reads back with COPY (fingerprint-core.ts).
    return { env: dumpSettingsEnv(handover.env), close: () => handover.close() };
  } catch (error) {
    throw new PermanentActionError(`${NAME}: the connection URL cannot be handed to pg_dump: ${(error as Error).message}`);
  }
}

function dumpArgs(format: BackupFormat, snapshot: string | undefined, jobs: number, folder?: string): string[] {
  const args = ['--no-password'];
  if (snapshot !== undefined) args.push(`--snapshot=${snapshot}`);
  if (format === 'plain-gzip') args.push('--format=plain');
  else if (format === 'custom') args.push('--format=custom');
  else args.push('--format=directory', `--jobs=${jobs}`, `--file=${folder!}`);
  return args;
}

/**
 * pg_dump's stdout, gzipped for plain-gzip, ending only once pg_dump has exited: with its failure
 * when it failed, so a store never keeps a dump cut short.
 */
async function dumpStream(
  dump: PipeProcess,
  format: BackupFormat,
  target: PgTarget,
  fingerprinter: DumpFingerprinter | undefined,
): Promise<Readable> {
  const { Transform, pipeline } = await import('node:stream');
  const guard = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      callback(null, chunk);
    },
    flush(callback) {
      void dump.exited.then((exit) => {
        if (exit.code === 0) callback();
        else callback(dumpFailure(target, exit, dump.stderrLines()));
      });
    },
  });
  const stdout = dump.child.stdout!;
  if (format === 'plain-gzip') {
    const { createParallelGzip } = await import('../../util/parallel-gzip.js');
    // gzip's own default level: the same size as the seeds' `pg_dump | gzip`, on up to 3 cores.
    const gzip = createParallelGzip({ level: 6 });
    if (fingerprinter) {
      // Every table's rows hashed as they pass on to gzip: the manifest without a second read of the data.
      // The chunk goes to gzip first, so it is compressed (on libuv's threads) while it is hashed here.
      const tap = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          callback(null, chunk);
          fingerprinter.write(chunk);
        },
      });
      pipeline(stdout, tap, gzip, guard, () => {});
    } else {
      pipeline(stdout, gzip, guard, () => {});
    }
  } else {
    pipeline(stdout, guard, () => {});
  }
  return guard;
}

interface Dumped extends StreamWritten {
  files?: Array<{ name: string; size: number; sha256: string }>;
}

/**
 * Take a backup with pg_dump: streamed into the store for plain-gzip and custom (no copy on disk),
 * through a local folder for the directory format. Beside it, its manifest.
 */
export function createPostgresBackup(port: PgPort = pgPort, open: OpenStore = openStore) {
  return defineAction({
    name: NAME,
    summary: 'Back up a PostgreSQL database with pg_dump, with its sha256 and a manifest',
    args: postgresBackupArgs,
    outputs: ['location', 'key', 'size', 'sha256', 'manifest', 'format', 'duration_s'],
    secretArgs: ['url'],
    async run(args: BackupArgs, ctx) {
      const format: BackupFormat = args.format ?? 'plain-gzip';
      const location = parseLocation(args.to);
      if (typeof location === 'string') throw new PermanentActionError(`${NAME}: ${args.to}: ${location}`);
      const target = describeTarget(args.url);
      const started = new Date();
      const startedAt = performance.now();

      const withManifest = args.manifest ?? true;
      // The URL is checked for pg_dump before anything connects.
      const libpq = await dumpEnvironment(args.url);
      let snapshot: Snapshot;
      try {
        snapshot = await exportSnapshot(port, args.url, target, ctx, withManifest);
      } catch (error) {
        libpq.close();
        throw error;
      }
      let store: BackupStore;
      let key: string;
      let dumped: Dumped;
      let fingerprint: DatabaseFingerprint | undefined;
      try {
        key = backupKey(location, args.name ?? DEFAULT_NAME, snapshot.database, started, format);
        // Opened once pg_dump has started (for S3 that loads the SDK): pg_dump reads the catalogs
        // meanwhile, before its first data, so the two overlap.
        let opening: Promise<BackupStore> | undefined;
        const openTheStore = (): Promise<BackupStore> =>
          (opening ??= open(location.store, ctx.aws).catch((error: unknown) => {
            throw storeFailure(NAME, location.uri, error, ctx.signal);
          }));
        const uri = uriOf(location.store, key);
        ctx.log(
          `pg_dump of ${target.label} (PostgreSQL ${snapshot.serverVersion}, ${format}) to ${uri}` +
            (snapshot.id ? `, snapshot ${snapshot.id} shared with the fingerprint` : ''),
        );
        // The dump and the fingerprint run together, in the same snapshot; either failing stops the other.
        const stop = new AbortController();
        const onAbort = (): void => stop.abort(ctx.signal.reason);
        ctx.signal.addEventListener('abort', onAbort, { once: true });
        const signal = AbortSignal.any([ctx.signal, stop.signal]);
        try {
          let dumpError: unknown;
          let fingerprintError: unknown;
          let stoppedForFingerprint = false;
          // A plain dump passes through drctl: its data blocks are fingerprinted as they stream.
          const fromDump =
            withManifest && format === 'plain-gzip' ? new (await import('./dump-fingerprint.js')).DumpFingerprinter() : undefined;
          const dumping = runDump(args, format, snapshot.id, libpq.env, openTheStore, key, uri, target, ctx, signal, fromDump).catch(
            (error: unknown) => {
              dumpError = error;
              if (!stop.signal.aborted) stop.abort(error);
              throw error;
            },
          );
          const fingerprinting = (
            withManifest && !fromDump
              ? fingerprintDatabase(
                  { url: args.url, port, applicationName: `drctl ${ctx.stepId}`, statementTimeoutMs: ctx.timeoutMs },
                  { signal, snapshot: snapshot.id, log: ctx.log },
                )
              : Promise.resolve(undefined)
          ).catch(async (error: unknown) => {
            if (signal.aborted) throw error;
            fingerprintError = failure(`${NAME}: fingerprint`, target, error, args.url);
            // pg_dump likely meets the same problem (a table it may not read): let its error be the one named.
            const grace = setTimeout(() => {
              stoppedForFingerprint = true;
              stop.abort(fingerprintError);
            }, DUMP_FAILURE_GRACE_MS);
            await dumping.catch(() => {});
            clearTimeout(grace);
            throw fingerprintError;
          });
          const settled = await Promise.allSettled([dumping, fingerprinting]);
          if (ctx.signal.aborted) throw ctx.signal.reason;
          if (dumpError !== undefined && !stoppedForFingerprint) throw dumpError;
          if (fingerprintError !== undefined) throw fingerprintError;
          for (const result of settled) if (result.status === 'rejected') throw result.reason;
          dumped = (settled[0] as PromiseFulfilledResult<Dumped>).value;
          store = await openTheStore();
          fingerprint = (settled[1] as PromiseFulfilledResult<DatabaseFingerprint | undefined>).value;
          if (fromDump) fingerprint = await completeDumpFingerprint(fromDump, port, args.url, snapshot.id, target, ctx);
        } finally {
          ctx.signal.removeEventListener('abort', onAbort);
        }
      } finally {
        libpq.close();
        await runQuery(port, snapshot.conn, args.url, 'COMMIT', ctx).catch(() => {});
        await snapshot.conn.end();
      }

      const finished = new Date();
      const uri = uriOf(location.store, key);
      const manifestUri = fingerprint
        ? await writeManifest(store, location, key, format, snapshot, { started, finished }, dumped, fingerprint, ctx)
        : null;
      const durationMs = performance.now() - startedAt;
      const tables = fingerprint?.tables.length ?? 0;
      const rows = fingerprint?.tables.reduce((sum, t) => sum + t.rows, 0) ?? 0;
      ctx.log(
        `backed up ${target.label} in ${formatDuration(durationMs)}: ${formatBytes(dumped.size)} (sha256 ${dumped.sha256}) at ${uri}` +
          (manifestUri ? `; manifest (${tables} table${tables === 1 ? '' : 's'}, ${rows} rows) at ${manifestUri}` : '; no manifest'),
      );
      ctx.record({
        host: target.host,
        port: target.port,
        database: snapshot.database,
        location: uri,
        manifest: manifestUri,
        format,
        bytes: dumped.size,
        sha256: dumped.sha256,
        snapshot: snapshot.id ?? null,
        tables,
        duration_ms: Math.round(durationMs),
      });
      return {
        location: uri,
        key,
        size: dumped.size,
        sha256: dumped.sha256,
        manifest: manifestUri,
        format,
        duration_s: Math.round(durationMs / 100) / 10,
      };
    },
  });
}

/**
 * The manifest's tables from a plain dump's data blocks, in the dump's snapshot: each table the
 * snapshot holds, its sum from the dump; a table whose data pg_dump did not copy (an extension's
 * table) read with COPY, as postgres.fingerprint reads it, so the manifest lists what a fingerprint
 * of the restored database lists.
 */
async function completeDumpFingerprint(
  fromDump: DumpFingerprinter,
  port: PgPort,
  url: string,
  snapshot: string | undefined,
  target: PgTarget,
  ctx: ActionContext,
): Promise<DatabaseFingerprint> {
  if (!fromDump.complete) throw new ActionError(`${NAME}: ${target.label}: the dump ended inside a table's data`, { permanent: false });
  let fingerprint: DatabaseFingerprint;
  try {
    fingerprint = await fingerprintDatabase(
      { url, port, applicationName: `drctl ${ctx.stepId}`, statementTimeoutMs: ctx.timeoutMs },
      { signal: ctx.signal, snapshot, log: ctx.log, known: fromDump.tables },
    );
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    throw failure(`${NAME}: fingerprint`, target, error, url);
  }
  const listed = new Set(fingerprint.tables.map((t) => tableKey(t.schema, t.table)));
  const { rowSumDigest } = await import('./row-hash.js');
  const fromData = fingerprint.tables.filter((t) => {
    const dumpedTable = fromDump.tables.get(tableKey(t.schema, t.table));
    return dumpedTable !== undefined && rowSumDigest(dumpedTable.sum) === t.sha256;
  }).length;
  ctx.log(
    `fingerprinted ${fromData} table${fromData === 1 ? '' : 's'} from the dump's data as it streamed` +
      `, ${fingerprint.tables.length - fromData} read with COPY in its snapshot`,
  );
  for (const [key, dumpedTable] of fromDump.tables)
    if (!listed.has(key))
      fingerprint.tables.push({
        schema: dumpedTable.schema,
        table: dumpedTable.table,
        rows: dumpedTable.sum.rows,
        sha256: rowSumDigest(dumpedTable.sum),
        ordered_by: 'all columns',
      });
  return fingerprint;
}

/** The manifest beside the backup; when it cannot be written, the backup is removed too (the step promised both). */
async function writeManifest(
  store: BackupStore,
  location: Location,
  key: string,
  format: BackupFormat,
  snapshot: Snapshot,
  { started, finished }: { started: Date; finished: Date },
  dumped: Dumped,
  fingerprint: DatabaseFingerprint,
  ctx: ActionContext,
): Promise<string> {
  const manifestKey = manifestKeyFor(key);
  const manifestUri = uriOf(location.store, manifestKey);
  const manifest: BackupManifest & { snapshot: string | null; files?: Dumped['files'] } = {
    manifest_version: 1,
    tool: 'drctl',
    database: snapshot.database,
    server_version: snapshot.serverVersion,
    format,
    started_at: started.toISOString(),
    finished_at: finished.toISOString(),
    size: dumped.size,
    sha256: dumped.sha256,
    object: uriOf(location.store, key),
    fingerprint_method: fingerprint.method,
    tables: fingerprint.tables,
    snapshot: snapshot.id ?? null,
    ...(dumped.files ? { files: dumped.files } : {}),
  };
  try {
    const body = Buffer.from(serializeManifest(manifest), 'utf8');
    const { Readable } = await import('node:stream');
    const { sha256Hash } = await import('../../util/sha256.js');
    await store.write(manifestKey, Readable.from([body]), {
      size: body.length,
      sha256: sha256Hash().update(body).digest('hex'),
      signal: ctx.signal,
      onProgress: () => {},
    });
  } catch (error) {
    await removeBackup(store, key, dumped.files, ctx);
    throw storeFailure(NAME, manifestUri, error, ctx.signal);
  }
  return manifestUri;
}

async function removeBackup(store: BackupStore, key: string, files: Dumped['files'], ctx: ActionContext): Promise<void> {
  const signal = AbortSignal.timeout(10_000);
  if (files === undefined) {
    await store.remove(key, signal).catch(() => {});
    return;
  }
  for (const file of files) await store.remove(`${key}${file.name}`, signal).catch(() => {});
  if (!key.startsWith('/')) return;
  const { rm } = await import('node:fs/promises');
  await rm(key, { recursive: true, force: true }).catch((error: unknown) => ctx.log(`could not remove ${key}: ${String(error)}`));
}

/** Run pg_dump into the store: streamed, or (directory format) into a folder first. */
async function runDump(
  args: BackupArgs,
  format: BackupFormat,
  snapshot: string | undefined,
  env: Record<string, string>,
  openTheStore: () => Promise<BackupStore>,
  key: string,
  uri: string,
  target: PgTarget,
  ctx: ActionContext,
  signal: AbortSignal,
  fingerprinter?: DumpFingerprinter,
): Promise<Dumped> {
  const { startPipeProcess } = await import('../../adapters/pipe-process.js');
  if (format !== 'directory') {
    const dump = startPipeProcess('pg_dump', dumpArgs(format, snapshot, 1), { env, stdin: 'ignore', stdout: 'pipe' });
    const onAbort = (): void => void dump.stop();
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    const progress = progressLog(ctx, 'writing', uri);
    try {
      const store = await openTheStore();
      const body = await dumpStream(dump, format, target, fingerprinter);
      return await store.writeStream(key, body, { signal, onProgress: (bytes) => progress.update(bytes) });
    } catch (error) {
      await dump.stop();
      const exit = await dump.exited;
      if (signal.aborted || error instanceof ActionError) throw error;
      // The store failed first (or pg_dump died): pg_dump's own error, when it has one, is the cause.
      if (exit.code !== 0 && exit.signal === null) throw dumpFailure(target, exit, dump.stderrLines());
      throw storeFailure(NAME, uri, error, signal);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }
  return dumpFolder(args, snapshot, env, await openTheStore(), key, uri, target, ctx, signal);
}

/**
 * The directory format: pg_dump -Fd -j N writes a folder. For file:// it is written beside the
 * target under a hidden name and renamed into place once complete; for S3 it is written to a
 * temporary folder (on the cleanup ledger) and uploaded file by file, each with its sha256.
 */
async function dumpFolder(
  args: BackupArgs,
  snapshot: string | undefined,
  env: Record<string, string>,
  store: BackupStore,
  key: string,
  uri: string,
  target: PgTarget,
  ctx: ActionContext,
  signal: AbortSignal,
): Promise<Dumped> {
  const { mkdtemp, readdir, rename, rm, stat, lstat } = await import('node:fs/promises');
  const { createReadStream } = await import('node:fs');
  const { tmpdir, availableParallelism } = await import('node:os');
  const { dirname, join } = await import('node:path');
  const { sha256Hash } = await import('../../util/sha256.js');
  const { startPipeProcess } = await import('../../adapters/pipe-process.js');
  const jobs = args.jobs ?? Math.max(1, Math.min(4, availableParallelism()));
  const local = key.startsWith('/');
  let work: string;
  let folder: string;
  if (local) {
    const finalPath = key.slice(0, -1);
    const { mkdir } = await import('node:fs/promises');
    await mkdir(dirname(finalPath), { recursive: true });
    work = dirname(finalPath);
    const { partialPath } = await import('../../adapters/file-store.js');
    folder = partialPath(finalPath);
  } else {
    work = await mkdtemp(join(tmpdir(), 'drctl-backup-'));
    const info = await lstat(work);
    ctx.cleanup({ path: work, kind: 'dir', keep: false, dev: info.dev, ino: info.ino });
    folder = join(work, 'dump');
  }
  const uploaded: Array<{ name: string; size: number; sha256: string }> = [];
  try {
    const dump = startPipeProcess('pg_dump', dumpArgs('directory', snapshot, jobs, folder), { env, stdin: 'ignore', stdout: 'ignore' });
    const onAbort = (): void => void dump.stop();
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    const progress = progressLog(ctx, 'dumping to', local ? uri : folder);
    const sizeOf = async (): Promise<number> => {
      let total = 0;
      for (const name of await readdir(folder).catch(() => [] as string[]))
        total += (await stat(join(folder, name)).catch(() => undefined))?.size ?? 0;
      return total;
    };
    const ticker = setInterval(() => void sizeOf().then((bytes) => progress.update(bytes)), PROGRESS_EVERY_MS);
    let exit;
    try {
      exit = await dump.exited;
    } finally {
      clearInterval(ticker);
      signal.removeEventListener('abort', onAbort);
    }
    signal.throwIfAborted();
    if (exit.code !== 0) throw dumpFailure(target, exit, dump.stderrLines());
    ctx.log(
      `pg_dump wrote ${formatBytes(await sizeOf())} with ${jobs} job${jobs === 1 ? '' : 's'} in ${formatDuration(performance.now() - progress.startedAt)}`,
    );

    const names = (await readdir(folder)).sort();
    if (local) {
      for (const name of names) {
        const hash = sha256Hash();
        let size = 0;
        for await (const chunk of createReadStream(join(folder, name), { signal }) as AsyncIterable<Buffer>) {
          hash.update(chunk);
          size += chunk.length;
        }
        uploaded.push({ name, size, sha256: hash.digest('hex') });
      }
      await rename(folder, key.slice(0, -1));
    } else {
      const total = (await Promise.all(names.map((name) => stat(join(folder, name))))).reduce((sum, s) => sum + s.size, 0);
      const sending = progressLog(ctx, 'uploading to', uri);
      let done = 0;
      // toc.dat goes last, once every other file is stored: a folder without it is a backup that
      // stopped part way (src/actions/backup/directory.ts), whatever the moment it stopped.
      const { TOC_FILE } = await import('../backup/directory.js');
      const queue = names.filter((name) => name !== TOC_FILE);
      const worker = async (): Promise<void> => {
        for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
          let partial = 0;
          const written = await store.writeStream(`${key}${name}`, createReadStream(join(folder, name), { highWaterMark: 1024 * 1024 }), {
            signal,
            onProgress: (bytes) => {
              partial = bytes;
              sending.update(done + partial);
            },
          });
          done += written.size;
          uploaded.push({ name, ...written });
        }
      };
      try {
        await Promise.all(Array.from({ length: Math.min(UPLOADS_AT_ONCE, queue.length) }, worker));
        if (names.includes(TOC_FILE)) {
          queue.push(TOC_FILE);
          await worker();
        }
      } catch (error) {
        throw storeFailure(NAME, uri, error, signal);
      }
      ctx.log(`uploaded ${names.length} files (${formatBytes(total)}) to ${uri}`);
    }
  } catch (error) {
    await removeBackup(store, key, local ? undefined : uploaded, ctx);
    throw error;
  } finally {
    await rm(local ? folder : work, { recursive: true, force: true }).catch(() => {});
  }
  uploaded.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const { folderDigest } = await import('../backup/directory.js');
  return { size: uploaded.reduce((sum, f) => sum + f.size, 0), sha256: folderDigest(uploaded), files: uploaded };
}

export const postgresBackup = createPostgresBackup();
