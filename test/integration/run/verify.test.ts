import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from './helpers.js';
import {
  drctl,
  drctlAsync,
  exitWithin,
  header,
  journalPath,
  onlyRunId,
  readReport,
  reportPath,
  requireBuild,
  startDrctl,
  waitFor,
  workspace,
} from './helpers.js';

/**
 * `drctl verify`: a real run's journal is a hash chain; an edit to it, or to report.json, after the
 * run is named by its line or field (exit 1); the untouched record verifies (exit 0).
 */

beforeAll(() => requireBuild());

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

const RUNBOOK = `${header('verified', 'Verified run')}objectives:
  rto: 30m
steps:
  - id: stop
    title: Stop writes
    run: echo stopped
  - id: restore
    title: Restore
    run: echo restored
  - id: check
    title: Check
    run: echo checked
`;

function finishedRun(ws: Workspace): { runId: string; journal: string; lines: string[] } {
  ws.runbook('rb.yaml', RUNBOOK);
  const run = drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
  expect(run.status, run.all).toBe(0);
  const runId = onlyRunId(ws.stateDir);
  const journal = journalPath(ws.stateDir, runId);
  return { runId, journal, lines: readFileSync(journal, 'utf8').slice(0, -1).split('\n') };
}

function verify(ws: Workspace, ...args: string[]) {
  return drctl(['verify', ...args, '--state-dir', ws.stateDir], { cwd: ws.dir });
}

const writeLines = (file: string, lines: readonly string[]): void => writeFileSync(file, `${lines.join('\n')}\n`);
/** The journal as a drctl before the hash chain wrote it: the same lines without `prev`. */
const writeWithoutChain = (file: string, lines: readonly string[]): void =>
  writeLines(
    file,
    lines.map((line) => {
      const { prev: _prev, ...entry } = JSON.parse(line) as { prev?: unknown };
      return JSON.stringify(entry);
    }),
  );

