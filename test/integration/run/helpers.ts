import type { ChildProcess } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';

/**
 * Helpers for the integration tests of `drctl run`, `resume`, `runs` and `report`: every test gets
 * its own folder, writes its own runbook there and runs the BUILT binary the way an operator would.
 */

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = join(ROOT, 'bin', 'drctl.cjs');

/** Fail a whole file with one clear message when the bundle was not built. */
export function requireBuild(): void {
  if (!existsSync(join(ROOT, 'dist', 'drctl.cjs'))) {
    throw new Error(`${join(ROOT, 'dist', 'drctl.cjs')} is missing: run \`npm run build\` before the integration tests`);
  }
}

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
// Running the binary

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together. */
  all: string;
}

export interface SpawnOptions {
  cwd: string;
  /** Added to (or, with undefined, removed from) the environment. */
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

/** Variables of the test runner that would change what drctl does. */
const ISOLATED = ['DRCTL_RUNBOOKS', 'DRCTL_STATE_DIR', 'FORCE_COLOR', 'DATABASE_URL'];

export function cliEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', CI: '1' };
  for (const name of ISOLATED) delete env[name];
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

/** Run `node bin/drctl.cjs ...` to the end. Its standard input is a pipe, never a terminal. */
export function drctl(args: readonly string[], options: SpawnOptions): CliResult {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: cliEnv(options.env),
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 20_000,
    killSignal: 'SIGKILL',
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (result.error) throw result.error;
  return { status: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr, all: `${result.stdout}\n${result.stderr}` };
}

export interface Running {
  child: ChildProcess;
  pid: number;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started = new Set<ChildProcess>();

/** Start drctl in the background (for signals, locks, crashes). It is SIGKILLed when the test ends if still alive. */
export function startDrctl(args: readonly string[], options: SpawnOptions): Running {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: cliEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  started.add(child);
  void exited.then(() => started.delete(child));
  try {
    onTestFinished(() => {
      if (started.has(child)) child.kill('SIGKILL');
    });
  } catch {
    // not in a test
  }
  if (child.pid === undefined) throw new Error('drctl did not start');
  return { child, pid: child.pid, stdout: () => out, stderr: () => err, exited };
}

/** Resolves with the exit, or rejects after `ms` (the process is then killed). */
export async function exitWithin(running: Running, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      running.child.kill('SIGKILL');
      reject(new Error(`drctl did not exit within ${ms}ms\nstdout:\n${running.stdout()}\nstderr:\n${running.stderr()}`));
    }, ms);
  });
  try {
    return await Promise.race([running.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

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
  return readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean).map(Number);
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
  return readdirSync(dir).filter((name) => statSync(join(dir, name)).isDirectory()).sort();
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
  return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
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

  /** Start `command` (a shell command line) in a 200x50 terminal. */
  start(command: string): void {
    this.tmux('new-session', '-d', '-s', this.name, '-x', '200', '-y', '50', command);
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
      return await waitFor(() => {
        const screen = this.screen();
        return (typeof test === 'string' ? screen.includes(test) : test.test(screen)) ? screen : undefined;
      }, what, timeoutMs);
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

/** Single-quote a value for the shell command tmux runs. */
export function sh(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
