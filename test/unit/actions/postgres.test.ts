import { describe, expect, it } from 'vitest';
import { pickResult } from '../../../src/adapters/pg-port.js';
import type { PgConnectOptions, PgConnection, PgPort, PgResult } from '../../../src/ports/pg.js';
import { PgServerError } from '../../../src/ports/pg.js';
import { actionNamed } from '../../../src/actions/registry.js';
import { ActionError } from '../../../src/actions/types.js';
import { parseActionArgs } from '../../../src/actions/validate-args.js';
import { createPostgresCheck } from '../../../src/actions/postgres/check.js';
import { describeTarget, jsonValue, MAX_OUTPUT_ROWS, problemOf } from '../../../src/actions/postgres/common.js';
import { createPostgresQuery } from '../../../src/actions/postgres/query.js';
import { createPostgresWait } from '../../../src/actions/postgres/wait.js';
import type { FakeActionContext, FakeActionContextOptions } from '../../support/action-context.js';
import { fakeActionContext } from '../../support/action-context.js';

const PASSWORD = 'Pa55-w0rd-XYZZY';
const URL_ = `postgresql://app:${PASSWORD}@db.example:5433/shop?sslmode=disable`;

// ---------------------------------------------------------------------------------------------
// A fake PostgreSQL behind the port

type Answer = PgResult | Error | 'hang' | ((params: readonly unknown[] | undefined) => PgResult | Error);

function result(rows: Array<Record<string, unknown>>, extra: Partial<PgResult> = {}): PgResult {
  return { rows, rowCount: rows.length, fields: rows[0] ? Object.keys(rows[0]) : [], command: 'SELECT', ...extra };
}

class FakeConnection implements PgConnection {
  ended = 0;
  queries: Array<{ sql: string; params: readonly unknown[] | undefined }> = [];
  private hanging: Array<(error: Error) => void> = [];

  constructor(
    private readonly fake: FakePostgres,
    readonly processId: number | null,
    readonly options: PgConnectOptions,
  ) {}

  query(sql: string, params?: readonly unknown[]): Promise<PgResult> {
    this.queries.push({ sql, params });
    this.fake.log.push(`${this.processId}: ${sql}${params ? ` ${JSON.stringify(params)}` : ''}`);
    if (this.ended) return Promise.reject(new Error('Client was closed and is not queryable'));
    const answer = this.fake.answer(sql);
    if (answer === 'hang') return new Promise<PgResult>((_, reject) => this.hanging.push(reject));
    const value = typeof answer === 'function' ? answer(params) : answer;
    return value instanceof Error ? Promise.reject(value) : Promise.resolve(value);
  }

  cancel(): void {
    for (const reject of this.hanging.splice(0)) reject(new PgServerError('57014', 'canceling statement due to user request'));
  }

  async end(): Promise<void> {
    this.ended++;
    for (const reject of this.hanging.splice(0)) reject(new Error('Connection terminated'));
  }
}

class FakePostgres implements PgPort {
  connections: FakeConnection[] = [];
  log: string[] = [];
  /** Errors the next connects fail with, in turn. */
  connectErrors: Error[] = [];
  answers = new Map<string, Answer>();
  private nextPid = 100;

  constructor(answers: Record<string, Answer> = {}) {
    for (const [sql, answer] of Object.entries(answers)) this.answers.set(sql, answer);
    this.answers.set('SELECT pg_cancel_backend($1)', (params) => {
      this.connections.find((c) => c.processId === params?.[0])?.cancel();
      return result([{ pg_cancel_backend: true }]);
    });
  }

  answer(sql: string): Answer {
    const answer = this.answers.get(sql);
    if (answer === undefined) return new PgServerError('42601', `syntax error (the fake has no answer for ${JSON.stringify(sql)})`);
    return answer;
  }

  async connect(options: PgConnectOptions): Promise<PgConnection> {
    if (options.signal?.aborted) throw options.signal.reason;
    const error = this.connectErrors.shift();
    if (error) throw error;
    const conn = new FakeConnection(this, this.nextPid++, options);
    this.connections.push(conn);
    return conn;
  }
}

