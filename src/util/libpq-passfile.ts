import { closeSync, fsyncSync, lstatSync, mkdtempSync, openSync, readdirSync, renameSync, rmSync, constants, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LibpqSettings } from './postgres-url.js';
import { parsePostgresUrl } from './postgres-url.js';

/**
 * A PostgreSQL URL handed to psql, pg_dump and pg_restore through libpq's environment (PGHOST,
 * PGPORT, PGUSER, PGDATABASE, ...) and a password file, never through argv: for a step's
 * `postgres:` key (engine/libpq-env.ts) and for the postgres actions that run those programs.
 *
 * The password file is `pgpass` in a folder of its own, `drctl-libpq-<pid>-XXXXXX` in the OS temp
 * folder (`$TMPDIR`, else /tmp): the folder is created 0700 by mkdtemp, the file is written 0600
 * under another name, flushed and renamed into place, so libpq never reads half a file and no
 * other user can read it at any moment. It is removed when the command ends, however it ends;
 * a drctl killed outright leaves it unreadable to others, and the next drctl that hands over a
 * URL removes the folders of drctl processes that no longer run.
 */

const FOLDER_PREFIX = 'drctl-libpq-';

const open = new Set<string>();
let exitHook = false;
let swept = false;

export function removeFolder(folder: string): void {
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
export function writePassfile(line: string): { folder: string; file: string } {
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

/** libpq's environment for a PostgreSQL URL, and how to remove its password file. */
export interface LibpqHandover {
  /** `base` with libpq's variables set (PGPASSFILE when the URL has a password; no PGPASSWORD then). */
  env: Record<string, string>;
  /** Every form of the password the URL holds: values to mask. */
  secrets: string[];
  /** Remove the password file, if one was written. Safe to call more than once. */
  close(): void;
}

/**
 * Hand `url` to libpq through the environment: its variables, and its password in a password file
 * (never argv). Throws PostgresUrlError when the URL cannot be handed over, and the file system's
 * error when the password file cannot be written.
 */
export function libpqHandover(url: string, base: Record<string, string>): LibpqHandover {
  const settings: LibpqSettings = parsePostgresUrl(url);
  const env: Record<string, string> = { ...base, ...settings.env };
  if (settings.passfileLine === undefined) return { env, secrets: settings.secrets, close: () => undefined };
  // The URL's password is the one to use: no inherited password may take precedence over it.
  delete env.PGPASSWORD;
  const written = writePassfile(settings.passfileLine);
  env.PGPASSFILE = written.file;
  return { env, secrets: settings.secrets, close: () => removeFolder(written.folder) };
}
