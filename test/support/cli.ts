import type { ChildProcess } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { onTestFinished } from 'vitest';

/**
 * The one way tests run the built drctl: `node bin/drctl.cjs ...`, as an operator runs it from a
 * checkout, with standard input a pipe (never a terminal), to the end (`drctl`, `drctlAsync`) or
 * in the background for tests that signal it, type into it or race two of it (`startDrctl`).
 *
 * Every run sees the same environment on a laptop and in CI: the test runner's environment
 * without what would change what drctl, or a command a runbook runs, does (DRCTL_*, AWS_*, PG*,
 * DATABASE_URL, KUBECONFIG, CI, GITHUB_* of a GitHub Actions job, colour settings, XDG_* folders),
 * with NO_COLOR=1 and an empty HOME of its own per test. A test adds what it needs through `env`
 * (moto's AWS_ENDPOINT_URL, CI=1 for a run "as a CI job would") and `path` (a recording kubectl
 * first on PATH).
 */

/** The package folder: the binary runs from here unless a test says otherwise. */
export const ROOT = join(import.meta.dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'drctl.cjs');

/** Long enough for a loaded 2-core machine; a run that takes longer has hung. */
const DEFAULT_TIMEOUT_MS = 60_000;

/** Fail a whole file with one clear message when the bundle was not built. */
export function requireBuild(): void {
  const bundle = join(ROOT, 'dist', 'drctl.cjs');
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run \`npm run build\` before the tests that run drctl`);
}

export interface CliOptions {
  /** The working directory; the package folder by default. */
  cwd?: string;
  /** Added to (or, with undefined, removed from) the isolated environment. */
  env?: Record<string, string | undefined>;
  /** Folders put first on PATH, e.g. one holding a recording kubectl. */
  path?: readonly string[];
  /** `drctl` and `drctlAsync` kill the process (SIGKILL) and fail after this long. */
  timeoutMs?: number;
  /**
   * What runs instead of `node bin/drctl.cjs`, the arguments following it: another copy of the
   * package, node with a preloaded hook, an installed package's bin link.
   */
  command?: readonly string[];
}

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for "appears nowhere" checks and assertion messages. */
  all: string;
}

// ---------------------------------------------------------------------------------------------
// The environment

/** Variables of a developer's shell or a CI runner that would change what drctl or a step does. */
const STRIPPED = /^(?:DRCTL_|AWS_|PG|XDG_|VITEST|GITHUB_)|^(?:DATABASE_URL|KUBECONFIG|CI|NO_COLOR|FORCE_COLOR|NODE_OPTIONS|NODE_ENV|TEST)$/;

let home: string | undefined;

/** An empty home folder of the current test, removed when it ends; outside a test, one per call. */
function testHome(): string {
  if (home !== undefined) return home;
  const dir = mkdtempSync(join(tmpdir(), 'drctl-home-'));
  for (const sub of ['.config', '.cache', '.local/share', '.local/state']) mkdirSync(join(dir, sub), { recursive: true });
  const remove = (): void => {
    if (!process.env.DRCTL_KEEP_TMP) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  };
  try {
    onTestFinished(() => {
      home = undefined;
      remove();
    });
    home = dir;
  } catch {
    // Outside a test (beforeAll): removed when the worker exits.
    process.once('exit', remove);
  }
  return dir;
}

/** The environment drctl runs with: see the comment at the top of this file. */
export function cliEnv(extra: Record<string, string | undefined> = {}, path: readonly string[] = []): Record<string, string> {
  const env: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(process.env)) if (!STRIPPED.test(name)) env[name] = value;
  const dir = testHome();
  Object.assign(env, {
    NO_COLOR: '1',
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, '.config'),
    XDG_CACHE_HOME: join(dir, '.cache'),
    XDG_DATA_HOME: join(dir, '.local', 'share'),
    XDG_STATE_HOME: join(dir, '.local', 'state'),
    // Tools installed with `pip install --user` (the aws CLI) find their modules under the real home.
    PYTHONUSERBASE: process.env.PYTHONUSERBASE ?? join(homedir(), '.local'),
  });
  if (path.length > 0) env.PATH = [...path, env.PATH ?? ''].join(delimiter);
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