/** The context of a step with the id `db` (the id shows in the connection's application name). */
const context = (options: FakeActionContextOptions = {}): FakeActionContext => fakeActionContext({ stepId: 'db', ...options });

/** Everything an action left behind that an operator or the journal could see. */
function visible(ctx: FakeActionContext, error?: unknown): string {
  return JSON.stringify({ logs: ctx.logs, records: ctx.records, error: error instanceof Error ? error.message : error });
}

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the action to fail');
}

// ---------------------------------------------------------------------------------------------

describe('the postgres actions are registered', () => {
  it('with their outputs, and url as a secret argument', () => {
    expect(actionNamed('postgres.query')?.outputs).toEqual(['rows', 'row_count', 'value']);
    expect(actionNamed('postgres.check')?.outputs).toEqual(['results']);
    expect(actionNamed('postgres.wait')?.outputs).toEqual(['server_version', 'host', 'port', 'database']);
    for (const name of ['postgres.query', 'postgres.check', 'postgres.wait']) expect(actionNamed(name)?.secretArgs).toEqual(['url']);
  });

  it('refuse a URL that is not postgresql:// without quoting it', () => {
    const action = actionNamed('postgres.query')!;
    const message = (() => {
      try {
        parseActionArgs(action, { url: `mysql://root:${PASSWORD}@db/x`, sql: 'SELECT 1' });
      } catch (error) {
        return (error as Error).message;
      }
      return 'accepted';
    })();
    expect(message).toBe('postgres.query: argument url: expected a postgresql://user:password@host:port/database URL');
    expect(parseActionArgs(action, { url: 'postgres://db/x', sql: 'SELECT 1' })).toEqual({ url: 'postgres://db/x', sql: 'SELECT 1' });
  });

  it('postgres.check needs at least one check, with distinct names and a known matcher', () => {
    const action = actionNamed('postgres.check')!;
    expect(() => parseActionArgs(action, { url: URL_, checks: [] })).toThrow('postgres.check: argument checks: give at least one check');
    expect(() =>
      parseActionArgs(action, {
        url: URL_,
        checks: [
          { name: 'a', sql: 'SELECT 1', expect: { equals: 1 } },
          { name: 'a', sql: 'SELECT 2', expect: { equals: 2 } },
        ],
      }),
    ).toThrow('postgres.check: argument checks.1.name: two checks are named "a"');
    expect(() => parseActionArgs(action, { url: URL_, checks: [{ name: 'a', sql: 'SELECT 1', expect: { equal: 1 } }] })).toThrow(
      /checks\.0\.expect/,
    );
  });

  it('postgres.wait takes a poll interval', () => {
    expect(parseActionArgs(actionNamed('postgres.wait')!, { url: URL_, poll_interval: '500ms' })).toEqual({
      url: URL_,
      poll_interval: 500,
    });
  });
});

describe('describeTarget names a connection without its credentials', () => {
  it.each([
    [URL_, 'db.example:5433/shop'],
    ['postgres://u@10.0.0.5/app', '10.0.0.5:5432/app'],
    ['postgresql://u:p@db/', 'db:5432/u'],
    ['postgresql://[::1]:6432/x', '[::1]:6432/x'],
    ['postgresql:///app?host=%2Fvar%2Frun%2Fpostgresql', '/var/run/postgresql:5432/app'],
    ['postgresql://db/my%20db', 'db:5432/my db'],
  ])('%s → %s', (url, label) => {
    expect(describeTarget(url).label).toBe(label);
  });
});

