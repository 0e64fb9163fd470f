import type { S3Client } from '@aws-sdk/client-s3';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FIRST_PART_SIZE, MAX_PARTS, partSize, uploadStream } from '../../src/adapters/s3-multipart.js';

/** A fake S3 client behind the uploader: it records each command and answers when told to. */
function fakeS3(options: { failPart?: number; hold?: boolean; createDelayMs?: number; onAbortUpload?: () => Promise<void> } = {}) {
  const calls: Array<{ name: string; input: Record<string, unknown> }> = [];
  const received = new Map<number, Buffer>();
  const waiting: Array<() => void> = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const client = {
    config: { requestChecksumCalculation: async () => 'WHEN_SUPPORTED' },
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }, opts: { abortSignal: AbortSignal }) {
      const name = command.constructor.name.replace(/Command$/, '');
      calls.push({ name, input: command.input });
      if (name === 'CreateMultipartUpload') {
        // S3 makes the upload whether or not the caller still waits for the answer.
        if (options.createDelayMs) await new Promise((resolve) => setTimeout(resolve, options.createDelayMs));
        opts.abortSignal?.throwIfAborted();
        return { UploadId: 'up-1' };
      }
      if (name === 'AbortMultipartUpload') await options.onAbortUpload?.();
      if (name !== 'UploadPart') return {};
      const part = command.input.PartNumber as number;
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      try {
        if (options.hold) {
          await new Promise<void>((resolve, reject) => {
            waiting.push(resolve);
            opts.abortSignal.addEventListener('abort', () => reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' })));
          });
        } else await new Promise((resolve) => setTimeout(resolve, 2));
        if (part === options.failPart) throw new Error(`part ${part} refused`);
        received.set(part, Buffer.from(command.input.Body as Buffer));
        return { ETag: `"etag-${part}"`, ChecksumCRC32: `crc-${part}` };
      } finally {
        inFlight -= 1;
      }
    },
  };
  return {
    client: client as unknown as S3Client,
    calls,
    received,
    release: () => waiting.splice(0).forEach((resolve) => resolve()),
    mostInFlight: () => mostInFlight,
    names: () => calls.map((call) => call.name),
  };
}

const target = (client: S3Client) => ({ client, bucket: 'b', key: 'k/dump.sql.gz' });
const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7) % 251));
/** The body in chunks of `size`, so parts fill across chunk edges. */
const chunked = (data: Buffer, size: number): Readable =>
  Readable.from(Array.from({ length: Math.ceil(data.length / size) }, (_, i) => data.subarray(i * size, (i + 1) * size)));

