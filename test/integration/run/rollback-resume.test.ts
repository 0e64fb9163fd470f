import { beforeAll, describe, expect, it } from 'vitest';
import { drctl, exitWithin, header, linesOf, onlyRunId, readJournal, readReport, requireBuild, startDrctl, waitFor, workspace } from './helpers.js';

beforeAll(() => requireBuild());

describe('a run interrupted while it rolls back', () => {
  it('finishes the rollback on resume and never runs the steps after the failure', async () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      `${header('undo', 'Undo on resume')}objectives: { rto: 1h }
steps:
  - id: a
    title: Changes something
    run: echo did-a >> log.txt
    rollback: |
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
`,
    );
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
    expect(report.steps.map((s) => [s.id, s.status])).toEqual([['a', 'rolled_back'], ['b', 'failed'], ['c', 'not_run']]);
    expect(readJournal(ws.stateDir, runId).filter((e) => e.type === 'rollback.started')).toHaveLength(2);
  });
});
