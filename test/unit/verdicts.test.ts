import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { renderSummary } from '../../src/io/render-run.js';
import { runsRow } from '../../src/io/render-runs.js';
import type { JournalEntry, JournalEntryBody } from '../../src/journal/entries.js';
import { rebuildRun } from '../../src/journal/record.js';
import { summaryOf } from '../../src/lifecycle/reports.js';
import type { RunReport } from '../../src/report/build.js';
import { buildReport } from '../../src/report/build.js';
import { renderReport } from '../../src/report/render.js';

const plain = new Chalk({ level: 0 });
const INCIDENT = Date.parse('2026-11-22T03:00:00.000Z');
const at = (minutes: number): string => new Date(INCIDENT + minutes * 60_000).toISOString();

const STEPS = [
  { id: 'find-backup', title: 'Find the backup', budget_ms: 120_000 },
  { id: 'is-it-gone', title: 'Is the database really gone?', budget_ms: 60_000 },
  { id: 'check-backup', title: 'Check the backup', budget_ms: 60_000 },
  { id: 'restore', title: 'Restore the database', budget_ms: 600_000 },
];

function finished(
  step: string,
  number: number,
  status: 'succeeded' | 'failed' | 'rolled_back',
  extra: Partial<JournalEntryBody> = {},
): JournalEntryBody {
  return {
    type: 'step.finished',
    step,
    number,
    status,
    attempts: 1,
    exit_code: status === 'failed' ? 1 : 0,
    duration_ms: 2_000,
    waiting_ms: 0,
    over_budget: false,
    outputs: {},
    reason: null,
    redacted_outputs: [],
    budget_ms: STEPS[number - 1]!.budget_ms,
    ...extra,
  } as JournalEntryBody;
}

/** The start every run shares: the backup found (RPO evidence) and a check that was allowed to fail. */
const START: [number, JournalEntryBody][] = [
  [
    15,
    {
      type: 'run.started',
      run_id: 'database-loss-20261122T031500Z-4f2a',
      runbook: 'database-loss',
      title: 'Database loss',
      file: '/runbooks/database-loss.yaml',
      digest: 'x',
      mode: 'drill',
      incident_start: at(0),
      inputs: {},
      secret_inputs: [],
      objectives: { rto_ms: 3_600_000, rpo_ms: 900_000 },
      options: { yes: true, accept_manual: false, start_at: null, reports: [] },
      steps: STEPS,
      pid: 1,
    },
  ],
  [16, finished('find-backup', 1, 'succeeded', { recovery_point: { at: at(-7), evidence: 's3://bkt/backup_0253.sql.gz' } })],
  [
    17,
    finished('is-it-gone', 2, 'failed', {
      exit_code: 2,
      reason: 'exit code 2 (expected 0): database "app" exists (on_failure: continue)',
      error_tail: 'database "app" exists',
      then: 'continue',
    }),
  ],
];

const GZIP_FAILURE = finished('check-backup', 3, 'failed', {
  reason: 'exit code 1 (expected 0): gzip: /tmp/b.sql.gz: unexpected end of file',
  error_tail: 'gzip: /tmp/b.sql.gz: unexpected end of file',
});

const JOURNALS: Record<string, [number, JournalEntryBody][]> = {
  succeeded: [
    ...START,
    [18, finished('check-backup', 3, 'succeeded')],
    [20, finished('restore', 4, 'succeeded')],
    [20, { type: 'run.finished', status: 'succeeded', exit_code: 0 }],
  ],
  failed: [
    ...START,
    [18.5, { ...GZIP_FAILURE, then: 'fail' } as JournalEntryBody],
    [18.5, { type: 'run.finished', status: 'failed', exit_code: 1 }],
  ],
  rolled_back: [
    ...START,
    [18.5, { ...GZIP_FAILURE, then: 'rollback' } as JournalEntryBody],
    [18.5, { type: 'rollback.started', steps: [] }],
    [18.5, { type: 'rollback.finished', ok: true }],
    [19, { type: 'run.finished', status: 'rolled_back', exit_code: 1 }],
  ],
  aborted: [
    ...START,
    [19, { type: 'run.aborting', step: 'check-backup', reason: 'the operator aborted' }],
    [19, { type: 'run.finished', status: 'aborted', exit_code: 4 }],
  ],
  interrupted: [
    ...START,
    [19, { type: 'step.started', step: 'check-backup', number: 3, kind: 'run' }],
    [19, { type: 'run.interrupted', signal: 'SIGINT' }],
  ],
  running: [...START, [19, { type: 'step.started', step: 'check-backup', number: 3, kind: 'run' }]],
};

function reportOf(status: string): RunReport {
  const entries = JOURNALS[status]!.map(([minutes, body]) => ({ ...body, t: at(minutes) }) as JournalEntry);
  return buildReport(rebuildRun(entries));
}