function argvOf(args: readonly string[], options: CliOptions): [string, string[]] {
  const [file, ...rest] = options.command ?? [process.execPath, BIN];
  if (file === undefined) throw new Error('CliOptions.command is empty');
  return [file, [...rest, ...args]];
}

// ---------------------------------------------------------------------------------------------
// To the end

/** Run drctl to the end, blocking this process. It fails (after killing drctl) when it outlives `timeoutMs`. */
export function drctl(args: readonly string[], options: CliOptions = {}): CliResult {
  const [file, argv] = argvOf(args, options);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const result = spawnSync(file, argv, {
    cwd: options.cwd ?? ROOT,
    env: cliEnv(options.env, options.path),
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    // A file with thousands of problems prints megabytes: more than spawnSync keeps by default (1 MiB).
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (result.error) {
    const timedOut = (result.error as NodeJS.ErrnoException).code === 'ETIMEDOUT';
    if (!timedOut) throw result.error;
    throw new Error(`drctl ${args.join(' ')} did not exit within ${timeoutMs}ms\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
  return resultOf(result.status, result.signal, result.stdout, result.stderr);
}

/** Run drctl to the end without blocking this process, so servers living in it keep answering. */
export async function drctlAsync(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const running = startDrctl(args, options);
  const { code, signal } = await exitWithin(running, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  return resultOf(code, signal, running.stdout(), running.stderr());
}

function resultOf(status: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string): CliResult {
  return { status, signal, stdout, stderr, all: `${stdout}\n${stderr}` };
}

// ---------------------------------------------------------------------------------------------
// In the background

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Running {
  /** Its stdin is a pipe: write to type into it. */
  child: ChildProcess;
  pid: number;
  /** Everything it printed so far. */
  stdout(): string;
  stderr(): string;
  exited: Promise<Exit>;
}

const started = new Set<ChildProcess>();

/** Start drctl in the background. It is SIGKILLed when the test ends if still alive. */
export function startDrctl(args: readonly string[], options: CliOptions = {}): Running {
  const [file, argv] = argvOf(args, options);
  const child = spawn(file, argv, { cwd: options.cwd ?? ROOT, env: cliEnv(options.env, options.path), stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<Exit>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  started.add(child);
  void exited.then(
    () => started.delete(child),
    () => started.delete(child),
  );
  try {
    onTestFinished(() => {
      if (started.has(child)) child.kill('SIGKILL');
    });
  } catch {
    // not in a test
  }
  if (child.pid === undefined) throw new Error(`drctl did not start: ${[file, ...argv].join(' ')}`);
  return { child, pid: child.pid, stdout: () => out, stderr: () => err, exited };
}

/** Resolves with the exit, or rejects after `ms` (the process is then killed). */
export async function exitWithin(running: Running, ms: number): Promise<Exit> {
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
// In a terminal

/** Single-quote a value for a shell command line. */
export function sh(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * A shell command line that runs drctl with the same environment as `drctl()`, for a terminal
 * (tmux) whose shell inherits this process's environment: the differences are spelled out with
 * `env -u NAME` and `NAME=value`.
 */
export function drctlCommandLine(args: readonly string[], options: CliOptions = {}): string {
  const [file, argv] = argvOf(args, options);
  const env = cliEnv(options.env, options.path);
  const unset = Object.keys(process.env)
    .filter((name) => !(name in env))
    .map((name) => `-u ${sh(name)}`);
  const set = Object.entries(env)
    .filter(([name, value]) => process.env[name] !== value)
    .map(([name, value]) => `${name}=${sh(value)}`);
  return `cd ${sh(options.cwd ?? ROOT)} && env ${[...unset, ...set].join(' ')} ${[file, ...argv].map(sh).join(' ')}`;
}
