import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { TestMoto } from '../../support/moto.js';
import { hasMoto, startMoto } from '../../support/moto.js';
import type { TestPostgres } from '../../support/postgres.js';
import { hasPostgres, startPostgres } from '../../support/postgres.js';
import { requireTool } from '../../support/tools.js';
import type { CliResult, JournalEvent, Report, Workspace } from '../run/helpers.js';
import {
  drctl,
  exitWithin,
  header,
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
 * Directory-format backups (pg_dump -Fd) end to end with the built drctl, a real PostgreSQL and
 * moto S3: postgres.backup into S3 and file://, postgres.restore from both (each file's sha256
 * checked against the manifest first), backup.verify, and a backup that stopped part way (its
 * files without toc.dat), which backup.latest and backup check leave out and restore and verify
 * refuse. A database named with spaces, quotes, %, / and non-ASCII letters goes through
 * backup.verify's throw-away server.
 */

const BUCKET = 'dir-backups';
/** Spaces, quotes, %, / and letters outside ASCII: the URL drctl builds must carry it whole. */
const ODD = `we'ird "db" 50%/ü x`;

const tools =
  hasPostgres() &&
  hasMoto() &&
  requireTool('pg_dump', 'the backups are made by the real pg_dump') &&
  requireTool('pg_restore', 'directory-format backups are restored by the real pg_restore');

