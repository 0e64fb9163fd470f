import { closeSync, constants, fsyncSync, lstatSync, mkdirSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, parse, resolve } from 'node:path';
import { UserError } from './errors.js';

/** The device is full or the user's quota is spent: the operator has to make room. */
export class DiskFullError extends UserError {
  constructor(
    readonly file: string,
    readonly neededBytes: number,
    readonly code: 'ENOSPC' | 'EDQUOT',
  ) {
    super(
      `cannot write ${file}: ${code === 'ENOSPC' ? 'no space left on the device' : 'disk quota exceeded'} (${code}); it needs ${neededBytes} bytes`,
      {
        hint: `free some space on the file system of ${dirname(resolve(file))}, then try again`,
      },
    );
    this.name = 'DiskFullError';
  }
}

/** The code of a file-system error (ENOSPC, EACCES, ...), or the message when there is none. */
function reason(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}

let sequence = 0;

/**
 * Write `text` to `file` so that the file is either the old one or the new one, whole, and never
 * written through a link: the text goes to a new file in the same folder (created exclusively,
 * `mode` 0600 unless told otherwise), is flushed to disk, then renamed over `file`. A symbolic
 * link planted at `file` is replaced by the new file; what it pointed at is left untouched.
 *
 * Throws a DiskFullError (a UserError: exit 2, or a warning for a caller that can go on) when the
 * device is full or the quota spent, and a UserError naming the file for any other failure. The
 * temporary file is removed whatever happens.
 */
export function writeFileAtomic(file: string, text: string | Uint8Array, options: { mode?: number } = {}): void {
  const data = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const folder = dirname(resolve(file));
  try {
    if (lstatSync(file).isDirectory()) throw new UserError(`cannot write ${file}: it is a directory`);
  } catch (error) {
    if (error instanceof UserError) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new UserError(`cannot write ${file}: ${reason(error)}`);
  }
  let temporary: string | undefined;
  let fd: number | undefined;
  try {
    for (;;) {
      const candidate = join(folder, `.${basename(file)}.${process.pid}.${++sequence}.tmp`);
      try {
        fd = openSync(candidate, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, options.mode ?? 0o600);
        temporary = candidate;
        break;
      } catch (error) {
        // Left by a process of the same pid that died: pick the next name.
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    let written = 0;
    while (written < data.length) written += writeSync(fd, data, written, data.length - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temporary, file);
    temporary = undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') throw new DiskFullError(file, data.length, code);
    throw new UserError(`cannot write ${file}: ${reason(error)}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
    if (temporary !== undefined) {
      try {
        unlinkSync(temporary);
      } catch {
        // Already gone.
      }
    }
  }
  syncFolder(folder);
}

/** Make the rename itself durable; a file system that cannot sync a folder is no reason to fail. */
function syncFolder(folder: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(folder, constants.O_RDONLY | constants.O_DIRECTORY);
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a folder; the file itself is synced.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Make a folder and its missing parents, one level at a time. Unlike `mkdirSync(..., { recursive:
 * true })`, which retries for ever where a parent exists but takes no new entries (/proc), it
 * gives up at once. Throws a UserError that says which folder and why ("cannot create /proc/x (ENOENT)").
 */
export function makeFolder(dir: string, mode = 0o700): void {
  const full = resolve(dir);
  const missing: string[] = [];
  const root = parse(full).root;
  for (let current = full; ; current = dirname(current)) {
    try {
      if (statSync(current).isDirectory()) break;
      throw new UserError(`${current} is not a directory`);
    } catch (error) {
      if (error instanceof UserError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      // ENOTDIR: a file stands somewhere above; going up finds it and names it.
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || current === root) throw new UserError(`cannot use ${current} (${reason(error)})`);
    }
    missing.push(current);
  }
  for (const folder of missing.reverse()) {
    try {
      mkdirSync(folder, { mode });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && isDirectory(folder)) continue;
      throw new UserError(`cannot create ${folder} (${reason(error)})`);
    }
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
