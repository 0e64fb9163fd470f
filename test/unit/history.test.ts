import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { renderHistory, sparkline } from '../../src/io/render-history.js';
import { LiveClock } from '../../src/io/live-clock.js';
import { eventLine } from '../../src/io/render-run.js';
import type { ReportStep, RunReport } from '../../src/report/build.js';
import { buildHistory, drillDue, median, p90, readableBudget, regressionOf, stepExpectations } from '../../src/report/history.js';
import { pastStepTimes } from '../../src/report/history-runs.js';

const DAY = 86_400_000;
const plain = new Chalk({ level: 0 });

function step(id: string, seconds: number | null, extra: Partial<ReportStep> = {}): ReportStep {
  return {
    id,
    title: `Step ${id}`,
    status: seconds === null ? 'not_run' : 'succeeded',
    attempts: seconds === null ? 0 : 1,
    budget_s: 60,
    duration_s: seconds,
    waiting_s: seconds === null ? null : 0,
    over_budget: false,
    exit_code: seconds === null ? null : 0,
    outputs: {},
    ...extra,
  } as ReportStep;
}

let serial = 0;
/** A report of the runbook "db" that started `day` days after 2026-01-01, with these step times. */
function report(day: number, times: Record<string, number | null>, extra: Partial<RunReport> = {}): RunReport {
  const started = new Date(Date.parse('2026-01-01T10:00:00Z') + day * DAY);
  const stamp = started.toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
  const elapsed = Object.values(times).reduce<number>((sum, s) => sum + (s ?? 0), 0);
  return {
    run_id: `db-${stamp}-${(serial++).toString(16).padStart(4, '0')}`,
    runbook: 'db',
    title: 'Database',
    mode: 'drill',
    status: 'succeeded',
    incident_start: started.toISOString(),
    started_at: started.toISOString(),
    finished_at: new Date(started.getTime() + elapsed * 1000).toISOString(),
    elapsed_s: elapsed,
    failed_step: null,
    outcome: '',
    rto: { target_s: 600, elapsed_s: elapsed, met: elapsed <= 600, verdict: elapsed <= 600 ? 'met' : 'missed' },
    rpo: null,
    time: { running_s: elapsed, waiting_for_operator_s: 0 },
    steps: Object.entries(times).map(([id, s]) => step(id, s)),
    exit_code: 0,
    notes: [],
    operators: [],
    incident_start_corrections: [],
    cleanup: [],
    integrity: [],
    drill_every_s: 90 * 86_400,
    next_drill_due: null,
    ...extra,
  } as RunReport;
}

describe('median and p90', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([])).toBeNull();
    expect(median([30, 10, 20])).toBe(20);
    expect(median([40, 10, 30, 20])).toBe(25);
  });

  it('takes the p90 by nearest rank', () => {
    expect(p90([])).toBeNull();
    expect(p90([5])).toBe(5);
    expect(p90([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])).toBe(9);
    expect(p90([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100])).toBe(10);
  });
});

describe('suggested budgets', () => {
  it('round the p90 up to a figure one would write', () => {
    expect(readableBudget(0.2)).toBe(5);
    expect(readableBudget(41)).toBe(45);
    expect(readableBudget(61)).toBe(90);
    expect(readableBudget(599)).toBe(600);
    expect(readableBudget(601)).toBe(660);
    expect(readableBudget(3601)).toBe(3900);
    expect(readableBudget(7 * 3600 + 1)).toBe(7 * 3600 + 900);
  });

  it('come from the p90 of the step, and only with three times or more', () => {
    const two = buildHistory([report(0, { restore: 100 }), report(1, { restore: 130 })]);
    expect(two[0]!.steps[0]!.suggested_budget).toBeNull();
    const many = buildHistory([100, 110, 130, 95, 160].map((s, day) => report(day, { restore: s })));
    const restore = many[0]!.steps[0]!;
    expect(restore).toMatchObject({ runs: 5, median_s: 110, p90_s: 160, p90_over_budget: true, suggested_budget_s: 180 });
    expect(restore.suggested_budget).toBe('3m');
  });
});

