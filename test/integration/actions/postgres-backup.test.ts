import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupManifest } from '../../../src/actions/backup/manifest.js';
import type { DatabaseFingerprint } from '../../../src/actions/postgres/fingerprint-core.js';
import { fingerprintDatabase } from '../../../src/actions/postgres/fingerprint-core.js';
import type { TestMoto } from '../../support/moto.js';
import { hasMoto, startMoto } from '../../support/moto.js';
import type { TestPostgres } from '../../support/postgres.js';
import { hasPostgres, startPostgres } from '../../support/postgres.js';
import { requireTool } from '../../support/tools.js';
import type { Report, Workspace } from '../run/helpers.js';
import {
  drctl,
  exitWithin,
  header,
  journalPath,
  killPid,
  modeOf,
  onlyRunId,
  readReport,
  reportPath,
  requireBuild,
  sleep,
  startDrctl,
  stepOf,
  waitFor,
  workspace,
} from '../run/helpers.js';

/**
 * postgres.backup run by the built drctl against a real PostgreSQL (a role that must give its
 * password) into moto S3 and into file://. Every backup is checked from outside drctl: its bytes
 * hashed after the real `aws s3 cp`, restored with the real psql / pg_restore into a fresh database
 * whose fingerprint must equal the manifest's.
 */

const PASSWORD = 'Backup-Passw0rd-Unique-8812';
const ROLE = 'backup_operator';
const BUCKET = 'pg-backups';
/** Enough orders for a plain dump of over 2 MiB: gzipped on two cores, it is more than one gzip member. */
const ORDERS = 40_000;

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

function commandLines(): string[] {
  const lines: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      lines.push(readFileSync(`/proc/${entry}/cmdline`, 'latin1').replaceAll('\0', ' '));
    } catch {
      // ended meanwhile
    }
  }
  return lines;
}

/** pg_dump processes connected to the test's own server (PGPORT in their environment): other tests' dumps run at the same time. */
function pgDumpsOf(port: number): Array<{ pid: number; line: string }> {
  const dumps: Array<{ pid: number; line: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const line = readFileSync(`/proc/${entry}/cmdline`, 'latin1').replaceAll('\0', ' ');
      if (!/(?:^|\/)pg_dump --no-password/.test(line)) continue;
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(`PGPORT=${port}`)) dumps.push({ pid: Number(entry), line });
    } catch {
      // ended meanwhile
    }
  }
  return dumps;
}

interface Outcome {
  code: number | null;
  output: string;
  report: Report;
  journal: string;
  /** Every command line seen on the machine while drctl ran. */
  seen: string[];
  ws: Workspace;
}

const tools =
  hasPostgres() &&
  hasMoto() &&
  requireTool('pg_dump', 'postgres.backup runs the real pg_dump') &&
  requireTool('pg_restore', 'the backups are restored with the real pg_restore');

