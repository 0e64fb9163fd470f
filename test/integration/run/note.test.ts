import { appendFileSync, readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
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
  onlyRunId,
  readJournal,
  readReport,
  requireBuild,
  startDrctl,
  waitFor,
  workspace,
} from './helpers.js';

/**
 * `drctl note` from a second terminal: the note joins the run's journal while the run's own drctl
 * appends to it, or after the run ended; reports show it.
 */

beforeAll(() => requireBuild());

const ME = `${userInfo().username}@${hostname()}`;

/** Step 2 waits (up to a minute) for go.flag, writing its pid first. */
const RUNBOOK = `${header('noted', 'Noted run')}steps:
  - id: first
    title: First
    run: echo first
  - id: long
    title: Long step
    idempotent: true
    run: |
      echo $$ > long.pid
      i=0; while [ ! -f go.flag ] && [ $i -lt 600 ]; do echo "tick $i"; sleep 0.1; i=$((i+1)); done
  - id: last
    title: Last
    run: echo last
`;

/** Every line of the journal is one whole JSON entry, and the file ends with a newline. */
function expectWholeLines(ws: Workspace, runId: string): void {
  const text = readFileSync(journalPath(ws.stateDir, runId), 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.slice(0, -1).split('\n')) expect(() => JSON.parse(line) as unknown, line).not.toThrow();
}

async function startLongRun(ws: Workspace) {
  ws.runbook('rb.yaml', RUNBOOK);
  onTestFinished(() => {
    if (ws.exists('long.pid')) killGroup(Number(ws.read('long.pid').trim()));
  });
  const running = startDrctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
  const pgid = await waitFor(() => ws.exists('long.pid') && Number(ws.read('long.pid').trim()), 'the long step to start', 30_000);
  const runId = onlyRunId(ws.stateDir);
  await waitFor(
    () => readJournal(ws.stateDir, runId).some((e) => e.type === 'step.process' && e.pgid === pgid),
    'its process group journaled',
  );
  return { running, runId, pgid };
}

