import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { hasPostgres } from '../support/postgres.js';
import { cliEnv, drctl, ROOT } from './drctl.js';

/** The commands of the README's quick start: the lines of its first ```sh block. */
function quickStartCommands(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Quick start'));
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('README.md: no ```sh block in the quick start');
  return block[1]!.trim().split('\n');
}

/** drctl's arguments in a README command line: what follows `npx drctl`. */
function drctlArgs(line: string): string[] {
  const at = line.indexOf('npx drctl ');
  if (at < 0) throw new Error(`not a drctl command: ${line}`);
  return line.slice(at + 'npx drctl '.length).split(/\s+/);
}

interface QuickReport {
  mode: string;
  status: string;
  rto: { met: boolean; target_s: number };
  rpo: { met: boolean; achieved_s: number; evidence: string };
  integrity: Array<{ step: string; ok: boolean | null; tables: number; rows: number; compared_with: string }>;
  cleanup: Array<{ kind: string; status: string; path: string }>;
}

/** The one run's report, in $XDG_STATE_HOME/drctl (~/.local/state/drctl), as the quick start says. */
function onlyReport<T>(): T {
  const runs = join(cliEnv().XDG_STATE_HOME!, 'drctl', 'runs');
  const [runId, ...more] = readdirSync(runs);
  expect(more).toEqual([]);
  return JSON.parse(readFileSync(join(runs, runId!, 'report.json'), 'utf8')) as T;
}

/** Processes whose working folder or command line is inside `folder` (a postmaster chdirs into its data folder). */
function processesIn(folder: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readlinkSync(`/proc/${name}/cwd`).startsWith(folder) || readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(folder))
        found.push(Number(name));
    } catch {
      // gone, or not ours to look into
    }
  }
  return found;
}