describe.skipIf(!tools)('postgres.backup against a real PostgreSQL, into moto S3 and file://', () => {
  let pg: TestPostgres;
  let moto: TestMoto;
  let url: string;
  let source: DatabaseFingerprint;
  let restores = 0;

  const aws = (...args: string[]): string => {
    const result = spawnSync('aws', args, { env: { ...process.env, ...moto.env }, encoding: 'utf8', timeout: 120_000 });
    if (result.status !== 0) throw new Error(`aws ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
    return result.stdout;
  };
  const keysUnder = (prefix: string): string[] => {
    const out = aws('s3api', 'list-objects-v2', '--bucket', BUCKET, '--prefix', prefix);
    return out.trim() ? ((JSON.parse(out) as { Contents?: Array<{ Key: string }> }).Contents ?? []).map((o) => o.Key).sort() : [];
  };
  /** Multipart uploads begun and neither completed nor aborted. */
  const openUploads = (): string[] => {
    const out = aws('s3api', 'list-multipart-uploads', '--bucket', BUCKET);
    return ((JSON.parse(out) as { Uploads?: Array<{ Key: string }> }).Uploads ?? []).map((u) => u.Key);
  };
  const fingerprint = (database: string): Promise<DatabaseFingerprint> =>
    fingerprintDatabase({ url: pg.url(database) }, { signal: AbortSignal.timeout(60_000) });
  const freshDatabase = (): string => {
    const name = `restored_${++restores}`;
    pg.createDatabase(name);
    return name;
  };

  async function backup(steps: string, env: Record<string, string> = {}, onRunning?: (pid: number) => Promise<void>): Promise<Outcome> {
    const ws = workspace('drctl-pg-backup-');
    ws.write('tmp/.keep', '');
    ws.runbook(
      'rb.yaml',
      `${header('pg-backup', 'Back up the shop')}objectives: { rto: 1h }
inputs:
  db: { secret: true, env: SHOP_DB_URL }
steps:
${steps}`,
    );
    const seen = new Set<string>();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        for (const line of commandLines()) seen.add(line);
        await sleep(10);
      }
    })();
    const running = startDrctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], {
      cwd: ws.dir,
      env: { ...moto.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', TMPDIR: ws.path('tmp'), SHOP_DB_URL: url, ...env },
    });
    try {
      await onRunning?.(running.pid);
      const exit = await exitWithin(running, 120_000);
      const runId = onlyRunId(ws.stateDir);
      return {
        code: exit.code,
        output: running.stdout() + running.stderr(),
        report: readReport(ws.stateDir, runId),
        journal: readFileSync(journalPath(ws.stateDir, runId), 'utf8') + readFileSync(reportPath(ws.stateDir, runId), 'utf8'),
        seen: [...seen],
        ws,
      };
    } finally {
      sampling = false;
      await sampler;
    }
  }

  /** The password is nowhere drctl writes, and on no command line; pg_dump did run (the sampler saw it). */
  function expectNoCredentials(outcome: Outcome): void {
    expect(outcome.seen.some((line) => /(?:^|\/)pg_dump --no-password/.test(line))).toBe(true);
    for (const secret of [PASSWORD, url]) {
      expect(outcome.seen.filter((line) => line.includes(secret))).toEqual([]);
      expect(outcome.output).not.toContain(secret);
      expect(outcome.journal).not.toContain(secret);
    }
    // The password file is gone.
    expect(readdirSync(outcome.ws.path('tmp'))).toEqual(['.keep']);
  }

  function expectManifest(manifest: BackupManifest, outputs: Record<string, unknown>, format: string): void {
    expect(manifest).toMatchObject({
      manifest_version: 1,
      tool: 'drctl',
      database: 'shop',
      server_version: pg.psql('SHOW server_version'),
      format,
      size: outputs.size,
      sha256: outputs.sha256,
      object: outputs.location,
    });
    expect(Date.parse(manifest.started_at)).toBeLessThanOrEqual(Date.parse(manifest.finished_at));
    // Taken from the same data: the fingerprint of the database as it is (nothing changed it since).
    expect(manifest.tables).toEqual(source.tables);
    expect(manifest.tables.find((t) => t.table === 'orders')).toMatchObject({ rows: ORDERS, ordered_by: 'primary key' });
    expect(manifest.tables.find((t) => t.table === 'notes')).toMatchObject({ rows: 3, ordered_by: 'all columns' });
  }

  beforeAll(async () => {
    requireBuild();
    [pg, moto] = await Promise.all([startPostgres(), startMoto()]);
    aws('s3', 'mb', `s3://${BUCKET}`);
    pg.createDatabase('shop');
    pg.psql(`CREATE ROLE ${ROLE} LOGIN PASSWORD '${PASSWORD}'`);
    pg.psql(
      `CREATE TABLE orders (id bigint PRIMARY KEY, placed_at timestamptz NOT NULL, total numeric(10,2), note text);
       INSERT INTO orders SELECT i, timestamptz '2024-05-01 12:00:00+00' + i * interval '1 minute', i * 10.5, CASE WHEN i % 7 = 0 THEN NULL ELSE 'order ' || i END FROM generate_series(1, ${ORDERS}) i;
       CREATE TABLE notes (body text);
       INSERT INTO notes VALUES ('same'), ('same'), ('other');
       GRANT SELECT ON orders, notes TO ${ROLE};`,
      'shop',
    );
    // This role must give its password (the server trusts every other one).
    const hba = pg.psql('SHOW hba_file');
    writeFileSync(hba, `host all ${ROLE} 127.0.0.1/32 scram-sha-256\n${readFileSync(hba, 'utf8')}`);
    pg.psql('SELECT pg_reload_conf()');
    // A database with a table the role may not read: pg_dump fails there.
    pg.createDatabase('locked');
    pg.psql(`CREATE TABLE open_data (id int); CREATE TABLE vault (secret text); GRANT SELECT ON open_data TO ${ROLE}`, 'locked');
    url = `postgresql://${ROLE}:${PASSWORD}@127.0.0.1:${pg.port}/shop`;
    source = await fingerprint('shop');
  }, 120_000);

  afterAll(() => {
    pg?.stop();
    moto?.stop();
  });

  it('plain-gzip into S3: the object is the sha256 it carries, backup.download and postgres.restore verify it, psql restores it exactly', async () => {
    const restoredByDrctl = freshDatabase();
    // A backup as the old cron job made them (pg_dump | gzip, then aws s3 cp), already there.
    const old = workspace('drctl-pg-old-');
    old.write('backup_20261122_025308.sql.gz', 'an old backup\n');
    aws('s3', 'cp', '--quiet', old.path('backup_20261122_025308.sql.gz'), `s3://${BUCKET}/plain/backup_20261122_025308.sql.gz`);
    const outcome = await backup(`  - id: backup
    title: Back up the shop
    uses: postgres.backup
    with: { url: "\${{ inputs.db }}", to: "s3://${BUCKET}/plain/" }
  - id: fetch
    title: Download it again
    uses: backup.download
    with: { uri: "\${{ steps.backup.outputs.location }}", to: "./fetched/" }
  - id: restore
    title: Restore it into an empty database
    uses: postgres.restore
    with: { url: "${pg.url(restoredByDrctl)}", from: "\${{ steps.backup.outputs.location }}" }
`);
    expect(outcome.code, outcome.output).toBe(0);
    const outputs = stepOf(outcome.report, 'backup').outputs;
    expect(outputs.format).toBe('plain-gzip');
    expect(String(outputs.key)).toMatch(/^plain\/shop-\d{8}T\d{6}Z\.sql\.gz$/);
    expect(outputs.location).toBe(`s3://${BUCKET}/${String(outputs.key)}`);
    expect(outputs.manifest).toBe(`s3://${BUCKET}/${String(outputs.key)}.manifest.json`);
    expect(typeof outputs.duration_s).toBe('number');
    expect(keysUnder('plain/')).toEqual([
      'plain/backup_20261122_025308.sql.gz',
      String(outputs.key),
      `${String(outputs.key)}.manifest.json`,
    ]);
    expect(outcome.output).toMatch(/snapshot [0-9A-F-]+ shared with the fingerprint/);
    // The real aws CLI's bytes hash to the sha256 drctl reported and tagged.
    aws('s3', 'cp', '--quiet', String(outputs.location), outcome.ws.path('object.sql.gz'));
    const bytes = readFileSync(outcome.ws.path('object.sql.gz'));
    expect(bytes.length).toBe(outputs.size);
    // Compressed a megabyte at a time on each core: gzip members one after another, one file to gzip.
    const memberHeader = Buffer.from('1f8b0800000000000003', 'hex');
    let members = 0;
    for (let at = bytes.indexOf(memberHeader); at !== -1; at = bytes.indexOf(memberHeader, at + 1)) members += 1;
    expect(members).toBeGreaterThan(1);
    execFileSync('gzip', ['-t', outcome.ws.path('object.sql.gz')]);
    expect(sha256(bytes)).toBe(outputs.sha256);
    const tags = JSON.parse(aws('s3api', 'get-object-tagging', '--bucket', BUCKET, '--key', String(outputs.key))) as {
      TagSet: Array<{ Key: string; Value: string }>;
    };
    expect(tags.TagSet).toEqual([{ Key: 'sha256', Value: outputs.sha256 }]);
    expect(outcome.output).toContain('size and sha256 verified (tag sha256)');
    expect(outcome.output).toMatch(/restored s3:\/\/\S+ \(plain-gzip, [^)]*\) into .*; sha256 verified \(tag sha256\)/);
    expect(stepOf(outcome.report, 'restore').outputs.sha256).toBe(outputs.sha256);
    expect((await fingerprint(restoredByDrctl)).tables).toEqual(source.tables);
    // No multipart upload is left open.
    expect(openUploads()).toEqual([]);

    aws('s3', 'cp', '--quiet', String(outputs.manifest), outcome.ws.path('manifest.json'));
    expectManifest(JSON.parse(outcome.ws.read('manifest.json')) as BackupManifest, outputs, 'plain-gzip');

    const target = freshDatabase();
    execFileSync('sh', ['-c', `gunzip -c object.sql.gz | psql -X -q -v ON_ERROR_STOP=1 --single-transaction -d '${pg.url(target)}'`], {
      cwd: outcome.ws.dir,
      stdio: 'pipe',
    });
    expect((await fingerprint(target)).tables).toEqual(source.tables);
    expectNoCredentials(outcome);

    // backup.latest, in a later run, finds the new backup (never its manifest) and still the old ones.
    await sleep(1100);
    const later = await backup(`  - id: newest
    title: Find the newest backup
    uses: backup.latest
    with: { location: "s3://${BUCKET}/plain/" }
  - id: newest-gz
    title: Find the newest gzipped dump
    uses: backup.latest
    with: { location: "s3://${BUCKET}/plain/", match: "*.sql.gz" }
  - id: old
    title: Find the newest backup the old way
    uses: backup.latest
    with: { location: "s3://${BUCKET}/plain/", match: "backup_*.sql.gz" }
`);
    expect(later.code, later.output).toBe(0);
    expect(stepOf(later.report, 'newest').outputs.key).toBe(outputs.key);
    expect(stepOf(later.report, 'newest-gz').outputs.key).toBe(outputs.key);
    expect(stepOf(later.report, 'old').outputs.key).toBe('plain/backup_20261122_025308.sql.gz');
  });

  it('custom into file://: a 0600 file with the sha256 of its bytes, its manifest beside it, pg_restore restores it exactly', async () => {
    const outcome = await backup(`  - id: backup
    title: Back up the shop
    uses: postgres.backup
    with: { url: "\${{ inputs.db }}", to: "file://./backups/", format: custom, name: "nightly-{database}-{time}" }
`);
    expect(outcome.code, outcome.output).toBe(0);
    const outputs = stepOf(outcome.report, 'backup').outputs;
    const path = outcome.ws.path(
      'backups',
      readdirSync(outcome.ws.path('backups')).find((n) => n.endsWith('.dump'))!,
    );
    expect(path).toMatch(/nightly-shop-\d{8}T\d{6}Z\.dump$/);
    expect(outputs.location).toBe(`file://${path}`);
    expect(readdirSync(outcome.ws.path('backups')).sort()).toEqual([
      `${path.split('/').pop()!}`,
      `${path.split('/').pop()!}.manifest.json`,
    ]);
    expect(modeOf(path)).toBe(0o600);
    expect(sha256(readFileSync(path))).toBe(outputs.sha256);
    expectManifest(JSON.parse(readFileSync(`${path}.manifest.json`, 'utf8')) as BackupManifest, outputs, 'custom');

    const target = freshDatabase();
    execFileSync('pg_restore', ['--no-owner', '--exit-on-error', '-d', pg.url(target), path], { stdio: 'pipe' });
    expect((await fingerprint(target)).tables).toEqual(source.tables);
    expectNoCredentials(outcome);
  });

  it('directory into S3 with 2 jobs: one object per file, each with its sha256; pg_restore -j 2 restores it exactly', async () => {
    const outcome = await backup(`  - id: backup
    title: Back up the shop
    uses: postgres.backup
    with: { url: "\${{ inputs.db }}", to: "s3://${BUCKET}/dir/", format: directory, jobs: 2 }
`);
    expect(outcome.code, outcome.output).toBe(0);
    const outputs = stepOf(outcome.report, 'backup').outputs;
    const key = String(outputs.key);
    expect(key).toMatch(/^dir\/shop-\d{8}T\d{6}Z\/$/);
    expect(outputs.manifest).toBe(`s3://${BUCKET}/${key.slice(0, -1)}.manifest.json`);
    const keys = keysUnder('dir/');
    expect(keys).toContain(`${key}toc.dat`);
    aws('s3', 'cp', '--quiet', '--recursive', String(outputs.location), outcome.ws.path('restore-from'));
    const names = readdirSync(outcome.ws.path('restore-from')).sort();
    const listing = names.map((n) => `${sha256(readFileSync(outcome.ws.path('restore-from', n)))}  ${n}\n`).join('');
    expect(sha256(listing)).toBe(outputs.sha256);
    for (const name of names) {
      const tags = JSON.parse(aws('s3api', 'get-object-tagging', '--bucket', BUCKET, '--key', `${key}${name}`)) as {
        TagSet: Array<{ Key: string; Value: string }>;
      };
      expect(tags.TagSet).toEqual([{ Key: 'sha256', Value: sha256(readFileSync(outcome.ws.path('restore-from', name))) }]);
    }
    aws('s3', 'cp', '--quiet', String(outputs.manifest), outcome.ws.path('manifest.json'));
    const manifest = JSON.parse(outcome.ws.read('manifest.json')) as BackupManifest & { files: Array<{ name: string }> };
    expectManifest(manifest, outputs, 'directory');
    expect(manifest.files.map((f) => f.name)).toEqual(names);

    const target = freshDatabase();
    execFileSync('pg_restore', ['--no-owner', '--exit-on-error', '-j', '2', '-d', pg.url(target), outcome.ws.path('restore-from')], {
      stdio: 'pipe',
    });
    expect((await fingerprint(target)).tables).toEqual(source.tables);
    // The local copy is gone.
    expect(readdirSync(outcome.ws.path('tmp'))).toEqual(['.keep']);
    expectNoCredentials(outcome);
  });

  it('directory into file://: the folder pg_dump wrote, renamed into place; pg_restore restores it exactly', async () => {
    const outcome = await backup(`  - id: backup
    title: Back up the shop
    uses: postgres.backup
    with: { url: "\${{ inputs.db }}", to: "file://./backups/", format: directory }
`);
    expect(outcome.code, outcome.output).toBe(0);
    const outputs = stepOf(outcome.report, 'backup').outputs;
    const folder = String(outputs.key).slice(0, -1);
    expect(readdirSync(outcome.ws.path('backups')).sort()).toEqual([folder.split('/').pop(), `${folder.split('/').pop()}.manifest.json`]);
    const manifest = JSON.parse(readFileSync(`${folder}.manifest.json`, 'utf8')) as BackupManifest;
    expectManifest(manifest, outputs, 'directory');
    const target = freshDatabase();
    execFileSync('pg_restore', ['--no-owner', '--exit-on-error', '-d', pg.url(target), folder], { stdio: 'pipe' });
    expect((await fingerprint(target)).tables).toEqual(source.tables);
  });

  it('manifest: false: the dump and its sha256 alone, no manifest beside it', async () => {
    const outcome = await backup(`  - id: backup
    title: Back up the shop
    uses: postgres.backup
    with: { url: "\${{ inputs.db }}", to: "file://./backups/", manifest: false }
`);
    expect(outcome.code, outcome.output).toBe(0);
    const outputs = stepOf(outcome.report, 'backup').outputs;
    expect(outputs.manifest).toBeNull();
    const names = readdirSync(outcome.ws.path('backups'));
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^shop-\d{8}T\d{6}Z\.sql\.gz$/);
    expect(sha256(readFileSync(outcome.ws.path('backups', names[0]!)))).toBe(outputs.sha256);
    expect(outcome.output).toContain('; no manifest');
  });

  it('pg_dump refused a table: the step fails naming its error, and nothing is left in S3 or in the folder', async () => {
    const lockedUrl = url.replace(/\/shop$/, '/locked');
    for (const [to, format] of [
      [`s3://${BUCKET}/refused/`, 'plain-gzip'],
      [`s3://${BUCKET}/refused/`, 'directory'],
      ['file://./backups/', 'custom'],
    ] as const) {
      const outcome = await backup(
        `  - id: backup
    title: Back up the locked database
    uses: postgres.backup
    with: { url: "\${{ inputs.db }}", to: "${to}", format: ${format} }
`,
        { SHOP_DB_URL: lockedUrl },
      );
      expect(outcome.code, outcome.output).toBe(1);
      const reason = String(stepOf(outcome.report, 'backup').reason);
      expect(reason).toMatch(/^postgres\.backup: 127\.0\.0\.1:\d+\/locked: pg_dump failed \(exit 1\): .*permission denied for table vault/);
      expect(outcome.output).toContain('permission denied for table vault');
      if (to.startsWith('s3://')) {
        expect(keysUnder('refused/')).toEqual([]);
        expect(openUploads()).toEqual([]);
      } else {
        expect(readdirSync(outcome.ws.path('backups'))).toEqual([]);
      }
      expect(readdirSync(outcome.ws.path('tmp'))).toEqual(['.keep']);
    }
  });

  it('a bucket that does not exist: one line naming it and NoSuchBucket, and no pg_dump left running', async () => {
    for (const format of ['plain-gzip', 'custom'] as const) {
      const outcome = await backup(`  - id: backup
    title: Back up the shop into a bucket that is not there
    uses: postgres.backup
    with: { url: "\${{ inputs.db }}", to: "s3://no-such-bucket-here/pg/", format: ${format} }
`);
      expect(outcome.code, outcome.output).toBe(1);
      expect(String(stepOf(outcome.report, 'backup').reason)).toMatch(
        /^postgres\.backup: s3:\/\/no-such-bucket-here\/pg\/\S+: NoSuchBucket: The specified bucket does not exist \(HTTP 404\)$/,
      );
      expect(pgDumpsOf(pg.port)).toEqual([]);
      expectNoCredentials(outcome);
    }
  });

  it('pg_dump killed mid-stream, parts already uploaded: the multipart upload is aborted and the step names pg_dump', async () => {
    // Enough data (about 128 MB of SQL, 60 MB gzipped) that parts are uploaded while pg_dump still writes.
    pg.createDatabase('big');
    pg.psql(
      `CREATE TABLE blob (id int PRIMARY KEY, body text);
       INSERT INTO blob SELECT i, md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text) FROM generate_series(1, 1000000) i;
       GRANT SELECT ON blob TO ${ROLE}`,
      'big',
    );
    const outcome = await backup(
      `  - id: backup
    title: Back up the big database
    uses: postgres.backup
    with: { url: "\${{ inputs.db }}", to: "s3://${BUCKET}/cut/" }
`,
      { SHOP_DB_URL: url.replace(/\/shop$/, '/big') },
      async () => {
        // Once a multipart upload is open, pg_dump is stopped where it is and killed.
        const until = Date.now() + 60_000;
        while (!(await fetch(`${moto.endpoint}/${BUCKET}?uploads`).then((r) => r.text())).includes('<UploadId>')) {
          if (Date.now() > until) throw new Error('no multipart upload began within 60s');
          await sleep(20);
        }
        const dump = pgDumpsOf(pg.port)[0]?.pid;
        expect(dump, 'pg_dump still runs when the upload has begun').toBeDefined();
        killPid(dump!, 'SIGKILL');
      },
    );
    expect(outcome.code, outcome.output).toBe(1);
    expect(String(stepOf(outcome.report, 'backup').reason)).toMatch(
      /^postgres\.backup: 127\.0\.0\.1:\d+\/big: pg_dump failed \(killed by SIGKILL\)/,
    );
    expect(keysUnder('cut/')).toEqual([]);
    expect(openUploads()).toEqual([]);
  });

  it('Ctrl-C while pg_dump waits: the run is interrupted, pg_dump is gone and no object is left', async () => {
    // A transaction holding the orders table makes pg_dump (and the fingerprint) wait for its lock.
    const locker = spawn(
      'psql',
      ['-X', '-q', '-d', pg.url('shop'), '-c', 'BEGIN', '-c', 'LOCK TABLE orders IN ACCESS EXCLUSIVE MODE', '-c', 'SELECT pg_sleep(60)'],
      { stdio: 'ignore' },
    );
    try {
      const outcome = await backup(
        `  - id: backup
    title: Back up the shop
    uses: postgres.backup
    with: { url: "\${{ inputs.db }}", to: "s3://${BUCKET}/interrupted/" }
`,
        {},
        async (pid) => {
          await waitFor(
            () => pg.psql(`SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pg_dump' AND wait_event_type = 'Lock'`) === '1',
            'pg_dump to wait for the lock',
            60_000,
            100,
          );
          killPid(pid, 'SIGINT');
        },
      );
      expect(outcome.code, outcome.output).toBe(130);
      expect(pgDumpsOf(pg.port)).toEqual([]);
      expect(keysUnder('interrupted/')).toEqual([]);
      expect(openUploads()).toEqual([]);
      expect(readdirSync(outcome.ws.path('tmp'))).toEqual(['.keep']);
    } finally {
      locker.kill('SIGKILL');
    }
  });
});

