import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  drctl,
  exitWithin,
  header,
  isAlive,
  killGroup,
  killPid,
  onlyRunId,
  readJournal,
  requireBuild,
  sleep,
  startDrctl,
  waitFor,
  workspace,
} from './helpers.js';

beforeAll(() => requireBuild());

const runbook = `${header('orphan', 'Orphans')}objectives: { rto: 1h }
steps:
  - id: slow
    title: Slow, ignores SIGTERM
    idempotent: true
    run: |
      echo $$ > slow.pid
      trap '' TERM
      if [ ! -f fast.flag ]; then sleep 60; fi
`;

describe('commands that outlive drctl', () => {
  it('after kill -9 of drctl, resume refuses while the step still runs (naming its process group), then continues once it is gone', async () => {
    const ws = workspace();
    ws.runbook('rb.yaml', runbook);
    const running = startDrctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    const pgid = await waitFor(() => ws.exists('slow.pid') && Number(ws.read('slow.pid').trim()), 'the step to start');
    onTestFinished(() => killGroup(pgid));
    // drctl journals the group right after spawning it; under load the step can start first.
    await waitFor(
      () => readJournal(ws.stateDir, onlyRunId(ws.stateDir)).some((e) => e.type === 'step.process' && e.pgid === pgid),
      "the step's process group in the journal",
    );
    killPid(running.pid, 'SIGKILL');
    await exitWithin(running, 5_000);
    expect(isAlive(pgid)).toBe(true);

    const refused = drctl(['resume', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(refused.status, refused.all).toBe(2);
    expect(refused.all).toContain(`still running as process group ${pgid}`);
    expect(refused.all).toContain(`kill -TERM -${pgid}`);

    killGroup(pgid);
    await waitFor(() => !isAlive(pgid), 'the orphaned step to end');
    ws.write('fast.flag', '');
    const resumed = drctl(['resume', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(resumed.status, resumed.all).toBe(0);
  });

  it('after kill -9 of drctl, resume also refuses while a process the step started with setsid (outside its group) still runs', async () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      `${header('escaped', 'Escaped')}objectives: { rto: 1h }
steps:
  - id: daemon
    title: Starts a daemon in its own session, then waits
    idempotent: true
    run: |
      setsid bash -c 'echo $$ > daemon.pid; while [ ! -f stop.flag ]; do sleep 0.1; done' &
      while [ ! -f fast.flag ]; do sleep 0.1; done
`,
    );
    const running = startDrctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    const daemon = await waitFor(() => ws.exists('daemon.pid') && Number(ws.read('daemon.pid').trim()), 'the daemon to start');
    onTestFinished(() => killPid(daemon));
    const step = await waitFor(
      () => readJournal(ws.stateDir, onlyRunId(ws.stateDir)).find((e) => e.type === 'step.process'),
      'the step in the journal',
    );
    killPid(running.pid, 'SIGKILL');
    await exitWithin(running, 5_000);
    // The step's own group is gone; only the daemon, in a session of its own, is left.
    killGroup(step.pgid as number);
    await waitFor(() => !isAlive(step.pgid as number), 'the step group to end');
    expect(isAlive(daemon)).toBe(true);

    const refused = drctl(['resume', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(refused.status, refused.all).toBe(2);
    expect(refused.all).toContain('is still running');
    expect(refused.all).toContain(`DRCTL_PROCESS_TAG=.*${String(step.tag)}`);

    ws.write('stop.flag', '');
    await waitFor(() => !isAlive(daemon), 'the daemon to end');
    ws.write('fast.flag', '');
    const resumed = drctl(['resume', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(resumed.status, resumed.all).toBe(0);
  });

  it('a second Ctrl-C exits 130 at once and leaves no process of the step behind', async () => {
    const ws = workspace();
    ws.runbook('rb.yaml', runbook);
    const running = startDrctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    const pgid = await waitFor(() => ws.exists('slow.pid') && Number(ws.read('slow.pid').trim()), 'the step to start');
    onTestFinished(() => killGroup(pgid));
    process.kill(running.pid, 'SIGINT');
    await sleep(300);
    process.kill(running.pid, 'SIGINT');
    expect((await exitWithin(running, 5_000)).code).toBe(130);
    await waitFor(() => !isAlive(pgid), 'the step to be gone', 3_000);
    const runs = drctl(['runs', '--json', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(JSON.parse(runs.stdout)[0].status).toBe('interrupted');
  });
});
