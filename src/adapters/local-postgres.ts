import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A throw-away PostgreSQL server: `initdb` in a fresh 0700 folder, `pg_ctl start` on a free loopback
 * port with its unix socket in that folder, trusting local connections, and everything stopped and
 * removed afterwards. The folder is on the run's cleanup ledger (kind postgres-server) before
 * `initdb` writes anything: a crash of drctl leaves a server that `drctl resume`, `drctl abandon` or
 * `drctl cleanup` stops (`stopServerIn`) before removing the folder. PostgreSQL refuses to run as
 * root: as root, its commands run as the postgres user (`runuser -u postgres --`), which owns the folder.
 */

/** The folder of the server's data, inside the throw-away folder. */
export const DATA_DIR = 'data';

const INSTALL_HINT = 'install the PostgreSQL server (Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql)';

/** What `start` is told: where to look for the binaries (DRCTL_PG_BINDIR), and the run's hooks. */
export interface LocalPostgresOptions {
  /** The environment: PATH and DRCTL_PG_BINDIR (the one folder looked at, when set). */
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  log(text: string): void;
  /** Put the new folder on the cleanup ledger: called once, before anything is written in it. */
  register(folder: { path: string; dev: number; ino: number }): void;
  /** Where the folder is made (the system's temporary folder by default). */
  parent?: string | undefined;
}

export interface LocalPostgres {
  /** The throw-away folder (data/, the socket, server.log). */
  dir: string;
  /** Where initdb and pg_ctl were found. */
  bindir: string;
  port: number;
  /** The server's version (SHOW server_version). */
  version: string;
  /** postgresql://postgres@127.0.0.1:<port>/<database> (trusted: no password). */
  url(database?: string): string;
  /** Stop the server and remove the folder; safe to call twice. Returns what went wrong, if anything. */
  remove(): string | undefined;
}

/** Why the server binaries could not be found, as an operator reads it (what to install included). */
export class MissingPostgresBinaries extends Error {
  constructor(searched: string) {
    super(`initdb and pg_ctl (the PostgreSQL server) were not found (looked in ${searched}): ${INSTALL_HINT}`);
    this.name = 'MissingPostgresBinaries';
  }
}

/** A failure starting the server: its message ends with the server log's last lines, when there are any. */
export class LocalPostgresError extends Error {
  /** Trying again cannot change it (no user to run the server as). */
  readonly permanent: boolean;
  constructor(message: string, options: { permanent?: boolean } = {}) {
    super(message);
    this.name = 'LocalPostgresError';
    this.permanent = options.permanent ?? false;
  }
}

function hasServerBinaries(dir: string): boolean {
  return ['initdb', 'pg_ctl', 'postgres'].every((name) => existsSync(join(dir, name)));
}

/** The numbers of a version folder's name ("15", "9.6"), for the newest first. */
function versionOf(name: string): number[] {
  return name.split('.').map((part) => Number.parseInt(part, 10) || 0);
}

function newestFirst(a: string, b: string): number {
  const va = versionOf(a);
  const vb = versionOf(b);
  for (let i = 0; i < Math.max(va.length, vb.length); i++) if ((va[i] ?? 0) !== (vb[i] ?? 0)) return (vb[i] ?? 0) - (va[i] ?? 0);
  return 0;
}

/**
 * The folder holding initdb and pg_ctl: DRCTL_PG_BINDIR alone when it is set; otherwise PATH, then
 * `pg_config --bindir`, then the newest /usr/lib/postgresql/<version>/bin (Debian keeps the server
 * there, off PATH), then Homebrew's. Throws MissingPostgresBinaries naming where it looked.
 */
