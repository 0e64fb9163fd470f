import { formatDuration } from '../util/duration.js';
import type { RunReport } from './build.js';

export const REPORT_FORMATS = ['json', 'md', 'junit', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export function renderReport(report: RunReport, format: ReportFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'md':
      return markdown(report);
    case 'junit':
      return junit(report);
    case 'html':
      return html(report);
  }
}

/** Seconds as the terminal shows durations; `-` for a time the run did not measure. */
const fmt = (s: number | null): string => (s === null ? '-' : formatDuration(s * 1000));

function verdict(met: boolean): string {
  return met ? 'met' : '**missed**';
}

function markdown(r: RunReport): string {
  const lines = [
    `# ${r.title} — ${r.mode === 'drill' ? 'DR drill' : r.mode === 'real' ? 'recovery' : r.mode} report`,
    '',
    `| | |`,
    `| --- | --- |`,
    `| Run | \`${r.run_id}\` (${r.runbook}) |`,
    `| Status | ${r.status} |`,
    `| Incident start | ${r.incident_start} |`,
    `| Started / finished | ${r.started_at} / ${r.finished_at ?? '-'} |`,
    `| RTO | ${r.rto ? `${fmt(r.rto.elapsed_s)} of ${fmt(r.rto.target_s)}: ${verdict(r.rto.met)}` : 'not set'} |`,
    `| RPO | ${r.rpo ? `${fmt(r.rpo.achieved_s)} of ${fmt(r.rpo.target_s)}: ${verdict(r.rpo.met)} (evidence: ${r.rpo.evidence})` : 'no evidence'} |`,
    `| Time running / waiting for the operator | ${fmt(r.time.running_s)} / ${fmt(r.time.waiting_for_operator_s)} |`,
    '',
    '## Steps',
    '',
    '| # | step | status | attempts | budget | actual | over budget |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...r.steps.map(
      (s, i) =>
        `| ${i + 1} | ${s.title} (\`${s.id}\`) | ${s.status}${s.reason ? `: ${s.reason.replaceAll('|', '\\|')}` : ''} | ${s.attempts} | ${fmt(s.budget_s)} | ${fmt(s.duration_s)} | ${s.over_budget ? 'yes' : ''} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

function xml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function junit(r: RunReport): string {
  const failures = r.steps.filter((s) => s.status === 'failed').length;
  const skipped = r.steps.filter((s) => s.status === 'skipped' || s.status === 'not_run').length;
  const cases = r.steps.map((s) => {
    const head = `    <testcase classname="${xml(r.runbook)}" name="${xml(`${s.id}: ${s.title}`)}" time="${s.duration_s ?? 0}">`;
    const body =
      s.status === 'failed'
        ? `\n      <failure message="${xml(s.reason ?? 'failed')}"/>\n    `
        : s.status === 'skipped' || s.status === 'not_run'
          ? `\n      <skipped message="${xml(s.reason ?? s.status)}"/>\n    `
          : '';
    return `${head}${body}</testcase>`;
  });
  const objectives = [
    r.rto
      ? `    <testcase classname="${xml(r.runbook)}" name="RTO ${r.rto.target_s}s" time="${r.rto.elapsed_s}">${r.rto.met ? '' : `\n      <failure message="recovery took ${r.rto.elapsed_s}s, past the RTO of ${r.rto.target_s}s"/>\n    `}</testcase>`
      : '',
    r.rpo
      ? `    <testcase classname="${xml(r.runbook)}" name="RPO ${r.rpo.target_s}s" time="0">${r.rpo.met ? '' : `\n      <failure message="recovery point ${r.rpo.achieved_s}s old, past the RPO of ${r.rpo.target_s}s"/>\n    `}</testcase>`
      : '',
  ].filter(Boolean);
  const missed = (r.rto && !r.rto.met ? 1 : 0) + (r.rpo && !r.rpo.met ? 1 : 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="drctl" tests="${cases.length + objectives.length}" failures="${failures + missed}">`,
    `  <testsuite name="${xml(r.run_id)}" tests="${cases.length + objectives.length}" failures="${failures + missed}" skipped="${skipped}" timestamp="${r.started_at}">`,
    ...cases,
    ...objectives,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/** A self-contained page for auditors: the verdicts first, then the timeline of every step. */
function html(r: RunReport): string {
  const verdict = (met: boolean): string => (met ? '<span class="ok">met</span>' : '<span class="bad">missed</span>');
  const rows = r.steps
    .map(
      (s, i) =>
        `<tr class="${xml(s.status)}"><td>${i + 1}</td><td>${xml(s.title)}<br><code>${xml(s.id)}</code></td><td>${xml(s.status)}${s.reason ? `<br><small>${xml(s.reason)}</small>` : ''}</td><td>${s.attempts}</td><td>${fmt(s.budget_s)}</td><td>${fmt(s.duration_s)}</td><td>${s.over_budget ? '<span class="bad">over</span>' : ''}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${xml(r.title)}: ${xml(r.run_id)}</title>
<style>body{font:14px/1.5 system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}.ok{color:#137333;font-weight:600}.bad{color:#b3261e;font-weight:600}tr.failed td{background:#fdecea}tr.skipped td,tr.not_run td{color:#777}code{font-size:12px}</style></head>
<body><h1>${xml(r.title)}</h1>
<p>${r.mode === 'drill' ? 'DR drill' : r.mode === 'real' ? 'Recovery' : xml(r.mode)} <code>${xml(r.run_id)}</code> of runbook <code>${xml(r.runbook)}</code>: <strong>${xml(r.status)}</strong></p>
<table><tbody>
<tr><th>Incident start</th><td>${xml(r.incident_start)}</td></tr>
<tr><th>Started / finished</th><td>${xml(r.started_at)} / ${xml(r.finished_at ?? '-')}</td></tr>
<tr><th>RTO</th><td>${r.rto ? `${fmt(r.rto.elapsed_s)} of ${fmt(r.rto.target_s)}: ${verdict(r.rto.met)}` : 'not set'}</td></tr>
<tr><th>RPO</th><td>${r.rpo ? `${fmt(r.rpo.achieved_s)} of ${fmt(r.rpo.target_s)}: ${verdict(r.rpo.met)}<br><small>evidence: ${xml(r.rpo.evidence)}</small>` : 'no evidence'}</td></tr>
<tr><th>Running / waiting for the operator</th><td>${fmt(r.time.running_s)} / ${fmt(r.time.waiting_for_operator_s)}</td></tr>
</tbody></table>
<h2>Steps</h2>
<table><thead><tr><th>#</th><th>step</th><th>status</th><th>attempts</th><th>budget</th><th>actual</th><th></th></tr></thead><tbody>
${rows}
</tbody></table></body></html>
`;
}
