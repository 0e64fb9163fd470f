import { beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from './helpers.js';
import { drctl, header, onlyRunId, readJournal, readReport, requireBuild, runIds, workspace } from './helpers.js';

/**
 * The exit codes CI scripts read, each produced by a real scenario. (4, operator abort, is in
 * interactive.test.ts; 130, a signal, in signals.test.ts.)
 */

beforeAll(() => requireBuild());

/** A runbook whose first step writes marker.txt: its absence proves nothing ran. */
function markerRunbook(name: string, extra = '', steps = ''): string {
  return `${header(name, 'Marker')}objectives:
  rto: 1h
${extra}steps:
  - id: first
    title: Writes the marker
    run: touch marker.txt
${steps}`;
}

/** Nothing ran and no run was recorded. */
function expectNothingRan(ws: Workspace): void {
  expect(ws.exists('marker.txt'), 'the first step ran').toBe(false);
  expect(runIds(ws.stateDir), 'a run directory was created').toEqual([]);
}

describe('exit 0', () => {
  it('when the run succeeds within its RTO', () => {
    const ws = workspace();
    ws.runbook('rb.yaml', markerRunbook('ok'));
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(0);
    expect(ws.exists('marker.txt')).toBe(true);
    const report = readReport(ws.stateDir, onlyRunId(ws.stateDir));
    expect(report).toMatchObject({ status: 'succeeded', rto: { target_s: 3600, met: true } });
    expect(report.rto!.elapsed_s).toBeLessThan(60);
  });

  it('with no objectives at all (rto and rpo are null)', () => {
    const ws = workspace();
    ws.runbook('rb.yaml', `${header('no-objectives', 'No objectives')}steps:\n  - id: one\n    title: One\n    run: "true"\n`);
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(0);
    expect(result.stdout).toContain('RTO: not set');
    expect(readReport(ws.stateDir, onlyRunId(ws.stateDir))).toMatchObject({ rto: null, rpo: null });
  });
});

describe('exit 1', () => {
  it('when a step fails', () => {
    const ws = workspace();
    ws.runbook('rb.yaml', markerRunbook('fails', '', '  - id: broken\n    title: Broken\n    run: exit 3\n'));
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(1);
    expect(readReport(ws.stateDir, onlyRunId(ws.stateDir)).status).toBe('failed');
    expect(result.stdout).toContain('exit code 1');
  });

  it('when an exec: program does not exist', () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      markerRunbook('no-program', '', '  - id: missing\n    title: Missing program\n    exec: [no-such-program-xyz, --flag]\n'),
    );
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(1);
    const step = readReport(ws.stateDir, onlyRunId(ws.stateDir)).steps[1]!;
    expect(step).toMatchObject({ id: 'missing', status: 'failed' });
    expect(step.reason).toContain('no-such-program-xyz');
  });
});