describe('regressions', () => {
  const times = (...s: number[]) => s.map((v, i) => ({ run_id: `r${i}`, s: v }));

  it('flag a newest time 50% and 10s above the median of the earlier ones', () => {
    expect(regressionOf(times(100, 110, 90, 160))).toEqual({ run_id: 'r3', newest_s: 160, earlier_median_s: 100, earlier_runs: 3 });
  });

  it('need three earlier times', () => {
    expect(regressionOf(times(100, 90, 300))).toBeNull();
  });

  it('need the ratio and the margin both', () => {
    // 149s is not more than 1.5 times 100s.
    expect(regressionOf(times(100, 100, 100, 150))).toBeNull();
    // 10s to 16s is 60% slower but only 6s: noise.
    expect(regressionOf(times(10, 10, 10, 16))).toBeNull();
    expect(regressionOf(times(10, 10, 10, 20))).not.toBeNull();
  });

  it('are found per step from the reports, a failed step and a dry run not counting', () => {
    const reports = [
      report(0, { stop: 5, restore: 100 }),
      report(1, { stop: 6, restore: 110 }),
      report(2, { stop: 5, restore: 90 }),
      report(3, { stop: 5, restore: 900 }, { mode: 'dry-run' }),
      report(4, { stop: 6, restore: 100 }),
      report(5, { stop: 5, restore: 400 }, { status: 'interrupted' }),
      report(6, { stop: 5, restore: 170 }),
    ];
    reports[6]!.steps[0] = step('stop', 50, { status: 'failed' });
    const [history] = buildHistory(reports);
    expect(history!.runs.map((r) => r.mode)).toEqual(['drill', 'drill', 'drill', 'drill', 'drill']);
    const [stop, restore] = history!.steps;
    expect(stop!.regression).toBeNull();
    expect(stop!.runs).toBe(4);
    expect(restore!.regression).toMatchObject({ newest_s: 170, earlier_median_s: 100, earlier_runs: 4 });
    const text = renderHistory([history!], plain, false);
    expect(text).toContain(`! restore regressed: 2m50s in ${reports[6]!.run_id}, against a median of 1m40s over the 4 runs before`);
    expect(text).not.toContain('! stop');
  });
});

describe('RTO over time', () => {
  it('is shown as a sparkline on a terminal and as figures otherwise', () => {
    expect(sparkline([1, 2, 3, 4, 5, 6, 7, 8])).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([5, null, 5])).toBe('▄ ▄');
    const history = buildHistory([report(0, { a: 60 }), report(1, { a: 120 }, { status: 'failed' }), report(2, { a: 30 })]);
    const terminal = renderHistory(history, plain, true);
    expect(terminal).toContain('RTO 10m  █ ▁  latest 30s · best 30s · worst 1m · 2 of 2 met');
    const text = renderHistory(history, plain, false);
    expect(text).toContain('RTO 10m: 1m - 30s (oldest to newest) · latest 30s · best 30s · worst 1m · 2 of 2 met');
    expect(text).not.toMatch(/[▁-█]/);
  });
});

describe('titles from past reports', () => {
  it('cannot drive the terminal: escape sequences and bidi controls in a runbook title are taken out', () => {
    const hostile = report(0, { a: 60 }, { title: 'DB\u001b]0;pwned\u0007\u001b[2J\u202eevil' });
    const text = renderHistory(buildHistory([hostile]), plain, true);
    expect(text).toContain('db  DB');
    for (const control of ['\u001b', '\u0007', '\u202e']) expect(text).not.toContain(control);
  });
});

describe('overdue drills', () => {
  const runbook = { name: 'db', file: '/r/db.yaml', drillEveryMs: 30 * DAY };
  const now = new Date('2026-03-01T00:00:00Z');

  it('a runbook never drilled successfully is overdue', () => {
    expect(drillDue(runbook, undefined, now)).toMatchObject({ overdue: true, last_successful_drill: null, next_drill_due: null });
    const failed = buildHistory([report(55, { a: 10 }, { status: 'failed' })]);
    expect(drillDue(runbook, failed[0], now).overdue).toBe(true);
  });

  it('is due drill_every after the last successful drill; a real run does not count as a drill', () => {
    const history = buildHistory([report(0, { a: 10 }), report(40, { a: 10 }), report(58, { a: 10 }, { mode: 'real' })]);
    const due = drillDue(runbook, history[0], now);
    expect(due.last_successful_drill?.run_id).toBe(history[0]!.runs[1]!.run_id);
    expect(due.next_drill_due).toBe('2026-03-12T10:00:10.000Z');
    expect(due.overdue).toBe(false);
    expect(drillDue(runbook, history[0], new Date('2026-03-13T00:00:00Z')).overdue).toBe(true);
  });
});

