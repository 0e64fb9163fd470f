import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupManifest } from '../../../src/actions/backup/manifest.js';
import { serializeManifest } from '../../../src/actions/backup/manifest.js';
import type { DatabaseFingerprint } from '../../../src/actions/postgres/fingerprint-core.js';
import { fingerprintDatabase } from '../../../src/actions/postgres/fingerprint-core.js';
import type { TestPostgres } from '../../support/postgres.js';
import { hasPostgres, startPostgres } from '../../support/postgres.js';
import type { CliResult, Report, Workspace } from '../run/helpers.js';
import { drctl, header, onlyRunId, readJournal, readReport, requireBuild, stepOf, workspace } from '../run/helpers.js';

/**
 * postgres.fingerprint against a real PostgreSQL: per table a row count and a checksum computed in
 * the server, compared with an earlier fingerprint or a backup's manifest; the step fails naming
 * each table that differs, and the report carries the evidence.
 */

const SCHEMA = `
CREATE TABLE orders (id bigint PRIMARY KEY, note text, total numeric(10,2), placed_at timestamptz NOT NULL);
INSERT INTO orders SELECT i, CASE WHEN i % 3 = 0 THEN NULL ELSE 'order ' || i END, i * 1.5,
  timestamptz '2024-05-01 12:00:00+00' + i * interval '1 minute' FROM generate_series(1, 500) i;
CREATE TABLE events (kind text, detail jsonb);
INSERT INTO events VALUES ('login', NULL), ('login', NULL), ('logout', '{"n": 1}'), (NULL, '{}');
CREATE TABLE empty (id int PRIMARY KEY);
CREATE SCHEMA audit;
CREATE TABLE audit.log (id int PRIMARY KEY, line text);
INSERT INTO audit.log VALUES (1, 'a'), (2, NULL);
`;

const runbook = (steps: string): string => `${header('fingerprint', 'Fingerprint the shop')}objectives:
  rto: 10m
inputs:
  db: { secret: true, env: SHOP_DB_URL, description: Connection URL of the shop database }
steps:
${steps}`;

interface Outcome {
  result: CliResult;
  report: Report;
  ws: Workspace;
}

