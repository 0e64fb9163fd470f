import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestPostgres } from '../../support/postgres.js';
import { hasPostgres, startPostgres } from '../../support/postgres.js';
import { freePort } from '../../support/ports.js';
import type { CliResult, Report } from '../run/helpers.js';
import {
  drctl,
  exitWithin,
  header,
  journalPath,
  onlyRunId,
  readJournal,
  readReport,
  reportPath,
  requireBuild,
  startDrctl,
  stepOf,
  waitFor,
  workspace,
} from '../run/helpers.js';

/**
 * postgres.query, postgres.check and postgres.wait, run by the built drctl against a real PostgreSQL
 * started for these tests. The connection URL is a secret input with a recognisable password that
 * must appear nowhere drctl prints or writes.
 */

const PASSWORD = 'Rec0gnisable-Pg-Passw0rd-4417';

const runbook = (name: string, steps: string): string => `${header(name, `Postgres ${name}`)}objectives:
  rto: 10m
inputs:
  db: { secret: true, env: SHOP_DB_URL, description: Connection URL of the shop database }
steps:
${steps}`;

interface Outcome {
  result: CliResult;
  report: Report;
  /** stdout, stderr, journal and report.json: every place a secret must not reach. */
  everywhere: string;
  journal: ReturnType<typeof readJournal>;
}

