import { formatDuration } from '../util/duration.js';
import type { ReportChecklistItem, ReportStep, RunReport } from './build.js';
import { actualSeconds, verdictFacts } from './build.js';
import type { Mark, VerdictFacts } from './verdict.js';
import { outcomeText, recovered, rpoLabel, rpoText, rtoLabel, rtoText, statusWithOutcome } from './verdict.js';

export const REPORT_FORMATS = ['json', 'md', 'junit', 'html'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export function renderReport(report: RunReport, format: ReportFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'md':
      return controlPictures(markdown(report));
    case 'junit':
      return junit(report);
    case 'html':
      return html(report);
  }
}

/** Seconds as the terminal shows durations; `-` for a time the run did not measure. */
const fmt = (s: number | null): string => (s === null ? '-' : formatDuration(s * 1000));

const mdMark: Mark = (word, met) => (met ? word : `**${word}**`);

/** A fence longer than any run of backticks in the text, so command output cannot end the block. */
function fenced(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}\n${text}\n${fence}`;
}

/** " (corrected from X by user@host at T: why)": how the incident start came to be what it is; empty when never corrected. */
function correctionText(r: RunReport): string {
  return r.incident_start_corrections
    .map((c) => ` (corrected from ${c.from} by ${c.user}@${c.host} at ${c.at}${c.reason ? `: ${c.reason}` : ''})`)
    .join('');
}

/** Each piece of integrity evidence in one line: what was fingerprinted, and whether it matched what it was compared with. */
export function integrityLines(r: RunReport): Array<{ step: string; text: string; ok: boolean | null }> {
  const count = (n: number | null, word: string): string => (n === null ? `? ${word}s` : `${n} ${word}${n === 1 ? '' : 's'}`);
  return (r.integrity ?? []).map((i) => {
    const db = i.database ?? 'the database';
    const what = `${count(i.tables, 'table')}, ${count(i.rows, 'row')}`;
    const text =
      i.ok === null
        ? `fingerprint of ${db} taken: ${what}`
        : i.ok
          ? `${db} matches ${i.compared_with ?? 'the expected fingerprint'}: ${what}`
          : `${db} differs from ${i.compared_with ?? 'the expected fingerprint'}: ${i.differences.join('; ')}`;
    return { step: i.step, text, ok: i.ok };
  });
}

/** A step's status as the reports say it: a failure the run went on past is marked so. */
function stepStatus(s: ReportStep): string {
  const status = s.continued ? 'failed, allowed' : s.status;
  return s.runs !== undefined ? `${status}, runs: ${s.runs}` : status;
}

function markdown(r: RunReport): string {
  const facts = verdictFacts(r);
  const tails = r.steps.filter((s) => s.error_tail);
  const lines = [
    `# ${r.title} — ${r.mode === 'drill' ? 'DR drill' : r.mode === 'real' ? 'recovery' : r.mode} report`,
    '',
    `| | |`,
    `| --- | --- |`,
    `| Run | \`${r.run_id}\` (${r.runbook}) |`,
    `| Status | ${statusWithOutcome(facts, r.status, ': ')} |`,
    `| Incident start | ${r.incident_start}${correctionText(r).replaceAll('|', '\\|')} |`,
    `| Started / finished | ${r.started_at} / ${r.finished_at ?? '-'} |`,
    `| ${rtoLabel(facts)} | ${rtoText(facts, mdMark).replaceAll('|', '\\|')} |`,
    `| ${rpoLabel(facts)} | ${rpoText(facts, mdMark).replaceAll('|', '\\|')} |`,
    `| Time running / waiting for the operator | ${fmt(r.time.running_s)} / ${fmt(r.time.waiting_for_operator_s)} |`,
    ...integrityRow(r),
    '',
    '## Steps',
    '',
    '| # | step | status | attempts | budget | actual | over budget |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...r.steps.map(
      (s, i) =>
        `| ${i + 1} | ${s.title} (\`${s.id}\`) | ${stepStatus(s)}${s.reason ? `: ${s.reason.replaceAll('|', '\\|')}` : ''} | ${s.attempts} | ${fmt(s.budget_s)} | ${fmt(actualSeconds(s))} | ${s.over_budget ? 'yes' : ''} |`,
    ),
    ...(tails.length ? ['', '## Error output', ''] : []),
    ...tails.flatMap((s) => [`Last lines of \`${s.id}\`'s error output:`, '', fenced(s.error_tail!), '']),
    ...checklistsMarkdown(r),
    ...notesMarkdown(r),
  ];
  return `${lines.join('\n').trimEnd()}\n`;
}

