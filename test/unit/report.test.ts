import { describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/report/build.js';
import { renderReport } from '../../src/report/render.js';

const report: RunReport = {
  run_id: 'database-loss-20261122T031500Z-4f2a',
  runbook: 'database-loss',
  title: 'Complete <database> loss',
  mode: 'drill',
  status: 'succeeded',
  incident_start: '2026-11-22T03:00:00.000Z',
  started_at: '2026-11-22T03:15:00.000Z',
  finished_at: '2026-11-22T04:10:00.000Z',
  elapsed_s: 4200,
  failed_step: null,
  outcome: 'recovered in 1h10m',
  rto: { target_s: 3600, elapsed_s: 4200, met: false, verdict: 'missed' },
  rpo: { target_s: 900, achieved_s: 412, met: true, evidence: 's3://bkt/postgres/backup_20261122_025308.sql.gz', verdict: 'met' },
  time: { running_s: 2710.2, waiting_for_operator_s: 420.3 },
  steps: [
    {
      id: 'find-backup',
      title: 'Find the backup',
      status: 'succeeded',
      attempts: 1,
      budget_s: 120,
      duration_s: 3.2,
      waiting_s: 0,
      over_budget: false,
      exit_code: 0,
      outputs: {},
      started_at: '2026-11-22T03:15:01.000Z',
      finished_at: '2026-11-22T03:15:04.200Z',
      confirmed_by: 'ops@bastion',
      attempt_log: [
        {
          attempt: 1,
          started_at: '2026-11-22T03:15:01.000Z',
          finished_at: '2026-11-22T03:15:04.200Z',
          duration_s: 3.2,
          exit_code: 0,
          error: null,
          error_tail: null,
          output_tail: 'backup_20261122_025308.sql.gz',
        },
      ],
    },
    {
      id: 'restore',
      title: 'Restore "it"',
      status: 'failed',
      attempts: 2,
      budget_s: 600,
      duration_s: 900,
      waiting_s: 0,
      over_budget: true,
      exit_code: 1,
      outputs: {},
      reason: 'exit code 1 & <oops>',
      started_at: '2026-11-22T03:20:00.000Z',
      finished_at: '2026-11-22T03:35:00.000Z',
      confirmed_by: 'ops@bastion',
      attempt_log: [],
    },
    {
      id: 'notify',
      title: 'Notify',
      status: 'not_run',
      attempts: 0,
      budget_s: null,
      duration_s: null,
      waiting_s: null,
      over_budget: false,
      exit_code: null,
      outputs: {},
      started_at: null,
      finished_at: null,
      confirmed_by: null,
      attempt_log: [],
    },
  ],
  exit_code: 3,
  notes: [],
  operators: [],
  incident_start_corrections: [],
  tool: { name: 'drctl', version: '0.1.0' },
  runbook_file: { path: '/dr/database-loss.yaml', digest: 'ab'.repeat(32), version: null },
  scope: { environment: null, severity: null, owner: null, tags: [] },
  participants: [],
  findings: [],
  remediation: [],
  sign_offs: [],
  cleanup: [],
  integrity: [],
  drill_every_s: null,
  decisions: [],
  interruptions: [],
  next_drill_due: null,
  journal: { entries: 9, head: 'a3f1'.repeat(16) },
};

describe('reports', () => {
  it('html: escapes what runbooks and commands wrote, and shows the verdicts first', () => {
    const html = renderReport(report, 'html');
    expect(html).toContain('<title>Complete &lt;database&gt; loss: database-loss-20261122T031500Z-4f2a</title>');
    expect(html).toContain('exit code 1 &amp; &lt;oops&gt;');
    expect(html).not.toContain('<oops>');
    expect(html).toContain('<h2>RTO 1h</h2><p>recovery took 1h10m since the incident start, <span class="bad">missed</span></p>');
    expect(html).toContain('<span class="ok">met</span>');
    expect(html.indexOf('RTO')).toBeLessThan(html.indexOf('<h2>Steps</h2>'));
  });

  it('junit: one test case per step, for the recovery and per objective; a missed RTO is a failure', () => {
    const xml = renderReport(report, 'junit');
    expect(xml.match(/<testcase /g)).toHaveLength(6);
    expect(xml).toContain('failures="2"');
    expect(xml).toContain(
      '<failure type="rto-missed" message="RTO 1h: recovery took 1h10m since the incident start, missed">RTO 1h: recovery took 1h10m since the incident start, missed</failure>',
    );
    expect(xml).toContain('<failure type="exit-code" message="exit code 1 &amp; &lt;oops&gt;">exit code 1 &amp; &lt;oops&gt;</failure>');
    expect(xml).toContain('<skipped message="not run"/>');
  });

  it('md, html and junit: a C1 control (CSI, which a terminal reads as ESC [) in output or a note reaches none of them raw', () => {
    const hostile: RunReport = {
      ...report,
      steps: report.steps.map((s) => (s.id === 'restore' ? { ...s, error_tail: 'pg_restore: \u009b2J\u009b31mcleared' } : s)),
      notes: [{ at: report.started_at, user: 'ops', host: 'bastion', text: 'next\u0085line \u0090 DCS' }],
    };
    for (const format of ['md', 'html', 'junit', 'junit-ant'] as const) {
      const text = renderReport(hostile, format);
      expect(text, format).not.toMatch(/[\u0080-\u009f]/);
      expect(text, format).toContain('pg_restore: \\u009b2J\\u009b31mcleared');
      expect(text, format).toContain('next\\u0085line \\u0090 DCS');
    }
  });

  it('md, html and junit: a bidirectional override in a title shows as \\u202e, so the step id and status after it read as written', () => {
    const hostile: RunReport = {
      ...report,
      title: 'Restore \u202eevil',
      steps: report.steps.map((s) =>
        s.id === 'restore' ? { ...s, title: 'Restore \u202edesrever \u2066isolate\u2069 \u202aembed\u202c' } : s,
      ),
    };
    for (const format of ['md', 'html', 'junit', 'junit-ant'] as const) {
      const text = renderReport(hostile, format);
      expect(text, format).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
      expect(text, format).toContain('Restore \\u202edesrever \\u2066isolate\\u2069 \\u202aembed\\u202c');
      expect(text, format).toContain('Restore \\u202eevil');
    }
  });

  it('json: C1 controls, bidirectional overrides and line separators are \\u escapes in the text, the same value parsed back', () => {
    const hostile: RunReport = {
      ...report,
      title: 'Restore \u202eevil\u2028next',
      steps: report.steps.map((s) => (s.id === 'restore' ? { ...s, error_tail: 'pg_restore: \u009b2J\u007f\u0085' } : s)),
    };
    const text = renderReport(hostile, 'json');
    expect(text).not.toMatch(/[\u007f-\u009f\u202a-\u202e\u2028\u2029]/);
    expect(text).toContain('"error_tail": "pg_restore: \\u009b2J\\u007f\\u0085"');
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(hostile)));
  });

  it('md: a table of steps with the over-budget flag', () => {
    const md = renderReport(report, 'md');
    expect(md).toContain('# Complete \\<database\\> loss — DR drill report');
    // The reason is escaped: `&` and `<` show as written, never as HTML.
    expect(md).toContain('| 2 | Restore "it" (`restore`) | failed: exit code 1 \\& \\<oops\\> | 2 | 10m | 15m | yes |');
  });
});