describe.skipIf(!hasPostgres())('the postgres actions against a real PostgreSQL', () => {
  let pg: TestPostgres;
  let url: string;

  beforeAll(async () => {
    requireBuild();
    pg = await startPostgres();
    pg.createDatabase('shop');
    pg.psql(`CREATE ROLE app LOGIN PASSWORD '${PASSWORD}'`);
    pg.psql(
      `CREATE TABLE orders (id bigint PRIMARY KEY, placed_at timestamptz NOT NULL, total numeric(10,2) NOT NULL, meta jsonb);
       INSERT INTO orders SELECT i, timestamptz '2024-05-01 12:00:00+00' + i * interval '1 minute', i * 10.5, jsonb_build_object('n', i) FROM generate_series(1, 3) i;
       GRANT SELECT, UPDATE ON orders TO app;`,
      'shop',
    );
    url = `postgresql://app:${PASSWORD}@127.0.0.1:${pg.port}/shop`;
  });

  afterAll(() => pg?.stop());

  function run(yaml: string, env: Record<string, string> = {}, timeoutMs = 30_000): Outcome {
    const ws = workspace('drctl-pg-');
    ws.runbook('rb.yaml', yaml);
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], {
      cwd: ws.dir,
      env: { SHOP_DB_URL: url, ...env },
      timeoutMs,
    });
    const runId = onlyRunId(ws.stateDir);
    const everywhere = [
      result.stdout,
      result.stderr,
      readFileSync(journalPath(ws.stateDir, runId), 'utf8'),
      readFileSync(reportPath(ws.stateDir, runId), 'utf8'),
    ].join('\n');
    return { result, report: readReport(ws.stateDir, runId), everywhere, journal: readJournal(ws.stateDir, runId) };
  }

  function expectNoSecret(outcome: Outcome): void {
    expect(outcome.everywhere.includes(PASSWORD), 'the password appears in drctl output, journal or report').toBe(false);
    expect(outcome.everywhere.includes(url), 'the URL appears in drctl output, journal or report').toBe(false);
  }

  it('postgres.query returns rows, row_count and value, and a later step uses the value', () => {
    const outcome = run(
      runbook(
        'query',
        `  - id: q
    title: Count the orders
    uses: postgres.query
    with:
      url: \${{ inputs.db }}
      sql: SELECT count(*) AS n FROM orders
  - id: rows
    title: Read the orders
    uses: postgres.query
    with:
      url: \${{ inputs.db }}
      sql: SELECT id, placed_at, total, meta FROM orders ORDER BY id LIMIT 2
  - id: touch
    title: Touch one order
    uses: postgres.query
    with:
      url: \${{ inputs.db }}
      sql: UPDATE orders SET total = total WHERE id <= 2
  - id: use
    title: Use the count
    run: echo "orders=\${{ steps.q.outputs.value }}" > count.txt && cat count.txt
`,
      ),
    );
    const { result, report } = outcome;
    expect(result.status, result.all).toBe(0);
    expect(stepOf(report, 'q').outputs).toEqual({ rows: [{ n: 3 }], row_count: 1, value: 3 });
    expect(stepOf(report, 'rows').outputs).toEqual({
      rows: [
        { id: 1, placed_at: '2024-05-01 12:01:00+00', total: '10.50', meta: { n: 1 } },
        { id: 2, placed_at: '2024-05-01 12:02:00+00', total: '21.00', meta: { n: 2 } },
      ],
      row_count: 2,
      value: 1,
    });
    expect(stepOf(report, 'touch').outputs).toEqual({ rows: [], row_count: 2, value: null });
    expect(result.all).toContain('orders=3');
    expect(result.all).toMatch(new RegExp(`127\\.0\\.0\\.1:${pg.port}/shop: SELECT → 1 row in \\d+ms`));
    const records = outcome.journal.filter((e) => e.type === 'action.record');
    expect(
      records.map((e) => [e.step, ...['host', 'port', 'database', 'row_count'].map((k) => (e.record as Record<string, unknown>)[k])]),
    ).toEqual([
      ['q', '127.0.0.1', pg.port, 'shop', 1],
      ['rows', '127.0.0.1', pg.port, 'shop', 2],
      ['touch', '127.0.0.1', pg.port, 'shop', 2],
    ]);
    expectNoSecret(outcome);
  });

  it('postgres.query fails in one line naming host:port/database and the PostgreSQL error', () => {
    const outcome = run(
      runbook(
        'query-error',
        `  - id: q
    title: A missing table
    uses: postgres.query
    with: { url: "\${{ inputs.db }}", sql: "SELECT * FROM nope" }
`,
      ),
    );
    expect(outcome.result.status, outcome.result.all).toBe(1);
    const message = `postgres.query: 127.0.0.1:${pg.port}/shop: 42P01 relation "nope" does not exist`;
    expect(outcome.result.all).toContain(message);
    expect(stepOf(outcome.report, 'q').status).toBe('failed');
    expect(stepOf(outcome.report, 'q').reason).toContain(message);
    expectNoSecret(outcome);
  });

  it("postgres.check passes with each check's value in results", () => {
    const outcome = run(
      runbook(
        'check',
        `  - id: c
    title: Sanity checks
    uses: postgres.check
    with:
      url: \${{ inputs.db }}
      checks:
        - { name: orders, sql: "SELECT count(*) FROM orders", expect: { gte: 3 } }
        - { name: primary, sql: "SELECT pg_is_in_recovery()", expect: { equals: "false" } }
        - { name: newest, sql: "SELECT max(placed_at) FROM orders", expect: { matches: "^2024-05-01 12:03" } }
`,
      ),
    );
    expect(outcome.result.status, outcome.result.all).toBe(0);
    expect(stepOf(outcome.report, 'c').outputs).toEqual({
      results: [
        { name: 'orders', value: 3, ok: true },
        { name: 'primary', value: false, ok: true },
        { name: 'newest', value: '2024-05-01 12:03:00+00', ok: true },
      ],
    });
    expectNoSecret(outcome);
  });

  it('postgres.check fails (exit 1) naming every failed check with its value and expectation, after running them all', () => {
    const outcome = run(
      runbook(
        'check-fails',
        `  - id: c
    title: Sanity checks
    uses: postgres.check
    with:
      url: \${{ inputs.db }}
      checks:
        - { name: enough-orders, sql: "SELECT count(*) FROM orders", expect: { gt: 100 } }
        - { name: no-such-table, sql: "SELECT count(*) FROM refunds", expect: { equals: 0 } }
        - { name: primary, sql: "SELECT pg_is_in_recovery()", expect: { equals: "false" } }
  - id: after
    title: Not reached
    run: touch after.txt
`,
      ),
    );
    expect(outcome.result.status, outcome.result.all).toBe(1);
    const message = `postgres.check: 127.0.0.1:${pg.port}/shop: 2 of 3 checks failed: enough-orders: was "3", expected > 100; no-such-table: failed: 42P01 relation "refunds" does not exist`;
    expect(outcome.result.all).toContain(message);
    // The third check ran although the first two failed.
    expect(outcome.result.all).toContain('ok    primary: false');
    expect(stepOf(outcome.report, 'c').status).toBe('failed');
    expect(outcome.journal.find((e) => e.type === 'action.record')).toMatchObject({
      step: 'c',
      record: { checks: 3, failed: ['enough-orders', 'no-such-table'] },
    });
    expectNoSecret(outcome);
  });

  it('postgres.wait answers with the server version when the server is up', () => {
    const outcome = run(
      runbook(
        'wait',
        `  - id: w
    title: Wait for the database
    uses: postgres.wait
    timeout: 30s
    with: { url: "\${{ inputs.db }}" }
`,
      ),
    );
    expect(outcome.result.status, outcome.result.all).toBe(0);
    // Where it connected, never who: the user and password stay out of the outputs.
    expect(stepOf(outcome.report, 'w').outputs).toEqual({
      server_version: pg.psql('SHOW server_version'),
      host: '127.0.0.1',
      port: pg.port,
      database: 'shop',
    });
    expectNoSecret(outcome);
  });

  it('postgres.wait times out (exit 1) against a port nobody listens on', async () => {
    const closed = `postgresql://app:${PASSWORD}@127.0.0.1:${await freePort()}/shop`;
    const started = Date.now();
    const outcome = run(
      runbook(
        'wait-closed',
        `  - id: w
    title: Wait for a database that is not there
    uses: postgres.wait
    timeout: 2s
    with: { url: "\${{ inputs.db }}", poll_interval: 200ms }
`,
      ),
      { SHOP_DB_URL: closed },
    );
    expect(outcome.result.status, outcome.result.all).toBe(1);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(outcome.result.all).toContain('timed out');
    expect(stepOf(outcome.report, 'w').reason).toContain('timed out after 2s');
    expect(outcome.result.all).toMatch(/127\.0\.0\.1:\d+\/shop not ready: connect ECONNREFUSED/);
    expect(outcome.journal.find((e) => e.type === 'action.record')).toMatchObject({
      step: 'w',
      record: { ready: false, last_problem: expect.stringContaining('ECONNREFUSED') },
    });
    expect(outcome.everywhere.includes(PASSWORD)).toBe(false);
    expect(outcome.everywhere.includes(closed)).toBe(false);
  });

  it('a step timeout stops a long query on the server too', () => {
    const outcome = run(
      runbook(
        'query-timeout',
        `  - id: slow
    title: A query that takes too long
    uses: postgres.query
    timeout: 2s
    with: { url: "\${{ inputs.db }}", sql: "SELECT pg_sleep(60)" }
`,
      ),
    );
    expect(outcome.result.status, outcome.result.all).toBe(1);
    expect(stepOf(outcome.report, 'slow').reason).toContain('timed out after 2s');
    expect(pg.psql(`SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)' AND state = 'active'`)).toBe('0');
    expectNoSecret(outcome);
  });

  it('interrupting drctl cancels the running statement on the server', async () => {
    const ws = workspace('drctl-pg-');
    ws.runbook(
      'rb.yaml',
      runbook(
        'query-interrupt',
        `  - id: slow
    title: A query interrupted by Ctrl-C
    uses: postgres.query
    with: { url: "\${{ inputs.db }}", sql: "SELECT pg_sleep(61)" }
`,
      ),
    );
    const running = startDrctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir, env: { SHOP_DB_URL: url } });
    const active = (): string => pg.psql(`SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(61)' AND state = 'active'`);
    await waitFor(() => active() === '1', 'the query to run on the server', 15_000, 100);
    running.child.kill('SIGINT');
    const exit = await exitWithin(running, 10_000);
    expect(exit.code, running.stderr()).toBe(130);
    // No grace period: drctl waited for the cancel before it exited.
    expect(active()).toBe('0');
    expect(running.stdout() + running.stderr()).toContain('stopping the running statement (pg_cancel_backend(');
    expect(`${running.stdout()}${running.stderr()}${readFileSync(journalPath(ws.stateDir, onlyRunId(ws.stateDir)), 'utf8')}`).not.toContain(
      PASSWORD,
    );
  });
});
