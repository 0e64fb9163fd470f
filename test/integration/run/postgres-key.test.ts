import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { TestPostgres } from '../../support/postgres.js';
import { hasPostgres, startPostgres } from '../../support/postgres.js';
import { requireTool } from '../../support/tools.js';
import type { Workspace } from './helpers.js';
import {
  drctl,
  exitWithin,
  header,
  killGroup,
  killPid,
  modeOf,
  onlyRunId,
  readJournal,
  readReport,
  requireBuild,
  sleep,
  startDrctl,
  stepOf,
  waitFor,
  workspace,
} from './helpers.js';

/**
 * `postgres:` hands a PostgreSQL URL to the step's programs through libpq's environment and a
 * password file: never through argv, where every user of the host reads it. The password file
 * lives while the command runs, 0600 in a 0700 folder, and is gone when the command ends, however
 * it ends. Each test gives drctl a TMPDIR of its own, so it can see every file drctl leaves there.
 */

beforeAll(() => requireBuild());

const PASSWORD = 'Sup3r:se\\cret@p%ss/w0rd';
const URL_PASSWORD = encodeURIComponent(PASSWORD);

/** A runbook whose one step records what its process was given, then does `tail` (a bash snippet). */
function passfileRunbook(tail: string, stepKeys = ''): string {
  return `${header('pg-passfile', 'Password file')}objectives: { rto: 1h }
inputs:
  url: { secret: true, env: TEST_DB_URL }
steps:
  - id: use-db
    title: A step given a database
    postgres: \${{ inputs.url }}
    idempotent: true
${stepKeys}    run: |
      echo "$PGPASSFILE" > passfile.path
      stat -c %a "$PGPASSFILE" > passfile.mode
      stat -c %a "$(dirname "$PGPASSFILE")" > folder.mode
      cp "$PGPASSFILE" passfile.copy
      env | grep '^PG' | sort > pg.env || true
${tail
  .split('\n')
  .filter(Boolean)
  .map((line) => `      ${line}`)
  .join('\n')}
`;
}

function runIn(ws: Workspace, url: string, env: Record<string, string> = {}) {
  return drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], {
    cwd: ws.dir,
    env: { TMPDIR: ws.path('tmp'), TEST_DB_URL: url, ...env },
    timeoutMs: 60_000,
  });
}

function setUp(tail: string, stepKeys = ''): Workspace {
  const ws = workspace();
  ws.write('tmp/.keep', '');
  ws.runbook('rb.yaml', passfileRunbook(tail, stepKeys));
  return ws;
}

/** What drctl left in its TMPDIR (the test's own .keep aside). */
function leftInTmp(ws: Workspace): string[] {
  return readdirSync(ws.path('tmp')).filter((name) => name !== '.keep');
}

/** The step saw a 0600 password file in a 0700 folder, with the URL's password, and no PGPASSWORD. */
function expectPassfileWhileRunning(ws: Workspace): string {
  const path = ws.read('passfile.path').trim();
  expect(dirname(dirname(path))).toBe(ws.path('tmp'));
  expect(ws.read('passfile.mode').trim()).toBe('600');
  expect(ws.read('folder.mode').trim()).toBe('700');
  expect(ws.read('passfile.copy')).toBe('db.internal:6432:*:restore:Sup3r\\:se\\\\cret@p%ss/w0rd\n');
  const env = ws.read('pg.env');
  expect(env).toContain('PGHOST=db.internal\n');
  expect(env).toContain('PGPORT=6432\n');
  expect(env).toContain('PGUSER=restore\n');
  expect(env).toContain('PGDATABASE=shop\n');
  expect(env).toContain('PGSSLMODE=require\n');
  expect(env).not.toContain('PGPASSWORD');
  expect(env).not.toContain(PASSWORD);
  return path;
}

const URL = `postgresql://restore:${URL_PASSWORD}@db.internal:6432/shop?sslmode=require`;

