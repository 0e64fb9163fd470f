import type { Readable } from 'node:stream';
import { awsFailure } from '../../adapters/aws.js';
import type { AwsSettings } from '../types.js';
import { ActionError } from '../types.js';
import type { StoreRef } from './location.js';

/** An object as a listing shows it. */
export interface StoredObject {
  key: string;
  lastModified: Date;
  size: number;
}

/** One page of a listing, in the store's order; `next` asks for the page after it. */
export interface ObjectPage {
  objects: StoredObject[];
  next?: string | undefined;
}

export interface ObjectInfo {
  size: number;
  lastModified?: Date | undefined;
  /** The object's own sha256 (hex), when the store keeps one: verified after a download. */
  sha256?: string | undefined;
  /** Where that sha256 came from, for the journal. */
  sha256Source?: string | undefined;
}

export interface WriteOptions {
  size: number;
  sha256: string;
  signal: AbortSignal;
  /** Bytes safely stored so far. */
  onProgress(bytes: number): void;
}

/**
 * The port the backup actions use: S3 (src/adapters/s3-store.ts) and the file system
 * (src/adapters/file-store.ts) implement it; unit tests pass fakes.
 */
export interface BackupStore {
  listPage(prefix: string, token: string | undefined, signal: AbortSignal): Promise<ObjectPage>;
  /** The object's size and checksum, and its bytes as a stream. */
  read(key: string, signal: AbortSignal): Promise<{ info: ObjectInfo; body: Readable }>;
  /** Store a stream of exactly `size` bytes, keeping `sha256` with it where the store can. */
  write(key: string, body: Readable, options: WriteOptions): Promise<void>;
  remove(key: string, signal: AbortSignal): Promise<void>;
}

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
    return new ActionError(`${action}: ${resource}: ${(e.message ?? e.code).split(',')[0]}`);
  }
  if (/region is missing/i.test(e.message ?? '')) return new ActionError(`${action}: ${resource}: no AWS region (set AWS_REGION or --region)`);
  return new ActionError(awsFailure(action, resource, error));
}