describe('drctl verify', () => {
  it('a finished run verifies: the chain intact, report.json matching, the head and entry count printed (exit 0)', () => {
    const ws = workspace();
    const { runId, journal, lines } = finishedRun(ws);
    const head = sha256(lines.at(-1)!);
    expect(readReport(ws.stateDir, runId)).toMatchObject({ journal: { entries: lines.length, head } });

    const result = verify(ws, runId);
    expect(result.status, result.all).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(
      [
        `run ${runId}: ${lines.length} journal entries, ${journal}`,
        `  chain:       intact, lines 1-${lines.length}`,
        `  head:        ${head}`,
        '  report.json: matches the journal',
        'verified: every line chains on the one before it, and report.json matches the journal; compare the head with the one signed or kept elsewhere',
        '',
      ].join('\n'),
    );
    const json = verify(ws, 'latest', '--json');
    expect(json.status, json.all).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      run_id: runId,
      ok: true,
      journal: { file: journal, entries: lines.length, head, chained_from: 1, torn_tail: false, broken: null, signed: [] },
      report: { file: reportPath(ws.stateDir, runId), status: 'matches' },
    });

    // A note after the end moves the head on, and report.json with it.
    expect(drctl(['note', runId, 'reviewed', '--state-dir', ws.stateDir], { cwd: ws.dir }).status).toBe(0);
    const noted = readFileSync(journal, 'utf8').slice(0, -1).split('\n');
    expect(readReport(ws.stateDir, runId).journal).toEqual({ entries: lines.length + 1, head: sha256(noted.at(-1)!) });
    expect(verify(ws, runId).status).toBe(0);
  });

  it('a line of the journal changed, removed or moved: the first broken line is named as journal:line:1 (exit 1)', () => {
    const ws = workspace();
    const { runId, journal, lines } = finishedRun(ws);
    const finished = lines.findIndex((l) => l.includes('"type":"step.finished"') && l.includes('"step":"restore"'));
    expect(finished).toBeGreaterThan(0);

    // The step's status changed by hand.
    const edited = [...lines];
    edited[finished] = edited[finished]!.replace('"status":"succeeded"', '"status":"skipped"');
    expect(edited[finished]).not.toBe(lines[finished]);
    writeLines(journal, edited);
    const changed = verify(ws, runId);
    expect(changed.status, changed.all).toBe(1);
    const n = finished + 1;
    expect(changed.stdout.split('\n')[0]).toBe(
      `${journal}:${n}:1: error: line ${n} was changed after it was written, or lines after it were removed: line ${n + 1} chains on a line that is not in the journal`,
    );
    expect(changed.stdout).toContain(`  chain:       broken at line ${n}\n`);
    expect(changed.stdout).toContain(
      'report.json does not match the journal at steps[1].status: "succeeded" in report.json, "skipped" from the journal',
    );
    expect(changed.stdout).toMatch(/\nNOT verified: the record was changed after it was written \(see above\)\n$/);

    // Two lines swapped.
    const swapped = [...lines];
    [swapped[2], swapped[3]] = [swapped[3]!, swapped[2]!];
    writeLines(journal, swapped);
    const moved = verify(ws, runId, '--json');
    expect(moved.status, moved.all).toBe(1);
    expect(JSON.parse(moved.stdout)).toMatchObject({
      ok: false,
      journal: { broken: { line: 3, message: 'line 3 is out of order: it chains on line 4, which comes after it (lines were moved)' } },
    });

    // A line that is no longer JSON: verify still names it (other commands refuse the journal).
    writeLines(journal, [...lines.slice(0, 4), lines[4]!.slice(0, 30), ...lines.slice(5)]);
    const cut = verify(ws, runId);
    expect(cut.status, cut.all).toBe(1);
    expect(cut.stdout.split('\n')[0]).toBe(
      `${journal}:5:1: error: line 5 is not a journal entry (not a JSON object): it was changed or cut`,
    );
    expect(cut.stdout).toContain('report.json: error: the journal cannot be rebuilt into a report:');

    // Put back, it verifies again.
    writeLines(journal, lines);
    expect(verify(ws, runId).status).toBe(0);
  });

  it('report.json edited after the run: the first differing field is named (exit 1), the chain still intact', () => {
    const ws = workspace();
    const { runId } = finishedRun(ws);
    const file = reportPath(ws.stateDir, runId);
    const original = readFileSync(file, 'utf8');
    const report = JSON.parse(original) as { rto: { elapsed_s: number }; steps: { duration_s: number }[] };
    report.rto.elapsed_s = 61;
    writeFileSync(file, JSON.stringify(report, null, 2));
    const result = verify(ws, runId);
    expect(result.status, result.all).toBe(1);
    expect(result.stdout.split('\n')[0]).toMatch(
      new RegExp(
        `^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: error: report.json does not match the journal at rto\\.elapsed_s: 61 in report\\.json, [0-9.]+ from the journal$`,
      ),
    );
    expect(result.stdout).toContain('  chain:       intact');
    expect(result.stdout).toContain('  report.json: differs from the journal at rto.elapsed_s\n');

    writeFileSync(file, 'not json');
    expect(verify(ws, runId).stdout.split('\n')[0]).toBe(`${file}: error: it is not JSON`);
    rmSync(file);
    const missing = verify(ws, runId);
    expect(missing.status).toBe(1);
    expect(missing.stdout.split('\n')[0]).toBe(
      `${file}: error: the run ended but it has no report.json (drctl report ${runId} writes it again)`,
    );
    expect(missing.stdout).toMatch(
      new RegExp(
        `\\nNOT verified: report\\.json cannot be compared with the journal \\(see above; drctl report ${runId} writes it again from the journal\\)\\n$`,
      ),
    );
    writeFileSync(file, original);
    expect(verify(ws, runId).status).toBe(0);
  });

  it('report.json edited to hold escape sequences or a huge value: verify names the field with them escaped and cut, never sent to the terminal', () => {
    const ws = workspace();
    const { runId } = finishedRun(ws);
    const file = reportPath(ws.stateDir, runId);
    const report = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...report, '\u001b]0;pwned\u0007\u001b[2J': 1 }));
    const key = verify(ws, runId);
    expect(key.status, key.all).toBe(1);
    expect(key.stdout.split('\n')[0]).toBe(
      `${file}: error: report.json does not match the journal at \\u001b]0;pwned\\u0007\\u001b[2J: 1 in report.json, (absent) from the journal`,
    );
    writeFileSync(file, JSON.stringify({ ...report, title: `${'x'.repeat(5000)}\u009b31m\u202e` }));
    const value = verify(ws, runId);
    expect(value.status, value.all).toBe(1);
    for (const line of value.stdout.split('\n')) expect(line.length).toBeLessThan(600);
    expect(value.stdout).toMatch(
      /^[^\n]*: error: report\.json does not match the journal at title: "x{190,}\.\.\. in report\.json, "Verified run" from the journal\n/,
    );
    // eslint-disable-next-line no-control-regex
    expect(key.stdout + value.stdout).not.toMatch(/[\u001b\u0007\u009b\u202e]/);
  });

  it('a journal written before the chain: said plainly, nothing to check (exit 0); what is appended later is chained', () => {
    const ws = workspace();
    const { runId, journal, lines } = finishedRun(ws);
    writeWithoutChain(journal, lines);
    rmSync(reportPath(ws.stateDir, runId));
    expect(drctl(['report', runId, '--state-dir', ws.stateDir], { cwd: ws.dir }).status).toBe(0);
    expect(readReport(ws.stateDir, runId).journal).toEqual({ entries: lines.length, head: null });
    const old = verify(ws, runId);
    expect(old.status, old.all).toBe(0);
    expect(old.stdout).toContain('  chain:       none: the journal predates the hash chain (drctl before it wrote no prev)\n');
    expect(old.stdout).toContain('  head:        (none: the journal predates the hash chain)\n');
    expect(old.stdout).toContain('this journal predates the hash chain, so its lines cannot be checked');

    expect(drctl(['note', runId, 'reviewed later', '--state-dir', ws.stateDir], { cwd: ws.dir }).status).toBe(0);
    const noted = verify(ws, runId);
    expect(noted.status, noted.all).toBe(0);
    expect(noted.stdout).toContain(
      `  chain:       intact from line ${lines.length + 1} to ${lines.length + 1}; lines 1-${lines.length} predate the hash chain\n`,
    );
    expect(noted.stdout).toMatch(
      new RegExp(`\\nverified: every line from line ${lines.length + 1} on chains on the one before it, and report\\.json matches`),
    );
  });

  it('a run of a drctl before the chain, journal and report.json as it wrote them: verifies (exit 0), the fields that report.json has compared', () => {
    const ws = workspace();
    const { runId, journal, lines } = finishedRun(ws);
    writeWithoutChain(journal, lines);
    // report.json as that drctl wrote it: without the fields added since.
    const file = reportPath(ws.stateDir, runId);
    const current = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown> & {
      steps: Record<string, unknown>[];
      operators: Record<string, unknown>[];
      rto: Record<string, unknown>;
    };
    const later = ['journal', 'tool', 'runbook_file', 'scope', 'participants', 'findings', 'remediation', 'sign_offs'];
    const old = Object.fromEntries(Object.entries(current).filter(([key]) => !later.includes(key)));
    old.steps = current.steps.map(({ started_at: _s, finished_at: _f, confirmed_by: _c, attempt_log: _a, ...step }) => step);
    old.operators = current.operators.map(({ version: _v, ...operator }) => operator);
    writeFileSync(file, JSON.stringify(old, null, 2));
    const result = verify(ws, runId);
    expect(result.status, result.all).toBe(0);
    expect(result.stdout).toContain(
      '  report.json: matches the journal in every field it has (written by a drctl before the hash chain, which wrote fewer)\n',
    );

    // What it has is still compared.
    writeFileSync(file, JSON.stringify({ ...old, rto: { ...current.rto, elapsed_s: 61 } }, null, 2));
    const edited = verify(ws, runId);
    expect(edited.status, edited.all).toBe(1);
    expect(edited.stdout).toContain('  report.json: differs from the journal at rto.elapsed_s\n');
  });

  it('a journal made to look older than the chain does not excuse a report.json that lacks its verdicts (exit 1)', () => {
    const ws = workspace();
    const { runId, journal, lines } = finishedRun(ws);
    // prev stripped from every line, and the fields that say how the run ended taken out of report.json.
    writeWithoutChain(journal, lines);
    const file = reportPath(ws.stateDir, runId);
    const {
      journal: _journal,
      status: _status,
      exit_code: _exit,
      ...rest
    } = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify(rest, null, 2));
    const result = verify(ws, runId);
    expect(result.status, result.all).toBe(1);
    expect(result.stdout).toMatch(/ {2}report\.json: differs from the journal at (status|exit_code)\n/);
  });

  it('a run of this drctl whose report.json lost its journal field and others: the first missing field is named (exit 1)', () => {
    const ws = workspace();
    const { runId } = finishedRun(ws);
    const file = reportPath(ws.stateDir, runId);
    const { journal: _journal, tool: _tool, ...rest } = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify(rest, null, 2));
    const result = verify(ws, runId);
    expect(result.status, result.all).toBe(1);
    expect(result.stdout).toContain('  report.json: differs from the journal at tool\n');
  });

  it('a run still going on: its chain is checked, its report.json not yet (exit 0)', async () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      `${header('waiting', 'Waiting run')}steps:\n  - id: wait\n    title: Wait\n    run: |\n      touch started\n      i=0; while [ ! -f go.flag ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done\n`,
    );
    const running = startDrctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    try {
      await waitFor(() => ws.exists('started'), 'the step to start', 30_000);
      const result = verify(ws, 'latest');
      expect(result.status, result.all).toBe(0);
      expect(result.stdout).toContain('  chain:       intact, lines 1-');
      expect(result.stdout).toContain('  report.json: not checked: the run has not ended (its report is written when it does)\n');
      expect(result.stdout).toMatch(
        /\nverified so far: every line chains on the one before it; report\.json is checked once the run ended; compare the head with one kept elsewhere\n$/,
      );
    } finally {
      ws.write('go.flag', '');
    }
    expect((await exitWithin(running, 60_000)).code).toBe(0);
    expect(verify(ws, 'latest').stdout).toContain('  report.json: matches the journal\n');
  });

  it('a journal or report.json that is not a regular file (a pipe, a symlink, a folder) is named, never read through or waited on', () => {
    const ws = workspace();
    const { runId, journal } = finishedRun(ws);
    const report = reportPath(ws.stateDir, runId);
    const kept = readFileSync(report, 'utf8');
    rmSync(report);
    execFileSync('mkfifo', [report]);
    const fifo = verify(ws, runId);
    expect(fifo.status, fifo.all).toBe(1);
    expect(fifo.stdout.split('\n')[0]).toBe(`${report}: error: it is not a regular file written by drctl`);
    rmSync(report);
    symlinkSync('/dev/zero', report);
    expect(verify(ws, runId).stdout.split('\n')[0]).toBe(`${report}: error: it is not a regular file written by drctl`);
    rmSync(report);
    writeFileSync(ws.path('elsewhere.json'), kept);
    symlinkSync(ws.path('elsewhere.json'), report);
    const linked = verify(ws, runId);
    expect(linked.status, linked.all).toBe(1);
    expect(linked.stdout).toContain('  report.json: cannot be checked\n');
    rmSync(report);
    mkdirSync(report);
    expect(verify(ws, runId).stdout.split('\n')[0]).toBe(`${report}: error: it is not a regular file written by drctl`);
    rmSync(report, { recursive: true });
    writeFileSync(report, kept);
    expect(verify(ws, runId).status).toBe(0);

    const lines = readFileSync(journal);
    rmSync(journal);
    execFileSync('mkfifo', [journal]);
    const piped = verify(ws, runId);
    expect(piped.status, piped.all).toBe(2);
    expect(piped.stderr.split('\n')[0]).toBe(`drctl: cannot read the journal of run ${runId}: ${journal} is not a regular file`);
    rmSync(journal);
    writeFileSync(ws.path('journal-copy.jsonl'), lines);
    symlinkSync(ws.path('journal-copy.jsonl'), journal);
    const symlinked = verify(ws, runId);
    expect(symlinked.status, symlinked.all).toBe(2);
    expect(symlinked.stderr.split('\n')[0]).toBe(`drctl: cannot read the journal of run ${runId}: ${journal} is not a regular file`);
  }, 60_000);

  it('a forged journal that cannot be rebuilt into a report: the broken line is still named (exit 1), no internal error', () => {
    const ws = workspace();
    const { runId, journal, lines } = finishedRun(ws);
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    delete first.objectives;
    delete first.steps;
    writeLines(journal, [JSON.stringify(first), ...lines.slice(1)]);
    const result = verify(ws, runId);
    expect(result.status, result.all).toBe(1);
    expect(result.stderr).toBe('');
    expect(result.stdout.split('\n')[0]).toMatch(new RegExp(`^${journal}:1:1: error: line 1 was changed after it was written`));
    expect(result.stdout).toContain(`${reportPath(ws.stateDir, runId)}: error: the journal cannot be rebuilt into a report: `);
  });

  it('a mistake is one line and exit 2', () => {
    const ws = workspace();
    const none = verify(ws);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/^drctl: no runs in .*\n {2}hint: see drctl runs\n$/);
    finishedRun(ws);
    const unknown = verify(ws, 'verified-20200101T000000Z-abcd');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^drctl: no run verified-20200101T000000Z-abcd in /);
    const path = verify(ws, '../../etc');
    expect(path.status).toBe(2);
    expect(path.stderr).toMatch(/^drctl: "\.\.\/\.\.\/etc" is not a run id\n/);
  });
});

