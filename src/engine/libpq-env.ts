import { tmpdir } from 'node:os';
import type { Scope } from '../runbook/expression.js';
import type { LibpqSettings } from '../runbook/postgres-url.js';
import { parsePostgresUrl, PostgresUrlError } from '../runbook/postgres-url.js';
import { removeFolder, writePassfile } from '../util/libpq-passfile.js';
import { resolveValue } from './render.js';

export { removeLeftoverPassfiles } from '../util/libpq-passfile.js';

/**
 * The `postgres:` key of a step, rollback or preflight check: its URL handed over through libpq's
 * environment and a password file (see util/libpq-passfile.ts), never through argv.
 */

export interface LibpqEnv {
  /** The environment to run the command with: the one given, with libpq's variables set. */
  env: Record<string, string>;
  /** Why the URL cannot be handed over (names the key, never quotes the value); the command must not run. */
  problem?: string | undefined;
  /** Remove the password file, if one was written. Safe to call more than once. */
  close(): void;
}

/**
 * The environment of a command whose step has `postgres:`: the URL resolved in `scope`, parsed,
 * its password registered as a secret and written to a password file. Without `postgres:` the
 * environment is returned as it is.
 */
export function openLibpqEnv(
  template: string | undefined,
  scope: Scope,
  base: Record<string, string>,
  addSecret: (value: string) => void,
): LibpqEnv {
  if (template === undefined) return { env: base, close: () => undefined };
  const refused = (problem: string): LibpqEnv => ({ env: base, problem: `postgres: ${problem}`, close: () => undefined });
  const resolved = resolveValue(template, scope).value;
  if (typeof resolved !== 'string') return refused(`the value is ${resolved === null ? 'null' : `a ${typeof resolved}`}, not a URL`);
  if (resolved === '') return refused('the value is empty, not a URL');
  // The whole URL is a secret wherever it came from: it may hold a password.
  addSecret(resolved);
  let settings: LibpqSettings;
  try {
    settings = parsePostgresUrl(resolved);
  } catch (error) {
    if (error instanceof PostgresUrlError) return refused(error.message);
    throw error;
  }
  for (const secret of settings.secrets) addSecret(secret);
  const env: Record<string, string> = { ...base, ...settings.env };
  if (settings.passfileLine === undefined) return { env, close: () => undefined };
  // The URL's password is the one to use: no inherited password may take precedence over it.
  delete env.PGPASSWORD;
  let written: { folder: string; file: string };
  try {
    written = writePassfile(settings.passfileLine);
  } catch (error) {
    return refused(`cannot write the password file in ${tmpdir()} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  env.PGPASSFILE = written.file;
  return { env, close: () => removeFolder(written.folder) };
}