describe('s3-multipart: streamed uploads with parts that grow (fake S3 client)', () => {
  it('parts start at 5 MiB, double every thousand parts, and 10,000 of them reach nearly the largest object S3 takes (4.9 of 5 TiB)', () => {
    expect(partSize(1)).toBe(FIRST_PART_SIZE);
    expect(partSize(1000)).toBe(5 * 2 ** 20);
    expect(partSize(1001)).toBe(10 * 2 ** 20);
    expect(partSize(2001)).toBe(20 * 2 ** 20);
    let total = 0;
    for (let n = 1; n <= MAX_PARTS; n++) total += partSize(n);
    expect(total).toBeGreaterThan(4.8 * 2 ** 40);
    expect(partSize(MAX_PARTS)).toBeLessThanOrEqual(5 * 2 ** 30);
  });

  it('cuts the stream at the sizes given, across chunk edges, and completes the upload with every part in order', async () => {
    const s3 = fakeS3();
    const data = bytes(1000);
    await uploadStream(target(s3.client), chunked(data, 37), new AbortController().signal, (n) => 100 + 50 * n);
    expect(s3.names()[0]).toBe('CreateMultipartUpload');
    expect(s3.calls[0]!.input).toMatchObject({ Bucket: 'b', Key: 'k/dump.sql.gz', ChecksumAlgorithm: 'CRC32' });
    expect([...s3.received.keys()].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
    expect([1, 2, 3, 4, 5].map((n) => s3.received.get(n)!.length)).toEqual([150, 200, 250, 300, 100]);
    expect(Buffer.concat([1, 2, 3, 4, 5].map((n) => s3.received.get(n)!))).toEqual(data);
    const complete = s3.calls.at(-1)!;
    expect(complete.name).toBe('CompleteMultipartUpload');
    expect(complete.input.MultipartUpload).toEqual({
      Parts: [1, 2, 3, 4, 5].map((n) => ({ PartNumber: n, ETag: `"etag-${n}"`, ChecksumCRC32: `crc-${n}` })),
    });
    expect(s3.mostInFlight()).toBeLessThanOrEqual(2);
  });

  it('a stream that fits in the first part is one PutObject; an empty one is an empty object', async () => {
    for (const size of [99, 0]) {
      const s3 = fakeS3();
      await uploadStream(target(s3.client), chunked(bytes(size), 10), new AbortController().signal, () => 100);
      expect(s3.names()).toEqual(['PutObject']);
      expect((s3.calls[0]!.input.Body as Buffer).length).toBe(size);
    }
  });

  it('a stream of exactly one part is still one PutObject', async () => {
    const s3 = fakeS3();
    await uploadStream(target(s3.client), chunked(bytes(100), 25), new AbortController().signal, () => 100);
    expect(s3.names()).toEqual(['PutObject']);
  });

  it('the body failing mid-upload aborts the multipart upload and reports the body error, not the parts it cancelled', async () => {
    const s3 = fakeS3({ hold: true });
    const body = new PassThrough();
    const upload = uploadStream(target(s3.client), body, new AbortController().signal, () => 10);
    body.write(bytes(35));
    await new Promise((resolve) => setTimeout(resolve, 20));
    body.destroy(new Error('pg_dump failed (killed by SIGKILL)'));
    await expect(upload).rejects.toThrow('pg_dump failed (killed by SIGKILL)');
    expect(s3.names()).toContain('AbortMultipartUpload');
    expect(s3.names()).not.toContain('CompleteMultipartUpload');
    expect(s3.calls.find((c) => c.name === 'AbortMultipartUpload')!.input).toMatchObject({ UploadId: 'up-1', Key: 'k/dump.sql.gz' });
  });

  it('a part refused by S3 stops reading the body, aborts the upload and names the part', async () => {
    const s3 = fakeS3({ failPart: 2 });
    const body = new PassThrough();
    const upload = uploadStream(target(s3.client), body, new AbortController().signal, () => 10);
    body.write(bytes(45)); // the body stays open: the refusal must end the wait for more
    await expect(upload).rejects.toThrow('part 2 refused');
    expect(s3.names()).toContain('AbortMultipartUpload');
    expect(body.destroyed).toBe(true);
  });

  it('the signal stops the parts in flight and the upload, and the reason is the signal', async () => {
    const s3 = fakeS3({ hold: true });
    const body = new PassThrough();
    const stop = new AbortController();
    const upload = uploadStream(target(s3.client), body, stop.signal, () => 10);
    body.write(bytes(25));
    await new Promise((resolve) => setTimeout(resolve, 20));
    stop.abort(new Error('interrupted (SIGINT)'));
    await expect(upload).rejects.toThrow('interrupted (SIGINT)');
    expect(s3.names()).toContain('AbortMultipartUpload');
  });

  it('the signal during CreateMultipartUpload: the upload S3 made anyway is aborted', async () => {
    const s3 = fakeS3({ createDelayMs: 100 });
    const body = new PassThrough();
    const stop = new AbortController();
    const upload = uploadStream(target(s3.client), body, stop.signal, () => 10);
    body.write(bytes(15));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(s3.names()).toEqual(['CreateMultipartUpload']);
    stop.abort(new Error('interrupted (SIGINT)'));
    await expect(upload).rejects.toThrow('interrupted (SIGINT)');
    expect(s3.calls.find((c) => c.name === 'AbortMultipartUpload')?.input).toMatchObject({ UploadId: 'up-1' });
  });

  it('a part refused, then the signal while the upload is being aborted: the refusal is what is reported', async () => {
    const stop = new AbortController();
    const s3 = fakeS3({
      failPart: 1,
      onAbortUpload: async () => {
        stop.abort(new Error('interrupted (SIGINT)'));
        await new Promise((resolve) => setTimeout(resolve, 10));
      },
    });
    const body = new PassThrough();
    const upload = uploadStream(target(s3.client), body, stop.signal, () => 10);
    body.write(bytes(25));
    await expect(upload).rejects.toThrow('part 1 refused');
    expect(stop.signal.aborted).toBe(true);
  });

  it('waits for a part to land before filling a third: at most two in flight and one filling', async () => {
    const s3 = fakeS3({ hold: true });
    const body = new PassThrough();
    const upload = uploadStream(target(s3.client), body, new AbortController().signal, () => 10);
    const data = bytes(60);
    body.write(data);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(s3.names().filter((n) => n === 'UploadPart')).toHaveLength(2);
    s3.release();
    await new Promise((resolve) => setTimeout(resolve, 30));
    s3.release();
    body.end();
    await new Promise((resolve) => setTimeout(resolve, 30));
    s3.release();
    await upload;
    expect(s3.names().filter((n) => n === 'UploadPart')).toHaveLength(6);
    expect(s3.mostInFlight()).toBe(2);
    // Buffers are filled again once their part has landed: what S3 got is still the stream.
    expect(Buffer.concat([1, 2, 3, 4, 5, 6].map((n) => s3.received.get(n)!))).toEqual(data);
  });
});
