import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** Runs commands as a process group, so a timeout or Ctrl-C stops children and grandchildren too. */
export interface ProcessSpec {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string | undefined;
  timeoutMs?: number | undefined;
  signal: AbortSignal;
  onOutput: (stream: 'stdout' | 'stderr', chunk: string) => void;
  /** The new process group's id, once it exists (the journal keeps it for resume). */
  onSpawn?: (pgid: number) => void;
}

export interface ProcessResult {
  exitCode: number | null;
  /** Why it ended early: the step's timeout, or the run was interrupted. */
  ended: 'exited' | 'timeout' | 'aborted' | 'spawn-error';
  error?: string | undefined;
  durationMs: number;
}

export interface ProcessRunner {
  run(spec: ProcessSpec): Promise<ProcessResult>;
}

/** How long output is still read after a command's shell exits. */
const OUTPUT_DRAIN_MS = 250;

/** How long a process group gets between SIGTERM and SIGKILL. */
export const KILL_GRACE_MS = 2_000;

/** Process groups running now, so an emergency exit (a second Ctrl-C) can leave nothing behind. */
const activeGroups = new Set<number>();

export function killActiveGroups(): void {
  for (const pgid of activeGroups) signalGroup(pgid, 'SIGKILL');
}

/** Whether a process group from an earlier drctl (one killed with -9, say) still runs. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return livingMembers(pgid) !== 0;
}

/** Members of a process group that are not zombies (dead, waiting for a parent to reap them); -1 when /proc cannot tell. */
function livingMembers(pgid: number): number {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return -1;
  }
  let living = 0;
  for (const pid of entries) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // pid (comm) state ppid pgrp ...: comm may hold spaces, so read after its closing parenthesis.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') living++;
    } catch {
      // the process ended while we looked
    }
  }
  return living;
}

export function createProcessRunner(): ProcessRunner {
  return {
    async run(spec) {
      const { execa } = await import('execa');
      const started = performance.now();
      const child = execa(spec.file, spec.args, {
        env: spec.env,
        extendEnv: false,
        ...(spec.cwd ? { cwd: spec.cwd } : {}),
        stdin: 'ignore',
        buffer: false,
        reject: false,
        // Its own process group: the whole tree can be signalled at once.
        detached: true,
        cleanup: false,
      });
      if (child.pid !== undefined) {
        activeGroups.add(child.pid);
        spec.onSpawn?.(child.pid);
      }
      let ended: ProcessResult['ended'] = 'exited';
      let killTimer: NodeJS.Timeout | undefined;
      const killGroup = (why: 'timeout' | 'aborted'): void => {
        if (ended !== 'exited') return;
        ended = why;
        signalGroup(child.pid, 'SIGTERM');
        killTimer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS);
      };
      const timer = spec.timeoutMs !== undefined ? setTimeout(() => killGroup('timeout'), spec.timeoutMs) : undefined;
      const onAbort = (): void => killGroup('aborted');
      if (spec.signal.aborted) onAbort();
      else spec.signal.addEventListener('abort', onAbort, { once: true });
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => spec.onOutput('stdout', chunk));
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => spec.onOutput('stderr', chunk));
      // A step that leaves a process in the background (kubectl port-forward &) is done when its
      // own shell exits: stop reading the output that process still holds open.
      child.once('exit', () => {
        setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
        }, OUTPUT_DRAIN_MS).unref();
      });
      const result = await child;
      if (child.pid !== undefined) activeGroups.delete(child.pid);
      clearTimeout(timer);
      spec.signal.removeEventListener('abort', onAbort);
      // A stopped step leaves nothing behind: whatever the leader started goes with it.
      if (ended !== 'exited') {
        signalGroup(child.pid, 'SIGKILL');
        clearTimeout(killTimer);
      }
      const durationMs = performance.now() - started;
      if (result.failed && result.exitCode === undefined && ended === 'exited') {
        const code = (result.cause as NodeJS.ErrnoException | undefined)?.code;
        const missingCwd = code === 'ENOENT' && spec.cwd !== undefined && !existsSync(spec.cwd);
        const error = missingCwd ? `the step's folder does not exist: ${spec.cwd}` : code === 'ENOENT' ? `command not found: ${spec.file}` : result.shortMessage;
        return { exitCode: null, ended: 'spawn-error', error, durationMs };
      }
      return { exitCode: result.exitCode ?? null, ended, durationMs };
    },
  };
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}
