import { spawnSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Running } from './helpers.js';
import { exitWithin, header, linesOf, readJournal, readReport, requireBuild, runIds, startDrctl, waitFor, workspace } from './helpers.js';

/**
 * Two drctl started at the same instant on one runbook and state folder: exactly one runs, the
 * other is refused in one line naming the run that holds the lock, whatever the timing, and with a
 * stale lock (left by a dead process) in the way too.
 */

beforeAll(() => requireBuild());

// The step records that it ran, then waits for the test: the winner is still running when the
// loser tries, so two runs cannot pass for one run after the other.
const RUNBOOK = `${header('race', 'Race for the lock')}objectives: { rto: 1h }
steps:
  - id: work
    title: Records that it ran and waits to be released
    idempotent: true
    run: |
      echo "$$" >> ran.txt
      while [ ! -e release.flag ]; do sleep 0.05; done
`;

interface PairOutcome {
  codes: Array<number | null>;
  /** Lines the step wrote: one per run that got through the lock. */
  ran: number;
  winner?: Running | undefined;
  loser?: Running | undefined;
}

/** Start two drctl with the same arguments at once; release the step once one has given up (or both are in it). */
async function racePair(args: string[], cwd: string): Promise<PairOutcome> {
  const ran = join(cwd, 'ran.txt');
  const pair = [startDrctl(args, { cwd }), startDrctl(args, { cwd })];
  const done = pair.map(() => false);
  pair.forEach((running, i) => void running.exited.then(() => (done[i] = true)));
  await waitFor(() => done.some(Boolean) || linesOf(ran).length >= 2, 'one drctl to give up, or both to run the step', 30_000);
  spawnSync('touch', [join(cwd, 'release.flag')]);
  const exits = await Promise.all(pair.map((running) => exitWithin(running, 30_000)));
  const codes = exits.map((e) => e.code);
  const winnerIndex = codes.indexOf(0);
  return {
    codes,
    ran: linesOf(ran).length,
    winner: winnerIndex === -1 ? undefined : pair[winnerIndex],
    loser: winnerIndex === -1 ? undefined : pair[1 - winnerIndex],
  };
}

/** The refusal an operator sees: one line naming the active run, then a hint. */
function expectRefusal(outcome: PairOutcome, runId: string, label: string): void {
  const lines = outcome.loser!.stderr().trim().split('\n');
  expect(lines[0], `${label}: ${outcome.loser!.stderr()}`).toBe(
    `drctl: another run of race is active: ${runId} (pid ${outcome.winner!.pid})`,
  );
  expect(
    lines.slice(1).every((line) => line.startsWith('  hint: ')),
    `${label}: ${outcome.loser!.stderr()}`,
  ).toBe(true);
}

/** A lock file as drctl writes it, for a process that has ended. */
function staleLock(): string {
  const result = spawnSync('sh', ['-c', 'echo $$; cat /proc/$$/stat'], { encoding: 'utf8' });
  const [pidLine, stat] = [result.stdout.split('\n')[0]!, result.stdout.split('\n')[1]!];
  const started = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  return JSON.stringify({ pid: Number(pidLine), run_id: 'race-dead', host: hostname(), started });
}

describe('two drctl run of one runbook started at the same instant', () => {
  it('in 50 pairs, exactly one of each pair runs and the other exits 2 naming it', async () => {
    const ws = workspace();
    const doubles: string[] = [];
    for (let i = 0; i < 50; i++) {
      const dir = ws.path(`pair-${i}`);
      ws.runbook(`pair-${i}/rb.yaml`, RUNBOOK);
      const outcome = await racePair(['run', 'rb.yaml', '--yes', '--state-dir', join(dir, 'state')], dir);
      if (outcome.ran !== 1) doubles.push(`pair ${i}: the step ran ${outcome.ran} times (exit codes ${outcome.codes.join(', ')})`);
      else {
        expect([...outcome.codes].sort(), `pair ${i}`).toEqual([0, 2]);
        const ids = runIds(join(dir, 'state'));
        expect(ids, `pair ${i}: the refused run leaves no run behind`).toHaveLength(1);
        expectRefusal(outcome, ids[0]!, `pair ${i}`);
      }
    }
    expect(doubles).toEqual([]);
  }, 600_000);

  it('in 50 pairs with a stale lock in the way, exactly one takes it over and the other exits 2 naming it', async () => {
    const ws = workspace();
    const doubles: string[] = [];
    for (let i = 0; i < 50; i++) {
      const dir = ws.path(`pair-${i}`);
      ws.runbook(`pair-${i}/rb.yaml`, RUNBOOK);
      ws.write(`pair-${i}/state/locks/race.lock`, staleLock());
      const outcome = await racePair(['run', 'rb.yaml', '--yes', '--state-dir', join(dir, 'state')], dir);
      if (outcome.ran !== 1) doubles.push(`pair ${i}: the step ran ${outcome.ran} times (exit codes ${outcome.codes.join(', ')})`);
      else {
        expect([...outcome.codes].sort(), `pair ${i}`).toEqual([0, 2]);
        const ids = runIds(join(dir, 'state'));
        expect(ids, `pair ${i}`).toHaveLength(1);
        expectRefusal(outcome, ids[0]!, `pair ${i}`);
      }
      expect(ws.exists(`pair-${i}/state/locks/race.lock`), `pair ${i}: the winner releases the lock`).toBe(false);
    }
    expect(doubles).toEqual([]);
  }, 600_000);
});

describe('two drctl resume of one interrupted run started at the same instant', () => {
  it('in 20 pairs, exactly one resumes it: the journal is continued once', async () => {
    const ws = workspace();
    ws.runbook('rb.yaml', RUNBOOK);
    // One interrupted run, copied into a state folder of its own for each pair.
    const first = startDrctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.path('template')], { cwd: ws.dir });
    await waitFor(() => linesOf(ws.path('ran.txt')).length === 1, 'the first run to start its step');
    process.kill(first.pid, 'SIGTERM');
    expect((await exitWithin(first, 15_000)).code).toBe(130);
    const [runId] = runIds(ws.path('template'));
    const before = readJournal(ws.path('template'), runId!).length;

    const doubles: string[] = [];
    for (let i = 0; i < 20; i++) {
      const dir = ws.path(`pair-${i}`);
      const stateDir = join(dir, 'state');
      cpSync(ws.path('template'), stateDir, { recursive: true });
      const outcome = await racePair(['resume', runId!, '--yes', '--state-dir', stateDir], dir);
      const resumed = readJournal(stateDir, runId!)
        .slice(before)
        .filter((e) => e.type === 'run.resumed');
      if (outcome.ran !== 1 || resumed.length !== 1) {
        doubles.push(
          `pair ${i}: the step ran ${outcome.ran} times, run.resumed journaled ${resumed.length} times (exit codes ${outcome.codes.join(', ')})`,
        );
      } else {
        expect([...outcome.codes].sort(), `pair ${i}`).toEqual([0, 2]);
        expectRefusal(outcome, runId!, `pair ${i}`);
        expect(readReport(stateDir, runId!).status, `pair ${i}`).toBe('succeeded');
      }
    }
    expect(doubles).toEqual([]);
  }, 600_000);
});
