import type { Server } from 'node:net';
import { hostname } from 'node:os';
import {
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import { sha256Hash } from '../util/sha256.js';

/**
 * One active run per runbook and state directory, whatever the timing.
 *
 * The lock is the file `locks/<runbook>.lock`. It is complete the moment it exists: it is written
 * to a temporary file in the same folder and linked into place (link fails with EEXIST, atomically,
 * when a lock is already there), so nobody ever reads a lock half written.
 *
 * A lock whose process is gone (a crash, kill -9, a reboot) is taken over, so a dead run never
 * blocks recovery. Deciding "that owner is dead, the lock is mine" is a check followed by an act;
 * on Linux every such check-and-take runs while holding a kernel mutex that dies with its process:
 * an abstract-namespace Unix socket named after the state directory and the runbook. Binding it
 * fails with EADDRINUSE while another drctl holds it, and the kernel frees it when that process
 * ends, even on kill -9, so a crashed taker never leaves it stuck. Two drctl can then never both
 * judge the same lock stale and both take it.
 *
 * The mutex is held only while the lock file is checked and taken, not for the run's whole life:
 * a second drctl must be able to read the file at once to refuse in one line naming the active run,
 * and whether that run is alive is told by its pid, its process start time and the boot it ran in.
 *
 * Where abstract sockets do not exist (not Linux), the link protocol alone guards the file, and
 * one window remains: three drctl meeting the same stale lock within the same instant (see
 * takeUnguarded).
 *
 * A lock held from another host (a state directory on a shared volume) is never taken over: only
 * the operator knows whether that run is dead, and the message names the file to remove.
 */

interface LockOwner {
  pid: number;
  run_id: string;
  host: string;
  /** When that process started (Linux): a pid reused later is not the owner. */
  started?: string | null;
  /** The boot the owner ran in (Linux): after a reboot no earlier owner is alive. */
  boot?: string | null;
}

/** How long to wait for another drctl to finish checking the lock (it takes milliseconds). */
const MUTEX_WAIT_MS = 15_000;

/** A process's start time in clock ticks since boot, from /proc (null where there is no /proc). */
function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}

function alive(owner: LockOwner): boolean {
  const boot = bootId();
  if (owner.boot && boot && owner.boot !== boot) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !owner.started || processStart(owner.pid) === owner.started;
}

function lockFile(stateDir: string, runbook: string): string {
  return join(stateDir, 'locks', `${runbook}.lock`);
}

/** The lock's owner; undefined when there is no lock; null when the file holds no owner (written by hand, or by a drctl before locks were linked into place). */
function readOwner(file: string): LockOwner | null | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return parseOwner(text);
}

function parseOwner(text: string): LockOwner | null {
  try {
    const owner = JSON.parse(text) as Partial<LockOwner> | null;
    return owner && typeof owner.pid === 'number' && typeof owner.run_id === 'string' && typeof owner.host === 'string'
      ? (owner as LockOwner)
      : null;
  } catch {
    return null;
  }
}

/** A complete lock file under a name nobody else uses, in the lock's own folder (link and rename stay on one file system). */
function writeTemp(file: string, owner: LockOwner): string {
  const temp = `${file}.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`;
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, JSON.stringify(owner));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return temp;
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}