describe('exit 2: refused before step 1, nothing changed', () => {
  it('without --yes when standard input is not a terminal', () => {
    const ws = workspace();
    ws.runbook('rb.yaml', markerRunbook('no-terminal'));
    const result = drctl(['run', 'rb.yaml', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(2);
    expect(result.stderr).toContain('needs a terminal');
    expect(result.stderr).toContain('--yes');
    expectNothingRan(ws);
  });

  it('with --yes when the runbook has a manual step and no --accept-manual', () => {
    const ws = workspace();
    ws.runbook('rb.yaml', markerRunbook('manual-refused', '', '  - id: by-hand\n    title: By hand\n    manual: Flip the switch.\n'));
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(2);
    expect(result.stderr).toContain('--yes cannot do the manual steps of manual-refused: by-hand');
    expect(result.stderr).toContain('--accept-manual');
    expectNothingRan(ws);
  });

  it('when a required input is missing', () => {
    const ws = workspace();
    ws.runbook('rb.yaml', markerRunbook('needs-input', 'inputs:\n  namespace: { description: the namespace to restore }\n'));
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(2);
    expect(result.stderr).toContain('missing required input "namespace" (the namespace to restore): give --input namespace=...');
    expectNothingRan(ws);
  });

  it('when an input is unknown', () => {
    const ws = workspace();
    ws.runbook('rb.yaml', markerRunbook('unknown-input'));
    const result = drctl(['run', 'rb.yaml', '--yes', '--input', 'nope=1', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(2);
    expect(result.stderr).toContain('unknown input "nope"');
    expectNothingRan(ws);
  });

  it('when the runbook is invalid', () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      markerRunbook('invalid', '', '  - id: second\n    title: Refers to nothing\n    run: echo ${{ steps.nope.outputs.x }}\n'),
    );
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(2);
    expect(result.stderr).toMatch(/rb\.yaml:\d+:\d+: error: /);
    expect(result.stderr).toContain('nothing was run');
    expectNothingRan(ws);
  });

  it('when --start-at names no step', () => {
    const ws = workspace();
    ws.runbook('rb.yaml', markerRunbook('bad-start'));
    const result = drctl(['run', 'rb.yaml', '--yes', '--start-at', 'nope', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(2);
    expect(result.stderr).toContain('--start-at nope: no such step in bad-start');
    expectNothingRan(ws);
  });

  it('when a preflight tool is not on PATH', () => {
    const ws = workspace();
    ws.runbook('rb.yaml', markerRunbook('preflight-tool', 'preflight:\n  - require: [sh, no-such-tool-xyz]\n'));
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(2);
    expect(result.stderr).toContain('✗ preflight: tools on PATH: sh, no-such-tool-xyz — not found: no-such-tool-xyz');
    expect(result.stderr).toContain('preflight failed, nothing was changed');
    expectNothingRan(ws);
  });

  it('when a preflight check fails', () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      markerRunbook(
        'preflight-check',
        `inputs:
  context: { default: prod-cluster }
preflight:
  - title: kubectl points at the right cluster
    run: echo staging-cluster
    expect: { stdout: { equals: "\${{ inputs.context }}" } }
`,
      ),
    );
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(2);
    expect(result.stderr).toContain('✗ preflight: kubectl points at the right cluster');
    // The expected value came from an input: the message names the expression, never the value.
    expect(result.stderr).toContain('stdout was "staging-cluster", expected "${{ inputs.context }}"');
    expectNothingRan(ws);
  });

  it('but runs when every preflight check passes', () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      markerRunbook(
        'preflight-ok',
        'preflight:\n  - require: [sh]\n  - title: says ok\n    run: echo ok\n    expect: { stdout: { equals: ok } }\n',
      ),
    );
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(0);
    expect(result.stderr).toContain('✓ preflight: tools on PATH: sh');
    expect(result.stderr).toContain('✓ preflight: says ok');
    expect(ws.exists('marker.txt')).toBe(true);
  });
});

describe('exit 3: succeeded but missed the RTO', () => {
  it('when the steps take longer than the RTO', () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      `${header('slow-recovery', 'Slow recovery')}objectives:
  rto: 1s
steps:
  - id: slow
    title: Takes two seconds
    budget: 500ms
    run: sleep 2
`,
    );
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(3);
    const runId = onlyRunId(ws.stateDir);
    const report = readReport(ws.stateDir, runId);
    expect(report.status).toBe('succeeded');
    expect(report.rto!.met).toBe(false);
    expect(report.rto!.target_s).toBe(1);
    expect(report.rto!.elapsed_s).toBeGreaterThanOrEqual(2);
    expect(report.steps[0]).toMatchObject({ status: 'succeeded', over_budget: true });
    expect(result.stdout).toMatch(/RTO 1(\.0)?s: recovery took 2\S* since the incident start, MISSED/);
    expect(readJournal(ws.stateDir, runId).at(-1)).toMatchObject({ type: 'run.finished', status: 'succeeded', exit_code: 3 });
  });

  it('when the incident began before the RTO window (--incident-start -2h, rto 1h), warning that the RTO is at risk', () => {
    const ws = workspace();
    ws.runbook('rb.yaml', markerRunbook('late-start'));
    const result = drctl(
      ['run', 'rb.yaml', '--yes', '--incident-start', '-2h', '--report', 'junit:junit.xml', '--state-dir', ws.stateDir],
      { cwd: ws.dir },
    );
    expect(result.status, result.all).toBe(3);
    expect(ws.exists('marker.txt')).toBe(true);
    const report = readReport(ws.stateDir, onlyRunId(ws.stateDir));
    expect(report.status).toBe('succeeded');
    expect(report.rto!.met).toBe(false);
    expect(report.rto!.elapsed_s).toBeGreaterThanOrEqual(7200);
    expect(result.stderr).toContain('⚠ RTO AT RISK: projected finish T+2h is past the RTO of 1h');
    expect(result.stderr).toMatch(/clock T\+2h of RTO 1h · projected finish T\+2h \(1h PAST THE RTO\)/);
    expect(ws.read('junit.xml')).toMatch(
      /<testcase classname="late-start" name="RTO 1h" time="0\.000">\s*<failure type="rto-missed" message="RTO 1h: recovery took 2h\S* since the incident start, missed">/,
    );
  });
});
