import { spawnSync } from 'node:child_process';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createParallelGzip } from '../../src/util/parallel-gzip.js';

/** Text that compresses as a dump does, different in every line. */
function sqlLines(count: number): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) lines.push(`${i}\t${(i * 7919) % 100000}\t0\t${' '.repeat(i % 80)}\n`);
  return Buffer.from(lines.join(''));
}

async function gzipped(data: Buffer, options: Parameters<typeof createParallelGzip>[0], chunk = 65536): Promise<Buffer> {
  const out: Buffer[] = [];
  const chunks = Array.from({ length: Math.ceil(data.length / chunk) }, (_, i) => data.subarray(i * chunk, (i + 1) * chunk));
  await pipeline(
    Readable.from(chunks),
    createParallelGzip(options),
    new Writable({
      write(piece: Buffer, _encoding, callback) {
        out.push(piece);
        callback();
      },
    }),
  );
  return Buffer.concat(out);
}

describe('parallel gzip: blocks compressed at once, written in order as gzip members', () => {
  it('gunzips to exactly the input, across block and chunk edges, whatever the number of jobs', async () => {
    const data = sqlLines(50_000);
    for (const jobs of [1, 2, 4]) {
      const out = await gzipped(data, { level: 6, jobs, blockSize: 100_003 }, 7_777);
      expect(gunzipSync(out).equals(data), `jobs ${jobs}`).toBe(true);
      expect(out.length).toBeLessThan(data.length / 3);
    }
  });

  it('is one file to the gzip command: gzip -t passes and zcat gives the input back', async () => {
    const data = sqlLines(200_000);
    const out = await gzipped(data, { level: 6, jobs: 2, blockSize: 256 * 1024 });
    expect(spawnSync('gzip', ['-t'], { input: out }).status).toBe(0);
    const back = spawnSync('gzip', ['-dc'], { input: out, maxBuffer: 64 * 1024 * 1024 });
    expect(back.status).toBe(0);
    expect(back.stdout.equals(data)).toBe(true);
  });

  it('costs next to nothing in size against one gzip stream at 1 MiB blocks', async () => {
    const data = sqlLines(400_000);
    const single = spawnSync('gzip', ['-6', '-c'], { input: data, maxBuffer: 64 * 1024 * 1024 }).stdout;
    const out = await gzipped(data, { level: 6, jobs: 2 });
    expect(out.length / single.length).toBeLessThan(1.01);
  });

  it('a stream of whole blocks ends with its last block, not an empty member after it', async () => {
    const data = sqlLines(20_000).subarray(0, 4 * 65536);
    const oneJob = await gzipped(data, { level: 6, jobs: 1, blockSize: 65536 });
    const members = (out: Buffer): number => {
      let count = 0;
      for (let at = out.indexOf(Buffer.from('1f8b08', 'hex')); at !== -1; at = out.indexOf(Buffer.from('1f8b08', 'hex'), at + 1))
        count += 1;
      return count;
    };
    expect(gunzipSync(oneJob).equals(data)).toBe(true);
    expect(members(oneJob)).toBe(4);
  });

  it('an empty stream is an empty gzip file, not an empty file', async () => {
    const out = await gzipped(Buffer.alloc(0), { level: 6 });
    expect(out.length).toBeGreaterThan(0);
    expect(gunzipSync(out).length).toBe(0);
  });
});
