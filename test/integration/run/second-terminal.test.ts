import { hostname, userInfo } from 'node:os';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireTool } from '../../support/tools.js';
import type { Workspace } from './helpers.js';
import { drctlCommandLine, header, onlyRunId, readJournal, readReport, requireBuild, TmuxSession, waitFor, workspace } from './helpers.js';

/**
 * An operator's second terminal while a run waits at a prompt in the first: `drctl logs` shows what
 * a finished step printed, and `drctl note` adds a note that the reports of the run carry.
 */

beforeAll(() => requireBuild());

const hasTmux = requireTool('tmux', 'the second-terminal tests drive drctl in real terminals through tmux');

const ME = `${userInfo().username}@${hostname()}`;

const RUNBOOK = `${header('two-terminals', 'Two terminals')}objectives:
  rto: 1h
steps:
  - id: take-backup
    title: Take a backup
    run: |
      echo "backup written: dump-0253.sql.gz"
      echo "checksum verified" >&2
  - id: restore
    title: Restore the database
    run: echo restored > restored.txt
`;

const terminals: TmuxSession[] = [];
afterEach(() => terminals.splice(0).forEach((t) => t.kill()));

function terminal(ws: Workspace, args: string[], then = 'sleep 600'): TmuxSession {
  const t = new TmuxSession();
  terminals.push(t);
  t.start(`${drctlCommandLine(args, { cwd: ws.dir })}; echo EXIT=$? >> exitcodes; ${then}`);
  return t;
}

describe.skipIf(!hasTmux)('a second terminal beside an interactive run', () => {
  it('drctl logs prints a finished step of the running run (latest and by prefix); drctl note lands in report.json and the Markdown report', async () => {
    const ws = workspace();
    ws.runbook('rb.yaml', RUNBOOK);
    const run = terminal(ws, ['run', 'rb.yaml', '--state-dir', 'st', '--report', 'md:out/run.md']);
    await run.waitForScreen('? Step 1/2: Take a backup', 'the first prompt');
    run.send(['Enter']);
    await run.waitForScreen('? Step 2/2: Restore the database', 'the second prompt');
    const runId = onlyRunId(ws.path('st'));
    const prefix = runId.slice(0, -5);

    // The second terminal, while the first waits at its prompt.
    const second = new TmuxSession();
    terminals.push(second);
    const logsOf = (args: string[]): string => drctlCommandLine(['logs', ...args, '--state-dir', 'st'], { cwd: ws.dir });
    second.start(
      [
        `echo '--- latest'`,
        logsOf([]),
        `echo "EXIT1=$?"`,
        `echo '--- prefix'`,
        logsOf([prefix, 'take-backup']),
        `echo "EXIT2=$?"`,
        `echo '--- note'`,
        drctlCommandLine(['note', prefix, 'DBA on call: the replica is gone too', '--state-dir', 'st'], { cwd: ws.dir }),
        `echo "EXIT3=$?"`,
        'sleep 600',
      ].join('; '),
    );
    const screen = await second.waitForScreen(/EXIT3=\d+/, 'the second terminal to finish', 30_000);
    expect(screen).toContain('EXIT1=0');
    expect(screen).toContain('EXIT2=0');
    expect(screen).toContain('EXIT3=0');
    const latest = screen.slice(screen.indexOf('--- latest'), screen.indexOf('--- prefix'));
    const byPrefix = screen.slice(screen.indexOf('--- prefix'), screen.indexOf('--- note'));
    for (const logs of [latest, byPrefix]) {
      expect(logs).toContain('Step 1/2: Take a backup  [take-backup] · succeeded');
      expect(logs).toMatch(/│ backup written: dump-0253\.sql\.gz/);
      expect(logs).toMatch(/│ checksum verified/);
    }
    // Asked for one step, it prints only that one.
    expect(byPrefix).not.toContain('[restore]');
    expect(screen.slice(screen.indexOf('--- note'))).toContain(`Noted in run ${runId} (running) as ${ME}`);

    // The first terminal goes on as if nothing happened.
    expect(run.screen()).toContain('? Step 2/2: Restore the database');
    run.send(['Enter']);
    const code = await waitFor(() => ws.exists('exitcodes') && /EXIT=(\d+)/.exec(ws.read('exitcodes'))?.[1], 'the run to end', 30_000);
    expect(Number(code), run.screen()).toBe(0);
    expect(ws.read('restored.txt')).toBe('restored\n');

    const note = readJournal(ws.path('st'), runId).find((e) => e.type === 'note')!;
    expect(note).toMatchObject({ text: 'DBA on call: the replica is gone too', user: userInfo().username, host: hostname() });
    const report = readReport(ws.path('st'), runId);
    expect(report.status).toBe('succeeded');
    expect(report.notes).toEqual([
      { at: note.t, user: userInfo().username, host: hostname(), text: 'DBA on call: the replica is gone too' },
    ]);
    const md = ws.read('out/run.md');
    const escaped = (text: string): string => text.replace(/[\\`*_[\]<>#|]/g, (c) => `\\${c}`);
    expect(md).toContain(
      `\n## Notes\n\n- ${note.t}, ${escaped(userInfo().username)}@${escaped(hostname())}: DBA on call: the replica is gone too\n`,
    );
  });
});
