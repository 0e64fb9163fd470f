import { mkdirSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { drctl, header, linesOf, onlyRunId, readReport, requireBuild, stepOf, workspace } from './helpers.js';

beforeAll(() => requireBuild());

const rb = (steps: string): string => `${header('fixes', 'Fixes')}objectives: { rto: 1h }\nsteps:\n${steps}`;

describe('what an operator relies on in a --yes run', () => {
  it('a polled step (until:) must still meet its expect once the poll is over', () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      rb(`  - id: poll
    title: Poll
    run: echo "status ready"; echo ERROR >&2
    until: { stdout: { contains: ready } }
    timeout: 10s
    expect: { stderr: { not: { contains: ERROR } } }
`),
    );
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(1);
    expect(stepOf(readReport(ws.stateDir, onlyRunId(ws.stateDir)), 'poll').reason).toContain('stderr was "ERROR"');
  });

  it("a rollback written as a string runs with its step's env and in its step's folder", () => {
    const ws = workspace();
    mkdirSync(ws.path('scripts'));
    ws.runbook(
      'rb.yaml',
      rb(`  - id: change
    title: Change
    env: { TARGET_NS: payments }
    cwd: ./scripts
    run: echo "did $TARGET_NS"
    rollback: echo "undid $TARGET_NS in $(basename "$PWD")" >> ../undo.log
  - id: fail
    title: Fail
    run: exit 1
    on_failure: rollback
`),
    );
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(1);
    expect(linesOf(ws.path('undo.log'))).toEqual(['undid payments in scripts']);
  });

  it('the timeout is a hard limit: a retry due after it is not started', () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      rb(`  - id: flaky
    title: Flaky
    run: echo try >> tries.txt; exit 1
    timeout: 2s
    retries: { attempts: 3, delay: 5s }
`),
    );
    const started = Date.now();
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(1);
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(linesOf(ws.path('tries.txt'))).toEqual(['try']);
    expect(stepOf(readReport(ws.stateDir, onlyRunId(ws.stateDir)), 'flaky').reason).toMatch(/^timed out after 2s/);
  });

  it("names a step's missing folder instead of blaming the shell", () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      rb(`  - id: there
    title: There
    cwd: ./nope
    run: "true"
`),
    );
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status).toBe(1);
    expect(result.all).toContain("the step's folder does not exist:");
    expect(result.all).not.toContain('command not found');
  });

  it('a step that leaves a process in the background is done when its shell exits', () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      rb(`  - id: forward
    title: Start a background process
    run: sleep 3 & echo $! > bg.pid; echo started
    outputs: { said: { from: stdout } }
`),
    );
    const started = Date.now();
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(0);
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(stepOf(readReport(ws.stateDir, onlyRunId(ws.stateDir)), 'forward').outputs).toEqual({ said: 'started' });
    process.kill(Number(ws.read('bg.pid').trim()));
  });

  it('refuses (exit 2, nothing run) a --report file it could not write, before step 1', () => {
    const ws = workspace();
    ws.write('afile', 'not a folder');
    ws.runbook(
      'rb.yaml',
      rb(`  - id: one
    title: One
    run: touch ran.txt
`),
    );
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir, '--report', 'junit:afile/out.xml'], { cwd: ws.dir });
    expect(result.status, result.all).toBe(2);
    expect(result.all).toContain('--report afile/out.xml: cannot write there');
    expect(ws.exists('ran.txt')).toBe(false);
  });

  it('--yes --start-at is not refused for manual steps it skips', () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      rb(`  - id: dns
    title: DNS by hand
    manual: Switch DNS.
  - id: verify
    title: Verify
    run: touch verified.txt
`),
    );
    const result = drctl(['run', 'rb.yaml', '--yes', '--start-at', 'verify', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(0);
    expect(ws.exists('verified.txt')).toBe(true);
  });

  it('a folder in the current directory named like a shipped runbook does not hide it', () => {
    const ws = workspace();
    mkdirSync(ws.path('database-loss'));
    const result = drctl(['show', 'database-loss'], { cwd: ws.dir });
    expect(result.status, result.all).toBe(0);
    expect(result.stdout).toContain('Complete database loss');
  });
});
