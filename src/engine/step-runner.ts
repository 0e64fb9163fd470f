import type { ProcessRunner } from '../ports/process.js';
import { describeStopped } from '../adapters/process.js';
import type { ActionExecutor, CleanupItem } from '../ports/actions.js';
import { isPermanentFailure } from '../ports/actions.js';
import { formatDuration } from '../util/duration.js';
import type { Literal, Scope } from '../runbook/expression.js';
import type { CommandBody, RetryPolicy } from '../runbook/model.js';
import type { ExpectationDoc, OutputDoc } from '../runbook/schema.js';
import type { Clock } from '../ports/clock.js';
import type { Observed } from './expect.js';
import { unmetExpectation } from './expect.js';
import { extractOutputs } from './outputs.js';
import { unpassableReason } from './passable.js';
import { renderScript, renderString, resolveValue } from './render.js';
import { OUTPUT_TAIL_LIMIT, TailBuffer } from './tail-buffer.js';

/** What a command step is asked to do, with everything it needs resolved or resolvable. */
export interface CommandTask {
  id: string;
  body: CommandBody;
  env: Record<string, string>;
  cwd?: string | undefined;
  timeoutMs?: number | undefined;
  retry: RetryPolicy;
  until?: ExpectationDoc | undefined;
  intervalMs: number;
  expect?: ExpectationDoc | undefined;
  outputs: Record<string, OutputDoc>;
  scope: Scope;
  /** Masks secrets in what a failure reason quotes of the command's output. */
  mask?: ((text: string) => string) | undefined;
}

export interface AttemptRecord {
  attempt: number;
  exitCode: number | null;
  durationMs: number;
  ended: string;
  error?: string | undefined;
  stdoutTail: string;
  stderrTail: string;
  truncated: boolean;
}

export interface CommandOutcome {
  ok: boolean;
  /** The run was interrupted (Ctrl-C, SIGTERM) while the command ran. */
  interrupted: boolean;
  /** An action's failure that trying again cannot change: it was not retried. A command's failure never is. */
  permanent?: boolean | undefined;
  exitCode: number | null;
  outputs: Record<string, unknown>;
  recoveryPoint?: { at: string; evidence: string } | undefined;
  reason?: string | undefined;
  /** The last lines of a command's error output (stdout when stderr is empty), when its exit code failed the step. */
  errorTail?: string | undefined;
  attempts: number;
  durationMs: number;
}

export interface CommandHooks {
  onOutput(stream: 'stdout' | 'stderr', text: string): void;
  /** A command started: its process group, and the tag its environment carries to every process it starts. */
  onSpawn?(pgid: number, tag?: string): void;
  onRecord?(fields: Record<string, unknown>): void;
  /** An action put what it created on the run's cleanup ledger. */
  onCleanup?(item: CleanupItem): void;
  addSecret?(value: string): void;
  onAttemptStart(attempt: number): void;
  onAttemptEnd(record: AttemptRecord): void;
  onRetry(attempt: number, reason: string, delayMs: number): void;
  onPoll(attempt: number, reason: string, nextInMs: number): void;
}

/** Hooks for a command whose attempts nobody follows (a rollback, a preflight check): only its output. */
export function outputOnlyHooks(onOutput: CommandHooks['onOutput']): CommandHooks {
  const ignore = (): void => undefined;
  return { onOutput, onAttemptStart: ignore, onAttemptEnd: ignore, onRetry: ignore, onPoll: ignore };
}

let bashPath: string | null | undefined;

async function shellFor(): Promise<{ file: string; args: string[] }> {
  if (bashPath === undefined) {
    const { access } = await import('node:fs/promises');
    const { delimiter, join } = await import('node:path');
    bashPath = null;
    for (const dir of (process.env.PATH ?? '').split(delimiter)) {
      try {
        await access(join(dir, 'bash'));
        bashPath = join(dir, 'bash');
        break;
      } catch {
        // not here
      }
    }
  }
  return bashPath ? { file: bashPath, args: ['-e', '-o', 'pipefail', '-c'] } : { file: 'sh', args: ['-e', '-c'] };
}

