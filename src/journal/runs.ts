import { accessSync, constants, lstatSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
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

type Env = Readonly<Record<string, string | undefined>>;

/** Where runs are kept: --state-dir, else $DRCTL_STATE_DIR, else the XDG state folder (the same in every terminal). */
export function stateDirOf(option: string | undefined, env: Env): string {
  return option ?? givenStateDir(env) ?? defaultStateDir(env);
}

function givenStateDir(env: Env): string | undefined {
  return env.DRCTL_STATE_DIR === undefined || env.DRCTL_STATE_DIR === '' ? undefined : env.DRCTL_STATE_DIR;
}

/**
 * $XDG_STATE_HOME/drctl, else ~/.local/state/drctl. The XDG base directory specification says a
 * relative $XDG_STATE_HOME is invalid and to be ignored.
 */
export function defaultStateDir(env: Env): string {
  const xdg = env.XDG_STATE_HOME;
  if (xdg !== undefined && xdg !== '' && isAbsolute(xdg)) return join(xdg, 'drctl');
  const home = env.HOME !== undefined && env.HOME !== '' ? env.HOME : homedir();
  return join(home, '.local', 'state', 'drctl');
}

/** Where versions before the XDG default kept runs: ./.drctl of the folder drctl was started in. */
export function legacyStateDir(cwd: string): string {
  return join(cwd, '.drctl');
}

/**
 * Every folder runs are looked for in. A folder named by --state-dir or $DRCTL_STATE_DIR is the
 * only one; otherwise the default, then ./.drctl of the current folder when it holds runs.
 */
export function stateDirsOf(option: string | undefined, env: Env, cwd: string = process.cwd()): string[] {
  const main = stateDirOf(option, env);
  if (option !== undefined || givenStateDir(env) !== undefined) return [main];
  const legacy = legacyStateDir(cwd);
  return isFolder(join(legacy, 'runs')) && resolve(legacy) !== resolve(main) && untrustedFolder(legacy) === undefined
    ? [main, legacy]
    : [main];
}

/**
 * Why the runs kept in a folder are not to be trusted, or undefined when they are: ./.drctl lies in
 * whatever folder drctl was started in, so another user may have put it there or may write in it,
 * and a resume would run commands with what its journal says. The folder and its runs/ must be the
 * current user's and writable by no one else.
 */
export function untrustedFolder(dir: string): string | undefined {
  const uid = process.getuid?.();
  for (const folder of [dir, join(dir, 'runs')]) {
    let info;
    try {
      info = statSync(folder);
    } catch {
      continue;
    }
    if (uid !== undefined && info.uid !== uid) return `${folder} belongs to uid ${info.uid}, not to you (uid ${uid})`;
    if ((info.mode & 0o022) !== 0) return `${folder} may be written by ${(info.mode & 0o002) !== 0 ? 'any user' : 'its group'}`;
  }
  return undefined;
}

/** A run kept in ./.drctl that stateDirsOf leaves out as untrusted: refused, saying why, rather than "no run". */
function refuseUntrustedLegacyRun(runId: string): void {
  const legacy = legacyStateDir(process.cwd());
  if (journalProblem(journalFile(legacy, runId)) === MISSING) return;
  const problem = untrustedFolder(legacy);
  if (problem === undefined) return;
  throw new UserError(`run ${runId} is kept in ${legacy}, which drctl does not trust: ${problem}`, {
    hint: 'drctl does not resume, abandon or note a run, nor take its outputs, from a folder that is not yours alone; if it is yours, chown it to you and chmod go-w it',
  });
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

/** The shape of metadata.name, which a runbook name given on the command line must have. */
export function isRunbookName(name: string): boolean {
  return name.length <= MAX_RUN_ID_LENGTH && /^[a-z0-9][a-z0-9-]*$/.test(name);
}

/** A runbook name given to filter runs (`--runbook`, or `what` names where else it was given); `also` ends the hint. */
export function checkRunbookName(name: string, what = '--runbook ', also = ''): void {
  if (!isRunbookName(name)) {
    throw new UserError(`${what}${JSON.stringify(name.length > 80 ? `${name.slice(0, 77)}...` : name)} is not a runbook name`, {
      hint: `runbook names are lowercase letters, digits and "-" (metadata.name), e.g. database-loss${also}`,
    });
  }
}

const MISSING = 'no such file';
const STATE_DIR_HINT = 'runs are kept in --state-dir (also $DRCTL_STATE_DIR; default $XDG_STATE_HOME/drctl, i.e. ~/.local/state/drctl)';

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
      runs.push(settle(recordOfJournal(readJournal(join(dir, name, 'journal.jsonl'))), stateDir));
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
    if (!latest) throw new UserError(`no runs in ${stateDir}`, { hint: STATE_DIR_HINT });
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
    refuseUntrustedLegacyRun(runId);
    const known = listRuns(stateDir)
      .runs.slice(0, 5)
      .map((r) => r.runId);
    throw new UserError(`no run ${runId} in ${stateDir}`, { hint: known.length ? `recent runs: ${known.join(', ')}` : 'see drctl runs' });
  }
  return settle(recordOfJournal(readJournal(file)), stateDir);
}

