import { execFileSync, execSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestMoto } from '../../support/moto.js';
import { hasMoto, startMoto } from '../../support/moto.js';
import type { TestPostgres } from '../../support/postgres.js';
import { hasPostgres, startPostgres } from '../../support/postgres.js';
import type { CliResult, Report, Workspace } from '../run/helpers.js';
import {
  drctl,
  exitWithin,
  header,
  isAlive,
  journalPath,
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
 * postgres.restore, run by the built drctl against a real PostgreSQL with the real pg_dump, psql and
 * pg_restore, from moto S3 and from files. The source database has a table large enough (about
 * 10 MiB as a custom dump) for the ranged parallel download, and text that COPY escapes.
 */

const PASSWORD = 'Rest0re-Secret-Passw0rd-9913';
const BUCKET = 'restores';
const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

describe.skipIf(!hasPostgres() || !hasMoto())('postgres.restore against a real PostgreSQL, from moto S3 and files', () => {
  let pg: TestPostgres;
  let moto: TestMoto;
  let files: Workspace;
  let databases = 0;
  /** A digest of the source's data, to compare each restore with. */
  let sourceDigest: string;

  const aws = (...args: string[]): void => {
    const result = spawnSync('aws', args, { env: { ...process.env, ...moto.env }, encoding: 'utf8', timeout: 120_000 });
    if (result.status !== 0) throw new Error(`aws ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  };
  const upload = (file: string, key: string, sha = sha256(readFileSync(file))): void =>
    aws('s3', 'cp', '--quiet', '--metadata', `sha256=${sha}`, file, `s3://${BUCKET}/${key}`);
  const digest = (database: string): string =>
    pg.psql(
      `SELECT md5(string_agg(t, '|')) FROM (SELECT format('%s,%s,%s', id, a, b) AS t FROM big UNION ALL SELECT format('%s,%s', id, body) FROM notes ORDER BY 1) x`,
      database,
    );
  const tablesIn = (database: string): number =>
    Number(pg.psql(`SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`, database));
  /** A new empty database owned by the role the restores connect as; its URL carries the password. */
  const freshDatabase = (): { name: string; url: string } => {
    const name = `target${++databases}`;
    pg.psql(`CREATE DATABASE ${name} OWNER app`);
    return { name, url: `postgresql://app:${PASSWORD}@127.0.0.1:${pg.port}/${name}` };
  };
  const runbook = (withArgs: string): string => `${header('restore', 'Restore a database')}objectives:
  rto: 10m
inputs:
  db: { secret: true, env: TARGET_DB_URL, description: The database to restore into }
steps:
  - id: restore
    title: Restore the backup
    uses: postgres.restore
    with:
      url: \${{ inputs.db }}
${withArgs}`;

  const stateDirs = new Map<CliResult, string>();
  const stateDirOf = (result: CliResult): string => stateDirs.get(result)!;
  const restore = (url: string, withArgs: string): { result: CliResult; report: Report } => {
    const ws = workspace('drctl-rt-');
    ws.runbook('rb.yaml', runbook(withArgs));
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], {
      cwd: ws.dir,
      env: { ...moto.env, TARGET_DB_URL: url, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      timeoutMs: 120_000,
    });
    expect(result.all).not.toContain(PASSWORD);
    expect(readFileSync(journalPath(ws.stateDir, onlyRunId(ws.stateDir)), 'utf8')).not.toContain(PASSWORD);
    stateDirs.set(result, ws.stateDir);
    return { result, report: readReport(ws.stateDir, onlyRunId(ws.stateDir)) };
  };

  beforeAll(async () => {
    requireBuild();
    pg = await startPostgres();
    moto = await startMoto();
    files = workspace('drctl-restore-files-');
    pg.psql(`CREATE ROLE app LOGIN PASSWORD '${PASSWORD}'`);
    pg.createDatabase('source');
    pg.psql(
      `CREATE TABLE big (id int PRIMARY KEY, a text NOT NULL, b text NOT NULL);
       INSERT INTO big SELECT i, md5(i::text), md5((i * 7)::text) || md5((i * 13)::text) FROM generate_series(1, 200000) i;
       CREATE TABLE notes (id int PRIMARY KEY, body text);
       INSERT INTO notes VALUES (1, E'a tab\\there, a line\\nbreak'), (2, E'a backslash \\\\. and \\\\. alone'), (3, NULL);`,
      'source',
    );
    sourceDigest = digest('source');
    const source = pg.url('source');
    execFileSync('pg_dump', ['-d', source, '-f', files.path('plain.sql')]);
    writeFileSync(files.path('plain.sql.gz'), gzipSync(readFileSync(files.path('plain.sql'))));
    execFileSync('pg_dump', ['-d', source, '-Fc', '-f', files.path('dump.custom')]);
    execFileSync('pg_dump', ['-d', source, '-Fd', '-f', files.path('dump.dir')]);
    const plain = readFileSync(files.path('plain.sql'));
    writeFileSync(files.path('cut.sql'), plain.subarray(0, Math.floor(plain.length * 0.6)));
    const gz = readFileSync(files.path('plain.sql.gz'));
    writeFileSync(files.path('cut.sql.gz'), gz.subarray(0, Math.floor(gz.length * 0.6)));
    aws('s3', 'mb', `s3://${BUCKET}`);
    upload(files.path('plain.sql.gz'), 'pg/plain.sql.gz');
    upload(files.path('dump.custom'), 'pg/dump.custom');
    // Stored with the sha256 of other bytes: a damaged or replaced object.
    upload(files.path('plain.sql.gz'), 'pg/corrupt.sql.gz', sha256('something else'));
    upload(files.path('dump.custom'), 'pg/corrupt.custom', sha256('something else'));
  }, 240_000);

  afterAll(() => {
    moto?.stop();
    pg?.stop();
  });

  it('restores a plain gzip dump streamed from S3: the same data, the outputs, the sha256 verified', () => {
    const target = freshDatabase();
    const { result, report } = restore(target.url, `      from: s3://${BUCKET}/pg/plain.sql.gz\n`);
    expect(result.status, result.all).toBe(0);
    const outputs = stepOf(report, 'restore').outputs as Record<string, unknown>;
    expect(outputs).toMatchObject({ format: 'plain-gzip', tables: 2, sha256: sha256(readFileSync(files.path('plain.sql.gz'))) });
    expect(outputs.bytes).toBe(readFileSync(files.path('plain.sql.gz')).length);
    expect(typeof outputs.duration_s).toBe('number');
    expect(result.all).toContain('sha256 verified (metadata sha256)');
    expect(digest(target.name)).toBe(sourceDigest);
    const record = readJournal(stateDirOf(result), onlyRunId(stateDirOf(result))).find((e) => e.type === 'action.record')!.record;
    expect(record).toMatchObject({
      format: 'plain-gzip',
      sha256: outputs.sha256,
      expected_sha256: outputs.sha256,
      sha256_source: 'metadata sha256',
      tables: 2,
      rows: 200003,
      clean: false,
      no_owner: true,
    });
    // no_owner by default: the tables belong to the role that restored them.
    expect(pg.psql(`SELECT string_agg(DISTINCT tableowner, ',') FROM pg_tables WHERE schemaname = 'public'`, target.name)).toBe('app');
  });

  it('restores a custom dump from S3 (ranged reads into a private file, then pg_restore -j 2) and removes the file', () => {
    const target = freshDatabase();
    const before = readdirSync('/tmp').filter((name) => name.startsWith('drctl-restore-') && !name.startsWith('drctl-restore-files'));
    const { result, report } = restore(target.url, `      from: s3://${BUCKET}/pg/dump.custom\n      jobs: 2\n`);
    expect(result.status, result.all).toBe(0);
    expect(stepOf(report, 'restore').outputs).toMatchObject({
      format: 'custom',
      tables: 2,
      bytes: readFileSync(files.path('dump.custom')).length,
      sha256: sha256(readFileSync(files.path('dump.custom'))),
    });
    expect(digest(target.name)).toBe(sourceDigest);
    const after = readdirSync('/tmp').filter((name) => name.startsWith('drctl-restore-') && !name.startsWith('drctl-restore-files'));
    expect(after.filter((name) => !before.includes(name) && name.length === 'drctl-restore-XXXXXX'.length)).toEqual([]);
  });

  it('restores plain, custom and directory dumps from files', () => {
    for (const [file, format] of [
      ['plain.sql', 'plain'],
      ['dump.custom', 'custom'],
      ['dump.dir', 'directory'],
      // The folder's URI as backup.latest gives it.
      ['dump.dir/', 'directory'],
    ] as const) {
      const target = freshDatabase();
      const { result, report } = restore(target.url, `      from: file://${files.path(file)}\n`);
      expect(result.status, `${file}: ${result.all}`).toBe(0);
      expect(stepOf(report, 'restore').outputs).toMatchObject({ format, tables: 2 });
      expect(digest(target.name), file).toBe(sourceDigest);
    }
  });

  it('a tampered plain dump cannot run a shell command: psql refuses its backslash commands, and nothing is committed', () => {
    const target = freshDatabase();
    const marker = files.path(`pwned-${databases}`);
    // A tampered dump carries no \restrict of its own (pg_dump 15.14 and later write one).
    const plain = readFileSync(files.path('plain.sql'), 'utf8').replace(/^\\(un)?restrict .*\n/gm, '');
    const at = plain.indexOf('COPY ');
    const tampered = files.path(`tampered-${databases}.sql`);
    writeFileSync(tampered, `${plain.slice(0, at)}\\! touch ${marker}\n${plain.slice(at)}`);
    const { result, report } = restore(target.url, `      from: file://${tampered}\n`);
    expect(result.status, result.all).toBe(1);
    expect(stepOf(report, 'restore').status).toBe('failed');
    expect(existsSync(marker)).toBe(false);
    expect(tablesIn(target.name)).toBe(0);
  });

  it("a plain dump's large objects restore in the one transaction, and a procedure whose body has a COMMIT; line keeps it", () => {
    pg.createDatabase('procs');
    pg.psql(
      `CREATE TABLE ticks (n int);
       CREATE PROCEDURE tick() LANGUAGE plpgsql AS $body$
BEGIN
INSERT INTO ticks VALUES (1);
COMMIT;
END
$body$;
       SELECT lo_from_bytea(0, 'a large object');`,
      'procs',
    );
    const dump = files.path('procs.sql');
    execFileSync('pg_dump', ['-d', pg.url('procs'), '-f', dump]);
    expect(readFileSync(dump, 'utf8')).toMatch(/^BEGIN;\n[\s\S]*lowrite[\s\S]*^COMMIT;\n/m);
    const target = freshDatabase();
    const { result } = restore(target.url, `      from: file://${dump}\n`);
    expect(result.status, result.all).toBe(0);
    const body = `SELECT prosrc FROM pg_proc WHERE proname = 'tick'`;
    expect(pg.psql(body, target.name)).toBe(pg.psql(body, 'procs'));
    expect(pg.psql(body, target.name)).toContain('COMMIT;');
    expect(pg.psql(`SELECT convert_from(lo_get(oid), 'UTF8') FROM pg_largeobject_metadata`, target.name)).toBe('a large object');
  });

  it('a tampered plain dump that ends the transaction itself (its own commit;, END; or ROLLBACK;, even with the seal copied to its session) fails, saying what was committed', () => {
    const plain = readFileSync(files.path('plain.sql'), 'utf8').replace(/^\\(un)?restrict .*\n/gm, '');
    const at = plain.indexOf('COPY ');
    const copiedSeal = "SELECT set_config('drctl.restore_seal', current_setting('drctl.restore_seal'), false);\ncommit;";
    for (const end of ['commit;', 'END;', 'ROLLBACK;', copiedSeal]) {
      const target = freshDatabase();
      const tampered = files.path(`ends-${databases}.sql`);
      writeFileSync(tampered, `${plain.slice(0, at)}${end}\n${plain.slice(at)}`);
      const { result, report } = restore(target.url, `      from: file://${tampered}\n`);
      expect(result.status, `${end}: ${result.all}`).toBe(1);
      expect(stepOf(report, 'restore').status).toBe('failed');
      // Ended and carried on: the seal finds it; ROLLBACK; undid the tables, so the COPY after it fails in psql.
      expect(result.all).toContain(
        end === 'ROLLBACK;'
          ? `psql (exit 3): ERROR: relation "public.big" does not exist; the dump holds a transaction end of its own ("ROLLBACK;"), so what ran before it may have been committed`
          : `postgres.restore: file://${tampered}: the dump ended drctl's transaction itself (a COMMIT, END or ROLLBACK of its own, which pg_dump never writes): what ran before that point was committed`,
      );
      expect(result.all).not.toContain('nothing was committed');
    }
  });

  it('a truncated plain dump fails and commits nothing, gzipped or not', () => {
    for (const [file, why] of [
      ['cut.sql', 'it was cut short; nothing was committed'],
      ['cut.sql.gz', 'nothing was committed'],
    ] as const) {
      const target = freshDatabase();
      const { result, report } = restore(target.url, `      from: file://${files.path(file)}\n`);
      expect(result.status, result.all).toBe(1);
      expect(result.all).toContain(`postgres.restore: file://${files.path(file)}: `);
      expect(result.all).toContain(why);
      expect(stepOf(report, 'restore').status).toBe('failed');
      expect(tablesIn(target.name), file).toBe(0);
    }
  });

  it('an object whose bytes do not match its sha256 fails before anything is committed (plain) or restored (custom)', () => {
    for (const key of ['pg/corrupt.sql.gz', 'pg/corrupt.custom']) {
      const target = freshDatabase();
      const { result } = restore(target.url, `      from: s3://${BUCKET}/${key}\n`);
      expect(result.status, result.all).toBe(1);
      expect(result.all).toContain(
        `postgres.restore: s3://${BUCKET}/${key}: sha256 mismatch: the object's metadata sha256 is ${sha256('something else')}`,
      );
      expect(tablesIn(target.name), key).toBe(0);
    }
  });

  it('refuses a database that has tables unless clean: true, which replaces them (plain and custom)', () => {
    for (const file of ['plain.sql.gz', 'dump.custom']) {
      const target = freshDatabase();
      pg.psql('CREATE TABLE keepme (id int); CREATE SCHEMA extra; CREATE TABLE extra.t (id int)', target.name);
      pg.psql('ALTER TABLE keepme OWNER TO app; ALTER SCHEMA extra OWNER TO app; ALTER TABLE extra.t OWNER TO app', target.name);
      const refused = restore(target.url, `      from: file://${files.path(file)}\n`);
      expect(refused.result.status, refused.result.all).toBe(1);
      expect(refused.result.all).toContain(
        `postgres.restore: 127.0.0.1:${pg.port}/${target.name}: the database is not empty (2 tables): restore into an empty database, or set clean: true to replace what is there`,
      );
      expect(tablesIn(target.name)).toBe(2);
      const cleaned = restore(target.url, `      from: file://${files.path(file)}\n      clean: true\n`);
      expect(cleaned.result.status, cleaned.result.all).toBe(0);
      expect(digest(target.name)).toBe(sourceDigest);
    }
    // A plain restore drops every schema of the database first, inside its transaction.
    expect(tablesIn(`target${databases - 1}`)).toBe(2);
  });

  it('a failed restore with clean: true leaves the old data as it was (plain: the drop is in the same transaction)', () => {
    const target = freshDatabase();
    pg.psql('CREATE TABLE keepme (id int); INSERT INTO keepme VALUES (42); ALTER TABLE keepme OWNER TO app', target.name);
    const { result } = restore(target.url, `      from: file://${files.path('cut.sql')}\n      clean: true\n`);
    expect(result.status, result.all).toBe(1);
    expect(result.all).toContain('nothing was committed');
    expect(pg.psql('SELECT id FROM keepme', target.name)).toBe('42');
    expect(tablesIn(target.name)).toBe(1);
  });

  it("role restores as that role; no_owner: false keeps the dump's owners, and an SQL error commits nothing (plain) or leaves a partial restore (custom)", () => {
    pg.psql('CREATE ROLE writer NOLOGIN; GRANT writer TO app');
    for (const file of ['plain.sql', 'dump.custom']) {
      const target = freshDatabase();
      pg.psql('GRANT CREATE ON SCHEMA public TO writer', target.name);
      const { result } = restore(target.url, `      from: file://${files.path(file)}\n      role: writer\n`);
      expect(result.status, `${file}: ${result.all}`).toBe(0);
      expect(pg.psql(`SELECT string_agg(DISTINCT tableowner, ',') FROM pg_tables WHERE schemaname = 'public'`, target.name), file).toBe(
        'writer',
      );
    }
    // The dump's tables belong to postgres: app may not give them to it.
    const plain = freshDatabase();
    const refused = restore(plain.url, `      from: file://${files.path('plain.sql')}\n      no_owner: false\n`);
    expect(refused.result.status, refused.result.all).toBe(1);
    expect(refused.result.all).toContain(
      `postgres.restore: 127.0.0.1:${pg.port}/${plain.name}: psql (exit 3): ERROR: must be member of role "postgres"; nothing was committed`,
    );
    expect(tablesIn(plain.name)).toBe(0);
    const custom = freshDatabase();
    const partial = restore(custom.url, `      from: file://${files.path('dump.custom')}\n      no_owner: false\n`);
    expect(partial.result.status, partial.result.all).toBe(1);
    expect(partial.result.all).toContain(`postgres.restore: 127.0.0.1:${pg.port}/${custom.name}: pg_restore (exit 1): `);
    expect(partial.result.all).toContain('the database is left partly restored (clean: true restores it again)');
    const again = restore(custom.url, `      from: file://${files.path('dump.custom')}\n      clean: true\n`);
    expect(again.result.status, again.result.all).toBe(0);
    expect(digest(custom.name)).toBe(sourceDigest);
  });

  it('Ctrl-C after the whole dump reached psql, while it still works (the last statements), stops it and commits nothing', async () => {
    const target = freshDatabase();
    // The dump's last statement keeps psql busy after the stream has ended, as index builds do.
    const plain = readFileSync(files.path('plain.sql'), 'utf8');
    const end = plain.lastIndexOf('-- PostgreSQL database dump complete');
    const slow = files.path(`slow-end-${databases}.sql`);
    writeFileSync(slow, `${plain.slice(0, end)}SELECT pg_sleep(120);\n${plain.slice(end)}`);
    const ws = workspace('drctl-rt-');
    ws.runbook('rb.yaml', runbook(`      from: file://${slow}\n`));
    const running = startDrctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], {
      cwd: ws.dir,
      env: { TARGET_DB_URL: target.url },
    });
    await waitFor(
      () => pg.psql(`SELECT count(*) FROM pg_stat_activity WHERE datname = '${target.name}' AND query LIKE 'SELECT pg_sleep%'`) === '1',
      'psql to reach the last statement',
      60_000,
      100,
    );
    running.child.kill('SIGINT');
    const exit = await exitWithin(running, 20_000);
    expect(exit.code, running.stderr()).toBe(130);
    await waitFor(
      () => pg.psql(`SELECT count(*) FROM pg_stat_activity WHERE datname = '${target.name}'`) === '0',
      'the session to end',
      10_000,
      100,
    );
    expect(tablesIn(target.name)).toBe(0);
  }, 90_000);

  it('Ctrl-C while pg_restore works (an index build) stops it, and its session on the server ends', async () => {
    // A custom dump whose index build sleeps everywhere but in its own source database.
    pg.createDatabase('slowsrc');
    pg.psql(
      `CREATE FUNCTION slow(i int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
       BEGIN IF current_database() <> 'slowsrc' THEN PERFORM pg_sleep(120); END IF; RETURN i; END $$;
       CREATE TABLE t (id int); INSERT INTO t VALUES (1); CREATE INDEX t_slow ON t (slow(id));`,
      'slowsrc',
    );
    execFileSync('pg_dump', ['-d', pg.url('slowsrc'), '-Fc', '-f', files.path('slow.custom')]);
    const target = freshDatabase();
    const ws = workspace('drctl-rt-');
    ws.runbook('rb.yaml', runbook(`      from: file://${files.path('slow.custom')}\n      jobs: 1\n`));
    const running = startDrctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], {
      cwd: ws.dir,
      env: { TARGET_DB_URL: target.url },
    });
    await waitFor(
      () => pg.psql(`SELECT count(*) FROM pg_stat_activity WHERE datname = '${target.name}' AND query LIKE 'CREATE INDEX%'`) === '1',
      'pg_restore to build the index',
      60_000,
      100,
    );
    running.child.kill('SIGINT');
    const exit = await exitWithin(running, 20_000);
    expect(exit.code, running.stderr()).toBe(130);
    await waitFor(
      () => pg.psql(`SELECT count(*) FROM pg_stat_activity WHERE datname = '${target.name}'`) === '0',
      'the session to end',
      10_000,
      100,
    );
  }, 90_000);

  it('Ctrl-C during a plain restore stops psql and commits nothing; the password is on no command line', async () => {
    const target = freshDatabase();
    // A slow source: a named pipe fed half the dump, then held open.
    const fifo = files.path(`slow-${databases}.sql`);
    execSync(`mkfifo ${fifo}`);
    const ws = workspace('drctl-rt-');
    ws.runbook('rb.yaml', runbook(`      from: file://${fifo}\n`));
    const running = startDrctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], {
      cwd: ws.dir,
      env: { TARGET_DB_URL: target.url },
    });
    const writer = openSync(fifo, 'w');
    const plain = readFileSync(files.path('plain.sql'));
    writeSync(writer, plain, 0, Math.floor(plain.length / 2));
    const psqlPid = await waitFor(
      () => {
        for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
          try {
            const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
            const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
            if (ppid === running.pid && stat.includes('(psql)')) return Number(name);
          } catch {
            // gone
          }
        }
        return undefined;
      },
      'psql to run',
      30_000,
      100,
    );
    await waitFor(
      () => pg.psql(`SELECT count(*) FROM pg_stat_activity WHERE datname = '${target.name}' AND usename = 'app'`) === '1',
      'psql to connect',
      30_000,
      100,
    );
    // A progress line at most every 5 s: bytes read, rows and tables so far.
    const progress = await waitFor(
      () => /restoring file:\/\/\S+: [\d.]+ MiB read \([^)]*\), (\d+) rows into 1 table, /.exec(running.stderr() + running.stdout()),
      'a progress line',
      30_000,
      100,
    );
    expect(Number(progress[1])).toBeGreaterThan(0);
    const argv = readFileSync(`/proc/${psqlPid}/cmdline`, 'utf8');
    const environ = readFileSync(`/proc/${psqlPid}/environ`, 'utf8').split('\0');
    expect(argv).not.toContain(PASSWORD);
    expect(argv).not.toContain('postgresql://');
    expect(environ.some((e) => e.startsWith('PGPASSWORD='))).toBe(false);
    expect(environ.some((e) => e.startsWith('PGPASSFILE='))).toBe(true);
    running.child.kill('SIGINT');
    // psql is stopped while its source still stalls; then the source ends (a blocked read of the
    // pipe would otherwise keep drctl's process alive: a file system call cannot be interrupted).
    await waitFor(() => !isAlive(psqlPid), 'psql to be stopped', 15_000, 50);
    closeSync(writer);
    const exit = await exitWithin(running, 20_000);
    expect(exit.code, running.stderr()).toBe(130);
    await waitFor(
      () => pg.psql(`SELECT count(*) FROM pg_stat_activity WHERE datname = '${target.name}'`) === '0',
      'the session to end',
      10_000,
      100,
    );
    expect(tablesIn(target.name)).toBe(0);
    expect(existsSync(fifo)).toBe(true);
  }, 90_000);
});
