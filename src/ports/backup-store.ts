import type { Readable } from 'node:stream';

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

export interface StreamWriteOptions {
  signal: AbortSignal;
  /** Bytes passed to the store so far. */
  onProgress(bytes: number): void;
}

/** What a streamed write stored: known only once the stream has ended. */
export interface StreamWritten {
  size: number;
  sha256: string;
}

/**
 * The port the backup actions use: S3 (src/adapters/s3-store.ts) and the file system
 * (src/adapters/file-store.ts) implement it; unit tests pass fakes. src/actions/backup/store.ts
 * opens the one a location names.
 */
export interface BackupStore {
  listPage(prefix: string, token: string | undefined, signal: AbortSignal): Promise<ObjectPage>;
  /** The object's size and checksum, and its bytes as a stream. */
  read(key: string, signal: AbortSignal): Promise<{ info: ObjectInfo; body: Readable }>;
  /**
   * Bytes `start` to `end` (inclusive) of the object, where the store reads ranges (S3's ranged
   * GetObject): several at once fill a file faster than one stream.
   */
  readRange?(key: string, start: number, end: number, signal: AbortSignal): Promise<Readable>;
  /** Store a stream of exactly `size` bytes, keeping `sha256` with it where the store can. */
  write(key: string, body: Readable, options: WriteOptions): Promise<void>;
  /**
   * Store a stream of unknown length, hashing it on the way, and keep its sha256 with it where the
   * store can. Nothing is left under `key` when the stream fails or the signal fires.
   */
  writeStream(key: string, body: Readable, options: StreamWriteOptions): Promise<StreamWritten>;
  remove(key: string, signal: AbortSignal): Promise<void>;
}
