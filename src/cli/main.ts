import { basename } from 'node:path';
import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { layout, terminalWidth } from '../io/layout.js';
import { UserError } from '../util/errors.js';

let pipesWatched = false;

/** The one top-level catch: every error becomes a message and an exit code. */
export async function main(argv: string[]): Promise<void> {
  const debug = argv.includes('--debug');
  watchPipes();
  try {
    const code = await buildProgram()
      .parseAsync(argv)
      .then(() => process.exitCode ?? 0);
    process.exitCode = typeof code === 'number' ? code : Number(code);
  } catch (error) {
    process.exitCode = reportError(error, debug);
  }
}

/**
 * A reader that went away (`drctl validate | head -1`) is no error of drctl's: what it would have
 * read is dropped, and the command finishes (a run goes on: a pager closed is no reason to stop).
 */
function watchPipes(): void {
  if (pipesWatched) return;
  pipesWatched = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
}

/** Errors of the machine rather than of drctl: a full disk, a read-only or forbidden path. */
const ENVIRONMENT: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
};

function reportError(error: unknown, debug: boolean): number {
  if (error instanceof CommanderError) {
    // Commander has printed its message already; help and --version are not errors.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.code === 'commander.version') return 0;
    return 2;
  }
  if (error instanceof UserError) {
    // Fitted to the terminal as drctl's other lines are: a long message or hint breaks at spaces.
    const text = `drctl: ${error.message}${error.hint ? `\n  hint: ${error.hint}` : ''}`;
    process.stderr.write(`${layout(text, terminalWidth(process.stderr))}\n`);
    if (debug && error.stack) process.stderr.write(`${error.stack}\n`);
    return error.exitCode;
  }
  const errno = error as NodeJS.ErrnoException;
  const environment = errno.code !== undefined && errno.path !== undefined ? ENVIRONMENT[errno.code] : undefined;
  if (environment !== undefined) {
    process.stderr.write(
      `drctl: cannot ${errno.syscall ?? 'use'} ${errno.path}: ${environment} (${errno.code})\n  hint: make room or fix the permissions, then try again\n`,
    );
    if (debug && errno.stack) process.stderr.write(`${errno.stack}\n`);
    return 2;
  }
  const message = internalMessage(error);
  process.stderr.write(
    `drctl: internal error: ${message}\n  this is a bug in drctl, not in your runbook; re-run with --debug for the stack trace\n`,
  );
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${stackWithout(error, message)}\n`);
  return 70;
}

/**
 * The message of an unexpected error. An error of a process that failed to start (execa's, Node's
 * spawn) carries the whole command line, and with it any value substituted into it, secrets
 * included: only the program and the error code are named.
 */
function internalMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const e = error as Error & { command?: unknown; escapedCommand?: unknown; spawnargs?: unknown; path?: unknown; code?: unknown };
  const commandLine = typeof e.escapedCommand === 'string' || typeof e.command === 'string' || Array.isArray(e.spawnargs);
  if (!commandLine) return error.message;
  const program = typeof e.path === 'string' ? e.path : typeof e.command === 'string' ? e.command.split(' ')[0]! : 'a command';
  const code = typeof e.code === 'string' ? e.code : 'failed';
  return `running ${basename(program)}: ${code}`;
}

/** The stack trace with the message replaced by the one printed: the stack repeats the original. */
function stackWithout(error: Error, message: string): string {
  const stack = error.stack ?? '';
  const frames = stack.indexOf('\n    at ');
  return `${error.name}: ${message}${frames >= 0 ? stack.slice(frames) : ''}`;
}
