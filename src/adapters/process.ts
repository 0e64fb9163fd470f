import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { ProcessResult, ProcessRunner, Survivor } from '../ports/process.js';

/**
 * Runs commands as a process group, so a timeout or Ctrl-C stops children and grandchildren too.
 *
 * A command can leave its process group: `setsid`, a daemon's double fork into a new session. So
 * every command also gets a tag of its own in its environment (PROCESS_TAG_VARIABLE), which its
 * descendants inherit through setsid and forks alike; stopping a command stops its group and every
 * process of this host whose environment carries the tag, and tells which of them it could not stop.
 * A program that clears its environment (env -i), or runs as another user whose environment drctl
 * may not read, or in another pid namespace, is out of sight once it leaves the group.
 */

/** How long output is still read after a command's shell exits. */
const OUTPUT_DRAIN_MS = 250;

/** How long a process group gets between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 2_000;

/** How long processes get to disappear after SIGKILL before they are reported as survivors. */
const SURVIVOR_WAIT_MS = 1_500;

/** The environment variable that tags every process a command starts (a colon-separated list when drctl runs inside a drctl step). */
export const PROCESS_TAG_VARIABLE = 'DRCTL_PROCESS_TAG';

/** Commands running now (process group id → tag), so an emergency exit (a second Ctrl-C) can leave nothing behind. */
const activeGroups = new Map<number, string>();

/** Emergency stop: SIGKILL every running command's group and every process carrying its tag. */
export function killActiveGroups(): void {
  if (activeGroups.size === 0) return;
  for (const pgid of activeGroups.keys()) signalGroup(pgid, 'SIGKILL');
  for (const found of findProcesses(undefined, new Set(activeGroups.values())) ?? []) signalPid(found.pid, 'SIGKILL');
}

/**
 * Count a process group an adapter started itself (a program it pipes data through) among the
 * running commands, so an emergency exit kills it too. Returns the call that forgets it again.
 */
export function trackGroup(pgid: number, tag: string): () => void {
  activeGroups.set(pgid, tag);
  return () => activeGroups.delete(pgid);
}

/** Whether a process started by the command with this tag still runs, inside its group or not (false where /proc cannot tell). */
export function tagAlive(tag: string): boolean {
  return (findProcesses(undefined, new Set([tag]))?.length ?? 0) > 0;
}

/** How a stopped command's processes ended, for the step's reason. */
export function describeStopped(survivors: readonly Survivor[] | undefined): string {
  if (survivors === undefined) return 'its process group was killed';
  if (survivors.length === 0) return 'its processes were killed';
  return `could not stop: ${survivors.map((s) => `pid ${s.pid} (${s.command})`).join(', ')}`;
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

interface Found {
  pid: number;
  pgrp: number;
}

/**
 * Living processes (not zombies) of this host that belong to process group `pgid` or whose
 * environment carries one of `tags`; undefined when /proc cannot tell. drctl itself is never one.
 */
function findProcesses(pgid: number | undefined, tags: ReadonlySet<string>): Found[] | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  const found: Found[] = [];
  for (const name of entries) {
    const pid = Number(name);
    if (pid === process.pid) continue;
    let state: string | undefined;
    let pgrp: number;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      state = fields[0];
      pgrp = Number(fields[2]);
    } catch {
      continue; // it ended while we looked
    }
    if (state === 'Z' || state === 'X') continue;
    if (pgrp === pgid || (tags.size > 0 && carriesTag(pid, tags))) found.push({ pid, pgrp });
  }
  return found;
}

function carriesTag(pid: number, tags: ReadonlySet<string>): boolean {
  let environ: string;
  try {
    environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
  } catch {
    return false; // another user's process, or gone
  }
  const key = `${PROCESS_TAG_VARIABLE}=`;
  for (const entry of environ.split('\0')) {
    if (
      entry.startsWith(key) &&
      entry
        .slice(key.length)
        .split(':')
        .some((tag) => tags.has(tag))
    )
      return true;
  }
  return false;
}

/**
 * A process's program name, for a message: never its arguments, which may hold a secret (and a
 * command line cut short could hold half of one, which no masking recognises).
 */
function commandOf(pid: number): string {
  try {
    const program = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
    if (program) return basename(program);
  } catch {
    // gone, or unreadable
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  } catch {
    return '?';
  }
}

