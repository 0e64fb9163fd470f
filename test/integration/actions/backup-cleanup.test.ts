import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { TestMoto } from '../../support/moto.js';
import { hasMoto, startMoto } from '../../support/moto.js';
import type { Workspace } from '../run/helpers.js';
import {
  drctl,
  exitWithin,
  header,
  isAlive,
  journalPath,
  killGroup,
  killPid,
  modeOf,
  readJournal,
  readReport,
  requireBuild,
  runIds,
  sleep,
  startDrctl,
  waitFor,
  workspace,
} from '../run/helpers.js';

/**
 * A downloaded backup is the production database in a file: drctl writes it 0600 in a 0700 folder
 * of its own, and removes both when the run ends (kept with keep: true), by a cleanup ledger in the
 * journal that a kill -9 does not lose: resume, abandon and `drctl cleanup` finish it. The bucket is
 * moto's, filled with the real aws CLI.
 */

const BUCKET = 'cleanup-backups';
const KEY = 'pg/backup_0001.sql.gz';
const BODY = 'the production dump\n';

describe.skipIf(!hasMoto())('downloaded backups and the cleanup ledger, against moto_server', () => {
  let moto: TestMoto;
  let setup: Workspace;
  let incidentStart: string;

  const aws = (...args: string[]): string => {
    const result = spawnSync('aws', args, { env: { ...process.env, ...moto.env }, encoding: 'utf8', timeout: 120_000 });
    if (result.status !== 0) throw new Error(`aws ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
    return result.stdout;
  };
  // Wide enough that no path or reason is wrapped onto a second line.
  const env = () => ({ ...moto.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', COLUMNS: '400' });

  /** Find and download the backup into a folder of the run's own, then wait (for go.flag) as a later step would. */
  const runbook = (keep = false): string => `${header('restore', 'Restore')}steps:
  - id: find
    title: Find the backup
    uses: backup.latest
    with: { location: "s3://${BUCKET}/pg/" }
  - id: download
    title: Download it
    uses: backup.download
    with: { uri: "\${{ steps.find.outputs.uri }}", to: "drctl-\${{ run.id }}/"${keep ? ', keep: true' : ''} }
  - id: look
    title: Look at the data
    idempotent: true
    run: |
      echo $$ >> look.pids
      i=0; while [ ! -f go.flag ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done
`;

  const pids = (ws: Workspace): number[] => (ws.exists('look.pids') ? ws.read('look.pids').split('\n').filter(Boolean).map(Number) : []);

  /** Start the run and wait until it waits in the step after the download; its run id, the file and the folder. */
  async function startWaiting(ws: Workspace, keep = false) {
    ws.runbook('rb.yaml', runbook(keep));
    onTestFinished(() => pids(ws).forEach(killGroup));
    const running = startDrctl(['run', 'rb.yaml', '--yes', '--incident-start', incidentStart, '--state-dir', ws.stateDir], {
      cwd: ws.dir,
      env: env(),
    });
    await waitFor(() => pids(ws).length > 0, 'the step after the download to start', 60_000);
    const runId = runIds(ws.stateDir)[0]!;
    const pgid = pids(ws)[0]!;
    await waitFor(
      () => readJournal(ws.stateDir, runId).some((e) => e.type === 'step.process' && e.pgid === pgid),
      'its process group journaled',
    );
    const folder = ws.path(`drctl-${runId}`);
    return { running, runId, pgid, folder, file: ws.path(`drctl-${runId}`, 'backup_0001.sql.gz') };
  }

  async function killDrctl(ws: Workspace, started: Awaited<ReturnType<typeof startWaiting>>): Promise<void> {
    killPid(started.running.pid, 'SIGKILL');
    await exitWithin(started.running, 10_000);
    killGroup(started.pgid);
    await waitFor(() => !isAlive(started.pgid), 'the orphaned step to die');
  }

  beforeAll(async () => {
    requireBuild();
    moto = await startMoto();
    setup = workspace('drctl-cleanup-s3-');
    aws('s3', 'mb', `s3://${BUCKET}`);
    writeFileSync(setup.path('dump'), BODY);
    aws('s3', 'cp', '--quiet', setup.path('dump'), `s3://${BUCKET}/${KEY}`);
    // moto keeps whole seconds: the incident starts safely after the backup.
    await sleep(1500);
    incidentStart = new Date().toISOString();
  }, 120_000);

  afterAll(() => {
    moto?.stop();
    setup?.remove();
  });

  it('writes the backup 0600 in a 0700 folder while the run goes on, and removes both when it ends', async () => {
    const ws = workspace('drctl-cleanup-s3-');
    const started = await startWaiting(ws);
    expect(modeOf(started.file)).toBe(0o600);
    expect(modeOf(started.folder)).toBe(0o700);
    expect(ws.read(`drctl-${started.runId}/backup_0001.sql.gz`)).toBe(BODY);
    ws.write('go.flag', '');
    const exit = await exitWithin(started.running, 60_000);
    expect(exit.code, started.running.stdout() + started.running.stderr()).toBe(0);
    expect(existsSync(started.file)).toBe(false);
    expect(existsSync(started.folder)).toBe(false);
    // Said on screen, journaled, and in the report.
    expect(started.running.stdout() + started.running.stderr()).toContain(`removed ${started.file}`);
    expect(started.running.stdout() + started.running.stderr()).toContain(`removed ${started.folder}`);
    const journal = readJournal(ws.stateDir, started.runId);
    expect(journal.filter((e) => e.type === 'cleanup.registered').map((e) => [e.kind, e.path, e.step])).toEqual([
      ['dir', started.folder, 'download'],
      ['file', started.file, 'download'],
    ]);
    expect(journal.filter((e) => e.type === 'cleanup.done').map((e) => [e.path, e.result])).toEqual([
      [started.file, 'removed'],
      [started.folder, 'removed'],
    ]);
    const types = journal.map((e) => e.type);
    expect(types.lastIndexOf('cleanup.done')).toBeLessThan(types.indexOf('run.finished'));
    expect(readReport(ws.stateDir, started.runId).cleanup.map((c) => [c.path, c.status])).toEqual([
      [started.folder, 'removed'],
      [started.file, 'removed'],
    ]);
  }, 120_000);

  it('keep: true keeps the file (still 0600) and its folder, journaled and reported as kept', async () => {
    const ws = workspace('drctl-cleanup-s3-');
    const started = await startWaiting(ws, true);
    ws.write('go.flag', '');
    const exit = await exitWithin(started.running, 60_000);
    expect(exit.code, started.running.stdout() + started.running.stderr()).toBe(0);
    expect(ws.read(`drctl-${started.runId}/backup_0001.sql.gz`)).toBe(BODY);
    expect(modeOf(started.file)).toBe(0o600);
    expect(modeOf(started.folder)).toBe(0o700);
    expect(started.running.stdout() + started.running.stderr()).toContain(`kept ${started.file} (keep: true)`);
    expect(readReport(ws.stateDir, started.runId).cleanup.map((c) => c.status)).toEqual(['kept', 'kept']);
    // Nothing is left to do for drctl cleanup either.
    const cleanup = drctl(['cleanup', started.runId, '--state-dir', ws.stateDir], { cwd: ws.dir, env: env() });
    expect(cleanup.status, cleanup.all).toBe(0);
    expect(cleanup.stdout).toContain(`Nothing left to clean up for run ${started.runId} (kept with keep: true:`);
    expect(existsSync(started.file)).toBe(true);
  }, 120_000);

  it('killed with SIGKILL after the download: the file stays; drctl cleanup refuses the resumable run; resume finishes and removes it', async () => {
    const ws = workspace('drctl-cleanup-s3-');
    const started = await startWaiting(ws);
    await killDrctl(ws, started);
    expect(ws.read(`drctl-${started.runId}/backup_0001.sql.gz`)).toBe(BODY);
    const refused = drctl(['cleanup', started.runId, '--state-dir', ws.stateDir], { cwd: ws.dir, env: env() });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(
      `drctl: run ${started.runId} can be resumed: its downloaded files may still be needed, so they are kept`,
    );
    expect(existsSync(started.file)).toBe(true);
    ws.write('go.flag', '');
    const resumed = drctl(['resume', started.runId, '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir, env: env(), timeoutMs: 60_000 });
    expect(resumed.status, resumed.all).toBe(0);
    expect(existsSync(started.file)).toBe(false);
    expect(existsSync(started.folder)).toBe(false);
    expect(resumed.all).toContain(`removed ${started.file}`);
    expect(readReport(ws.stateDir, started.runId).cleanup.map((c) => c.status)).toEqual(['removed', 'removed']);
  }, 120_000);

  it('drctl abandon removes what the run downloaded', async () => {
    const ws = workspace('drctl-cleanup-s3-');
    const started = await startWaiting(ws);
    await killDrctl(ws, started);
    const abandoned = drctl(['abandon', started.runId, '--state-dir', ws.stateDir], { cwd: ws.dir, env: env() });
    expect(abandoned.status, abandoned.all).toBe(0);
    expect(abandoned.stdout).toContain(`removed ${started.file}`);
    expect(existsSync(started.file)).toBe(false);
    expect(existsSync(started.folder)).toBe(false);
    expect(readReport(ws.stateDir, started.runId).cleanup.map((c) => c.status)).toEqual(['removed', 'removed']);
  }, 120_000);

  it('drctl cleanup removes what an abandoned run left (its abandon stopped before cleaning) and prints it', async () => {
    const ws = workspace('drctl-cleanup-s3-');
    const started = await startWaiting(ws);
    await killDrctl(ws, started);
    // `drctl abandon` killed right after journaling the abandon: nothing was removed yet.
    const abandonedAt = new Date().toISOString();
    appendFileSync(
      journalPath(ws.stateDir, started.runId),
      `${JSON.stringify({ type: 'run.abandoned', user: 'oncall', host: 'laptop', terminal: 'none', reason: null, t: abandonedAt })}\n`,
    );
    expect(existsSync(started.file)).toBe(true);
    const cleanup = drctl(['cleanup', started.runId, '--state-dir', ws.stateDir], { cwd: ws.dir, env: env() });
    expect(cleanup.status, cleanup.all).toBe(0);
    expect(cleanup.stdout).toContain(`Cleaning up run ${started.runId}:`);
    expect(cleanup.stdout).toContain(`removed ${started.file}`);
    expect(cleanup.stdout).toContain(`removed ${started.folder}`);
    expect(existsSync(started.file)).toBe(false);
    expect(existsSync(started.folder)).toBe(false);
    expect(readJournal(ws.stateDir, started.runId).filter((e) => e.type === 'cleanup.done')).toHaveLength(2);
    // Once done, done.
    const again = drctl(['cleanup', started.runId, '--state-dir', ws.stateDir], { cwd: ws.dir, env: env() });
    expect(again.status).toBe(0);
    expect(again.stdout).toBe(`Nothing left to clean up for run ${started.runId}.\n`);
  }, 120_000);

  it('a file swapped for something else after the download is left alone, and said so', async () => {
    const ws = workspace('drctl-cleanup-s3-');
    const started = await startWaiting(ws);
    // Someone replaces the download with a link to a file of theirs: drctl must not remove either.
    ws.write('precious.txt', "not drctl's\n");
    spawnSync('rm', ['-f', started.file]);
    spawnSync('ln', ['-s', ws.path('precious.txt'), started.file]);
    ws.write('go.flag', '');
    const exit = await exitWithin(started.running, 60_000);
    expect(exit.code, started.running.stdout() + started.running.stderr()).toBe(0);
    expect(ws.read('precious.txt')).toBe("not drctl's\n");
    expect(started.running.stdout() + started.running.stderr()).toContain(
      `could not remove ${started.file}: it is a symbolic link now, not what drctl made: left alone`,
    );
    expect(existsSync(started.folder)).toBe(true);
    expect(readReport(ws.stateDir, started.runId).cleanup.map((c) => c.status)).toEqual(['failed', 'failed']);
  }, 120_000);

  it('find-backup with no backup before the incident start fails once, without retrying, despite retries: { attempts: 3 }', () => {
    const ws = workspace('drctl-cleanup-s3-');
    ws.runbook(
      'rb.yaml',
      `${header('restore', 'Restore')}steps:
  - id: find-backup
    title: Find the backup
    uses: backup.latest
    with: { location: "s3://${BUCKET}/pg/" }
    retries: { attempts: 3, delay: 2s }
`,
    );
    const before = new Date(Date.parse(incidentStart) - 3_600_000).toISOString();
    const result = drctl(['run', 'rb.yaml', '--yes', '--incident-start', before, '--state-dir', ws.stateDir], {
      cwd: ws.dir,
      env: env(),
      timeoutMs: 60_000,
    });
    expect(result.status, result.all).toBe(1);
    expect(result.all.split('are newer than the incident start').length - 1).toBe(1);
    expect(result.all).toContain('(not retried: trying again cannot change this)');
    expect(result.all).not.toContain('retrying in');
    const runId = runIds(ws.stateDir)[0]!;
    expect(readJournal(ws.stateDir, runId).filter((e) => e.type === 'step.attempt')).toHaveLength(1);
  }, 120_000);
});
