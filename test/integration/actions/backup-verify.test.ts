import { execFileSync, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupManifest } from '../../../src/actions/backup/manifest.js';
import { manifestKeyFor, serializeManifest } from '../../../src/actions/backup/manifest.js';
import { fingerprintDatabase } from '../../../src/actions/postgres/fingerprint-core.js';
import { sha256Hash } from '../../../src/util/sha256.js';
import type { TestPostgres } from '../../support/postgres.js';
import { hasPostgres, startPostgres } from '../../support/postgres.js';
import type { JournalEvent, Running, Workspace } from '../run/helpers.js';
import {
  drctl,
  exitWithin,
  header,
  isAlive,
  journalPath,
  killPid,
  onlyRunId,
  readJournal,
  readReport,
  requireBuild,
  startDrctl,
  stepOf,
  waitFor,
  workspace,
} from '../run/helpers.js';

/**
 * backup.verify, run by the built drctl: a real pg_dump | gzip backup with a manifest beside it,
 * restored into a throw-away PostgreSQL that drctl starts from the machine's binaries (scratch:
 * local) or into a database given by URL, its fingerprint compared with the manifest. The
 * throw-away server lives only while the step runs: afterwards no process of it is left and its
 * folder is gone; after a kill -9 of drctl it runs on until resume, abandon or cleanup stop it.
 */

