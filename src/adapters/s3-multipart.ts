import type { S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';

/**
 * A multipart upload of a stream of unknown length (a dump as pg_dump writes it), with parts that
 * grow: 5 MiB (S3's smallest) for the first thousand, doubling every thousand after. So a small
 * dump costs little memory, and the 10,000 parts S3 allows reach nearly its largest object (4.9 of
 * 5 TiB) instead of stopping at 10,000 times a fixed size (78 GiB at 8 MiB). Each part is filled in
 * one buffer of its size (no copy of a copy; a buffer is filled again once S3 has its part), and
 * at most PARTS_IN_FLIGHT are being sent while the next one fills: memory stays near 15 MiB until
 * the object passes 5 GB.
 */

const MiB = 1024 * 1024;
export const FIRST_PART_SIZE = 5 * MiB;
const PARTS_PER_SIZE = 1000;
const LARGEST_PART = 5 * 1024 * MiB;
export const MAX_PARTS = 10_000;
const PARTS_IN_FLIGHT = 2;
const CREATE_TIMEOUT_MS = 15_000;

/** The size of part `n` (from 1): 5 MiB doubled for every thousand parts before it, at most 5 GiB. */
export function partSize(n: number): number {
  return Math.min(LARGEST_PART, FIRST_PART_SIZE * 2 ** Math.floor((n - 1) / PARTS_PER_SIZE));
}

export interface MultipartTarget {
  client: S3Client;
  bucket: string;
  key: string;
}

/**
 * Send `body` to `key`: one PutObject when it fits in the first part, a multipart upload otherwise.
 * When the body fails or the signal fires, the parts in flight are cancelled and the multipart
 * upload is aborted before this returns: nothing is left under the key.
 */
export async function uploadStream(
  target: MultipartTarget,
  body: Readable,
  signal: AbortSignal,
  sizeOf: (part: number) => number = partSize,
): Promise<void> {
  const s3 = await import('@aws-sdk/client-s3');
  const { client, bucket, key } = target;
  const stop = new AbortController();
  let failure: unknown;
  const onAbort = (): void => stop.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  // A part that fails, or the signal, ends the wait for the body's next bytes too; the body failing
  // ends the wait for parts in flight.
  stop.signal.addEventListener('abort', () => body.destroy(stop.signal.reason as Error), { once: true });
  body.once('error', (error) => {
    failure ??= error;
    stop.abort(error);
  });
  const options = { abortSignal: stop.signal };

  let uploadId: string | undefined;
  let created: Promise<string> | undefined;
  const parts: Array<{ PartNumber: number; ETag: string; ChecksumCRC32?: string }> = [];
  const inFlight = new Set<Promise<void>>();
  // A part's buffer, once S3 has it, is filled again: no garbage for the collector to find.
  const spare: Buffer[] = [];
  const partBuffer = (n: number): Buffer => {
    const size = sizeOf(n);
    let buffer = spare.pop();
    while (buffer !== undefined && buffer.length !== size) buffer = spare.pop();
    return buffer ?? Buffer.allocUnsafeSlow(size);
  };

  const createUpload = (): Promise<string> =>
    (created ??= (async () => {
      const checksums = (await client.config.requestChecksumCalculation()) === 'WHEN_SUPPORTED';
      // Not cancelled by the stop: S3 may make the upload even when drctl stops waiting, and only
      // its id lets the stop abort it (the stop waits for this answer, at most CREATE_TIMEOUT_MS).
      const out = await client.send(
        new s3.CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...(checksums ? { ChecksumAlgorithm: 'CRC32' } : {}) }),
        { abortSignal: AbortSignal.timeout(CREATE_TIMEOUT_MS) },
      );
      if (!out.UploadId) throw new Error('CreateMultipartUpload returned no upload id');
      uploadId = out.UploadId;
      return out.UploadId;
    })());

  const sendPart = (partNumber: number, data: Buffer): void => {
    const sending = (async () => {
      const id = await createUpload();
      const out = await client.send(
        new s3.UploadPartCommand({
          Bucket: bucket,
          Key: key,
          UploadId: id,
          PartNumber: partNumber,
          Body: data,
          ContentLength: data.length,
        }),
        options,
      );
      if (!out.ETag) throw new Error(`part ${partNumber} came back without an ETag`);
      parts.push({ PartNumber: partNumber, ETag: out.ETag, ...(out.ChecksumCRC32 ? { ChecksumCRC32: out.ChecksumCRC32 } : {}) });
      spare.push(data);
    })().catch((error: unknown) => {
      // A part cancelled by the stop fails for that stop: the reason is what stopped it.
      if (!stop.signal.aborted) failure = error;
      stop.abort(error);
    });
    inFlight.add(sending);
    void sending.finally(() => inFlight.delete(sending));
  };

  /** Wait until fewer than PARTS_IN_FLIGHT parts are being sent; throw once anything has failed. */
  const room = async (): Promise<void> => {
    while (inFlight.size >= PARTS_IN_FLIGHT) await Promise.race(inFlight);
    if (failure !== undefined) throw failure;
    stop.signal.throwIfAborted();
  };

  try {
    signal.throwIfAborted();
    let partNumber = 1;
    let buffer = partBuffer(partNumber);
    let filled = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      let offset = 0;
      while (offset < chunk.length) {
        if (filled === buffer.length) {
          if (partNumber === MAX_PARTS) throw new Error(`the object outgrew S3's ${MAX_PARTS} parts`);
          await room();
          sendPart(partNumber, buffer);
          partNumber += 1;
          buffer = partBuffer(partNumber);
          filled = 0;
        }
        const copied = chunk.copy(buffer, filled, offset);
        filled += copied;
        offset += copied;
      }
      if (failure !== undefined) throw failure;
    }
    const last = buffer.subarray(0, filled);
    if (partNumber === 1) {
      await client.send(new s3.PutObjectCommand({ Bucket: bucket, Key: key, Body: last, ContentLength: last.length }), options);
      return;
    }
    await room();
    sendPart(partNumber, last);
    await Promise.all(inFlight);
    if (failure !== undefined) throw failure;
    parts.sort((a, b) => a.PartNumber - b.PartNumber);
    await client.send(
      new s3.CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
      options,
    );
  } catch (error) {
    // What came first is what is reported: the signal, or the error it did not cause.
    const stoppedBySignal = signal.aborted && (failure === undefined || failure === signal.reason);
    failure ??= error;
    stop.abort(failure);
    await Promise.allSettled(inFlight);
    // A part sent just before the stop may have begun the upload: abort it too.
    if (created !== undefined) await created.catch(() => {});
    if (uploadId !== undefined) {
      await client
        .send(new s3.AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }), {
          abortSignal: AbortSignal.timeout(5000),
        })
        .catch(() => {});
    }
    throw stoppedBySignal ? signal.reason : failure;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
