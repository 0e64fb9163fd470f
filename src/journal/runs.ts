import { accessSync, constants, lstatSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import { makeFolder } from '../util/write-file-atomic.js';
import { readJournal } from './journal.js';
import { runIsActive } from './lock.js';
import type { RunRecord } from './record.js';
import { rebuildRun } from './record.js';

/** A run with no end in its journal whose process is gone (kill -9, a crash) was interrupted. */
function settle(record: RunRecord, stateDir: string): RunRecord {
  if (!record.finished && !runIsActive(stateDir, record.runbook, record.runId)) {
    record.finished = { status: 'interrupted', exitCode: 130, at: record.lastEventAt };
  }
  return record;
}

export function stateDirOf(option: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  return option ?? env.DRCTL_STATE_DIR ?? './.drctl';
}

/** Make sure runs can be kept here before anything runs (exit 2 at once otherwise, never a hang). */
export function prepareStateDir(stateDir: string): void {
  const hint = 'pass --state-dir <a writable folder> (or set DRCTL_STATE_DIR)';
  try {
    makeFolder(join(stateDir, 'runs'));
    accessSync(join(stateDir, 'runs'), constants.W_OK);
  } catch (error) {
    const why = error instanceof UserError ? error.message : ((error as NodeJS.ErrnoException).code ?? (error as Error).message);
    throw new UserError(`cannot keep runs in ${stateDir}: ${why}`, { hint });
  }
}

/**
 * What makeRunId writes: the runbook's name, when the run began (UTC) and a short random tag, as in
 * database-loss-20261122T031500Z-4f2a. A run id is a name, never a path.
 */
export const RUN_ID_PATTERN = /^[a-z0-9][a-z0-9-]*-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{4}$/;
/** A run's folder name must fit in one file name (255 bytes) with room to spare. */
const MAX_RUN_ID_LENGTH = 200;

/** Refuse anything but a run id (a path such as ../other/runs/x above all), before it reaches the file system. */
export function checkRunId(runId: string): void {
  if (runId.length > MAX_RUN_ID_LENGTH || !RUN_ID_PATTERN.test(runId)) {
    throw new UserError(`${JSON.stringify(runId.length > 80 ? `${runId.slice(0, 77)}...` : runId)} is not a run id`, {
      hint: 'a run id looks like database-loss-20261122T031500Z-4f2a; see them with: drctl runs',
    });
  }
}

/** A runbook name given to filter runs: the shape of metadata.name. */
export function checkRunbookName(name: string): void {
  if (name.length > MAX_RUN_ID_LENGTH || !/^[a-z0-9][a-z0-9-]*$/.test(name)) {
    throw new UserError(`--runbook ${JSON.stringify(name.length > 80 ? `${name.slice(0, 77)}...` : name)} is not a runbook name`, {
      hint: 'runbook names are lowercase letters, digits and "-" (metadata.name), e.g. database-loss',
    });
  }
}

const MISSING = 'no such file';

/** A journal is read only when it is a regular file: a pipe or a device put in its place would hang the read. */
function journalProblem(file: string): string | undefined {
  try {
    return lstatSync(file).isFile() ? undefined : 'is not a regular file';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? MISSING : `cannot be read (${code ?? (error as Error).message})`;
  }
}

export function runDir(stateDir: string, runId: string): string {
  return join(stateDir, 'runs', runId);
}

export function journalFile(stateDir: string, runId: string): string {
  return join(runDir(stateDir, runId), 'journal.jsonl');
}

/** Every run in the state directory, rebuilt from its journal, newest first. Damaged ones are skipped. */
export function listRuns(stateDir: string): { runs: RunRecord[]; damaged: string[] } {
  const dir = join(stateDir, 'runs');
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => isFolder(join(dir, name)));
  } catch {
    return { runs: [], damaged: [] };
  }
  const runs: RunRecord[] = [];
  const damaged: string[] = [];
  for (const name of names) {
    if (!RUN_ID_PATTERN.test(name) || journalProblem(join(dir, name, 'journal.jsonl')) !== undefined) {
      damaged.push(name);
      continue;
    }
    try {
      const { entries, tornTail } = readJournal(join(dir, name, 'journal.jsonl'));
      runs.push(settle(rebuildRun(entries, tornTail), stateDir));
    } catch {
      damaged.push(name);
    }
  }
  runs.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  return { runs, damaged };
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export function loadRun(stateDir: string, runId: string | undefined): RunRecord {
  if (runId === undefined) {
    const latest = listRuns(stateDir).runs[0];
    if (!latest)
      throw new UserError(`no runs in ${stateDir}`, { hint: 'runs are kept in --state-dir (also $DRCTL_STATE_DIR; default ./.drctl)' });
    return latest;
  }
  checkRunId(runId);
  const file = journalFile(stateDir, runId);
  const problem = journalProblem(file);
  if (problem !== undefined && problem !== MISSING) {
    throw new UserError(`cannot read the journal of run ${runId}: ${file} ${problem}`, {
      hint: 'a run journal is a regular file written by drctl',
    });
  }
  if (problem !== undefined) {
    const known = listRuns(stateDir)
      .runs.slice(0, 5)
      .map((r) => r.runId);
    throw new UserError(`no run ${runId} in ${stateDir}`, { hint: known.length ? `recent runs: ${known.join(', ')}` : 'see drctl runs' });
  }
  const { entries, tornTail } = readJournal(file);
  return settle(rebuildRun(entries, tornTail), stateDir);
}
