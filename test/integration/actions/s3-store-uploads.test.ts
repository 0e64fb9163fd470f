import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Store } from '../../../src/adapters/s3-store.js';
import type { TestMoto } from '../../support/moto.js';
import { hasMoto, startMoto } from '../../support/moto.js';
import { sleep } from '../run/helpers.js';

/** S3Store's streamed multipart uploads against moto_server: the parts they are cut into, and what a failed one leaves behind while others go on. */

const BUCKET = 'uploads-at-once';

describe.skipIf(!hasMoto())('S3Store streamed uploads against moto_server', () => {
  let moto: TestMoto;
  const aws = (...args: string[]): string => {
    const result = spawnSync('aws', args, { env: { ...process.env, ...moto.env }, encoding: 'utf8', timeout: 120_000 });
    if (result.status !== 0) throw new Error(`aws ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
    return result.stdout;
  };
  /** The keys of multipart uploads begun and neither completed nor aborted. */
  const openUploads = (): string[] => {
    const out = aws('s3api', 'list-multipart-uploads', '--bucket', BUCKET);
    if (!out.trim()) return [];
    return ((JSON.parse(out) as { Uploads?: Array<{ Key: string }> }).Uploads ?? []).map((u) => u.Key).sort();
  };

  beforeAll(async () => {
    moto = await startMoto();
    Object.assign(process.env, moto.env);
    aws('s3', 'mb', `s3://${BUCKET}`);
  }, 120_000);
  afterAll(() => moto?.stop());

  it('a stream of 12 MiB goes up as parts of 5, 5 and 2 MiB, whole, with its sha256 as the object tag', async () => {
    const store = await S3Store.open(BUCKET, { endpoint: moto.endpoint, region: 'us-east-1' });
    const data = Buffer.alloc(12 * 1024 * 1024);
    for (let i = 0; i < data.length; i += 4) data.writeUInt32LE((i * 2654435761) >>> 0, i);
    const chunks = Array.from({ length: data.length / 65536 }, (_, i) => data.subarray(i * 65536, (i + 1) * 65536));
    const written = await store.writeStream('grow/twelve.dat', Readable.from(chunks), {
      signal: new AbortController().signal,
      onProgress: () => {},
    });
    const sha256 = createHash('sha256').update(data).digest('hex');
    expect(written).toEqual({ size: data.length, sha256 });
    const part = (n: number): string =>
      aws(
        's3api',
        'head-object',
        '--bucket',
        BUCKET,
        '--key',
        'grow/twelve.dat',
        '--part-number',
        String(n),
        '--query',
        '[ContentLength,PartsCount]',
        '--output',
        'text',
      ).trim();
    expect([1, 2, 3].map(part)).toEqual([`${5 * 2 ** 20}\t3`, `${5 * 2 ** 20}\t3`, `${2 * 2 ** 20}\t3`]);
    expect(
      aws(
        's3api',
        'get-object-tagging',
        '--bucket',
        BUCKET,
        '--key',
        'grow/twelve.dat',
        '--query',
        'TagSet[0].Value',
        '--output',
        'text',
      ).trim(),
    ).toBe(sha256);
    const { body } = await store.read('grow/twelve.dat', new AbortController().signal);
    const back: Buffer[] = [];
    for await (const chunk of body as AsyncIterable<Buffer>) back.push(chunk);
    expect(createHash('sha256').update(Buffer.concat(back)).digest('hex')).toBe(sha256);
    expect(openUploads()).toEqual([]);
  }, 120_000);

  it('two uploads at once (a directory-format backup sends two files together): the one that fails aborts its own multipart upload, the other completes', async () => {
    const store = await S3Store.open(BUCKET, { endpoint: moto.endpoint, region: 'us-east-1' });
    const signal = new AbortController().signal;
    const first = new PassThrough();
    const second = new PassThrough();
    const part = Buffer.alloc(9 * 1024 * 1024, 7);
    const failing = store.writeStream('dir/a.dat', first, { signal, onProgress: () => {} });
    failing.catch(() => undefined);
    first.write(part);
    for (let i = 0; i < 600 && openUploads().length < 1; i++) await sleep(100);
    const going = store.writeStream('dir/b.dat', second, { signal, onProgress: () => {} });
    going.catch(() => undefined);
    second.write(part);
    for (let i = 0; i < 600 && openUploads().length < 2; i++) await sleep(100);
    expect(openUploads()).toEqual(['dir/a.dat', 'dir/b.dat']);

    first.destroy(new Error('pg_dump died'));
    await expect(failing).rejects.toThrow('pg_dump died');
    expect(openUploads()).toEqual(['dir/b.dat']);

    second.end(Buffer.from('the end\n'));
    await expect(going).resolves.toMatchObject({ size: part.length + 8 });
    expect(openUploads()).toEqual([]);
  }, 180_000);
});
