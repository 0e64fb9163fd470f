import * as z from '../../util/zod.js';
import type { FingerprintMethod, TableFingerprint } from '../postgres/fingerprint-core.js';
import type { Readable } from 'node:stream';
import { ActionError, PermanentActionError } from '../types.js';

/**
 * The manifest that sits beside a backup object (`<key>.manifest.json`): what was dumped, when,
 * its size and sha256, and per table the row count and content fingerprint
 * (src/actions/postgres/fingerprint-core.ts) taken from the same data. `backup.verify`,
 * `postgres.restore` and `postgres.fingerprint` compare against it.
 */
export interface BackupManifest {
  manifest_version: 1;
  tool: 'drctl';
  database: string;
  server_version: string;
  format: 'plain-gzip' | 'custom' | 'directory';
  /** ISO times: the dump's start and end. */
  started_at: string;
  finished_at: string;
  /** The object's size in bytes, and its sha256 (hex). */
  size: number;
  sha256: string;
  /** The backup object's URI (s3://bucket/key or file:///path). */
  object: string;
  /** How the tables' checksums were made (src/actions/postgres/fingerprint-core.ts); absent in manifests of earlier drctl: drctl-fp1. */
  fingerprint_method?: FingerprintMethod | undefined;
  tables: TableFingerprint[];
  /** A directory-format backup's files, each with its size and sha256 (`sha256` above is the digest of this list). */
  files?: Array<{ name: string; size: number; sha256: string }> | undefined;
}

export const MANIFEST_SUFFIX = '.manifest.json';

/** Where the manifest of the backup at `objectKey` is kept: beside it, `<key>.manifest.json`, or `<dir>.manifest.json` for a folder `<dir>/`. */
export function manifestKeyFor(objectKey: string): string {
  return `${objectKey.endsWith('/') ? objectKey.slice(0, -1) : objectKey}${MANIFEST_SUFFIX}`;
}

const isoTime = (text: string): boolean => !Number.isNaN(Date.parse(text));
const count = () => z.number().check(z.int(), z.nonnegative());

/** One table of a fingerprint, as a manifest or a fingerprint output carries it. */
export const tableFingerprintSchema = z.object({
  schema: z.string(),
  table: z.string(),
  rows: count(),
  sha256: z.string().check(z.regex(/^[0-9a-f]{64}$/, { error: 'expected 64 hex digits' })),
  ordered_by: z.enum(['primary key', 'all columns']),
});

const manifestSchema = z.object({
  manifest_version: z.literal(1, { error: 'expected 1 (this drctl reads manifest version 1)' }),
  tool: z.literal('drctl'),
  database: z.string(),
  server_version: z.string(),
  format: z.enum(['plain-gzip', 'custom', 'directory']),
  started_at: z.string().check(z.refine(isoTime, { error: 'expected an ISO date and time' })),
  finished_at: z.string().check(z.refine(isoTime, { error: 'expected an ISO date and time' })),
  size: count(),
  sha256: z.string().check(z.regex(/^[0-9a-f]{64}$/, { error: 'expected 64 hex digits' })),
  object: z.string(),
  fingerprint_method: z.optional(
    z.enum(['drctl-fp1', 'drctl-fp2'], { error: 'expected drctl-fp1 or drctl-fp2 (a manifest of a later drctl?)' }),
  ),
  tables: z.array(tableFingerprintSchema),
  files: z.optional(
    z.array(
      z.object({
        // A file's own name: no path (it is joined to the folder's).
        name: z.string().check(
          z.regex(/^[^/\\\0]+$/, { error: 'expected a file name' }),
          z.refine((n: string) => n !== '.' && n !== '..', { error: 'expected a file name' }),
        ),
        size: count(),
        sha256: z.string().check(z.regex(/^[0-9a-f]{64}$/, { error: 'expected 64 hex digits' })),
      }),
    ),
  ),
});

/** The first problem of a zod failure as `key.path: message`. */
export function firstIssue(error: z.core.$ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'not valid';
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  return path ? `${path.replace(/^\./, '')}: ${issue.message}` : issue.message;
}

/**
 * A manifest read from `where` (its URI, for the message): one readable ActionError (permanent: the
 * same bytes fail again) when it is not JSON or not a drctl manifest.
 */
export function parseManifest(text: string, where: string): BackupManifest {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ActionError(`${where}: not a backup manifest: not JSON (${(error as Error).message})`, { permanent: true });
  }
  const parsed = manifestSchema.safeParse(data);
  if (!parsed.success) throw new ActionError(`${where}: not a valid backup manifest: ${firstIssue(parsed.error)}`, { permanent: true });
  return parsed.data as BackupManifest;
}

/** The manifest as stored: JSON, two-space indented, ending in a newline. */
export function serializeManifest(manifest: BackupManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** A manifest larger than this is not one (a backup named by mistake): it is not read whole. */
const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

/** A manifest's text, read from the store; `action` and `where` name it in a failure. */
export async function readManifestText(body: Readable, action: string, where: string, signal: AbortSignal): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (signal.aborted) break;
    size += (chunk as Buffer).length;
    if (size > MAX_MANIFEST_BYTES) {
      body.destroy();
      throw new PermanentActionError(`${action}: ${where}: larger than ${MAX_MANIFEST_BYTES / 1024 / 1024} MiB: not a backup manifest`);
    }
    chunks.push(chunk as Buffer);
  }
  if (signal.aborted) throw signal.reason as Error;
  return Buffer.concat(chunks).toString('utf8');
}
