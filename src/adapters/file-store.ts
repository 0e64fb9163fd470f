import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, readdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type {
  BackupStore,
  ObjectInfo,
  ObjectPage,
  StoredObject,
  StreamWriteOptions,
  StreamWritten,
  WriteOptions,
} from '../ports/backup-store.js';
import { HashMeter } from '../util/hash-meter.js';

/** A file (or a directory-format dump's folder) being written: hidden, beside its final name, renamed into place only once complete. */
const PARTIAL = '.drctl-partial-';

function isPartialFile(name: string): boolean {
  return name.startsWith('.') && name.includes(PARTIAL);
}

/** A hidden name beside `path` to write it under until complete; listings leave it out. */
export function partialPath(path: string): string {
  // (the name cut short so that the temporary name stays within NAME_MAX)
  return join(dirname(path), `.${basename(path).slice(0, 200)}${PARTIAL}${process.pid}-${randomBytes(4).toString('hex')}`);
}

/**
 * Write a stream to `path` the safe way: into a temporary file in the same folder, then (after
 * `verify` accepts it) renamed into place. On any failure, interruption included, the partial file
 * is deleted and `path` is left as it was.
 */
export async function writeAtomically(
  path: string,
  streams: ReadonlyArray<Readable | Transform>,
  options: { signal: AbortSignal; verify?: () => void | Promise<void>; mode?: number },
): Promise<void> {
  const dir = dirname(path);
  const temp = partialPath(path);
  try {
    await mkdir(dir, { recursive: true });
    await pipeline([...streams, createWriteStream(temp, { flags: 'wx', highWaterMark: 1024 * 1024, mode: options.mode ?? 0o666 })], {
      signal: options.signal,
    });
    await options.verify?.();
    // The umask only narrows a mode: the file gets exactly the one asked for.
    if (options.mode !== undefined) await chmod(temp, options.mode);
    await rename(temp, path);
  } catch (error) {
    for (const stream of streams) stream.destroy();
    await unlink(temp).catch(() => {});
    throw error;
  }
}

/** Backups in a local (or mounted) folder: a key is a file's absolute path. */
export class FileStore implements BackupStore {
  /** Every file under the folder, recursively, as one page. */
  async listPage(prefix: string, _token: string | undefined, signal: AbortSignal): Promise<ObjectPage> {
    const objects: StoredObject[] = [];
    const walk = async (dir: string): Promise<void> => {
      signal.throwIfAborted();
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        // A file or a directory-format dump's folder still being written (or left by a killed run).
        if (isPartialFile(entry.name)) continue;
        const path = join(dir, entry.name);
        if (entry.isDirectory()) {
          await walk(path);
        } else if (entry.isFile() || entry.isSymbolicLink()) {
          const info = await stat(path).catch(() => undefined);
          if (info?.isFile()) objects.push({ key: path, lastModified: info.mtime, size: info.size });
        }
      }
    };
    await walk(prefix.length > 1 ? prefix.slice(0, -1) : prefix);
    return { objects };
  }

  async read(key: string, signal: AbortSignal): Promise<{ info: ObjectInfo; body: Readable }> {
    const info = await stat(key);
    if (info.isDirectory())
      throw Object.assign(new Error(`EISDIR: illegal operation on a directory, read '${key}'`), { code: 'EISDIR', syscall: 'read' });
    // Exactly the bytes there were when we looked: a file still growing fails the size check, not silently.
    return { info: { size: info.size, lastModified: info.mtime }, body: createReadStream(key, { signal, highWaterMark: 1024 * 1024 }) };
  }

  /** A copy: written beside the target and renamed into place. A file has nowhere to keep a checksum. */
  async write(key: string, body: Readable, options: WriteOptions): Promise<void> {
    let written = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        written += chunk.length;
        options.onProgress(written);
        callback(null, chunk);
      },
    });
    await writeAtomically(key, [body, counter], {
      signal: options.signal,
      verify: () => {
        if (written !== options.size) throw new Error(`wrote ${written} bytes, expected ${options.size}`);
      },
    });
  }

  /**
   * A stream written 0600 beside the target, hashed on the way, and renamed into place once it
   * ended well. The file keeps no checksum of its own: the sha256 is returned (a backup's manifest holds it).
   */
  async writeStream(key: string, body: Readable, options: StreamWriteOptions): Promise<StreamWritten> {
    const meter = new HashMeter(options.onProgress);
    await writeAtomically(key, [body, meter], { signal: options.signal, mode: 0o600 });
    return { size: meter.bytes, sha256: meter.digest() };
  }

  async remove(key: string): Promise<void> {
    await unlink(key);
  }
}