describe('the password file of a postgres: step', () => {
  it('exists 0600 in a 0700 folder while the command runs, and is gone after it succeeds', () => {
    const ws = setUp('exit 0');
    // An inherited PGPASSWORD would take precedence over the file: the step must not see it.
    const result = runIn(ws, URL, { PGPASSWORD: 'inherited' });
    expect(result.status, result.all).toBe(0);
    const path = expectPassfileWhileRunning(ws);
    expect(existsSync(path)).toBe(false);
    expect(leftInTmp(ws)).toEqual([]);
    const journal = readFileSync(ws.path('state', 'runs', onlyRunId(ws.stateDir), 'journal.jsonl'), 'utf8');
    for (const secret of [PASSWORD, URL_PASSWORD, URL]) {
      expect(result.all).not.toContain(secret);
      expect(journal).not.toContain(secret);
    }
  });

  it('is gone after the command fails', () => {
    const ws = setUp('exit 3');
    const result = runIn(ws, URL);
    expect(result.status, result.all).toBe(1);
    const path = expectPassfileWhileRunning(ws);
    expect(existsSync(path)).toBe(false);
    expect(leftInTmp(ws)).toEqual([]);
    expect(stepOf(readReport(ws.stateDir, onlyRunId(ws.stateDir)), 'use-db').exit_code).toBe(3);
  });

  it('is gone after the command times out', () => {
    const ws = setUp('sleep 60', '    timeout: 2s\n');
    const result = runIn(ws, URL);
    expect(result.status, result.all).toBe(1);
    const path = expectPassfileWhileRunning(ws);
    expect(existsSync(path)).toBe(false);
    expect(leftInTmp(ws)).toEqual([]);
    expect(stepOf(readReport(ws.stateDir, onlyRunId(ws.stateDir)), 'use-db').reason).toMatch(/timed out after 2s/);
  });

  it('is gone after Ctrl-C stops the run', async () => {
    const ws = setUp('touch started\nsleep 60');
    const running = startDrctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], {
      cwd: ws.dir,
      env: { TMPDIR: ws.path('tmp'), TEST_DB_URL: URL },
    });
    await waitFor(() => ws.exists('started'), 'the step to start', 30_000);
    const path = expectPassfileWhileRunning(ws);
    expect(existsSync(path)).toBe(true);
    killPid(running.pid, 'SIGINT');
    const exit = await exitWithin(running, 20_000);
    expect(exit.code, running.stderr()).toBe(130);
    expect(existsSync(path)).toBe(false);
    expect(leftInTmp(ws)).toEqual([]);
  });

  it('outlives a drctl killed outright only unreadable to others, and the resumed run removes it', async () => {
    const ws = setUp('if [ -f fast.flag ]; then exit 0; fi\ntouch started\nsleep 60');
    const running = startDrctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], {
      cwd: ws.dir,
      env: { TMPDIR: ws.path('tmp'), TEST_DB_URL: URL },
    });
    await waitFor(() => ws.exists('started'), 'the step to start', 30_000);
    const path = expectPassfileWhileRunning(ws);
    const runId = onlyRunId(ws.stateDir);
    const pgid = await waitFor(
      () => readJournal(ws.stateDir, runId).find((e) => e.type === 'step.process')?.pgid as number | undefined,
      'the step process to be journaled',
    );
    onTestFinished(() => killGroup(pgid));
    killPid(running.pid, 'SIGKILL');
    await exitWithin(running, 10_000);
    killGroup(pgid);
    await sleep(200);

    // Left behind, but only its owner can read it.
    expect(modeOf(path)).toBe(0o600);
    expect(modeOf(dirname(path))).toBe(0o700);
    expect(leftInTmp(ws)).toEqual([dirname(path).split('/').pop()]);
    expect(dirname(path)).toMatch(new RegExp(`/drctl-libpq-${running.pid}-[A-Za-z0-9]+$`));

    ws.write('fast.flag', '');
    const resumed = drctl(['resume', '--yes', '--state-dir', ws.stateDir], {
      cwd: ws.dir,
      env: { TMPDIR: ws.path('tmp'), TEST_DB_URL: URL },
    });
    expect(resumed.status, resumed.all).toBe(0);
    expect(existsSync(path)).toBe(false);
    expect(leftInTmp(ws)).toEqual([]);
  });

  it('a URL drctl cannot hand over fails the step before it runs, naming the key, never the URL', () => {
    const ws = setUp('touch ran');
    const bad = `mysql://restore:${URL_PASSWORD}@db.internal/shop`;
    const result = runIn(ws, bad);
    expect(result.status, result.all).toBe(1);
    expect(result.all).toContain('postgres: expected a postgres:// or postgresql:// URL');
    expect(ws.exists('ran')).toBe(false);
    expect(ws.exists('passfile.path')).toBe(false);
    const report = readReport(ws.stateDir, onlyRunId(ws.stateDir));
    expect(stepOf(report, 'use-db')).toMatchObject({ status: 'failed', reason: 'postgres: expected a postgres:// or postgresql:// URL' });
    expect(result.all + JSON.stringify(report)).not.toContain(URL_PASSWORD);
    expect(leftInTmp(ws)).toEqual([]);
  });
});

