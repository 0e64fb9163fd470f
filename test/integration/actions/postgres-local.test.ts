import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasPostgres } from '../../support/postgres.js';
import type { Workspace } from '../run/helpers.js';
import {
  drctl,
  exitWithin,
  header,
  isAlive,
  killPid,
  readJournal,
  readReport,
  requireBuild,
  startDrctl,
  stepOf,
  waitFor,
  workspace,
} from '../run/helpers.js';

/**
 * postgres.local, run by the built drctl: a throw-away PostgreSQL started from the machine's
 * binaries that later steps use through its `url` output, and that lives until the run ends: then
 * no process of it is left and its folder is gone. After a kill -9 of drctl it runs on until
 * `drctl abandon` (or resume, or cleanup) stops it through the cleanup ledger.
 */

describe.skipIf(!hasPostgres())('postgres.local against real PostgreSQL binaries', () => {
  /** A workspace whose TMPDIR the postgres user can reach (as root, the server runs as that user). */
  function setUp(): { ws: Workspace; tmp: string; env: Record<string, string> } {
    requireBuild();
    const ws = workspace('drctl-pglocal-');
    chmodSync(ws.dir, 0o755);
    const tmp = ws.path('tmp');
    mkdirSync(tmp, { mode: 0o755 });
    chmodSync(tmp, 0o755);
    return { ws, tmp, env: { TMPDIR: tmp, COLUMNS: '400' } };
  }

  const leftIn = (tmp: string): string[] => readdirSync(tmp).filter((n) => n.startsWith('drctl-scratch-pg-'));

  /** Processes whose working folder or command line is inside `folder` (a postmaster chdirs into its data folder). */
  function processesIn(folder: string): number[] {
    const found: number[] = [];
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        if (readlinkSync(`/proc/${name}/cwd`).startsWith(folder) || readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(folder))
          found.push(Number(name));
      } catch {
        // gone, or not ours to look into
      }
    }
    return found.filter(isAlive);
  }

  const runbook = (more = ''): string => `${header('local-pg', 'A throw-away server')}steps:
  - id: server
    title: Start a throw-away PostgreSQL
    uses: postgres.local
    with: { database: shop }
    retries: { attempts: 3, delay: 1s }
  - id: use
    title: Use it
    postgres: "\${{ steps.server.outputs.url }}"
    run: |
      psql -XAtq -v ON_ERROR_STOP=1 -c "CREATE TABLE t (v int); INSERT INTO t VALUES (41), (1);"
      psql -XAt -c "SELECT 'sum ' || sum(v) || ' in ' || current_database() FROM t"
${more}`;

  it('starts a server that later steps use through its url; the run stops it and removes its folder when it ends', () => {
    const { ws, tmp, env } = setUp();
    ws.runbook('rb.yaml', runbook());
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir, env, timeoutMs: 180_000 });
    expect(result.status, result.all).toBe(0);
    expect(result.all).toContain('sum 42 in shop');
    const report = readReport(ws.stateDir, readdirSync(join(ws.stateDir, 'runs'))[0]!);
    const outputs = stepOf(report, 'server').outputs;
    expect(outputs).toMatchObject({ host: '127.0.0.1', database: 'shop', version: expect.stringMatching(/^PostgreSQL \d+/) as string });
    expect(outputs.url).toBe(`postgresql://postgres@127.0.0.1:${outputs.port as number}/shop`);
    const dataDir = outputs.data_dir as string;
    expect(dataDir.startsWith(tmp)).toBe(true);
    expect(outputs.folder).toBe(join(dataDir, '..'));
    expect(existsSync(join(outputs.bindir as string, 'initdb'))).toBe(true);
    expect(result.all).toContain('stopped and removed when the run ends');
    // Gone now that the run has ended: the folder, and every process of the server.
    expect(existsSync(dataDir)).toBe(false);
    expect(leftIn(tmp)).toEqual([]);
    expect(processesIn(join(dataDir, '..'))).toEqual([]);
    expect(report.cleanup.map((c) => [c.kind, c.status])).toEqual([['postgres-server', 'removed']]);
  }, 240_000);

  it('after a kill -9 of drctl the server runs on until drctl abandon stops it and removes its folder', async () => {
    const { ws, tmp, env } = setUp();
    const flag = ws.path('go.flag');
    ws.runbook(
      'rb.yaml',
      runbook(`  - id: hold
    title: Wait for the flag
    run: while [ ! -e ${flag} ]; do sleep 0.2; done
`),
    );
    const running = startDrctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir, env });
    const runId = await waitFor(
      () => (existsSync(join(ws.stateDir, 'runs')) ? (readdirSync(join(ws.stateDir, 'runs'))[0] ?? false) : false),
      'the run to start',
      60_000,
    );
    await waitFor(
      () => readJournal(ws.stateDir, runId).some((e) => e.type === 'step.started' && e.step === 'hold'),
      'the hold step',
      180_000,
      200,
    );
    const folder = readJournal(ws.stateDir, runId).find((e) => e.type === 'cleanup.registered' && e.kind === 'postgres-server')!
      .path as string;
    const postmaster = Number(readFileSync(join(folder, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    killPid(running.pid, 'SIGKILL');
    await exitWithin(running, 60_000);
    expect(isAlive(postmaster)).toBe(true);
    const abandoned = drctl(['abandon', runId, '--state-dir', ws.stateDir], { cwd: ws.dir, env, timeoutMs: 60_000 });
    expect(abandoned.status, abandoned.all).toBe(0);
    expect(abandoned.stdout).toContain(`removed ${folder}`);
    await waitFor(() => !isAlive(postmaster), 'the postmaster to be gone');
    expect(existsSync(folder)).toBe(false);
    expect(processesIn(folder)).toEqual([]);
    expect(leftIn(tmp)).toEqual([]);
  }, 300_000);

  it('without the server binaries the step fails for good, saying how to install PostgreSQL', () => {
    const { ws, tmp, env } = setUp();
    const empty = ws.path('no-binaries');
    mkdirSync(empty);
    ws.runbook('rb.yaml', runbook());
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], {
      cwd: ws.dir,
      env: { ...env, DRCTL_PG_BINDIR: empty },
      timeoutMs: 60_000,
    });
    expect(result.status, result.all).toBe(1);
    expect(result.all).toContain(
      `postgres.local: initdb and pg_ctl (the PostgreSQL server) were not found (looked in DRCTL_PG_BINDIR=${empty})`,
    );
    expect(result.all).toContain('apt-get install postgresql');
    const runId = readdirSync(join(ws.stateDir, 'runs'))[0]!;
    // Not retried: trying again cannot change it.
    expect(readJournal(ws.stateDir, runId).filter((e) => e.type === 'step.attempt' && e.step === 'server')).toHaveLength(1);
    expect(leftIn(tmp)).toEqual([]);
  }, 120_000);
});
