import { hostname } from 'node:os';
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';

interface LockOwner {
  pid: number;
  run_id: string;
  host: string;
  /** When that process started (Linux): a pid reused after a reboot is not the owner. */
  started?: string | null;
}

/** A process's start time in clock ticks since boot, from /proc (null where there is no /proc). */
function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function alive(owner: LockOwner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !owner.started || processStart(owner.pid) === owner.started;
}

/**
 * One active run per runbook and state directory. A lock whose process is gone (a crash,
 * kill -9) is taken over, so a dead run never blocks recovery.
 */
export function acquireRunLock(stateDir: string, runbook: string, runId: string): () => void {
  const dir = join(stateDir, 'locks');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${runbook}.lock`);
  const owner: LockOwner = { pid: process.pid, run_id: runId, host: hostname(), started: processStart(process.pid) };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, JSON.stringify(owner), { flag: 'wx', mode: 0o600 });
      return () => {
        try {
          const current = JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
          if (current.pid === process.pid) unlinkSync(file);
        } catch {
          // Already gone.
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let current: LockOwner | undefined;
    try {
      current = JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
    } catch {
      current = undefined;
    }
    if (current && current.host === hostname() && alive(current) && current.pid !== process.pid) {
      throw new UserError(`another run of ${runbook} is active: ${current.run_id} (pid ${current.pid})`, {
        hint: `wait for it, or stop it (kill ${current.pid}) and continue it with: drctl resume ${current.run_id}`,
      });
    }
    if (current && current.host !== hostname()) {
      throw new UserError(`another run of ${runbook} holds the lock from host ${current.host}: ${current.run_id}`, { hint: `if that run is dead, remove ${file}` });
    }
    try {
      unlinkSync(file);
    } catch {
      // Someone else took it over first; try again.
    }
  }
  throw new UserError(`cannot take the run lock ${file}`);
}

/** Whether a live process on this host holds the lock for this run. */
export function runIsActive(stateDir: string, runbook: string, runId: string): boolean {
  try {
    const owner = JSON.parse(readFileSync(join(stateDir, 'locks', `${runbook}.lock`), 'utf8')) as LockOwner;
    return owner.run_id === runId && owner.host === hostname() && alive(owner);
  } catch {
    return false;
  }
}
