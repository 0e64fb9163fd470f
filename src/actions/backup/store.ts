import { awsFailure, isPermanentAwsError } from '../../adapters/aws.js';
import type { AwsSettings } from '../../ports/aws.js';
import type { BackupStore } from '../../ports/backup-store.js';
import { ActionError } from '../types.js';

/** File system errors that the same call meets again: a missing path, a permission, a wrong kind of file. */
const PERMANENT_FS_CODES = new Set(['ENOENT', 'EACCES', 'EPERM', 'ENOTDIR', 'EISDIR', 'ELOOP', 'EROFS', 'EEXIST']);
import type { StoreRef } from './location.js';

export type OpenStore = (store: StoreRef, aws: AwsSettings) => Promise<BackupStore>;

/** The real stores; their SDKs load only here, when an action runs. */
export const openStore: OpenStore = async (store, aws) => {
  if (store.scheme === 's3') {
    const { S3Store } = await import('../../adapters/s3-store.js');
    return S3Store.open(store.bucket, aws);
  }
  const { FileStore } = await import('../../adapters/file-store.js');
  return new FileStore();
};

/**
 * One line for a failed store call: the action, the resource and the cause (the AWS error code, or
 * the file system's). An interruption or timeout passes through: the runner reports those itself.
 */
export function storeFailure(action: string, resource: string, error: unknown, signal: AbortSignal): Error {
  if (signal.aborted || error instanceof ActionError) return error as Error;
  const e = error as { code?: unknown; syscall?: unknown; message?: string };
  if (typeof e.code === 'string' && typeof e.syscall === 'string') {
    // ENOENT: no such file or directory, open '/x' → ENOENT: no such file or directory
    return new ActionError(`${action}: ${resource}: ${(e.message ?? e.code).split(',')[0]}`, { permanent: PERMANENT_FS_CODES.has(e.code) });
  }
  if (/region is missing/i.test(e.message ?? ''))
    return new ActionError(`${action}: ${resource}: no AWS region (set AWS_REGION or --region)`, { permanent: true });
  return new ActionError(awsFailure(action, resource, error), { permanent: isPermanentAwsError(error) });
}

/** A read that failed because there is no such object (or file). */
export function missingObject(error: unknown): boolean {
  const e = (error ?? {}) as { code?: unknown; name?: unknown; Code?: unknown; $metadata?: { httpStatusCode?: unknown } };
  return (
    e.code === 'ENOENT' || e.name === 'NoSuchKey' || e.name === 'NotFound' || e.Code === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404
  );
}
