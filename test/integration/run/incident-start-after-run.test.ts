import { beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from './helpers.js';
import { drctl, exitWithin, header, killPid, onlyRunId, readJournal, requireBuild, startDrctl, waitFor, workspace } from './helpers.js';

/**
 * `resume --incident-start` corrects when the incident began: never to a time after the run, its
 * recovery, had already started (`-0m` typed at a resume an hour later), which would credit the
 * recovery with less time than it took.
 */

beforeAll(() => requireBuild());

const WAITING = `${header('late-start', 'Late start')}objectives:
  rto: 1h
steps:
  - id: wait
    title: Wait for the flag
    idempotent: true
    run: |
      echo started >> started.txt
      while [ ! -f go.flag ]; do sleep 0.1; done
`;

async function interrupted(ws: Workspace): Promise<string> {
  ws.runbook('rb.yaml', WAITING);
  const running = startDrctl(['run', 'rb.yaml', '--yes', '--incident-start', '-10m', '--state-dir', ws.stateDir], { cwd: ws.dir });
  await waitFor(() => ws.exists('started.txt'), 'the step to start', 20_000);
  killPid(running.pid, 'SIGTERM');
  expect((await exitWithin(running, 20_000)).code).toBe(130);
  return onlyRunId(ws.stateDir);
}

describe('resume --incident-start after the run began', () => {
  it('is refused in one line, exit 2, naming when the run started, and nothing is written', async () => {
    const ws = workspace();
    const runId = await interrupted(ws);
    const started = readJournal(ws.stateDir, runId)[0]!.t as string;
    const journal = ws.read(`state/runs/${runId}/journal.jsonl`);
    // A time after the run's start but not ahead of this machine's clock: the run's start moves an
    // hour back, and the correction says half an hour ago.
    const late = new Date(Date.parse(started) - 30 * 60_000).toISOString();
    ws.write(`state/runs/${runId}/journal.jsonl`, journal.replaceAll(started, new Date(Date.parse(started) - 3600_000).toISOString()));
    const shifted = ws.read(`state/runs/${runId}/journal.jsonl`);
    const result = drctl(['resume', runId, '--yes', '--incident-start', late, '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(2);
    expect(result.stderr).toContain('is after the run started');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(ws.read(`state/runs/${runId}/journal.jsonl`)).toBe(shifted);
    // A time before the run's start is taken.
    ws.write('go.flag', '');
    const ok = drctl(['resume', runId, '--yes', '--incident-start', '-2h', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(ok.status, ok.all).toBe(3);
    expect(ok.all).toContain('Incident start corrected by');
  });
});
