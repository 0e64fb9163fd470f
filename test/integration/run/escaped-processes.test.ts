import { readdirSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  drctl,
  exitWithin,
  header,
  isAlive,
  killPid,
  onlyRunId,
  readPids,
  readReport,
  requireBuild,
  sleep,
  startDrctl,
  stepOf,
  waitFor,
  workspace,
} from './helpers.js';

/**
 * A step's command may leave its process group (setsid, a daemon's double fork into a new
 * session). When drctl stops the step it stops those too, and says so truthfully.
 */

beforeAll(() => requireBuild());

/** Sleep durations no other test uses, so the test finds its own processes by command line. */
function uniqueSeconds(): number {
  return 4_000_000 + Math.floor(Math.random() * 1_000_000) * 10;
}

/** Living processes whose command line is `sleep <seconds>`, for any of `seconds`. */
function sleepers(...seconds: number[]): number[] {
  const wanted = new Set(seconds.map((s) => `sleep\0${s}\0`));
  const found: number[] = [];
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (wanted.has(readFileSync(`/proc/${name}/cmdline`, 'utf8')) && isAlive(Number(name))) found.push(Number(name));
    } catch {
      // ended while we looked
    }
  }
  return found;
}

/** Kill whatever this test's sleeps left, whatever happened. */
function cleanUp(...seconds: number[]): void {
  onTestFinished(() => {
    for (const pid of sleepers(...seconds)) killPid(pid);
  });
}

/** Three ways out of the step's process group, each writing its pid to daemons.pids. */
function escapes(a: number, b: number, c: number): string {
  return `      : > daemons.pids
      setsid sh -c 'echo $$ >> daemons.pids; exec sleep ${a}' &
      setsid sh -c 'sleep ${b} & echo $! >> daemons.pids; exit 0' &
      setsid sh -c 'trap "" TERM; echo $$ >> daemons.pids; exec sleep ${c}' &
      while [ "$(grep -c . daemons.pids)" -lt 3 ]; do sleep 0.05; done
      echo "ready: $(grep -c . daemons.pids) daemons"
`;
}

describe('a step whose command starts processes outside its process group', () => {
  it('times out: drctl stops them all (new session, double fork, one ignoring SIGTERM) and says its processes were killed', () => {
    const [a, b, c, d] = [0, 1, 2, 3].map((i) => uniqueSeconds() + i) as [number, number, number, number];
    cleanUp(a, b, c, d);
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      `${header('escapes', 'Escapes')}objectives: { rto: 1h }
steps:
  - id: daemons
    title: Starts daemons and waits
    timeout: 3s
    run: |
${escapes(a, b, c)}      sleep ${d}
  - id: after
    title: Never reached
    run: touch after.txt
`,
    );
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir, timeoutMs: 30_000 });
    expect(result.status, result.all).toBe(1);
    const pids = readPids(ws.path('daemons.pids'));
    expect(pids).toHaveLength(3);
    expect(pids.filter(isAlive), 'escaped processes still running after drctl returned').toEqual([]);
    expect(sleepers(a, b, c, d)).toEqual([]);
    expect(result.stderr).toMatch(/✗ daemons failed after \S+: timed out after 3s; its processes were killed/);
    expect(stepOf(readReport(ws.stateDir, onlyRunId(ws.stateDir)), 'daemons').reason).toBe('timed out after 3s; its processes were killed');
    expect(ws.exists('after.txt')).toBe(false);
  });

  it('is interrupted (SIGTERM to drctl): the escaped processes are stopped before drctl exits 130', async () => {
    const [a, b, c, d] = [0, 1, 2, 3].map((i) => uniqueSeconds() + i) as [number, number, number, number];
    cleanUp(a, b, c, d);
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      `${header('escapes', 'Escapes')}objectives: { rto: 1h }
steps:
  - id: daemons
    title: Starts daemons and waits
    idempotent: true
    run: |
${escapes(a, b, c)}      sleep ${d}
`,
    );
    const running = startDrctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    await waitFor(
      () => running.stdout().includes('ready: 3 daemons') || running.stderr().includes('ready: 3 daemons'),
      'the step to start its daemons',
      20_000,
    );
    const pids = readPids(ws.path('daemons.pids'));
    expect(pids.filter(isAlive)).toHaveLength(3);
    process.kill(running.pid, 'SIGTERM');
    expect((await exitWithin(running, 20_000)).code).toBe(130);
    expect(pids.filter(isAlive), 'escaped processes still running after drctl exited').toEqual([]);
    expect(sleepers(a, b, c, d)).toEqual([]);
  });

  it('gets a second Ctrl-C: drctl exits 130 at once and the escaped processes go with it', async () => {
    const [a, b, c, d] = [0, 1, 2, 3].map((i) => uniqueSeconds() + i) as [number, number, number, number];
    cleanUp(a, b, c, d);
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      `${header('escapes', 'Escapes')}objectives: { rto: 1h }
steps:
  - id: daemons
    title: Starts daemons, ignores SIGTERM and waits
    idempotent: true
    run: |
${escapes(a, b, c)}      trap '' TERM
      sleep ${d}
`,
    );
    const running = startDrctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    await waitFor(
      () => running.stdout().includes('ready: 3 daemons') || running.stderr().includes('ready: 3 daemons'),
      'the step to start its daemons',
      20_000,
    );
    const pids = readPids(ws.path('daemons.pids'));
    process.kill(running.pid, 'SIGINT');
    await sleep(300);
    process.kill(running.pid, 'SIGINT');
    expect((await exitWithin(running, 5_000)).code).toBe(130);
    await waitFor(() => pids.every((pid) => !isAlive(pid)), 'the escaped processes to be gone', 3_000);
    expect(sleepers(a, b, c, d)).toEqual([]);
  });

  it('ends by itself: what it deliberately left running in the background keeps running (a port-forward for the next steps)', () => {
    const a = uniqueSeconds();
    cleanUp(a);
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      `${header('leaves', 'Leaves a service')}objectives: { rto: 1h }
steps:
  - id: service
    title: Starts a service in its own session
    run: |
      setsid sh -c 'echo $$ > service.pid; exec sleep ${a}' > /dev/null 2>&1 &
      while [ ! -s service.pid ]; do sleep 0.05; done
  - id: uses
    title: Uses it
    run: kill -0 "$(cat service.pid)"
`,
    );
    const result = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(0);
    const [pid] = readPids(ws.path('service.pid'));
    expect(isAlive(pid!)).toBe(true);
    // It carries its step's tag: drctl would have found it had the step been stopped.
    expect(readFileSync(`/proc/${pid}/environ`, 'latin1')).toMatch(/(^|\0)DRCTL_PROCESS_TAG=[0-9a-f]{24}\0/);
  });
});