/** Every process's command line, read from /proc: what any user of the host can see with ps. */
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

describe.skipIf(!hasPostgres() || !requireTool('pg_dump', 'the postgres: test runs the real pg_dump'))(
  'postgres: against a real PostgreSQL that asks for a password',
  () => {
    let pg: TestPostgres;
    const user = 'drctl_restore';

    beforeAll(async () => {
      pg = await startPostgres();
      pg.createDatabase('shop');
      pg.psql(`CREATE ROLE ${user} LOGIN PASSWORD '${PASSWORD}'`);
      pg.psql(`CREATE TABLE widgets (id int PRIMARY KEY, name text); GRANT ALL ON widgets TO ${user}`, 'shop');
      // This role must give its password (the server trusts every other one).
      const hba = pg.psql('SHOW hba_file');
      writeFileSync(hba, `host all ${user} 127.0.0.1/32 scram-sha-256\n${readFileSync(hba, 'utf8')}`);
      pg.psql('SELECT pg_reload_conf()');
    });

    afterAll(() => pg?.stop());

    it('psql and pg_dump connect with the password, which never appears on any command line, and the file is gone after', async () => {
      const ws = workspace();
      ws.write('tmp/.keep', '');
      const url = `postgresql://${user}:${URL_PASSWORD}@127.0.0.1:${pg.port}/shop`;
      ws.runbook(
        'rb.yaml',
        `${header('pg-real', 'Real PostgreSQL')}objectives: { rto: 1h }
inputs:
  url: { secret: true, env: TEST_DB_URL }
steps:
  - id: no-password
    title: Without the postgres key the role cannot connect (the server asks for its password)
    run: |
      if PGHOST=127.0.0.1 PGPORT=${pg.port} PGUSER=${user} psql -X -w -d shop -c 'select 1'; then exit 1; fi
  - id: dump
    title: psql and pg_dump given the database by the postgres key
    postgres: \${{ inputs.url }}
    run: |
      echo "$PGPASSFILE" > passfile.path
      psql -XAt -c "select current_user || '@' || current_database()" > whoami.txt
      # Hold a lock so that pg_dump waits a while: long enough to be seen running.
      psql -X -q -c 'begin' -c 'lock table widgets' -c 'select pg_sleep(2)' -c 'commit' &
      sleep 0.5
      pg_dump -t widgets --schema-only > dump.sql
      psql -X -c 'select 1'
      wait
`,
      );
      const seen: string[] = [];
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          for (const line of commandLines()) if (!seen.includes(line)) seen.push(line);
          await sleep(10);
        }
      })();
      // The URL reaches drctl through its environment: on drctl's own command line the sampler would find it.
      const running = startDrctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], {
        cwd: ws.dir,
        env: { TMPDIR: ws.path('tmp'), TEST_DB_URL: url },
      });
      const exit = await exitWithin(running, 60_000);
      sampling = false;
      await sampler;

      expect(exit.code, running.stdout() + running.stderr()).toBe(0);
      expect(ws.read('whoami.txt').trim()).toBe(`${user}@shop`);
      expect(ws.read('dump.sql')).toContain('CREATE TABLE public.widgets');
      // The sampler did see the step's programs: a sample that saw nothing would prove nothing.
      expect(
        seen.some((line) => /(?:^|\/)pg_dump -t widgets/.test(line)),
        seen.filter((l) => /pg_|psql/.test(l)).join('\n'),
      ).toBe(true);
      expect(seen.some((line) => /(?:^|\/)psql -X -q -c begin/.test(line))).toBe(true);
      for (const secret of [PASSWORD, URL_PASSWORD, url]) {
        expect(seen.filter((line) => line.includes(secret))).toEqual([]);
        expect(running.stdout() + running.stderr()).not.toContain(secret);
      }
      expect(existsSync(ws.read('passfile.path').trim())).toBe(false);
      expect(readdirSync(ws.path('tmp'))).toEqual(['.keep']);
    });
  },
);
