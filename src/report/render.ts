import type { RunReport } from './build.js';

export const REPORT_FORMATS = ['json', 'md', 'junit'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export function renderReport(report: RunReport, format: ReportFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'md':
      return markdown(report);
    case 'junit':
      return junit(report);
  }
}

const fmt = (s: number | null): string => (s === null ? '-' : s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${s.toFixed(1)}s`);

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
    ...r.steps.map((s, i) => `| ${i + 1} | ${s.title} (\`${s.id}\`) | ${s.status}${s.reason ? `: ${s.reason.replaceAll('|', '\\|')}` : ''} | ${s.attempts} | ${fmt(s.budget_s)} | ${fmt(s.duration_s)} | ${s.over_budget ? 'yes' : ''} |`),
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
    const body = s.status === 'failed' ? `\n      <failure message="${xml(s.reason ?? 'failed')}"/>\n    ` : s.status === 'skipped' || s.status === 'not_run' ? `\n      <skipped message="${xml(s.reason ?? s.status)}"/>\n    ` : '';
    return `${head}${body}</testcase>`;
  });
  const objectives = [
    r.rto ? `    <testcase classname="${xml(r.runbook)}" name="RTO ${r.rto.target_s}s" time="${r.rto.elapsed_s}">${r.rto.met ? '' : `\n      <failure message="recovery took ${r.rto.elapsed_s}s, past the RTO of ${r.rto.target_s}s"/>\n    `}</testcase>` : '',
    r.rpo ? `    <testcase classname="${xml(r.runbook)}" name="RPO ${r.rpo.target_s}s" time="0">${r.rpo.met ? '' : `\n      <failure message="recovery point ${r.rpo.achieved_s}s old, past the RPO of ${r.rpo.target_s}s"/>\n    `}</testcase>` : '',
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
