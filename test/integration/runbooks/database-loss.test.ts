import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { TestMoto } from '../../support/moto.js';
import { hasMoto, startMoto } from '../../support/moto.js';
import type { TestPostgres } from '../../support/postgres.js';
import { hasPostgres, startPostgres } from '../../support/postgres.js';
import { requireTool } from '../../support/tools.js';
import { drctlCommandLine, header, TmuxSession } from '../run/helpers.js';
import type { Rehearsal } from './harness.js';
import { rehearsal } from './harness.js';

/**
 * The shipped database-loss runbook, start to finish, by name: backups made with the real pg_dump
 * and uploaded with the real aws CLI into moto's S3 (the backup job's `pg_dump | gzip`), or made
 * by postgres.backup with its manifest, streamed by postgres.restore into a real PostgreSQL, the application scaled through a recording kubectl, health checked against a tiny
 * HTTP server in this process.
 *
 * S3 stamps an object with its upload time (backup.latest goes by that, not by the name), so the
 * backups are uploaded a little more than a second apart and the incident start falls between
 * the good backup and the one taken after the disaster.
 */

const BUCKET = 'shop-backups';
const APP = 'backend worker';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** backup_YYYYmmdd_HHMMSS.sql.gz for this moment, in UTC, as the backup job names them. */
function backupName(at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/\.\d+Z$/, '')
    .replace(/-|:/g, '')
    .replace('T', '_');
  return `backup_${stamp}.sql.gz`;
}