/** Run a command step: attempts with backoff, `until` polling, timeout over the whole step, expectations, outputs. */
export async function runCommand(
  task: CommandTask,
  deps: { runner: ProcessRunner; actions?: ActionExecutor | undefined; clock: Clock },
  hooks: CommandHooks,
  signal: AbortSignal,
): Promise<CommandOutcome> {
  const started = deps.clock.now();
  const deadline = task.timeoutMs !== undefined ? started + task.timeoutMs : undefined;
  let delay = task.retry.delayMs;
  let last: CommandOutcome = { ok: false, interrupted: false, exitCode: null, outputs: {}, attempts: 0, durationMs: 0 };
  for (let attempt = 1; attempt <= task.retry.attempts; attempt++) {
    hooks.onAttemptStart(attempt);
    last = await runUntil(task, deps, hooks, signal, attempt, deadline);
    last.attempts = attempt;
    if (last.ok || last.interrupted) break;
    if (last.permanent) {
      // Said once, in the step's reason: no "retrying in", no further attempt.
      if (attempt < task.retry.attempts || task.until)
        last = { ...last, reason: `${last.reason ?? 'failed'} (not retried: trying again cannot change this)` };
      break;
    }
    const left = deadline === undefined ? Infinity : deadline - deps.clock.now();
    if (attempt === task.retry.attempts || left <= 0) break;
    // The timeout is a hard limit for the whole step, retries and their delays included.
    if (delay >= left) {
      last = {
        ...last,
        ok: false,
        reason: `timed out after ${formatDuration(task.timeoutMs ?? 0)} (the next attempt was due after the timeout; last failure: ${last.reason ?? 'failed'})`,
      };
      break;
    }
    hooks.onRetry(attempt, last.reason ?? 'failed', delay);
    try {
      await deps.clock.sleep(delay, signal);
    } catch {
      last = { ...last, interrupted: true };
      break;
    }
    delay = Math.round(delay * task.retry.backoff);
  }
  last.durationMs = deps.clock.now() - started;
  return last;
}

async function runUntil(
  task: CommandTask,
  deps: { runner: ProcessRunner; actions?: ActionExecutor | undefined; clock: Clock },
  hooks: CommandHooks,
  signal: AbortSignal,
  attempt: number,
  deadline: number | undefined,
): Promise<CommandOutcome> {
  for (let poll = 1; ; poll++) {
    const remaining = deadline === undefined ? undefined : Math.max(0, deadline - deps.clock.now());
    const outcome = await runOnce(task, deps, hooks, signal, attempt, remaining);
    if (!task.until || outcome.interrupted || outcome.timedOut || outcome.permanent) return outcome;
    const pending = unmetExpectation(task.until, outcome.observed, task.scope);
    if (!pending) {
      // The poll is over; the step's own expectation, if it has one, still has to hold.
      const unmet = unmetExpectation(task.expect, outcome.observed, task.scope);
      return unmet ? { ...outcome, ok: false, reason: unmet } : outcome;
    }
    const left = deadline === undefined ? Infinity : deadline - deps.clock.now();
    if (left <= task.intervalMs) {
      return { ...outcome, ok: false, reason: `timed out after ${poll} check(s) waiting for: ${pending}` };
    }
    hooks.onPoll(poll, pending, task.intervalMs);
    try {
      await deps.clock.sleep(task.intervalMs, signal);
    } catch {
      return { ...outcome, ok: false, interrupted: true };
    }
  }
}

interface OnceOutcome extends CommandOutcome {
  timedOut: boolean;
  observed: Observed;
}

