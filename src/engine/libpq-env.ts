import { closeSync, fsyncSync, lstatSync, mkdtempSync, openSync, readdirSync, renameSync, rmSync, constants, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Scope } from '../runbook/expression.js';
import type { LibpqSettings } from '../runbook/postgres-url.js';
import { parsePostgresUrl, PostgresUrlError } from '../runbook/postgres-url.js';
import { resolveValue } from './render.js';

/**
 * The `postgres:` key of a step, rollback or preflight check: a PostgreSQL URL handed to psql,
 * pg_dump and pg_restore through libpq's environment (PGHOST, PGPORT, PGUSER, PGDATABASE, ...) and a
 * password file, never through argv.
 *
 * The password file is `pgpass` in a folder of its own, `drctl-libpq-<pid>-XXXXXX` in the OS temp
 * folder (`$TMPDIR`, else /tmp): the folder is created 0700 by mkdtemp, the file is written 0600
 * under another name, flushed and renamed into place, so libpq never reads half a file and no
 * other user can read it at any moment. It is removed when the command ends, however it ends;
 * a drctl killed outright leaves it unreadable to others, and the next drctl that hands over a
 * URL removes the folders of drctl processes that no longer run.
 */

const FOLDER_PREFIX = 'drctl-libpq-';

export interface LibpqEnv {
  /** The environment to run the command with: the one given, with libpq's variables set. */
  env: Record<string, string>;
  /** Why the URL cannot be handed over (names the key, never quotes the value); the command must not run. */
  problem?: string | undefined;
  /** Remove the password file, if one was written. Safe to call more than once. */
  close(): void;
}

const open = new Set<string>();
let exitHook = false;
let swept = false;

function removeFolder(folder: string): void {
  try {
    rmSync(folder, { recursive: true, force: true });
  } catch {
    // Gone already, or not ours to remove: it stays unreadable to others.
  }
  open.delete(folder);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove the password folders that drctl processes left behind when they were killed outright
 * (SIGKILL, power loss): those of this user whose process no longer runs.
 */
export function removeLeftoverPassfiles(folder = tmpdir()): void {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return;
  }
  const uid = process.getuid?.();
  for (const name of names) {
    const match = /^drctl-libpq-(\d+)-[A-Za-z0-9]+$/.exec(name);
    if (!match || Number(match[1]) === process.pid || isRunning(Number(match[1]))) continue;
    const path = join(folder, name);
    try {
      const stat = lstatSync(path);
      if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid)) continue;
    } catch {
      continue;
    }
    removeFolder(path);
  }
}

/** Write the password file: 0600, in a 0700 folder of its own, complete before it has its name. */
function writePassfile(line: string): { folder: string; file: string } {
  if (!swept) {
    swept = true;
    removeLeftoverPassfiles();
  }
  if (!exitHook) {
    exitHook = true;
    // A drctl that exits while a command runs (an error of the machine, a bug) removes its files too.
    process.once('exit', () => [...open].forEach(removeFolder));
  }
  const folder = mkdtempSync(join(tmpdir(), `${FOLDER_PREFIX}${process.pid}-`));
  open.add(folder);
  const file = join(folder, 'pgpass');
  const partial = join(folder, '.pgpass.tmp');
  try {
    const fd = openSync(partial, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      const data = Buffer.from(line, 'utf8');
      let written = 0;
      while (written < data.length) written += writeSync(fd, data, written, data.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(partial, file);
  } catch (error) {
    removeFolder(folder);
    throw error;
  }
  return { folder, file };
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
