import { rmSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from './helpers.js';
import {
  drctlCommandLine,
  exitWithin,
  TmuxSession,
  header,
  linesOf,
  onlyRunId,
  readJournal,
  readReport,
  requireBuild,
  sleep,
  startDrctl,
  stepOf,
  waitFor,
  workspace,
} from './helpers.js';
import { requireTool } from '../../support/tools.js';

/**
 * The interactive walk-through in a real pseudo-terminal (tmux): what the operator sees at each
 * prompt, and what their keys do.
 */

const SECRET = 'Sekr1t-Demo-77';

let session: TmuxSession | undefined;

beforeAll(() => requireBuild());

afterEach(() => {
  session?.kill();
  session = undefined;
});

/** Start `drctl run <runbook> --state-dir st` in a terminal; the exit code lands in ./exitcode. */
function startInTerminal(ws: Workspace, runbook: string, env: Record<string, string> = {}): TmuxSession {
  session = new TmuxSession();
  session.start(`${drctlCommandLine(['run', runbook, '--state-dir', 'st'], { cwd: ws.dir, env })}; echo EXIT=$? > exitcode; sleep 600`);
  return session;
}

async function exitCode(ws: Workspace, terminal: TmuxSession): Promise<number> {
  try {
    const line = await waitFor(() => ws.exists('exitcode') && ws.read('exitcode').trim(), 'drctl to exit (./exitcode)');
    return Number(line.replace('EXIT=', ''));
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- screen ---\n${terminal.screen()}`);
  }
}

/** Move the cursor of a select prompt with a key until `choice` is highlighted, then press Enter. */
async function choose(terminal: TmuxSession, key: 'Up' | 'Down', choice: string): Promise<void> {
  for (let i = 0; i < 6 && !terminal.screen().includes(`❯ ${choice}`); i++) {
    terminal.send([key]);
    await sleep(100); // let the prompt redraw
  }
  await terminal.waitForScreen(`❯ ${choice}`);
  terminal.send(['Enter']);
}

const DEMO = `${header('demo', 'Interactive demo')}objectives:
  rto: 1h
inputs:
  token: { secret: true, env: DEMO_TOKEN }
steps:
  - id: prepare
    title: Prepare the restore
    description: Writes a marker file.
    budget: 30s
    run: printf '%s' \${{ inputs.token }} | wc -c > token-length.txt; echo prepared > prepared.txt
  - id: restore
    title: Restore the database
    confirm: { type: demo-db }
    budget: 1m
    run: echo restored > restored.txt
  - id: flip-dns
    title: Flip DNS
    manual: Point db.example.com at the new server.
    budget: 5m
`;

const hasTmux = requireTool('tmux', 'the interactive walk-through tests drive drctl in a real terminal through tmux');

describe.skipIf(!hasTmux)('an interactive run in a terminal', () => {
  it('shows each step card, runs on Enter, takes a typed confirmation and a manual "done", then the summary and the RTO verdict', async () => {
    const ws = workspace();
    ws.runbook('demo.yaml', DEMO);
    const terminal = startInTerminal(ws, 'demo.yaml', { DEMO_TOKEN: SECRET });

    const card = await terminal.waitForScreen('? Step 1/3: Prepare the restore', 'the first prompt');
    expect(card).toContain('Running Interactive demo (demo) · run demo-');
    expect(card).toContain('Step 1/3: Prepare the restore  [prepare] · budget 30s');
    expect(card).toMatch(/clock T\+\S+ of RTO 1h · projected finish T\+6m3\ds \(53m\d\ds inside the RTO\)/);
    expect(card).toContain('  Writes a marker file.');
    expect(card).toContain("  $ printf '%s' *** | wc -c > token-length.txt; echo prepared > prepared.txt");
    expect(card).toMatch(/❯ run\s+skip\s+run all\s+abort/);
    expect(ws.exists('prepared.txt')).toBe(false); // nothing runs before the operator says so
    terminal.send(['Enter']); // the default: run

    // A step with a confirmation asks one question: the confirmation, not the step menu first.
    const second = await terminal.waitForScreen('Type demo-db to run it', 'the typed confirmation');
    expect(second).toContain('Step 2/3: Restore the database  [restore]');
    expect(second).not.toContain('? Step 2/3: Restore the database');
    expect(second).toContain('✓ prepare succeeded in');
    expect(second).toContain('destructive: asks you to type a confirmation');
    expect(ws.read('prepared.txt')).toBe('prepared\n');
    terminal.send(['demo-db'], true);
    terminal.send(['Enter']);

    const manual = await terminal.waitForScreen('? Step 3/3: Flip DNS', 'the manual step');
    expect(manual).toContain('✓ restore succeeded in');
    expect(manual).toContain('manual: Point db.example.com at the new server.');
    terminal.send(['Enter']);
    await terminal.waitForScreen('? When it is done:', 'the manual step\'s "done" prompt');
    await choose(terminal, 'Down', 'done');

    expect(await exitCode(ws, terminal)).toBe(0);
    const screen = terminal.screen();
    expect(screen).toMatch(/#\s+STEP\s+STATUS\s+BUDGET\s+ACTUAL\s+OVER\/UNDER/);
    expect(screen).toMatch(/1\s+prepare\s+succeeded\s+30s/);
    expect(screen).toMatch(/3\s+flip-dns\s+succeeded\s+5m/);
    expect(screen).toMatch(/RTO 1h: recovery took \S+ since the incident start, MET/);
    expect(screen).not.toContain(SECRET);

    expect(ws.read('restored.txt')).toBe('restored\n');
    expect(ws.read('token-length.txt').trim()).toBe(String(SECRET.length));
    const runId = onlyRunId(ws.path('st'));
    const report = readReport(ws.path('st'), runId);
    expect(report.status).toBe('succeeded');
    expect(report.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(stepOf(report, 'flip-dns').reason).toBe('done by the operator');
    // Waiting for the operator is counted apart from running commands.
    expect(report.time.waiting_for_operator_s).toBeGreaterThan(0);
    const answers = readJournal(ws.path('st'), runId)
      .filter((e) => e.type === 'prompt.answered')
      .map((e) => [e.step, e.question, e.answer]);
    expect(answers).toEqual([
      ['prepare', 'step.action', 'run'],
      ['restore', 'step.type', 'confirmed'],
      ['flip-dns', 'step.action', 'run'],
      ['flip-dns', 'manual.done', 'done'],
    ]);
  });

  it('choosing abort at the first prompt exits 4 and runs nothing', async () => {
    const ws = workspace();
    ws.runbook('demo.yaml', DEMO);
    const terminal = startInTerminal(ws, 'demo.yaml', { DEMO_TOKEN: SECRET });
    await terminal.waitForScreen('? Step 1/3: Prepare the restore', 'the first prompt');
    await choose(terminal, 'Down', 'abort');
    expect(await exitCode(ws, terminal)).toBe(4);
    expect(ws.exists('prepared.txt')).toBe(false);
    expect(ws.exists('token-length.txt')).toBe(false);
    const report = readReport(ws.path('st'), onlyRunId(ws.path('st')));
    expect(report.status).toBe('aborted');
    expect(report.steps.map((s) => s.status)).toEqual(['not_run', 'not_run', 'not_run']);
    expect(terminal.screen()).toContain('aborted');
  });

  it('a mistyped confirmation is refused and asked again; typing "skip" skips the step', async () => {
    const ws = workspace();
    ws.runbook('demo.yaml', DEMO);
    const terminal = startInTerminal(ws, 'demo.yaml', { DEMO_TOKEN: SECRET });
    await terminal.waitForScreen('? Step 1/3: Prepare the restore', 'the first prompt');
    terminal.send(['Enter']);
    await terminal.waitForScreen('Type demo-db to run it', 'the typed confirmation');
    terminal.send(['demo'], true);
    terminal.send(['Enter']);
    // A typo decides nothing: the prompt stays, saying what it wants.
    await terminal.waitForScreen('that is not "demo-db"', 'the refusal of the typo');
    expect(ws.exists('restored.txt')).toBe(false);
    terminal.send(['C-u']);
    terminal.send(['skip'], true);
    terminal.send(['Enter']);
    await terminal.waitForScreen('? Step 3/3: Flip DNS', 'the manual step');
    await choose(terminal, 'Down', 'abort');
    expect(await exitCode(ws, terminal)).toBe(4);
    expect(ws.exists('restored.txt')).toBe(false);
    const report = readReport(ws.path('st'), onlyRunId(ws.path('st')));
    expect(stepOf(report, 'restore')).toMatchObject({ status: 'skipped', reason: 'skipped by the operator at the typed confirmation' });
    expect(report.status).toBe('aborted');
  });
});

describe.skipIf(!hasTmux)('one decision per step', () => {
  const STAGES = `${header('stages', 'Stages')}steps:
  - id: first
    title: First
    run: touch first.txt
  - id: scale
    title: Scale up
    confirm: Scale it up?
    run: touch scale.txt
  - id: look
    title: Start the application
    pause: true
    run: touch look.txt
  - id: last
    title: Last
    run: touch last.txt
`;

  function answers(ws: Workspace): unknown[][] {
    return readJournal(ws.path('st'), onlyRunId(ws.path('st')))
      .filter((e) => e.type === 'prompt.answered')
      .map((e) => [e.step, e.question, e.answer]);
  }

  it('a step with confirm asks one question: "y" runs it, and the next step shows its menu', async () => {
    const ws = workspace();
    ws.runbook('rb.yaml', STAGES);
    const terminal = startInTerminal(ws, 'rb.yaml');
    await terminal.waitForScreen('? Step 1/4: First', 'the first prompt');
    terminal.send(['Enter']);
    const confirm = await terminal.waitForScreen('? Scale it up?', 'the confirmation');
    expect(confirm).not.toContain('? Step 2/4');
    expect(ws.exists('scale.txt')).toBe(false);
    terminal.send(['y'], true);
    terminal.send(['Enter']);
    await terminal.waitForScreen('? Step 3/4: Start the application', 'the third step menu');
    expect(ws.exists('scale.txt')).toBe(true);
    terminal.send(['Enter']);
    await terminal.waitForScreen('? Step 4/4: Last', 'the last step menu');
    terminal.send(['Enter']);
    expect(await exitCode(ws, terminal)).toBe(0);
    expect(answers(ws)).toEqual([
      ['first', 'step.action', 'run'],
      ['scale', 'step.confirm', true],
      ['look', 'step.action', 'run'],
      ['last', 'step.action', 'run'],
    ]);
  });

  it('"run all" still asks the confirmation, then stops at a pause step and shows the menu again', async () => {
    const ws = workspace();
    ws.runbook('rb.yaml', STAGES);
    const terminal = startInTerminal(ws, 'rb.yaml');
    await terminal.waitForScreen('? Step 1/4: First', 'the first prompt');
    await choose(terminal, 'Down', 'run all');
    await terminal.waitForScreen('? Scale it up?', 'the confirmation');
    terminal.send(['y'], true);
    terminal.send(['Enter']);
    const pause = await terminal.waitForScreen('? Pause, look before going on. Step 3/4: Start the application', 'the pause');
    expect(pause).toMatch(/❯ run\s+skip\s+run all\s+abort/);
    expect(ws.exists('look.txt')).toBe(false);
    terminal.send(['Enter']); // run: "run all" is over, the last step asks again
    await terminal.waitForScreen('? Step 4/4: Last', 'the last step menu');
    terminal.send(['Enter']);
    expect(await exitCode(ws, terminal)).toBe(0);
    expect(answers(ws)).toEqual([
      ['first', 'step.action', 'all'],
      ['scale', 'step.confirm', true],
      ['look', 'step.action', 'run'],
      ['last', 'step.action', 'run'],
    ]);
  });

  it('"run all" survives a resume: the resumed run asks only the pending confirmation, then stops at the pause', async () => {
    const ws = workspace();
    ws.runbook('rb.yaml', STAGES);
    const terminal = startInTerminal(ws, 'rb.yaml');
    await terminal.waitForScreen('? Step 1/4: First', 'the first prompt');
    await choose(terminal, 'Down', 'run all');
    await terminal.waitForScreen('? Scale it up?', 'the confirmation');
    terminal.send(['C-c']);
    expect(await exitCode(ws, terminal)).toBe(130);
    expect(ws.exists('scale.txt')).toBe(false);
    terminal.kill();

    session = new TmuxSession();
    rmSync(ws.path('exitcode'));
    session.start(`${drctlCommandLine(['resume', '--state-dir', 'st'], { cwd: ws.dir })}; echo EXIT=$? > exitcode; sleep 600`);
    const resumed = await session.waitForScreen('? Scale it up?', 'the confirmation after the resume');
    expect(resumed).not.toContain('? Step 2/4');
    session.send(['y'], true);
    session.send(['Enter']);
    await session.waitForScreen('? Pause, look before going on. Step 3/4: Start the application', 'the pause after the resume');
    await choose(session, 'Down', 'run all');
    expect(await exitCode(ws, session)).toBe(0);
    expect(ws.exists('last.txt')).toBe(true);
    expect(session.screen()).not.toContain('? Step 4/4');
    expect(answers(ws).slice(1)).toEqual([
      ['scale', 'step.confirm', true],
      ['look', 'step.action', 'all'],
    ]);
  });
});

describe.skipIf(!hasTmux)('a step that fails in an interactive run', () => {
  const FLAKY = `${header('retry-demo', 'Retry demo')}objectives:
  rto: 1h
steps:
  - id: check
    title: Check the replica
    budget: 10s
    run: |
      echo attempt >> check-runs.txt
      test -f fixed.flag
  - id: after
    title: After the check
    run: touch after.txt
`;

  let ws: Workspace;
  let code: number;
  let failurePrompt: string;

  /** Run; the check fails; fix the condition; choose retry; it succeeds; run the next step. */
  async function walkWithRetry(): Promise<void> {
    ws = workspace();
    ws.runbook('rb.yaml', FLAKY);
    const terminal = startInTerminal(ws, 'rb.yaml');
    await terminal.waitForScreen('? Step 1/2: Check the replica', 'the first prompt');
    terminal.send(['Enter']);
    failurePrompt = await terminal.waitForScreen('? check failed (the reason is just above). What now?', 'the failure prompt');
    expect(linesOf(ws.path('check-runs.txt'))).toEqual(['attempt']);
    ws.write('fixed.flag', '');
    await choose(terminal, 'Up', 'retry');
    await terminal.waitForScreen('? Step 2/2: After the check', 'the next step');
    terminal.send(['Enter']);
    code = await exitCode(ws, terminal);
  }

  it('offers retry, skip and abort; retry after fixing the cause runs it again and the run succeeds', async () => {
    await walkWithRetry();
    expect(failurePrompt).toContain('✗ check failed after');
    // The reason is on screen once: the failure line, not the prompt again.
    expect(failurePrompt.split('exit code 1 (expected 0)').length - 1).toBe(1);
    expect(failurePrompt).toMatch(/retry\s+skip \(record it as failed and go on\)\s+❯ abort \(stop here, roll back nothing\)/);
    expect(code).toBe(0);
    expect(linesOf(ws.path('check-runs.txt'))).toEqual(['attempt', 'attempt']);
    expect(ws.exists('after.txt')).toBe(true);
    const runId = onlyRunId(ws.path('st'));
    const report = readReport(ws.path('st'), runId);
    expect(report.status).toBe('succeeded');
    expect(stepOf(report, 'check')).toMatchObject({ status: 'succeeded', exit_code: 0 });
    const journal = readJournal(ws.path('st'), runId);
    expect(journal.filter((e) => e.type === 'step.attempt' && e.step === 'check').map((e) => e.exit_code)).toEqual([1, 0]);
    expect(journal.find((e) => e.type === 'prompt.answered' && e.question === 'failure.action')).toMatchObject({
      step: 'check',
      answer: 'retry',
    });
  });

  it("the report counts the operator's retry as a second attempt of the step", async () => {
    await walkWithRetry();
    expect(code).toBe(0);
    expect(stepOf(readReport(ws.path('st'), onlyRunId(ws.path('st'))), 'check').attempts).toBe(2);
  });
});

describe.skipIf(!hasTmux)('resuming in a terminal a run interrupted during a rollback that is not marked idempotent', () => {
  it('asks what to do about that rollback; "it is done" records it as rolled back without running it again', async () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      `${header('undo-ask', 'Undo, asked')}steps:
  - id: change
    title: Change the thing
    run: echo changed >> log.txt
    rollback: |
      echo undo-started >> log.txt
      sleep 30
  - id: check
    title: Check
    run: exit 1
    on_failure: rollback
`,
    );
    const running = startDrctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.path('st')], { cwd: ws.dir });
    await waitFor(() => ws.exists('log.txt') && linesOf(ws.path('log.txt')).includes('undo-started'), 'the rollback to start');
    process.kill(running.pid, 'SIGINT');
    expect((await exitWithin(running, 10_000)).code).toBe(130);

    session = new TmuxSession();
    session.start(`${drctlCommandLine(['resume', '--state-dir', 'st'], { cwd: ws.dir })}; echo EXIT=$? > exitcode; sleep 600`);
    const prompt = await session.waitForScreen(
      '? The rollback of "Change the thing" was running when the run stopped and is not marked idempotent.',
      'the in-flight rollback prompt',
    );
    expect(prompt).toContain('run the rollback again');
    await choose(session, 'Down', 'it is done (I checked): record it as rolled back');
    expect(await exitCode(ws, session)).toBe(1);
    expect(linesOf(ws.path('log.txt'))).toEqual(['changed', 'undo-started']);
    const report = readReport(ws.path('st'), onlyRunId(ws.path('st')));
    expect(report.status).toBe('rolled_back');
    expect(stepOf(report, 'change').status).toBe('rolled_back');
  });
});
