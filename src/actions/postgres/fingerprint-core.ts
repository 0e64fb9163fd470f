import { pgPort } from '../../adapters/pg-port.js';
import type { PgConnection, PgPort } from '../../ports/pg.js';
import { sha256Hash } from '../../util/sha256.js';
import { runQuery, runStatement } from './common.js';
import type { RowSum } from './row-hash.js';
import { CopyTextSum, ROW_HASH_METHOD, rowSumDigest } from './row-hash.js';

/**
 * The fingerprint of a database's data: per user table, its row count and a checksum of its
 * content, all tables from one snapshot. Two methods:
 *
 * `drctl-fp2` (the current one, row-hash.ts): each table read with `COPY … TO STDOUT` in text
 * format, its columns as pg_dump copies them (generated and dropped columns left out, the others
 * in order) and the session's settings as pg_dump's with drctl's (DateStyle ISO, IntervalStyle
 * postgres, extra_float_digits 3, TimeZone UTC, bytea_output hex, client_encoding UTF8), so each
 * line is byte for byte the line a plain dump holds; each line hashed in drctl and the hashes
 * summed. postgres.backup computes the same sums from the dump's own data blocks as the dump streams
 * past (dump-fingerprint.ts), so a plain backup's manifest costs no second read of the data.
 *
 * `drctl-fp1` (manifests written by earlier drctl, which carry no `fingerprint_method`), kept so that
 * such backups can still be checked:
 *
 * - Each row is turned into its text (`(row.*)::text`, the composite literal: NULL and the empty
 *   string differ, `(1,)` against `(1,"")`) and hashed with md5. The 128 bits are cut into two
 *   independent 64-bit numbers, and the table's checksum is the SUM of each over all rows (as
 *   `numeric`: exact, it never wraps) together with the row count; `sha256` is the SHA-256 of
 *   `drctl-fp1:<rows>:<sum1>:<sum2>`.
 * - A sum does not depend on the order of the rows, so no `ORDER BY` and no sort: the server makes
 *   one sequential scan (in parallel where it may) with constant memory, whatever the table's size,
 *   where `string_agg(... ORDER BY pk)` would hold the whole table's text in memory. pgbench's
 *   1,000,000 accounts take about 2 s on 2 cores.
 * - A SUM, not an XOR: with XOR two identical rows cancel out, and a table without a primary key
 *   may hold the same row twice. Such a table is fingerprinted the same way and compared as a
 *   multiset of rows (`ordered_by: 'all columns'`): a row duplicated or dropped changes the count,
 *   a row changed changes the sums. A table with a primary key holds each row once (`ordered_by:
 *   'primary key'`): its checksum is the same whatever order the rows are read in, primary-key order included.
 * - How strong: one changed row goes unnoticed only if its new text has the same md5 halves as the
 *   old one. Several accidental changes cancel out with a chance of about 2^-64 per sum, and both
 *   sums must. This detects corruption and lost or altered rows; it is not a defence against
 *   someone crafting rows to keep the sums (md5 is not collision-resistant, and sums of hashes can
 *   be steered).
 * - The text of a value depends on session settings, so they are fixed for the snapshot: DateStyle
 *   ISO, TimeZone UTC, IntervalStyle postgres, bytea_output hex, extra_float_digits 1. Fingerprints
 *   of the same data therefore match across servers and sessions; floating-point columns may read
 *   differently between PostgreSQL 11 and 12+ (whose shortest exact output changed).
 */
export const FINGERPRINT_METHOD_FP1 = 'drctl-fp1';
/** The method of new fingerprints and manifests. */
export const FINGERPRINT_METHOD = ROW_HASH_METHOD;
export const FINGERPRINT_METHODS = [FINGERPRINT_METHOD_FP1, ROW_HASH_METHOD] as const;
export type FingerprintMethod = (typeof FINGERPRINT_METHODS)[number];

export interface TableFingerprint {
  schema: string;
  table: string;
  rows: number;
  sha256: string;
  /** How rows are identified: by the primary key (each once), or by all their columns (a multiset). */
  ordered_by: 'primary key' | 'all columns';
}

