import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { Workspace } from './helpers.js';
import {
  drctl,
  drctlAsync,
  drctlCommandLine,
  exitWithin,
  header,
  journalPath,
  killGroup,
  onlyRunId,
  readJournal,
  readReport,
  reportPath,
  requireBuild,
  startDrctl,
  TmuxSession,
  waitFor,
  workspace,
} from './helpers.js';
import { requireTool } from '../../support/tools.js';

/**
 * The after-action record of a drill: its scope and who took part (given on the command line or
 * asked at the start), then `drctl review` adding findings, remediation and sign-offs to the
 * journal of a run that ended, and report.json showing them.
 */

beforeAll(() => requireBuild());

const ME = `${userInfo().username}@${hostname()}`;

const RUNBOOK = `${header('restore-drill', 'Restore drill', '  version: "2.3"\n  severity: P1\n  owner: dba-team\n  tags: [postgres, quarterly]\n')}objectives:
  rto: 1h
steps:
  - id: restore
    title: Restore
    run: echo restored
`;

/** A drill run to its end with --yes; its run id. */
function finishedDrill(ws: Workspace, extra: string[] = []): string {
  ws.runbook('rb.yaml', RUNBOOK);
  const run = drctl(['run', 'rb.yaml', '--drill', '--yes', '--state-dir', ws.stateDir, ...extra], { cwd: ws.dir });
  expect(run.status, run.all).toBe(0);
  return onlyRunId(ws.stateDir);
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('run facts and participants', () => {
  it('a drill run with --environment and --participant: report.json names the tool, the runbook file and version, the scope and who took part', () => {
    const ws = workspace();
    const runId = finishedDrill(ws, [
      '--environment',
      'staging-eu',
      '--participant',
      'Ada Lovelace, incident commander',
      '--participant',
      'Bob',
    ]);
    const report = readReport(ws.stateDir, runId);
    const version = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    expect(report.tool).toEqual({ name: 'drctl', version });
    expect(report.operators.map((o) => o.version)).toEqual([version]);
    expect(report.runbook_file).toEqual({ path: ws.path('rb.yaml'), digest: sha256(RUNBOOK), version: '2.3' });
    expect(report.scope).toEqual({ environment: 'staging-eu', severity: 'P1', owner: 'dba-team', tags: ['postgres', 'quarterly'] });
    expect(report.participants.map((p) => [p.name, p.role, p.added_by])).toEqual([
      ['Ada Lovelace', 'incident commander', ME],
      ['Bob', null, ME],
    ]);
    const journal = readJournal(ws.stateDir, runId);
    expect(journal[0]).toMatchObject({ type: 'run.started', tool_version: version, runbook_version: '2.3' });
    expect(journal.slice(1, 3).map((e) => e.type)).toEqual(['participant.added', 'participant.added']);
  });

  it('a bad --environment or --participant is refused in one line before anything runs', () => {
    const ws = workspace();
    ws.runbook('rb.yaml', RUNBOOK);
    for (const [args, message] of [
      [['--environment', 'prod\u001b[2J'], 'drctl: --environment: the environment holds a control character (U+001B)'],
      [['--participant', ', dba'], `drctl: --participant ", dba": the participant's name is empty`],
      [
        ['--environment', 'prod \u2066staging\u2069'],
        'drctl: --environment: the environment holds a bidirectional control character (U+2066)',
      ],
      [['--participant', `${'x'.repeat(201)}, dba`], "the participant's name is 201 characters long; it holds at most 200"],
    ] as const) {
      const run = drctl(['run', 'rb.yaml', '--drill', '--yes', '--state-dir', ws.stateDir, ...args], { cwd: ws.dir });
      expect(run.status, run.all).toBe(2);
      expect(run.stderr.split('\n')[0]).toContain(message);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
    expect(ws.exists('state/runs')).toBe(false);
  });
});

describe('drctl review', () => {
  it('adds findings, remediation and a sign-off to a finished drill: journaled with who, in report.json, the sign-off covering the journal head', () => {
    const ws = workspace();
    const runId = finishedDrill(ws);
    const review = drctl(
      [
        'review',
        'latest',
        '--finding',
        'restore took 3x its budget: S3 throttling',
        '--finding',
        'the runbook named the wrong bucket',
        '--remediation',
        'raise the S3 request quota; owner: Ada Lovelace; due: 2026-12-15',
        '--remediation',
        'fix the bucket name',
        '--sign-off',
        'Grace Hopper, head of operations',
        '--state-dir',
        ws.stateDir,
      ],
      { cwd: ws.dir },
    );
    expect(review.status, review.all).toBe(0);
    const lines = readFileSync(journalPath(ws.stateDir, runId), 'utf8').split('\n').slice(0, -1);
    const head = sha256(lines.at(-2)!);
    expect(review.stdout).toBe(
      [
        `Added to the review of run ${runId} (succeeded) as ${ME}:`,
        `  finding (${ME}): restore took 3x its budget: S3 throttling`,
        `  finding (${ME}): the runbook named the wrong bucket`,
        `  remediation (${ME}): raise the S3 request quota (owner Ada Lovelace, due 2026-12-15)`,
        `  remediation (${ME}): fix the bucket name`,
        `  signed off by Grace Hopper, head of operations (${ME}), covering the journal up to ${head}`,
        `Report: ${reportPath(ws.stateDir, runId)}`,
        '',
      ].join('\n'),
    );
    const journal = readJournal(ws.stateDir, runId);
    expect(journal.slice(-5).map((e) => e.type)).toEqual([
      'review.finding',
      'review.finding',
      'review.remediation',
      'review.remediation',
      'review.sign_off',
    ]);
    for (const entry of journal.slice(-5)) expect(`${String(entry.user)}@${String(entry.host)}`).toBe(ME);
    const report = readReport(ws.stateDir, runId);
    expect(report.findings.map((f) => [f.text, f.by])).toEqual([
      ['restore took 3x its budget: S3 throttling', ME],
      ['the runbook named the wrong bucket', ME],
    ]);
    expect(report.remediation.map((r) => [r.text, r.owner, r.due])).toEqual([
      ['raise the S3 request quota', 'Ada Lovelace', '2026-12-15'],
      ['fix the bucket name', null, null],
    ]);
    expect(report.sign_offs).toEqual([{ at: journal.at(-1)!.t, name: 'Grace Hopper', role: 'head of operations', by: ME, covers: head }]);
    // The run's own facts stay as they were: the review is not the run's doing.
    expect(report.status).toBe('succeeded');
    expect(report.finished_at).toBe(journal.find((e) => e.type === 'run.finished')!.t);

    // Without options: the review so far.
    const shown = drctl(['review', runId, '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(shown.status, shown.all).toBe(0);
    expect(shown.stdout.split('\n')[0]).toBe(`Review of run ${runId} (succeeded): 2 findings, 2 remediation, 1 sign-off`);
    expect(shown.stdout).toContain(`  signed off by Grace Hopper, head of operations (${ME}), covering the journal up to ${head}`);
  });

  it('a bad value is refused in one line, exit 2, and nothing is written (not even the good values given with it)', () => {
    const ws = workspace();
    const runId = finishedDrill(ws);
    const journalBefore = readFileSync(journalPath(ws.stateDir, runId), 'utf8');
    const reportBefore = readFileSync(reportPath(ws.stateDir, runId), 'utf8');
    const cases: Array<[string[], string]> = [
      [
        ['--finding', 'fine', '--finding', 'bell\u0007here'],
        'drctl: --finding "bell\\u0007here": the finding holds a control character (U+0007)',
      ],
      [['--finding', '   '], 'drctl: --finding "   ": the finding is empty'],
      [['--finding', 'x'.repeat(4001)], 'the finding is 4001 characters long; it holds at most 4000'],
      [
        ['--finding', 'fine', '--remediation', 'fix it; owner: Ada; due: 2026-02-30'],
        'drctl: --remediation "fix it; owner: Ada; due: 2026-02-30": its due date 2026-02-30 is not a date of the calendar',
      ],
      [['--remediation', 'fix it; due: 15/12/2026'], 'its due date "15/12/2026" is not written YYYY-MM-DD'],
      [['--remediation', 'fix it; owner: '], 'its owner is empty'],
      [['--remediation', `${'y'.repeat(4001)}; owner: Ada`], 'its text is 4001 characters long; it holds at most 4000'],
      [['--remediation', `fix it; owner: ${'o'.repeat(201)}`], 'its owner is 201 characters long; it holds at most 200'],
      [['--sign-off', 'Grace Hopper, head\tof operations'], "the sign-off's role (after the comma) holds a control character (U+0009)"],
      [['--sign-off', ', head of operations'], `drctl: --sign-off ", head of operations": the sign-off's name is empty`],
      [
        ['--finding', 'slow \u202erotser'],
        'drctl: --finding "slow \\u202erotser": the finding holds a bidirectional control character (U+202E)',
      ],
      [['--sign-off', 'Eve\u2028Mallory, auditor'], "the sign-off's name holds a line separator (U+2028)"],
    ];
    for (const [args, message] of cases) {
      const result = drctl(['review', runId, ...args, '--state-dir', ws.stateDir], { cwd: ws.dir });
      expect(result.status, result.all).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr.split('\n')[0]).toContain(message);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
    expect(readFileSync(journalPath(ws.stateDir, runId), 'utf8')).toBe(journalBefore);
    expect(readFileSync(reportPath(ws.stateDir, runId), 'utf8')).toBe(reportBefore);
  });

  it('a run still running, or interrupted and not ended, is refused (exit 2) and its journal is left alone', async () => {
    const ws = workspace();
    ws.runbook(
      'long.yaml',
      `${header('long', 'Long')}steps:
  - id: long
    title: Long
    idempotent: true
    run: |
      echo $$ > long.pid
      i=0; while [ ! -f go.flag ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
`,
    );
    onTestFinished(() => {
      if (ws.exists('long.pid')) killGroup(Number(ws.read('long.pid').trim()));
    });
    const running = startDrctl(['run', 'long.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    await waitFor(() => ws.exists('long.pid') && ws.read('long.pid').trim() !== '', 'the long step to start', 30_000);
    const runId = onlyRunId(ws.stateDir);
    const refused = drctl(['review', runId, '--finding', 'too early', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(refused.status, refused.all).toBe(2);
    expect(refused.stderr.split('\n')[0]).toBe(`drctl: run ${runId} has not ended (still running): a run is reviewed once it ended`);
    // The run's own drctl goes on journaling; the review added nothing.
    expect(readJournal(ws.stateDir, runId).some((e) => e.type.startsWith('review.'))).toBe(false);

    running.child.kill('SIGINT');
    expect((await exitWithin(running, 30_000)).code).toBe(130);
    const interrupted = drctl(['review', runId, '--sign-off', 'Grace Hopper', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(interrupted.status, interrupted.all).toBe(2);
    expect(interrupted.stderr).toContain(`run ${runId} has not ended (interrupted, not ended)`);
    expect(interrupted.stderr).toContain(`drctl resume ${runId}`);
    expect(readJournal(ws.stateDir, runId).some((e) => e.type.startsWith('review.'))).toBe(false);
  });

  it('a sign-off of a journal older than the chain (no prev on any line) covers its last line, and drctl verify checks it', () => {
    const ws = workspace();
    const runId = finishedDrill(ws);
    const file = journalPath(ws.stateDir, runId);
    const old = readFileSync(file, 'utf8')
      .slice(0, -1)
      .split('\n')
      .map((line) => {
        const { prev: _prev, ...entry } = JSON.parse(line) as Record<string, unknown>;
        return JSON.stringify(entry);
      });
    writeFileSync(file, `${old.join('\n')}\n`);
    const signed = drctl(['review', runId, '--sign-off', 'Grace Hopper, auditor', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(signed.status, signed.all).toBe(0);
    const head = sha256(old.at(-1)!);
    expect(signed.stdout).toContain(`  signed off by Grace Hopper, auditor (${ME}), covering the journal up to ${head}\n`);
    expect(readReport(ws.stateDir, runId).sign_offs.map((s) => s.covers)).toEqual([head]);
    const verified = drctl(['verify', runId, '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(verified.status, verified.all).toBe(0);
    expect(verified.stdout).toContain(`  signed:      the sign-off on line ${old.length + 1} covers lines 1-${old.length}\n`);
  });

  it('several terminals reviewing and noting a run at once: report.json ends with every entry, and drctl verify passes', async () => {
    const ws = workspace();
    const runId = finishedDrill(ws);
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all([
        ...[1, 2, 3].map((n) =>
          drctlAsync(['review', runId, '--finding', `finding ${round}.${n}`, '--state-dir', ws.stateDir], { cwd: ws.dir }),
        ),
        drctlAsync(['review', runId, '--sign-off', `Signer ${round}, auditor`, '--state-dir', ws.stateDir], { cwd: ws.dir }),
        drctlAsync(['note', runId, `note ${round}`, '--state-dir', ws.stateDir], { cwd: ws.dir }),
      ]);
      for (const result of results) expect(result.status, result.all).toBe(0);
      const report = readReport(ws.stateDir, runId) as unknown as { findings: unknown[]; sign_offs: unknown[]; notes: unknown[] };
      expect(report.findings).toHaveLength(3 * (round + 1));
      expect(report.sign_offs).toHaveLength(round + 1);
      expect(report.notes).toHaveLength(round + 1);
      const verified = drctl(['verify', runId, '--state-dir', ws.stateDir], { cwd: ws.dir });
      expect(verified.status, verified.all).toBe(0);
    }
  }, 120_000);
});

const hasTmux = requireTool('tmux', 'the participants prompt is tested in a real terminal through tmux');

let session: TmuxSession | undefined;
afterEach(() => {
  session?.kill();
  session = undefined;
});

describe.skipIf(!hasTmux)('who takes part, asked at the start of an interactive drill', () => {
  it('asks one person at a time until an empty answer, refuses what cannot be journaled, then runs; the report lists them', async () => {
    const ws = workspace();
    ws.runbook('rb.yaml', RUNBOOK);
    session = new TmuxSession();
    session.start(
      `${drctlCommandLine(['run', 'rb.yaml', '--drill', '--state-dir', 'st'], { cwd: ws.dir })}; echo EXIT=$? > exitcode; sleep 600`,
    );
    const terminal = session;
    await terminal.waitForScreen('Who takes part in this drill?', 'the first participant question', 30_000);
    terminal.send(['Ada Lovelace, incident commander'], true);
    terminal.send(['Enter']);
    await terminal.waitForScreen('Participant 2', 'the second participant question');
    // A name with nothing after its comma is not taken: the prompt says why and asks again.
    terminal.send(['Bob,'], true);
    terminal.send(['Enter']);
    await terminal.waitForScreen("the participant's role (after the comma) is empty", 'the refusal');
    terminal.send(['BSpace']);
    terminal.send(['Enter']);
    await terminal.waitForScreen('Participant 3', 'the third participant question');
    terminal.send(['Enter']);
    const card = await terminal.waitForScreen('? Step 1/1: Restore', 'the step menu');
    expect(card).toContain('taking part: Ada Lovelace, incident commander');
    expect(card).toContain('taking part: Bob');
    terminal.send(['Enter']);
    const code = await waitFor(() => ws.exists('exitcode') && ws.read('exitcode').trim(), 'drctl to exit', 30_000);
    expect(code).toBe('EXIT=0');
    const runId = onlyRunId(ws.path('st'));
    const report = readReport(ws.path('st'), runId);
    expect(report.mode).toBe('drill');
    expect(report.participants.map((p) => [p.name, p.role, p.added_by])).toEqual([
      ['Ada Lovelace', 'incident commander', ME],
      ['Bob', null, ME],
    ]);
    // The questions about who takes part are not the run's decisions: the journal has none of them.
    expect(
      readJournal(ws.path('st'), runId)
        .filter((e) => e.type === 'prompt.answered')
        .map((e) => e.question),
    ).toEqual(['step.action']);
  });
});
