import type { S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import type { AwsSettings } from '../ports/aws.js';
import type { BackupStore, ObjectInfo, ObjectPage, WriteOptions } from '../ports/backup-store.js';
import { s3Client } from './aws.js';

/** Multipart uploads: 8 MiB parts, 4 in flight, so memory stays near 40 MiB whatever the file's size. */
const PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 4;

const SHA256_HEX = /^[0-9a-f]{64}$/;
let uploads = 0;

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
    const checksum = objectSha256(out);
    return {
      info: { size: out.ContentLength ?? 0, lastModified: out.LastModified, sha256: checksum?.sha256, sha256Source: checksum?.source },
      body: out.Body as Readable,
    };
  }

  async write(key: string, body: Readable, options: WriteOptions): Promise<void> {
    const { Upload } = await import('@aws-sdk/lib-storage');
    const controller = new AbortController();
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: body, ContentLength: options.size, Metadata: { sha256: options.sha256 } },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
      abortController: controller,
    });
    upload.on('httpUploadProgress', (progress) => options.onProgress(progress.loaded ?? 0));
    // Upload, once aborted, gives up at once but aborts its multipart upload only after the parts in
    // flight finish: drctl may have exited by then. So note the upload id and abort it ourselves.
    let uploadId: string | undefined;
    const watcher = `drctl-upload-id-${++uploads}`;
    this.client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName === 'CreateMultipartUploadCommand') uploadId = (result.output as { UploadId?: string }).UploadId;
        return result;
      },
      { step: 'initialize', name: watcher },
    );
    const onAbort = (): void => controller.abort(options.signal.reason);
    options.signal.addEventListener('abort', onAbort, { once: true });
    try {
      options.signal.throwIfAborted();
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
      options.signal.removeEventListener('abort', onAbort);
      this.client.middlewareStack.remove(watcher);
    }
  }

  async remove(key: string, signal: AbortSignal): Promise<void> {
    const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: signal });
  }
}
