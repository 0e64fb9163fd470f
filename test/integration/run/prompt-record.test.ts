import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from './helpers.js';
import {
  drctl,
  drctlCommandLine,
  exitWithin,
  header,
  killPid,
  onlyRunId,
  readJournal,
  readReport,
  requireBuild,
  sleep,
  startDrctl,
  stepOf,
  TmuxSession,
  waitFor,
  workspace,
} from './helpers.js';
import { requireTool } from '../../support/tools.js';

/**
 * What an operator records from the prompts of a run in a real terminal (tmux): a note at a
 * prompt, and a finished step run again from the step menu.
 */

let session: TmuxSession | undefined;

beforeAll(() => requireBuild());

afterEach(() => {
  session?.kill();
  session = undefined;
});

/** Start drctl with `args` in a terminal; the exit code lands in ./exitcode. */
function startInTerminal(ws: Workspace, args: string[]): TmuxSession {
  session = new TmuxSession();
  session.start(`${drctlCommandLine(args, { cwd: ws.dir })}; echo EXIT=$? > exitcode; sleep 600`);
  return session;
}

async function exitCode(ws: Workspace, terminal: TmuxSession): Promise<number> {
  try {
    const line = await waitFor(() => ws.exists('exitcode') && ws.read('exitcode').trim(), 'drctl to exit (./exitcode)', 30_000);
    return Number(line.replace('EXIT=', ''));
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- screen ---\n${terminal.screen()}`);
  }
}

/** Move the cursor of a select prompt with a key until `choice` is highlighted, then press Enter. */
async function choose(terminal: TmuxSession, key: 'Up' | 'Down', choice: string): Promise<void> {
  for (let i = 0; i < 8 && !terminal.screen().trimEnd().split('\n').slice(-12).join('\n').includes(`❯ ${choice}`); i++) {
    terminal.send([key]);
    await sleep(150); // let the prompt redraw
  }
  await terminal.waitForScreen(`❯ ${choice}`);
  terminal.send(['Enter']);
}

/** Wait until `text` is on the screen `times` times (a prompt asked again). */
async function appears(terminal: TmuxSession, text: string, times: number): Promise<void> {
  const count = (): number => terminal.screen().split(text).length - 1;
  try {
    await waitFor(() => count() >= times, `${text} ${times} times`, 15_000);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- screen ---\n${terminal.screen()}`);
  }
}

const hasTmux = requireTool('tmux', 'the prompts are driven in a real terminal through tmux');

const NOTED = `${header('noted', 'Noted')}objectives:
  rto: 1h
steps:
  - id: check
    title: Check the replica
    run: echo checked >> check.txt
  - id: restore
    title: Restore the database
    confirm: { type: prod-db }
    run: echo restored > restored.txt
  - id: reopen
    title: Reopen the application
    confirm: Reopen it now?
    run: echo reopened > reopened.txt
`;

describe.skipIf(!hasTmux)('notes at the prompts', () => {
  it('"note…" at the step menu and "note" at a typed and a y/N confirmation journal the note with the operator; the terminal, report.json and the Markdown report show it', async () => {
    const ws = workspace();
    ws.runbook('rb.yaml', NOTED);
    const terminal = startInTerminal(ws, ['run', 'rb.yaml', '--state-dir', 'st', '--report', 'md:report.md']);
    await terminal.waitForScreen('? Step 1/3: Check the replica', 'the first step menu');
    await choose(terminal, 'Down', 'note…');
    await terminal.waitForScreen('Note for the journal and the report', 'the note prompt');
    terminal.send(['replica lag 40s before the restore'], true);
    terminal.send(['Enter']);
    const noted = await terminal.waitForScreen(/✎ note from \S+@\S+: replica lag 40s before the restore/, 'the note on screen');
    // The same question again, and nothing ran meanwhile.
    await terminal.waitForScreen(/✎ note from [^\n]*\n\? Step 1\/3: Check the replica/, 'the same menu again');
    expect(noted).toContain('✔ Step 1/3: Check the replica note…');
    expect(ws.exists('check.txt')).toBe(false);
    await choose(terminal, 'Up', 'run');

    await terminal.waitForScreen('Type prod-db to run it', 'the typed confirmation');
    terminal.send(['note'], true);
    terminal.send(['Enter']);
    await appears(terminal, 'Note for the journal and the report', 2);
    terminal.send(['paged the DBA'], true);
    terminal.send(['Enter']);
    await terminal.waitForScreen(/✎ note from \S+@\S+: paged the DBA/, 'the second note on screen');
    expect(ws.exists('restored.txt')).toBe(false);
    terminal.send(['prod-db'], true);
    terminal.send(['Enter']);

    await terminal.waitForScreen('? Reopen it now? (y/N, or "note")', 'the y/N confirmation');
    terminal.send(['note'], true);
    terminal.send(['Enter']);
    await appears(terminal, 'Note for the journal and the report', 3);
    terminal.send(['smoke tests green'], true);
    terminal.send(['Enter']);
    await terminal.waitForScreen(/✎ note from \S+@\S+: smoke tests green/, 'the third note on screen');
    await terminal.waitForScreen(/smoke tests green\n\? Reopen it now\? \(y\/N, or "note"\)/, 'the same confirmation again');
    expect(ws.exists('reopened.txt')).toBe(false);
    terminal.send(['y'], true);
    terminal.send(['Enter']);
    expect(await exitCode(ws, terminal)).toBe(0);
    expect(ws.read('restored.txt')).toBe('restored\n');
    expect(ws.read('reopened.txt')).toBe('reopened\n');

    const runId = onlyRunId(ws.path('st'));
    const journal = readJournal(ws.path('st'), runId);
    const notes = journal.filter((e) => e.type === 'note');
    expect(notes.map((n) => n.text)).toEqual(['replica lag 40s before the restore', 'paged the DBA', 'smoke tests green']);
    const started = journal.find((e) => e.type === 'run.started')!;
    const operator = started.operator as { user: string; host: string };
    for (const note of notes) expect(note).toMatchObject({ user: operator.user, host: operator.host });
    // A note is not an answer: the prompts were answered once each.
    expect(journal.filter((e) => e.type === 'prompt.answered').map((e) => [e.step, e.answer])).toEqual([
      ['check', 'run'],
      ['restore', 'confirmed'],
      ['reopen', true],
    ]);
    const report = readReport(ws.path('st'), runId);
    expect(report.notes.map((n) => n.text)).toEqual(['replica lag 40s before the restore', 'paged the DBA', 'smoke tests green']);
    expect(ws.read('report.md')).toContain(`${operator.user}@${operator.host}: paged the DBA`);
    expect(stepOf(report, 'restore').status).toBe('succeeded');
  });
});