describe.skipIf(!hasPostgres())('postgres.fingerprint against a real PostgreSQL', () => {
  let pg: TestPostgres;
  let copies = 0;

  beforeAll(async () => {
    requireBuild();
    pg = await startPostgres();
    pg.createDatabase('shop');
    pg.psql(SCHEMA, 'shop');
  }, 60_000);

  afterAll(() => pg?.stop());

  /** A database of its own, a copy of shop, for a test that changes data. */
  function copyOfShop(): string {
    const name = `shop_${++copies}`;
    pg.psql(`CREATE DATABASE ${name} TEMPLATE shop`);
    return name;
  }

  const fingerprint = (database: string): Promise<DatabaseFingerprint> =>
    fingerprintDatabase({ url: pg.url(database) }, { signal: new AbortController().signal });

  function run(database: string, steps: string, ws = workspace('drctl-fp-'), extra: string[] = []): Outcome {
    ws.runbook('rb.yaml', runbook(steps));
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir, ...extra], {
      cwd: ws.dir,
      env: { SHOP_DB_URL: pg.url(database) },
      timeoutMs: 60_000,
    });
    return { result, report: readReport(ws.stateDir, onlyRunId(ws.stateDir)), ws };
  }

  it('fingerprints every user table: row counts, tables with and without a primary key, an empty one, other schemas', async () => {
    const fp = await fingerprint('shop');
    expect(fp.database).toBe('shop');
    expect(fp.server_version).toMatch(/^\d+/);
    expect(Date.parse(fp.taken_at)).not.toBeNaN();
    expect(fp.tables.map((t) => [`${t.schema}.${t.table}`, t.rows, t.ordered_by])).toEqual([
      ['audit.log', 2, 'primary key'],
      ['public.empty', 0, 'primary key'],
      ['public.events', 4, 'all columns'],
      ['public.orders', 500, 'primary key'],
    ]);
    for (const t of fp.tables) expect(t.sha256).toMatch(/^[0-9a-f]{64}$/);
    // The same data, fingerprinted again, gives the same checksums.
    expect((await fingerprint('shop')).tables).toEqual(fp.tables);
  });

  it('sees a NULL turned into an empty string, a duplicate row dropped, and not the order rows are stored in', async () => {
    const db = copyOfShop();
    const before = await fingerprint(db);
    // Rewriting a row moves it on disk (a new version at the end of the table): the order changes, the data does not.
    pg.psql('UPDATE orders SET total = total WHERE id <= 250', db);
    expect(pg.psql('SELECT id FROM orders LIMIT 1', db), 'the rows are stored in another order').toBe('251');
    expect((await fingerprint(db)).tables).toEqual(before.tables);
    pg.psql(
      "UPDATE orders SET note = '' WHERE id = 3; DELETE FROM events WHERE ctid = (SELECT min(ctid) FROM events WHERE kind = 'login')",
      db,
    );
    const after = await fingerprint(db);
    const changed = after.tables.filter((t, i) => t.sha256 !== before.tables[i]!.sha256).map((t) => `${t.schema}.${t.table}`);
    expect(changed).toEqual(['public.events', 'public.orders']);
    expect(after.tables.find((t) => t.table === 'events')!.rows).toBe(3);
  });

  it('compares with the fingerprint an earlier step took: a run that changed nothing passes, and the report holds the evidence', () => {
    const { result, report, ws } = run(
      'shop',
      `  - id: before
    title: Fingerprint before
    uses: postgres.fingerprint
    with:
      url: \${{ inputs.db }}
  - id: after
    title: Fingerprint after
    uses: postgres.fingerprint
    with:
      url: \${{ inputs.db }}
      compare_with: \${{ steps.before.outputs.fingerprint }}
`,
      undefined,
      ['--report', 'md:report.md'],
    );
    expect(result.status, result.all).toBe(0);
    expect(stepOf(report, 'before').outputs).toMatchObject({ tables: 4, rows: 506, differences: 0 });
    expect(stepOf(report, 'before').outputs.summary).toMatch(/^4 tables, 506 rows fingerprinted in /);
    expect(stepOf(report, 'after').outputs.summary).toBe(
      '4 tables, 506 rows: all match the fingerprint of shop taken at ' +
        JSON.parse(String(stepOf(report, 'before').outputs.fingerprint)).taken_at,
    );
    expect(report.integrity.map((i) => [i.step, i.database, i.tables, i.rows, i.ok, i.differences])).toEqual([
      ['before', 'shop', 4, 506, null, []],
      ['after', 'shop', 4, 506, true, []],
    ]);
    expect(report.integrity[1]!.compared_with).toMatch(/^the fingerprint of shop taken at /);
    expect(result.all).toContain('public.orders: 500 rows, ');
    const md = ws.read('report.md');
    expect(md).toMatch(
      /\| Integrity \| `before`: fingerprint of shop taken: 4 tables, 506 rows<br>`after`: shop matches the fingerprint of shop taken at .*: 4 tables, 506 rows \|/,
    );
  });

  it('fails (exit 1) naming each table that changed: one row changed in content, one row deleted', () => {
    const db = copyOfShop();
    const { result, report, ws } = run(
      db,
      `  - id: before
    title: Fingerprint before
    uses: postgres.fingerprint
    with:
      url: \${{ inputs.db }}
  - id: damage
    title: Change one order and lose one event
    uses: postgres.query
    with:
      url: \${{ inputs.db }}
      sql: UPDATE orders SET total = total + 0.01 WHERE id = 250; DELETE FROM events WHERE kind = 'logout'
  - id: after
    title: Fingerprint after
    uses: postgres.fingerprint
    with:
      url: \${{ inputs.db }}
      compare_with: \${{ steps.before.outputs.fingerprint }}
`,
      undefined,
      ['--report', 'html:report.html'],
    );
    expect(result.status, result.all).toBe(1);
    const reason = stepOf(report, 'after').reason ?? '';
    expect(reason).toContain(
      `postgres.fingerprint: 127.0.0.1:${pg.port}/${db}: 2 tables of ${db} differ from the fingerprint of ${db} taken at `,
    );
    expect(reason).toContain('public.events: 3 rows, expected 4; public.orders: content differs (row count 500 in both)');
    expect(reason).not.toContain('audit.log');
    expect(reason).not.toContain('public.empty');
    expect(result.all).toContain('public.orders: content differs (row count 500 in both)');
    expect(report.failed_step).toBe('after');
    expect(report.integrity.at(-1)).toMatchObject({
      step: 'after',
      ok: false,
      differences: ['public.events: 3 rows, expected 4', 'public.orders: content differs (row count 500 in both)'],
    });
    const journal = readJournal(ws.stateDir, onlyRunId(ws.stateDir));
    const record = journal.filter((e) => e.type === 'action.record' && e.step === 'after').at(-1)?.record as { integrity: unknown };
    expect(record.integrity).toMatchObject({ ok: false, tables: 4, rows: 505 });
    expect(ws.read('report.html')).toContain('<h2>Integrity</h2>');
    expect(ws.read('report.html')).toContain('<span class="bad">');
  });

  it('takes only the tables named (schema.table or a bare name), and fails naming a table that does not exist', () => {
    const some = run(
      'shop',
      `  - id: some
    title: Fingerprint two tables
    uses: postgres.fingerprint
    with:
      url: \${{ inputs.db }}
      tables: [audit.log, orders]
`,
    );
    expect(some.result.status, some.result.all).toBe(0);
    expect(JSON.parse(String(stepOf(some.report, 'some').outputs.fingerprint)).tables.map((t: { table: string }) => t.table)).toEqual([
      'log',
      'orders',
    ]);
    const none = run(
      'shop',
      `  - id: none
    title: Fingerprint a table that is not there
    uses: postgres.fingerprint
    with:
      url: \${{ inputs.db }}
      tables: [public.order]
`,
    );
    expect(none.result.status, none.result.all).toBe(1);
    expect(stepOf(none.report, 'none').reason).toBe(`postgres.fingerprint: 127.0.0.1:${pg.port}/shop: no table named public.order`);
  });

  describe('against a backup manifest in a file:// store', () => {
    let dir: Workspace;
    let backup: string;

    beforeAll(async () => {
      dir = workspace('drctl-fp-store-');
      mkdirSync(dir.path('backups'));
      backup = dir.path('backups', 'shop-2026-11-30.sql.gz');
      writeFileSync(backup, 'not read by postgres.fingerprint');
      const fp = await fingerprint('shop');
      const manifest: BackupManifest = {
        manifest_version: 1,
        tool: 'drctl',
        database: 'shop',
        server_version: fp.server_version,
        format: 'plain-gzip',
        started_at: fp.taken_at,
        finished_at: fp.taken_at,
        size: 32,
        sha256: 'a'.repeat(64),
        object: `file://${backup}`,
        fingerprint_method: fp.method,
        tables: fp.tables,
      };
      writeFileSync(`${backup}.manifest.json`, serializeManifest(manifest));
      writeFileSync(dir.path('backups', 'broken.sql.gz.manifest.json'), '{"manifest_version": 1, "tool": "drctl"}');
    });

    afterAll(() => dir?.remove());

    const compareStep = (compareWith: string, extra = ''): string => `  - id: verify
    title: Compare with the backup
    uses: postgres.fingerprint
    with:
      url: \${{ inputs.db }}
      compare_with: ${compareWith}
${extra}`;

    it('passes when the data equals the manifest beside the backup object', () => {
      const { result, report } = run('shop', compareStep(`file://${backup}`));
      expect(result.status, result.all).toBe(0);
      expect(stepOf(report, 'verify').outputs.summary).toBe(`4 tables, 506 rows: all match file://${backup}.manifest.json`);
      expect(report.integrity).toEqual([
        expect.objectContaining({ step: 'verify', compared_with: `file://${backup}.manifest.json`, ok: true, tables: 4, rows: 506 }),
      ]);
    });

    it('compares only the tables asked for, on both sides', () => {
      const db = copyOfShop();
      pg.psql('DELETE FROM orders WHERE id > 10', db);
      const { result, report } = run(db, compareStep(`file://${backup}.manifest.json`, '      schemas: [audit]\n'));
      expect(result.status, result.all).toBe(0);
      expect(stepOf(report, 'verify').outputs).toMatchObject({ tables: 1, rows: 2, differences: 0 });
    });

    it('fails naming the table that differs from the manifest', () => {
      const db = copyOfShop();
      pg.psql("UPDATE audit.log SET line = 'b' WHERE id = 1; CREATE TABLE extra (x int)", db);
      const { result, report } = run(db, compareStep(`file://${backup}`));
      expect(result.status, result.all).toBe(1);
      expect(stepOf(report, 'verify').reason).toBe(
        `postgres.fingerprint: 127.0.0.1:${pg.port}/${db}: 2 tables of ${db} differ from file://${backup}.manifest.json: ` +
          'audit.log: content differs (row count 2 in both); public.extra: not expected (0 rows here)',
      );
    });

    it('a missing or broken manifest fails in one line naming it', () => {
      const missing = run('shop', compareStep(`file://${dir.path('backups', 'none.sql.gz')}`));
      expect(missing.result.status, missing.result.all).toBe(1);
      expect(stepOf(missing.report, 'verify').reason).toBe(
        `postgres.fingerprint: file://${dir.path('backups', 'none.sql.gz')}.manifest.json: ENOENT: no such file or directory (the manifest that sits beside file://${dir.path('backups', 'none.sql.gz')})`,
      );
      const broken = run('shop', compareStep(`file://${dir.path('backups', 'broken.sql.gz')}`));
      expect(broken.result.status, broken.result.all).toBe(1);
      expect(stepOf(broken.report, 'verify').reason).toMatch(
        new RegExp(
          `^postgres\\.fingerprint: file://${dir.path('backups', 'broken.sql.gz')}\\.manifest\\.json: not a valid backup manifest: database: `,
        ),
      );
      expect(broken.result.all).not.toMatch(/\n\s+at /);
    });
  });

  it('validate refuses a compare_with that is neither a location nor a fingerprint', () => {
    const ws = workspace('drctl-fp-');
    ws.runbook(
      'rb.yaml',
      runbook(`  - id: verify
    title: Compare
    uses: postgres.fingerprint
    with:
      url: \${{ inputs.db }}
      compare_with: yesterday
`),
    );
    const result = drctl(['validate', 'rb.yaml'], { cwd: ws.dir });
    expect(result.status, result.all).toBe(2);
    expect(result.all).toContain(
      'postgres.fingerprint: argument compare_with: expected s3://bucket/key or file:///path (a backup or its .manifest.json), or a fingerprint as JSON',
    );
  });
});
