import { accessSync, constants, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
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

/** Make sure runs can be kept here before anything runs (exit 2 otherwise). */
export function prepareStateDir(stateDir: string): void {
  try {
    mkdirSync(join(stateDir, 'runs'), { recursive: true, mode: 0o700 });
    accessSync(join(stateDir, 'runs'), constants.W_OK);
  } catch (error) {
    throw new UserError(`cannot keep runs in ${stateDir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      hint: 'pass --state-dir <a writable folder> (or set DRCTL_STATE_DIR)',
    });
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
    names = readdirSync(dir).filter((name) => statSync(join(dir, name)).isDirectory());
  } catch {
    return { runs: [], damaged: [] };
  }
  const runs: RunRecord[] = [];
  const damaged: string[] = [];
  for (const name of names) {
    try {
      const { events, tornTail } = readJournal(join(dir, name, 'journal.jsonl'));
      runs.push(settle(rebuildRun(events, tornTail), stateDir));
    } catch {
      damaged.push(name);
    }
  }
  runs.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  return { runs, damaged };
}

export function loadRun(stateDir: string, runId: string | undefined): RunRecord {
  if (runId === undefined) {
    const latest = listRuns(stateDir).runs[0];
    if (!latest) throw new UserError(`no runs in ${stateDir}`, { hint: 'runs are kept in --state-dir (also $DRCTL_STATE_DIR; default ./.drctl)' });
    return latest;
  }
  const file = journalFile(stateDir, runId);
  try {
    statSync(file);
  } catch {
    const known = listRuns(stateDir).runs.slice(0, 5).map((r) => r.runId);
    throw new UserError(`no run ${runId} in ${stateDir}`, { hint: known.length ? `recent runs: ${known.join(', ')}` : 'see drctl runs' });
  }
  const { events, tornTail } = readJournal(file);
  return settle(rebuildRun(events, tornTail), stateDir);
}
