import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { UserError } from '../util/errors.js';

/** The one top-level catch: every error becomes a message and an exit code. */
export async function main(argv: string[]): Promise<void> {
  const debug = argv.includes('--debug');
  try {
    const code = await buildProgram().parseAsync(argv).then(() => process.exitCode ?? 0);
    process.exitCode = typeof code === 'number' ? code : Number(code);
  } catch (error) {
    process.exitCode = reportError(error, debug);
  }
}

function reportError(error: unknown, debug: boolean): number {
  if (error instanceof CommanderError) {
    // Commander has printed its message already; help and --version are not errors.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.code === 'commander.version') return 0;
    return 2;
  }
  if (error instanceof UserError) {
    process.stderr.write(`drctl: ${error.message}\n${error.hint ? `  hint: ${error.hint}\n` : ''}`);
    if (debug && error.stack) process.stderr.write(`${error.stack}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`drctl: internal error: ${message}\n  this is a bug in drctl, not in your runbook; re-run with --debug for the stack trace\n`);
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return 70;
}
