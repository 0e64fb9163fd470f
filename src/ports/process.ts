/**
 * Running a command: the port the engine runs steps, rollbacks and preflight checks through.
 * src/adapters/process.ts is the real one (a process group per command); tests pass fakes.
 */

/** A command to run, and where its output and process group are reported. */
export interface ProcessSpec {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string | undefined;
  timeoutMs?: number | undefined;
  signal: AbortSignal;
  onOutput: (stream: 'stdout' | 'stderr', chunk: string) => void;
  /** The new process group's id and the command's tag, once they exist (the journal keeps them for resume). */
  onSpawn?: (pgid: number, tag: string) => void;
}

/** A process of a stopped command that was still alive after SIGKILL (or that drctl may not signal). */
export interface Survivor {
  pid: number;
  /** Its command line (or, when that is unreadable, its name). */
  command: string;
}

export interface ProcessResult {
  exitCode: number | null;
  /** Why it ended early: the step's timeout, or the run was interrupted. */
  ended: 'exited' | 'timeout' | 'aborted' | 'spawn-error';
  error?: string | undefined;
  durationMs: number;
  /**
   * Set when the command was stopped (timeout or interruption): the processes that outlived it,
   * empty when none did; undefined where they cannot be told (no /proc: only the group was killed).
   */
  survivors?: Survivor[] | undefined;
}

export interface ProcessRunner {
  run(spec: ProcessSpec): Promise<ProcessResult>;
}