export function findServerBinaries(env: NodeJS.ProcessEnv): string {
  const override = env.DRCTL_PG_BINDIR;
  if (override !== undefined && override !== '') {
    if (hasServerBinaries(override)) return realpathSync(override);
    throw new MissingPostgresBinaries(`DRCTL_PG_BINDIR=${override}`);
  }
  const candidates: string[] = [];
  for (const dir of (env.PATH ?? '').split(':')) if (dir) candidates.push(dir);
  const pgConfig = candidates.map((dir) => join(dir, 'pg_config')).find((file) => existsSync(file));
  if (pgConfig) {
    try {
      candidates.push(
        execFileSync(pgConfig, ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim(),
      );
    } catch {
      // a broken pg_config: the other places may still hold the binaries
    }
  }
  // Debian's server folders by version (15, 16, 9.6), then Homebrew's (postgresql@16, postgresql).
  for (const root of ['/usr/lib/postgresql', '/opt/homebrew/opt', '/usr/local/opt']) {
    let names: string[];
    try {
      names = readdirSync(root);
    } catch {
      continue;
    }
    const versions = new Map<string, string>();
    for (const name of names) {
      if (root === '/usr/lib/postgresql') versions.set(name, name);
      else if (/^postgresql(@[\d.]+)?$/.test(name)) versions.set(name, name.split('@')[1] ?? '0');
    }
    for (const name of [...versions.keys()].sort((a, b) => newestFirst(versions.get(a)!, versions.get(b)!)))
      candidates.push(join(root, name, 'bin'));
  }
  for (const dir of candidates) if (hasServerBinaries(dir)) return realpathSync(dir);
  throw new MissingPostgresBinaries('PATH, pg_config --bindir, /usr/lib/postgresql/*/bin and Homebrew');
}

const asRoot = (): boolean => process.getuid?.() === 0;

interface RunAs {
  uid: number;
  gid: number;
}

/** The postgres user's ids, when drctl runs as root (PostgreSQL refuses root); undefined otherwise. */
function serverUser(): RunAs | undefined {
  if (!asRoot()) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return { uid, gid };
  } catch {
    throw new LocalPostgresError(
      'drctl runs as root, which PostgreSQL refuses, and there is no postgres user to run the server as: create one or run drctl as another user',
      { permanent: true },
    );
  }
}

/** A PostgreSQL command as the user it must run as: through runuser when drctl is root. */
function commandFor(file: string, args: string[]): [string, string[]] {
  return asRoot() ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
}

function run(file: string, args: string[], signal: AbortSignal, timeoutMs: number): Promise<string> {
  const [command, argv] = commandFor(file, args);
  return new Promise((resolve, reject) => {
    // The locale of the server's messages is the server's; LC_ALL=C keeps initdb from failing on an unset one.
    execFile(
      command,
      argv,
      { signal, timeout: timeoutMs, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C', LANG: 'C' }, maxBuffer: 8 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        if (signal.aborted) return reject(signal.reason as Error);
        const said = `${stderr}`.trim().split('\n').filter(Boolean).slice(-3).join(' / ');
        reject(new LocalPostgresError(`${file.slice(file.lastIndexOf('/') + 1)} failed: ${said || error.message}`));
      },
    );
  });
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Settings for a server whose data is thrown away: no durability, a socket in its own folder, loopback only. */
function settings(dir: string, port: number): string {
  const quoted = (text: string): string => `'${text.replace(/'/g, "''")}'`;
  return [
    '',
    '# drctl: a throw-away server for restoring a backup into',
    `port = ${port}`,
    `listen_addresses = '127.0.0.1'`,
    `unix_socket_directories = ${quoted(dir)}`,
    'fsync = off',
    'synchronous_commit = off',
    'full_page_writes = off',
    "max_wal_size = '4GB'",
    "maintenance_work_mem = '256MB'",
    'autovacuum = off',
    '',
  ].join('\n');
}

function lastLogLines(dir: string): string {
  try {
    const lines = readFileSync(join(dir, 'server.log'), 'utf8').trim().split('\n').filter(Boolean);
    return lines.length ? ` (server log: ${lines.slice(-3).join(' / ')})` : '';
  } catch {
    return '';
  }
}

/**
 * Start a throw-away server. The folder is made and registered first; on any failure (an interruption
 * too) what was started is stopped and the folder removed before the error is thrown.
 */
export async function startLocalPostgres(options: LocalPostgresOptions): Promise<LocalPostgres> {
  const { signal } = options;
  const bindir = findServerBinaries(options.env);
  const user = serverUser();
  const { mkdtemp, chmod, chown, lstat, appendFile, realpath } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await realpath(await mkdtemp(join(options.parent ?? tmpdir(), 'drctl-scratch-pg-')));
  await chmod(dir, 0o700);
  const info = await lstat(dir);
  options.register({ path: dir, dev: info.dev, ino: info.ino });
  const remove = (): string | undefined => removeServerFolder(dir, info.dev, info.ino);
  try {
    if (user) await chown(dir, user.uid, user.gid);
    const data = join(dir, DATA_DIR);
    options.log(`initdb: a throw-away PostgreSQL in ${dir} (${bindir})`);
    await run(
      join(bindir, 'initdb'),
      ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'],
      signal,
      300_000,
    );
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      await appendFile(join(data, 'postgresql.auto.conf'), settings(dir, port));
      try {
        await run(join(bindir, 'pg_ctl'), ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '120', 'start'], signal, 180_000);
        break;
      } catch (error) {
        // Another program took the port between the probe and the start: try another one.
        if (signal.aborted || attempt >= 3 || !/could not bind|already in use/i.test(readLog(dir))) {
          throw error instanceof LocalPostgresError ? new LocalPostgresError(`${error.message}${lastLogLines(dir)}`) : error;
        }
      }
    }
    // The database's name percent-encoded: spaces, quotes, %, / and any other character stay in it.
    const url = (database = 'postgres'): string => `postgresql://postgres@127.0.0.1:${port}/${encodeURIComponent(database)}`;
    const said = await run(join(bindir, 'postgres'), ['--version'], signal, 30_000).catch(() => '');
    // "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)" → "PostgreSQL 15.18"
    const version = `PostgreSQL ${/\(PostgreSQL\) (\S+)/.exec(said)?.[1] ?? '(version unknown)'}`;
    options.log(`started ${version} on 127.0.0.1:${port}`);
    return { dir, bindir, port, version, url, remove };
  } catch (error) {
    const problem = remove();
    if (problem) options.log(`could not remove ${dir}: ${problem}`);
    throw error;
  }
}