/** The Integrity row of the summary table, one line per fingerprint; none when the run took no fingerprint. */
function integrityRow(r: RunReport): string[] {
  const lines = integrityLines(r);
  if (lines.length === 0) return [];
  const escape = (text: string): string => text.replace(/[\\`*_[\]<>#|]/g, (c) => `\\${c}`);
  const cell = lines.map((l) => `\`${l.step}\`: ${l.ok === false ? `**${escape(l.text)}**` : escape(l.text)}`).join('<br>');
  return [`| Integrity | ${cell} |`];
}

const CHECKBOX: Record<ReportChecklistItem['answer'], string> = { done: '[x]', acknowledged: '[x]', skipped: '[ ]', aborted: '[ ]' };

/** Each manual step's checklist as the operator answered it: the item, the answer, when and by whom. */
function checklistsMarkdown(r: RunReport): string[] {
  const steps = r.steps.filter((s) => s.checklist?.length);
  if (steps.length === 0) return [];
  const escape = (text: string): string => text.replace(/[\\`*_[\]<>#|]/g, (c) => `\\${c}`);
  return [
    '',
    '## Checklists',
    ...steps.flatMap((s) => [
      '',
      `\`${s.id}\`:`,
      '',
      ...s.checklist!.map((i) => `- ${CHECKBOX[i.answer]} ${escape(i.text)} (${i.answer}, ${i.at}${i.by ? `, ${escape(i.by)}` : ''})`),
    ]),
  ];
}

function checklistHtml(s: ReportStep): string {
  if (!s.checklist?.length) return '';
  const items = s.checklist.map(
    (i) => `<li class="${i.answer}">${xml(i.text)} <small>(${i.answer}, ${xml(i.at)}${i.by ? `, ${xml(i.by)}` : ''})</small></li>`,
  );
  return `<ul class="checklist">${items.join('')}</ul>`;
}