export interface DatabaseFingerprint {
  /** How the checksums were made: compared only with checksums made the same way. */
  method: FingerprintMethod;
  database: string;
  server_version: string;
  /** ISO time the snapshot was taken. */
  taken_at: string;
  tables: TableFingerprint[];
}

/** Where to fingerprint: the connection URL the postgres actions take (a secret), through the PostgreSQL port. */
export interface FingerprintConnection {
  /** postgresql://user:password@host:port/database */
  url: string;
  /** The port to connect through; the real `pg` adapter by default (tests pass another). */
  port?: PgPort | undefined;
  /** application_name on the server (e.g. `drctl <step>`). */
  applicationName?: string | undefined;
  connectTimeoutMs?: number | undefined;
  /** The server cancels a single table's checksum that runs longer than this. */
  statementTimeoutMs?: number | undefined;
}

export interface FingerprintOptions {
  /** Only these schemas (default: every schema but the system ones). */
  schemas?: readonly string[] | undefined;
  /** Only these tables: `schema.table`, or `table` in any schema. */
  tables?: readonly string[] | undefined;
  /** Stops the work: a running checksum is cancelled on the server. */
  signal: AbortSignal;
  /** Each table as soon as its fingerprint is taken (for progress lines). */
  onTable?: ((table: TableFingerprint) => void) | undefined;
  /** A line for the operator (when a running statement has to be stopped). */
  log?: ((text: string) => void) | undefined;
  /**
   * An exported snapshot (`pg_export_snapshot()`, its transaction still open) to read instead of a
   * new one: postgres.backup hands pg_dump and the fingerprint the same one, so the manifest
   * describes exactly the data the dump holds.
   */
  snapshot?: string | undefined;
  /** The method (default {@link FINGERPRINT_METHOD}); `drctl-fp1` to compare with a manifest of an earlier drctl. */
  method?: FingerprintMethod | undefined;
  /**
   * drctl-fp2 sums already taken, by {@link tableKey}: postgres.backup's, from the dump's own data
   * blocks. Such a table is not read again when its columns are the ones listed here.
   */
  known?: ReadonlyMap<string, { columns: readonly string[]; sum: RowSum }> | undefined;
}

/** What pg_export_snapshot() returns, e.g. 00000003-0000001B-1: nothing else goes into SQL. */
export const SNAPSHOT_ID = /^[0-9A-Fa-f]+(-[0-9A-Fa-f]+)+$/;

const CONNECT_TIMEOUT_MS = 10_000;

/** drctl-fp1's settings, which fix how values are written as text, so the same data always hashes the same. */
const SNAPSHOT_SQL_FP1 = `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
SET LOCAL DateStyle = 'ISO, YMD';
SET LOCAL TimeZone = 'UTC';
SET LOCAL IntervalStyle = 'postgres';
SET LOCAL bytea_output = 'hex';
SET LOCAL extra_float_digits = 1;`;

/**
 * drctl-fp2's: pg_dump's own (DateStyle, IntervalStyle, extra_float_digits, row_security) and those
 * drctl gives pg_dump ({@link DUMP_SETTINGS_ENV}), so COPY writes each row as the dump has it.
 */
const SNAPSHOT_SQL_FP2 = `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
SET LOCAL DateStyle = 'ISO';
SET LOCAL IntervalStyle = 'postgres';
SET LOCAL extra_float_digits = 3;
SET LOCAL TimeZone = 'UTC';
SET LOCAL bytea_output = 'hex';
SET LOCAL client_encoding = 'UTF8';
SET LOCAL row_security = off;`;

/**
 * What postgres.backup adds to pg_dump's environment so its data lines are the ones drctl-fp2
 * reads back with COPY: timestamps with time zone in UTC, bytea in hex, text in UTF-8 (the dump
 * says so itself, and restores the same data).
 */
export function dumpSettingsEnv(env: Readonly<Record<string, string>>): Record<string, string> {
  const options = `${env.PGOPTIONS ? `${env.PGOPTIONS} ` : ''}-c bytea_output=hex`;
  return { ...env, PGTZ: 'UTC', PGCLIENTENCODING: 'UTF8', PGOPTIONS: options };
}

/**
 * Ordinary tables and leaf partitions (a partitioned parent holds no rows of its own), temporary
 * tables left out; with the columns pg_dump copies (`attgenerated` exists from PostgreSQL 12).
 */
