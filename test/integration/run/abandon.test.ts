import { appendFileSync, readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { Workspace } from './helpers.js';
import {
  drctl,
  exitWithin,
  header,
  isAlive,
  journalPath,
  killGroup,
  killPid,
  readJournal,
  readReport,
  requireBuild,
  runIds,
  startDrctl,
  waitFor,
  workspace,
} from './helpers.js';

/** `drctl abandon` ends for good a run that stopped and will not be resumed. */

beforeAll(() => requireBuild());

/** Step 2 waits (up to a minute) for go.flag, writing its pid to <run folder>.pid first. */
const RUNBOOK = `${header('given-up', 'Given up')}steps:
  - id: first
    title: First
    run: echo first
  - id: long
    title: Long step
    run: |
      echo $$ >> long.pids
      i=0; while [ ! -f go.flag ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
  - id: last
    title: Last
    run: echo last
`;

function pids(ws: Workspace): number[] {
  return ws.exists('long.pids') ? ws.read('long.pids').split('\n').filter(Boolean).map(Number) : [];
}

/** Start a run and wait until it is in its long step; returns the run id. */
async function startLong(ws: Workspace) {
  onTestFinished(() => pids(ws).forEach(killGroup));
  const before = new Set(runIds(ws.stateDir));
  const count = pids(ws).length;
  const running = startDrctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
  await waitFor(() => pids(ws).length > count, 'the long step to start', 30_000);
  const pgid = pids(ws).at(-1)!;
  const runId = runIds(ws.stateDir).find((id) => !before.has(id))!;
  await waitFor(
    () => readJournal(ws.stateDir, runId).some((e) => e.type === 'step.process' && e.pgid === pgid),
    'its process group journaled',
  );
  return { running, runId, pgid };
}

async function crash(ws: Workspace) {
  const { running, runId, pgid } = await startLong(ws);
  killPid(running.pid, 'SIGKILL');
  await exitWithin(running, 10_000);
  killGroup(pgid);
  await waitFor(() => !isAlive(pgid), 'the orphaned step to die');
  return runId;
}

describe('drctl abandon', () => {
  it('refuses an active run; after a crash it journals who and why, ends the run as aborted (exit code 4), and resume refuses it', async () => {
    const ws = workspace();
    ws.runbook('rb.yaml', RUNBOOK);
    const { running, runId, pgid } = await startLong(ws);
    const journalBefore = readFileSync(journalPath(ws.stateDir, runId), 'utf8');
    const active = drctl(['abandon', runId, '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(active.status).toBe(2);
    expect(active.stderr).toBe(
      `drctl: run ${runId} is active: its drctl is still running\n  hint: stop it first (Ctrl-C in its terminal), then abandon it; or let it finish\n`,
    );
    expect(readFileSync(journalPath(ws.stateDir, runId), 'utf8')).toBe(journalBefore);

    killPid(running.pid, 'SIGKILL');
    await exitWithin(running, 10_000);
    killGroup(pgid);
    await waitFor(() => !isAlive(pgid), 'the orphaned step to die');
    appendFileSync(journalPath(ws.stateDir, runId), '{"type":"step.fini');

    const abandoned = drctl(['abandon', runId.slice(0, -3), '--reason', 'restored by hand from the replica', '--state-dir', ws.stateDir], {
      cwd: ws.dir,
    });
    expect(abandoned.status, abandoned.all).toBe(0);
    expect(abandoned.stdout).toBe(
      `Abandoned run ${runId}: recorded as aborted (the run's exit code: 4); it will not be resumed. Report: ${ws.stateDir}/runs/${runId}/report.json\n`,
    );
    const text = readFileSync(journalPath(ws.stateDir, runId), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const journal = readJournal(ws.stateDir, runId);
    expect(journal.slice(-2)).toMatchObject([
      { type: 'run.abandoned', user: userInfo().username, host: hostname(), terminal: 'none', reason: 'restored by hand from the replica' },
      { type: 'run.finished', status: 'aborted', exit_code: 4 },
    ]);
    const report = readReport(ws.stateDir, runId);
    expect(report).toMatchObject({ status: 'aborted', exit_code: 4 });
    expect(report.steps.map((s) => s.status)).toEqual(['succeeded', 'not_run', 'not_run']);

    const runs = drctl(['runs', '--state-dir', ws.stateDir], { cwd: ws.dir });
    const row = runs.stdout.split('\n').find((line) => line.startsWith(runId))!;
    expect(row).toContain('aborted');
    expect(row).not.toContain('resumable');

    ws.write('go.flag', '');
    const resume = drctl(['resume', runId, '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(resume.status).toBe(2);
    expect(resume.stderr).toBe(
      `drctl: run ${runId} was abandoned by ${userInfo().username}@${hostname()} at ${journal.at(-2)!.t} (restored by hand from the replica): it is not resumed\n` +
        `  hint: start a new run, or see its report: drctl report ${runId}\n`,
    );
    const again = drctl(['abandon', runId, '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(again.status).toBe(2);
    expect(again.stderr).toContain(`drctl: run ${runId} already finished: aborted (abandoned by ${userInfo().username}@${hostname()} at `);
    expect(readJournal(ws.stateDir, runId)).toHaveLength(journal.length);
  });

  it('abandons a crashed run while a new run of the same runbook holds the lock, and that run goes on', async () => {
    const ws = workspace();
    ws.runbook('rb.yaml', RUNBOOK);
    const old = await crash(ws);
    const fresh = await startLong(ws);
    const abandoned = drctl(['abandon', old, '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(abandoned.status, abandoned.all).toBe(0);
    expect(readJournal(ws.stateDir, old).at(-2)).toMatchObject({ type: 'run.abandoned', reason: null });
    ws.write('go.flag', '');
    const exit = await exitWithin(fresh.running, 60_000);
    expect(exit.code, fresh.running.stdout() + fresh.running.stderr()).toBe(0);
    expect(readReport(ws.stateDir, fresh.runId).status).toBe('succeeded');
    expect(readReport(ws.stateDir, old).status).toBe('aborted');
  });

  it('refuses a run that finished, an empty reason and a name that is no run id (exit 2)', () => {
    const ws = workspace();
    ws.runbook('rb.yaml', `${header('short', 'Short run')}steps:\n  - id: one\n    title: One\n    run: echo one\n`);
    expect(drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir }).status).toBe(0);
    const [runId] = runIds(ws.stateDir) as [string];
    const done = drctl(['abandon', runId, '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(done.status).toBe(2);
    expect(done.stderr).toBe(
      `drctl: run ${runId} already finished: succeeded\n  hint: only a run that stopped before its end can be abandoned; see its report: drctl report ${runId}\n`,
    );
    const empty = drctl(['abandon', runId, '--reason', ' ', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(empty.status).toBe(2);
    expect(empty.stderr).toBe('drctl: --reason is empty\n  hint: leave it out, or say why\n');
    const path = drctl(['abandon', '../x', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(path.status).toBe(2);
    expect(path.stderr).toMatch(/^drctl: "\.\.\/x" is not a run id\n/);
    expect(readReport(ws.stateDir, runId).status).toBe('succeeded');
  });
});