describe('drctl note', () => {
  it('while a run is in a long step: the journal stays one entry per line and the report shows the notes', async () => {
    const ws = workspace();
    const { running, runId } = await startLongRun(ws);
    const first = drctl(['note', runId.slice(0, -6), 'DBA on call: replica is gone'], {
      cwd: ws.dir,
      env: { DRCTL_STATE_DIR: ws.stateDir },
    });
    expect(first.status, first.all).toBe(0);
    expect(first.stdout).toBe(`Noted in run ${runId} (running) as ${ME}\n`);
    const second = drctl(['note', 'latest', 'restore is slow | see "INC-4411" <b>\nsecond line', '--state-dir', ws.stateDir], {
      cwd: ws.dir,
    });
    expect(second.status, second.all).toBe(0);
    expectWholeLines(ws, runId);
    ws.write('go.flag', '');
    const exit = await exitWithin(running, 60_000);
    expect(exit.code, running.stdout() + running.stderr()).toBe(0);

    expectWholeLines(ws, runId);
    const journal = readJournal(ws.stateDir, runId);
    const notes = journal.filter((e) => e.type === 'note');
    expect(notes.map((n) => [n.text, `${String(n.user)}@${String(n.host)}`])).toEqual([
      ['DBA on call: replica is gone', ME],
      ['restore is slow | see "INC-4411" <b>\nsecond line', ME],
    ]);
    // The run went on around the notes: they sit between its entries, and it ended as usual.
    expect(journal.findIndex((e) => e.type === 'note')).toBeLessThan(
      journal.findIndex((e) => e.type === 'step.finished' && e.step === 'long'),
    );
    expect(journal.at(-1)).toMatchObject({ type: 'run.finished', status: 'succeeded' });

    const report = readReport(ws.stateDir, runId);
    expect(report.status).toBe('succeeded');
    expect(report.notes.map((n) => ({ user: n.user, host: n.host, text: n.text }))).toEqual([
      { user: userInfo().username, host: hostname(), text: 'DBA on call: replica is gone' },
      { user: userInfo().username, host: hostname(), text: 'restore is slow | see "INC-4411" <b>\nsecond line' },
    ]);
    expect(report.notes[0]!.at).toBe(notes[0]!.t);

    const md = drctl(['report', runId, '--format', 'md', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(md.status, md.all).toBe(0);
    expect(md.stdout).toContain('## Notes');
    expect(md.stdout).toContain(`: DBA on call: replica is gone\n`);
    expect(md.stdout).toContain('restore is slow \\| see "INC-4411" \\<b\\><br>second line');
    const html = drctl(['report', runId, '--format', 'html', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(html.stdout).toContain('<h2>Notes</h2>');
    expect(html.stdout).toContain('restore is slow | see &quot;INC-4411&quot; &lt;b&gt;');
    expect(html.stdout).not.toContain('<b>');
  });

  it('on a run whose drctl was killed (a torn last line too): the note is a line of its own and resume still works', async () => {
    const ws = workspace();
    const { running, runId, pgid } = await startLongRun(ws);
    killPid(running.pid, 'SIGKILL');
    await exitWithin(running, 10_000);
    killGroup(pgid);
    await waitFor(() => !isAlive(pgid), 'the orphaned step to die');
    appendFileSync(journalPath(ws.stateDir, runId), '{"type":"step.fin');

    const note = drctl(['note', runId, 'laptop died mid-restore', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(note.status, note.all).toBe(0);
    expect(note.stdout).toBe(`Noted in run ${runId} (interrupted) as ${ME}\n`);
    expectWholeLines(ws, runId);
    expect(readJournal(ws.stateDir, runId).at(-1)).toMatchObject({ type: 'note', text: 'laptop died mid-restore' });

    ws.write('go.flag', '');
    const resumed = drctl(['resume', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(resumed.status, resumed.all).toBe(0);
    const report = readReport(ws.stateDir, runId);
    expect(report.status).toBe('succeeded');
    expect(report.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(report.notes.map((n) => n.text)).toEqual(['laptop died mid-restore']);
  });

  it('after the run ended: report.json shows the note at once', () => {
    const ws = workspace();
    ws.runbook('rb.yaml', `${header('short', 'Short run')}steps:\n  - id: one\n    title: One\n    run: echo one\n`);
    expect(drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir }).status).toBe(0);
    const runId = onlyRunId(ws.stateDir);
    expect(readReport(ws.stateDir, runId).notes).toEqual([]);
    const note = drctl(['note', runId, 'reviewed in the post-mortem', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(note.status, note.all).toBe(0);
    expect(note.stdout).toBe(`Noted in run ${runId} (succeeded) as ${ME}\n`);
    const report = readReport(ws.stateDir, runId);
    expect(report.notes.map((n) => n.text)).toEqual(['reviewed in the post-mortem']);
    // A note changes nothing of what the run proves.
    expect(report.status).toBe('succeeded');
    expect(report.exit_code).toBe(0);
  });

  it('refuses an empty note, an overlong one, and a run that does not exist (exit 2, journal untouched)', () => {
    const ws = workspace();
    ws.runbook('rb.yaml', `${header('short', 'Short run')}steps:\n  - id: one\n    title: One\n    run: echo one\n`);
    expect(drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir }).status).toBe(0);
    const runId = onlyRunId(ws.stateDir);
    const before = readFileSync(journalPath(ws.stateDir, runId), 'utf8');
    const empty = drctl(['note', runId, '  ', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(empty.status).toBe(2);
    expect(empty.stderr).toBe('drctl: the note is empty\n  hint: drctl note <run-id> "what you saw or did"\n');
    const long = drctl(['note', runId, 'x'.repeat(4001), '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(long.status).toBe(2);
    expect(long.stderr).toContain('drctl: the note is 4001 characters long; a note holds at most 4000\n');
    const none = drctl(['note', 'nothing-here', 'hello', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/^drctl: no run nothing-here in .*\n {2}hint: recent runs: short-/);
    const path = drctl(['note', '../../etc', 'hello', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(path.status).toBe(2);
    expect(path.stderr).toMatch(/^drctl: "\.\.\/\.\.\/etc" is not a run id\n/);
    const missing = drctl(['note', runId, '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'text'");
    expect(readFileSync(journalPath(ws.stateDir, runId), 'utf8')).toBe(before);
  });
});
