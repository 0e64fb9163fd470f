import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseDuration } from '../../../src/util/duration.js';
import type { Workspace } from './helpers.js';
import { drctl, drctlCommandLine, header, requireBuild, sh, sleep, TmuxSession, waitFor, workspace } from './helpers.js';
import { requireTool } from '../../support/tools.js';

/**
 * The live clock in a real terminal (tmux, 80 columns): the line over a waiting prompt moves on
 * while the operator reads, the spinner of a running step shows T+ against the RTO, a manual step
 * shows its timer; and --notify rings the bell when a long step ends.
 */

const BEL = '\u0007';

let session: TmuxSession | undefined;

beforeAll(() => requireBuild());

afterEach(() => {
  session?.kill();
  session = undefined;
});

const CLOCKED = `${header('clocked', 'Clocked')}objectives:
  rto: 1h
steps:
  - id: sleeper
    title: Sleep a while
    budget: 15m
    run: sleep 6; echo slept
  - id: restart
    title: Restart the backend
    budget: 1m
    confirm: { type: shop }
    run: echo restarted
  - id: flip-dns
    title: Flip DNS
    budget: 8m
    manual: Point db.example.com at the new server.
`;

/** Start drctl in an 80-column terminal, colours on (the tests' environment turns them off); the exit code lands in ./exitcode. */
function startInTerminal(ws: Workspace, args: string[], env: Record<string, string | undefined> = { NO_COLOR: undefined }): TmuxSession {
  session = new TmuxSession();
  session.start(`${drctlCommandLine(args, { cwd: ws.dir, env })}; echo EXIT=$? > exitcode; sleep 600`, 80);
  return session;
}

