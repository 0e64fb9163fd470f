import { basename, dirname, join, resolve } from 'node:path';
import * as z from '../../util/zod.js';
import { formatDuration } from '../../util/duration.js';
import { arg } from '../args.js';
import type { ActionContext } from '../types.js';
import { ActionError, defineAction, PermanentActionError } from '../types.js';
import { baseName, parseObjectUri, parses } from './location.js';
import { HashMeter } from '../../util/hash-meter.js';
import { formatBytes, progressReporter, rate } from './progress.js';
import type { OpenStore } from './store.js';
import { openStore, storeFailure } from './store.js';

const NAME = 'backup.download';

const backupDownloadArgs = z.strictObject({
  /** The backup: s3://bucket/key or file:///path. */
  uri: arg.text().check(z.superRefine(parses((v) => parseObjectUri(v)))),
  /** A file path, or a folder ending in / to keep the object's name. */
  to: arg.text(),
  /** Keep the file (and the folders drctl made for it) when the run ends; by default they are removed. */
  keep: z.optional(arg.boolean()),
});

/** The mode of a downloaded backup, and of each folder drctl makes for one: the operator's alone. */
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

/**
 * Make the folders of `dir` that are missing, each 0700 and put on the run's cleanup ledger as it is
 * made (so an interruption leaves none unknown). Returns `dir` with symbolic links resolved, so the
 * ledger's paths have none (cleanup never follows one).
 */
async function prepareFolder(dir: string, keep: boolean, ctx: ActionContext): Promise<string> {
  const { lstat, mkdir, chmod, realpath } = await import('node:fs/promises');
  const missing: string[] = [];
  let existing = dir;
  while ((await lstat(existing).catch(() => undefined)) === undefined) {
    missing.unshift(existing);
    const parent = dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  let real = await realpath(existing);
  for (const folder of missing) {
    real = join(real, basename(folder));
    await mkdir(real, { mode: DIR_MODE });
    await chmod(real, DIR_MODE);
    const info = await lstat(real);
    ctx.cleanup({ path: real, kind: 'dir', keep, dev: info.dev, ino: info.ino });
  }
  if (missing.length === 0) {
    const info = await lstat(real);
    if ((info.mode & 0o077) !== 0 && !(await lstat(dir)).isSymbolicLink())
      ctx.log(
        `note: ${real} is not drctl's own folder and others may enter it (mode ${(info.mode & 0o777).toString(8)}): the backup is written 0600`,
      );
  }
  return real;
}

/** `to` as a file path: a folder (ending in /, or one that exists) keeps the object's name. */
async function targetPath(to: string, key: string): Promise<string> {
  const path = resolve(to);
  if (to.endsWith('/')) return join(path, baseName(key));
  const { stat } = await import('node:fs/promises');
  const info = await stat(path).catch(() => undefined);
  return info?.isDirectory() ? join(path, baseName(key)) : path;
}

/**
 * Stream a backup to a temporary file beside `to`, hashing it on the way, and rename it into place
 * only once its size (and sha256, when the object carries one) match: a failed or interrupted
 * download leaves no partial file behind. Memory stays flat whatever the size.
 */
export function backupDownloadAction(open: OpenStore = openStore) {
  return defineAction({
    name: NAME,
    summary: 'Download a backup, verifying its size and sha256',
    args: backupDownloadArgs,
    outputs: ['path', 'bytes', 'sha256'],
    async run(args, ctx) {
      const object = parseObjectUri(args.uri);
      if (typeof object === 'string') throw new PermanentActionError(`${NAME}: ${args.uri}: ${object}`);
      const wanted = await targetPath(args.to, object.key);
      const keep = args.keep ?? false;
      let path: string;
      try {
        path = join(await prepareFolder(dirname(wanted), keep, ctx), basename(wanted));
      } catch (error) {
        throw storeFailure(NAME, dirname(wanted), error, ctx.signal);
      }
      let done: { bytes: number; sha256: string; expected?: string | undefined; source?: string | undefined; elapsedMs: number };
      try {
        const store = await open(object.store, ctx.aws);
        const { info, body } = await store.read(object.key, ctx.signal);
        ctx.log(`downloading ${object.uri} (${formatBytes(info.size)}) to ${path}`);
        const progress = progressReporter(ctx.log, 'downloading', object.uri, info.size);
        const meter = new HashMeter((bytes) => progress.update(bytes));
        let sha256 = '';
        // Loaded here, not at start-up: `validate` and `list` never write a file.
        const { writeAtomically } = await import('../../adapters/file-store.js');
        await writeAtomically(path, [body, meter], {
          signal: ctx.signal,
          mode: FILE_MODE,
          verify: () => {
            if (meter.bytes !== info.size) {
              const why = meter.bytes < info.size ? 'the download was cut short' : 'the object changed while it was read';
              throw new ActionError(
                `${NAME}: ${object.uri}: got ${meter.bytes} bytes, the object has ${info.size}: ${why}; nothing was kept`,
              );
            }
            sha256 = meter.digest();
            if (info.sha256 !== undefined && sha256 !== info.sha256) {
              throw new ActionError(
                `${NAME}: ${object.uri}: sha256 mismatch: the object's ${info.sha256Source ?? 'sha256'} is ${info.sha256}, the bytes downloaded hash to ${sha256}; nothing was kept`,
              );
            }
          },
        });
        const { lstat } = await import('node:fs/promises');
        const written = await lstat(path);
        ctx.cleanup({ path, kind: 'file', keep, dev: written.dev, ino: written.ino });
        done = { bytes: meter.bytes, sha256, expected: info.sha256, source: info.sha256Source, elapsedMs: progress.elapsedMs() };
      } catch (error) {
        throw storeFailure(NAME, object.uri, error, ctx.signal);
      }
      const { bytes, sha256, elapsedMs } = done;
      const verified =
        done.expected !== undefined ? `size and sha256 verified (${done.source})` : 'size verified (the object carries no sha256)';
      ctx.log(`downloaded ${formatBytes(bytes)} in ${formatDuration(elapsedMs)} (${rate(bytes, elapsedMs)}) to ${path}: ${verified}`);
      ctx.record({
        uri: object.uri,
        path,
        bytes,
        sha256,
        expected_sha256: done.expected ?? null,
        sha256_source: done.source ?? null,
        verified: done.expected !== undefined ? 'size+sha256' : 'size',
        duration_ms: Math.round(elapsedMs),
      });
      return { path, bytes, sha256 };
    },
  });
}

export const backupDownload = backupDownloadAction();