/** Why there is no verdict, in brief. */
const WHY: Record<string, string> = {
  running: 'in progress',
  interrupted: 'interrupted',
  failed: 'not recovered',
  rolled_back: 'rolled back',
  aborted: 'aborted',
};

const OUTCOMES: Record<string, string> = {
  running: 'in progress',
  interrupted: 'interrupted',
  failed: 'not recovered (failed at check-backup after 18m30s)',
  rolled_back: 'rolled back',
  aborted: 'aborted',
};

describe('a run that did not recover gets no recovery time and no RTO or RPO verdict', () => {
  for (const [status, outcome] of Object.entries(OUTCOMES)) {
    describe(status, () => {
      const report = reportOf(status);
      const why = WHY[status]!;

      it('report.json keeps the shape of rto and rpo, met false, verdict "not recovered", and the outcome', () => {
        const json = JSON.parse(renderReport(report, 'json')) as RunReport;
        expect(json.status).toBe(status);
        expect(json.outcome).toBe(outcome);
        expect(json.rto).toMatchObject({ target_s: 3600, met: false, verdict: 'not recovered' });
        expect(typeof json.rto!.elapsed_s).toBe('number');
        expect(json.rpo).toMatchObject({
          target_s: 900,
          achieved_s: 420,
          met: false,
          verdict: 'not recovered',
          evidence: 's3://bkt/backup_0253.sql.gz',
        });
      });

      it('the terminal summary states the outcome, and no recovery time or MET/MISSED', () => {
        const text = renderSummary(summaryOf(report, 'report.json'), plain);
        // A run still going is shown, at its end, as interrupted (it can be resumed).
        const shown = status === 'running' ? 'interrupted' : outcome;
        // "Run …: aborted" alone where the outcome says no more than the status.
        expect(text).toContain(['aborted', 'interrupted', 'rolled back'].includes(shown) ? `: ${shown}\n` : `, ${shown}\n`);
        expect(text).toContain(`RTO 1h: no verdict (${status === 'running' ? 'interrupted' : WHY[status]})`);
        expect(text).toContain(`RPO 15m: no verdict (${status === 'running' ? 'interrupted' : WHY[status]})`);
        expect(text).not.toMatch(/recovery took|MET|MISSED/);
      });

      it('runs shows the outcome and no RTO or RPO verdict', () => {
        const row = runsRow(report);
        expect(row[4]).toBe(outcome);
        expect(row.slice(5)).toEqual(['-', '-']);
        if (status === 'running' || status === 'interrupted') expect(row[2]).toBe(`${status} (resumable)`);
      });

      it('md and html state the outcome, with no verdict', () => {
        const md = renderReport(report, 'md');
        const alone = outcome === status.replace('_', ' ');
        expect(md).toContain(alone ? `| Status | ${outcome} |` : `| Status | ${status}: ${outcome} |`);
        expect(md).toContain(`| RTO 1h | no verdict (${why}) |`);
        expect(md).toContain(`| RPO 15m | no verdict (${why}) |`);
        const html = renderReport(report, 'html');
        expect(html).toContain(alone ? `<strong>${outcome}</strong></p>` : `<strong>${status}</strong>, ${outcome}</p>`);
        expect(html).toContain(`<h2>RTO 1h</h2><p>no verdict (${why})</p>`);
        for (const text of [md, html]) expect(text).not.toMatch(/recovery took|\bmet\b|missed/);
      });

      it('junit fails the recovery case with the outcome and skips the objectives', () => {
        const xml = renderReport(report, 'junit');
        // A recovery that did not happen is a failure typed not-recovered, at 0 s: the steps hold the run's time.
        const said = outcome.replace(/[()]/g, '\\$&');
        expect(xml).toMatch(
          new RegExp(`name="recovery" time="0\\.000">\\s*<failure type="not-recovered" message="${said}">${said}</failure>`),
        );
        expect(xml).toContain(`<skipped message="RTO 1h: no verdict (${why})"/>`);
        expect(xml).toContain(`<skipped message="RPO 15m: no verdict (${why})"/>`);
        expect(xml).not.toMatch(/recovery took|past the RTO/);
      });
    });
  }
});

