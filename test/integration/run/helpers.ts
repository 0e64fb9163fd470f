import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { onTestFinished } from 'vitest';

/**
 * Helpers for the integration tests of `drctl run`, `resume`, `runs` and `report`: every test gets
 * its own folder, writes its own runbook there and runs the BUILT binary the way an operator would
 * (through test/support/cli.ts, re-exported here).
 */

// ---------------------------------------------------------------------------------------------
// Workspaces

export interface Workspace {
  /** The folder: drctl runs with this as its working directory. */
  dir: string;
  /** `--state-dir` for this workspace. */
  stateDir: string;
  path(...parts: string[]): string;
  write(file: string, text: string): string;
  read(file: string): string;
  exists(file: string): boolean;
  /** Write a runbook (YAML text) and return its path. */
  runbook(file: string, yaml: string): string;
  remove(): void;
}

/**
 * A fresh temporary folder. Called inside a test, it is removed when the test ends (kept when
 * DRCTL_KEEP_TMP is set, to look at what a failing test left).
 */
export function workspace(prefix = 'drctl-it-'): Workspace {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const path = (...parts: string[]): string => join(dir, ...parts);
  const ws: Workspace = {
    dir,
    stateDir: path('state'),
    path,
    write(file, text) {
      const full = path(file);
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, text);
      return full;
    },
    read: (file) => readFileSync(path(file), 'utf8'),
    exists: (file) => existsSync(path(file)),
    runbook: (file, yaml) => ws.write(file, yaml),
    remove() {
      if (!process.env.DRCTL_KEEP_TMP) rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    onTestFinished(() => ws.remove());
  } catch {
    // Outside a test (beforeAll): the caller removes it.
  }
  return ws;
}

// ---------------------------------------------------------------------------------------------
// Running the binary: test/support/cli.ts, the one way tests start drctl

export type { CliOptions, CliResult, Exit, Running } from '../../support/cli.js';
export { BIN, cliEnv, drctl, drctlAsync, drctlCommandLine, exitWithin, requireBuild, ROOT, sh, startDrctl } from '../../support/cli.js';

// ---------------------------------------------------------------------------------------------
// Waiting and processes

export async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Poll until `probe` returns something truthy; fail with `what` after the deadline. */
export async function waitFor<T>(probe: () => T | undefined | null | false, what: string, timeoutMs = 10_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** True when the process exists and is not a zombie (a killed orphan may wait to be reaped). */
export function isAlive(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

/** The pids written one per line by a step script. */
export function readPids(file: string): number[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map(Number);
}

/** SIGKILL a process group (a step's tree outlives a SIGKILLed drctl: it is its own group). */
export function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export function killPid(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

// ---------------------------------------------------------------------------------------------
// Runs, journals and reports

export interface JournalEvent {
  t: string;
  type: string;
  step?: string;
  [key: string]: unknown;
}

/** report.json as drctl writes it: the tests read the real type, so a change to it shows here. */
import type { ReportStep, RunReport as Report } from '../../../src/report/build.js';

export type { Report, ReportStep };

/** The run ids in a state folder (the folders under runs/); [] when there are none. */
export function runIds(stateDir: string): string[] {
  const dir = join(stateDir, 'runs');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => statSync(join(dir, name)).isDirectory())
    .sort();
}

/** The one run of a state folder; throws when there is not exactly one. */
export function onlyRunId(stateDir: string): string {
  const ids = runIds(stateDir);
  if (ids.length !== 1) throw new Error(`expected exactly one run in ${stateDir}, found ${ids.length}: ${ids.join(', ')}`);
  return ids[0]!;
}

export function journalPath(stateDir: string, runId: string): string {
  return join(stateDir, 'runs', runId, 'journal.jsonl');
}

export function reportPath(stateDir: string, runId: string): string {
  return join(stateDir, 'runs', runId, 'report.json');
}

/** Every complete line of the journal, parsed (a torn last line without newline is left out). */
export function readJournal(stateDir: string, runId: string): JournalEvent[] {
  const text = readFileSync(journalPath(stateDir, runId), 'utf8');
  const lines = text.split('\n');
  lines.pop(); // after the last newline: '' or a torn line
  return lines.map((line, i) => {
    try {
      return JSON.parse(line) as JournalEvent;
    } catch {
      throw new Error(`journal line ${i + 1} is not JSON: ${line}`);
    }
  });
}

export function readReport(stateDir: string, runId: string): Report {
  return JSON.parse(readFileSync(reportPath(stateDir, runId), 'utf8')) as Report;
}

export function stepOf(report: Report, id: string): ReportStep {
  const step = report.steps.find((s) => s.id === id);
  if (!step) throw new Error(`no step ${id} in the report (steps: ${report.steps.map((s) => s.id).join(', ')})`);
  return step;
}

/** Permission bits of a file, e.g. 0o600. */
export function modeOf(file: string): number {
  return statSync(file).mode & 0o777;
}

/** Lines of a file, without the empty one after the last newline. */
export function linesOf(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
}

// ---------------------------------------------------------------------------------------------
// Runbooks

/** The header every test runbook starts with. */
export function header(name: string, title: string, extra = ''): string {
  return `apiVersion: drctl/v1\nkind: Runbook\nmetadata:\n  name: ${name}\n  title: ${title}\n${extra}`;
}

// ---------------------------------------------------------------------------------------------
// A real pseudo-terminal: tmux, with one private server per session

let tmuxCounter = 0;

export class TmuxSession {
  readonly socket: string;
  readonly name = 'drctl';

  constructor() {
    this.socket = `drctl-it-${process.pid}-${Date.now()}-${++tmuxCounter}`;
  }

  private tmux(...args: string[]): string {
    const result = spawnSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8', timeout: 10_000 });
    if (result.status !== 0) throw new Error(`tmux ${args.join(' ')} failed: ${result.stderr}`);
    return result.stdout;
  }

  /** Start `command` (a shell command line) in a terminal 200 columns wide (or `columns`) and 50 lines high. */
  start(command: string, columns = 200): void {
    this.tmux('new-session', '-d', '-s', this.name, '-x', String(columns), '-y', '50', command);
  }

  /** The whole screen plus its scrollback, wrapped lines joined. */
  screen(): string {
    try {
      return this.tmux('capture-pane', '-p', '-J', '-S', '-', '-t', this.name);
    } catch {
      return '';
    }
  }

  async waitForScreen(test: string | RegExp, what = String(test), timeoutMs = 10_000): Promise<string> {
    try {
      return await waitFor(
        () => {
          const screen = this.screen();
          return (typeof test === 'string' ? screen.includes(test) : test.test(screen)) ? screen : undefined;
        },
        what,
        timeoutMs,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- screen ---\n${this.screen()}`);
    }
  }

  /** tmux send-keys: key names (Enter, Down, Up) or literal text with literal = true. */
  send(keys: string[], literal = false): void {
    this.tmux('send-keys', '-t', this.name, ...(literal ? ['-l'] : []), ...keys);
  }

  kill(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server'], { encoding: 'utf8', timeout: 10_000 });
  }
}
