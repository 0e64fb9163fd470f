import type { Stats } from 'node:fs';
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';

/** The largest runbook or inputs file drctl reads: real ones are a few kilobytes. */
export const MAX_FILE_BYTES = 5 * 1024 * 1024;

const CHUNK_BYTES = 256 * 1024;

export type FileRead = { ok: true; bytes: Buffer } | { ok: false; problem: string };

/** What a path is when it is not a regular file, in words an operator knows. */
function notRegular(stats: Stats): string | undefined {
  if (stats.isFile()) return undefined;
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

function errnoProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'ELOOP':
      return 'is a symbolic link that loops back on itself';
    case 'EACCES':
    case 'EPERM':
      return `cannot be read: permission denied (${code})`;
    case 'ENAMETOOLONG':
      return 'cannot be read: the path is too long';
    default:
      return `cannot be read (${code ?? (error as Error).message})`;
  }
}

/**
 * Read a file that must be a regular file of at most `limit` bytes. A named pipe, a device, a
 * socket or a directory is refused before it is opened, and checked again on the open descriptor
 * (opened without blocking, so a pipe swapped in meanwhile cannot hang the read). `what` names the
 * file in messages ("a runbook file", "an inputs file"). Never throws.
 */
export function readRegularFile(file: string, what: string, limit = MAX_FILE_BYTES): FileRead {
  const refuse = (stats: Stats): FileRead | undefined => {
    const kind = notRegular(stats);
    if (kind)
      return { ok: false, problem: kind === 'not a regular file' ? `is not a regular file, so not ${what}` : `is ${kind}, not ${what}` };
    if (stats.size > limit) return { ok: false, problem: tooLarge(limit, what) };
    return undefined;
  };
  let fd: number;
  try {
    const refused = refuse(statSync(file));
    if (refused) return refused;
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return { ok: false, problem: errnoProblem(error) };
  }
  try {
    const refused = refuse(fstatSync(fd));
    if (refused) return refused;
    // Read to the limit and a byte past it: a file whose size the kernel does not know (a /proc
    // file) or that grows while it is read is still held to the limit.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, limit + 1 - total));
      const read = readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      chunks.push(read === chunk.length ? chunk : chunk.subarray(0, read));
      total += read;
      if (total > limit) return { ok: false, problem: tooLarge(limit, what) };
    }
    return { ok: true, bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total) };
  } catch (error) {
    return { ok: false, problem: errnoProblem(error) };
  } finally {
    closeSync(fd);
  }
}

function tooLarge(limit: number, what: string): string {
  return `is larger than ${mebibytes(limit)}, the most ${what} may be`;
}

function mebibytes(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}