async function runOnce(
  task: CommandTask,
  deps: { runner: ProcessRunner; actions?: ActionExecutor | undefined; clock: Clock },
  hooks: CommandHooks,
  signal: AbortSignal,
  attempt: number,
  timeoutMs: number | undefined,
): Promise<OnceOutcome> {
  if (task.body.kind === 'uses') return runAction(task, deps, hooks, signal, attempt, timeoutMs);
  const stdout = new TailBuffer(OUTPUT_TAIL_LIMIT);
  const stderr = new TailBuffer(OUTPUT_TAIL_LIMIT);
  let file: string;
  let args: string[];
  let env = task.env;
  if (task.body.kind === 'run') {
    const shell = await shellFor();
    file = shell.file;
    let script: string;
    try {
      // Values reach the script through the environment; the script holds only references to them.
      const rendered = renderScript(task.body.script, task.scope);
      script = rendered.script;
      env = { ...task.env, ...rendered.env };
    } catch (error) {
      return notStarted(task, attempt, (error as Error).message);
    }
    args = [...shell.args, script];
  } else {
    const argv = task.body.argv.map((arg) => renderString(arg, task.scope).text);
    file = argv[0]!;
    args = argv.slice(1);
  }
  const unpassable = unpassableReason(
    { file, args, env, cwd: task.cwd },
    task.body.kind === 'run' ? [task.body.script] : task.body.argv,
    task.scope,
  );
  if (unpassable) return notStarted(task, attempt, unpassable);
  const result = await deps.runner.run({
    file,
    args,
    env,
    cwd: task.cwd,
    timeoutMs,
    signal,
    onOutput: (stream, chunk) => {
      (stream === 'stdout' ? stdout : stderr).push(chunk);
      hooks.onOutput(stream, chunk);
    },
    ...(hooks.onSpawn ? { onSpawn: hooks.onSpawn } : {}),
  });
  const observed = {
    exitCode: result.exitCode,
    stdout: stdout.toString(),
    stderr: stderr.toString(),
    outputs: {} as Record<string, unknown>,
    mask: task.mask,
  };
  hooks.onAttemptEnd({
    attempt,
    exitCode: result.exitCode,
    durationMs: result.durationMs,
    ended: result.ended,
    error: result.error,
    stdoutTail: observed.stdout,
    stderrTail: observed.stderr,
    truncated: stdout.truncated || stderr.truncated,
  });
  const base = {
    interrupted: result.ended === 'aborted',
    timedOut: result.ended === 'timeout',
    exitCode: result.exitCode,
    attempts: attempt,
    durationMs: result.durationMs,
    observed,
  };
  if (result.ended === 'aborted') return { ...base, ok: false, outputs: {}, reason: 'interrupted' };
  if (result.ended === 'timeout')
    return {
      ...base,
      ok: false,
      outputs: {},
      reason: `timed out after ${formatDuration(task.timeoutMs ?? timeoutMs ?? 0)}; ${describeStopped(result.survivors)}`,
    };
  if (result.ended === 'spawn-error') return { ...base, ok: false, outputs: {}, reason: result.error };
  const expectation = task.expect?.exit_code !== undefined ? task.expect : { ...task.expect, exit_code: 0 };
  // The exit code decides first: a command that failed is the cause, not the outputs it then lacked.
  const exitUnmet = task.until ? undefined : unmetExpectation({ exit_code: expectation.exit_code }, observed, task.scope);
  if (exitUnmet) {
    const errorTail = lastLines(observed.stderr.trim() ? observed.stderr : observed.stdout, task.mask);
    const reason = errorTail ? `${exitUnmet}: ${errorTail.split('\n').join(' / ')}` : exitUnmet;
    let outputs: Record<string, Literal> = {};
    try {
      outputs = extractOutputs(task.outputs, observed);
    } catch {
      // The exit code is the reason; outputs that cannot be read from a failed command are left out.
    }
    return { ...base, ok: false, outputs, reason, ...(errorTail ? { errorTail } : {}) };
  }
  let outputs: Record<string, Literal> = {};
  try {
    outputs = extractOutputs(task.outputs, observed);
  } catch (error) {
    return { ...base, ok: false, outputs, reason: (error as Error).message };
  }
  observed.outputs = outputs;
  if (task.until) return { ...base, ok: true, outputs };
  const unmet = unmetExpectation(expectation, observed, task.scope);
  return { ...base, ok: !unmet, outputs, reason: unmet };
}

