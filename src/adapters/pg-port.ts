import type { PgPort } from '../ports/pg.js';
import { PgServerError } from '../ports/pg.js';

// node-postgres behind the PostgreSQL port of src/ports/pg.ts.

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
    results.findLast((r) => (r.fields?.length ?? 0) > 0) ?? results.findLast((r) => r.rowCount !== null) ?? results[results.length - 1]
  );
}

function serverError(error: unknown): unknown {
  const e = error as { code?: unknown; severity?: unknown; message?: unknown; detail?: unknown; hint?: unknown } | null;
  if (e && typeof e.code === 'string' && typeof e.severity === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) {
    return new PgServerError(
      e.code,
      String(e.message ?? ''),
      typeof e.detail === 'string' ? e.detail : undefined,
      typeof e.hint === 'string' ? e.hint : undefined,
    );
  }
  return error;
}

/** The real port: node-postgres, one Client per connection. */
function createPgPort(): PgPort {
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
      // node-postgres decodes the URL's database name with decodeURI, which leaves %2F, %23, %3F...
      // encoded: the name is the path decoded whole, as libpq and psql read it.
      const path = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*\/([^?#]+)/i.exec(options.connectionString)?.[1];
      if (path !== undefined) {
        let database: string | undefined;
        try {
          database = decodeURIComponent(path);
        } catch {
          // not percent-encoded text: node-postgres's own reading stands
        }
        if (database !== undefined) {
          const params = (client as unknown as { connectionParameters: { database: string } }).connectionParameters;
          params.database = database;
          (client as unknown as { database: string }).database = database;
        }
      }
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
        async copyOut(sql, onChunk) {
          const { to } = await import('pg-copy-streams');
          const stream = client.query(to(sql));
          await new Promise<void>((resolve, reject) => {
            stream.on('data', onChunk);
            stream.on('end', resolve);
            stream.on('error', (error: unknown) => reject(serverError(error) as Error));
          });
        },
        end,
      };
    },
  };
}

/** The port the built-in actions use. Creating it loads nothing. */
export const pgPort: PgPort = createPgPort();