const NOTE_TEXT = `${header('note-text', 'Note text')}steps:
  - id: notes
    title: Publish the release notes
    confirm: { type: note }
    run: echo published > published.txt
`;

describe.skipIf(!hasTmux)('a typed confirmation whose text is "note"', () => {
  it('typing "note" confirms the step: the text asked for comes first', async () => {
    const ws = workspace();
    ws.runbook('rb.yaml', NOTE_TEXT);
    const terminal = startInTerminal(ws, ['run', 'rb.yaml', '--state-dir', 'st']);
    await terminal.waitForScreen('Type note to run it', 'the typed confirmation');
    terminal.send(['note'], true);
    terminal.send(['Enter']);
    expect(await exitCode(ws, terminal)).toBe(0);
    expect(ws.read('published.txt')).toBe('published\n');
    expect(terminal.screen()).not.toContain('Note for the journal');
    expect(readJournal(ws.path('st'), onlyRunId(ws.path('st'))).some((e) => e.type === 'note')).toBe(false);
  });
});

const COUNTED = `${header('counted', 'Counted')}objectives:
  rto: 1h
steps:
  - id: count
    title: Count the rows
    idempotent: true
    run: echo run >> count.txt; wc -l < count.txt
    outputs:
      n: { from: stdout }
  - id: publish
    title: Publish the count
    run: echo "rows \${{ steps.count.outputs.n }}" > published.txt
`;

describe.skipIf(!hasTmux)('running a finished step again from the step menu', () => {
  it('an idempotent step runs again after a "y", the walk comes back to the step it was at, which sees the new output; the report says it ran twice', async () => {
    const ws = workspace();
    ws.runbook('rb.yaml', COUNTED);
    const terminal = startInTerminal(ws, ['run', 'rb.yaml', '--state-dir', 'st', '--report', 'md:report.md']);
    await terminal.waitForScreen('? Step 1/2: Count the rows', 'the first step menu');
    terminal.send(['Enter']);
    const second = await terminal.waitForScreen('? Step 2/2: Publish the count', 'the second step menu');
    expect(second).toContain('run an earlier step again…');
    await choose(terminal, 'Down', 'run an earlier step again…');
    await terminal.waitForScreen('? Run which step again?', 'the list of finished steps');
    await terminal.waitForScreen('❯ 1. Count the rows [count] (succeeded)', 'the finished step, highlighted');
    terminal.send(['Enter']);
    await terminal.waitForScreen('Run step 1 "Count the rows" again? (it succeeded before)', 'the confirmation');
    expect(ws.read('count.txt')).toBe('run\n');
    terminal.send(['y'], true);
    terminal.send(['Enter']);
    await terminal.waitForScreen('↻ running step 1 count again (it succeeded before)', 'the rerun');
    await terminal.waitForScreen(/✓ count succeeded[^\n]*\n(?:.*\n)*\? Step 2\/2: Publish the count/, 'the menu of step 2 again');
    expect(ws.read('count.txt')).toBe('run\nrun\n');
    expect(ws.exists('published.txt')).toBe(false);
    terminal.send(['Enter']);
    expect(await exitCode(ws, terminal)).toBe(0);
    expect(ws.read('published.txt').trim()).toBe('rows 2');

    const runId = onlyRunId(ws.path('st'));
    expect(readJournal(ws.path('st'), runId).filter((e) => e.type === 'step.rerun')).toEqual([
      expect.objectContaining({ step: 'count', number: 1, previous: 'succeeded' }),
    ]);
    const report = readReport(ws.path('st'), runId);
    expect(stepOf(report, 'count')).toMatchObject({ status: 'succeeded', runs: 2, attempts: 2, outputs: { n: '2' } });
    expect(stepOf(report, 'publish').runs).toBeUndefined();
    expect(ws.read('report.md')).toContain('| Count the rows (`count`) | succeeded, runs: 2 | 2 |');
  });
});

