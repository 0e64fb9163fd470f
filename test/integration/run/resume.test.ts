import { appendFileSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { Workspace } from './helpers.js';
import {
  drctl,
  exitWithin,
  header,
  isAlive,
  journalPath,
  killGroup,
  killPid,
  linesOf,
  onlyRunId,
  readJournal,
  readReport,
  requireBuild,
  startDrctl,
  stepOf,
  waitFor,
  workspace,
} from './helpers.js';

/**
 * drctl dies in the middle of a step (kill -9: the laptop closed, the pod was evicted) and the
 * operator continues with `drctl resume`.
 */

beforeAll(() => requireBuild());

/** Step 2 sleeps 30s unless fast.flag exists; it writes its pid (the leader of its process group) first. */
function crashyRunbook(idempotent: boolean): string {
  return `${header('crashy', 'Crash and resume')}objectives:
  rto: 1h
steps:
  - id: first
    title: Counts its runs
    run: echo ran >> count.txt; echo first-done
    outputs:
      marker: { from: stdout }
  - id: slow
    title: Slow step
    idempotent: ${idempotent}
    run: |
      echo $$ > slow.pid
      echo run >> slow-runs.txt
      if [ ! -f fast.flag ]; then sleep 30; fi
  - id: last
    title: Last step
    run: touch last.txt
`;
}

interface Crashed {
  runId: string;
  incidentStart: string;
  pid: number;
}

/** Start `drctl run --yes`, wait until step 2 runs, then kill -9 drctl and the step's process group. */
async function crashDuringSlowStep(ws: Workspace, runbook: string): Promise<Crashed> {
  // Whatever happens, no step outlives the test (a resumed step may write slow.pid in another folder).
  onTestFinished(() => {
    for (const file of ['slow.pid', 'elsewhere/slow.pid']) if (ws.exists(file)) killGroup(Number(ws.read(file).trim()));
  });
  const running = startDrctl(['run', runbook, '--yes', '--incident-start', '-10m', '--state-dir', ws.stateDir], { cwd: ws.dir });
  const pgid = await waitFor(() => ws.exists('slow.pid') && Number(ws.read('slow.pid').trim()), 'step 2 to start (slow.pid)');
  // drctl journals the group right after spawning it; under load the step can start first.
  await waitFor(
    () => readJournal(ws.stateDir, onlyRunId(ws.stateDir)).some((e) => e.type === 'step.process' && e.pgid === pgid),
    "step 2's process group in the journal",
  );
  killPid(running.pid, 'SIGKILL');
  const exit = await exitWithin(running, 5_000);
  expect(exit.signal).toBe('SIGKILL');
  // A kill -9 of drctl leaves the step's own process group running: clean it up like an operator would.
  expect(isAlive(pgid)).toBe(true);
  killGroup(pgid);
  await waitFor(() => !isAlive(pgid), 'the orphaned step to die');
  const runId = onlyRunId(ws.stateDir);
  const journal = readJournal(ws.stateDir, runId);
  expect(journal.filter((e) => e.type !== 'step.process').at(-1)).toMatchObject({ type: 'step.started', step: 'slow' });
  expect(journal.at(-1)).toMatchObject({ type: 'step.process', step: 'slow' });
  return { runId, incidentStart: journal[0]!.incident_start as string, pid: running.pid };
}

describe('resume after a crash in an idempotent step', () => {
  it('does not rerun finished steps, reruns the interrupted one, keeps the incident start, and exits 0', async () => {
    const ws = workspace();
    ws.runbook('rb.yaml', crashyRunbook(true));
    const crashed = await crashDuringSlowStep(ws, 'rb.yaml');
    expect(linesOf(ws.path('count.txt'))).toEqual(['ran']);
    ws.write('fast.flag', '');

    const result = drctl(['resume', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(0);
    expect(linesOf(ws.path('count.txt'))).toEqual(['ran']); // step 1 did not run again
    expect(linesOf(ws.path('slow-runs.txt'))).toEqual(['run', 'run']); // step 2 did
    expect(ws.exists('last.txt')).toBe(true);
    expect(onlyRunId(ws.stateDir)).toBe(crashed.runId); // the same run, continued

    const report = readReport(ws.stateDir, crashed.runId);
    expect(report.status).toBe('succeeded');
    expect(report.incident_start).toBe(crashed.incidentStart);
    expect(report.rto!.met).toBe(true);
    expect(report.rto!.elapsed_s).toBeGreaterThanOrEqual(600);
    expect(report.rto!.elapsed_s).toBeCloseTo((Date.parse(report.finished_at!) - Date.parse(crashed.incidentStart)) / 1000, 1);
    expect(report.steps.map((s) => [s.id, s.status])).toEqual([
      ['first', 'succeeded'],
      ['slow', 'succeeded'],
      ['last', 'succeeded'],
    ]);
    expect(stepOf(report, 'first').outputs).toEqual({ marker: 'first-done' }); // finished steps keep their outputs

    const journal = readJournal(ws.stateDir, crashed.runId);
    const resumed = journal.find((e) => e.type === 'run.resumed')!;
    expect(resumed).toMatchObject({ in_flight: 'slow', torn_tail: false, forced: false });
    const afterResume = journal.slice(journal.indexOf(resumed)).map((e) => `${e.type}${e.step ? ` ${e.step}` : ''}`);
    expect(afterResume).toEqual([
      'run.resumed',
      'step.started slow',
      'step.process slow',
      'step.attempt slow',
      'step.finished slow',
      'step.started last',
      'step.process last',
      'step.attempt last',
      'step.finished last',
      'run.finished',
    ]);
    expect(result.stderr).toContain(
      `Resuming Crash and resume (crashy) · run ${crashed.runId} · mode real · incident start ${crashed.incidentStart}`,
    );
    expect(result.stderr).not.toContain('Step 1/3');
    expect(result.stderr).toContain('Step 2/3: Slow step');
    expect(result.stdout).toMatch(/RTO 1h: recovery took 10m\S* since the incident start, MET/);
  });

  it('`drctl report <id> --format json` prints the same report that the run left in report.json', async () => {
    const ws = workspace();
    ws.runbook('rb.yaml', crashyRunbook(true));
    const crashed = await crashDuringSlowStep(ws, 'rb.yaml');
    ws.write('fast.flag', '');
    expect(drctl(['resume', crashed.runId, '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir }).status).toBe(0);
    const printed = drctl(['report', crashed.runId, '--format', 'json', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(printed.status, printed.all).toBe(0);
    expect(JSON.parse(printed.stdout)).toEqual(readReport(ws.stateDir, crashed.runId));
  });

  it('without --yes and without a terminal, resume refuses in one line naming itself (exit 2), and the run stays resumable', async () => {
    const ws = workspace();
    ws.runbook('rb.yaml', crashyRunbook(true));
    const crashed = await crashDuringSlowStep(ws, 'rb.yaml');
    const before = readJournal(ws.stateDir, crashed.runId).length;
    const refused = drctl(['resume', crashed.runId, '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(refused.status, refused.all).toBe(2);
    expect(refused.stderr).toContain('drctl resume needs a terminal to ask before each step, and this is not one');
    expect(readJournal(ws.stateDir, crashed.runId)).toHaveLength(before);
  });

  it('`drctl runs --json` lists the crashed run as interrupted (it is not running any more)', async () => {
    const ws = workspace();
    ws.runbook('rb.yaml', crashyRunbook(true));
    const crashed = await crashDuringSlowStep(ws, 'rb.yaml');
    const runs = drctl(['runs', '--json', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(runs.status, runs.all).toBe(0);
    const list = JSON.parse(runs.stdout) as Array<{ run_id: string; status: string; incident_start: string }>;
    expect(list.map((r) => r.run_id)).toEqual([crashed.runId]);
    expect(list[0]!.incident_start).toBe(crashed.incidentStart);
    // The format lists the statuses a run can have: succeeded, failed, rolled_back, aborted, interrupted.
    expect(list[0]!.status).toBe('interrupted');
  });

  it('`drctl runs` shows the crashed run as resumable', async () => {
    const ws = workspace();
    ws.runbook('rb.yaml', crashyRunbook(true));
    const crashed = await crashDuringSlowStep(ws, 'rb.yaml');
    const runs = drctl(['runs', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(runs.status, runs.all).toBe(0);
    expect(runs.stdout).toMatch(new RegExp(`${crashed.runId}\\s+real\\s+\\S+ \\(resumable\\)`));
  });
});

describe('resume after a crash in a step that is not idempotent', () => {
  it('--yes refuses with exit 2, names the step, and runs nothing', async () => {
    const ws = workspace();
    ws.runbook('rb.yaml', crashyRunbook(false));
    const crashed = await crashDuringSlowStep(ws, 'rb.yaml');
    ws.write('fast.flag', '');
    const before = readFileSync(journalPath(ws.stateDir, crashed.runId), 'utf8');
    const result = drctl(['resume', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(2);
    expect(result.stderr).toContain(`step slow was running when run ${crashed.runId} stopped and is not idempotent`);
    expect(result.stderr).toContain('hint:');
    expect(linesOf(ws.path('slow-runs.txt'))).toEqual(['run']);
    expect(linesOf(ws.path('count.txt'))).toEqual(['ran']);
    expect(ws.exists('last.txt')).toBe(false);
    expect(readFileSync(journalPath(ws.stateDir, crashed.runId), 'utf8')).toBe(before);
  });
});

describe('a journal whose last line was torn by the crash', () => {
  it('is tolerated by `drctl runs` and `drctl runs --json`', async () => {
    const ws = workspace();
    ws.runbook('rb.yaml', crashyRunbook(true));
    const crashed = await crashDuringSlowStep(ws, 'rb.yaml');
    appendFileSync(journalPath(ws.stateDir, crashed.runId), '{"t":"2026');
    const text = drctl(['runs', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(text.status, text.all).toBe(0);
    expect(text.stdout).toContain(crashed.runId);
    expect(text.stderr).not.toContain('unreadable');
    const json = drctl(['runs', '--json', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(json.status, json.all).toBe(0);
    expect((JSON.parse(json.stdout) as Array<{ run_id: string }>).map((r) => r.run_id)).toEqual([crashed.runId]);
  });

  it('is tolerated by `drctl resume`, which finishes the run and leaves a readable journal and report', async () => {
    const ws = workspace();
    ws.runbook('rb.yaml', crashyRunbook(true));
    const crashed = await crashDuringSlowStep(ws, 'rb.yaml');
    appendFileSync(journalPath(ws.stateDir, crashed.runId), '{"t":"2026');
    ws.write('fast.flag', '');
    const result = drctl(['resume', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(linesOf(ws.path('count.txt'))).toEqual(['ran']);
    expect(ws.exists('last.txt')).toBe(true);
    expect(result.status, result.all).toBe(0);
    expect(readReport(ws.stateDir, crashed.runId).status).toBe('succeeded');
    const report = drctl(['report', crashed.runId, '--format', 'json', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(report.status, report.all).toBe(0);
    const runs = drctl(['runs', '--json', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(runs.stderr).not.toContain('unreadable');
    expect((JSON.parse(runs.stdout) as Array<{ status: string }>).map((r) => r.status)).toEqual(['succeeded']);
  });
});

describe('resume of a run whose runbook file changed since it began', () => {
  it('is refused with exit 2 and runs nothing; --force continues it', async () => {
    const ws = workspace();
    const file = ws.runbook('rb.yaml', crashyRunbook(true));
    const crashed = await crashDuringSlowStep(ws, 'rb.yaml');
    appendFileSync(file, '# edited after the run began\n');
    ws.write('fast.flag', '');
    const before = readFileSync(journalPath(ws.stateDir, crashed.runId), 'utf8');

    const refused = drctl(['resume', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(refused.status, refused.all).toBe(2);
    expect(refused.stderr).toContain(`changed since run ${crashed.runId} began`);
    expect(refused.stderr).toContain('--force');
    expect(linesOf(ws.path('slow-runs.txt'))).toEqual(['run']);
    expect(ws.exists('last.txt')).toBe(false);
    expect(readFileSync(journalPath(ws.stateDir, crashed.runId), 'utf8')).toBe(before);

    const forced = drctl(['resume', '--yes', '--force', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(forced.status, forced.all).toBe(0);
    expect(ws.exists('last.txt')).toBe(true);
    expect(linesOf(ws.path('count.txt'))).toEqual(['ran']);
    expect(readJournal(ws.stateDir, crashed.runId).find((e) => e.type === 'run.resumed')).toMatchObject({ forced: true });
  });

  it('works from another folder: the journal keeps the runbook path absolute', async () => {
    const ws = workspace();
    ws.runbook('rb.yaml', crashyRunbook(true));
    const crashed = await crashDuringSlowStep(ws, 'rb.yaml');
    ws.write('elsewhere/fast.flag', '');
    const result = drctl(['resume', crashed.runId, '--yes', '--state-dir', ws.stateDir], { cwd: ws.path('elsewhere') });
    expect(result.status, result.all).toBe(0);
    // Steps without cwd: run where drctl runs.
    expect(ws.exists('elsewhere/last.txt')).toBe(true);
  });
});

describe('resume of a run that already finished', () => {
  it('is refused with exit 2 and points at its report', () => {
    const ws = workspace();
    ws.runbook('rb.yaml', crashyRunbook(true));
    ws.write('fast.flag', '');
    expect(drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir }).status).toBe(0);
    const runId = onlyRunId(ws.stateDir);
    const result = drctl(['resume', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(2);
    expect(result.stderr).toContain(`run ${runId} already finished: succeeded`);
    expect(linesOf(ws.path('count.txt'))).toEqual(['ran']);
  });
});

describe('resume after a step whose output held a secret', () => {
  it('refuses (exit 2) to run a later step with the masked value, and says which step to run again', async () => {
    const ws = workspace();
    const runbook = crashyRunbook(true)
      .replace('objectives:\n  rto: 1h\n', 'objectives:\n  rto: 1h\ninputs:\n  token: { secret: true, env: CRASHY_TOKEN }\n')
      .replace(
        'run: echo ran >> count.txt; echo first-done',
        'run: echo ran >> count.txt; echo "conn=$TOKEN"\n    env: { TOKEN: "${{ inputs.token }}" }',
      )
      .replace('run: touch last.txt', 'run: test -n ${{ steps.first.outputs.marker }} && touch last.txt');
    ws.runbook('rb.yaml', runbook);
    process.env.CRASHY_TOKEN = 's3cr3t-token';
    onTestFinished(() => {
      delete process.env.CRASHY_TOKEN;
    });
    const crashed = await crashDuringSlowStep(ws, 'rb.yaml');
    const finished = readJournal(ws.stateDir, crashed.runId).find((e) => e.type === 'step.finished' && e.step === 'first')!;
    expect(finished.outputs).toEqual({ marker: 'conn=***' });
    expect(finished.redacted_outputs).toEqual(['marker']);

    const result = drctl(['resume', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(2);
    expect(result.all).toContain('step last uses output marker of step first, which held a secret');
    expect(result.all).toContain('--start-at first');
    expect(result.all).not.toContain('s3cr3t-token');
    expect(ws.exists('last.txt')).toBe(false);
  });
});
