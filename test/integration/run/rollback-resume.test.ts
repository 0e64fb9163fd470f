import { beforeAll, describe, expect, it } from 'vitest';
import {
  drctl,
  exitWithin,
  header,
  linesOf,
  onlyRunId,
  readJournal,
  readReport,
  requireBuild,
  startDrctl,
  waitFor,
  workspace,
} from './helpers.js';

beforeAll(() => requireBuild());

const UNDO = (idempotent: boolean): string => `${header('undo', 'Undo on resume')}objectives: { rto: 1h }
steps:
  - id: a
    title: Changes something
    run: echo did-a >> log.txt
    rollback:
      idempotent: ${idempotent}
      run: |
        touch undoing-a
        if [ ! -f fast.flag ]; then sleep 30; fi
        echo undid-a >> log.txt
  - id: b
    title: Fails
    run: exit 1
    on_failure: rollback
  - id: c
    title: Must never run after b failed
    run: touch c-ran
`;

describe('a run interrupted while it rolls back', () => {
  it('finishes the rollback on resume (running an idempotent rollback again) and never runs the steps after the failure', async () => {
    const ws = workspace();
    ws.runbook('rb.yaml', UNDO(true));
    const running = startDrctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    await waitFor(() => ws.exists('undoing-a'), 'the rollback of a to start');
    process.kill(running.pid, 'SIGINT');
    expect((await exitWithin(running, 10_000)).code).toBe(130);
    ws.write('fast.flag', '');

    const resumed = drctl(['resume', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(resumed.status, resumed.all).toBe(1);
    expect(ws.exists('c-ran')).toBe(false);
    expect(linesOf(ws.path('log.txt'))).toEqual(['did-a', 'undid-a']);
    const runId = onlyRunId(ws.stateDir);
    const report = readReport(ws.stateDir, runId);
    expect(report.status).toBe('rolled_back');
    expect(report.steps.map((s) => [s.id, s.status])).toEqual([
      ['a', 'rolled_back'],
      ['b', 'failed'],
      ['c', 'not_run'],
    ]);
    const journal = readJournal(ws.stateDir, runId);
    // One rollback, continued: the interrupted rollback of a ran again because it is marked idempotent.
    expect(journal.filter((e) => e.type === 'rollback.started')).toHaveLength(1);
    expect(journal.filter((e) => e.type === 'rollback.step.started').map((e) => e.step)).toEqual(['a', 'a']);
    expect(journal.at(-1)).toMatchObject({ type: 'run.finished', status: 'rolled_back', exit_code: 1 });
  });

  it('never runs a rollback that may have run again unless it is marked idempotent: --yes refuses, exit 2, nothing runs', async () => {
    const ws = workspace();
    ws.runbook('rb.yaml', UNDO(false));
    const running = startDrctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    await waitFor(() => ws.exists('undoing-a'), 'the rollback of a to start');
    process.kill(running.pid, 'SIGINT');
    expect((await exitWithin(running, 10_000)).code).toBe(130);
    ws.write('fast.flag', '');
    const journalBefore = ws.read(`state/runs/${onlyRunId(ws.stateDir)}/journal.jsonl`);

    const resumed = drctl(['resume', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(resumed.status, resumed.all).toBe(2);
    expect(resumed.stderr).toContain('the rollback of step a was running when run');
    expect(resumed.stderr).toContain('is not marked idempotent: --yes cannot decide whether to run it again');
    expect(linesOf(ws.path('log.txt'))).toEqual(['did-a']);
    expect(ws.exists('c-ran')).toBe(false);
    expect(ws.read(`state/runs/${onlyRunId(ws.stateDir)}/journal.jsonl`)).toBe(journalBefore);
  });
});

describe("kill -9 of drctl while a rollback runs (the issue's runbook: change, check with on_failure: rollback, announce)", () => {
  it('resume refuses while the orphaned rollback still runs, then finishes the rollback: exit 1, rolled back, announce never runs', async () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      `${header('killed-undo', 'Killed during rollback')}objectives: { rto: 1h }
steps:
  - id: change
    title: Change
    run: echo changed >> log.txt
    rollback:
      idempotent: true
      run: |
        echo undo-started >> log.txt
        while [ ! -f release.flag ]; do sleep 0.1; done
        echo undone >> log.txt
  - id: check
    title: Check
    run: exit 1
    on_failure: rollback
  - id: announce
    title: Announce
    run: touch announced
`,
    );
    const running = startDrctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    const runId = await waitFor(() => {
      if (!ws.exists('log.txt') || !linesOf(ws.path('log.txt')).includes('undo-started')) return false;
      const id = onlyRunId(ws.stateDir);
      return readJournal(ws.stateDir, id).some((e) => e.type === 'step.process' && e.rollback === true) ? id : false;
    }, 'the rollback to start and journal its process group');
    process.kill(running.pid, 'SIGKILL');
    await exitWithin(running, 10_000);

    const refused = drctl(['resume', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(refused.status, refused.all).toBe(2);
    expect(refused.stderr).toContain('the rollback of step change in run');
    expect(refused.stderr).toContain('is still running as process group');

    ws.write('release.flag', '');
    await waitFor(() => linesOf(ws.path('log.txt')).includes('undone'), 'the orphaned rollback to end');
    const resumed = drctl(['resume', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(resumed.status, resumed.all).toBe(1);
    expect(ws.exists('announced')).toBe(false);
    const report = readReport(ws.stateDir, runId);
    expect(report.status).toBe('rolled_back');
    expect(report.steps.map((s) => [s.id, s.status])).toEqual([
      ['change', 'rolled_back'],
      ['check', 'failed'],
      ['announce', 'not_run'],
    ]);
  });
});
