import { describe, expect, it } from 'vitest';
import type { JournalEntry, RunMode, RunStatus } from '../../src/journal/entries.js';
import { rebuildRun } from '../../src/journal/record.js';
import { buildReport } from '../../src/report/build.js';
import { validateText } from '../../src/runbook/validate.js';
import { formatInterval, parseDuration, parseInterval } from '../../src/util/duration.js';

const DAY = 86_400_000;

const runbookWith = (every: string): string => `apiVersion: drctl/v1
kind: Runbook
metadata: { name: demo, title: Demo }
objectives:
  rto: 1h
  drill_every: ${every}
steps:
  - id: one
    title: One
    run: "true"
`;

function journal(mode: RunMode, status: Exclude<RunStatus, 'interrupted'>, objectives: Record<string, unknown>): JournalEntry[] {
  return [
    {
      type: 'run.started',
      t: '2026-11-01T10:00:00.000Z',
      run_id: 'demo-20261101T100000Z-0001',
      runbook: 'demo',
      title: 'Demo',
      file: '/r/demo.yaml',
      digest: 'd',
      mode,
      incident_start: '2026-11-01T10:00:00.000Z',
      inputs: {},
      secret_inputs: [],
      objectives,
      options: { yes: true, accept_manual: false, start_at: null, reports: [], aws_profile: null, aws_region: null },
      steps: [{ id: 'one', title: 'One', budget_ms: null }],
      pid: 1,
    } as unknown as JournalEntry,
    { type: 'run.finished', t: '2026-11-01T10:05:00.000Z', status, exit_code: status === 'succeeded' ? 0 : 1 } as JournalEntry,
  ];
}

describe('objectives.drill_every', () => {
  it('takes days, and days only here', () => {
    expect(parseInterval('90d')).toBe(90 * DAY);
    expect(parseInterval('1d12h')).toBe(1.5 * DAY);
    expect(parseInterval('12h')).toBe(12 * 3_600_000);
    expect(parseInterval('90 days')).toBeUndefined();
    expect(parseDuration('90d')).toBeUndefined();
    expect(formatInterval(90 * DAY)).toBe('90d');
    expect(formatInterval(1.5 * DAY)).toBe('1d12h');
    expect(formatInterval(12 * 3_600_000)).toBe('12h');
  });

  it('validates with the line and column of the key, and a budget still refuses days', () => {
    expect(validateText('demo.yaml', runbookWith('90d'), 'd').runbook?.objectives.drillEveryMs).toBe(90 * DAY);
    const cases: Array<[string, string]> = [
      ['90 days', '6:16 "90 days" is not a drill interval: write it as 90d, 30d, 1d12h or 12h'],
      ['0d', '6:16 "0d" is no time at all: a drill interval must be longer than 0'],
      ['2000d', '6:16 "2000d" is longer than 1096d (about three years), the longest drill interval drctl takes'],
    ];
    for (const [every, message] of cases) {
      const { diagnostics, runbook } = validateText('demo.yaml', runbookWith(every), 'd');
      expect(runbook).toBeUndefined();
      expect(diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`)).toEqual([message]);
      expect(diagnostics[0]!.path).toBe('objectives.drill_every');
    }
    const budgetInDays = runbookWith('90d').replace('run: "true"', 'run: "true"\n    budget: 1d');
    expect(validateText('demo.yaml', budgetInDays, 'd').diagnostics.map((d) => d.path)).toEqual(['steps[0].budget']);
  });

  it('sets next_drill_due only from a drill that succeeded', () => {
    const every = { rto_ms: null, rpo_ms: null, drill_every_ms: 90 * DAY };
    const drill = buildReport(rebuildRun(journal('drill', 'succeeded', every)));
    expect(drill.drill_every_s).toBe(90 * 86_400);
    expect(drill.next_drill_due).toBe('2027-01-30T10:05:00.000Z');
    expect(buildReport(rebuildRun(journal('drill', 'failed', every))).next_drill_due).toBeNull();
    expect(buildReport(rebuildRun(journal('real', 'succeeded', every))).next_drill_due).toBeNull();
  });

  it('reads a journal of an earlier version, whose objectives have no drill_every_ms', () => {
    const report = buildReport(rebuildRun(journal('drill', 'succeeded', { rto_ms: 3_600_000, rpo_ms: null })));
    expect(report.drill_every_s).toBeNull();
    expect(report.next_drill_due).toBeNull();
    expect(report.rto?.target_s).toBe(3600);
  });

  it('takes a drill_every from a journal only within 1096 days: a damaged one sets no date instead of failing the report', () => {
    for (const drillEvery of [1e300, 1097 * DAY, Number.MAX_VALUE]) {
      const report = buildReport(rebuildRun(journal('drill', 'succeeded', { rto_ms: null, rpo_ms: null, drill_every_ms: drillEvery })));
      expect(report.drill_every_s).toBeNull();
      expect(report.next_drill_due).toBeNull();
    }
    const longest = buildReport(rebuildRun(journal('drill', 'succeeded', { rto_ms: null, rpo_ms: null, drill_every_ms: 1096 * DAY })));
    expect(longest.next_drill_due).toBe('2029-11-01T10:05:00.000Z');
  });
});
