import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { Workspace } from './helpers.js';
import { drctl, exitWithin, header, killGroup, readJournal, requireBuild, runIds, startDrctl, waitFor, workspace } from './helpers.js';

/** --start-at refuses to run a step blind: the outputs of the skipped steps it uses must be given. */

beforeAll(() => requireBuild());

const RUNBOOK = `${header('database-loss', 'Database loss')}steps:
  - id: download-backup
    title: Download the backup
    run: |
      echo "path=/var/backups/from-download.dump"
      echo "dsn=postgres://restorer:Hunter2-pw@db.internal:5432/app"
      touch downloaded.txt
    outputs:
      path: { from: stdout, regex: "path=(\\\\S+)" }
      dsn: { from: stdout, regex: "dsn=(\\\\S+)" }
  - id: restore-database
    title: Restore the database
    run: printf '%s' "\${{ steps.download-backup.outputs.path }}" > restored-from.txt
`;

function setUp(): Workspace {
  const ws = workspace();
  ws.runbook('rb.yaml', RUNBOOK);
  return ws;
}

function run(ws: Workspace, ...args: string[]) {
  return drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir, ...args], { cwd: ws.dir, timeoutMs: 30_000 });
}

describe('drctl run --start-at with steps that use outputs of skipped steps', () => {
  it('refuses before step 1 (exit 2, nothing run), naming each missing output and the step that uses it', () => {
    const ws = setUp();
    const result = run(ws, '--start-at', 'restore-database');
    expect(result.status, result.all).toBe(2);
    expect(result.stderr).toContain(
      '--start-at restore-database skips steps whose outputs are used later, and they were not given: steps.download-backup.outputs.path (used by restore-database)',
    );
    expect(result.stderr).toContain('--output <step>.<name>=<value>');
    expect(result.stderr).toContain('--outputs-from <run-id|latest>');
    expect(result.all).not.toMatch(/at .+\.(c|m)?js:\d+/);
    expect(ws.exists('restored-from.txt')).toBe(false);
    expect(runIds(ws.stateDir)).toEqual([]);
  });

  it('runs with --output; the value reaches the step and is journaled with the skipped step', () => {
    const ws = setUp();
    const result = run(ws, '--start-at', 'restore-database', '--output', 'download-backup.path=/mnt/manual.dump');
    expect(result.status, result.all).toBe(0);
    expect(ws.exists('downloaded.txt')).toBe(false);
    expect(ws.read('restored-from.txt')).toBe('/mnt/manual.dump');
    const [runId] = runIds(ws.stateDir);
    const finished = readJournal(ws.stateDir, runId!).find((e) => e.type === 'step.finished' && e.step === 'download-backup');
    expect(finished).toMatchObject({ status: 'skipped', outputs: { path: '/mnt/manual.dump' } });
  });

  it('masks a given output that holds a URL with a password in the journal', () => {
    const ws = setUp();
    const result = run(
      ws,
      '--start-at',
      'restore-database',
      '--output',
      'download-backup.path=/mnt/manual.dump',
      '--output',
      'download-backup.dsn=postgres://restorer:Given-S3cret@db:5432/app',
    );
    expect(result.status, result.all).toBe(0);
    const [runId] = runIds(ws.stateDir);
    const journal = ws.read(`state/runs/${runId}/journal.jsonl`);
    expect(journal).not.toContain('Given-S3cret');
    const finished = readJournal(ws.stateDir, runId!).find((e) => e.type === 'step.finished' && e.step === 'download-backup');
    expect(finished).toMatchObject({ redacted_outputs: ['dsn'] });
  });

  it('takes the outputs of the latest earlier run of the runbook with --outputs-from latest', () => {
    const ws = setUp();
    expect(run(ws).status).toBe(0);
    ws.write('restored-from.txt', '');
    const result = run(ws, '--start-at', 'restore-database', '--outputs-from', 'latest');
    expect(result.status, result.all).toBe(0);
    expect(ws.read('restored-from.txt')).toBe('/var/backups/from-download.dump');
    expect(runIds(ws.stateDir)).toHaveLength(2);
  });

  it('cannot take an output that was redacted in the earlier journal, and says so', () => {
    const ws = workspace();
    ws.runbook('rb.yaml', RUNBOOK.replace('outputs.path }}', 'outputs.dsn }}'));
    expect(run(ws).status).toBe(0);
    const result = run(ws, '--start-at', 'restore-database', '--outputs-from', 'latest');
    expect(result.status, result.all).toBe(2);
    expect(result.stderr).toMatch(
      /steps\.download-backup\.outputs\.dsn \(used by restore-database; it held a secret and run database-loss-\S+ did not keep it in its journal\)/,
    );
    expect(runIds(ws.stateDir)).toHaveLength(1);
  });

  it('suggests the step meant by a mistyped --start-at or --output step', () => {
    const ws = setUp();
    const startAt = run(ws, '--start-at', 'restore-databse');
    expect(startAt.status, startAt.all).toBe(2);
    expect(startAt.stderr).toContain('--start-at restore-databse: no such step in database-loss; did you mean "restore-database"?');
    const output = run(ws, '--start-at', 'restore-database', '--output', 'download-bakup.path=/x');
    expect(output.status, output.all).toBe(2);
    expect(output.stderr).toContain(
      '--output download-bakup.path: no step download-bakup in database-loss; did you mean "download-backup"?',
    );
    expect(runIds(ws.stateDir)).toEqual([]);
  });

  it('keeps the given outputs in the journal, so a resumed run still has them', async () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      RUNBOOK.replace(
        '  - id: restore-database',
        `  - id: slow
    title: Waits for the operator's go
    idempotent: true
    run: |
      echo $$ > slow.pid
      if [ ! -f go.flag ]; then sleep 60; fi
  - id: restore-database`,
      ),
    );
    onTestFinished(() => {
      if (ws.exists('slow.pid')) killGroup(Number(ws.read('slow.pid').trim()));
    });
    const running = startDrctl(
      ['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir, '--start-at', 'slow', '--output', 'download-backup.path=/mnt/kept.dump'],
      { cwd: ws.dir },
    );
    await waitFor(() => ws.exists('slow.pid') && ws.read('slow.pid').trim() !== '', 'the slow step to start', 20_000);
    running.child.kill('SIGTERM');
    const exit = await exitWithin(running, 20_000);
    expect(exit.code, running.stderr()).toBe(130);
    expect(ws.exists('restored-from.txt')).toBe(false);
    ws.write('go.flag', '');
    const resumed = drctl(['resume', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir, timeoutMs: 30_000 });
    expect(resumed.status, resumed.all).toBe(0);
    expect(ws.read('restored-from.txt')).toBe('/mnt/kept.dump');
  }, 60_000);
});
