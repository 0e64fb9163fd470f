import { spawnSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Store } from '../../../src/adapters/s3-store.js';
import type { TestMoto } from '../../support/moto.js';
import { hasMoto, startMoto } from '../../support/moto.js';
import { sleep } from '../run/helpers.js';

/** S3Store's multipart uploads against moto_server: what a failed one leaves behind while others go on. */

const BUCKET = 'uploads-at-once';

describe.skipIf(!hasMoto())('S3Store uploads at once (a directory-format backup sends two files together)', () => {
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

  it('the upload that fails aborts its own multipart upload, and the one beside it completes', async () => {
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