describe('problemOf', () => {
  it('gives the SQLSTATE and message of a server error, with its hint', () => {
    expect(
      problemOf(
        new PgServerError('42703', 'column "nme" does not exist', undefined, 'Perhaps you meant to reference the column "t.name".'),
        URL_,
      ),
    ).toBe('42703 column "nme" does not exist (hint: Perhaps you meant to reference the column "t.name".)');
  });

  it('gives the code of a network error, even from an AggregateError without a message', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(problemOf(refused, URL_)).toBe('connect ECONNREFUSED 127.0.0.1:1');
    const both = Object.assign(new AggregateError([new Error('connect ECONNREFUSED ::1:1'), refused], ''), { code: 'ECONNREFUSED' });
    expect(problemOf(both, URL_)).toBe('connect ECONNREFUSED 127.0.0.1:1');
  });

  it('never repeats the URL or its password', () => {
    expect(problemOf(new Error(`bad url ${URL_} or password ${PASSWORD}\nsecond line`), URL_)).toBe('bad url *** or password ***');
  });
});

describe('jsonValue', () => {
  it('keeps values JSON can hold and turns the rest into text', () => {
    expect(jsonValue({ a: 1, b: 'x', c: null, d: true, e: { f: [1, 2] } })).toEqual({ a: 1, b: 'x', c: null, d: true, e: { f: [1, 2] } });
    expect(jsonValue(new Date('2024-05-01T12:00:00Z'))).toBe('2024-05-01T12:00:00.000Z');
    expect(jsonValue(Buffer.from([0xde, 0xad]))).toBe('\\xdead');
    expect(jsonValue(12n)).toBe(12);
    expect(jsonValue(2n ** 70n)).toBe('1180591620717411303424');
    expect(jsonValue(undefined)).toBeNull();
  });
});