/** A journal as read, rebuilt into its run's record, with the journal's entries and head hash. */
export function recordOfJournal(read: ReturnType<typeof readJournal>): RunRecord {
  const record = rebuildRun(read.entries, read.tornTail);
  record.journal = { entries: read.entries.length, head: read.head };
  return record;
}

/** A run and the folder that keeps it. */
export interface KeptRun {
  record: RunRecord;
  stateDir: string;
}

/** The runs of every folder, newest first, each with its folder; damaged ones are named with theirs. */
export function listRunsIn(stateDirs: readonly string[]): { runs: KeptRun[]; damaged: { name: string; stateDir: string }[] } {
  const runs: KeptRun[] = [];
  const damaged: { name: string; stateDir: string }[] = [];
  for (const stateDir of stateDirs) {
    const found = listRuns(stateDir);
    runs.push(...found.runs.map((record) => ({ record, stateDir })));
    damaged.push(...found.damaged.map((name) => ({ name, stateDir })));
  }
  runs.sort((a, b) => b.record.startedAt.localeCompare(a.record.startedAt));
  return { runs, damaged };
}

/** A run (the latest without an id) looked for in each folder in turn, with the folder that keeps it. */
export function findRun(stateDirs: readonly string[], runId: string | undefined): KeptRun {
  const [first, ...others] = stateDirs;
  if (first === undefined) throw new Error('findRun needs a folder');
  if (others.length === 0) return { record: loadRun(first, runId), stateDir: first };
  if (runId === undefined) {
    const latest = listRunsIn(stateDirs).runs[0];
    if (!latest) throw new UserError(`no runs in ${stateDirs.join(' or ')}`, { hint: STATE_DIR_HINT });
    return latest;
  }
  checkRunId(runId);
  const keeper = stateDirs.find((stateDir) => journalProblem(journalFile(stateDir, runId)) !== MISSING);
  if (keeper !== undefined) return { record: loadRun(keeper, runId), stateDir: keeper };
  refuseUntrustedLegacyRun(runId);
  const known = listRunsIn(stateDirs)
    .runs.slice(0, 5)
    .map((r) => r.record.runId);
  throw new UserError(`no run ${runId} in ${stateDirs.join(' or ')}`, {
    hint: known.length ? `recent runs: ${known.join(', ')}` : 'see drctl runs',
  });
}

/** The run ids kept in these folders, newest first, read from folder names only (for shell completion). */
export function runIdsIn(stateDirs: readonly string[]): string[] {
  const ids = new Set<string>();
  for (const stateDir of stateDirs) {
    try {
      for (const name of readdirSync(join(stateDir, 'runs'))) if (RUN_ID_PATTERN.test(name)) ids.add(name);
    } catch {
      // no runs here
    }
  }
  const started = (id: string): string => /-([0-9]{8}T[0-9]{6}Z)-[0-9a-f]{4}$/.exec(id)?.[1] ?? '';
  return [...ids].sort((a, b) => started(b).localeCompare(started(a)) || a.localeCompare(b));
}

/** A run's folder, known by its name only (nothing read yet). */
export interface RunFolder {
  runId: string;
  stateDir: string;
  dir: string;
}

/**
 * The run folders of these state dirs, of one runbook when a name is given (a run id starts with
 * its runbook's name, so the others are never opened), oldest first by the time in the id.
 */
export function runFoldersIn(stateDirs: readonly string[], runbook?: string): RunFolder[] {
  const folders: RunFolder[] = [];
  const own = runbook === undefined ? undefined : new RegExp(`^${runbook}-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{4}$`);
  for (const stateDir of stateDirs) {
    let names: string[];
    try {
      names = readdirSync(join(stateDir, 'runs'));
    } catch {
      continue;
    }
    for (const name of names) {
      if (!RUN_ID_PATTERN.test(name) || (own !== undefined && !own.test(name))) continue;
      folders.push({ runId: name, stateDir, dir: join(stateDir, 'runs', name) });
    }
  }
  // Each run's start read from its id once, not at every comparison of the sort.
  const started = new Map(folders.map((f) => [f, /-([0-9]{8}T[0-9]{6}Z)-[0-9a-f]{4}$/.exec(f.runId)?.[1] ?? '']));
  // In the order of their characters (as localeCompare orders these, without setting up a collation).
  const byText = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
  return folders.sort((a, b) => byText(started.get(a)!, started.get(b)!) || byText(a.runId, b.runId));
}
