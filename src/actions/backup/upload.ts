import { createReadStream } from 'node:fs';
import { basename, resolve } from 'node:path';
import * as z from '../../util/zod.js';
import { formatDuration } from '../../util/duration.js';
import { sha256Hash } from '../../util/sha256.js';
import { arg } from '../args.js';
import { ActionError, defineAction, PermanentActionError } from '../types.js';
import { parseObjectUri, parses } from './location.js';
import { HashMeter } from '../../util/hash-meter.js';
import { formatBytes, progressReporter, rate } from './progress.js';
import type { OpenStore } from './store.js';
import { openStore, storeFailure } from './store.js';

const NAME = 'backup.upload';
const READ_CHUNK = 1024 * 1024;

const backupUploadArgs = z.strictObject({
  /** The file to upload. */
  from: arg.text(),
  /** Where to: s3://bucket/key or file:///path (ending in / to keep the file's name). */
  uri: arg.text().check(z.superRefine(parses((v) => parseObjectUri(v, 'name')))),
});

/**
 * Upload a file as a backup: its sha256 first (kept as the object's `sha256` metadata, so that
 * backup.download verifies it), then a streamed multipart upload (8 MiB parts, 4 at a time) or,
 * for file://, a copy renamed into place. The bytes are hashed again on the way: a file that
 * changed meanwhile fails the step and its upload is deleted.
 */
export function backupUploadAction(open: OpenStore = openStore) {
  return defineAction({
    name: NAME,
    summary: 'Upload a file as a backup, with its sha256',
    args: backupUploadArgs,
    outputs: ['uri', 'bytes', 'sha256'],
    async run(args, ctx) {
      const from = resolve(args.from);
      const target = parseObjectUri(args.uri, basename(from));
      if (typeof target === 'string') throw new PermanentActionError(`${NAME}: ${args.uri}: ${target}`);
      let size: number;
      let sha256: string;
      let elapsedMs: number;
      try {
        const { stat } = await import('node:fs/promises');
        const info = await stat(from);
        if (!info.isFile()) throw new PermanentActionError(`${NAME}: ${from}: not a file`);
        size = info.size;
        const hash = sha256Hash();
        const hashing = progressReporter(ctx.log, 'hashing', from, size);
        let bytes = 0;
        for await (const chunk of createReadStream(from, { highWaterMark: READ_CHUNK, signal: ctx.signal }) as AsyncIterable<Buffer>) {
          hash.update(chunk);
          bytes += chunk.length;
          hashing.update(bytes);
        }
        sha256 = hash.digest('hex');
        if (bytes !== size)
          throw new ActionError(
            `${NAME}: ${from}: the file changed while it was read (${size} bytes, then ${bytes}): is it still being written?`,
          );
      } catch (error) {
        throw storeFailure(NAME, from, error, ctx.signal);
      }
      ctx.log(`uploading ${from} (${formatBytes(size)}, sha256 ${sha256}) to ${target.uri}`);
      const second = new HashMeter();
      try {
        const store = await open(target.store, ctx.aws);
        const progress = progressReporter(ctx.log, 'uploading', target.uri, size);
        const source = createReadStream(from, { highWaterMark: READ_CHUNK });
        source.on('error', (error) => second.destroy(error));
        try {
          await store.write(target.key, source.pipe(second), {
            size,
            sha256,
            signal: ctx.signal,
            onProgress: (bytes) => progress.update(bytes),
          });
        } finally {
          source.destroy();
        }
        elapsedMs = progress.elapsedMs();
        const again = second.digest();
        if (second.bytes !== size || again !== sha256) {
          await store.remove(target.key, ctx.signal).catch(() => {});
          throw new ActionError(
            `${NAME}: ${from}: the file changed while it was uploaded (sha256 ${sha256}, then ${again}): the upload to ${target.uri} was deleted`,
          );
        }
      } catch (error) {
        throw storeFailure(NAME, target.uri, error, ctx.signal);
      }
      ctx.log(`uploaded ${formatBytes(size)} in ${formatDuration(elapsedMs)} (${rate(size, elapsedMs)}) to ${target.uri}`);
      ctx.record({ from, uri: target.uri, bytes: size, sha256, duration_ms: Math.round(elapsedMs) });
      return { uri: target.uri, bytes: size, sha256 };
    },
  });
}

export const backupUpload = backupUploadAction();
