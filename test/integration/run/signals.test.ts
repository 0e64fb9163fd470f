import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  drctl,
  exitWithin,
  header,
  isAlive,
  killGroup,
  killPid,
  linesOf,
  onlyRunId,
  readJournal,
  readReport,
  requireBuild,
  startDrctl,
  waitFor,
  workspace,
} from './helpers.js';

/** Ctrl-C, SIGTERM or SIGHUP (a closed terminal) during a long step: exit 130, nothing left running, and the run can be resumed. */

beforeAll(() => requireBuild());

const RUNBOOK = `${header('long-step', 'Long step')}objectives:
  rto: 1h
steps:
  - id: first
    title: Quick
    run: echo first >> first.txt
  - id: long
    title: Long running
    idempotent: true
    run: |
      echo $$ > long.pid
      echo started >> long-runs.txt
      if [ -f fast.flag ]; then exit 0; fi
      sleep 30 &
      echo $! > sleep.pid
      wait
  - id: done
    title: Done
    run: touch done.txt
`;

describe.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)('%s sent to drctl during a long step', (signal) => {
  it("stops the step's processes, journals run.interrupted, exits 130, and `drctl resume --yes` finishes the run", async () => {
    const ws = workspace();
    ws.runbook('rb.yaml', RUNBOOK);
    const running = startDrctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    const pids: number[] = [];
    onTestFinished(() => pids.forEach((pid) => killGroup(pid)));
    const sleeper = await waitFor(() => ws.exists('sleep.pid') && Number(ws.read('sleep.pid').trim()), 'the long step to start');
    const leader = Number(ws.read('long.pid').trim());
    pids.push(leader, sleeper);
    expect(isAlive(sleeper)).toBe(true);

    killPid(running.pid, signal);
    const exit = await exitWithin(running, 8_000);
    expect(exit.code, running.stderr()).toBe(130);
    expect(isAlive(leader)).toBe(false);
    expect(isAlive(sleeper)).toBe(false);
    expect(running.stderr()).toContain(`Interrupted (${signal}). The run is saved; continue it with: drctl resume`);
    expect(ws.exists('done.txt')).toBe(false);

    const runId = onlyRunId(ws.stateDir);
    const journal = readJournal(ws.stateDir, runId);
    expect(journal.at(-1)).toMatchObject({ type: 'run.interrupted', signal });
    expect(journal.some((e) => e.type === 'step.finished' && e.step === 'long')).toBe(false);
    expect(readReport(ws.stateDir, runId).status).toBe('interrupted');

    const runs = drctl(['runs', '--json', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect((JSON.parse(runs.stdout) as Array<{ run_id: string; status: string }>).map((r) => [r.run_id, r.status])).toEqual([
      [runId, 'interrupted'],
    ]);
    const table = drctl(['runs', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(table.stdout).toMatch(new RegExp(`${runId}\\s+real\\s+interrupted \\(resumable\\)`));

    ws.write('fast.flag', '');
    const resumed = drctl(['resume', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(resumed.status, resumed.all).toBe(0);
    expect(ws.exists('done.txt')).toBe(true);
    expect(linesOf(ws.path('first.txt'))).toEqual(['first']);
    expect(linesOf(ws.path('long-runs.txt'))).toEqual(['started', 'started']);
    const report = readReport(ws.stateDir, runId);
    expect(report.status).toBe('succeeded');
    expect(report.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(readJournal(ws.stateDir, runId).find((e) => e.type === 'run.resumed')).toMatchObject({ in_flight: 'long' });
  });
});
