import { createRequire } from 'node:module';
import { UserError } from './errors.js';

interface NativeLocks {
  waitForLockSync(fd: number): void;
  unlock(fd: number): void;
}

let native: NativeLocks | undefined;

/**
 * Hold an exclusive lock on an open file while `work` runs, across processes, then let it go.
 *
 * The lock is the kernel's own (fs-native-extensions: an open-file-description lock on Linux,
 * flock on macOS): it belongs to this open file, not to the process, so two descriptors of one
 * process exclude each other too, and the kernel frees it when the file is closed or the process
 * dies (kill -9 included), so a crashed holder never leaves it stuck. Taking and giving it back
 * costs two system calls. The native module is loaded on first use: commands that lock nothing
 * never load it.
 *
 * `fd` must be open for writing. Waiting is synchronous: hold the lock only for a few system calls.
 */
export function withFileLock<T>(fd: number, work: () => T): T {
  const locks = loadFileLocks();
  locks.waitForLockSync(fd);
  try {
    return work();
  } finally {
    locks.unlock(fd);
  }
}

/**
 * Load the native lock module now: a writer calls this before it creates a file, so that a module
 * missing from the install or built for another machine is one line (exit 2) and leaves nothing
 * behind, instead of an error in the middle of a write.
 */
export function loadFileLocks(): NativeLocks {
  if (native) return native;
  try {
    native = createRequire(import.meta.url)('fs-native-extensions') as NativeLocks;
  } catch (error) {
    const why = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new UserError(`cannot lock the run journal: the native module fs-native-extensions did not load (${why})`, {
      hint: 'reinstall drctl on this machine (npm ci), so that its native modules match this system',
    });
  }
  return native;
}
