import { beforeAll, describe, expect, it } from 'vitest';
import {
  drctl,
  header,
  isAlive,
  killPid,
  onlyRunId,
  readJournal,
  readPids,
  readReport,
  requireBuild,
  stepOf,
  workspace,
} from './helpers.js';

/** `timeout:` stops the whole process tree of a step, not only the shell drctl started. */

beforeAll(() => requireBuild());

describe('a step that runs past its timeout', () => {
  it('is killed with all its background grandchildren (even one that ignores SIGTERM), fails, and exits 1', () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      `${header('runaway', 'Runaway step')}steps:
  - id: spawner
    title: Starts background work and waits
    timeout: 1s
    run: |
      echo $$ >> pids
      sleep 300 & echo $! >> pids
      sleep 300 & echo $! >> pids
      (trap '' TERM; exec sleep 300) & echo $! >> pids
      echo started
      wait
  - id: after
    title: Never reached
    run: touch after.txt
`,
    );
    const started = Date.now();
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir, timeoutMs: 20_000 });
    const took = Date.now() - started;
    const pids = readPids(ws.path('pids'));
    try {
      expect(result.status, result.all).toBe(1);
      expect(pids).toHaveLength(4);
      const alive = pids.filter(isAlive);
      expect(alive, `still running after drctl exited: ${alive.join(', ')}`).toEqual([]);
      // 1s timeout plus at most the SIGTERM-to-SIGKILL grace, not 300s.
      expect(took).toBeLessThan(10_000);
      expect(ws.exists('after.txt')).toBe(false);
      const runId = onlyRunId(ws.stateDir);
      const report = readReport(ws.stateDir, runId);
      expect(report.status).toBe('failed');
      const step = stepOf(report, 'spawner');
      expect(step.status).toBe('failed');
      expect(step.reason).toMatch(/timed out after 1s/);
      expect(step.duration_s!).toBeGreaterThanOrEqual(1);
      expect(stepOf(report, 'after').status).toBe('not_run');
      const attempt = readJournal(ws.stateDir, runId).find((e) => e.type === 'step.attempt' && e.step === 'spawner')!;
      expect(attempt.ended).toBe('timeout');
      expect(attempt.stdout_tail).toBe('started\n');
      expect(result.stderr).toMatch(/✗ spawner failed after \S+: timed out after 1s; its processes were killed/);
    } finally {
      for (const pid of pids) killPid(pid);
    }
  });

  it('with retries, each attempt shares the one timeout of the step', () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      `${header('slow-retries', 'Slow retries')}steps:
  - id: slow
    title: Slow and retried
    timeout: 1500ms
    retries: { attempts: 5, delay: 100ms }
    run: |
      echo $$ >> pids
      sleep 300
`,
    );
    const started = Date.now();
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    const pids = readPids(ws.path('pids'));
    try {
      expect(result.status, result.all).toBe(1);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(pids.filter(isAlive)).toEqual([]);
      const step = stepOf(readReport(ws.stateDir, onlyRunId(ws.stateDir)), 'slow');
      expect(step.status).toBe('failed');
      expect(step.attempts).toBe(1);
      expect(step.reason).toMatch(/timed out/);
    } finally {
      for (const pid of pids) killPid(pid);
    }
  });
});