/**
 * The end of stopping a command, once its shell has exited: every process of its group or with its
 * tag gets SIGTERM (escaped ones included), then whatever is left when the grace period that began
 * at `termAt` is over gets SIGKILL. Resolves to the processes still alive after that.
 */
async function finishStopping(pgid: number, tag: string, termAt: number, termed: Set<number>): Promise<Survivor[] | undefined> {
  const tags = new Set([tag]);
  for (;;) {
    const left = findProcesses(pgid, tags);
    if (left === undefined) {
      signalGroup(pgid, 'SIGKILL');
      return undefined;
    }
    if (left.length === 0) return [];
    for (const found of left) {
      if (found.pgrp !== pgid && !termed.has(found.pid)) {
        termed.add(found.pid);
        signalPid(found.pid, 'SIGTERM');
      }
    }
    if (performance.now() >= termAt + KILL_GRACE_MS) break;
    await sleep(100);
  }
  const killedAt = performance.now();
  for (;;) {
    signalGroup(pgid, 'SIGKILL');
    const left = findProcesses(pgid, tags) ?? [];
    if (left.length === 0) return [];
    if (performance.now() - killedAt >= SURVIVOR_WAIT_MS) return left.map((found) => ({ pid: found.pid, command: commandOf(found.pid) }));
    for (const found of left) signalPid(found.pid, 'SIGKILL');
    await sleep(50);
  }
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
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
      const { randomBytes } = await import('node:crypto');
      const started = performance.now();
      const tag = randomBytes(12).toString('hex');
      const outer = spec.env[PROCESS_TAG_VARIABLE];
      const child = execa(spec.file, spec.args, {
        // Keep the tag of a drctl this one runs inside: its stop reaches what this one starts.
        env: { ...spec.env, [PROCESS_TAG_VARIABLE]: outer ? `${outer}:${tag}` : tag },
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
        activeGroups.set(child.pid, tag);
        spec.onSpawn?.(child.pid, tag);
      }
      let ended: ProcessResult['ended'] = 'exited';
      let killTimer: NodeJS.Timeout | undefined;
      let termAt = 0;
      /** Processes outside the group that were sent SIGTERM (group members get the group's). */
      const termed = new Set<number>();
      const killGroup = (why: 'timeout' | 'aborted'): void => {
        if (ended !== 'exited') return;
        ended = why;
        termAt = performance.now();
        signalGroup(child.pid, 'SIGTERM');
        for (const found of findProcesses(undefined, new Set([tag])) ?? []) {
          if (found.pgrp === child.pid) continue;
          termed.add(found.pid);
          signalPid(found.pid, 'SIGTERM');
        }
        killTimer = setTimeout(() => {
          signalGroup(child.pid, 'SIGKILL');
          for (const found of findProcesses(undefined, new Set([tag])) ?? []) signalPid(found.pid, 'SIGKILL');
        }, KILL_GRACE_MS);
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
      const durationMs = performance.now() - started;
      clearTimeout(timer);
      spec.signal.removeEventListener('abort', onAbort);
      // A stopped command leaves nothing behind: whatever it started goes with it, in its group or
      // escaped from it. A command that ended by itself keeps what it left running on purpose
      // (`kubectl port-forward &` for the next steps): drctl stops only what it was told to stop.
      let survivors: Survivor[] | undefined;
      if (ended !== 'exited' && child.pid !== undefined) {
        clearTimeout(killTimer);
        survivors = await finishStopping(child.pid, tag, termAt, termed);
      }
      if (child.pid !== undefined) activeGroups.delete(child.pid);
      if (result.failed && result.exitCode === undefined && ended === 'exited') {
        const code = (result.cause as NodeJS.ErrnoException | undefined)?.code;
        const missingCwd = code === 'ENOENT' && spec.cwd !== undefined && !existsSync(spec.cwd);
        const error = missingCwd
          ? `the step's folder does not exist: ${spec.cwd}`
          : code === 'ENOENT'
            ? `command not found: ${spec.file}`
            : // execa's own message holds the whole command line, values and all: name only the program.
              `cannot start ${basename(spec.file)}: ${code ?? 'the system refused to start it'}`;
        return { exitCode: null, ended: 'spawn-error', error, durationMs };
      }
      return { exitCode: result.exitCode ?? null, ended, durationMs, ...(ended !== 'exited' ? { survivors } : {}) };
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

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Gone already, or not ours to signal (then it is reported as a survivor).
  }
}