/** Put a complete lock in place unless one exists: true when it is ours. */
function linkInto(file: string, owner: LockOwner): boolean {
  const temp = writeTemp(file, owner);
  try {
    linkSync(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    removeQuietly(temp);
  }
}

/** Throws when `current` belongs to a run that must not be taken over. */
function refuseIfHeld(current: LockOwner | null, file: string, runbook: string): void {
  if (!current) return;
  if (current.host !== hostname()) {
    throw new UserError(`another run of ${runbook} holds the lock from host ${current.host}: ${current.run_id}`, {
      hint: `if that run is dead, remove ${file}`,
    });
  }
  if (current.pid !== process.pid && alive(current)) {
    throw new UserError(`another run of ${runbook} is active: ${current.run_id} (pid ${current.pid})`, {
      hint: `wait for it, or stop it (kill ${current.pid}) and continue it with: drctl resume ${current.run_id}`,
    });
  }
}

/**
 * Linux, holding the mutex: no other drctl of this host checks or takes this lock meanwhile, so a
 * stale lock is replaced by a rename over it (the file is never absent, never incomplete).
 */
function takeGuarded(file: string, owner: LockOwner, runbook: string): void {
  // Besides drctl of this host, which wait for the mutex, only an operator or a drctl of another
  // host may touch the file meanwhile (remove it, or create it when it is absent): look again then.
  for (let attempt = 0; attempt < 5; attempt++) {
    if (linkInto(file, owner)) return;
    const current = readOwner(file);
    if (current === undefined) continue;
    refuseIfHeld(current, file, runbook);
    const temp = writeTemp(file, owner);
    try {
      renameSync(temp, file);
      return;
    } finally {
      removeQuietly(temp);
    }
  }
  throw new UserError(`cannot take the run lock ${file}: it keeps changing`, {
    hint: 'is another host using this state directory? try again',
  });
}

/**
 * Without the mutex (not Linux): a stale lock is moved aside under a name of our own, and it is
 * checked that the file moved is the one judged stale; if a racer had meanwhile put its fresh lock
 * there, that lock is linked back and the attempt starts over. The window that remains: between
 * moving a fresh lock aside and linking it back, a third drctl may link its own lock into the empty
 * place, and then two runs proceed. It takes three drctl meeting one stale lock at the same instant.
 */
function takeUnguarded(file: string, owner: LockOwner, runbook: string): void {
  for (let attempt = 0; attempt < 5; attempt++) {
    if (linkInto(file, owner)) return;
    let judged: string;
    try {
      judged = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    refuseIfHeld(parseOwner(judged), file, runbook);
    const aside = `${file}.${process.pid}-${Math.random().toString(36).slice(2)}.stale`;
    try {
      renameSync(file, aside);
    } catch {
      continue; // another taker moved it first
    }
    if (readFileSync(aside, 'utf8') !== judged) {
      try {
        linkSync(aside, file);
      } catch {
        // a third taker filled the place: the window described above
      }
    }
    removeQuietly(aside);
  }
  throw new UserError(`cannot take the run lock ${file}: it keeps changing`, {
    hint: 'another drctl may be starting this runbook: try again',
  });
}

/** The kernel mutex guarding this lock (null where abstract sockets do not exist). */
async function takeMutex(locksDir: string, runbook: string): Promise<Server | null> {
  if (process.platform !== 'linux') return null;
  const { createServer } = await import('node:net');
  // realpath: two spellings of one state directory (a symlink, a relative path) share one mutex.
  const name = `\0drctl-lock-${sha256Hash().update(realpathSync(locksDir)).update('\0').update(runbook).digest('hex')}`;
  const deadline = Date.now() + MUTEX_WAIT_MS;
  for (;;) {
    const server = createServer();
    const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      server.once('error', resolve);
      server.listen({ path: name }, () => resolve(undefined));
    });
    if (!error) {
      server.unref();
      return server;
    }
    // Abstract sockets forbidden here (a sandbox, say): the link protocol alone.
    if (error.code !== 'EADDRINUSE') return null;
    if (Date.now() > deadline) {
      throw new UserError(`cannot take the run lock of ${runbook}: another drctl has been checking it for ${MUTEX_WAIT_MS / 1000}s`, {
        hint: 'is a drctl of this runbook stopped (Ctrl-Z)? let it continue, or end it, and try again',
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
  }
}

/**
 * Take the lock of `runbook` in `stateDir` for run `runId`, or throw a UserError naming the run that
 * holds it. Resolves to the function that releases it.
 */
export async function acquireRunLock(stateDir: string, runbook: string, runId: string): Promise<() => void> {
  const dir = join(stateDir, 'locks');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = lockFile(stateDir, runbook);
  const owner: LockOwner = { pid: process.pid, run_id: runId, host: hostname(), started: processStart(process.pid), boot: bootId() };
  const mutex = await takeMutex(dir, runbook);
  try {
    if (mutex) takeGuarded(file, owner, runbook);
    else takeUnguarded(file, owner, runbook);
  } finally {
    mutex?.close();
  }
  // No mutex needed to let go: while this process lives, nobody replaces its lock.
  return () => {
    const current = readOwnerQuietly(file);
    if (current && current.pid === process.pid && current.run_id === runId) removeQuietly(file);
  };
}

function readOwnerQuietly(file: string): LockOwner | null | undefined {
  try {
    return readOwner(file);
  } catch {
    return undefined;
  }
}

/** The host whose drctl holds the lock for this run (alive or not), when it is another host: only its operator knows. */
export function runLockedFromHost(stateDir: string, runbook: string, runId: string): string | undefined {
  const owner = readOwnerQuietly(lockFile(stateDir, runbook));
  return owner && owner.run_id === runId && owner.host !== hostname() ? owner.host : undefined;
}

/** Whether a live process on this host holds the lock for this run. */
export function runIsActive(stateDir: string, runbook: string, runId: string): boolean {
  const owner = readOwnerQuietly(lockFile(stateDir, runbook));
  return !!owner && owner.run_id === runId && owner.host === hostname() && alive(owner);
}