describe.skipIf(!tools)('directory-format backups: S3 and file://, restored, verified, partial ones refused', () => {
  let pg: TestPostgres;
  let moto: TestMoto;
  let shared: Workspace;
  let databases = 0;
  /** The S3 backup postgres.backup made (its folder's key, with the trailing /). */
  let s3Key = '';
  /** The file:// backup's folder (a path, no trailing /). */
  let fileFolder = '';

  const aws = (...args: string[]): string => {
    const result = spawnSync('aws', args, { env: { ...process.env, ...moto.env }, encoding: 'utf8', timeout: 120_000 });
    if (result.status !== 0) throw new Error(`aws ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
    return result.stdout;
  };
  const digest = (database: string): string =>
    pg.psql(
      `SELECT md5(string_agg(t, '|' ORDER BY t)) FROM (SELECT format('%s,%s', id, body) AS t FROM big UNION ALL SELECT format('%s,%s', id, body) FROM notes) x`,
      database,
    );
  const tablesIn = (database: string): number =>
    Number(pg.psql(`SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`, database));
  const freshDatabase = (): string => {
    const name = `target${++databases}`;
    pg.createDatabase(name);
    return name;
  };

  interface Outcome {
    result: CliResult;
    report: Report;
    journal: JournalEvent[];
    ws: Workspace;
  }

  /** Run `steps` with the built drctl; TMPDIR is the workspace's tmp/, so what a step leaves there shows. */
  function run(steps: string, env: Record<string, string> = {}, extra: string[] = []): Outcome {
    const ws = workspace('drctl-dir-');
    ws.write('tmp/.keep', '');
    // backup.verify's throw-away server runs as the postgres user when the tests run as root: it must reach tmp/.
    chmodSync(ws.dir, 0o755);
    chmodSync(ws.path('tmp'), 0o755);
    ws.runbook(
      'rb.yaml',
      `${header('dir-backups', 'Directory-format backups')}objectives: { rto: 1h }
inputs:
  db: { secret: true, env: DB_URL, default: "" }
steps:
${steps}`,
    );
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir, ...extra], {
      cwd: ws.dir,
      env: { ...moto.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', TMPDIR: ws.path('tmp'), ...env },
      timeoutMs: 300_000,
    });
    const runId = onlyRunId(ws.stateDir);
    return { result, report: readReport(ws.stateDir, runId), journal: readJournal(ws.stateDir, runId), ws };
  }

  const restoreStep = (from: string): string => `  - id: restore
    title: Restore the backup
    uses: postgres.restore
    with: { url: "\${{ inputs.db }}", from: "${from}", jobs: 2 }
`;
  const verifyStep = (backup: string): string => `  - id: verify
    title: Verify the backup
    uses: backup.verify
    with: { backup: "${backup}", scratch: local, jobs: 2 }
`;

  beforeAll(async () => {
    requireBuild();
    [pg, moto] = await Promise.all([startPostgres(), startMoto()]);
    shared = workspace('drctl-dir-shared-');
    aws('s3', 'mb', `s3://${BUCKET}`);
    pg.createDatabase('shop');
    // `big` dumps to a file of more than 8 MiB (pg_dump's gzip): it is downloaded by ranged reads.
    pg.psql(
      `CREATE TABLE big (id int PRIMARY KEY, body text NOT NULL);
       INSERT INTO big SELECT i, md5(i::text) || md5((i * 7)::text) || md5((i * 13)::text) || md5((i * 17)::text) FROM generate_series(1, 200000) i;
       CREATE TABLE notes (id int PRIMARY KEY, body text);
       INSERT INTO notes VALUES (1, E'a tab\\there'), (2, 'plain'), (3, NULL);`,
      'shop',
    );
    const made = run(
      `  - id: s3
    title: Back up the shop to S3
    uses: postgres.backup
    with: { url: "\${{ inputs.db }}", to: "s3://${BUCKET}/pg/", format: directory, jobs: 2 }
  - id: file
    title: Back up the shop to a folder
    uses: postgres.backup
    with: { url: "\${{ inputs.db }}", to: "file://${shared.path('backups')}/", format: directory }
`,
      { DB_URL: pg.url('shop') },
    );
    expect(made.result.status, made.result.all).toBe(0);
    s3Key = String(stepOf(made.report, 's3').outputs.key);
    fileFolder = String(stepOf(made.report, 'file').outputs.key).slice(0, -1);
  }, 600_000);

  afterAll(() => {
    pg?.stop();
    moto?.stop();
    shared?.remove();
  });

  it('a directory-format backup in S3 is downloaded (each file checked against its manifest) and restored by pg_restore -j; the download is gone afterwards', () => {
    const target = freshDatabase();
    const uri = `s3://${BUCKET}/${s3Key}`;
    const { result, report, ws } = run(restoreStep(uri), { DB_URL: pg.url(target) });
    expect(result.status, result.all).toBe(0);
    expect(digest(target)).toBe(digest('shop'));
    expect(result.all).toMatch(new RegExp(`restoring ${uri.replace(/[.]/g, '\\.')} \\(directory, \\d+ files, [\\d.]+ MiB\\)`));
    expect(result.all).toMatch(/downloaded \d+ files \([\d.]+ MiB\) in /);
    expect(result.all).toContain(`restored ${uri} (directory,`);
    expect(result.all).toContain("sha256 verified (each file's, as its manifest records them)");
    // The backup's sha256 (the digest of its files' sha256 lines) is the restore's.
    const manifest = JSON.parse(aws('s3', 'cp', `s3://${BUCKET}/${s3Key.slice(0, -1)}.manifest.json`, '-')) as {
      sha256: string;
      files: Array<{ size: number }>;
    };
    // One file is larger than a ranged read's 8 MiB part: it was fetched by ranged reads.
    expect(Math.max(...manifest.files.map((f) => f.size))).toBeGreaterThan(8 * 1024 * 1024);
    expect(stepOf(report, 'restore').outputs).toMatchObject({ format: 'directory', tables: 2, sha256: manifest.sha256 });
    expect(readdirSync(ws.path('tmp'))).toEqual(['.keep']);
  });

  it('a file:// directory-format backup is checked file by file and restored where it is; backup.verify compares it with its manifest', () => {
    const target = freshDatabase();
    const restored = run(restoreStep(`file://${fileFolder}/`), { DB_URL: pg.url(target) });
    expect(restored.result.status, restored.result.all).toBe(0);
    expect(digest(target)).toBe(digest('shop'));
    expect(restored.result.all).toContain("sha256 verified (each file's, as its manifest records them)");
    const verified = run(verifyStep(`file://${fileFolder}/`));
    expect(verified.result.status, verified.result.all).toBe(0);
    expect(verified.result.all).toContain(`all match the manifest (file://${fileFolder}.manifest.json)`);
    // A rehearsal that rolls back is for plain dumps: pg_restore commits as it goes.
    const target2 = freshDatabase();
    const rehearsed = run(
      `  - id: restore
    title: Rehearse the restore
    uses: postgres.restore
    with: { url: "\${{ inputs.db }}", from: "file://${fileFolder}/", rollback: true }
`,
      { DB_URL: pg.url(target2) },
    );
    expect(rehearsed.result.status, rehearsed.result.all).toBe(1);
    expect(stepOf(rehearsed.report, 'restore').reason).toContain(
      `postgres.restore: file://${fileFolder}/: rollback: true applies to plain dumps only (pg_restore commits a directory dump as it goes); nothing was restored`,
    );
    expect(tablesIn(target2)).toBe(0);
  }, 300_000);

  it('a backup that stopped part way in S3 (its files, no toc.dat): backup.latest and backup check leave it out saying so; restore and verify refuse it in one line', () => {
    // What an upload cut short leaves: drctl stores toc.dat last, and the manifest after it.
    const partial = 'pg/shop-20991231T000000Z/';
    const names = readdirSync(fileFolder).filter((name) => name !== 'toc.dat');
    for (const name of names) aws('s3', 'cp', '--quiet', join(fileFolder, name), `s3://${BUCKET}/${partial}${name}`);
    const partialUri = `s3://${BUCKET}/${partial}`;
    const note = `${partialUri}: a partial directory-format backup: ${names.length} files and no toc.dat (it stopped before it was complete): left out`;

    const latest = run(`  - id: latest
    title: Find the newest backup
    uses: backup.latest
    with: { location: "s3://${BUCKET}/pg/" }
`);
    expect(latest.result.status, latest.result.all).toBe(0);
    expect(latest.result.all).toContain(note);
    expect(stepOf(latest.report, 'latest').outputs).toMatchObject({ uri: `s3://${BUCKET}/${s3Key}` });

    const check = drctl(['backup', 'check', `s3://${BUCKET}/pg/`, '--rpo', '1h', '--json'], {
      env: { ...moto.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      timeoutMs: 120_000,
    });
    expect(check.status, check.all).toBe(0);
    expect(JSON.parse(check.stdout)).toMatchObject({ backups: 1, partial: [partialUri], newest: { uri: `s3://${BUCKET}/${s3Key}` } });
    expect(check.stderr).toContain(`drctl: backup check: ${note}`);

    const target = freshDatabase();
    const restored = run(restoreStep(partialUri), { DB_URL: pg.url(target) });
    expect(restored.result.status, restored.result.all).toBe(1);
    expect(stepOf(restored.report, 'restore').reason).toContain(
      `postgres.restore: ${partialUri}: a partial directory-format backup: ${names.length} files and no toc.dat (it stopped before it was complete); nothing was restored`,
    );
    expect(tablesIn(target)).toBe(0);

    const verified = run(verifyStep(partialUri));
    expect(verified.result.status, verified.result.all).toBe(1);
    expect(stepOf(verified.report, 'verify').reason).toContain(`backup.verify: ${partialUri}: a partial directory-format backup:`);
  }, 300_000);

  it('a corrupted file of a directory-format backup is caught before pg_restore reads it, from S3 by restore and from file:// by restore and verify', () => {
    // S3: a copy of the backup with its manifest, one data file replaced by other bytes (no sha256 tag).
    const copy = 'corrupt/shop/';
    aws('s3', 'cp', '--quiet', '--recursive', `s3://${BUCKET}/${s3Key}`, `s3://${BUCKET}/${copy}`);
    aws('s3', 'cp', '--quiet', `s3://${BUCKET}/${s3Key.slice(0, -1)}.manifest.json`, `s3://${BUCKET}/corrupt/shop.manifest.json`);
    const dataFile = readdirSync(fileFolder).find((name) => /^\d+\.dat\.gz$/.test(name))!;
    const local = shared.path('rotten.dat.gz');
    aws('s3', 'cp', '--quiet', `s3://${BUCKET}/${copy}${dataFile}`, local);
    appendFileSync(local, 'x');
    aws('s3', 'cp', '--quiet', local, `s3://${BUCKET}/${copy}${dataFile}`);
    const target = freshDatabase();
    const fromS3 = run(restoreStep(`s3://${BUCKET}/${copy}`), { DB_URL: pg.url(target) });
    expect(fromS3.result.status, fromS3.result.all).toBe(1);
    expect(stepOf(fromS3.report, 'restore').reason).toMatch(
      new RegExp(
        `postgres\\.restore: s3://${BUCKET}/${copy}${dataFile.replace('.', '\\.')}: sha256 mismatch: its manifest \\(s3://${BUCKET}/corrupt/shop\\.manifest\\.json\\) records [0-9a-f]{64}, the bytes read hash to [0-9a-f]{64}; nothing was restored`,
      ),
    );
    expect(tablesIn(target)).toBe(0);
    expect(readdirSync(fromS3.ws.path('tmp'))).toEqual(['.keep']);

    // file://: a copy of the folder and its manifest, one byte of a data file flipped.
    const folder = shared.path('rotten', 'shop');
    mkdirSync(shared.path('rotten'));
    spawnSync('cp', ['-r', fileFolder, folder]);
    spawnSync('cp', [`${fileFolder}.manifest.json`, `${folder}.manifest.json`]);
    const bytes = readFileSync(join(folder, dataFile));
    appendFileSync(join(folder, dataFile), Buffer.from([bytes[0]! ^ 0xff]));
    const target2 = freshDatabase();
    const fromFile = run(restoreStep(`file://${folder}/`), { DB_URL: pg.url(target2) });
    expect(fromFile.result.status, fromFile.result.all).toBe(1);
    expect(stepOf(fromFile.report, 'restore').reason).toContain(
      `postgres.restore: file://${folder}/${dataFile}: sha256 mismatch: its manifest`,
    );
    expect(tablesIn(target2)).toBe(0);

    // A file the manifest lists, missing from the folder.
    const short = shared.path('rotten', 'short');
    spawnSync('cp', ['-r', fileFolder, short]);
    spawnSync('cp', [`${fileFolder}.manifest.json`, `${short}.manifest.json`]);
    rmSync(join(short, dataFile));
    const target3 = freshDatabase();
    const missing = run(restoreStep(`file://${short}/`), { DB_URL: pg.url(target3) });
    expect(missing.result.status, missing.result.all).toBe(1);
    expect(stepOf(missing.report, 'restore').reason).toContain(
      `postgres.restore: file://${short}/: ${dataFile} listed in its manifest (file://${short}.manifest.json) but not in the folder; nothing was restored`,
    );
    expect(tablesIn(target3)).toBe(0);

    // S3 without a manifest: a file whose bytes no longer match the sha256 tag it carries.
    const tagged = 'tagged/shop/';
    aws('s3', 'cp', '--quiet', '--recursive', `s3://${BUCKET}/${s3Key}`, `s3://${BUCKET}/${tagged}`);
    const original = JSON.parse(aws('s3api', 'get-object-tagging', '--bucket', BUCKET, '--key', `${s3Key}${dataFile}`)) as {
      TagSet: Array<{ Key: string; Value: string }>;
    };
    const sha = original.TagSet.find((t) => t.Key === 'sha256')!.Value;
    aws('s3api', 'put-object', '--bucket', BUCKET, '--key', `${tagged}${dataFile}`, '--body', local, '--tagging', `sha256=${sha}`);
    const target4 = freshDatabase();
    const byTag = run(restoreStep(`s3://${BUCKET}/${tagged}`), { DB_URL: pg.url(target4) });
    expect(byTag.result.status, byTag.result.all).toBe(1);
    expect(stepOf(byTag.report, 'restore').reason).toContain(
      `postgres.restore: s3://${BUCKET}/${tagged}${dataFile}: sha256 mismatch: the object's tag sha256 is ${sha}, the bytes read hash to`,
    );
    expect(tablesIn(target4)).toBe(0);
    expect(readdirSync(byTag.ws.path('tmp'))).toEqual(['.keep']);
    const verified = run(verifyStep(`file://${folder}/`));
    expect(verified.result.status, verified.result.all).toBe(1);
    expect(stepOf(verified.report, 'verify').reason).toContain(`file://${folder}/${dataFile}: sha256 mismatch`);
  }, 300_000);

  it('on S3 an object and a folder of the same name: the folder backup.latest names (with its trailing /) is the one restored and verified', () => {
    // The directory-format backup with its manifest, and beside it an object named like its folder.
    const folder = 'clash/shop/';
    const other = shared.path('other.sql');
    writeFileSync(other, 'CREATE TABLE other (id int);\n-- PostgreSQL database dump complete\n');
    aws('s3', 'cp', '--quiet', other, `s3://${BUCKET}/clash/shop`);
    aws('s3', 'cp', '--quiet', '--recursive', `s3://${BUCKET}/${s3Key}`, `s3://${BUCKET}/${folder}`);
    aws('s3', 'cp', '--quiet', `s3://${BUCKET}/${s3Key.slice(0, -1)}.manifest.json`, `s3://${BUCKET}/clash/shop.manifest.json`);

    const latest = run(`  - id: latest
    title: Find the newest backup
    uses: backup.latest
    with: { location: "s3://${BUCKET}/clash/", match: "shop" }
`);
    expect(latest.result.status, latest.result.all).toBe(0);
    const uri = String(stepOf(latest.report, 'latest').outputs.uri);
    expect(uri).toBe(`s3://${BUCKET}/${folder}`);

    const target = freshDatabase();
    const restored = run(restoreStep(uri), { DB_URL: pg.url(target) });
    expect(restored.result.status, restored.result.all).toBe(0);
    expect(stepOf(restored.report, 'restore').outputs).toMatchObject({ format: 'directory', tables: 2 });
    expect(digest(target)).toBe(digest('shop'));
    expect(Number(pg.psql(`SELECT count(*) FROM pg_tables WHERE tablename = 'other'`, target))).toBe(0);

    const verified = run(verifyStep(uri));
    expect(verified.result.status, verified.result.all).toBe(0);
    expect(verified.result.all).toContain(`all match the manifest (s3://${BUCKET}/clash/shop.manifest.json)`);
  }, 300_000);

  it('killed with SIGKILL while pg_restore runs on an S3 download: drctl abandon removes the downloaded files and their folder', async () => {
    const target = freshDatabase();
    // A table the restore drops first (clean: true), held locked: pg_restore waits there, every file downloaded.
    pg.psql('CREATE TABLE big (id int)', target);
    const holder = spawn('psql', ['-X', '-q', '-d', pg.url(target)], { stdio: ['pipe', 'ignore', 'ignore'] });
    onTestFinished(() => void holder.kill('SIGKILL'));
    holder.stdin.write('BEGIN; LOCK TABLE big IN ACCESS EXCLUSIVE MODE;\n');
    const inTarget = (sql: string): string => pg.psql(sql, target);
    await waitFor(
      () =>
        inTarget(
          `SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND c.relname = 'big' AND l.mode = 'AccessExclusiveLock' AND l.granted`,
        ) === '1',
      'the lock to be held',
      30_000,
    );
    const ws = workspace('drctl-dir-');
    ws.write('tmp/.keep', '');
    ws.runbook(
      'rb.yaml',
      `${header('dir-backups', 'Directory-format backups')}objectives: { rto: 1h }
inputs:
  db: { secret: true, env: DB_URL, default: "" }
steps:
  - id: restore
    title: Restore the backup
    uses: postgres.restore
    with: { url: "\${{ inputs.db }}", from: "s3://${BUCKET}/${s3Key}", jobs: 2, clean: true }
`,
    );
    const env = { ...moto.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', TMPDIR: ws.path('tmp'), DB_URL: pg.url(target) };
    const running = startDrctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir, env });
    await waitFor(
      () => inTarget(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`) !== '0',
      'pg_restore to wait for the lock',
      120_000,
      200,
    );
    const [folder] = readdirSync(ws.path('tmp')).filter((name) => name.startsWith('drctl-restore-'));
    expect(folder).toBeDefined();
    expect(readdirSync(ws.path('tmp', folder!))).toContain('toc.dat');
    killPid(running.pid, 'SIGKILL');
    await exitWithin(running, 30_000);
    inTarget(
      `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name LIKE 'pg_restore%'`,
    );
    holder.stdin.end();

    const runId = onlyRunId(ws.stateDir);
    const abandoned = drctl(['abandon', runId, '--state-dir', ws.stateDir], { cwd: ws.dir, env, timeoutMs: 60_000 });
    expect(abandoned.status, abandoned.all).toBe(0);
    expect(abandoned.stdout).toContain(`removed ${ws.path('tmp', folder!)}`);
    expect(readdirSync(ws.path('tmp'))).toEqual(['.keep']);
  }, 300_000);

  it("backup.verify checks a directory-format backup's overall sha256 when its manifest records no list of files", () => {
    const folder = shared.path('digest-only', 'shop');
    mkdirSync(shared.path('digest-only'));
    spawnSync('cp', ['-r', fileFolder, folder]);
    const manifest = JSON.parse(readFileSync(`${fileFolder}.manifest.json`, 'utf8')) as Record<string, unknown>;
    delete manifest.files;
    writeFileSync(`${folder}.manifest.json`, JSON.stringify({ ...manifest, sha256: 'ab'.repeat(32) }));
    const verified = run(verifyStep(`file://${folder}/`));
    expect(verified.result.status, verified.result.all).toBe(1);
    expect(verified.result.all).toContain(`the backup's sha256 is ${String(manifest.sha256)}, its manifest says ${'ab'.repeat(32)}`);
  }, 300_000);

  it('backup.verify with scratch: local restores a database whose name holds spaces, quotes, %, / and ü into a database of that very name', () => {
    pg.psql(`CREATE DATABASE "${ODD.replace(/"/g, '""')}"`);
    const odd = pg.url().replace(/\/[^/]*$/, `/${encodeURIComponent(ODD)}`);
    spawnSync('psql', [
      '-X',
      '-q',
      '-v',
      'ON_ERROR_STOP=1',
      '-d',
      odd,
      '-c',
      'CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, $$a$$), (2, $$b$$);',
    ]);
    const { result, report, journal } = run(
      `  - id: backup
    title: Back up the oddly named database
    uses: postgres.backup
    with: { url: "\${{ inputs.db }}", to: "file://./odd/" }
  - id: verify
    title: Verify it in a throw-away server
    uses: backup.verify
    with: { backup: "\${{ steps.backup.outputs.location }}", scratch: local }
`,
      { DB_URL: odd },
    );
    expect(result.status, result.all).toBe(0);
    expect(stepOf(report, 'verify').outputs).toMatchObject({ tables: 1, rows: 2, differences: 0 });
    expect(result.all).toContain(`restoring ${String(stepOf(report, 'backup').outputs.location)} into the throw-away server's ${ODD}`);
    const integrity = journal
      .map((e) => (e.type === 'action.record' ? (e.record as Record<string, unknown>).integrity : undefined))
      .find(Boolean);
    expect(integrity).toMatchObject({ database: ODD, tables: 1, rows: 2, ok: true });
  }, 300_000);
});