describe('the chain under concurrent writers', () => {
  it('a run writing while drctl note appends from other processes, many times: every line chains on the one before it', async () => {
    const ws = workspace();
    const steps = Array.from({ length: 60 }, (_, i) => `  - id: s${i}\n    title: Step ${i}\n    run: echo ${i}\n`).join('');
    ws.runbook('rb.yaml', `${header('busy', 'Busy run')}steps:\n${steps}`);
    const running = startDrctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    let done = false;
    const exited = exitWithin(running, 120_000).finally(() => {
      done = true;
    });
    // Four terminals noting at once, over and over, until the run ends.
    let sent = 0;
    const terminal = async (): Promise<void> => {
      while (!done) {
        let runId: string;
        try {
          runId = onlyRunId(ws.stateDir);
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 20));
          continue;
        }
        const note = await drctlAsync(['note', runId, `note ${sent++}`, '--state-dir', ws.stateDir], { cwd: ws.dir });
        expect(note.status, note.all).toBe(0);
      }
    };
    await Promise.all([terminal(), terminal(), terminal(), terminal()]);
    const exit = await exited;
    expect(exit.code, running.stdout() + running.stderr()).toBe(0);

    const runId = onlyRunId(ws.stateDir);
    const lines = readFileSync(journalPath(ws.stateDir, runId), 'utf8').slice(0, -1).split('\n');
    const types = lines.map((l) => (JSON.parse(l) as { type: string }).type);
    const notes = types.filter((t) => t === 'note').length;
    // The notes landed among the run's own entries, not only after its end.
    expect(notes).toBeGreaterThan(8);
    expect(types.indexOf('note')).toBeLessThan(types.indexOf('run.finished'));
    lines.forEach((line, i) =>
      expect((JSON.parse(line) as { prev: unknown }).prev, `line ${i + 1}`).toBe(i === 0 ? null : sha256(lines[i - 1]!)),
    );
    const result = verify(ws, runId);
    expect(result.stdout, result.all).toContain(`  chain:       intact, lines 1-${lines.length}\n`);
  }, 180_000);

  it('notes appended while the run ends, up to the release of its lock: report.json holds every one, and verify agrees (exit 0)', async () => {
    const ws = workspace();
    // The first step waits until a note has landed, so notes come both before the run's end and after.
    const wait = `  - id: wait\n    title: Wait for a first note\n    run: for i in $(seq 600); do [ -f noted ] && exit 0; sleep 0.05; done; exit 1\n`;
    const steps = Array.from({ length: 12 }, (_, i) => `  - id: s${i}\n    title: Step ${i}\n    run: echo ${i}\n`).join('');
    ws.runbook('rb.yaml', `${header('ending', 'Ending run')}steps:\n${wait}${steps}`);
    // Many report files make the run's end (after its last read of the journal) last a while.
    const reports = Array.from({ length: 300 }, (_, i) => [
      '--report',
      `${i % 2 ? 'html' : 'md'}:out/r${i}.${i % 2 ? 'html' : 'md'}`,
    ]).flat();
    const running = startDrctl(['run', 'rb.yaml', '--yes', ...reports, '--state-dir', ws.stateDir], { cwd: ws.dir });
    let done = false;
    const exited = exitWithin(running, 120_000).finally(() => {
      done = true;
    });
    let sent = 0;
    const ended = (runId: string): boolean => {
      try {
        return readFileSync(journalPath(ws.stateDir, runId), 'utf8').includes('{"type":"run.finished"');
      } catch {
        return false;
      }
    };
    // Four terminals noting until the run has journaled its end, then once more each: those last
    // notes land while the run writes its reports, and none comes after it let go of its lock.
    const terminal = async (): Promise<void> => {
      while (!done) {
        let runId: string;
        try {
          runId = onlyRunId(ws.stateDir);
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 20));
          continue;
        }
        const last = ended(runId);
        const note = await drctlAsync(['note', runId, `note ${sent++}`, '--state-dir', ws.stateDir], { cwd: ws.dir });
        expect(note.status, note.all).toBe(0);
        ws.write('noted', '');
        if (last) return;
      }
    };
    await Promise.all([terminal(), terminal(), terminal(), terminal()]);
    const exit = await exited;
    expect(exit.code, running.stdout() + running.stderr()).toBe(0);

    const runId = onlyRunId(ws.stateDir);
    const entries = readFileSync(journalPath(ws.stateDir, runId), 'utf8')
      .slice(0, -1)
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; text?: string });
    const journaled = entries.filter((e) => e.type === 'note').map((e) => e.text);
    expect(entries.findIndex((e) => e.type === 'note')).toBeLessThan(entries.findIndex((e) => e.type === 'run.finished'));
    expect(entries.at(-1)!.type).toBe('note');
    expect(readReport(ws.stateDir, runId).notes.map((n) => n.text)).toEqual(journaled);
    const result = verify(ws, runId);
    expect(result.status, result.all).toBe(0);
  }, 180_000);
});
