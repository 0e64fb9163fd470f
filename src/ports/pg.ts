/**
 * The small port the postgres actions talk through: connect, query, end. The real one (src/adapters/pg-port.ts) wraps the
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
  /**
   * Run a `COPY … TO STDOUT`: its text goes to `onChunk` as it arrives, in chunks that may end
   * anywhere (mid-line). Resolves once the copy is done. A port that cannot stream leaves it out.
   */
  copyOut?(sql: string, onChunk: (chunk: Buffer) => void): Promise<void>;
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
