import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupManifest } from '../../../src/actions/backup/manifest.js';
import { serializeManifest } from '../../../src/actions/backup/manifest.js';
import type { DatabaseFingerprint, FingerprintMethod } from '../../../src/actions/postgres/fingerprint-core.js';
import { fingerprintDatabase } from '../../../src/actions/postgres/fingerprint-core.js';
import type { TestMoto } from '../../support/moto.js';
import { hasMoto, startMoto } from '../../support/moto.js';
import type { TestPostgres } from '../../support/postgres.js';
import { hasPostgres, startPostgres } from '../../support/postgres.js';
import { requireTool } from '../../support/tools.js';
import type { CliResult, Report, Workspace } from '../run/helpers.js';
import { drctl, header, onlyRunId, readReport, requireBuild, stepOf, workspace } from '../run/helpers.js';

/**
 * A plain backup's manifest is fingerprinted from the dump's own data blocks as they stream through
 * drctl (drctl-fp2); postgres.fingerprint reads each table back with COPY and must find the very
 * same sums: in the source, and in the database the backup restores into, for tables whose text is
 * hard to get byte for byte right (quoted names with dots and quotes, bytea, arrays, json, NULLs,
 * tabs, newlines and backslashes, unicode, a row of megabytes, a generated and a dropped column,
 * duplicates, an empty table, partitions and inheritance) in a database whose own settings (time
 * zone, bytea output) differ from the ones a fingerprint reads with.
 */

const BUCKET = 'fp-backups';
const WEIRD_SCHEMA = '"we.ird ""schema"""';
const WEIRD_TABLE = '"Tab.le ""x"""';

const SOURCE_SQL = `
CREATE SCHEMA ${WEIRD_SCHEMA};
CREATE TABLE ${WEIRD_SCHEMA}.${WEIRD_TABLE} (
  id int PRIMARY KEY, gone text, b bytea, arr text[], j json, jb jsonb, t text, ts timestamptz, f float8, n numeric,
  twice int GENERATED ALWAYS AS (id * 2) STORED, "Ünï ""code""" text);
ALTER TABLE ${WEIRD_SCHEMA}.${WEIRD_TABLE} DROP COLUMN gone;
INSERT INTO ${WEIRD_SCHEMA}.${WEIRD_TABLE} (id, b, arr, j, jb, t, ts, f, n, "Ünï ""code""") VALUES
  (1, '\\x00ff0a5c09'::bytea, ARRAY['a', NULL, 'with "quote"', 'back\\slash'], '{"k": [1, 2.50, null]}', '{"b": 1, "a": "x"}',
   E'tab\\there\\nnewline\\r\\ncrlf \\\\ backslash', '2024-05-01 12:00:00.123456+02', 0.1, 123456789.000000001, '日本語 🎉 ünï'),
  (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (3, '', '{}', '[]', '[]', '', '-infinity', 'NaN', '-0.5', ''),
  (4, NULL, NULL, NULL, NULL, repeat('megabyte row ', 300000), now(), 1e300, 1e-30, repeat('ü', 70000));
CREATE TABLE dups (word text, n int);
INSERT INTO dups VALUES ('same', 1), ('same', 1), ('same', 1), ('other', NULL);
CREATE TABLE empty (id int PRIMARY KEY);
CREATE TABLE measurements (at date NOT NULL, v int) PARTITION BY RANGE (at);
CREATE TABLE measurements_2024 PARTITION OF measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE measurements_2025 PARTITION OF measurements FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
INSERT INTO measurements SELECT date '2024-06-01' + i * 2, i FROM generate_series(1, 200) i;
CREATE TABLE parent (id int, note text);
CREATE TABLE child (extra text) INHERITS (parent);
INSERT INTO parent VALUES (1, 'parent row');
INSERT INTO child VALUES (2, 'child row', 'more');
CREATE UNLOGGED TABLE scratch (id int, v text);
INSERT INTO scratch SELECT i, md5(i::text) FROM generate_series(1, 100) i;
`;

const tools = hasPostgres() && hasMoto() && requireTool('pg_dump', 'postgres.backup runs the real pg_dump');

