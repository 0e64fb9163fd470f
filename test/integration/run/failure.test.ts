import { beforeAll, describe, expect, it } from 'vitest';
import { drctl, header, linesOf, onlyRunId, readJournal, readReport, requireBuild, stepOf, workspace } from './helpers.js';

/** on_failure: rollback, abort and continue, as an operator reads them in the files and the report. */

beforeAll(() => requireBuild());

function threeSteps(onFailure: string): string {
  return `${header('failing', 'A step fails')}objectives:
  rto: 1h
steps:
  - id: one
    title: First change
    run: echo one >> actions.log
    rollback: echo undo-one >> actions.log
  - id: two
    title: Second change
    run: echo two >> actions.log
    rollback:
      run: echo "undo-two $TAG" >> actions.log
      env: { TAG: "tagged" }
  - id: three
    title: Breaks
    run: |
      echo three >> actions.log
      echo "disk full" >&2
      exit 5
    on_failure: ${onFailure}
    rollback: echo undo-three >> actions.log
  - id: four
    title: Never reached
    run: echo four >> actions.log
`;
}

describe('on_failure: rollback', () => {
  it('rolls back the steps that succeeded, newest first, and exits 1 with status rolled_back', () => {
    const ws = workspace();
    ws.runbook('rb.yaml', threeSteps('rollback'));
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(1);
    // The failed step itself is not rolled back; the step after it never runs.
    expect(linesOf(ws.path('actions.log'))).toEqual(['one', 'two', 'three', 'undo-two tagged', 'undo-one']);
    const runId = onlyRunId(ws.stateDir);
    const report = readReport(ws.stateDir, runId);
    expect(report.status).toBe('rolled_back');
    expect(report.steps.map((s) => [s.id, s.status])).toEqual([
      ['one', 'rolled_back'],
      ['two', 'rolled_back'],
      ['three', 'failed'],
      ['four', 'not_run'],
    ]);
    expect(stepOf(report, 'three')).toMatchObject({ exit_code: 5, attempts: 1 });
    expect(stepOf(report, 'three').reason).toContain('exit code 5');
    expect(report.rto!.met).toBe(false);
    const journal = readJournal(ws.stateDir, runId);
    const rollbackEvents = journal.filter((e) => e.type.startsWith('rollback.')).map((e) => `${e.type}${e.step ? ` ${e.step}` : ''}`);
    expect(rollbackEvents).toEqual([
      'rollback.started',
      'rollback.step.started two',
      'rollback.step two',
      'rollback.step.started one',
      'rollback.step one',
      'rollback.finished',
    ]);
    expect(journal.find((e) => e.type === 'rollback.started')!.steps).toEqual(['two', 'one']);
    expect(journal.find((e) => e.type === 'rollback.finished')!.ok).toBe(true);
    expect(journal.at(-1)).toMatchObject({ type: 'run.finished', status: 'rolled_back', exit_code: 1 });
    expect(result.stderr).toContain('Rolling back: two, one (newest first)');
    expect(result.stderr).toContain('↺ rolled back two');
    expect(result.stderr).toContain('↺ rolled back one');
    // Nothing was recovered: no recovery time and no verdict.
    expect(result.stdout).toContain(`Run ${runId}: rolled back\n`);
    expect(result.stdout).toContain('RTO 1h: no verdict (rolled back)');
    expect(result.stdout).not.toMatch(/recovery took|MISSED/);
    expect(report.rto).toMatchObject({ met: false, verdict: 'not recovered' });
    expect(stepOf(report, 'three').reason).toBe('exit code 5 (expected 0): disk full');
    expect(stepOf(report, 'three').error_tail).toBe('disk full');
  });

  it('reports the run failed, not rolled back, when a rollback command itself fails', () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      `${header('bad-rollback', 'A rollback fails')}steps:
  - id: one
    title: First change
    run: echo one >> actions.log
    rollback: echo undo-one >> actions.log
  - id: two
    title: Second change
    run: echo two >> actions.log
    rollback: exit 9
  - id: three
    title: Breaks
    run: exit 1
    on_failure: rollback
`,
    );
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(1);
    // A failed rollback does not stop the others.
    expect(linesOf(ws.path('actions.log'))).toEqual(['one', 'two', 'undo-one']);
    const report = readReport(ws.stateDir, onlyRunId(ws.stateDir));
    expect(report.status).toBe('failed');
    expect(report.steps.map((s) => [s.id, s.status])).toEqual([
      ['one', 'rolled_back'],
      ['two', 'succeeded'],
      ['three', 'failed'],
    ]);
    expect(result.stderr).toContain('✗ rollback of two failed: exit code 9');
  });
});

describe('on_failure: abort (the default)', () => {
  it('stops at the failed step, exits 1, rolls nothing back and records later steps as not_run', () => {
    const ws = workspace();
    ws.runbook('rb.yaml', threeSteps('abort'));
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(1);
    expect(linesOf(ws.path('actions.log'))).toEqual(['one', 'two', 'three']);
    const runId = onlyRunId(ws.stateDir);
    const report = readReport(ws.stateDir, runId);
    expect(report.status).toBe('failed');
    expect(report.steps.map((s) => [s.id, s.status])).toEqual([
      ['one', 'succeeded'],
      ['two', 'succeeded'],
      ['three', 'failed'],
      ['four', 'not_run'],
    ]);
    expect(stepOf(report, 'four')).toMatchObject({ attempts: 0, duration_s: null, exit_code: null });
    const journal = readJournal(ws.stateDir, runId);
    expect(journal.some((e) => e.type.startsWith('rollback'))).toBe(false);
    expect(journal.some((e) => e.step === 'four')).toBe(false);
    expect(journal.at(-1)).toMatchObject({ type: 'run.finished', status: 'failed', exit_code: 1 });
    expect(result.stderr).toContain('✗ three failed after');
    expect(result.stderr).toContain('  │ disk full');
  });

  it('the same when on_failure is not written at all', () => {
    const ws = workspace();
    ws.runbook('rb.yaml', threeSteps('abort').replace('    on_failure: abort\n', ''));
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(1);
    expect(linesOf(ws.path('actions.log'))).toEqual(['one', 'two', 'three']);
    expect(readReport(ws.stateDir, onlyRunId(ws.stateDir)).steps.map((s) => s.status)).toEqual([
      'succeeded',
      'succeeded',
      'failed',
      'not_run',
    ]);
  });

  it('counts a failed expectation as a failure even when the exit code is 0', () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      `${header('expect-fails', 'Expectation')}steps:
  - id: check
    title: Replication is healthy
    run: echo "replicas 1"
    expect: { stdout: { matches: "replicas [3-9]" } }
  - id: after
    title: After
    run: touch after.txt
`,
    );
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(1);
    expect(ws.exists('after.txt')).toBe(false);
    const check = stepOf(readReport(ws.stateDir, onlyRunId(ws.stateDir)), 'check');
    expect(check).toMatchObject({ status: 'failed', exit_code: 0 });
    expect(check.reason).toBe('stdout was "replicas 1", expected it to match /replicas [3-9]/');
  });
});
