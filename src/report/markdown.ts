import type { ReportChecklistItem, RunReport } from './build.js';
import { actualSeconds, verdictFacts } from './build.js';
import { controlPictures, correctionText, fmt, integrityLines, stepStatus } from './text.js';
import type { Mark } from './verdict.js';
import { rpoLabel, rpoText, rtoLabel, rtoText, statusWithOutcome } from './verdict.js';

/** The report as Markdown; control characters shown as their pictures. */
export function renderMarkdown(r: RunReport): string {
  return controlPictures(markdown(r));
}

const mdMark: Mark = (word, met) => (met ? word : `**${word}**`);

/** A fence longer than any run of backticks in the text, so command output cannot end the block. */
function fenced(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}\n${text}\n${fence}`;
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
