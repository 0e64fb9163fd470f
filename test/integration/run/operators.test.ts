import { readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  drctl,
  drctlCommandLine,
  exitWithin,
  header,
  isAlive,
  killGroup,
  killPid,
  onlyRunId,
  readJournal,
  readReport,
  requireBuild,
  startDrctl,
  TmuxSession,
  waitFor,
  workspace,
} from './helpers.js';
import { requireTool } from '../../support/tools.js';

/** The version of the drctl under test: each session journals it. */
const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Who ran a run: user, host and terminal, journaled for every session and every answer, and in report.json. */

beforeAll(() => requireBuild());

const USER = userInfo().username;
const HOST = hostname();

let session: TmuxSession | undefined;
afterEach(() => {
  session?.kill();
  session = undefined;
});

/** Step 2 waits (up to a minute) for go.flag. */
const RUNBOOK = `${header('whom', 'Who ran it')}steps:
  - id: first
    title: First
    run: echo first
  - id: long
    title: Long step
    idempotent: true
    run: |
      echo $$ > long.pid
      i=0; while [ ! -f go.flag ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
`;

describe('operators', () => {
  it('a run and its resume without a terminal: one operator per session, terminal "none"', async () => {
    const ws = workspace();
    ws.runbook('rb.yaml', RUNBOOK);
    onTestFinished(() => {
      if (ws.exists('long.pid')) killGroup(Number(ws.read('long.pid').trim()));
    });
    const running = startDrctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    const pgid = await waitFor(() => ws.exists('long.pid') && Number(ws.read('long.pid').trim()), 'the long step to start', 30_000);
    const runId = onlyRunId(ws.stateDir);
    await waitFor(() => readJournal(ws.stateDir, runId).some((e) => e.type === 'step.process' && e.pgid === pgid), 'its process group');
    killPid(running.pid, 'SIGKILL');
    await exitWithin(running, 10_000);
    killGroup(pgid);
    await waitFor(() => !isAlive(pgid), 'the orphaned step to die');
    ws.write('go.flag', '');
    const resumed = drctl(['resume', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(resumed.status, resumed.all).toBe(0);

    const journal = readJournal(ws.stateDir, runId);
    const me = { user: USER, host: HOST, terminal: 'none' };
    expect(journal.find((e) => e.type === 'run.started')!.operator).toEqual(me);
    expect(journal.find((e) => e.type === 'run.resumed')!.operator).toEqual(me);
    const report = readReport(ws.stateDir, runId);
    expect(report.operators).toEqual([
      { session: 'run', at: journal[0]!.t, ...me, version: VERSION },
      { session: 'resume', at: journal.find((e) => e.type === 'run.resumed')!.t, ...me, version: VERSION },
    ]);
    expect(report.status).toBe('succeeded');
  });

  const hasTmux = requireTool('tmux', 'an answer in a terminal names that terminal');

  it.skipIf(!hasTmux)('in a terminal: the run and every answer name the terminal', async () => {
    const ws = workspace();
    ws.runbook('rb.yaml', `${header('asked', 'Asked')}steps:\n  - id: one\n    title: One\n    run: echo one\n`);
    session = new TmuxSession();
    session.start(
      `${drctlCommandLine(['run', 'rb.yaml', '--state-dir', 'st'], { cwd: ws.dir })}; echo EXIT=$? > exitcode; tty > tty.txt; sleep 600`,
    );
    await session.waitForScreen('? Step 1/1: One', 'the prompt');
    session.send(['Enter']);
    await waitFor(() => ws.exists('tty.txt') && ws.read('tty.txt').trim(), 'drctl to exit', 30_000);
    expect(ws.read('exitcode').trim()).toBe('EXIT=0');
    const terminal = ws
      .read('tty.txt')
      .trim()
      .replace(/^\/dev\//, '');
    expect(terminal).toMatch(/^pts\/\d+$/);
    const runId = onlyRunId(ws.path('st'));
    const journal = readJournal(ws.path('st'), runId);
    const me = { user: USER, host: HOST, terminal };
    expect(journal[0]!.operator).toEqual(me);
    const answers = journal.filter((e) => e.type === 'prompt.answered');
    expect(answers.length).toBeGreaterThan(0);
    for (const answer of answers) expect(answer.who).toEqual(me);
    expect(readReport(ws.path('st'), runId).operators).toEqual([{ session: 'run', at: journal[0]!.t, ...me, version: VERSION }]);
  });
});
