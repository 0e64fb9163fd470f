import { lstatSync, realpathSync, rmdirSync, unlinkSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { removeServerFolder } from '../adapters/local-postgres.js';
import type { CleanupResult, JournalEntryBody } from '../journal/entries.js';
import type { CleanupRecord, RunRecord } from '../journal/record.js';

/**
 * The run's cleanup ledger carried out: what actions created for the run (a downloaded backup and
 * the folder made for it) is removed when the run ends, each removal journaled as it happens, so
 * an interrupted cleanup is finished by the next one (`drctl resume`, `drctl abandon`,
 * `drctl cleanup`). Only what the ledger names is touched, and only while it is still what was made:
 * the same kind, device and inode, reached without a symbolic link. A folder is removed only once
 * it is empty: what someone else put there stays. A throw-away PostgreSQL's folder (postgres-server)
 * is the exception: its server is stopped if it still runs, then the folder goes with all it holds,
 * since initdb and the server made every file in it.
 */

export type CleanupDoneEntry = Extract<JournalEntryBody, { type: 'cleanup.done' }>;

/** The ledger entries still to do: pending, or failed last time. Newest first, so a file goes before its folder. */
export function cleanupDue(record: RunRecord): CleanupRecord[] {
  return record.cleanup.filter((item) => item.status === 'pending' || item.status === 'failed').reverse();
}

/** Remove (or keep) every entry still due, journaling each through `journal` as it is done. */
export function cleanUpLedger(record: RunRecord, journal: (entry: CleanupDoneEntry) => void): CleanupDoneEntry[] {
  const done: CleanupDoneEntry[] = [];
  for (const item of cleanupDue(record)) {
    const outcome = item.keep ? { result: 'kept' as const, error: null } : removeItem(item);
    const entry: CleanupDoneEntry = { type: 'cleanup.done', path: item.path, ...outcome };
    journal(entry);
    done.push(entry);
  }
  return done;
}

/** Remove one ledger entry if, and only if, it is still what the action made. */
export function removeItem(item: Pick<CleanupRecord, 'path' | 'kind' | 'dev' | 'ino'>): { result: CleanupResult; error: string | null } {
  const { path } = item;
  if (!isAbsolute(path) || resolve(path) !== path) return failed('not an absolute, plain path: left alone');
  // Every folder on the way must be the one recorded: a symbolic link swapped in would lead elsewhere.
  let parent: string;
  try {
    parent = realpathSync(dirname(path));
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return { result: 'gone', error: null };
    return failed(messageOf(error));
  }
  if (parent !== dirname(path)) return failed(`its folder now leads to ${parent} (a symbolic link): left alone`);
  let info;
  try {
    info = lstatSync(path);
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return { result: 'gone', error: null };
    return failed(messageOf(error));
  }
  if (info.isSymbolicLink()) return failed('it is a symbolic link now, not what drctl made: left alone');
  if (item.kind === 'file' ? !info.isFile() : !info.isDirectory())
    return failed(`it is no longer the ${item.kind === 'file' ? 'file' : 'folder'} drctl made: left alone`);
  if (info.dev !== item.dev || info.ino !== item.ino) return failed('it was replaced since drctl made it: left alone');
  if (item.kind === 'postgres-server') {
    const problem = removeServerFolder(path, item.dev, item.ino);
    return problem === undefined ? { result: 'removed', error: null } : failed(problem);
  }
  try {
    if (item.kind === 'file') unlinkSync(path);
    else rmdirSync(path);
  } catch (error) {
    const code = codeOf(error);
    if (code === 'ENOENT') return { result: 'gone', error: null };
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return failed('the folder holds files drctl did not make: left in place');
    return failed(messageOf(error));
  }
  return { result: 'removed', error: null };
}

function failed(error: string): { result: 'failed'; error: string } {
  return { result: 'failed', error };
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(error: unknown): string {
  const code = codeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  // "EACCES: permission denied, unlink '/x'" → "EACCES: permission denied"
  return code ? message.split(',')[0]! : message;
}