/** Operators' notes as a list: who, from where, when, and the text on its own lines. */
function notesMarkdown(r: RunReport): string[] {
  if (r.notes.length === 0) return [];
  const escape = (text: string): string => text.replace(/[\\`*_[\]<>#|]/g, (c) => `\\${c}`);
  return [
    '',
    '## Notes',
    '',
    ...r.notes.map((n) => `- ${n.at}, ${escape(n.user)}@${escape(n.host)}: ${escape(n.text).replace(/\r?\n/g, '<br>')}`),
  ];
}

function notesHtml(r: RunReport): string {
  if (r.notes.length === 0) return '';
  const items = r.notes.map((n) => `<li>${xml(n.at)}, ${xml(n.user)}@${xml(n.host)}: <span class="note">${xml(n.text)}</span></li>`);
  return `\n<h2>Notes</h2>\n<ul>\n${items.join('\n')}\n</ul>`;
}

function integrityHtml(r: RunReport): string {
  const lines = integrityLines(r);
  if (lines.length === 0) return '';
  const cell = lines
    .map(
      (l) => `<code>${xml(l.step)}</code>: ${l.ok === null ? xml(l.text) : `<span class="${l.ok ? 'ok' : 'bad'}">${xml(l.text)}</span>`}`,
    )
    .join('<br>');
  return `\n<tr><th>Integrity</th><td>${cell}</td></tr>`;
}

function xml(text: string): string {
  return controlPictures(text).replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/**
 * A command's error output and a note may hold control characters (ESC of an escape sequence, BEL):
 * the md, html and JUnit reports show them as their Unicode pictures (␛, ␇), so `drctl report` never
 * drives the terminal and the XML stays XML 1.0 (which has no place for them). Tab, line feed and
 * carriage return stay; JSON keeps the raw text, escaped.
 */
function controlPictures(text: string): string {
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, (c) =>
    String.fromCharCode(0x2400 + (c === '\u007f' ? 0x21 : c.charCodeAt(0))),
  );
}

/**
 * One test case per step, one for the recovery itself and one per objective. A step allowed to
 * fail (on_failure: continue) passes, with its failure in <system-out>; a run that recovered
 * nothing fails the recovery case, and its objectives are skipped: there is no verdict to give.
 */
function junit(r: RunReport): string {
  const facts = verdictFacts(r);
  const didRecover = recovered(r.status);
  const failed = (s: ReportStep): boolean => s.status === 'failed' && !s.continued;
  const failureBody = (s: ReportStep): string => (s.error_tail ? `${xml(s.error_tail)}` : '');
  const cases = r.steps.map((s) => {
    const head = `    <testcase classname="${xml(r.runbook)}" name="${xml(`${s.id}: ${s.title}`)}" time="${actualSeconds(s) ?? 0}">`;
    const body = failed(s)
      ? `\n      <failure message="${xml(s.reason ?? 'failed')}">${failureBody(s)}</failure>\n    `
      : s.continued
        ? `\n      <system-out>${xml(`failed, allowed to fail: the run went on. ${s.reason ?? ''}${s.error_tail ? `\n${s.error_tail}` : ''}`)}</system-out>\n    `
        : s.status === 'skipped' || s.status === 'not_run'
          ? `\n      <skipped message="${xml(s.reason ?? s.status)}"/>\n    `
          : '';
    return `${head}${body}</testcase>`;
  });
  const objective = (name: string, time: number, text: string, met: boolean): string =>
    `    <testcase classname="${xml(r.runbook)}" name="${xml(name)}" time="${time}">${
      !didRecover
        ? `\n      <skipped message="${xml(text)}"/>\n    `
        : met
          ? `\n      <system-out>${xml(text)}</system-out>\n    `
          : `\n      <failure message="${xml(text)}"/>\n    `
    }</testcase>`;
  const recovery = `    <testcase classname="${xml(r.runbook)}" name="recovery" time="${r.elapsed_s}">${
    didRecover
      ? `\n      <system-out>${xml(outcomeText(facts))}</system-out>\n    `
      : `\n      <failure message="${xml(outcomeText(facts))}"/>\n    `
  }</testcase>`;
  const objectives = [
    recovery,
    r.rto ? objective(rtoLabel(facts), r.rto.elapsed_s, `${rtoLabel(facts)}: ${rtoText(facts)}`, r.rto.met) : '',
    r.rpo ? objective(rpoLabel(facts), 0, `${rpoLabel(facts)}: ${rpoText(facts)}`, r.rpo.met) : '',
  ].filter(Boolean);
  const failures = r.steps.filter(failed).length;
  const skipped =
    r.steps.filter((s) => s.status === 'skipped' || s.status === 'not_run').length + (didRecover ? 0 : (r.rto ? 1 : 0) + (r.rpo ? 1 : 0));
  const missed = didRecover ? (r.rto && !r.rto.met ? 1 : 0) + (r.rpo && !r.rpo.met ? 1 : 0) : 1;
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
  const facts = verdictFacts(r);
  const htmlMark: Mark = (word, met) => `<span class="${met ? 'ok' : 'bad'}">${word}</span>`;
  const rows = r.steps
    .map(
      (s, i) =>
        `<tr class="${xml(s.status)}"><td>${i + 1}</td><td>${xml(s.title)}<br><code>${xml(s.id)}</code></td><td>${xml(stepStatus(s))}${s.reason ? `<br><small>${xml(s.reason)}</small>` : ''}${s.error_tail ? `<pre>${xml(s.error_tail)}</pre>` : ''}${checklistHtml(s)}</td><td>${s.attempts}</td><td>${fmt(s.budget_s)}</td><td>${fmt(actualSeconds(s))}</td><td>${s.over_budget ? '<span class="bad">over</span>' : ''}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${xml(r.title)}: ${xml(r.run_id)}</title>
<style>body{font:14px/1.5 system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}.ok{color:#137333;font-weight:600}.bad{color:#b3261e;font-weight:600}tr.failed td{background:#fdecea}tr.skipped td,tr.not_run td{color:#777}code{font-size:12px}</style></head>
<body><h1>${xml(r.title)}</h1>
<p>${r.mode === 'drill' ? 'DR drill' : r.mode === 'real' ? 'Recovery' : xml(r.mode)} <code>${xml(r.run_id)}</code> of runbook <code>${xml(r.runbook)}</code>: ${statusHtml(facts, r.status)}</p>
<table><tbody>
<tr><th>Incident start</th><td>${xml(r.incident_start)}${xml(correctionText(r))}</td></tr>
<tr><th>Started / finished</th><td>${xml(r.started_at)} / ${xml(r.finished_at ?? '-')}</td></tr>
<tr><th>${xml(rtoLabel(facts))}</th><td>${rtoText(facts, htmlMark)}</td></tr>
<tr><th>${xml(rpoLabel(facts))}</th><td>${rpoText({ ...facts, rpo: facts.rpo && { ...facts.rpo, evidence: xml(facts.rpo.evidence) } }, htmlMark)}</td></tr>
<tr><th>Running / waiting for the operator</th><td>${fmt(r.time.running_s)} / ${fmt(r.time.waiting_for_operator_s)}</td></tr>${integrityHtml(r)}
</tbody></table>
<h2>Steps</h2>
<table><thead><tr><th>#</th><th>step</th><th>status</th><th>attempts</th><th>budget</th><th>actual</th><th></th></tr></thead><tbody>
${rows}
</tbody></table>${notesHtml(r)}</body></html>
`;
}

/** The status in bold with its outcome, or the outcome alone where it only says the status again. */
function statusHtml(facts: VerdictFacts, status: string): string {
  const mark = '\u0000';
  const shown = statusWithOutcome(facts, mark);
  return shown.includes(mark)
    ? shown
        .split(mark)
        .map(xml)
        .join(`<strong>${xml(status)}</strong>`)
    : `<strong>${xml(shown)}</strong>`;
}
