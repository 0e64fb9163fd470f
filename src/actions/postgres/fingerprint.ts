import * as z from '../../util/zod.js';
import { pgPort } from '../../adapters/pg-port.js';
import type { PgPort } from '../../ports/pg.js';
import { formatDuration } from '../../util/duration.js';
import { arg } from '../args.js';
import {
  firstIssue,
  manifestKeyFor,
  MANIFEST_SUFFIX,
  parseManifest,
  readManifestText,
  tableFingerprintSchema,
} from '../backup/manifest.js';
import { parseObjectUri, uriOf } from '../backup/location.js';
import type { OpenStore } from '../backup/store.js';
import { openStore, storeFailure } from '../backup/store.js';
import type { ActionContext } from '../types.js';
import { ActionError, defineAction, PermanentActionError } from '../types.js';
import { describeTarget, failure, urlArg } from './common.js';
import type { FingerprintMethod, TableFingerprint } from './fingerprint-core.js';
import { compareFingerprints, describeDifference, fingerprintDatabase, selectedBy } from './fingerprint-core.js';

const NAME = 'postgres.fingerprint';

/** A manifest larger than this is not one drctl wrote (a table's entry is some 200 bytes). */

const COMPARE_HINT = 'expected s3://bucket/key or file:///path (a backup or its .manifest.json), or a fingerprint as JSON';

/** Why `text` cannot be a `compare_with`, or undefined when it may be one. */
function compareProblem(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return undefined;
  if (!trimmed.startsWith('s3://') && !trimmed.startsWith('file://')) return COMPARE_HINT;
  const object = parseObjectUri(trimmed);
  return typeof object === 'string' ? object : undefined;
}

const nameList = () => arg.prepared((v) => (typeof v === 'string' ? [v] : v), arg.list(arg.text()));

const fingerprintArgs = z.strictObject({
  url: urlArg(),
  /** Only these schemas (default: every schema but PostgreSQL's own). */
  schemas: z.optional(nameList()),
  /** Only these tables: schema.table, or a bare name in any schema. */
  tables: z.optional(nameList()),
  /** What the data must equal: a backup (its manifest beside it), a manifest, or an earlier fingerprint output. */
  compare_with: z.optional(
    arg.text().check(
      z.superRefine((text: string, ctx) => {
        const problem = compareProblem(text);
        if (problem) ctx.addIssue({ code: 'custom', message: problem, input: text });
      }),
    ),
  ),
});

/** What the data is compared with: its tables, how their checksums were made, and how the report names it. */
interface Expected {
  tables: TableFingerprint[];
  method: FingerprintMethod;
  describe: string;
}

const methodSchema = z.optional(z.enum(['drctl-fp1', 'drctl-fp2'], { error: 'expected drctl-fp1 or drctl-fp2' }));
const fingerprintTextSchema = z.union([
  z.object({ tables: z.array(tableFingerprintSchema), method: methodSchema, fingerprint_method: methodSchema }),
  z.array(tableFingerprintSchema),
]);

/** An earlier fingerprint given as JSON: the `fingerprint` output, a manifest's text, or a list of tables. */
function expectedFromJson(text: string): Expected {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new PermanentActionError(`${NAME}: compare_with: not a fingerprint: not JSON (${(error as Error).message})`);
  }
  const parsed = fingerprintTextSchema.safeParse(data);
  if (!parsed.success) throw new PermanentActionError(`${NAME}: compare_with: not a fingerprint: ${firstIssue(parsed.error)}`);
  // Fingerprints and manifests of earlier drctl name no method: theirs was drctl-fp1.
  if (Array.isArray(parsed.data))
    return { tables: parsed.data as TableFingerprint[], method: 'drctl-fp1', describe: 'the fingerprint given' };
  const method = parsed.data.method ?? parsed.data.fingerprint_method ?? 'drctl-fp1';
  const about = data as { database?: unknown; taken_at?: unknown; object?: unknown };
  const describe =
    typeof about.object === 'string'
      ? `the manifest of ${about.object}`
      : typeof about.database === 'string' && typeof about.taken_at === 'string'
        ? `the fingerprint of ${about.database} taken at ${about.taken_at}`
        : 'the fingerprint given';
  return { tables: parsed.data.tables as TableFingerprint[], method, describe };
}