describe('postgres.backup arguments, checked by validate', () => {
  it('names each mistake on its line, and exits 2', () => {
    requireBuild();
    const ws = workspace('drctl-pg-backup-args-');
    ws.runbook(
      'rb.yaml',
      `${header('pg-backup-args', 'Back up the shop')}objectives: { rto: 1h }
inputs:
  db: { secret: true, env: SHOP_DB_URL }
steps:
  - id: backup
    title: Back up the shop
    uses: postgres.backup
    with: { url: "\${{ inputs.db }}", to: "ftp://backups/", format: tar }
  - id: jobs
    title: Jobs for a single stream
    uses: postgres.backup
    with: { url: "\${{ inputs.db }}", to: "s3://bucket/pg/", format: custom, jobs: 4 }
  - id: name
    title: A name outside the location
    uses: postgres.backup
    with: { url: "\${{ inputs.db }}", to: "s3://bucket/pg/", name: "../{database}-{date}" }
`,
    );
    const result = drctl(['validate', 'rb.yaml'], { cwd: ws.dir });
    expect(result.status, result.all).toBe(2);
    expect(result.all).toContain(
      'rb.yaml:13:42: error: postgres.backup: argument to: not an s3:// or file:// URI: expected s3://bucket/prefix/ or file:///dir/',
    );
    expect(result.all).toContain('rb.yaml:13:68: error: postgres.backup: argument format: expected one of plain-gzip, custom, directory');
    expect(result.all).toContain('error: postgres.backup: argument jobs: jobs applies to the directory format only (format: directory)');
    expect(result.all).toContain('error: postgres.backup: argument name: {date} is not a placeholder: use {database} and {time}');
  });
});
