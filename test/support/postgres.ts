import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { requireTool } from './tools.js';

export interface TestPostgres {
  port: number;
  /** postgresql://postgres@127.0.0.1:<port>/<database> */
  url(database?: string): string;
  /** Run SQL through the real psql; returns its unaligned output. */
  psql(sql: string, database?: string): string;
  createDatabase(name: string): void;
  stop(): void;
}

const asRoot = process.getuid?.() === 0;

/** Run a PostgreSQL command as the postgres user when we are root (PostgreSQL refuses root). */
function pgCommand(command: string, args: string[]): [string, string[]] {
  return asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

export function hasPostgres(): boolean {
  return (
    requireTool('initdb', 'the PostgreSQL integration tests start a real server (initdb + pg_ctl)') &&
    requireTool('psql', 'the PostgreSQL integration tests use the real psql')
  );
}

/** A real PostgreSQL server in a temp folder on a free loopback port, trusting local connections. */
export async function startPostgres(): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'drctl-pg-'));
  const data = join(dir, 'data');
  if (asRoot) {
    chownSync(dir, uidOf('postgres'), gidOf('postgres'));
    chmodSync(dir, 0o700);
  }
  const port = await freePort();
  const run = (command: string, args: string[]): void => {
    const [file, argv] = pgCommand(command, args);
    execFileSync(file, argv, { stdio: 'pipe' });
  };
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  run('pg_ctl', [
    '-D',
    data,
    '-l',
    join(dir, 'log'),
    '-w',
    '-t',
    '30',
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
    'start',
  ]);
  const url = (database = 'postgres'): string => `postgresql://postgres@127.0.0.1:${port}/${database}`;
  return {
    port,
    url,
    psql(sql, database = 'postgres') {
      return execFileSync('psql', ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url(database), '-c', sql], { encoding: 'utf8' }).trim();
    },
    createDatabase(name) {
      execFileSync('psql', ['-X', '-q', '-d', url(), '-c', `CREATE DATABASE "${name}"`]);
    },
    stop() {
      const [file, argv] = pgCommand('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      spawnSync(file, argv, { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function uidOf(user: string): number {
  return Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
}

function gidOf(user: string): number {
  return Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
}