/** A backup's manifest (beside the object), or a manifest named directly. */
async function expectedFromStore(uri: string, ctx: ActionContext, open: OpenStore): Promise<Expected> {
  const object = parseObjectUri(uri);
  if (typeof object === 'string') throw new PermanentActionError(`${NAME}: compare_with: ${uri}: ${object}`);
  const key = object.key.endsWith(MANIFEST_SUFFIX) ? object.key : manifestKeyFor(object.key);
  const where = uriOf(object.store, key);
  let text: string;
  try {
    const store = await open(object.store, ctx.aws);
    const { body } = await store.read(key, ctx.signal);
    text = await readManifestText(body, NAME, where, ctx.signal);
  } catch (error) {
    const failed = storeFailure(NAME, where, error, ctx.signal);
    if (failed instanceof ActionError && !object.key.endsWith(MANIFEST_SUFFIX))
      throw new ActionError(`${failed.message} (the manifest that sits beside ${object.uri})`, { permanent: failed.permanent });
    throw failed;
  }
  const manifest = parseManifest(text, `${NAME}: ${where}`);
  return { tables: manifest.tables, method: manifest.fingerprint_method ?? 'drctl-fp1', describe: where };
}

/**
 * Fingerprint a database (per table a row count and a content checksum, computed in the server:
 * see fingerprint-core.ts) and, given `compare_with`, fail naming each table that differs. The
 * result is journaled as the run's integrity evidence.
 */
export function createPostgresFingerprint(port: PgPort, open: OpenStore = openStore) {
  return defineAction({
    name: NAME,
    summary:
      'Fingerprint the data of PostgreSQL tables (row counts and checksums), compared with a backup manifest or an earlier fingerprint',
    args: fingerprintArgs,
    outputs: ['fingerprint', 'tables', 'rows', 'differences', 'summary'],
    secretArgs: ['url'],
    async run(args, ctx) {
      const target = describeTarget(args.url);
      const filters = { schemas: args.schemas, tables: args.tables };
      // The expectation first: a missing or unreadable manifest fails before the database is read.
      let expected: Expected | undefined;
      if (args.compare_with !== undefined) {
        const text = args.compare_with.trim();
        expected = text.startsWith('{') || text.startsWith('[') ? expectedFromJson(text) : await expectedFromStore(text, ctx, open);
        expected.tables = expected.tables.filter((t) => selectedBy(filters, t.schema, t.table));
      }
      if (expected?.method === 'drctl-fp1')
        ctx.log(`${expected.describe} holds drctl-fp1 checksums (an earlier drctl's): the data is fingerprinted the same way`);
      const started = performance.now();
      let fingerprint;
      try {
        fingerprint = await fingerprintDatabase(
          { url: args.url, port, statementTimeoutMs: ctx.timeoutMs, applicationName: `drctl ${ctx.stepId}` },
          {
            ...filters,
            method: expected?.method,
            signal: ctx.signal,
            log: ctx.log,
            onTable: (t) => ctx.log(`${t.schema}.${t.table}: ${t.rows} row${t.rows === 1 ? '' : 's'}, ${t.sha256.slice(0, 12)}`),
          },
        );
      } catch (error) {
        if (ctx.signal.aborted || error instanceof ActionError) throw error;
        throw failure(NAME, target, error, args.url);
      }
      const durationMs = Math.round(performance.now() - started);
      const { tables } = fingerprint;
      const rows = tables.reduce((sum, t) => sum + t.rows, 0);
      const unknown = (args.tables ?? []).filter(
        (name) => ![...tables, ...(expected?.tables ?? [])].some((t) => name === `${t.schema}.${t.table}` || name === t.table),
      );
      if (unknown.length)
        throw new PermanentActionError(
          `${NAME}: ${target.label}: no table named ${unknown.join(', ')}${args.schemas?.length ? ` in schema ${args.schemas.join(', ')}` : ''}`,
        );
      const differences = expected ? compareFingerprints(expected.tables, tables).map(describeDifference) : [];
      const taken = `${tables.length} table${tables.length === 1 ? '' : 's'}, ${rows} row${rows === 1 ? '' : 's'}`;
      const summary = !expected
        ? `${taken} fingerprinted in ${formatDuration(durationMs)}`
        : differences.length === 0
          ? `${taken}: all match ${expected.describe}`
          : `${differences.length} table${differences.length === 1 ? '' : 's'} of ${target.database} ${differences.length === 1 ? 'differs' : 'differ'} from ${expected.describe}: ${differences.join('; ')}`;
      ctx.log(summary);
      ctx.record({
        host: target.host,
        port: target.port,
        database: target.database,
        server_version: fingerprint.server_version,
        duration_ms: durationMs,
        integrity: {
          database: target.database,
          compared_with: expected?.describe ?? null,
          tables: tables.length,
          rows,
          differences,
          ok: expected ? differences.length === 0 : null,
        },
      });
      if (differences.length) throw new PermanentActionError(`${NAME}: ${target.label}: ${summary}`);
      return { fingerprint: JSON.stringify(fingerprint), tables: tables.length, rows, differences: 0, summary };
    },
  });
}

export const postgresFingerprint = createPostgresFingerprint(pgPort);
