import { hostname } from 'node:os';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  drctl,
  exitWithin,
  header,
  isAlive,
  killGroup,
  killPid,
  readReport,
  requireBuild,
  runIds,
  startDrctl,
  waitFor,
  workspace,
} from './helpers.js';

/** One active run per runbook and state folder; a dead run's lock never blocks recovery. */

beforeAll(() => requireBuild());

const RUNBOOK = `${header('locked', 'Locked')}objectives:
  rto: 1h
steps:
  - id: work
    title: Works for a while
    run: |
      echo $$ >> work.pids
      echo ran >> work-runs.txt
      if [ ! -f fast.flag ]; then sleep 30; fi
`;

describe('a second run of the same runbook in the same state folder', () => {
  it('is refused with exit 2 naming the active run; after the first is killed -9, a new run takes the stale lock over', async () => {
    const ws = workspace();
    ws.runbook('rb.yaml', RUNBOOK);
    ws.runbook('other.yaml', `${header('other', 'Another runbook')}steps:\n  - id: one\n    title: One\n    run: touch other.txt\n`);
    onTestFinished(() => {
      if (ws.exists('work.pids')) for (const pid of ws.read('work.pids').split('\n').filter(Boolean)) killGroup(Number(pid));
    });
    const first = startDrctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    const pgid = await waitFor(() => ws.exists('work.pids') && Number(ws.read('work.pids').trim()), 'the first run to start its step');
    const [firstRunId] = runIds(ws.stateDir);

    const second = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(second.status, second.all).toBe(2);
    expect(second.stderr).toContain(`another run of locked is active: ${firstRunId} (pid ${first.pid})`);
    expect(runIds(ws.stateDir)).toEqual([firstRunId]); // the refused run left no run behind
    expect(ws.read('work-runs.txt')).toBe('ran\n');

    // Another runbook is not blocked by it.
    const other = drctl(['run', 'other.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(other.status, other.all).toBe(0);
    expect(ws.exists('other.txt')).toBe(true);

    killPid(first.pid, 'SIGKILL');
    await exitWithin(first, 5_000);
    killGroup(pgid);
    await waitFor(() => !isAlive(pgid), 'the orphaned step to die');
    expect(ws.exists('state/locks/locked.lock')).toBe(true); // left behind by kill -9

    ws.write('fast.flag', '');
    const third = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(third.status, third.all).toBe(0);
    const newRun = runIds(ws.stateDir).find((id) => id !== firstRunId && id.startsWith('locked-'))!;
    expect(newRun).toBeDefined();
    expect(readReport(ws.stateDir, newRun).status).toBe('succeeded');
    expect(ws.exists('state/locks/locked.lock')).toBe(false); // released at the end
  });
});

describe('a lock left by a process whose pid was reused (after a reboot, say)', () => {
  it('is taken over: the live process with that pid is not the run that held it', () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      `${header('reuse', 'Reuse')}objectives: { rto: 1h }\nsteps:\n  - id: one\n    title: One\n    run: touch ran.txt\n`,
    );
    // pid 1 is alive, but it did not start at the time the lock records.
    ws.write('state/locks/reuse.lock', JSON.stringify({ pid: 1, run_id: 'reuse-old', host: hostname(), started: '1' }));
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(0);
    expect(ws.exists('ran.txt')).toBe(true);
  });
});
