import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { drctlCommandLine, header, onlyRunId, readJournal, readReport, requireBuild, TmuxSession, waitFor, workspace } from './helpers.js';
import { requireTool } from '../../support/tools.js';

/**
 * A note typed at a prompt may quote a secret (a database URL pasted from the runbook's inputs).
 * The note is journaled, shown and reported masked; the answered note prompt must not leave the
 * typed text on the screen either.
 */

let session: TmuxSession | undefined;

beforeAll(() => requireBuild());

afterEach(() => {
  session?.kill();
  session = undefined;
});

const hasTmux = requireTool('tmux', 'the prompts are driven in a real terminal through tmux');

const SECRET_URL = 'postgres://app:hunter2secret@db.internal:5432/shop';

const RUNBOOK = `${header('secret-note', 'Secret note')}inputs:
  database_url: { secret: true, env: REVIEW_DATABASE_URL, description: The shop database }
steps:
  - id: check
    title: Check the database
    env: { DB: "\${{ inputs.database_url }}" }
    run: echo checked > check.txt
`;

describe.skipIf(!hasTmux)('a note that quotes a secret', () => {
  it('leaves no secret on the screen, in the journal or in the report: the answered note prompt does not repeat the typed text', async () => {
    const ws = workspace();
    ws.runbook('rb.yaml', RUNBOOK);
    session = new TmuxSession();
    const terminal = session;
    terminal.start(
      `${drctlCommandLine(['run', 'rb.yaml', '--state-dir', 'st'], { cwd: ws.dir, env: { REVIEW_DATABASE_URL: SECRET_URL } })}; echo EXIT=$? > exitcode; sleep 600`,
      80,
    );
    await terminal.waitForScreen('? Step 1/1: Check the database', 'the step menu');
    for (let i = 0; i < 8 && !terminal.screen().includes('❯ note…'); i++) {
      terminal.send(['Up']);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    await terminal.waitForScreen('❯ note…', 'note… highlighted');
    terminal.send(['Enter']);
    await terminal.waitForScreen('Note for the journal and the report', 'the note prompt');
    terminal.send([`tried ${SECRET_URL} by hand`], true);
    terminal.send(['Enter']);
    const noted = await terminal.waitForScreen(/✎ note from \S+@\S+: tried \*\*\* by hand/, 'the masked note on screen');
    expect(noted).not.toContain('hunter2secret');
    await terminal.waitForScreen(/by hand\n(?:.*\n)?\? Step 1\/1: Check the database/, 'the same menu again');
    terminal.send(['Enter']);
    const line = await waitFor(() => ws.exists('exitcode') && ws.read('exitcode').trim(), 'drctl to exit', 30_000);
    expect(line).toBe('EXIT=0');
    expect(terminal.screen()).not.toContain('hunter2secret');
    const runId = onlyRunId(ws.path('st'));
    expect(JSON.stringify(readJournal(ws.path('st'), runId))).not.toContain('hunter2secret');
    expect(readReport(ws.path('st'), runId).notes.map((n) => n.text)).toEqual(['tried *** by hand']);
  });
});