describe('a run that recovered', () => {
  const report = reportOf('succeeded');

  it('gets its RTO and RPO verdicts in the same words everywhere', () => {
    const json = JSON.parse(renderReport(report, 'json')) as RunReport;
    expect(json.outcome).toBe('recovered in 20m');
    expect(json.rto).toEqual({ target_s: 3600, elapsed_s: 1200, met: true, verdict: 'met' });
    expect(json.rpo).toMatchObject({ achieved_s: 420, met: true, verdict: 'met' });
    const rto = 'recovery took 20m since the incident start';
    const rpo = 'recovery point 7m before the incident (s3://bkt/backup_0253.sql.gz)';
    const summary = renderSummary(summaryOf(report, 'report.json'), plain);
    expect(summary).toContain('succeeded, recovered in 20m');
    expect(summary).toContain(`RTO 1h: ${rto}, MET`);
    expect(summary).toContain(`RPO 15m: ${rpo}, MET`);
    expect(runsRow(report).slice(4)).toEqual(['recovered in 20m', '20m of 1h, met', '7m of 15m, met']);
    expect(renderReport(report, 'md')).toContain(`| RTO 1h | ${rto}, met |`);
    expect(renderReport(report, 'html')).toContain(`<h2>RTO 1h</h2><p>${rto}, <span class="ok">met</span></p>`);
    const xml = renderReport(report, 'junit');
    expect(xml).toContain(`<system-out>RTO 1h: ${rto}, met</system-out>`);
    expect(xml).toMatch(/name="recovery" time="0\.000">\s*<system-out>recovered in 20m; 20m since the incident start/);
  });

  it("ends its summary with the run's integrity evidence, one line per fingerprint", () => {
    const manifest = 's3://bkt/shop-20261122T025300Z.sql.gz.manifest.json';
    const withEvidence: RunReport = {
      ...report,
      integrity: [
        { step: 'before', at: at(1), database: 'shop', compared_with: null, tables: 2, rows: 10, differences: [], ok: null },
        { step: 'check-integrity', at: at(2), database: 'shop', compared_with: manifest, tables: 2, rows: 10, differences: [], ok: true },
        {
          step: 'again',
          at: at(3),
          database: 'shop',
          compared_with: manifest,
          tables: 2,
          rows: 9,
          differences: ['public.orders: 8 rows, the manifest has 9'],
          ok: false,
        },
      ],
    };
    const lines = renderSummary(summaryOf(withEvidence, 'report.json'), plain).split('\n');
    const rpo = lines.findIndex((l) => l.startsWith('RPO 15m: '));
    expect(lines.slice(rpo + 1, rpo + 4)).toEqual([
      'Integrity (before): fingerprint of shop taken: 2 tables, 10 rows',
      `Integrity (check-integrity): shop matches ${manifest}: 2 tables, 10 rows`,
      `Integrity (again): shop differs from ${manifest}: public.orders: 8 rows, the manifest has 9`,
    ]);
    // A run without a fingerprint has no such line.
    expect(renderSummary(summaryOf(report, 'report.json'), plain)).not.toContain('Integrity');
  });

  it('a step allowed to fail passes in JUnit, its failure and error output in <system-out>; the suite stays green', () => {
    const xml = renderReport(report, 'junit');
    expect(xml).toMatch(
      /name="is-it-gone: Is the database really gone\?" time="2\.000">\s*<system-out>status: failed, allowed\n[\s\S]*failed, allowed to fail: the run went on: exit code 2 \(expected 0\): database &quot;app&quot; exists \(on_failure: continue\)\nerror output \(last lines\):\ndatabase &quot;app&quot; exists<\/system-out>\s*<\/testcase>/,
    );
    expect(xml).toContain('<testsuites name="drctl" time="8.000">');
    expect(xml).toMatch(/<testsuite [^>]* tests="7" failures="0" errors="0" skipped="0"/);
    expect(renderReport(report, 'md')).toContain('| 2 | Is the database really gone? (`is-it-gone`) | failed, allowed: exit code 2');
  });
});

describe('a failed step names its cause in every report', () => {
  const report = reportOf('failed');
  const tail = 'gzip: /tmp/b.sql.gz: unexpected end of file';

  it('json, md, html and junit carry the exit code and the error tail', () => {
    const step = report.steps.find((s) => s.id === 'check-backup')!;
    expect(step).toMatchObject({ status: 'failed', exit_code: 1, error_tail: tail });
    expect(step.reason).toMatch(/^exit code 1 \(expected 0\): gzip/);
    expect(JSON.parse(renderReport(report, 'json')).steps[2].error_tail).toBe(tail);
    const md = renderReport(report, 'md');
    expect(md).toContain('## Error output');
    expect(md).toContain(`Last lines of \`check-backup\`'s error output:\n\n\`\`\`\n${tail}\n\`\`\``);
    expect(renderReport(report, 'html')).toContain(`<pre>${tail}</pre>`);
    expect(renderReport(report, 'junit')).toContain(
      `<failure type="exit-code" message="exit code 1 (expected 0): ${tail}">${tail}</failure>`,
    );
  });

  it('a fence in the error output cannot close the Markdown block', () => {
    const md = renderReport({ ...report, steps: report.steps.map((s) => (s.error_tail ? { ...s, error_tail: '```\nrm -rf' } : s)) }, 'md');
    expect(md).toContain('````\n```\nrm -rf\n````');
  });
});