/** A temporary folder of the test's own, removed when it ends. */
function scratch(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A TMPDIR of the test's own that the postgres user can reach (as root, the server runs as that user). */
function openTmp(): string {
  const dir = scratch('drctl-quick-tmp-');
  chmodSync(dir, 0o755);
  return dir;
}

describe("the README's quick start", () => {
  it('starts with the PostgreSQL drill, run with npm install first', () => {
    expect(quickStartCommands()[0]).toBe('npm install && npx drctl run examples/postgres-drill.yaml --drill --yes');
  });

  it.skipIf(!hasPostgres())(
    'its first command runs the PostgreSQL drill to the end: exit 0, RTO, RPO and integrity met, nothing left behind',
    () => {
      const tmp = openTmp();
      const result = drctl(drctlArgs(quickStartCommands()[0]!), { env: { TMPDIR: tmp, COLUMNS: '400' }, timeoutMs: 300_000 });
      expect(result.status, result.all).toBe(0);
      // pgbench's four tables (scale 1), or the two generated ones where pgbench is missing.
      const [tables, rows] = result.all.includes('│ pgbench not found') ? [2, 110000] : [4, 100011];
      // What the operator reads at the end: the verdicts and the integrity evidence.
      expect(result.stdout).toMatch(/RTO 5m: recovery took \S+ since the incident start, MET/);
      expect(result.stdout).toMatch(/RPO 15m: recovery point \S+ before the incident \(file:\/\/\S+\.sql\.gz\), MET/);
      expect(result.stdout).toMatch(
        new RegExp(
          `Integrity \\(check-integrity\\): drill matches file://\\S+\\.sql\\.gz\\.manifest\\.json: ${tables} tables, ${rows} rows`,
        ),
      );
      const report = onlyReport<QuickReport>();
      expect(report).toMatchObject({ mode: 'drill', status: 'succeeded', rto: { met: true }, rpo: { met: true } });
      expect(report.rpo.evidence).toMatch(/^file:\/\/.*\/backups\/drill-\d{8}T\d{6}Z\.sql\.gz$/);
      expect(report.integrity.map((i) => [i.step, i.ok, i.tables, i.rows])).toEqual([
        ['fingerprint-before', true, tables, rows],
        ['check-integrity', true, tables, rows],
      ]);
      // Torn down: the server's folder (data and backups) removed, no process of it left, nothing else in TMPDIR.
      expect(report.cleanup.map((c) => [c.kind, c.status])).toEqual([['postgres-server', 'removed']]);
      expect(processesIn(report.cleanup[0]!.path)).toEqual([]);
      expect(readdirSync(tmp)).toEqual([]);
    },
    300_000,
  );

  it.skipIf(!hasPostgres())('where pgbench is missing the drill generates its sample data, and restores and proves it all the same', () => {
    // PATH without pgbench: every program of /usr/bin but it (and /usr/sbin's: runuser); the server's programs without it either.
    const bin = openTmp();
    for (const name of readdirSync('/usr/bin')) if (name !== 'pgbench') symlinkSync(join('/usr/bin', name), join(bin, name));
    const server = join(bin, 'server');
    mkdirSync(server);
    const bindir = readdirSync('/usr/lib/postgresql')
      .map((v) => join('/usr/lib/postgresql', v, 'bin'))
      .find((d) => existsSync(join(d, 'initdb')));
    if (!bindir) return; // not Debian's layout: the other tests cover the drill
    for (const name of ['initdb', 'pg_ctl', 'postgres']) symlinkSync(join(bindir, name), join(server, name));
    const tmp = openTmp();
    const result = drctl(drctlArgs(quickStartCommands()[0]!), {
      env: { PATH: `${bin}:/usr/sbin:/sbin`, DRCTL_PG_BINDIR: server, TMPDIR: tmp, COLUMNS: '400' },
      timeoutMs: 300_000,
    });
    expect(result.status, result.all).toBe(0);
    expect(result.all).toContain('│ pgbench not found: generating the sample data');
    expect(result.stdout).toMatch(/Integrity \(check-integrity\): drill matches file:\/\/\S+\.manifest\.json: 2 tables, 110000 rows/);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('without the PostgreSQL programs the drill stops at preflight (exit 2), saying how to install them', () => {
    // A PATH with the shell and its tools but no psql, and an empty DRCTL_PG_BINDIR for the server's programs.
    const bin = scratch('drctl-quick-bin-');
    for (const tool of ['bash', 'sh', 'env', 'tr', 'ls', 'sort', 'cat', 'touch'])
      for (const dir of ['/usr/bin', '/bin'])
        try {
          symlinkSync(join(dir, tool), join(bin, tool));
          break;
        } catch {
          // not there: the next folder
        }
    const empty = join(bin, 'empty');
    mkdirSync(empty);
    const hint = 'install PostgreSQL (Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql)';
    const noClient = drctl(drctlArgs(quickStartCommands()[0]!), { env: { PATH: bin, DRCTL_PG_BINDIR: empty } });
    expect(noClient.status, noClient.all).toBe(2);
    expect(noClient.stderr).toContain('preflight failed, nothing was changed');
    expect(noClient.stderr).toContain(`psql was not found on PATH: ${hint}`);
    // Said once on each line, not repeated.
    for (const line of noClient.stderr.split('\n')) expect(line.split(hint).length, line).toBeLessThanOrEqual(2);

    if (!hasPostgres()) return;
    const noServer = drctl(drctlArgs(quickStartCommands()[0]!), { env: { DRCTL_PG_BINDIR: empty } });
    expect(noServer.status, noServer.all).toBe(2);
    expect(noServer.stderr).toContain(`initdb and pg_ctl (the PostgreSQL server) were not found in DRCTL_PG_BINDIR=${empty}: ${hint}`);
    // Nothing ran: no run was recorded.
    const runs = join(cliEnv().XDG_STATE_HOME!, 'drctl', 'runs');
    expect(existsSync(runs) ? readdirSync(runs) : []).toEqual([]);
  });

  it('the file-folder drill needs nothing but Node: it runs to the end, meeting its RTO and RPO (exit 0)', () => {
    const dir = scratch('drctl-quick-');
    const result = drctl(
      ['run', join(ROOT, 'examples', 'local-restore-drill.yaml'), '--drill', '--yes', '--input', `workdir=${join(dir, 'work')}`],
      { cwd: dir },
    );
    expect(result.status, result.stdout + result.stderr).toBe(0);
    const report = onlyReport<QuickReport>();
    expect(report).toMatchObject({ mode: 'drill', status: 'succeeded', rto: { met: true }, rpo: { met: true } });
    expect(report.rpo.achieved_s).toBeGreaterThanOrEqual(295);
    expect(report.rpo.evidence).toMatch(/^file:\/\/.*backup_\d{8}_\d{6}\.tar\.gz$/);
    expect(readdirSync(join(dir, 'work', 'data')).sort()).toEqual(['order-1.txt', 'order-2.txt', 'order-3.txt']);
  });
});