describe.skipIf(!tools)('postgres.backup manifests fingerprinted from the dump, against postgres.fingerprint', () => {
  let pg: TestPostgres;
  let moto: TestMoto;
  let source: DatabaseFingerprint;
  let restores = 0;
  let ws: Workspace;

  const fingerprint = (database: string, method?: FingerprintMethod): Promise<DatabaseFingerprint> =>
    fingerprintDatabase({ url: pg.url(database) }, { signal: AbortSignal.timeout(120_000), method });
  const freshDatabase = (): string => {
    const name = `restored_${++restores}`;
    pg.createDatabase(name);
    return name;
  };
  const aws = (...args: string[]): string => {
    const result = spawnSync('aws', args, { env: { ...process.env, ...moto.env }, encoding: 'utf8', timeout: 120_000 });
    if (result.status !== 0) throw new Error(`aws ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
    return result.stdout;
  };

  function run(steps: string): { result: CliResult; report: Report } {
    const dir = workspace('drctl-fp-backup-');
    dir.runbook(
      'rb.yaml',
      `${header('fp-backup', 'Back up and check the odd database')}objectives: { rto: 1h }
inputs:
  db: { secret: true, env: ODD_DB_URL }
steps:
${steps}`,
    );
    const result = drctl(['run', dir.path('rb.yaml'), '--yes', '--state-dir', dir.stateDir], {
      cwd: ws.dir,
      env: { ...moto.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ODD_DB_URL: pg.url('odd') },
      timeoutMs: 180_000,
    });
    return { result, report: readReport(dir.stateDir, onlyRunId(dir.stateDir)) };
  }

  beforeAll(async () => {
    requireBuild();
    [pg, moto] = await Promise.all([startPostgres(), startMoto()]);
    aws('s3', 'mb', `s3://${BUCKET}`);
    pg.createDatabase('odd');
    // The database's own settings differ from those a fingerprint reads with (UTC, hex).
    pg.psql("ALTER DATABASE odd SET timezone = 'America/New_York'; ALTER DATABASE odd SET bytea_output = 'escape'");
    pg.psql(SOURCE_SQL, 'odd');
    source = await fingerprint('odd');
    ws = workspace('drctl-fp-backup-');
  }, 120_000);

  afterAll(() => {
    pg?.stop();
    moto?.stop();
    ws?.remove();
  });

  it('postgres.fingerprint lists every table holding rows as pg_dump dumps them: leaf partitions, parent and child apart', () => {
    expect(source.method).toBe('drctl-fp2');
    expect(source.tables.map((t) => [`${t.schema}.${t.table}`, t.rows, t.ordered_by])).toEqual([
      ['public.child', 1, 'all columns'],
      ['public.dups', 4, 'all columns'],
      ['public.empty', 0, 'primary key'],
      ['public.measurements_2024', 106, 'all columns'],
      ['public.measurements_2025', 94, 'all columns'],
      ['public.parent', 1, 'all columns'],
      ['public.scratch', 100, 'all columns'],
      ['we.ird "schema".Tab.le "x"', 4, 'primary key'],
    ]);
  });

  it("plain-gzip into S3: the manifest's sums (taken from the dump) equal postgres.fingerprint of the source and of the restored database", async () => {
    const { result, report } = run(`  - id: backup
    title: Back up the odd database
    uses: postgres.backup
    with: { url: "\${{ inputs.db }}", to: "s3://${BUCKET}/plain/" }
`);
    expect(result.status, result.all).toBe(0);
    // Every table's sums came from the dump itself: none had to be read again.
    expect(result.all).toContain("fingerprinted 8 tables from the dump's data as it streamed, 0 read with COPY in its snapshot");
    const outputs = stepOf(report, 'backup').outputs;
    aws('s3', 'cp', '--quiet', String(outputs.manifest), ws.path('plain.manifest.json'));
    aws('s3', 'cp', '--quiet', String(outputs.location), ws.path('plain.sql.gz'));
    const manifest = JSON.parse(readFileSync(ws.path('plain.manifest.json'), 'utf8')) as BackupManifest;
    expect(manifest.fingerprint_method).toBe('drctl-fp2');
    expect(manifest.tables).toEqual(source.tables);

    const target = freshDatabase();
    execFileSync('sh', ['-c', `gunzip -c plain.sql.gz | psql -X -q -v ON_ERROR_STOP=1 --single-transaction -d '${pg.url(target)}'`], {
      cwd: ws.dir,
      stdio: 'pipe',
    });
    expect((await fingerprint(target)).tables).toEqual(manifest.tables);
  });

  it('custom into file://: the fingerprint taken in the dump snapshot equals that of the database pg_restore restores', async () => {
    const { result, report } = run(`  - id: backup
    title: Back up the odd database
    uses: postgres.backup
    with: { url: "\${{ inputs.db }}", to: "file://./custom/", format: custom }
`);
    expect(result.status, result.all).toBe(0);
    const path = String(stepOf(report, 'backup').outputs.location).replace(/^file:\/\//, '');
    const manifest = JSON.parse(readFileSync(`${path}.manifest.json`, 'utf8')) as BackupManifest;
    expect(manifest.fingerprint_method).toBe('drctl-fp2');
    expect(manifest.tables).toEqual(source.tables);
    const target = freshDatabase();
    execFileSync('pg_restore', ['--no-owner', '--exit-on-error', '-d', pg.url(target), path], { stdio: 'pipe' });
    expect((await fingerprint(target)).tables).toEqual(manifest.tables);
  });

  it('backup.verify passes on the plain backup; postgres.fingerprint against it names the one table with one changed row', () => {
    expect(ws.exists('plain.sql.gz'), 'the plain-gzip test ran first').toBe(true);
    const plain = ws.path('plain.sql.gz');
    const backup = ws.path('backups', 'odd.sql.gz');
    execFileSync('mkdir', ['-p', ws.path('backups')]);
    execFileSync('cp', [plain, backup]);
    execFileSync('cp', [ws.path('plain.manifest.json'), `${backup}.manifest.json`]);

    const scratch = freshDatabase();
    const verify = run(`  - id: verify
    title: Verify the backup
    uses: backup.verify
    with: { backup: "file://${backup}", scratch: "${pg.url(scratch)}" }
`);
    expect(verify.result.status, verify.result.all).toBe(0);
    expect(stepOf(verify.report, 'verify').outputs).toMatchObject({ tables: 8, differences: 0 });

    pg.psql(`UPDATE ${WEIRD_SCHEMA}.${WEIRD_TABLE} SET t = t || '!' WHERE id = 1`, scratch);
    const compare = run(`  - id: check
    title: Compare with the backup
    uses: postgres.fingerprint
    with: { url: "${pg.url(scratch)}", compare_with: "file://${backup}" }
`);
    expect(compare.result.status, compare.result.all).toBe(1);
    expect(stepOf(compare.report, 'check').reason).toBe(
      `postgres.fingerprint: 127.0.0.1:${pg.port}/${scratch}: 1 table of ${scratch} differs from file://${backup}.manifest.json: ` +
        'we.ird "schema".Tab.le "x": content differs (row count 4 in both)',
    );
  });

  it('a manifest of an earlier drctl (md5 checksums, no fingerprint_method) is still compared like with like, and says so', async () => {
    const backup = ws.path('backups', 'old.sql.gz');
    execFileSync('cp', [ws.path('plain.sql.gz'), backup]);
    const current = JSON.parse(readFileSync(ws.path('plain.manifest.json'), 'utf8')) as BackupManifest;
    const fp1 = await fingerprint('odd', 'drctl-fp1');
    expect(fp1.tables.map((t) => t.sha256)).not.toEqual(source.tables.map((t) => t.sha256));
    const { fingerprint_method: _method, ...rest } = current;
    writeFileSync(`${backup}.manifest.json`, serializeManifest({ ...rest, object: `file://${backup}`, tables: fp1.tables }));
    const verify = run(`  - id: verify
    title: Verify the old backup
    uses: backup.verify
    with: { backup: "file://${backup}", scratch: "${pg.url(freshDatabase())}" }
`);
    expect(verify.result.status, verify.result.all).toBe(0);
    expect(verify.result.all).toContain(
      "the manifest's checksums are drctl-fp1 (an earlier drctl's): the restored data is fingerprinted the same way",
    );
    expect(stepOf(verify.report, 'verify').outputs).toMatchObject({ tables: 8, differences: 0 });
    // postgres.fingerprint (as database-loss checks a restore) does the same with that manifest.
    const compare = run(`  - id: check
    title: Compare with the old backup
    uses: postgres.fingerprint
    with: { url: "\${{ inputs.db }}", compare_with: "file://${backup}" }
`);
    expect(compare.result.status, compare.result.all).toBe(0);
    expect(compare.result.all).toContain(`file://${backup}.manifest.json holds drctl-fp1 checksums (an earlier drctl's)`);
    expect(stepOf(compare.report, 'check').outputs.summary).toBe(`8 tables, 310 rows: all match file://${backup}.manifest.json`);
  });
});