function tablesSql(serverVersionNum: number): string {
  const generated = serverVersionNum >= 120000 ? ` AND a.attgenerated = ''` : '';
  return `SELECT n.nspname AS schema, c.relname AS "table",
  EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p') AS has_pk,
  array_to_json(ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a
    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped${generated} ORDER BY a.attnum))::text AS columns
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND c.relpersistence <> 't'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C"`;
}

/** A table's key in {@link FingerprintOptions.skip} and in a dump's fingerprint. */
export const tableKey = (schema: string, table: string): string => `${schema}\u0000${table}`;

/** The `COPY … TO STDOUT` of drctl-fp2: the columns pg_dump copies, in text format. */
export function tableCopySql(schema: string, table: string, columns: readonly string[]): string {
  const list = columns.length ? ` (${columns.map(quoteIdent).join(', ')})` : '';
  return `COPY ${quoteIdent(schema)}.${quoteIdent(table)}${list} TO STDOUT`;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The checksum of one table: one scan, constant memory (see {@link FINGERPRINT_METHOD}). */
export function tableChecksumSql(schema: string, table: string): string {
  return `SELECT count(*) AS rows,
  coalesce(sum(('x' || substr(h, 1, 16))::bit(64)::bigint), 0)::text AS s1,
  coalesce(sum(('x' || substr(h, 17, 16))::bit(64)::bigint), 0)::text AS s2
FROM (SELECT md5((fp_row.*)::text) AS h FROM ONLY ${quoteIdent(schema)}.${quoteIdent(table)} AS fp_row) AS hashed`;
}

/** Whether `schema.table` is one that the filters ask for. */
export function selectedBy(options: Pick<FingerprintOptions, 'schemas' | 'tables'>, schema: string, table: string): boolean {
  if (options.schemas?.length && !options.schemas.includes(schema)) return false;
  if (options.tables?.length && !options.tables.some((name) => name === `${schema}.${table}` || name === table)) return false;
  return true;
}

function digest(rows: number, s1: string, s2: string): string {
  return sha256Hash().update(`${FINGERPRINT_METHOD_FP1}:${rows}:${s1}:${s2}`).digest('hex');
}

/**
 * Fingerprint every user table (system schemas skipped), or those the filters name, from one
 * consistent snapshot (a read-only repeatable-read transaction).
 */
export async function fingerprintDatabase(connect: FingerprintConnection, options: FingerprintOptions): Promise<DatabaseFingerprint> {
  const port = connect.port ?? pgPort;
  const { signal } = options;
  const queryCtx = { signal, log: options.log ?? (() => {}) };
  const conn: PgConnection = await port.connect({
    connectionString: connect.url,
    connectTimeoutMs: connect.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
    statementTimeoutMs: connect.statementTimeoutMs,
    applicationName: (connect.applicationName ?? 'drctl fingerprint').slice(0, 63),
    signal,
  });
  try {
    const method = options.method ?? FINGERPRINT_METHOD;
    const query = (sql: string) => runQuery(port, conn, connect.url, sql, queryCtx);
    await query(method === FINGERPRINT_METHOD_FP1 ? SNAPSHOT_SQL_FP1 : SNAPSHOT_SQL_FP2);
    if (options.snapshot !== undefined) {
      if (!SNAPSHOT_ID.test(options.snapshot)) throw new Error(`not a snapshot id: ${options.snapshot}`);
      await query(`SET TRANSACTION SNAPSHOT '${options.snapshot}'`);
    }
    const about = (
      await query(
        `SELECT current_database() AS database, current_setting('server_version') AS server_version, current_setting('server_version_num')::int AS version_num, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS taken_at`,
      )
    ).rows[0]!;
    const listed = (await query(tablesSql(Number(about.version_num)))).rows;
    const tables: TableFingerprint[] = [];
    for (const row of listed) {
      const schema = String(row.schema);
      const table = String(row.table);
      if (!selectedBy(options, schema, table)) continue;
      const ordered_by = row.has_pk === true ? 'primary key' : 'all columns';
      let fingerprint: TableFingerprint;
      if (method === FINGERPRINT_METHOD_FP1) {
        const sums = (await query(tableChecksumSql(schema, table))).rows[0]!;
        const rows = Number(sums.rows);
        fingerprint = { schema, table, rows, sha256: digest(rows, String(sums.s1), String(sums.s2)), ordered_by };
      } else {
        const columns = JSON.parse(String(row.columns)) as string[];
        const known = options.known?.get(tableKey(schema, table));
        const sum =
          known && known.columns.length === columns.length && known.columns.every((c, i) => c === columns[i])
            ? known.sum
            : await copySum(port, conn, connect.url, tableCopySql(schema, table, columns), queryCtx);
        fingerprint = { schema, table, rows: sum.rows, sha256: rowSumDigest(sum), ordered_by };
      }
      tables.push(fingerprint);
      options.onTable?.(fingerprint);
    }
    await query('COMMIT');
    return {
      method,
      database: String(about.database),
      server_version: String(about.server_version),
      taken_at: String(about.taken_at),
      tables,
    };
  } finally {
    await conn.end();
  }
}

/** One table's rows through COPY, hashed as they arrive (drctl-fp2). */
async function copySum(
  port: PgPort,
  conn: PgConnection,
  url: string,
  sql: string,
  ctx: { signal: AbortSignal; log: (text: string) => void },
): Promise<CopyTextSum['sum']> {
  const copyOut = conn.copyOut?.bind(conn);
  if (!copyOut) throw new Error('this PostgreSQL connection cannot stream COPY');
  const sum = new CopyTextSum();
  await runStatement(port, conn, url, ctx, () => copyOut(sql, (chunk) => sum.write(chunk)));
  if (sum.partial) throw new Error(`${sql}: the copy ended mid-row`);
  return sum.sum;
}

/** One table that differs between what was expected (a backup's manifest, an earlier fingerprint) and what is there. */
export interface FingerprintDifference {
  schema: string;
  table: string;
  /** missing: expected, not there; extra: there, not expected; rows: another row count; content: same count, other content. */
  problem: 'missing' | 'extra' | 'rows' | 'content';
  expected?: TableFingerprint;
  actual?: TableFingerprint;
}

const keyOf = (t: Pick<TableFingerprint, 'schema' | 'table'>): string => `${t.schema}\u0000${t.table}`;

/** Every table that differs, in schema and table order. */
export function compareFingerprints(expected: readonly TableFingerprint[], actual: readonly TableFingerprint[]): FingerprintDifference[] {
  const found = new Map(actual.map((t) => [keyOf(t), t]));
  const wanted = new Map(expected.map((t) => [keyOf(t), t]));
  const differences: FingerprintDifference[] = [];
  for (const e of expected) {
    const a = found.get(keyOf(e));
    if (!a) differences.push({ schema: e.schema, table: e.table, problem: 'missing', expected: e });
    else if (a.rows !== e.rows) differences.push({ schema: e.schema, table: e.table, problem: 'rows', expected: e, actual: a });
    else if (a.sha256 !== e.sha256) differences.push({ schema: e.schema, table: e.table, problem: 'content', expected: e, actual: a });
  }
  for (const a of actual) {
    if (!wanted.has(keyOf(a))) differences.push({ schema: a.schema, table: a.table, problem: 'extra', actual: a });
  }
  const name = (d: FingerprintDifference): string => `${d.schema}.${d.table}`;
  return differences.sort((x, y) => (name(x) < name(y) ? -1 : name(x) > name(y) ? 1 : 0));
}

const rowsText = (n: number): string => `${n} row${n === 1 ? '' : 's'}`;

/** One line for one difference: `public.users: 9 rows, expected 10`. */
export function describeDifference(d: FingerprintDifference): string {
  const name = `${d.schema}.${d.table}`;
  switch (d.problem) {
    case 'missing':
      return `${name}: missing (expected ${rowsText(d.expected?.rows ?? 0)})`;
    case 'extra':
      return `${name}: not expected (${rowsText(d.actual?.rows ?? 0)} here)`;
    case 'rows':
      return `${name}: ${rowsText(d.actual?.rows ?? 0)}, expected ${d.expected?.rows ?? 0}`;
    case 'content':
      return `${name}: content differs (row count ${d.actual?.rows ?? 0} in both)`;
  }
}