describe.skipIf(
  !hasPostgres() || !hasMoto() || !requireTool('pg_dump', 'the database-loss rehearsal makes its backups with the real pg_dump'),
)('database-loss rehearsed end to end (real PostgreSQL, moto S3, recording kubectl)', () => {
  let pg: TestPostgres;
  let moto: TestMoto;
  let health: Server;
  let healthUrl: string;
  const keys = { old: '', good: '', late: '' };
  let incidentStart = '';

  const aws = (...args: string[]): string => {
    const result = spawnSync('aws', ['--endpoint-url', moto.endpoint, ...args], {
      env: { ...process.env, ...moto.env },
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (result.status !== 0) throw new Error(`aws ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
    return result.stdout;
  };

  /** pg_dump (plain SQL) | gzip of a database, uploaded with `aws s3 cp` as <prefix>backup_<now>.sql.gz. */
  const backup = (database: string, bucket: string, dir: string): string => {
    const name = backupName(new Date());
    const file = join(dir, name);
    const dump = spawnSync('bash', ['-o', 'pipefail', '-c', 'pg_dump -d "$URL" | gzip > "$OUT"'], {
      env: { ...process.env, URL: pg.url(database), OUT: file },
      encoding: 'utf8',
    });
    if (dump.status !== 0) throw new Error(`pg_dump failed: ${dump.stderr}`);
    aws('s3', 'cp', file, `s3://${bucket}/postgres/${name}`, '--only-show-errors');
    return `postgres/${name}`;
  };

  const recreateEmpty = (database: string): void => {
    pg.psql(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    pg.createDatabase(database);
  };

  const inputs = (r: Rehearsal, values: Record<string, unknown>): void => {
    const all = {
      kube_context: 'test-context',
      namespace: 'shop',
      app_deployments: APP,
      replicas: 2,
      backup_bucket: BUCKET,
      backup_prefix: 'postgres/',
      database_url: pg.url('shop'),
      health_url: healthUrl,
      poll_interval: '500ms',
      ...values,
    };
    writeFileSync(join(r.dir, 'inputs.yaml'), stringify(all));
  };

  const run = (r: Rehearsal, extra: string[] = []) =>
    r.drctl(['run', 'database-loss', '--yes', '--accept-manual', '--inputs-file', 'inputs.yaml', ...extra], {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });

  const scaleCalls = (r: Rehearsal): string[][] => r.kubectl.calls().filter((c) => c[0] === 'scale');

  beforeAll(async () => {
    [pg, moto] = await Promise.all([startPostgres(), startMoto()]);
    health = createServer((req, res) => {
      res.writeHead(req.url === '/health' ? 200 : 404, { 'content-type': 'text/plain' });
      res.end(req.url === '/health' ? 'ok' : 'not found');
    });
    await new Promise<void>((resolve) => health.listen(0, '127.0.0.1', resolve));
    healthUrl = `http://127.0.0.1:${(health.address() as { port: number }).port}/health`;

    // The application's database through three backups: an old one, the good one (the newest
    // before the incident), and one taken after the disaster began, which must not be chosen.
    const work = rehearsal().dir;
    aws('s3', 'mb', `s3://${BUCKET}`);
    pg.createDatabase('shop');
    pg.psql(
      `CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL);
         CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers, total numeric NOT NULL);
         CREATE INDEX orders_customer ON orders (customer_id);
         INSERT INTO customers VALUES (1, 'Ada'), (2, 'Grace');
         INSERT INTO orders VALUES (1, 1, 10.50), (2, 2, 20.00);`,
      'shop',
    );
    keys.old = backup('shop', BUCKET, work);
    await sleep(1200);
    pg.psql(`INSERT INTO orders VALUES (3, 1, 30.25)`, 'shop');
    keys.good = backup('shop', BUCKET, work);
    await sleep(1200);
    incidentStart = new Date().toISOString();
    await sleep(1200);
    pg.psql(`INSERT INTO orders VALUES (4, 2, 99.99), (5, 2, 0.01)`, 'shop');
    keys.late = backup('shop', BUCKET, work);
  });

  afterAll(async () => {
    pg?.stop();
    moto?.stop();
    await new Promise((resolve) => (health ? health.close(resolve) : resolve(undefined)));
  });

  it('database-loss restores the rows of the newest pg_dump backup before the incident (real PostgreSQL, moto S3, recording kubectl)', async () => {
    recreateEmpty('shop');
    const r = rehearsal({ env: moto.env });
    inputs(r, {});
    const result = await run(r, ['--incident-start', incidentStart]);
    expect(result.status, result.all).toBe(0);

    // The database holds exactly the good backup's rows: not the old one's, not the late one's.
    expect(pg.psql("SELECT id || ':' || customer_id || ':' || total FROM orders ORDER BY id", 'shop')).toBe(
      '1:1:10.50\n2:2:20.00\n3:1:30.25',
    );
    expect(pg.psql("SELECT string_agg(name, ',' ORDER BY id) FROM customers", 'shop')).toBe('Ada,Grace');
    expect(pg.psql("SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_customer'", 'shop')).toBe('1');

    // The application was stopped before the restore and started again with the replicas input.
    expect(scaleCalls(r)).toEqual([
      ['scale', 'deployment', 'backend', 'worker', '-n', 'shop', '--replicas=0'],
      ['scale', 'deployment', 'backend', 'worker', '-n', 'shop', '--replicas=2'],
    ]);
    expect(r.kubectl.calls()).toContainEqual(['rollout', 'status', 'deployment/backend', '-n', 'shop', '--timeout=8m']);

    // The restore's confirmation names the backup (key, size, age at the incident start) and the
    // target (database, host and port), in words the operator can check before saying yes.
    const confirmation = new RegExp(
      `confirmed by --yes: Restore backup ${keys.good.replace(/\./g, '\\.')} \\((\\d+(\\.\\d)? (B|KiB)), taken ([\\d.]+s) before the incident start\\) into database shop on 127\\.0\\.0\\.1:${pg.port}\\?`,
    );
    expect(result.all).toMatch(confirmation);
    // The restore streamed the object (no download) and verified the dump was complete.
    expect(result.all).toContain(`restored s3://${BUCKET}/${keys.good} (plain-gzip`);

    const report = r.report();
    expect(report.status).toBe('succeeded');
    expect(report.rpo).toEqual({
      target_s: 900,
      achieved_s: expect.any(Number) as number,
      met: true,
      evidence: `s3://${BUCKET}/${keys.good}`,
      verdict: 'met',
    });
    const step = (id: string) => report.steps.find((s) => s.id === id)!;
    expect(step('find-backup').outputs).toMatchObject({ key: keys.good, uri: `s3://${BUCKET}/${keys.good}` });
    expect(step('restore-database').outputs).toMatchObject({ format: 'plain-gzip', tables: 2 });
    expect(step('verify-restore').status).toBe('succeeded');
    // An old-style backup has no manifest: the integrity check is skipped, saying why.
    expect(step('find-backup').outputs.manifest).toBe('');
    expect(step('check-integrity')).toMatchObject({ status: 'skipped', reason: expect.stringContaining('manifest') as string });
    expect(step('health-check').outputs).toMatchObject({ status: 200 });
    expect(step('test-restore-scratch').status).toBe('skipped');
    // The connection string never reaches the report.
    expect(JSON.stringify(report)).not.toContain(pg.url('shop'));
    // Nothing was written to this machine's disk: no download to clean up.
    expect(report.cleanup).toEqual([]);
  });

  it('in a real 80-column terminal, the restore confirmation names the backup (key, size, age) and the target database, host and port', async () => {
    if (!requireTool('tmux', 'the terminal test drives a real terminal')) return;
    recreateEmpty('shop');
    const r = rehearsal({ env: moto.env });
    inputs(r, {});
    // A rehearsal first: the terminal run starts at the restore with the outputs of this one.
    expect((await run(r, ['--incident-start', incidentStart])).status).toBe(0);
    const terminal = new TmuxSession();
    try {
      terminal.start(
        drctlCommandLine(
          [
            'run',
            'database-loss',
            '--inputs-file',
            'inputs.yaml',
            '--incident-start',
            incidentStart,
            '--state-dir',
            r.stateDir,
            ...['--start-at', 'restore-database', '--outputs-from', 'latest'],
          ],
          { cwd: r.dir, env: { ...moto.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }, path: [r.kubectl.binDir] },
        ),
        80,
      );
      const screen = await terminal.waitForScreen(/into database shop on 127\.0\.0\.1:\d+\?/, 'the restore confirmation', 60_000);
      const question = screen.replace(/\n\s*/g, ' ');
      expect(question).toContain(`Restore backup ${keys.good} (`);
      expect(question).toMatch(/\((\d+(\.\d)? (B|KiB)), taken [\d.]+s before the incident start\)/);
      expect(question).toContain(`into database shop on 127.0.0.1:${pg.port}?`);
      // Everything drctl lays out fits in 80 columns; only the command itself is shown as written,
      // and a word longer than a line (a path) is not cut.
      const [before, after] = screen.split(/\n {2}\$ [\s\S]*?\n(?= {2}env\n)/);
      for (const line of `${before}\n${after}`.split('\n')) if (/\s/.test(line.trim())) expect(line.length, line).toBeLessThanOrEqual(80);
    } finally {
      terminal.kill();
    }
  });

  it('database-loss restores the backup named in backup_key instead of the newest, after rehearsing it in the scratch database', async () => {
    recreateEmpty('shop');
    recreateEmpty('scratch');
    // What the scratch database holds already: dropped inside the rehearsal's transaction only.
    pg.psql("CREATE TABLE leftover (v text); INSERT INTO leftover VALUES ('kept');", 'scratch');
    const r = rehearsal({ env: moto.env });
    inputs(r, { backup_key: keys.old.replace('postgres/', ''), scratch_database_url: pg.url('scratch') });
    const result = await run(r, ['--incident-start', incidentStart]);
    expect(result.status, result.all).toBe(0);
    expect(pg.psql("SELECT string_agg(id::text, ',' ORDER BY id) FROM orders", 'shop')).toBe('1,2');
    expect(r.report().rpo).toMatchObject({ evidence: `s3://${BUCKET}/${keys.old}`, met: true });
    // The rehearsal restored the dump in a transaction it rolled back: the scratch database is as it was.
    expect(r.report().steps.find((s) => s.id === 'test-restore-scratch')!.status).toBe('succeeded');
    expect(result.all).toMatch(
      new RegExp(
        `rehearsed s3://${BUCKET}/${keys.old.replace(/\./g, '\\.')} \\(plain-gzip, [^)]*\\) into 127\\.0\\.0\\.1:${pg.port}/scratch: 2 tables, 4 rows in \\S+, then rolled back`,
      ),
    );
    expect(pg.psql("SELECT string_agg(table_name, ',') FROM information_schema.tables WHERE table_schema = 'public'", 'scratch')).toBe(
      'leftover',
    );
    expect(pg.psql('SELECT v FROM leftover', 'scratch')).toBe('kept');
  });

  /**
   * A database `source` with two tables (one without a primary key), backed up by postgres.backup
   * (plain-gzip, its manifest beside it) into s3://<bucket>/postgres/, and the incident start
   * a little after that backup. Returns the backup's key.
   */
  const managedBackup = async (bucket: string): Promise<{ key: string; incident: string }> => {
    aws('s3', 'mb', `s3://${bucket}`);
    recreateEmpty('source');
    pg.psql(
      `CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL);
         INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 500) g;
         CREATE TABLE notes (body text);
         INSERT INTO notes VALUES ('same'), ('same'), ('other');`,
      'source',
    );
    const r = rehearsal({ env: moto.env });
    writeFileSync(
      join(r.dir, 'backup.yaml'),
      `${header('take-backup', 'Take a backup')}inputs:
  db: { secret: true, env: SOURCE_DB_URL }
steps:
  - id: backup
    title: Back up the source database
    uses: postgres.backup
    with: { url: "\${{ inputs.db }}", to: "s3://${bucket}/postgres/" }
`,
    );
    const made = await r.drctl(['run', 'backup.yaml', '--yes'], {
      SOURCE_DB_URL: pg.url('source'),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
    expect(made.status, made.all).toBe(0);
    const key = r.report().steps.find((s) => s.id === 'backup')!.outputs.key as string;
    await sleep(1200);
    return { key, incident: new Date().toISOString() };
  };

  const sameRows = (database: string): string =>
    pg.psql(
      "SELECT (SELECT string_agg(id || ':' || name, ',' ORDER BY id) FROM customers) || '|' || (SELECT string_agg(body, ',' ORDER BY body) FROM notes)",
      database,
    );

  it('database-loss restores a backup made by postgres.backup and proves the restored data equals its manifest', async () => {
    const { key, incident } = await managedBackup('managed-backups');
    expect(key).toMatch(/^postgres\/source-\d{8}T\d{6}Z\.sql\.gz$/);
    recreateEmpty('restored');
    const r = rehearsal({ env: moto.env });
    inputs(r, { backup_bucket: 'managed-backups', database_url: pg.url('restored') });
    const result = await run(r, ['--incident-start', incident]);
    expect(result.status, result.all).toBe(0);
    expect(sameRows('restored')).toBe(sameRows('source'));
    const report = r.report();
    const step = (id: string) => report.steps.find((s) => s.id === id)!;
    expect(step('find-backup').outputs).toMatchObject({ key, manifest: `s3://managed-backups/${key}.manifest.json` });
    expect(step('restore-database').outputs).toMatchObject({ format: 'plain-gzip', tables: 2 });
    expect(step('check-integrity').status).toBe('succeeded');
    expect(result.all).toContain(`2 tables, 503 rows: all match s3://managed-backups/${key}.manifest.json`);
    // The report's integrity evidence: the restored database against the manifest, every table equal.
    expect(report.integrity).toEqual([expect.objectContaining({ database: 'restored', tables: 2, rows: 503, differences: [], ok: true })]);
  });

  it('database-loss stops at the restore of a corrupted backup with nothing committed: the database stays empty', async () => {
    const { key } = await managedBackup('corrupt-backups');
    // Bit rot: one byte in the middle of the object changes; the object keeps the sha256 tag it was uploaded with.
    const work = rehearsal().dir;
    const file = join(work, 'backup.sql.gz');
    aws('s3', 'cp', `s3://corrupt-backups/${key}`, file, '--only-show-errors');
    const tags = JSON.parse(aws('s3api', 'get-object-tagging', '--bucket', 'corrupt-backups', '--key', key)) as {
      TagSet: Array<{ Key: string; Value: string }>;
    };
    const sha256 = tags.TagSet.find((t) => t.Key === 'sha256')!.Value;
    const bytes = readFileSync(file);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = bytes[middle]! ^ 0xff;
    writeFileSync(file, bytes);
    aws('s3api', 'put-object', '--bucket', 'corrupt-backups', '--key', key, '--body', file, '--tagging', `sha256=${sha256}`);
    await sleep(1200);
    const incident = new Date().toISOString();
    recreateEmpty('restored');
    const r = rehearsal({ env: moto.env });
    inputs(r, { backup_bucket: 'corrupt-backups', database_url: pg.url('restored') });
    const result = await run(r, ['--incident-start', incident]);
    expect(result.status, result.all).toBe(1);
    const report = r.report();
    expect(report.status).toBe('failed');
    expect(report.steps.find((s) => s.id === 'restore-database')!).toMatchObject({
      status: 'failed',
      reason: expect.stringContaining('postgres.restore:') as string,
    });
    expect(report.steps.find((s) => s.id === 'check-integrity')!.status).toBe('not_run');
    // Nothing was committed: the database holds no table, and the application was not started again.
    expect(pg.psql("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'", 'restored')).toBe('0');
    expect(scaleCalls(r)).toEqual([['scale', 'deployment', 'backend', 'worker', '-n', 'shop', '--replicas=0']]);
  });

  it('the scratch rehearsal of a tampered dump refuses its backslash commands (no shell command runs): the run stops before the real restore', async () => {
    aws('s3', 'mb', 's3://tampered-backups');
    const work = rehearsal().dir;
    const marker = join(work, 'pwned');
    // A dump someone changed on its way to the bucket: a shell command in the middle, and no \restrict of its own.
    const dump = spawnSync('pg_dump', ['-d', pg.url('shop')], { encoding: 'utf8' });
    if (dump.status !== 0) throw new Error(`pg_dump failed: ${dump.stderr}`);
    const plain = dump.stdout.replace(/^\\(un)?restrict .*\n/gm, '');
    const at = plain.indexOf('COPY ');
    const name = backupName(new Date());
    writeFileSync(join(work, name), gzipSync(`${plain.slice(0, at)}\\! touch ${marker}\n${plain.slice(at)}`));
    aws('s3', 'cp', join(work, name), `s3://tampered-backups/postgres/${name}`, '--only-show-errors');
    await sleep(1200);
    const incident = new Date().toISOString();
    recreateEmpty('restored');
    recreateEmpty('scratch');
    const r = rehearsal({ env: moto.env });
    inputs(r, { backup_bucket: 'tampered-backups', database_url: pg.url('restored'), scratch_database_url: pg.url('scratch') });
    const result = await run(r, ['--incident-start', incident]);
    expect(result.status, result.all).toBe(1);
    expect(existsSync(marker)).toBe(false);
    const report = r.report();
    expect(report.steps.find((s) => s.id === 'test-restore-scratch')!).toMatchObject({
      status: 'failed',
      reason: expect.stringContaining('nothing was committed') as string,
    });
    expect(report.steps.find((s) => s.id === 'restore-database')!.status).toBe('not_run');
    expect(pg.psql("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'", 'scratch')).toBe('0');
    expect(pg.psql("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'", 'restored')).toBe('0');
  });

  it('a backup that restores no table fails the scratch rehearsal, as the seeds check it: the run stops before the real restore', async () => {
    aws('s3', 'mb', 's3://tableless-backups');
    recreateEmpty('void');
    backup('void', 'tableless-backups', rehearsal().dir);
    await sleep(1200);
    const incident = new Date().toISOString();
    recreateEmpty('restored');
    recreateEmpty('scratch');
    const r = rehearsal({ env: moto.env });
    inputs(r, { backup_bucket: 'tableless-backups', database_url: pg.url('restored'), scratch_database_url: pg.url('scratch') });
    const result = await run(r, ['--incident-start', incident]);
    expect(result.status, result.all).toBe(1);
    const report = r.report();
    expect(report.steps.find((s) => s.id === 'test-restore-scratch')!).toMatchObject({
      status: 'failed',
      reason: expect.stringContaining('tables') as string,
    });
    expect(report.steps.find((s) => s.id === 'restore-database')!.status).toBe('not_run');
  });

  it('database-loss stops at "no backups" on an empty bucket, with the database untouched and the application still running', async () => {
    aws('s3', 'mb', 's3://empty-backups');
    recreateEmpty('keep');
    pg.psql('CREATE TABLE precious (v int); INSERT INTO precious VALUES (42);', 'keep');
    const r = rehearsal({ env: moto.env });
    inputs(r, { backup_bucket: 'empty-backups', database_url: pg.url('keep') });
    const result = await run(r);
    expect(result.status, result.all).toBe(1);
    expect(result.all).toContain('backup.latest: s3://empty-backups/postgres/: no backups matching "*.sql.gz"');
    expect(pg.psql("SELECT string_agg(v::text, ',') FROM precious", 'keep')).toBe('42');
    expect(scaleCalls(r)).toEqual([]);
    const report = r.report();
    expect(report.status).toBe('failed');
    expect(report.steps.find((s) => s.id === 'find-backup')!.status).toBe('failed');
    expect(report.steps.find((s) => s.id === 'stop-app')!.status).toBe('not_run');
  });

  it('database-loss refuses a backup taken after the incident start, and changes nothing', async () => {
    aws('s3', 'mb', 's3://late-backups');
    recreateEmpty('keep');
    pg.psql('CREATE TABLE precious (v int); INSERT INTO precious VALUES (42);', 'keep');
    const before = new Date().toISOString();
    await sleep(1200);
    const late = backup('keep', 'late-backups', rehearsal().dir);
    const r = rehearsal({ env: moto.env });
    inputs(r, { backup_bucket: 'late-backups', database_url: pg.url('keep') });
    const result = await run(r, ['--incident-start', before]);
    expect(result.status, result.all).toBe(1);
    expect(result.all).toContain(`the only backups matching "*.sql.gz" are newer than the incident start`);
    expect(result.all).toContain(`s3://late-backups/${late}`);
    // Not retried (find-backup has retries: { attempts: 2 }): trying again cannot change it.
    expect(r.journal().filter((e) => e.type === 'step.attempt' && e.step === 'find-backup')).toHaveLength(1);
    expect(r.report().steps.find((s) => s.id === 'find-backup')!.reason).toContain('(not retried: trying again cannot change this)');
    expect(pg.psql("SELECT string_agg(v::text, ',') FROM precious", 'keep')).toBe('42');
    expect(scaleCalls(r)).toEqual([]);
    expect(r.report().rpo).toBeNull();
  });

  it('database-loss shows the row counts of a database owned by a role that is not a superuser, with no ANALYZE warnings', async () => {
    // The application's own role, as on a managed database: ANALYZE of the whole database would
    // warn "skipping" for every system catalog it may not analyze.
    pg.psql(`DO $$ BEGIN CREATE ROLE shop_owner LOGIN PASSWORD 'Own3r-pw'; EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
    pg.psql('DROP DATABASE IF EXISTS owned WITH (FORCE)');
    pg.psql('CREATE DATABASE owned OWNER shop_owner');
    pg.psql(
      `SET ROLE shop_owner;
         CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL);
         INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 1234) g;`,
      'owned',
    );
    const ownerUrl = pg.url('owned').replace('postgres@', 'shop_owner:Own3r-pw@');
    const r = rehearsal({ env: moto.env });
    inputs(r, { database_url: ownerUrl });
    // From the data summary on: the steps before it need a lost database, and their outputs are given.
    const result = await run(r, [
      '--start-at',
      'data-summary',
      '--output',
      `find-backup.key=${keys.good}`,
      '--output',
      'find-backup.age_s=60',
      '--output',
      'find-backup.last_modified=2026-11-22T03:00:00Z',
    ]);
    expect(result.status, result.all).toBe(0);
    expect(result.all).toMatch(/public\.customers\s+\|\s+1234/);
    expect(result.all).not.toMatch(/WARNING:\s+skipping/);
    // The card shows where the summary connects, the password masked.
    expect(result.all).toMatch(new RegExp(`\\n\\s+postgres\\s+postgresql://shop_owner:\\*\\*\\*@127\\.0\\.0\\.1:${pg.port}/owned\\n`));
    expect(result.all).not.toContain('Own3r-pw');
  });

  it('database-loss on a wrong kubectl context fails preflight (exit 2): no run, no kubectl call but the context check', async () => {
    recreateEmpty('keep');
    pg.psql('CREATE TABLE precious (v int); INSERT INTO precious VALUES (42);', 'keep');
    const r = rehearsal({ kubeContext: 'someone-elses-cluster', env: moto.env });
    inputs(r, { database_url: pg.url('keep') });
    const result = await run(r, ['--incident-start', incidentStart]);
    expect(result.status, result.all).toBe(2);
    expect(result.stderr).toContain('preflight failed, nothing was changed');
    expect(result.stderr).toContain('kubectl points at the right cluster');
    const runs = join(r.stateDir, 'runs');
    expect(existsSync(runs) ? readdirSync(runs) : []).toEqual([]);
    const calls = r.kubectl.calls();
    expect(calls.length).toBeGreaterThan(0);
    expect(
      calls.every((c) => c.join(' ') === 'config current-context'),
      JSON.stringify(calls),
    ).toBe(true);
    expect(pg.psql("SELECT string_agg(v::text, ',') FROM precious", 'keep')).toBe('42');
  });
});