describe('the live projection', () => {
  it('takes a step median from five past times on, and says whether they were all drills', () => {
    const four = [10, 20, 30, 40].map((s, day) => report(day, { a: s, b: 1 }));
    expect(stepExpectations(four).size).toBe(0);
    const six = [...four, report(4, { a: 50, b: 1 }), report(5, { a: 60, b: 1 }, { mode: 'real' })];
    expect(stepExpectations(six).get('a')).toEqual({ ms: 35_000, runs: 6, drillsOnly: false });
    expect(stepExpectations(six.slice(0, 5)).get('a')).toEqual({ ms: 30_000, runs: 5, drillsOnly: true });
  });

  it('read at the start of a run, takes the same medians from the newest runs as from all of them', () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'drctl-history-'));
    try {
      // 40 drills: a and b every time (b slower in the newest), c only in the oldest ten, d in every fourth.
      for (let day = 0; day < 40; day++) {
        const r = report(day, {
          a: 10 + (day % 7),
          b: day < 25 ? 20 : 60,
          ...(day < 10 ? { c: 5 + day } : {}),
          ...(day % 4 === 0 ? { d: day } : {}),
        });
        mkdirSync(join(stateDir, 'runs', r.run_id), { recursive: true });
        writeFileSync(join(stateDir, 'runs', r.run_id, 'report.json'), JSON.stringify(r));
      }
      const all = pastStepTimes(stateDir, 'db');
      const planned = pastStepTimes(stateDir, 'db', ['a', 'b', 'c', 'd', 'new']);
      for (const id of ['a', 'b', 'c', 'd', 'new']) expect(planned.get(id), id).toEqual(all.get(id));
      expect(planned.get('b')).toEqual({ ms: 60_000, runs: 20, drillsOnly: true });
      expect(planned.get('c')).toEqual({ ms: 9_500, runs: 10, drillsOnly: true });
      expect(planned.get('d')).toEqual({ ms: 18_000, runs: 10, drillsOnly: true });
      expect(planned.has('new')).toBe(false);
      expect(pastStepTimes(stateDir, 'db', ['a', 'b']).get('a')).toEqual(all.get('a'));
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});

describe('what the terminal shows', () => {
  it('colours each point of the sparkline by its verdict, and lists only the latest ten figures without a terminal', () => {
    const colour = new Chalk({ level: 1 });
    // 13 minutes is past the RTO of 10m.
    const history = buildHistory([
      report(0, { a: 60 }),
      report(1, { a: 780 }),
      ...[2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((d) => report(d, { a: 30 + d })),
    ]);
    const line = renderHistory(history, colour, true)
      .split('\n')
      .find((l) => l.includes('RTO 10m'))!;
    expect(line).toContain(colour.green('▁'));
    expect(line).toContain(colour.red('█'));
    const text = renderHistory(history, plain, false);
    expect(text).toContain(
      'RTO 10m: 32s 33s 34s 35s 36s 37s 38s 39s 40s 41s (oldest to newest) · latest 41s · best 32s · worst 13m · 11 of 12 met',
    );
  });

  it('counts one drill and one real run in the singular, and draws equal times and gaps without failing', () => {
    const history = buildHistory([report(0, { a: 60 }), report(1, { a: 60 }, { mode: 'real', status: 'failed' }), report(2, { a: 60 })]);
    expect(renderHistory(history, plain, false)).toContain('3 runs (2 drills, 1 real)');
    expect(renderHistory(buildHistory([report(0, { a: 60 })]), plain, false)).toContain('1 run (1 drill, 0 real)');
    expect(sparkline([60, null, 60])).toBe('▄ ▄');
    expect(sparkline([null, null])).toBe('  ');
  });

  it('the step card says how many past drills or runs its projection comes from', () => {
    const card = (drillsOnly: boolean) =>
      eventLine(
        {
          type: 'step.card',
          card: {
            number: 2,
            total: 3,
            id: 'restore',
            title: 'Restore',
            command: { kind: 'run', display: 'true' },
            budgetMs: 60_000,
            clock: { elapsedMs: 1000, rtoMs: 600_000, projectedMs: 43_000 },
            confirm: 'none',
            manual: false,
            history: { ms: 42_000, runs: 6, drillsOnly },
          },
        },
        plain,
      );
    expect(card(true)).toContain('Step 2/3: Restore  [restore] · budget 1m · 42s projected from 6 drills');
    expect(card(false)).toContain('[restore] · budget 1m · 42s projected from 6 past runs');
  });
});

describe('the live clock with a step projected from its history', () => {
  it('counts the step at work against its past median: running 10s past it moves the projected finish by 10s', () => {
    let now = 0;
    const clock = new LiveClock(() => now);
    const card = {
      number: 1,
      total: 2,
      id: 'restore',
      title: 'Restore',
      command: { kind: 'run' as const, display: 'true' },
      budgetMs: 60_000,
      // The executor's projection: this step's median (40s) and the next step's 100s.
      clock: { elapsedMs: 0, rtoMs: 600_000, projectedMs: 140_000 },
      confirm: 'none' as const,
      manual: false,
      history: { ms: 40_000, runs: 6, drillsOnly: true },
    };
    clock.onEvent({ type: 'step.card', card });
    clock.onEvent({ type: 'step.started', step: 'restore', number: 1, kind: 'run' });
    now = 30_000;
    expect(clock.clock()?.projectedMs).toBe(140_000);
    now = 50_000;
    expect(clock.clock()?.projectedMs).toBe(150_000);
  });
});
