import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from './helpers.js';
import { drctl, drctlCommandLine, header, readReport, requireBuild, runIds, TmuxSession, workspace } from './helpers.js';
import { requireTool } from '../../support/tools.js';

/**
 * `drctl history` and `drctl history --overdue` over a state dir of real drills of a small
 * runbook, and over crafted report.json sets; the step card's projection from past drills.
 */

beforeAll(() => requireBuild());

let session: TmuxSession | undefined;
afterEach(() => {
  session?.kill();
  session = undefined;
});

const QUICK = (name: string, every: string): string =>
  header(name, 'Quick drill', `objectives:\n  rto: 5m\n  drill_every: ${every}\n`) +
  `steps:
  - id: stop-app
    title: Stop the app
    run: sleep 0.05
    budget: 10s
  - id: restore
    title: Restore
    run: sleep 0.05
    budget: 1m
`;

function drill(ws: Workspace, runbook: string, mode: string[] = ['--drill']): ReturnType<typeof drctl> {
  const result = drctl(['run', runbook, ...mode, '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
  expect(result.status, result.all).toBe(0);
  return result;
}

interface CraftedStep {
  id: string;
  seconds: number;
}

/** A report.json as a run's end writes it, in a run folder of its own (no journal: the report is what history reads). */
function craftReport(ws: Workspace, runbook: string, day: number, steps: CraftedStep[], mode = 'drill', status = 'succeeded'): string {
  const started = new Date(Date.parse('2026-06-01T10:00:00Z') + day * 86_400_000);
  const stamp = started.toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
  const runId = `${runbook}-${stamp}-${String(1000 + Math.abs(day)).slice(-4)}`;
  const elapsed = steps.reduce((sum, s) => sum + s.seconds, 0);
  const report = {
    run_id: runId,
    runbook,
    title: 'Crafted',
    mode,
    status,
    incident_start: started.toISOString(),
    started_at: started.toISOString(),
    finished_at: new Date(started.getTime() + elapsed * 1000).toISOString(),
    elapsed_s: elapsed,
    failed_step: null,
    outcome: `recovered in ${elapsed}s`,
    rto: { target_s: 1800, elapsed_s: elapsed, met: elapsed <= 1800, verdict: elapsed <= 1800 ? 'met' : 'missed' },
    rpo: { target_s: 900, achieved_s: 300 + Math.abs(day), met: true, evidence: 's3://bkt/b.sql.gz', verdict: 'met' },
    time: { running_s: elapsed, waiting_for_operator_s: 0 },
    steps: steps.map((s) => ({
      id: s.id,
      title: s.id,
      status: 'succeeded',
      attempts: 1,
      budget_s: 120,
      duration_s: s.seconds,
      waiting_s: 0,
      over_budget: s.seconds > 120,
      exit_code: 0,
      outputs: {},
    })),
    exit_code: 0,
    notes: [],
    operators: [],
    incident_start_corrections: [],
    cleanup: [],
    integrity: [],
  };
  const dir = join(ws.stateDir, 'runs', runId);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  return runId;
}

describe('drctl history over real drills', () => {
  it('shows the RTO over time and each step against its budget; the sixth drill is projected from the five before', () => {
    const ws = workspace();
    const runbook = ws.runbook('quick.yaml', QUICK('quick', '30d'));
    for (let i = 0; i < 5; i++) drill(ws, runbook);

    // The newest by when it began: two drills may begin within one second, and the run ids' tags do not order them.
    const began = (runId: string): string =>
      (JSON.parse(readFileSync(join(ws.stateDir, 'runs', runId, 'journal.jsonl'), 'utf8').split('\n')[0]!) as { t: string }).t;
    const last = readReport(
      ws.stateDir,
      runIds(ws.stateDir)
        .sort((a, b) => began(a).localeCompare(began(b)))
        .at(-1)!,
    );
    expect(last.drill_every_s).toBe(30 * 86_400);
    expect(Date.parse(last.next_drill_due!)).toBe(Date.parse(last.finished_at!) + 30 * 86_400_000);

    const shown = drctl(['history', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(shown.status, shown.all).toBe(0);
    expect(shown.stdout).toContain('quick  Quick drill');
    expect(shown.stdout).toContain('5 runs (5 drills, 0 real)');
    expect(shown.stdout).toMatch(/RTO 5m: (\S+ ){5}\(oldest to newest\) · latest \S+ · best \S+ · worst \S+ · 5 of 5 met/);
    expect(shown.stdout).toMatch(/STEP\s+RUNS\s+BUDGET\s+MEDIAN\s+P90\s+SUGGESTED/);
    expect(shown.stdout).toMatch(/stop-app\s+5\s+10s\s+\S+\s+\S+\s+5s/);
    // Not a terminal: figures, no sparkline.
    expect(shown.stdout).not.toMatch(/[▁-█]/);

    const json = JSON.parse(drctl(['history', 'quick', '--json', '--state-dir', ws.stateDir], { cwd: ws.dir }).stdout) as {
      runbooks: Array<{ runs: unknown[]; steps: Array<{ id: string; runs: number; suggested_budget: string }>; next_drill_due: string }>;
    };
    expect(json.runbooks).toHaveLength(1);
    expect(json.runbooks[0]!.runs).toHaveLength(5);
    expect(json.runbooks[0]!.steps.map((s) => [s.id, s.runs, s.suggested_budget])).toEqual([
      ['stop-app', 5, '5s'],
      ['restore', 5, '5s'],
    ]);
    expect(json.runbooks[0]!.next_drill_due).toBe(last.next_drill_due);

    const sixth = drill(ws, runbook);
    expect(sixth.all).toMatch(/Step 1\/2: Stop the app {2}\[stop-app\] · budget 10s · \S+ projected from 5 drills/);
    expect(sixth.all).toMatch(/Step 2\/2: Restore {2}\[restore\] · budget 1m · \S+ projected from 5 drills/);

    const due = drctl(['history', '--overdue', '--dir', ws.dir, '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(due.status, due.all).toBe(0);
    expect(due.stdout).toBe('');
    expect(due.stderr).toContain('no runbook is overdue for a drill (1 runbook with drill_every');
  }, 120_000);

  it('a dry run does not count, and a real run counts apart from the drills', () => {
    const ws = workspace();
    const runbook = ws.runbook('quick.yaml', QUICK('quick', '30d'));
    drill(ws, runbook);
    drill(ws, runbook, ['--dry-run']);
    drill(ws, runbook, []);
    const json = JSON.parse(drctl(['history', '--json', '--state-dir', ws.stateDir], { cwd: ws.dir }).stdout) as {
      runbooks: Array<{ drills: number; real_runs: number }>;
    };
    expect(json.runbooks.map((r) => [r.drills, r.real_runs])).toEqual([[1, 1]]);
  }, 60_000);

  it('draws a sparkline in a terminal', async () => {
    if (!requireTool('tmux', 'the sparkline is drawn only on a terminal')) return;
    const ws = workspace();
    for (let day = 0; day < 8; day++) craftReport(ws, 'crafted', day, [{ id: 'restore', seconds: 60 + day * 10 }]);
    session = new TmuxSession();
    session.start(`${drctlCommandLine(['history', '--state-dir', ws.stateDir], { cwd: ws.dir, env: { NO_COLOR: undefined } })}; sleep 600`);
    const screen = await session.waitForScreen('SUGGESTED', 'the history table', 30_000);
    expect(screen).toContain('RTO 30m  ▁▂▃▄▅▆▇█  latest 2m10s · best 1m · worst 2m10s · 8 of 8 met');
    expect(screen).toContain('RPO 15m  ▁▂▃▄▅▆▇█  latest 5m07s');
  }, 60_000);
});

describe('drctl history over crafted reports', () => {
  it('flags a step that got slower than the median of its earlier drills, and skips a run it cannot read', () => {
    const ws = workspace();
    const times = [100, 110, 90, 105, 190];
    for (const [day, seconds] of times.entries()) {
      craftReport(ws, 'crafted', day, [
        { id: 'stop-app', seconds: 5 + (day % 2) },
        { id: 'restore', seconds },
      ]);
    }
    const newest = runIds(ws.stateDir).sort().at(-1)!;
    // A run folder whose report is damaged and has no journal to rebuild it from.
    mkdirSync(join(ws.stateDir, 'runs', 'crafted-20260620T100000Z-beef'), { recursive: true });
    writeFileSync(join(ws.stateDir, 'runs', 'crafted-20260620T100000Z-beef', 'report.json'), '{"run_id": ');

    const shown = drctl(['history', 'crafted', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(shown.status, shown.all).toBe(0);
    expect(shown.stdout).toContain(`! restore regressed: 3m10s in ${newest}, against a median of 1m43s over the 4 runs before`);
    expect(shown.stdout).not.toContain('stop-app regressed');
    // The p90 of five times is the slowest, 3m10s, past the 2m budget; the suggestion rounds it up to 3m30s.
    expect(shown.stdout).toMatch(/restore\s+5\s+2m\s+1m45s\s+3m10s\s+3m30s/);
    expect(shown.stderr).toContain('drctl: skipped crafted-20260620T100000Z-beef: neither its report.json nor its journal is readable');

    const json = JSON.parse(drctl(['history', '--json', '--state-dir', ws.stateDir], { cwd: ws.dir }).stdout) as {
      runbooks: Array<{ steps: Array<{ id: string; regression: unknown }> }>;
      skipped: string[];
    };
    expect(json.runbooks[0]!.steps.find((s) => s.id === 'restore')!.regression).toEqual({
      run_id: newest,
      newest_s: 190,
      earlier_median_s: 102.5,
      earlier_runs: 4,
    });
    expect(json.skipped).toEqual(['crafted-20260620T100000Z-beef']);
  });

  it('reads a run from its journal when its report.json is damaged', () => {
    const ws = workspace();
    const runbook = ws.runbook('quick.yaml', QUICK('quick', '30d'));
    drill(ws, runbook);
    drill(ws, runbook);
    const [first] = runIds(ws.stateDir).sort();
    writeFileSync(join(ws.stateDir, 'runs', first!, 'report.json'), 'not json');
    const json = JSON.parse(drctl(['history', '--json', '--state-dir', ws.stateDir], { cwd: ws.dir }).stdout) as {
      runbooks: Array<{ runs: Array<{ run_id: string }> }>;
      skipped: string[];
    };
    // Oldest first by when each began (two drills may begin within one second, which the run id does not tell apart).
    const began = (runId: string): string =>
      (JSON.parse(readFileSync(join(ws.stateDir, 'runs', runId, 'journal.jsonl'), 'utf8').split('\n')[0]!) as { t: string }).t;
    expect(json.runbooks[0]!.runs.map((r) => r.run_id)).toEqual(runIds(ws.stateDir).sort((a, b) => began(a).localeCompare(began(b))));
    expect(json.skipped).toEqual([]);
  }, 60_000);

  it('skips a report.json whose times or figures are not ones a run could have, or that names another runbook', () => {
    const ws = workspace();
    for (const day of [0, 1, 2]) craftReport(ws, 'crafted', day, [{ id: 'restore', seconds: 60 }]);
    const hostile: Array<(r: Record<string, unknown> & { steps: Array<Record<string, unknown>> }) => void> = [
      (r) => (r.finished_at = 'not a time'),
      (r) => (r.started_at = 'yesterday'),
      (r) => (r.drill_every_s = 1e300),
      (r) => (r.drill_every_s = -5),
      (r) => (r.elapsed_s = 1e308),
      (r) => (r.steps[0]!.duration_s = -50),
      (r) => (r.steps[0]!.duration_s = 1e308),
      (r) => (r.steps[0]!.id = 'restore\u001b[2J'),
      (r) => (r.runbook = 'another'),
    ];
    const bad = hostile.map((edit, i) => {
      const runId = craftReport(ws, 'crafted', 10 + i, [{ id: 'restore', seconds: 60 }]);
      const file = join(ws.stateDir, 'runs', runId, 'report.json');
      const report = JSON.parse(readFileSync(file, 'utf8')) as Parameters<(typeof hostile)[number]>[0];
      report.drill_every_s = 7 * 86_400;
      edit(report);
      writeFileSync(file, JSON.stringify(report));
      return runId;
    });

    for (const args of [['history'], ['history', 'crafted'], ['history', '--json']]) {
      const shown = drctl([...args, '--state-dir', ws.stateDir], { cwd: ws.dir });
      expect(shown.status, shown.all).toBe(0);
      for (const runId of bad)
        expect(shown.stderr).toContain(`drctl: skipped ${runId}: neither its report.json nor its journal is readable`);
      expect(shown.stdout).not.toMatch(/Infinity|NaN|another/);
      expect(shown.stdout).not.toContain('\u001b');
    }
    const json = JSON.parse(drctl(['history', '--json', '--state-dir', ws.stateDir], { cwd: ws.dir }).stdout) as {
      runbooks: Array<{ runbook: string; runs: unknown[]; steps: Array<{ id: string; median_s: number }> }>;
    };
    expect(json.runbooks.map((h) => [h.runbook, h.runs.length])).toEqual([['crafted', 3]]);
    expect(json.runbooks[0]!.steps).toMatchObject([{ id: 'restore', median_s: 60 }]);

    ws.runbook('runbooks/crafted.yaml', QUICK('crafted', '30d'));
    const overdue = drctl(['history', '--overdue', '--json', '--dir', 'runbooks', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(overdue.status, overdue.all).toBe(3);
    expect((JSON.parse(overdue.stdout) as Array<{ last_successful_drill: { run_id: string } }>)[0]!.last_successful_drill.run_id).toBe(
      runIds(ws.stateDir).sort()[2],
    );
  }, 60_000);
});

describe('drctl history --overdue', () => {
  it('exits 3 naming each runbook whose last successful drill is older than drill_every, or that was never drilled', () => {
    const ws = workspace();
    ws.runbook('runbooks/fresh.yaml', QUICK('fresh', '30d'));
    ws.runbook('runbooks/stale.yaml', QUICK('stale', '30d'));
    ws.runbook('runbooks/never.yaml', QUICK('never', '7d'));
    ws.runbook('runbooks/unscheduled.yaml', header('unscheduled', 'No drill_every') + 'steps:\n  - id: a\n    title: A\n    run: "true"\n');
    drill(ws, ws.path('runbooks/fresh.yaml'));
    // show and list say how often each is to be drilled.
    expect(drctl(['show', 'runbooks/never.yaml'], { cwd: ws.dir }).stdout).toContain(
      'RTO 5m · RPO not set · step budgets 1m10s (23% of the RTO) · drill every 7d',
    );
    const list = drctl(['list', '--dir', 'runbooks'], { cwd: ws.dir }).stdout;
    expect(list).toMatch(/^NAME\s+TITLE\s+RTO\s+BUDGET\s+RPO\s+DRILL EVERY\s+STEPS\s+SOURCE$/m);
    expect(list).toMatch(/^never\s+Quick drill\s+5m\s+1m10s \(23%\)\s+-\s+7d\s+2\s+local$/m);
    expect(list).toMatch(/^unscheduled\s+No drill_every\s+-\s+0s\s+-\s+-\s+1\s+local$/m);
    // Drilled successfully long ago; a failed drill since does not count.
    const old = craftReport(ws, 'stale', -400, [{ id: 'restore', seconds: 10 }]);
    craftReport(ws, 'stale', -10, [{ id: 'restore', seconds: 10 }], 'drill', 'failed');

    const result = drctl(['history', '--overdue', '--dir', 'runbooks', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(3);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^RUNBOOK\s+DRILL EVERY\s+LAST SUCCESSFUL DRILL\s+DUE SINCE$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 3))).toEqual([
      ['never', '7d', 'never'],
      ['stale', '30d', readReportOf(ws, old).finished_at],
    ]);

    const json = JSON.parse(
      drctl(['history', '--overdue', '--json', '--dir', 'runbooks', '--state-dir', ws.stateDir], { cwd: ws.dir }).stdout,
    ) as Array<{
      runbook: string;
      overdue: boolean;
    }>;
    expect(json.map((d) => [d.runbook, d.overdue])).toEqual([
      ['fresh', false],
      ['never', true],
      ['stale', true],
    ]);

    const one = drctl(['history', 'fresh', '--overdue', '--dir', 'runbooks', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(one.status, one.all).toBe(0);
    const byFile = drctl(['history', 'runbooks/never.yaml', '--overdue', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(byFile.status, byFile.all).toBe(3);
    expect(byFile.stdout).toContain('never drilled');
  }, 60_000);

  it('a runbook without drill_every still shadows a later one of its name, and an invalid one that sets drill_every is named', () => {
    const ws = workspace();
    const plainSteps = 'steps:\n  - id: a\n    title: A\n    run: "true"\n';
    // 1-shadow.yaml comes first: valid, no drill_every; 2-shadow.yaml of the same name is never looked at.
    ws.runbook('runbooks/1-shadow.yaml', header('shadow', 'First of its name') + plainSteps);
    ws.runbook('runbooks/2-shadow.yaml', QUICK('shadow', '7d'));
    // 1-broken.yaml does not validate (no steps), so 2-broken.yaml of its name counts.
    ws.runbook('runbooks/1-broken.yaml', header('broken', 'No steps', 'objectives:\n  rto: 5m\n'));
    ws.runbook('runbooks/2-broken.yaml', QUICK('broken', '7d'));
    ws.runbook('runbooks/3-bad-every.yaml', QUICK('bad-every', '90 days'));
    ws.runbook('runbooks/4-plain.yaml', header('plain', 'No objectives') + plainSteps);

    const result = drctl(['history', '--overdue', '--json', '--dir', 'runbooks', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(result.status, result.all).toBe(3);
    expect((JSON.parse(result.stdout) as Array<{ runbook: string; file: string }>).map((d) => [d.runbook, d.file])).toEqual([
      ['broken', 'runbooks/2-broken.yaml'],
    ]);
    expect(result.stderr).toContain(
      'drctl: skipped runbooks/3-bad-every.yaml: not a valid runbook (drctl validate runbooks/3-bad-every.yaml)',
    );

    const shadowed = drctl(['history', 'shadow', '--overdue', '--dir', 'runbooks', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(shadowed.status, shadowed.all).toBe(0);
    expect(shadowed.stderr).toContain('shadow sets no drill_every');
    const plain = drctl(['history', 'plain', '--overdue', '--dir', 'runbooks', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(plain.status, plain.all).toBe(0);
    expect(plain.stderr).toContain('plain sets no drill_every');
  });

  it('a --dir that is not there is a mistake (exit 2), not a folder with nothing overdue', () => {
    const ws = workspace();
    const missing = drctl(['history', '--overdue', '--dir', 'no-such-folder', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(missing.status, missing.all).toBe(2);
    expect(missing.stderr).toMatch(/^drctl: --dir no-such-folder is not a folder of runbooks\n/);
    ws.runbook('a-file.yaml', QUICK('quick', '7d'));
    const file = drctl(['history', '--overdue', '--dir', 'a-file.yaml', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(file.status, file.all).toBe(2);
    const env = drctl(['history', '--overdue', '--state-dir', ws.stateDir], { cwd: ws.dir, env: { DRCTL_RUNBOOKS: 'gone' } });
    expect(env.status, env.all).toBe(2);
    expect(env.stderr).toMatch(/^drctl: \$DRCTL_RUNBOOKS gone is not a folder of runbooks\n/);
  });

  it('a runbook that is not there, or not a name, is one line and exit 2', () => {
    const ws = workspace();
    const missing = drctl(['history', 'nope', '--overdue', '--dir', ws.dir, '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^drctl: no runbook named "nope" in /);
    const bad = drctl(['history', 'Not A Name', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^drctl: "Not A Name" is not a runbook name/);
    expect(bad.all).not.toMatch(/^ {4}at /m);
  });
});

function readReportOf(ws: Workspace, runId: string): { finished_at: string } {
  expect(readdirSync(join(ws.stateDir, 'runs'))).toContain(runId);
  return readReport(ws.stateDir, runId) as { finished_at: string };
}