const WAITING = `${header('waiting', 'Waiting')}objectives:
  rto: 1h
steps:
  - id: first
    title: First
    run: echo first >> first.txt
  - id: wait
    title: Wait for the flag
    idempotent: true
    run: |
      echo started >> started.txt
      while [ ! -f go.flag ]; do sleep 0.1; done
`;

describe('resume --incident-start', () => {
  /** A run begun 3 hours after its incident start (RTO 1h), stopped by SIGTERM in its second step. */
  async function interrupted(ws: Workspace): Promise<string> {
    ws.runbook('rb.yaml', WAITING);
    const running = startDrctl(['run', 'rb.yaml', '--yes', '--incident-start', '-3h', '--state-dir', ws.stateDir], { cwd: ws.dir });
    await waitFor(() => ws.exists('started.txt'), 'step 2 to start', 20_000);
    killPid(running.pid, 'SIGTERM');
    expect((await exitWithin(running, 20_000)).code).toBe(130);
    return onlyRunId(ws.stateDir);
  }

  it('corrects T0: the correction is journaled (from, to, who, why), the report measures the RTO from it and shows it', async () => {
    const ws = workspace();
    const runId = await interrupted(ws);
    const before = readJournal(ws.stateDir, runId)[0]!.incident_start as string;
    ws.write('go.flag', '');
    const result = drctl(
      [
        'resume',
        runId.slice(0, 12),
        '--yes',
        '--incident-start',
        '-10m',
        '--reason',
        'first alert at T-10m',
        '--state-dir',
        ws.stateDir,
        '--report',
        'md:report.md',
      ],
      { cwd: ws.dir },
    );
    expect(result.status, result.all).toBe(0);
    expect(result.all).toContain('Incident start corrected by');
    expect(result.all).toMatch(/RTO 1h: recovery took \S+ since the incident start, MET/);

    const journal = readJournal(ws.stateDir, runId);
    const correction = journal.find((e) => e.type === 'incident_start.corrected')!;
    expect(correction).toMatchObject({ from: before, reason: 'first alert at T-10m' });
    const started = journal[0]!.operator as { user: string; host: string };
    expect(correction).toMatchObject({ user: started.user, host: started.host });
    const to = Date.parse(correction.to as string);
    expect(to - Date.parse(before)).toBeGreaterThan(2 * 3600_000);

    const report = readReport(ws.stateDir, runId);
    expect(report.incident_start).toBe(correction.to);
    expect(report.rto).toMatchObject({ met: true, verdict: 'met' });
    expect(report.incident_start_corrections).toEqual([
      expect.objectContaining({ from: before, to: correction.to, reason: 'first alert at T-10m' }),
    ]);
    expect(ws.read('report.md')).toContain(
      `| Incident start | ${correction.to as string} (corrected from ${before} by ${started.user}@${started.host} at`,
    );
    // drctl runs measures from the corrected time too.
    const runs = JSON.parse(drctl(['runs', '--json', '--state-dir', ws.stateDir], { cwd: ws.dir }).stdout) as Array<
      Record<string, unknown>
    >;
    expect(runs.find((r) => r.run_id === runId)).toMatchObject({ incident_start: correction.to, rto: { met: true } });
  });

  it('without it the same run misses its RTO (exit 3)', async () => {
    const ws = workspace();
    const runId = await interrupted(ws);
    ws.write('go.flag', '');
    const result = drctl(['resume', runId, '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(3);
    expect(readReport(ws.stateDir, runId).rto).toMatchObject({ met: false, verdict: 'missed' });
  });

  it('a time that is not one is refused in one line, exit 2, and nothing is written', async () => {
    const ws = workspace();
    const runId = await interrupted(ws);
    const journal = ws.read(`state/runs/${runId}/journal.jsonl`);
    for (const [args, message] of [
      [['--incident-start', 'yesterday'], '--incident-start "yesterday" is not a time'],
      [['--incident-start', '2026-02-30T03:00:00Z'], 'is not a real time: February 2026 has 28 days'],
      [['--incident-start', '2999-01-01T00:00:00Z'], 'is in the future'],
      [['--reason', 'why'], '--reason goes with --incident-start'],
    ] as const) {
      const result = drctl(['resume', runId, '--yes', ...args, '--state-dir', ws.stateDir], { cwd: ws.dir });
      expect(result.status, result.all).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(ws.read(`state/runs/${runId}/journal.jsonl`)).toBe(journal);
    }
    expect(ws.exists('started.txt') && ws.read('started.txt')).toBe('started\n');
  });
});
