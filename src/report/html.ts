import type { ReportStep, RunReport } from './build.js';
import { actualSeconds, verdictFacts } from './build.js';
import { correctionText, fmt, integrityLines, stepStatus, xml } from './text.js';
import type { Mark, VerdictFacts } from './verdict.js';
import { rpoLabel, rpoText, rtoLabel, rtoText, statusWithOutcome } from './verdict.js';

/** A self-contained page for auditors: the verdicts first, then the timeline of every step. */
export function renderHtml(r: RunReport): string {
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

function checklistHtml(s: ReportStep): string {
  if (!s.checklist?.length) return '';
  const items = s.checklist.map(
    (i) => `<li class="${i.answer}">${xml(i.text)} <small>(${i.answer}, ${xml(i.at)}${i.by ? `, ${xml(i.by)}` : ''})</small></li>`,
  );
  return `<ul class="checklist">${items.join('')}</ul>`;
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