async function runAction(
  task: CommandTask,
  deps: { actions?: ActionExecutor | undefined; clock: Clock },
  hooks: CommandHooks,
  signal: AbortSignal,
  attempt: number,
  timeoutMs: number | undefined,
): Promise<OnceOutcome> {
  const body = task.body as Extract<CommandBody, { kind: 'uses' }>;
  const started = deps.clock.now();
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const timer = timeoutMs !== undefined ? setTimeout(() => controller.abort(new Error('timeout')), timeoutMs) : undefined;
  // Keeps the process alive while the action awaits: a promise that never settles must not end drctl silently.
  const keepAlive = setInterval(() => undefined, 60_000);
  const observed = { exitCode: null as number | null, stdout: '', stderr: '', outputs: {} as Record<string, unknown>, mask: task.mask };
  try {
    if (!deps.actions) throw new Error(`built-in action ${body.action} is not available`);
    const result = await deps.actions.run({
      stepId: task.id,
      action: body.action,
      with: resolveValue(body.with, task.scope).value as Record<string, unknown>,
      signal: controller.signal,
      timeoutMs,
      onOutput: (text) => hooks.onOutput('stdout', text),
      onRecord: (fields) => hooks.onRecord?.(fields),
      onCleanup: (item) => hooks.onCleanup?.(item),
      addSecret: (value) => hooks.addSecret?.(value),
    });
    observed.exitCode = 0;
    observed.outputs = result.outputs;
    hooks.onAttemptEnd({
      attempt,
      exitCode: 0,
      durationMs: deps.clock.now() - started,
      ended: 'exited',
      stdoutTail: '',
      stderrTail: '',
      truncated: false,
    });
    const unmet = task.until ? undefined : unmetExpectation(task.expect, observed, task.scope);
    return {
      ok: !unmet,
      interrupted: false,
      timedOut: false,
      exitCode: 0,
      outputs: result.outputs,
      recoveryPoint: result.recoveryPoint,
      reason: unmet,
      attempts: attempt,
      durationMs: deps.clock.now() - started,
      observed,
    };
  } catch (error) {
    const interrupted = signal.aborted;
    const timedOut = !interrupted && controller.signal.aborted;
    const permanent = !interrupted && !timedOut && isPermanentFailure(error);
    observed.exitCode = 1;
    const reason = interrupted
      ? 'interrupted'
      : timedOut
        ? `timed out after ${formatDuration(task.timeoutMs ?? timeoutMs ?? 0)}`
        : (error as Error).message;
    hooks.onAttemptEnd({
      attempt,
      exitCode: 1,
      durationMs: deps.clock.now() - started,
      ended: interrupted ? 'aborted' : timedOut ? 'timeout' : 'exited',
      error: reason,
      stdoutTail: '',
      stderrTail: '',
      truncated: false,
    });
    return {
      ok: false,
      interrupted,
      timedOut,
      permanent,
      exitCode: 1,
      outputs: {},
      reason,
      attempts: attempt,
      durationMs: deps.clock.now() - started,
      observed,
    };
  } finally {
    clearTimeout(timer);
    clearInterval(keepAlive);
    signal.removeEventListener('abort', onAbort);
  }
}

/** How many of the command's last lines a failure quotes. */
export const ERROR_TAIL_LINES = 3;

/** The last non-blank lines of a command's output, secrets masked before anything is cut. */
export function lastLines(text: string, mask?: (text: string) => string): string {
  const masked = mask ? mask(text) : text;
  return masked
    .split(/\r?\n/)
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== '')
    .slice(-ERROR_TAIL_LINES)
    .join('\n');
}

/** An attempt whose command could not be started at all: the step fails with this reason. */
function notStarted(task: CommandTask, attempt: number, reason: string): OnceOutcome {
  return {
    ok: false,
    interrupted: false,
    timedOut: false,
    exitCode: null,
    outputs: {},
    reason,
    attempts: attempt,
    durationMs: 0,
    observed: { exitCode: null, stdout: '', stderr: '', outputs: {}, mask: task.mask },
  };
}
