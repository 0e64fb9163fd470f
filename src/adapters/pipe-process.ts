import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { groupAlive, PROCESS_TAG_VARIABLE, trackGroup } from './process.js';

/** How long a process group gets between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 2_000;

/** How the program ended: its exit code, or the signal that ended it. */
export interface PipeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A program drctl feeds or reads (psql, pg_restore), in a process group of its own. */
export interface PipeProcess {
  child: ChildProcess;
  /** Settles when the program has exited and its output is read. */
  exited: Promise<PipeExit>;
  /** The last lines it wrote to stderr (at most `keepLines`). */
  stderrLines(): string[];
  /**
   * SIGTERM to the whole group, SIGKILL after a grace period; resolves once the group is gone.
   * `interruptFirst`: SIGINT first, as Ctrl-C would, and SIGTERM only if the group outlives a grace
   * period: psql and pg_restore then ask the server to cancel the statement running there, which
   * would otherwise go on (an index build, a long COPY) after its client is gone.
   */
  stop(options?: { interruptFirst?: boolean }): Promise<void>;
}

/**
 * Start `file` in its own process group with exactly `env` (which carries libpq's variables: the
 * arguments never hold a credential), counted among drctl's running commands so an emergency exit
 * kills it. stdout is discarded unless asked for; stderr lines go to `onStderrLine` and the last ones are kept.
 */
export function startPipeProcess(
  file: string,
  args: string[],
  options: {
    env: Record<string, string>;
    stdin: 'pipe' | 'ignore';
    /** 'pipe' to read the program's output (pg_dump's dump) from `child.stdout`; discarded by default. */
    stdout?: 'pipe' | 'ignore';
    onStderrLine?(line: string): void;
    keepLines?: number;
  },
): PipeProcess {
  const tag = randomBytes(12).toString('hex');
  const outer = options.env[PROCESS_TAG_VARIABLE];
  const child = spawn(file, args, {
    env: { ...options.env, [PROCESS_TAG_VARIABLE]: outer ? `${outer}:${tag}` : tag },
    stdio: [options.stdin, options.stdout ?? 'ignore', 'pipe'],
    detached: true,
  });
  const forget = child.pid !== undefined ? trackGroup(child.pid, tag) : () => false;
  const keep = options.keepLines ?? 20;
  const lines: string[] = [];
  let partial = '';
  const take = (line: string): void => {
    if (line === '') return;
    lines.push(line);
    if (lines.length > keep) lines.shift();
    options.onStderrLine?.(line);
  };
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    parts.forEach(take);
  });
  const exited = new Promise<PipeExit>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      take(error.code === 'ENOENT' ? `${file}: command not found` : `cannot start ${file}: ${error.code ?? error.message}`);
      forget();
      resolve({ code: null, signal: null });
    });
    child.once('close', (code, signal) => {
      take(partial);
      partial = '';
      forget();
      resolve({ code, signal });
    });
  });
  const signalGroup = (signal: NodeJS.Signals): void => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // The group is gone already.
    }
  };
  return {
    child,
    exited,
    stderrLines: () => [...lines],
    async stop(options = {}) {
      if (child.pid === undefined) return;
      const interruptFirst = options.interruptFirst === true;
      signalGroup(interruptFirst ? 'SIGINT' : 'SIGTERM');
      const termAt = Date.now() + (interruptFirst ? KILL_GRACE_MS : 0);
      const killAt = termAt + KILL_GRACE_MS;
      let termed = !interruptFirst;
      while (groupAlive(child.pid)) {
        if (!termed && Date.now() >= termAt) {
          signalGroup('SIGTERM');
          termed = true;
        }
        if (Date.now() >= killAt) signalGroup('SIGKILL');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // A pipe still open on our side (input a stalled source still feeds) would hold 'close' back.
      child.stdin?.destroy();
      child.stdout?.destroy();
      await exited;
    },
  };
}