describe.skipIf(!hasPostgres())('backup.verify against real PostgreSQL binaries', () => {
  let pg: TestPostgres;
  /** Backups, manifests, the temporary folder drctl makes its server in, and the flag a slow restore waits for. */
  let shared: Workspace;
  let tmp: string;

  const backups = (): string => shared.path('backups');
  const uriOf = (name: string): string => `file://${join(backups(), name)}`;

  function sha256Of(file: string): string {
    return sha256Hash().update(readFileSync(file)).digest('hex');
  }

  /** Write `<name>`'s manifest from the source database's fingerprint, changed by `edit`. */
  async function writeManifest(name: string, edit: (m: BackupManifest) => void = () => {}): Promise<void> {
    const file = join(backups(), name);
    const fingerprint = await fingerprintDatabase({ url: pg.url('shop') }, { signal: new AbortController().signal });
    const now = new Date().toISOString();
    const manifest: BackupManifest = {
      manifest_version: 1,
      tool: 'drctl',
      database: 'shop',
      server_version: fingerprint.server_version,
      format: 'plain-gzip',
      started_at: now,
      finished_at: now,
      size: readFileSync(file).length,
      sha256: sha256Of(file),
      object: uriOf(name),
      fingerprint_method: fingerprint.method,
      tables: fingerprint.tables,
    };
    edit(manifest);
    writeFileSync(manifestKeyFor(file), serializeManifest(manifest));
  }

  beforeAll(async () => {
    requireBuild();
    pg = await startPostgres();
    pg.createDatabase('shop');
    pg.psql(
      `CREATE TABLE orders (id bigint PRIMARY KEY, placed_at timestamptz NOT NULL, total numeric(10,2) NOT NULL, note text);
       INSERT INTO orders SELECT i, timestamptz '2024-05-01 12:00:00+00' + i * interval '1 minute', i * 10.5, CASE WHEN i % 3 = 0 THEN NULL ELSE 'n' || i END FROM generate_series(1, 500) i;
       CREATE TABLE events (kind text, at timestamptz);
       INSERT INTO events SELECT 'seen', timestamptz '2024-05-01 00:00:00+00' + i * interval '1 hour' FROM generate_series(1, 40) i;
       INSERT INTO events VALUES ('seen', timestamptz '2024-05-01 01:00:00+00');`,
      'shop',
    );
    shared = workspace('drctl-verify-');
    // As root the server runs as the postgres user, which must reach its folder under TMPDIR and the flag.
    chmodSync(shared.dir, 0o755);
    tmp = shared.path('tmp');
    mkdirSync(tmp, { mode: 0o755 });
    chmodSync(tmp, 0o755);
    mkdirSync(backups());
    const dump = execFileSync('pg_dump', ['--no-owner', '-d', pg.url('shop')], { maxBuffer: 64 * 1024 * 1024 });
    const { gzipSync } = await import('node:zlib');
    writeFileSync(join(backups(), 'shop.sql.gz'), gzipSync(dump));
    await writeManifest('shop.sql.gz');
    // The same backup; its manifest says orders had 501 rows.
    copyFileSync(join(backups(), 'shop.sql.gz'), join(backups(), 'short.sql.gz'));
    await writeManifest('short.sql.gz', (m) => {
      const orders = m.tables.find((t) => t.table === 'orders')!;
      orders.rows = 501;
    });
    // The same backup; its manifest records another dump's sha256.
    copyFileSync(join(backups(), 'shop.sql.gz'), join(backups(), 'other.sql.gz'));
    await writeManifest('other.sql.gz', (m) => {
      m.sha256 = 'ab'.repeat(32);
    });
    // Custom format, restored by pg_restore.
    execFileSync('pg_dump', ['--no-owner', '-Fc', '-f', join(backups(), 'shop.dump'), '-d', pg.url('shop')]);
    await writeManifest('shop.dump', (m) => {
      m.format = 'custom';
    });
    // No manifest beside it.
    copyFileSync(join(backups(), 'shop.sql.gz'), join(backups(), 'bare.sql.gz'));
    // A restore that waits (up to 2 minutes) inside the server until go.flag exists, at the dump's
    // start: the comment lines after the wait (4 MiB, more than any pipe holds) keep the stream busy
    // meanwhile, as a large dump's data would.
    const wait = `DO $$ BEGIN FOR i IN 1..1200 LOOP EXIT WHEN (pg_stat_file('${shared.path('go.flag')}', true)).size IS NOT NULL; PERFORM pg_sleep(0.1); END LOOP; END $$;\n`;
    const padding = `-- ${'x'.repeat(60)}\n`.repeat(64 * 1024);
    writeFileSync(join(backups(), 'slow.sql.gz'), gzipSync(Buffer.from(`${wait}${padding}${dump.toString('utf8')}`)));
    await writeManifest('slow.sql.gz');
  }, 180_000);

  afterAll(() => {
    pg?.stop();
    shared?.remove();
  });

  const runbook = (withArgs: string, extra = ''): string => `${header('verify', 'Verify the backup')}steps:
  - id: verify
    title: Restore the backup into a scratch database and compare it with its manifest
    uses: backup.verify
    with: ${withArgs}
${extra}`;

  /** TMPDIR for drctl (its throw-away folders go there), wide enough that no line wraps. */
  const env = (more: Record<string, string> = {}) => ({ TMPDIR: tmp, COLUMNS: '400', ...more });

  /** Folders the throw-away servers left in TMPDIR. */
  const leftInTmp = (): string[] => readdirSync(tmp).filter((n) => n.startsWith('drctl-scratch-pg-'));

  /** Processes whose working folder or command line is inside `folder` (a postmaster chdirs into its data folder). */
  function processesIn(folder: string): number[] {
    const found: number[] = [];
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const cwd = readlinkSync(`/proc/${name}/cwd`);
        const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
        if (cwd.startsWith(folder) || cmdline.includes(folder)) found.push(Number(name));
      } catch {
        // gone, or not ours to look into
      }
    }
    return found.filter(isAlive);
  }

  /** The throw-away folder the run put on its cleanup ledger. */
  function scratchFolders(ws: Workspace, runId: string): string[] {
    return readJournal(ws.stateDir, runId)
      .filter((e) => e.type === 'cleanup.registered' && e.kind === 'postgres-server')
      .map((e) => e.path as string);
  }

  /** The integrity evidence the step journaled. */
  const integrityOf = (journal: JournalEvent[]): unknown =>
    journal.map((e) => (e.type === 'action.record' ? (e.record as Record<string, unknown>).integrity : undefined)).find(Boolean);

  function run(ws: Workspace, yaml: string, more: Record<string, string> = {}) {
    ws.runbook('rb.yaml', yaml);
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir, env: env(more), timeoutMs: 180_000 });
    const runId = onlyRunId(ws.stateDir);
    return { result, runId, report: readReport(ws.stateDir, runId), journal: readJournal(ws.stateDir, runId) };
  }

  it('scratch: local restores a good backup into a throw-away server, finds every table as the manifest says, then stops and removes the server', () => {
    const ws = workspace('drctl-verify-');
    const { result, runId, report, journal } = run(ws, runbook(`{ backup: "${uriOf('shop.sql.gz')}", scratch: local }`));
    expect(result.status, result.all).toBe(0);
    // `local` names no secret: shown as written, where a URL would be masked.
    expect(result.all).toContain('scratch: local');
    expect(result.all).toContain('2 tables, 541 rows restored in');
    expect(result.all).toContain(`all match the manifest (${uriOf('shop.sql.gz')}.manifest.json)`);
    const outputs = stepOf(report, 'verify').outputs;
    expect(outputs).toMatchObject({ tables: 2, rows: 541, differences: 0 });
    expect(typeof outputs.restore_s).toBe('number');
    const integrity = integrityOf(journal);
    expect(integrity).toEqual({
      database: 'shop',
      compared_with: `${uriOf('shop.sql.gz')}.manifest.json`,
      tables: 2,
      rows: 541,
      differences: [],
      ok: true,
    });
    // The server lived in a folder on the ledger, and both are gone: by the action itself, so the end finds it gone.
    const [folder] = scratchFolders(ws, runId);
    expect(folder).toMatch(new RegExp(`^${tmp}/drctl-scratch-pg-`));
    expect(existsSync(folder!)).toBe(false);
    expect(leftInTmp()).toEqual([]);
    expect(processesIn(folder!)).toEqual([]);
    expect(result.all).toContain('stopped and removed the throw-away server');
    expect(report.cleanup.map((c) => [c.kind, c.status])).toEqual([['postgres-server', 'gone']]);
  }, 240_000);

  it('a manifest with another row count fails the step naming the table, and still removes the server', () => {
    const ws = workspace('drctl-verify-');
    const { result, runId, report } = run(
      ws,
      runbook(`{ backup: "${uriOf('short.sql.gz')}", scratch: local }`, '    retries: { attempts: 3, delay: 1s }\n'),
    );
    expect(result.status, result.all).toBe(1);
    expect(result.all).toContain(
      `the restored backup differs from its manifest (${uriOf('short.sql.gz')}.manifest.json): public.orders: 500 rows, expected 501`,
    );
    expect(result.all).not.toContain('public.events:');
    expect(result.all).toContain('(not retried: trying again cannot change this)');
    expect(stepOf(report, 'verify').status).toBe('failed');
    const folders = scratchFolders(ws, runId);
    expect(folders).toHaveLength(1);
    expect(existsSync(folders[0]!)).toBe(false);
    expect(processesIn(folders[0]!)).toEqual([]);
    expect(leftInTmp()).toEqual([]);
  }, 240_000);

  it('a manifest that records another sha256 than the backup has fails the step saying so', () => {
    const ws = workspace('drctl-verify-');
    const { result } = run(ws, runbook(`{ backup: "${uriOf('other.sql.gz')}", scratch: local }`));
    expect(result.status, result.all).toBe(1);
    expect(result.all).toContain(`its manifest says ${'ab'.repeat(32)}`);
    expect(result.all).toContain(`the backup's sha256 is ${sha256Of(join(backups(), 'other.sql.gz'))}`);
    expect(leftInTmp()).toEqual([]);
  }, 240_000);

  it('a custom-format backup is restored by pg_restore with the jobs asked for and compared', () => {
    const ws = workspace('drctl-verify-');
    const { result } = run(ws, runbook(`{ backup: "${uriOf('shop.dump')}", scratch: local, jobs: 2 }`));
    expect(result.status, result.all).toBe(0);
    expect(result.all).toContain('(custom,');
    expect(result.all).toContain(`2 tables, 541 rows restored in`);
    expect(result.all).toContain(`all match the manifest (${uriOf('shop.dump')}.manifest.json)`);
    expect(leftInTmp()).toEqual([]);
  }, 240_000);

  it("a directory-format backup named by its folder's URI with its trailing / (as backup.latest gives it) is restored and compared", () => {
    execFileSync('pg_dump', ['--no-owner', '-Fd', '-f', join(backups(), 'shop.dir'), '-d', pg.url('shop')]);
    const manifest = JSON.parse(readFileSync(`${join(backups(), 'shop.dump')}.manifest.json`, 'utf8')) as BackupManifest;
    // A directory-format backup's manifest records each file's sha256, and their digest as the backup's.
    const files = readdirSync(join(backups(), 'shop.dir'))
      .sort()
      .map((name) => ({
        name,
        size: statSync(join(backups(), 'shop.dir', name)).size,
        sha256: sha256Of(join(backups(), 'shop.dir', name)),
      }));
    const digest = sha256Hash()
      .update(files.map((f) => `${f.sha256}  ${f.name}\n`).join(''))
      .digest('hex');
    writeFileSync(
      `${join(backups(), 'shop.dir')}.manifest.json`,
      serializeManifest({ ...manifest, format: 'directory', object: `${uriOf('shop.dir')}/`, sha256: digest, files }),
    );
    const ws = workspace('drctl-verify-');
    const { result } = run(ws, runbook(`{ backup: "${uriOf('shop.dir')}/", scratch: local }`));
    expect(result.status, result.all).toBe(0);
    expect(result.all).toContain('(directory,');
    expect(result.all).toContain(`all match the manifest (${uriOf('shop.dir')}.manifest.json)`);
    expect(leftInTmp()).toEqual([]);
  }, 240_000);

  it('a backup without a manifest fails saying so, before any server starts; require_manifest: false only restores and counts it', () => {
    const ws = workspace('drctl-verify-');
    const bare = uriOf('bare.sql.gz');
    const refused = run(ws, runbook(`{ backup: "${bare}", scratch: local }`));
    expect(refused.result.status, refused.result.all).toBe(1);
    expect(refused.result.all).toContain(`backup.verify: ${bare}: no manifest beside the backup (${bare}.manifest.json)`);
    expect(scratchFolders(ws, refused.runId)).toEqual([]);

    const ws2 = workspace('drctl-verify-');
    const counted = run(ws2, runbook(`{ backup: "${bare}", scratch: local, require_manifest: false }`));
    expect(counted.result.status, counted.result.all).toBe(0);
    expect(counted.result.all).toContain('2 tables, 541 rows restored in');
    expect(counted.result.all).toContain('no manifest to compare with');
    expect(integrityOf(counted.journal)).toMatchObject({ ok: null, tables: 2, rows: 541, compared_with: null });
    expect(leftInTmp()).toEqual([]);
  }, 240_000);

  it('scratch as a database URL restores there (clean: true replaces what an earlier verify left) and compares; its password is shown nowhere', () => {
    pg.createDatabase('scratch');
    // The test server trusts local connections: the password is only there to be kept secret.
    const password = 'Scratch-Passw0rd-5521';
    const url = `postgresql://postgres:${password}@127.0.0.1:${pg.port}/scratch`;
    const ws = workspace('drctl-verify-');
    const yaml = (clean: string) => runbook(`{ backup: "${uriOf('shop.sql.gz')}", scratch: "${url}"${clean} }`);
    const first = run(ws, yaml(''));
    expect(first.result.status, first.result.all).toBe(0);
    expect(first.result.all).toContain('all match the manifest');
    expect(first.result.all).toContain(`scratch: postgresql://postgres:***@127.0.0.1:${pg.port}/scratch`);
    const written = [first.result.all, JSON.stringify(first.journal), JSON.stringify(first.report)].join('\n');
    expect(written).not.toContain(password);
    expect(pg.psql('SELECT count(*) FROM orders', 'scratch')).toBe('500');
    expect(scratchFolders(ws, first.runId)).toEqual([]);
    // The database now has tables: postgres.restore refuses it, unless clean: true.
    const ws2 = workspace('drctl-verify-');
    const refused = run(ws2, yaml(''));
    expect(refused.result.status, refused.result.all).toBe(1);
    expect(refused.result.all).toContain('the database is not empty (2 tables)');
    const ws3 = workspace('drctl-verify-');
    const again = run(ws3, yaml(', clean: true'));
    expect(again.result.status, again.result.all).toBe(0);
    expect(again.result.all).toContain('all match the manifest');
  }, 240_000);

  it('without the PostgreSQL server binaries the step fails at once with how to install them', () => {
    const ws = workspace('drctl-verify-');
    const empty = ws.path('no-postgres');
    mkdirSync(empty);
    const { result, runId, report } = run(
      ws,
      runbook(`{ backup: "${uriOf('shop.sql.gz')}", scratch: local }`, '    retries: { attempts: 3, delay: 1s }\n'),
      {
        DRCTL_PG_BINDIR: empty,
      },
    );
    expect(result.status, result.all).toBe(1);
    expect(result.all).toContain(
      `backup.verify: scratch: local: initdb and pg_ctl (the PostgreSQL server) were not found (looked in DRCTL_PG_BINDIR=${empty})`,
    );
    expect(result.all).toContain('Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql');
    expect(result.all).toContain('(not retried: trying again cannot change this)');
    expect(result.all).not.toMatch(/\n\s+at /); // no stack trace
    expect(stepOf(report, 'verify').status).toBe('failed');
    expect(scratchFolders(ws, runId)).toEqual([]);
    expect(leftInTmp()).toEqual([]);
  }, 120_000);

  describe('drctl stopped while the throw-away server runs', () => {
    /** Start a verify of the slow backup and wait until its restore waits inside the server; signal drctl there. */
    async function killDuringRestore(ws: Workspace, signal: NodeJS.Signals = 'SIGKILL') {
      if (existsSync(shared.path('go.flag'))) throw new Error('go.flag is left from an earlier test');
      ws.runbook('rb.yaml', runbook(`{ backup: "${uriOf('slow.sql.gz')}", scratch: local }`, '    idempotent: true\n'));
      const running: Running = startDrctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir, env: env() });
      const runId = await waitFor(
        // The state dir is made before its runs folder: wait for the run's own folder.
        () => (existsSync(join(ws.stateDir, 'runs')) ? (readdirSync(join(ws.stateDir, 'runs'))[0] ?? false) : false),
        'the run to start',
        60_000,
      );
      const folder = await waitFor(
        () => existsSync(journalPath(ws.stateDir, runId)) && scratchFolders(ws, runId)[0],
        'the server folder on the ledger',
        60_000,
      );
      const pidFile = join(folder, 'data', 'postmaster.pid');
      // The restore is waiting inside the server: its DO block is running.
      await waitFor(
        () => {
          if (!existsSync(pidFile)) return false;
          const port = readFileSync(pidFile, 'utf8').split('\n')[3];
          const probe = spawnSync(
            'psql',
            [
              '-X',
              '-A',
              '-t',
              '-h',
              '127.0.0.1',
              '-p',
              port!,
              '-U',
              'postgres',
              '-d',
              'postgres',
              '-c',
              "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'DO $$%pg_stat_file%'",
            ],
            { encoding: 'utf8' },
          );
          return probe.stdout.trim() === '1';
        },
        'the restore to wait inside the throw-away server',
        120_000,
        200,
      );
      const [pidLine, , , portLine] = readFileSync(pidFile, 'utf8').split('\n');
      const postmaster = Number(pidLine);
      // The operator's alone, its socket inside it, no durability for data that is thrown away.
      expect(statSync(folder).mode & 0o777).toBe(0o700);
      expect(readdirSync(folder)).toContain(`.s.PGSQL.${portLine}`);
      const fsync = spawnSync('psql', ['-X', '-A', '-t', '-h', '127.0.0.1', '-p', portLine!, '-U', 'postgres', '-c', 'SHOW fsync'], {
        encoding: 'utf8',
      });
      expect(fsync.stdout.trim()).toBe('off');
      killPid(running.pid, signal);
      const exit = await exitWithin(running, 60_000);
      return { runId, folder, postmaster, exit, running };
    }

    it('Ctrl-C (SIGINT) instead: the action stops its server and removes its folder before drctl exits 130', async () => {
      const ws = workspace('drctl-verify-');
      const { folder, postmaster, exit, running } = await killDuringRestore(ws, 'SIGINT');
      expect(exit.code, running.stdout() + running.stderr()).toBe(130);
      expect(isAlive(postmaster)).toBe(false);
      expect(existsSync(folder)).toBe(false);
      expect(processesIn(folder)).toEqual([]);
      expect(running.stdout() + running.stderr()).toContain('stopped and removed the throw-away server');
    }, 300_000);

    it('the server runs on after the kill; drctl abandon stops it and removes its folder', async () => {
      const ws = workspace('drctl-verify-');
      const { runId, folder, postmaster } = await killDuringRestore(ws);
      expect(isAlive(postmaster)).toBe(true);
      expect(existsSync(folder)).toBe(true);
      const abandoned = drctl(['abandon', runId, '--state-dir', ws.stateDir], { cwd: ws.dir, env: env(), timeoutMs: 60_000 });
      expect(abandoned.status, abandoned.all).toBe(0);
      expect(abandoned.stdout).toContain(`removed ${folder}`);
      await waitFor(() => !isAlive(postmaster), 'the postmaster to be gone');
      expect(existsSync(folder)).toBe(false);
      expect(processesIn(folder)).toEqual([]);
      expect(readReport(ws.stateDir, runId).cleanup.map((c) => [c.kind, c.status])).toEqual([['postgres-server', 'removed']]);
    }, 300_000);

    it('drctl resume verifies again in a new server and, at its end, stops the old one and removes both folders', async () => {
      const ws = workspace('drctl-verify-');
      const { runId, folder, postmaster } = await killDuringRestore(ws);
      // cleanup refuses a run that can be resumed: the server stays.
      const refused = drctl(['cleanup', runId, '--state-dir', ws.stateDir], { cwd: ws.dir, env: env() });
      expect(refused.status).toBe(2);
      expect(isAlive(postmaster)).toBe(true);
      writeFileSync(shared.path('go.flag'), '');
      try {
        const resumed = drctl(['resume', runId, '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir, env: env(), timeoutMs: 180_000 });
        expect(resumed.status, resumed.all).toBe(0);
        expect(resumed.all).toContain('all match the manifest');
        const folders = scratchFolders(ws, runId);
        expect(folders).toHaveLength(2);
        expect(folders[0]).toBe(folder);
        expect(resumed.all).toContain(`removed ${folder}`);
        await waitFor(() => !isAlive(postmaster), 'the old postmaster to be gone');
        for (const f of folders) {
          expect(existsSync(f)).toBe(false);
          expect(processesIn(f)).toEqual([]);
        }
        expect(leftInTmp()).toEqual([]);
      } finally {
        spawnSync('rm', ['-f', shared.path('go.flag')]);
      }
    }, 300_000);

    it('drctl cleanup stops it for a run whose abandon was cut short', async () => {
      const ws = workspace('drctl-verify-');
      const { runId, folder, postmaster } = await killDuringRestore(ws);
      // `drctl abandon` killed right after journaling the abandon: nothing was stopped yet.
      appendFileSync(
        journalPath(ws.stateDir, runId),
        `${JSON.stringify({ type: 'run.abandoned', user: 'oncall', host: 'laptop', terminal: 'none', reason: null, t: new Date().toISOString() })}\n`,
      );
      expect(isAlive(postmaster)).toBe(true);
      const cleanup = drctl(['cleanup', runId, '--state-dir', ws.stateDir], { cwd: ws.dir, env: env(), timeoutMs: 60_000 });
      expect(cleanup.status, cleanup.all).toBe(0);
      expect(cleanup.stdout).toContain(`removed ${folder}`);
      await waitFor(() => !isAlive(postmaster), 'the postmaster to be gone');
      expect(existsSync(folder)).toBe(false);
      expect(leftInTmp()).toEqual([]);
    }, 300_000);
  });
});
