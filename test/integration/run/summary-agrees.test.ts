import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formatDuration } from '../../../src/util/duration.js';
import { requireTool } from '../../support/tools.js';
import type { Workspace } from './helpers.js';
import {
  drctlCommandLine,
  header,
  onlyRunId,
  readReport,
  requireBuild,
  sleep,
  stepOf,
  TmuxSession,
  waitFor,
  workspace,
} from './helpers.js';

/**
 * The closing summary on the terminal and the reports tell the same times: a step Ctrl-C cut short
 * and then ran again after a resume counts both attempts, a manual step shows the time the
 * operator took, and the totals and the RTO figure are the same text everywhere.
 */

beforeAll(() => requireBuild());

const hasTmux = requireTool('tmux', 'the summary is read from a real terminal through tmux');

const RUNBOOK = `${header('timed', 'Timed recovery')}objectives:
  rto: 1h
steps:
  - id: copy-dump
    title: Copy the dump
    idempotent: true
    budget: 1m
    run: |
      if [ -f started.once ]; then sleep 1; echo copied; else touch started.once; echo copying; sleep 60; fi
  - id: tell-channel
    title: Tell the incident channel
    budget: 5m
    manual: Post the status in the incident channel.
`;

const terminals: TmuxSession[] = [];
afterEach(() => terminals.splice(0).forEach((t) => t.kill()));

function terminal(ws: Workspace, args: string[]): TmuxSession {
  const t = new TmuxSession();
  terminals.push(t);
  t.start(`${drctlCommandLine(args, { cwd: ws.dir })}; echo EXIT=$? > exitcode; sleep 600`);
  return t;
}

async function exitCode(ws: Workspace, t: TmuxSession): Promise<number> {
  try {
    const line = await waitFor(() => ws.exists('exitcode') && ws.read('exitcode').trim(), 'drctl to exit', 30_000);
    ws.write('exitcode', '');
    return Number(line.replace('EXIT=', ''));
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- screen ---\n${t.screen()}`);
  }
}

/** Highlight `choice` in a select prompt (moving down only while it is not), then press Enter. */
async function choose(t: TmuxSession, choice: string): Promise<void> {
  for (let i = 0; i < 6 && !t.screen().includes(`❯ ${choice}`); i++) {
    t.send(['Down']);
    await sleep(150);
  }
  await t.waitForScreen(`❯ ${choice}`);
  t.send(['Enter']);
}

/** The ACTUAL column of a step's row in the summary table. */
function summaryActual(screen: string, number: number, id: string, budget: string): string {
  const row = new RegExp(`^\\s*${number}\\s+${id}\\s+succeeded\\s+${budget}\\s+(\\S+)`, 'm').exec(screen);
  if (!row) throw new Error(`no summary row for ${id}\n--- screen ---\n${screen}`);
  return row[1]!;
}

describe.skipIf(!hasTmux)('the closing summary and the reports', () => {
  it('show the same time for each step, counting the attempt Ctrl-C cut short and the manual step the operator took a while over', async () => {
    const ws = workspace();
    ws.runbook('rb.yaml', RUNBOOK);
    const first = terminal(ws, ['run', 'rb.yaml', '--state-dir', 'st', '--report', 'md:out/run.md']);
    await first.waitForScreen('? Step 1/2: Copy the dump', 'the first prompt', 20_000);
    first.send(['Enter']);
    await first.waitForScreen('│ copying', 'the copy to start', 20_000);
    await sleep(2_500);
    first.send(['C-c']);
    expect(await exitCode(ws, first)).toBe(130);
    const runId = onlyRunId(ws.path('st'));

    const second = terminal(ws, ['resume', '--state-dir', 'st']);
    await second.waitForScreen('? Step 1/2: Copy the dump', 'the step again after the resume', 20_000);
    second.send(['Enter']);
    await second.waitForScreen('? Step 2/2: Tell the incident channel', 'the manual step', 20_000);
    second.send(['Enter']);
    await second.waitForScreen('? When it is done:', 'the manual step\'s "done" prompt', 20_000);
    await sleep(3_000); // the operator posts the status
    await choose(second, 'done');
    expect(await exitCode(ws, second)).toBe(0);
    const screen = second.screen();

    const report = readReport(ws.path('st'), runId);
    const md = ws.read('out/run.md');
    const copy = stepOf(report, 'copy-dump');
    const tell = stepOf(report, 'tell-channel');

    // The attempt Ctrl-C cut short (about 2.5s) and the one after the resume (about 1s).
    expect(copy).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(copy.duration_s!).toBeGreaterThanOrEqual(3.4);
    const copyShown = summaryActual(screen, 1, 'copy-dump', '1m');
    expect(copyShown).toBe(formatDuration(copy.duration_s! * 1000));
    expect(md).toContain(`| 1 | Copy the dump (\`copy-dump\`) | succeeded | 2 | 1m | ${copyShown} |`);

    // A manual step's time is the operator's: shown as such, never as 0s.
    expect(tell.duration_s).toBe(0);
    expect(tell.waiting_s!).toBeGreaterThanOrEqual(3);
    const tellShown = summaryActual(screen, 2, 'tell-channel', '5m');
    expect(tellShown).toBe(formatDuration(tell.waiting_s! * 1000));
    expect(md).toMatch(
      new RegExp(`\\| 2 \\| Tell the incident channel \\(\`tell-channel\`\\) \\| succeeded[^|]* \\| 1 \\| 5m \\| ${tellShown} \\|`),
    );

    // The totals and the RTO figure, word for word.
    const totals = /Time running commands (\S+) · waiting for the operator (\S+)/.exec(screen);
    expect(totals, screen).not.toBeNull();
    expect(md).toContain(`| Time running / waiting for the operator | ${totals![1]} / ${totals![2]} |`);
    expect(totals![1]).toBe(formatDuration(report.time.running_s * 1000));
    const rto = /RTO 1h: recovery took (\S+) since the incident start, MET/.exec(screen);
    expect(rto, screen).not.toBeNull();
    expect(md).toContain(`| RTO 1h | recovery took ${rto![1]} since the incident start, met |`);
    expect(screen).toContain(`Run ${runId}: succeeded, recovered in ${rto![1]}`);
  });
});