describe('pickResult (several statements in one sql:)', () => {
  it('takes the last that returned rows, else the last that counted rows', () => {
    const select = { fields: [{}], rowCount: 1, tag: 'select' };
    const update = { fields: [], rowCount: 3, tag: 'update' };
    const commit = { fields: [], rowCount: null, tag: 'commit' };
    expect(pickResult([select, update, commit])?.tag).toBe('select');
    expect(pickResult([commit, update, commit])?.tag).toBe('update');
    expect(pickResult([commit])?.tag).toBe('commit');
    expect(pickResult([])).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------

describe('postgres.query', () => {
  it('returns rows, row_count and value, journals host and database, and closes its connection', async () => {
    const fake = new FakePostgres({
      'SELECT id, name FROM t': result([
        { id: 7, name: 'a' },
        { id: 8, name: 'b' },
      ]),
    });
    const ctx = context({ timeoutMs: 30_000 });
    const outputs = await createPostgresQuery(fake).run({ url: URL_, sql: 'SELECT id, name FROM t' }, ctx);
    expect(outputs).toEqual({
      rows: [
        { id: 7, name: 'a' },
        { id: 8, name: 'b' },
      ],
      row_count: 2,
      value: 7,
    });
    expect(fake.connections).toHaveLength(1);
    const conn = fake.connections[0]!;
    expect(conn.ended).toBeGreaterThan(0);
    expect(conn.options).toMatchObject({
      connectionString: URL_,
      connectTimeoutMs: 10_000,
      statementTimeoutMs: 30_000,
      applicationName: 'drctl db',
    });
    expect(ctx.records).toEqual([
      { host: 'db.example', port: 5433, database: 'shop', command: 'SELECT', row_count: 2, duration_ms: expect.any(Number) },
    ]);
    expect(ctx.logs.join('\n')).toMatch(/^db\.example:5433\/shop: SELECT → 2 rows in \d+ms$/);
    expect(visible(ctx)).not.toContain(PASSWORD);
  });

  it('sets no statement_timeout when the step has no timeout', async () => {
    const fake = new FakePostgres({ 'SELECT 1': result([{ '?column?': 1 }]) });
    await createPostgresQuery(fake).run({ url: URL_, sql: 'SELECT 1' }, context());
    expect(fake.connections[0]!.options.statementTimeoutMs).toBeUndefined();
  });

  it('gives value null for no rows, and the affected count for an UPDATE', async () => {
    const fake = new FakePostgres({
      'SELECT 1 WHERE false': result([], { fields: ['?column?'] }),
      'UPDATE t SET x = 1': result([], { rowCount: 5, command: 'UPDATE' }),
    });
    const action = createPostgresQuery(fake);
    expect(await action.run({ url: URL_, sql: 'SELECT 1 WHERE false' }, context())).toEqual({ rows: [], row_count: 0, value: null });
    expect(await action.run({ url: URL_, sql: 'UPDATE t SET x = 1' }, context())).toEqual({ rows: [], row_count: 5, value: null });
  });

  it('makes row values JSON-ready and keeps at most MAX_OUTPUT_ROWS rows', async () => {
    const many = Array.from({ length: MAX_OUTPUT_ROWS + 5 }, (_, i) => ({ at: new Date(Date.UTC(2024, 0, 1, 0, 0, i)), n: BigInt(i) }));
    const fake = new FakePostgres({ 'SELECT at, n FROM big': result(many) });
    const ctx = context();
    const outputs = await createPostgresQuery(fake).run({ url: URL_, sql: 'SELECT at, n FROM big' }, ctx);
    expect(outputs.row_count).toBe(MAX_OUTPUT_ROWS + 5);
    expect(outputs.rows).toHaveLength(MAX_OUTPUT_ROWS);
    expect((outputs.rows as unknown[])[1]).toEqual({ at: '2024-01-01T00:00:01.000Z', n: 1 });
    expect(outputs.value).toBe('2024-01-01T00:00:00.000Z');
    expect(ctx.logs).toContain(`keeping the first ${MAX_OUTPUT_ROWS} of ${MAX_OUTPUT_ROWS + 5} rows in outputs.rows`);
  });

  it('fails in one line: action, host:port/database, SQLSTATE and message, and still closes the connection', async () => {
    const fake = new FakePostgres({ 'SELECT * FROM orders': new PgServerError('42P01', 'relation "orders" does not exist') });
    const ctx = context();
    const error = await failureOf(createPostgresQuery(fake).run({ url: URL_, sql: 'SELECT * FROM orders' }, ctx));
    expect(error).toBeInstanceOf(ActionError);
    expect(error.message).toBe('postgres.query: db.example:5433/shop: 42P01 relation "orders" does not exist');
    expect(fake.connections[0]!.ended).toBeGreaterThan(0);
    expect(visible(ctx, error)).not.toContain(PASSWORD);
  });

  it('names the target, not the URL, when it cannot connect', async () => {
    const fake = new FakePostgres();
    fake.connectErrors.push(new PgServerError('28P01', 'password authentication failed for user "app"'));
    const error = await failureOf(createPostgresQuery(fake).run({ url: URL_, sql: 'SELECT 1' }, context()));
    expect(error.message).toBe('postgres.query: db.example:5433/shop: 28P01 password authentication failed for user "app"');
    fake.connectErrors.push(new Error('Connection terminated due to connection timeout'));
    expect((await failureOf(createPostgresQuery(fake).run({ url: URL_, sql: 'SELECT 1' }, context()))).message).toBe(
      'postgres.query: db.example:5433/shop: Connection terminated due to connection timeout',
    );
  });

  it('on timeout or interruption, cancels the running statement through a second connection and rejects with the reason', async () => {
    const fake = new FakePostgres({ 'SELECT pg_sleep(600)': 'hang' });
    const ctx = context({ timeoutMs: 1_000 });
    const running = createPostgresQuery(fake).run({ url: URL_, sql: 'SELECT pg_sleep(600)' }, ctx);
    await new Promise((r) => setTimeout(r, 10));
    const reason = new Error('timeout');
    ctx.controller.abort(reason);
    expect(await failureOf(running)).toBe(reason);
    expect(fake.log).toEqual(['100: SELECT pg_sleep(600)', '101: SELECT pg_cancel_backend($1) [100]']);
    expect(fake.connections.map((c) => c.ended > 0)).toEqual([true, true]);
    expect(ctx.logs).toContain('stopping the running statement (pg_cancel_backend(100))');
    expect(ctx.records).toEqual([]);
  });

  it('still drops the connection when the cancel itself fails', async () => {
    const fake = new FakePostgres({ 'SELECT pg_sleep(600)': 'hang' });
    const ctx = context();
    const running = createPostgresQuery(fake).run({ url: URL_, sql: 'SELECT pg_sleep(600)' }, ctx);
    await new Promise((r) => setTimeout(r, 10));
    fake.connectErrors.push(new PgServerError('53300', 'sorry, too many clients already'));
    ctx.controller.abort(new Error('interrupted'));
    expect((await failureOf(running)).message).toBe('interrupted');
    expect(ctx.logs).toContain('could not cancel the statement: 53300 sorry, too many clients already');
    expect(fake.connections[0]!.ended).toBeGreaterThan(0);
  });

  it('does not connect at all when already interrupted', async () => {
    const fake = new FakePostgres();
    const ctx = context();
    ctx.controller.abort(new Error('interrupted'));
    expect((await failureOf(createPostgresQuery(fake).run({ url: URL_, sql: 'SELECT 1' }, ctx))).message).toBe('interrupted');
    expect(fake.connections).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('postgres.check', () => {
  const answers = (): Record<string, Answer> => ({
    'SELECT count(*) FROM orders': result([{ count: 42 }]),
    'SELECT max(lag) FROM replicas': result([{ max: '3.5' }]),
    "SELECT current_setting('transaction_read_only')": result([{ current_setting: 'off' }]),
    'SELECT pg_is_in_recovery()': result([{ pg_is_in_recovery: false }]),
    'SELECT NULL': result([{ '?column?': null }]),
    'SELECT * FROM missing': new PgServerError('42P01', 'relation "missing" does not exist'),
  });

  it('passes when every check holds, with each value in results', async () => {
    const fake = new FakePostgres(answers());
    const ctx = context();
    const outputs = await createPostgresCheck(fake).run(
      {
        url: URL_,
        checks: [
          { name: 'orders', sql: 'SELECT count(*) FROM orders', expect: { gt: 10 } },
          { name: 'lag', sql: 'SELECT max(lag) FROM replicas', expect: { lte: '5' } },
          { name: 'writable', sql: "SELECT current_setting('transaction_read_only')", expect: { equals: 'off' } },
          { name: 'primary', sql: 'SELECT pg_is_in_recovery()', expect: { equals: false } },
        ],
      },
      ctx,
    );
    expect(outputs).toEqual({
      results: [
        { name: 'orders', value: 42, ok: true },
        { name: 'lag', value: '3.5', ok: true },
        { name: 'writable', value: 'off', ok: true },
        { name: 'primary', value: false, ok: true },
      ],
    });
    expect(fake.connections).toHaveLength(1);
    expect(fake.connections[0]!.ended).toBeGreaterThan(0);
    expect(ctx.logs).toEqual(['ok    orders: 42', 'ok    lag: 3.5', 'ok    writable: off', 'ok    primary: false']);
    expect(ctx.records).toEqual([{ host: 'db.example', port: 5433, database: 'shop', checks: 4, failed: [], results: outputs.results }]);
  });

  it('runs every check even after one fails, and fails naming each failed check with its value and expectation', async () => {
    const fake = new FakePostgres(answers());
    const ctx = context();
    const error = await failureOf(
      createPostgresCheck(fake).run(
        {
          url: URL_,
          checks: [
            { name: 'enough-orders', sql: 'SELECT count(*) FROM orders', expect: { gt: 100 } },
            { name: 'missing-table', sql: 'SELECT * FROM missing', expect: { equals: '1' } },
            { name: 'lag', sql: 'SELECT max(lag) FROM replicas', expect: { lte: 5 } },
            { name: 'nothing', sql: 'SELECT NULL', expect: { equals: 'x' } },
            { name: 'read-write', sql: "SELECT current_setting('transaction_read_only')", expect: { not: { equals: 'on' } } },
          ],
        },
        ctx,
      ),
    );
    expect(error).toBeInstanceOf(ActionError);
    expect(error.message).toBe(
      'postgres.check: db.example:5433/shop: 3 of 5 checks failed: ' +
        'enough-orders: was "42", expected > 100; ' +
        'missing-table: failed: 42P01 relation "missing" does not exist; ' +
        'nothing: was NULL, expected "x"',
    );
    // All five ran, on one connection, which was closed.
    expect(fake.log).toHaveLength(5);
    expect(fake.connections[0]!.ended).toBeGreaterThan(0);
    expect(ctx.logs).toEqual([
      'FAIL  enough-orders: was "42", expected > 100',
      'FAIL  missing-table: failed: 42P01 relation "missing" does not exist',
      'ok    lag: 3.5',
      'FAIL  nothing: was NULL, expected "x"',
      'ok    read-write: off',
    ]);
    expect(ctx.records[0]).toMatchObject({ checks: 5, failed: ['enough-orders', 'missing-table', 'nothing'] });
    expect((ctx.records[0]!.results as unknown[])[1]).toEqual({
      name: 'missing-table',
      value: null,
      ok: false,
      problem: 'failed: 42P01 relation "missing" does not exist',
    });
    expect(visible(ctx, error)).not.toContain(PASSWORD);
  });

  it('says "1 of 1 check failed" for a single check', async () => {
    const fake = new FakePostgres(answers());
    const error = await failureOf(
      createPostgresCheck(fake).run(
        { url: URL_, checks: [{ name: 'orders', sql: 'SELECT count(*) FROM orders', expect: { lt: 1 } }] },
        context(),
      ),
    );
    expect(error.message).toBe('postgres.check: db.example:5433/shop: 1 of 1 check failed: orders: was "42", expected < 1');
  });

  it('ends the step when the connection is lost (not a failed check)', async () => {
    const fake = new FakePostgres({ ...answers(), 'SELECT 2': new Error('Connection terminated unexpectedly') });
    const error = await failureOf(
      createPostgresCheck(fake).run(
        {
          url: URL_,
          checks: [
            { name: 'two', sql: 'SELECT 2', expect: { equals: 2 } },
            { name: 'orders', sql: 'SELECT count(*) FROM orders', expect: { gt: 1 } },
          ],
        },
        context(),
      ),
    );
    expect(error.message).toBe('postgres.check: db.example:5433/shop: Connection terminated unexpectedly');
    expect(fake.log).toEqual(['100: SELECT 2']);
    expect(fake.connections[0]!.ended).toBeGreaterThan(0);
  });

  it('fails with the connection error when it cannot connect', async () => {
    const fake = new FakePostgres(answers());
    fake.connectErrors.push(Object.assign(new Error('getaddrinfo ENOTFOUND db.example'), { code: 'ENOTFOUND' }));
    const error = await failureOf(
      createPostgresCheck(fake).run({ url: URL_, checks: [{ name: 'a', sql: 'SELECT NULL', expect: { equals: '' } }] }, context()),
    );
    expect(error.message).toBe('postgres.check: db.example:5433/shop: getaddrinfo ENOTFOUND db.example');
  });

  it('stops at once when interrupted', async () => {
    const fake = new FakePostgres({ ...answers(), 'SELECT pg_sleep(60)': 'hang' });
    const ctx = context();
    const running = createPostgresCheck(fake).run(
      {
        url: URL_,
        checks: [
          { name: 'slow', sql: 'SELECT pg_sleep(60)', expect: { equals: '' } },
          { name: 'orders', sql: 'SELECT count(*) FROM orders', expect: { gt: 1 } },
        ],
      },
      ctx,
    );
    await new Promise((r) => setTimeout(r, 10));
    ctx.controller.abort(new Error('interrupted'));
    expect((await failureOf(running)).message).toBe('interrupted');
    expect(fake.log).toEqual(['100: SELECT pg_sleep(60)', '101: SELECT pg_cancel_backend($1) [100]']);
  });
});

// ---------------------------------------------------------------------------------------------

describe('postgres.wait', () => {
  const up = (): Record<string, Answer> => ({
    'SELECT 1': result([{ '?column?': 1 }]),
    'SHOW server_version': result([{ server_version: '16.3' }]),
  });
  const refused = (): Error => Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5433'), { code: 'ECONNREFUSED' });

  it('answers at once when the server is up', async () => {
    const fake = new FakePostgres(up());
    const ctx = context();
    // Where it connected, from the URL, for a confirmation to name: never the user or the password.
    expect(await createPostgresWait(fake).run({ url: URL_ }, ctx)).toEqual({
      server_version: '16.3',
      host: 'db.example',
      port: 5433,
      database: 'shop',
    });
    expect(ctx.sleeps).toEqual([]);
    expect(ctx.records).toEqual([
      { host: 'db.example', port: 5433, database: 'shop', ready: true, attempts: 1, waited_ms: expect.any(Number), server_version: '16.3' },
    ]);
    expect(fake.connections[0]!.ended).toBeGreaterThan(0);
  });

  it('keeps trying at the poll interval, logging each new problem once', async () => {
    const fake = new FakePostgres(up());
    fake.connectErrors.push(refused(), refused(), new PgServerError('57P03', 'the database system is starting up'));
    const ctx = context();
    expect(await createPostgresWait(fake).run({ url: URL_, poll_interval: 250 }, ctx)).toMatchObject({ server_version: '16.3' });
    expect(ctx.sleeps).toEqual([250, 250, 250]);
    expect(ctx.logs).toEqual([
      'db.example:5433/shop not ready: connect ECONNREFUSED 10.0.0.5:5433; trying every 250ms',
      'db.example:5433/shop not ready: 57P03 the database system is starting up; trying every 250ms',
      'db.example:5433/shop is up (PostgreSQL 16.3) after 4 attempts',
    ]);
  });

  it('polls every 2s by default and retries a server that accepts but does not answer yet', async () => {
    const fake = new FakePostgres(up());
    let calls = 0;
    fake.answers.set('SELECT 1', () =>
      ++calls === 1 ? new PgServerError('57P01', 'terminating connection due to administrator command') : result([{ '?column?': 1 }]),
    );
    const ctx = context();
    // Where it connected, from the URL, for a confirmation to name: never the user or the password.
    expect(await createPostgresWait(fake).run({ url: URL_ }, ctx)).toEqual({
      server_version: '16.3',
      host: 'db.example',
      port: 5433,
      database: 'shop',
    });
    expect(ctx.sleeps).toEqual([2_000]);
    expect(fake.connections.map((c) => c.ended > 0)).toEqual([true, true]);
  });

  it('gives up at once on errors waiting cannot fix', async () => {
    const fake = new FakePostgres(up());
    fake.connectErrors.push(new PgServerError('28P01', 'password authentication failed for user "app"'));
    const ctx = context();
    const error = await failureOf(createPostgresWait(fake).run({ url: URL_ }, ctx));
    expect(error.message).toBe(
      'postgres.wait: db.example:5433/shop: 28P01 password authentication failed for user "app" (waiting will not fix this)',
    );
    expect(ctx.sleeps).toEqual([]);
    fake.connectErrors.push(new PgServerError('3D000', 'database "shop" does not exist'));
    expect((await failureOf(createPostgresWait(fake).run({ url: URL_ }, context()))).message).toContain(
      '3D000 database "shop" does not exist',
    );
  });

  it('stops when the step times out, journalling the attempts and the last problem', async () => {
    const fake = new FakePostgres(up());
    for (let i = 0; i < 10; i++) fake.connectErrors.push(refused());
    const reason = new Error('timeout');
    const ctx = context({ timeoutMs: 2_000, onSleep: (_ms, c) => c.sleeps.length === 3 && c.controller.abort(reason) });
    expect(await failureOf(createPostgresWait(fake).run({ url: URL_ }, ctx))).toBe(reason);
    expect(ctx.records).toEqual([
      { host: 'db.example', port: 5433, database: 'shop', ready: false, attempts: 3, last_problem: 'connect ECONNREFUSED 10.0.0.5:5433' },
    ]);
    expect(ctx.logs.at(-1)).toBe('gave up on db.example:5433/shop after 3 attempts; last: connect ECONNREFUSED 10.0.0.5:5433');
    expect(visible(ctx)).not.toContain(PASSWORD);
  });
});