function readLog(dir: string): string {
  try {
    return readFileSync(join(dir, 'server.log'), 'utf8');
  } catch {
    return '';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

/** A zombie (exited, not yet reaped by its parent) counts as gone. */
function running(pid: number): boolean {
  if (!alive(pid)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}

/** Whether `pid` is the postmaster of `data`: its working folder is the data folder (it chdirs there). */
function isPostmasterOf(pid: number, data: string): boolean {
  if (existsSync('/proc/self')) {
    try {
      return readlinkSync(`/proc/${pid}/cwd`) === data;
    } catch {
      // not ours to look into: the command line says less, but enough
      try {
        return /postgres|postmaster/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
      } catch {
        return false;
      }
    }
  }
  const ps = spawnSync('ps', ['-p', String(pid), '-o', 'command='], { encoding: 'utf8', timeout: 10_000 });
  return ps.status === 0 && /postgres|postmaster/.test(ps.stdout) && ps.stdout.includes(data);
}

function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Stop the server whose data folder is `<dir>/data`, if its postmaster.pid names a process that is
 * that server and still runs: SIGQUIT (pg_ctl's immediate shutdown), then SIGKILL after 15 s.
 * Returns what went wrong, or undefined when no server runs there any more.
 */
export function stopServerIn(dir: string): string | undefined {
  const data = join(dir, DATA_DIR);
  const pidFile = join(data, 'postmaster.pid');
  let text: string;
  try {
    if (!lstatSync(pidFile).isFile()) return undefined;
    text = readFileSync(pidFile, 'utf8');
  } catch {
    return undefined;
  }
  const [pidLine, dataLine] = text.split('\n');
  const pid = Number(pidLine);
  if (!Number.isInteger(pid) || pid <= 1 || dataLine !== data || !running(pid) || !isPostmasterOf(pid, data)) return undefined;
  for (const [signal, waitMs] of [
    ['SIGQUIT', 15_000],
    ['SIGKILL', 10_000],
  ] as const) {
    try {
      process.kill(pid, signal);
    } catch (error) {
      if ((error as { code?: string }).code === 'ESRCH') return undefined;
      return `could not stop its PostgreSQL server (pid ${pid}): ${(error as Error).message}`;
    }
    const deadline = Date.now() + waitMs;
    while (running(pid) && Date.now() < deadline) pause(50);
    if (!running(pid)) {
      // Its backends end when they see the postmaster gone; give them a moment to let go of the files.
      pause(200);
      return undefined;
    }
  }
  return `its PostgreSQL server (pid ${pid}) did not stop`;
}

/**
 * Stop the server in `dir` and remove the folder with all it holds, if, and only if, `dir` is still
 * the folder made for it (same device and inode, not a symbolic link). Returns what went wrong.
 */
export function removeServerFolder(dir: string, dev: number, ino: number): string | undefined {
  let info;
  try {
    info = lstatSync(dir);
  } catch (error) {
    return (error as { code?: string }).code === 'ENOENT' ? undefined : (error as Error).message;
  }
  if (info.isSymbolicLink() || !info.isDirectory()) return 'it is no longer the folder drctl made: left alone';
  if (info.dev !== dev || info.ino !== ino) return 'it was replaced since drctl made it: left alone';
  const stopped = stopServerIn(dir);
  if (stopped) return `${stopped}: left in place`;
  try {
    // rm does not follow symbolic links inside the folder: it removes the links themselves.
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch (error) {
    return (error as Error).message.split(',')[0];
  }
  return undefined;
}
