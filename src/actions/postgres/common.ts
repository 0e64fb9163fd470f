import type { PgConnection, PgPort, PgResult } from '../../ports/pg.js';
import { PgServerError } from '../../ports/pg.js';
import * as z from '../../util/zod.js';
import { arg } from '../args.js';
import type { ActionContext } from '../types.js';
import { ActionError } from '../types.js';

/** How long connecting may take before an attempt fails. */
const CONNECT_TIMEOUT_MS = 10_000;
/** How long stopping a running statement (pg_cancel_backend on a second connection) may take. */
const CANCEL_TIMEOUT_MS = 5_000;
/** The most rows kept in the `rows` output (row_count still counts them all). */
export const MAX_OUTPUT_ROWS = 1_000;

function isPostgresUrl(text: string): boolean {
  if (!/^postgres(ql)?:\/\//i.test(text)) return false;
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * The `url` argument: postgresql://user:password@host:port/database, a secret (masked wherever it
 * would be shown; the message never quotes it).
 */
export const urlArg = () =>
  arg.text().check(z.refine(isPostgresUrl, { error: 'expected a postgresql://user:password@host:port/database URL' }));

/** Where a connection URL points, without its credentials: what messages and the journal name. */
export interface PgTarget {
  host: string;
  port: number;
  database: string;
  user?: string | undefined;
  /** host:port/database */
  label: string;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export function describeTarget(url: string): PgTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { host: 'unknown', port: 5432, database: 'unknown', label: '(unparsable connection URL)' };
  }
  const params = parsed.searchParams;
  const user = decode(parsed.username) || params.get('user') || undefined;
  const host = decode(parsed.hostname) || params.get('host') || 'localhost';
  const port = Number(parsed.port || params.get('port') || 5432);
  const database = decode(parsed.pathname.replace(/^\//, '')) || params.get('dbname') || user || 'postgres';
  return { host, port, database, user, label: `${host}:${port}/${database}` };
}

/** The URL and its password removed from text (the runner masks the whole URL; the password alone is ours to keep out). */
function scrub(text: string, url: string): string {
  const secrets = [url];
  try {
    const parsed = new URL(url);
    if (parsed.password) secrets.push(parsed.password, decode(parsed.password));
    const fromQuery = parsed.searchParams.get('password');
    if (fromQuery) secrets.push(fromQuery);
  } catch {
    // nothing more to find
  }
  let out = text;
  for (const secret of secrets.filter((s) => s.length >= 3).sort((a, b) => b.length - a.length)) out = out.split(secret).join('***');
  return out;
}

/** One line about a failure: the SQLSTATE code and message for server errors, the cause for the rest. */
export function problemOf(error: unknown, url: string): string {
  let text: string;
  if (error instanceof PgServerError) {
    text = `${error.sqlstate} ${error.message}${error.hint ? ` (hint: ${error.hint})` : ''}`;
  } else {
    const e = (error ?? {}) as { code?: unknown; message?: unknown; errors?: unknown };
    let message = typeof e.message === 'string' ? e.message : String(error);
    // Node reports a refused localhost (::1 and 127.0.0.1 both tried) as an AggregateError without a message.
    if (!message && Array.isArray(e.errors) && e.errors.length)
      message = String((e.errors[e.errors.length - 1] as { message?: unknown }).message ?? '');
    const code = typeof e.code === 'string' ? e.code : '';
    text = code && !message.includes(code) ? `${code} ${message}` : message;
  }
  const line = text.split('\n')[0]!.trim();
  return scrub(line, url) || 'unknown error';
}

/** The one-line error an operator sees: action, host:port/database, cause. */
export function failure(action: string, target: PgTarget, error: unknown, url: string): ActionError {
  return new ActionError(`${action}: ${target.label}: ${problemOf(error, url)}`, { permanent: isPermanentPgError(error) });
}

/**
 * Server errors that the same statement meets again: authentication (SQLSTATE class 28), no such
 * database (3D000), syntax or access rule (class 42: a permission, an unknown table).
 */
export function isPermanentPgError(error: unknown): boolean {
  return (
    error instanceof PgServerError && (error.sqlstate.startsWith('28') || error.sqlstate === '3D000' || error.sqlstate.startsWith('42'))
  );
}

/** Open a connection for a step: bounded by the connect timeout, the step's timeout and interruption. */
export function openConnection(
  port: PgPort,
  url: string,
  ctx: ActionContext,
  connectTimeoutMs = CONNECT_TIMEOUT_MS,
): Promise<PgConnection> {
  return port.connect({
    connectionString: url,
    connectTimeoutMs,
    statementTimeoutMs: ctx.timeoutMs,
    applicationName: `drctl ${ctx.stepId}`.slice(0, 63),
    signal: ctx.signal,
  });
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}

/** What running a statement needs of a step: its signal, and a line for the operator when it is stopped. */
export type QueryContext = Pick<ActionContext, 'signal' | 'log'>;

/** Ask the server to stop what `conn` is running (through a second connection), then drop `conn`. */
async function stopStatement(port: PgPort, conn: PgConnection, url: string, ctx: QueryContext): Promise<void> {
  const pid = conn.processId;
  if (pid !== null) {
    ctx.log(`stopping the running statement (pg_cancel_backend(${pid}))`);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`no answer within ${CANCEL_TIMEOUT_MS / 1000}s`)), CANCEL_TIMEOUT_MS);
    let canceller: PgConnection | undefined;
    try {
      canceller = await port.connect({
        connectionString: url,
        connectTimeoutMs: CANCEL_TIMEOUT_MS,
        statementTimeoutMs: CANCEL_TIMEOUT_MS,
        applicationName: 'drctl cancel',
        signal: controller.signal,
      });
      await untilAborted(canceller.query('SELECT pg_cancel_backend($1)', [pid]), controller.signal);
    } catch (error) {
      ctx.log(`could not cancel the statement: ${problemOf(error, url)}`);
    } finally {
      clearTimeout(timer);
      await canceller?.end();
    }
  }
  await conn.end();
}