async function exitCode(ws: Workspace, terminal: TmuxSession): Promise<number> {
  try {
    const line = await waitFor(() => ws.exists('exitcode') && ws.read('exitcode').trim(), 'drctl to exit (./exitcode)', 20_000);
    return Number(line.replace('EXIT=', ''));
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- screen ---\n${terminal.screen()}`);
  }
}

/** The line just above the question that starts with `question`: where the live clock is drawn. */
function lineAbove(screen: string, question: string): string {
  const lines = screen.split('\n');
  const at = lines.findLastIndex((line) => line.startsWith(question));
  if (at < 1) throw new Error(`no "${question}" on screen:\n${screen}`);
  return lines[at - 1]!;
}

/** T+ and the projected finish of a live clock line, in milliseconds. */
function clockOf(line: string): { elapsed: number; finish: number } {
  const match = /T\+(\S+) of RTO 1h · projected finish T\+(\S+) \(\S+ inside the RTO\)/.exec(line);
  if (!match) throw new Error(`not a clock line: ${line}`);
  return { elapsed: parseDuration(match[1]!)!, finish: parseDuration(match[2]!)! };
}

/** The widest line on screen (tmux joins a wrapped line back into one, so a line that wrapped counts whole). */
function widest(screen: string): number {
  return Math.max(...screen.split('\n').map((line) => [...line].length));
}

const hasTmux = requireTool('tmux', 'the live clock is tested in a real terminal through tmux');

describe.skipIf(!hasTmux)('the live clock in an 80-column terminal', () => {
  it('moves on while the step menu waits, shows T+ against the RTO while a step runs and a timer on a manual step, never wider than 80 columns', async () => {
    const ws = workspace();
    ws.runbook('clocked.yaml', CLOCKED);
    const terminal = startInTerminal(ws, ['run', 'clocked.yaml', '--state-dir', 'st', '--incident-start', '-12m']);

    const first = await terminal.waitForScreen('? Step 1/3: Sleep a while', 'the step menu');
    const before = clockOf(lineAbove(first, '? Step 1/3'));
    await sleep(2500);
    const second = terminal.screen();
    const after = clockOf(lineAbove(second, '? Step 1/3'));
    // The operator has been reading for 2.5 s: the clock and the projected finish moved on with them.
    expect(after.elapsed).toBeGreaterThan(before.elapsed);
    expect(after.finish).toBeGreaterThan(before.finish);
    expect(before.elapsed).toBeGreaterThanOrEqual(12 * 60_000);
    // The card printed its clock once, in the scrollback; the live one is part of the prompt.
    expect(second.match(/^ {2}clock T\+/gm)).toHaveLength(2);
    expect(widest(first)).toBeLessThanOrEqual(80);
    expect(widest(second)).toBeLessThanOrEqual(80);

    terminal.send(['Enter']);
    const running = await terminal.waitForScreen(
      /sleeper \S+ of 15m budget · T\+\S+ of RTO 1h/,
      'the spinner with the step and the RTO',
      15_000,
    );
    expect(widest(running)).toBeLessThanOrEqual(80);

    // A typed confirmation waits with the clock too.
    const typed = await terminal.waitForScreen('? This step is destructive', 'the typed confirmation', 15_000);
    const typedClock = clockOf(lineAbove(typed, '? This step is destructive'));
    expect(typedClock.elapsed).toBeGreaterThan(after.elapsed);
    terminal.send(['shop'], true);
    terminal.send(['Enter']);

    const third = await terminal.waitForScreen('? Step 3/3: Flip DNS', 'the manual step menu');
    // The spinner's redraws erased nothing above them: the answer and the step's output are still there.
    expect(third).toMatch(/✔ This step is destructive\. Type shop to run it[^]*?: shop\n {2}│ restarted\n✓ restart succeeded/);
    terminal.send(['Enter']); // run the manual step
    const manual = await terminal.waitForScreen('? When it is done:', 'the manual step');
    expect(lineAbove(manual, '? When it is done:')).toMatch(/^ {2}flip-dns \S+ of 8m budget · T\+\S+ of RTO 1h/);
    await sleep(2200);
    const later = terminal.screen();
    const timer = (screen: string): number =>
      parseDuration(/flip-dns (\S+) of 8m budget/.exec(lineAbove(screen, '? When it is done:'))![1]!)!;
    expect(timer(later)).toBeGreaterThan(timer(manual));
    expect(widest(later)).toBeLessThanOrEqual(80);
    terminal.send(['Enter']); // done

    expect(await exitCode(ws, terminal)).toBe(0);
    // Once answered, the live line goes with the prompt: the answer stays, no stale clock under the card.
    const end = terminal.screen();
    expect(end).toContain('✔ When it is done: done');
    expect(end).not.toMatch(/flip-dns \S+ of 8m budget · T\+/);
  }, 60_000);

  it('keeps the answer and the output above a running step: the spinner never clears a line that is not its own', async () => {
    const ws = workspace();
    ws.runbook(
      'restart.yaml',
      // T+4m1Xs: the spinner's longest line that fits is 77 columns wide ("restart 0s of 1m budget ·
      // T+4m12s of RTO 15m · finish T+10m12s (4m48s inside)"), where ora would clear two rows.
      `${header('restart-app', 'Restart')}objectives: { rto: 15m }
steps:
  - id: restart
    title: Restart the backend
    budget: 1m
    confirm: { type: shop }
    run: echo restarted; sleep 2
  - id: verify
    title: Check by hand
    budget: 3m
    manual: Look at the shop.
  - id: announce
    title: Tell the team
    budget: 2m
    manual: Post in the incident channel.
`,
    );
    const terminal = startInTerminal(ws, ['run', 'restart.yaml', '--state-dir', 'st', '--incident-start', '-4m10s']);
    await terminal.waitForScreen('? This step is destructive', 'the typed confirmation');
    terminal.send(['shop'], true);
    terminal.send(['Enter']);
    await terminal.waitForScreen('? Step 2/3', 'the next step', 15_000);
    terminal.send(['Down', 'Down', 'Down'], false);
    terminal.send(['Enter']); // abort
    expect(await exitCode(ws, terminal)).toBe(4);
    expect(terminal.screen()).toMatch(/✔ This step is destructive\. Type shop to run it[^]*?: shop\n {2}│ restarted\n✓ restart succeeded/);
  }, 60_000);

  it('stops with Ctrl-C at a waiting prompt: the run is interrupted and drctl exits (no timer left running)', async () => {
    const ws = workspace();
    ws.runbook('clocked.yaml', CLOCKED);
    const terminal = startInTerminal(ws, ['run', 'clocked.yaml', '--state-dir', 'st']);
    await terminal.waitForScreen('? Step 1/3: Sleep a while', 'the step menu');
    await sleep(1200); // at least one redraw
    terminal.send(['C-c']);
    expect(await exitCode(ws, terminal)).toBe(130);
    expect(terminal.screen()).toContain('Interrupted (SIGINT)');
  }, 60_000);

  it('with colours off, draws nothing twice: no live line, no spinner, the screen stays as it was printed', async () => {
    const ws = workspace();
    ws.runbook('clocked.yaml', CLOCKED);
    const terminal = startInTerminal(ws, ['run', 'clocked.yaml', '--state-dir', 'st'], { NO_COLOR: '1' });
    const first = await terminal.waitForScreen('? Step 1/3: Sleep a while', 'the step menu');
    await sleep(2200);
    expect(terminal.screen()).toBe(first);
    expect(first.match(/clock T\+/g)).toHaveLength(1);
    terminal.send(['Enter']);
    await terminal.waitForScreen('? This step is destructive', 'the next question', 15_000);
    expect(terminal.screen()).not.toMatch(/sleeper \S+ of 15m budget/);
  }, 60_000);
});

const SLOW = `${header('slow', 'Slow')}steps:
  - id: slow
    title: Slow
    run: sleep 2
  - id: quick
    title: Quick
    run: "true"
`;

const hasScript = requireTool('script', 'the bytes drctl writes to a terminal are captured with script (util-linux)');

/** Run drctl with --yes under script(1): a terminal for drctl, every byte it wrote kept. */
function inPty(ws: Workspace, args: string[]): string {
  const line = drctlCommandLine(['run', 'slow.yaml', '--yes', '--state-dir', 'st', ...args], { cwd: ws.dir });
  const result = drctl([], { command: ['script', '-qefc', line, '/dev/null'], cwd: ws.dir, timeoutMs: 30_000 });
  expect(result.status).toBe(0);
  return result.stdout;
}

describe.skipIf(!hasScript || !hasTmux)('--notify', () => {
  it('rings the bell and sends OSC 9 and OSC 777 when a step that ran long enough ends', () => {
    const ws = workspace();
    ws.runbook('slow.yaml', SLOW);
    const raw = inPty(ws, ['--notify-after', '1s']);
    expect(raw).toMatch(
      // eslint-disable-next-line no-control-regex
      /\u0007\u001B\]9;drctl: slow succeeded after 2\.\ds\u0007\u001B\]777;notify;drctl;slow succeeded after 2\.\ds\u0007/,
    );
    // The quick step ends unannounced: one notification in all.
    expect(raw.split(']9;')).toHaveLength(2);
  });

  it('rings nothing unless asked, and nothing into a pipe even when asked', () => {
    const ws = workspace();
    ws.runbook('slow.yaml', SLOW);
    expect(inPty(ws, [])).not.toContain(BEL);
    const piped = drctl(['run', 'slow.yaml', '--yes', '--state-dir', 'st', '--notify-after', '1s'], { cwd: ws.dir });
    expect(piped.status).toBe(0);
    expect(piped.stdout + piped.stderr).not.toContain(BEL);
    expect(piped.stderr).toContain('slow succeeded in');
  });

  it('a bad --notify-after is one line and exit 2', () => {
    const ws = workspace();
    ws.runbook('slow.yaml', SLOW);
    const result = drctl(['run', 'slow.yaml', '--yes', '--state-dir', 'st', '--notify-after', 'soon'], { cwd: ws.dir });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--notify-after soon: not a duration');
    expect(ws.exists('st/runs')).toBe(false);
  });

  it('in an interactive run, tells the operator the long step ended when the next question waits for them', async () => {
    const ws = workspace();
    ws.runbook('slow.yaml', SLOW);
    session = new TmuxSession();
    const line = drctlCommandLine(['run', 'slow.yaml', '--state-dir', 'st', '--notify-after', '1s'], { cwd: ws.dir });
    // script(1) inside the terminal keeps every byte drctl writes to it in raw.log.
    session.start(`cd ${sh(ws.dir)} && script -qfec ${sh(line)} raw.log; sleep 600`, 80);
    await session.waitForScreen('? Step 1/2: Slow', 'the first step menu');
    session.send(['Enter']);
    await session.waitForScreen('? Step 2/2: Quick', 'the next step menu', 15_000);
    const raw = await waitFor(() => ws.exists('raw.log') && ws.read('raw.log').includes(']777;') && ws.read('raw.log'), 'the notification');
    // eslint-disable-next-line no-control-regex
    expect(raw).toMatch(/\u0007\u001B\]9;drctl: slow succeeded after 2\.\ds, drctl waits for you\u0007/);
    session.send(['Enter']);
    await waitFor(() => ws.read('raw.log').includes('quick succeeded'), 'the last step to run', 15_000);
    expect(ws.read('raw.log').split(']9;')).toHaveLength(2);
  }, 60_000);
});
