import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package folder: the binary runs from here, the way an operator runs it from a checkout. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(ROOT, 'bin', 'drctl.cjs');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for "appears nowhere" checks. */
  all: string;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
}

/** Environment variables of the test runner that would change what drctl does. */
const ISOLATED = ['DRCTL_RUNBOOKS', 'DRCTL_STATE_DIR', 'DATABASE_URL', 'FORCE_COLOR', 'CI'];

/** Run the built binary as a user would: `node bin/drctl.cjs ...`, no colours, no terminal. */
export function drctl(args: readonly string[], options: RunOptions = {}): CliResult {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1' };
  for (const name of ISOLATED) delete env[name];
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  const result = spawnSync('node', [BIN, ...args], { cwd: options.cwd ?? ROOT, env, encoding: 'utf8', timeout: 30_000 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, all: `${result.stdout}\n${result.stderr}` };
}

/** Fail the whole file with one clear message when the bundle was not built. */
export function requireBuild(): void {
  if (!existsSync(join(ROOT, 'dist', 'drctl.cjs'))) {
    throw new Error(`${join(ROOT, 'dist', 'drctl.cjs')} is missing: run \`npm run build\` before the end-to-end tests`);
  }
}

/** A stack trace frame, or drctl's message for an unexpected exception. */
export function crashSigns(output: string): string[] {
  const signs: string[] = [];
  const frame = /^ {4}at .+$/m.exec(output);
  if (frame) signs.push(`stack frame: ${frame[0]}`);
  if (output.includes('internal error')) signs.push('"internal error"');
  return signs;
}
