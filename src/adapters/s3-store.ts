import type { S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import type { AwsSettings } from '../ports/aws.js';
import type { BackupStore, ObjectInfo, ObjectPage, StreamWriteOptions, StreamWritten, WriteOptions } from '../ports/backup-store.js';
import { HashMeter } from '../util/hash-meter.js';
import { s3Client } from './aws.js';

/**
 * Multipart uploads of a file of known size: 8 MiB parts, 4 in flight, so memory stays near 40 MiB
 * whatever the file's size. A stream of unknown length goes through s3-multipart.ts instead.
 */
const PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 4;

const SHA256_HEX = /^[0-9a-f]{64}$/;
let uploads = 0;

/** The object tag that carries the sha256 of a streamed upload (known only once the upload is complete). */
export const SHA256_TAG = 'sha256';

/** The sha256 an object's tags carry, if any. */
export function taggedSha256(tags: ReadonlyArray<{ Key?: string | undefined; Value?: string | undefined }>): string | undefined {
  const value = tags
    .find((tag) => tag.Key === SHA256_TAG)
    ?.Value?.trim()
    .toLowerCase();
  return value && SHA256_HEX.test(value) ? value : undefined;
}

/** The sha256 an object carries: our `sha256` metadata, else a full-object (not composite) ChecksumSHA256. */
export function objectSha256(object: {
  Metadata?: Record<string, string> | undefined;
  ChecksumSHA256?: string | undefined;
  ChecksumType?: string | undefined;
}): { sha256: string; source: string } | undefined {
  const meta = object.Metadata?.sha256?.trim().toLowerCase();
  if (meta && SHA256_HEX.test(meta)) return { sha256: meta, source: 'metadata sha256' };
  const checksum = object.ChecksumSHA256;
  // A multipart object's checksum is a checksum of its parts' checksums ("...-12"): not the file's.
  if (checksum && !checksum.includes('-') && object.ChecksumType !== 'COMPOSITE') {
    const hex = Buffer.from(checksum, 'base64').toString('hex');
    if (SHA256_HEX.test(hex)) return { sha256: hex, source: 'ChecksumSHA256' };
  }
  return undefined;
}

/** Backups in one S3 bucket, through the AWS SDK v3. Every call honours the action's signal. */
export class S3Store implements BackupStore {
  private readonly client: S3Client;
  private readonly bucket: string;

  constructor(client: S3Client, bucket: string) {
    this.client = client;
    this.bucket = bucket;
  }

  static async open(bucket: string, settings: AwsSettings): Promise<S3Store> {
    return new S3Store(await s3Client(settings), bucket);
  }

  async listPage(prefix: string, token: string | undefined, signal: AbortSignal): Promise<ObjectPage> {
    const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
    const out = await this.client.send(
      new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix || undefined, ContinuationToken: token }),
      { abortSignal: signal },
    );
    return {
      objects: (out.Contents ?? [])
        .filter((o) => o.Key !== undefined && o.LastModified !== undefined)
        .map((o) => ({ key: o.Key!, lastModified: o.LastModified!, size: o.Size ?? 0 })),
      next: out.IsTruncated ? out.NextContinuationToken : undefined,
    };
  }

  async read(key: string, signal: AbortSignal): Promise<{ info: ObjectInfo; body: Readable }> {
    const { GetObjectCommand } = await import('@aws-sdk/client-s3');
    const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, ChecksumMode: 'ENABLED' }), {
      abortSignal: signal,
    });
    let checksum = objectSha256(out);
    // A streamed upload keeps its sha256 as a tag (metadata cannot be added after the upload).
    if (checksum === undefined && (out.TagCount ?? 1) > 0) {
      const { GetObjectTaggingCommand } = await import('@aws-sdk/client-s3');
      const tagged = await this.client
        .send(new GetObjectTaggingCommand({ Bucket: this.bucket, Key: key, VersionId: out.VersionId }), { abortSignal: signal })
        .then((tags) => taggedSha256(tags.TagSet ?? []))
        .catch(() => undefined);
      if (tagged !== undefined) checksum = { sha256: tagged, source: 'tag sha256' };
    }
    return {
      info: { size: out.ContentLength ?? 0, lastModified: out.LastModified, sha256: checksum?.sha256, sha256Source: checksum?.source },
      body: out.Body as Readable,
    };
  }

  async readRange(key: string, start: number, end: number, signal: AbortSignal): Promise<Readable> {
    const { GetObjectCommand } = await import('@aws-sdk/client-s3');
    const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: `bytes=${start}-${end}` }), {
      abortSignal: signal,
    });
    return out.Body as Readable;
  }

  async write(key: string, body: Readable, options: WriteOptions): Promise<void> {
    await this.upload(
      { Key: key, Body: body, ContentLength: options.size, Metadata: { sha256: options.sha256 } },
      options.signal,
      options.onProgress,
    );
  }

  /**
   * A stream of unknown length, hashed on the way (s3-multipart.ts: parts that grow, two in
   * flight); the sha256 is then put on the object as its `sha256` tag. When the stream fails, the
   * signal fires or the tag cannot be set, the multipart upload is aborted (or the object deleted):
   * nothing is left under `key`.
   */
  async writeStream(key: string, body: Readable, options: StreamWriteOptions): Promise<StreamWritten> {
    const meter = new HashMeter(options.onProgress);
    body.on('error', (error) => meter.destroy(error));
    const { uploadStream } = await import('./s3-multipart.js');
    await uploadStream({ client: this.client, bucket: this.bucket, key }, body.pipe(meter), options.signal);
    const written = { size: meter.bytes, sha256: meter.digest() };
    try {
      const { PutObjectTaggingCommand } = await import('@aws-sdk/client-s3');
      await this.client.send(
        new PutObjectTaggingCommand({ Bucket: this.bucket, Key: key, Tagging: { TagSet: [{ Key: SHA256_TAG, Value: written.sha256 }] } }),
        { abortSignal: options.signal },
      );
    } catch (error) {
      const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
      await this.client
        .send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: AbortSignal.timeout(5000) })
        .catch(() => {});
      throw error;
    }
    return written;
  }

  private async upload(
    params: { Key: string; Body: Readable; ContentLength?: number; Metadata?: Record<string, string> },
    signal: AbortSignal,
    onProgress: (bytes: number) => void,
  ): Promise<void> {
    const key = params.Key;
    const { Upload } = await import('@aws-sdk/lib-storage');
    const controller = new AbortController();
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, ...params },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
      abortController: controller,
    });
    upload.on('httpUploadProgress', (progress) => onProgress(progress.loaded ?? 0));
    // Upload, once aborted, gives up at once but aborts its multipart upload only after the parts in
    // flight finish: drctl may have exited by then. So note the upload id and abort it ourselves.
    // Every upload on the client sees every command: only this key's upload is this one's.
    let uploadId: string | undefined;
    const watcher = `drctl-upload-id-${++uploads}`;
    this.client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName === 'CreateMultipartUploadCommand' && (args.input as { Key?: string }).Key === key)
          uploadId = (result.output as { UploadId?: string }).UploadId;
        return result;
      },
      { step: 'initialize', name: watcher },
    );
    const onAbort = (): void => controller.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      signal.throwIfAborted();
      await upload.done();
    } catch (error) {
      if (uploadId !== undefined) {
        const { AbortMultipartUploadCommand } = await import('@aws-sdk/client-s3');
        await this.client
          .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }), {
            abortSignal: AbortSignal.timeout(5000),
          })
          .catch(() => {});
      }
      throw error;
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.client.middlewareStack.remove(watcher);
    }
  }

  async remove(key: string, signal: AbortSignal): Promise<void> {
    const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: signal });
  }
}