/**
 * Run SQL on `conn`. When the step times out or the run is interrupted, the statement is cancelled
 * on the server (not just abandoned: it may hold locks) and the promise rejects with the signal's reason.
 */
export function runQuery(port: PgPort, conn: PgConnection, url: string, sql: string, ctx: QueryContext): Promise<PgResult> {
  return runStatement(port, conn, url, ctx, () => conn.query(sql));
}

/** A statement started by `start` on `conn` (a query, a COPY), stopped on the server when the signal fires. */
export function runStatement<T>(port: PgPort, conn: PgConnection, url: string, ctx: QueryContext, start: () => Promise<T>): Promise<T> {
  const { signal } = ctx;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      void stopStatement(port, conn, url, ctx).finally(() => reject(signal.reason as Error));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    start().then(
      (result) => {
        if (signal.aborted) return; // the abort settles it
        signal.removeEventListener('abort', onAbort);
        resolve(result);
      },
      (error: unknown) => {
        if (signal.aborted) return;
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}

/** A value as JSON can hold it: dates as ISO text, bytes as \x hex, big integers as text. */
export function jsonValue(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString('hex')}`;
  if (Array.isArray(value)) return value.map(jsonValue);
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonValue(v)]));
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}

/** The first column of the first row, or null when there is none. */
export function firstValue(result: PgResult): unknown {
  const row = result.rows[0];
  if (!row) return null;
  const column = result.fields[0] ?? Object.keys(row)[0];
  return column === undefined ? null : jsonValue(row[column]);
}

/** A value as the text a matcher sees: NULL (or no row) is empty text. */
export function textOf(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The number of rows a result returned or touched. */
export function rowCountOf(result: PgResult): number {
  return result.rowCount ?? result.rows.length;
}
