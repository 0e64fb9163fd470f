import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from './helpers.js';
import {
  drctl,
  drctlCommandLine,
  header,
  onlyRunId,
  readJournal,
  readReport,
  requireBuild,
  sleep,
  stepOf,
  TmuxSession,
  waitFor,
  workspace,
} from './helpers.js';
import { requireTool } from '../../support/tools.js';

/**
 * Manual steps as the operator meets them: the text once, with the run's facts filled in, and a
 * Markdown checklist answered item by item in a real terminal (tmux).
 */

const COMMS = `${header('comms', 'Comms')}objectives:
  rto: 1h
steps:
  - id: announce
    title: Announce the incident
    manual: |
      1. Post the initial report:

             Subject: [P0] outage - recovery in progress
             Detected at: \${{ run.incident_start }}    Downtime: \${{ run.elapsed }}
             Procedure: \${{ run.runbook }} (drctl), run by \${{ run.operator }}
  - id: verify
    title: Go through the checklist
    manual: |
      - [ ] Pods healthy
      - [ ] TLS certificates valid
      - [ ] Backups scheduled
    budget: 5m
`;

beforeAll(() => requireBuild());

let session: TmuxSession | undefined;
afterEach(() => {
  session?.kill();
  session = undefined;
});

function incidentStartOf(ws: Workspace): string {
  const started = readJournal(ws.stateDir, onlyRunId(ws.stateDir))[0]!;
  return String(started.incident_start);
}

describe('run facts in a manual step', () => {
  it('--yes --accept-manual: the step card shows the text with the incident start and the time since it filled in', () => {
    const ws = workspace();
    const file = ws.runbook('comms.yaml', COMMS);
    const result = drctl(['run', file, '--yes', '--accept-manual', '--incident-start', '-23m', '--state-dir', ws.stateDir], {
      cwd: ws.dir,
    });
    expect(result.status, result.all).toBe(0);
    const incident = incidentStartOf(ws);
    expect(result.stderr).toContain(`Detected at: ${incident}    Downtime: 23m`);
    expect(result.stderr).toMatch(/Downtime: 23m(\d\ds)?\n/);
    expect(result.stderr).toMatch(/Procedure: comms \(drctl\), run by \S+@\S+\n/);
    expect(result.all).not.toContain('${{');
    // Each checklist item is acknowledged, one line each.
    expect(result.stderr).toContain('acknowledged (--accept-manual) 1/3 Pods healthy');
    expect(result.stderr).toContain('acknowledged (--accept-manual) 3/3 Backups scheduled');
  });

  it('plan fills them as of now', () => {
    const ws = workspace();
    const file = ws.runbook('comms.yaml', COMMS);
    const result = drctl(['plan', file, '--incident-start', '-2h'], { cwd: ws.dir });
    expect(result.status, result.all).toBe(0);
    expect(result.stdout).toMatch(/Detected at: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z {4}Downtime: 2h\n/);
  });
});

const hasTmux = requireTool('tmux', 'the checklist is answered in a real terminal through tmux');

describe.skipIf(!hasTmux)('a manual step in a terminal', () => {
  it('shows its text once, then asks each checklist item in turn; the journal has one timed entry per item', async () => {
    const ws = workspace();
    ws.runbook('comms.yaml', COMMS);
    const terminal = new TmuxSession();
    session = terminal;
    terminal.start(
      `${drctlCommandLine(['run', 'comms.yaml', '--state-dir', 'st', '--incident-start', '-23m'], { cwd: ws.dir })}; echo EXIT=$? > exitcode; sleep 600`,
    );

    await terminal.waitForScreen('? Step 1/2: Announce the incident', 'the first step menu', 20_000);
    terminal.send(['Enter']);
    await terminal.waitForScreen('? When it is done:', 'the "done" prompt', 20_000);
    const manual = terminal.screen();
    // The text is on the card once, filled in; the prompt does not print it again.
    expect(manual.split('Subject: [P0] outage - recovery in progress')).toHaveLength(2);
    expect(manual).toMatch(/Detected at: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z {4}Downtime: 23m(\d\ds)?\n/);
    expect(manual).not.toContain('Do this by hand');
    terminal.send(['Enter']); // done

    await terminal.waitForScreen('? Step 2/2: Go through the checklist', 'the checklist step menu', 20_000);
    terminal.send(['Enter']);
    await terminal.waitForScreen('? Checklist 1/3: Pods healthy', 'item 1', 20_000);
    terminal.send(['Enter']); // done
    await terminal.waitForScreen('? Checklist 2/3: TLS certificates valid', 'item 2', 20_000);
    for (let i = 0; i < 6 && !terminal.screen().includes('❯ skip this item'); i++) {
      terminal.send(['Down']);
      await sleep(100);
    }
    await terminal.waitForScreen('❯ skip this item');
    terminal.send(['Enter']);
    await terminal.waitForScreen('? Checklist 3/3: Backups scheduled', 'item 3', 20_000);
    terminal.send(['Enter']); // done

    const code = await waitFor(() => ws.exists('exitcode') && ws.read('exitcode').trim(), 'drctl to exit', 30_000).catch((error) => {
      throw new Error(`${(error as Error).message}\n--- screen ---\n${terminal.screen()}`);
    });
    expect(code).toBe('EXIT=0');
    const screen = terminal.screen();
    expect(screen).toContain('✓ 1/3 Pods healthy');
    expect(screen).toContain('- 2/3 skipped: TLS certificates valid');
    expect(screen).toContain('✓ 3/3 Backups scheduled');
    // An answered item leaves its one line: the question itself is cleared.
    expect(screen).not.toContain('Checklist 1/3');
    expect(screen.split('Pods healthy')).toHaveLength(3); // the card, and the answer

    const stateDir = ws.path('st');
    const runId = onlyRunId(stateDir);
    const items = readJournal(stateDir, runId).filter((e) => e.type === 'manual.item');
    expect(items.map((e) => [e.index, e.text, e.answer])).toEqual([
      [1, 'Pods healthy', 'done'],
      [2, 'TLS certificates valid', 'skipped'],
      [3, 'Backups scheduled', 'done'],
    ]);
    for (const item of items) {
      expect(item.t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(item.wait_ms).toEqual(expect.any(Number));
      expect(item.who).toMatchObject({ user: expect.any(String), host: expect.any(String) });
    }
    const verify = stepOf(readReport(stateDir, runId), 'verify');
    expect(verify.reason).toBe('done by the operator; items skipped: 2');
    expect(verify.checklist?.map((i) => i.answer)).toEqual(['done', 'skipped', 'done']);
  });
});
