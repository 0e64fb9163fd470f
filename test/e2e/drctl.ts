/** The end-to-end tests run the built binary through test/support/cli.ts, as every test does. */
export type { CliResult } from '../support/cli.js';
export { BIN, cliEnv, drctl, requireBuild, ROOT } from '../support/cli.js';

/** A stack trace frame, or drctl's message for an unexpected exception. */
export function crashSigns(output: string): string[] {
  const signs: string[] = [];
  const frame = /^ {4}at .+$/m.exec(output);
  if (frame) signs.push(`stack frame: ${frame[0]}`);
  if (output.includes('internal error')) signs.push('"internal error"');
  return signs;
}
