/**
 * The small port the postgres actions talk through: connect, query, end. The real one wraps the
 * `pg` package, loaded only when a connection is first opened (drctl must start fast); tests put a
 * fake behind the same port.
 */

export interface PgConnectOptions {
  /** A postgresql:// URL. A secret: never shown, never journalled. */
  connectionString: string;
  /** Give up connecting after this long. */
  connectTimeoutMs: number;
  /** The server cancels any statement running longer than this (the step's timeout). */
  statementTimeoutMs?: number | undefined;
  applicationName: string;
  /** Abandon the attempt when this fires: the promise rejects with its reason. */
  signal?: AbortSignal | undefined;
}

export interface PgResult {
  /** Row objects, column name → value, JSON-ready (dates and intervals as PostgreSQL prints them). */
  rows: Array<Record<string, unknown>>;
  /** Rows returned or affected; null when the command reports none (BEGIN, SET). */
  rowCount: number | null;
  /** The column names, in order. */
  fields: string[];
  /** The command tag's verb: SELECT, UPDATE, ... */
  command: string;
}

export interface PgConnection {
  /** The server process serving this connection (for pg_cancel_backend), when known. */
  readonly processId: number | null;
  /** Run SQL (several statements may be given: the result is the last one that returned rows). */
  query(sql: string, params?: readonly unknown[]): Promise<PgResult>;
  /** Close the connection; never rejects. */
  end(): Promise<void>;
}

export interface PgPort {
  connect(options: PgConnectOptions): Promise<PgConnection>;
}

/** An error the server reported, with its SQLSTATE code. Anything else (network, timeout) is a plain Error. */
export class PgServerError extends Error {
  constructor(
    readonly sqlstate: string,
    message: string,
    readonly detail?: string | undefined,
    readonly hint?: string | undefined,
  ) {
    super(message);
    this.name = 'PgServerError';
  }
}

// Types whose text is kept as PostgreSQL prints it: pg would turn them into JavaScript Dates (losing
// microseconds, misreading dates without a zone), interval objects or Buffers.
const KEEP_AS_TEXT = new Set([
  17, // bytea
  1082, // date
  1083, // time
  1114, // timestamp
  1184, // timestamptz
  1186, // interval
  1266, // timetz
  1001, // bytea[]
  1182, // date[]
  1183, // time[]
  1115, // timestamp[]
  1185, // timestamptz[]
  1187, // interval[]
  1270, // timetz[]
]);
const INT8 = 20;
const END_GRACE_MS = 2_000;

interface RawResult {
  rows: Array<Record<string, unknown>>;
  rowCount: number | null;
  fields?: Array<{ name: string }>;
  command: string;
}

/** Of several statements' results: the last that returned rows, else the last that counted rows, else the last. */
export function pickResult<R extends { fields?: unknown[] | undefined; rowCount: number | null }>(results: readonly R[]): R | undefined {
  return (
    results.findLast((r) => (r.fields?.length ?? 0) > 0) ??
    results.findLast((r) => r.rowCount !== null) ??
    results[results.length - 1]
  );
}

function serverError(error: unknown): unknown {
  const e = error as { code?: unknown; severity?: unknown; message?: unknown; detail?: unknown; hint?: unknown } | null;
  if (e && typeof e.code === 'string' && typeof e.severity === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) {
    return new PgServerError(e.code, String(e.message ?? ''), typeof e.detail === 'string' ? e.detail : undefined, typeof e.hint === 'string' ? e.hint : undefined);
  }
  return error;
}

/** The real port: node-postgres, one Client per connection. */
export function createPgPort(): PgPort {
  return {
    async connect(options) {
      const { default: pg } = await import('pg');
      if (options.signal?.aborted) throw options.signal.reason;
      const types = {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
          if (KEEP_AS_TEXT.has(oid)) return (text: string) => text;
          if (oid === INT8) {
            // count(*) is bigint: a number when it fits, text when it does not.
            return (text: string) => {
              const n = Number(text);
              return Number.isSafeInteger(n) ? n : text;
            };
          }
          return pg.types.getTypeParser(oid, format);
        }) as typeof pg.types.getTypeParser,
      };
      const client = new pg.Client({
        connectionString: options.connectionString,
        connectionTimeoutMillis: options.connectTimeoutMs,
        application_name: options.applicationName,
        types,
        ...(options.statementTimeoutMs !== undefined ? { statement_timeout: Math.max(1, Math.ceil(options.statementTimeoutMs)) } : {}),
      });
      // A connection lost while idle is reported as an event: without a listener it would crash drctl.
      client.on('error', () => undefined);
      const end = async (): Promise<void> => {
        let timer: NodeJS.Timeout | undefined;
        const forced = new Promise<void>((resolve) => {
          // A server that does not answer the goodbye must not hold the step: drop the socket.
          timer = setTimeout(() => {
            (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
            resolve();
          }, END_GRACE_MS);
        });
        try {
          await Promise.race([client.end(), forced]);
        } catch {
          // already closed
        } finally {
          clearTimeout(timer);
        }
      };
      const connected = client.connect();
      await new Promise<void>((resolve, reject) => {
        const signal = options.signal;
        const onAbort = (): void => {
          reject(signal!.reason);
          // Close it whether it connects later or not.
          connected.then(end, () => undefined);
          void end();
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        connected.then(
          () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
          (error: unknown) => {
            signal?.removeEventListener('abort', onAbort);
            void end();
            reject(serverError(error));
          },
        );
      });
      const processId = (client as unknown as { processID?: unknown }).processID;
      return {
        processId: typeof processId === 'number' ? processId : null,
        async query(sql, params) {
          let raw: RawResult | RawResult[];
          try {
            raw = (await client.query(sql, params ? [...params] : undefined)) as unknown as RawResult | RawResult[];
          } catch (error) {
            throw serverError(error);
          }
          const result = Array.isArray(raw) ? pickResult(raw) : raw;
          if (!result) return { rows: [], rowCount: null, fields: [], command: '' };
          return {
            rows: result.rows,
            rowCount: result.rowCount ?? null,
            fields: (result.fields ?? []).map((f) => f.name),
            command: result.command ?? '',
          };
        },
        end,
      };
    },
  };
}

/** The port the built-in actions use. Creating it loads nothing. */
export const pgPort: PgPort = createPgPort();
