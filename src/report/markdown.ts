import { formatInterval } from '../util/duration.js';
import type { ReportChecklistItem, ReportStep, RunReport } from './build.js';
import { actualSeconds, verdictFacts } from './build.js';
import { controlPictures, correctionText, fmt, integrityLines, stepStatus } from './text.js';
import type { Mark } from './verdict.js';
import { outcomeText, recovered, rpoLabel, rpoText, rtoLabel, rtoText, statusWithOutcome } from './verdict.js';

/**
 * The report as Markdown, laid out as a post-incident review: summary, timeline, decisions,
 * checklists, notes, findings, remediation, sign-off, the people, and the announcements filled with
 * the run's facts. Every piece of text from the runbook, the operators or a command is escaped, so
 * the document stays Markdown whatever it holds: a `|` cannot split a table cell, no HTML passes
 * through, and command output sits in fences longer than any backtick run it holds. Control
 * characters are shown as their pictures.
 */
export function renderMarkdown(r: RunReport): string {
  return controlPictures(markdown(r));
}

// ---------------------------------------------------------------------------------------------
// Escaping

/** Characters that mean something to Markdown (or HTML) wherever they stand in a line: each gets a backslash. */
const SPECIAL = /[\\`*_[\]<>#|~&!]/g;

/**
 * Text as inline Markdown that shows exactly that text: every character Markdown or HTML would
 * read (`|`, `<`, `&`, backticks, emphasis, brackets) escaped; what would start a block at the
 * start of a line (`- `, `+ `, `1. `, a line of `-` or `=`) escaped too; line breaks become `<br>` (or `newline`), so
 * the text stays on one line and a table cell stays one cell.
 */
export function mdText(text: string, newline = '<br>'): string {
  return text
    .replace(SPECIAL, (c) => `\\${c}`)
    .replace(/^([-+])(?=\s|$)/, '\\$1')
    .replace(/^([-=])(?=[-=\s]*$)/, '\\$1')
    .replace(/^(\d+)([.)])(?=\s|$)/, '$1\\$2')
    .replace(/\r\n|\r|\n/g, newline);
}

/**
 * A code span that shows `text` as it is: its fence one backtick longer than the longest run of
 * backticks it holds (padded with a space when it starts or ends with one), line breaks as spaces.
 * In a table cell (`cell`), `|` is escaped as GitHub's tables require (the backslash is not shown).
 */
export function mdCode(text: string, cell = false): string {
  const flat = text.replace(/\r\n|\r|\n/g, ' ');
  if (flat === '') return '';
  const longest = Math.max(0, ...[...flat.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = /^[` ]|[` ]$/.test(flat) && flat.trim() !== '' ? ' ' : '';
  return `${fence}${pad}${cell ? flat.replaceAll('|', '\\|') : flat}${pad}${fence}`;
}

/** A fenced block that shows `text` as it is: a fence longer than any run of backticks in it, so command output cannot end the block. */
export function mdFenced(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}\n${text.replace(/\r\n?/g, '\n')}\n${fence}`;
}

/** A table: a header row, then one row per entry; the cells are already Markdown (escape text with mdText). */
function table(header: string[], rows: string[][]): string[] {
  const row = (cells: string[]): string => `| ${cells.map((c) => (c === '' ? ' ' : c)).join(' | ')} |`;
  return [row(header), row(header.map(() => '---')), ...rows.map(row)];
}

const mdMark: Mark = (word, met) => (met ? word : `**${word}**`);

/** user@host, escaped; "-" when unknown. */
const who = (user: string | null | undefined, host: string | null | undefined): string =>
  user ? mdText(host ? `${user}@${host}` : user) : '-';

const orDash = (text: string | null | undefined): string => (text ? mdText(text) : '-');

/** A step as the tables name it: its title and, in code, its id. */
const stepCell = (s: Pick<ReportStep, 'id' | 'title'>): string => `${mdText(s.title)} (${mdCode(s.id, true)})`;

function section(title: string, body: string[]): string[] {
  const end = body.findLastIndex((line) => line !== '');
  return end < 0 ? [] : ['', `## ${title}`, '', ...body.slice(0, end + 1)];
}

// ---------------------------------------------------------------------------------------------
// The document

function markdown(r: RunReport): string {
  const lines = [
    `# ${mdText(r.title, ' ')} — ${r.mode === 'drill' ? 'DR drill' : r.mode === 'real' ? 'recovery' : mdText(r.mode)} report`,
    ...section('Summary', summary(r)),
    ...section('Timeline', timeline(r)),
    ...section('Error output', errorOutput(r)),
    ...section('Decisions', decisions(r)),
    ...section('Checklists', checklists(r)),
    ...section('Notes', notes(r)),
    ...section('Findings', findings(r)),
    ...section('Remediation', remediation(r)),
    ...section('Sign-off', signOff(r)),
    ...section('Participants and operators', people(r)),
    ...section('Cleanup', cleanup(r)),
    ...section('Communications', communications(r)),
  ];
  return `${lines.join('\n').trimEnd()}\n`;
}

const MODE_WORDS: Record<string, string> = { drill: 'A DR drill', real: 'A recovery' };

/** What happened, in a paragraph; then the facts and verdicts in a table. */
function summary(r: RunReport): string[] {
  const facts = verdictFacts(r);
  const counts = new Map<string, number>();
  for (const s of r.steps) counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
  const tally = ['succeeded', 'failed', 'rolled_back', 'skipped', 'not_run']
    .filter((status) => counts.get(status))
    .map((status) => `${counts.get(status)} ${status.replace('_', ' ')}`)
    .join(', ');
  const over = r.steps.filter((s) => s.over_budget).length;
  // An interrupted run has not ended: it stopped, and can be resumed.
  const ended =
    r.status === 'interrupted'
      ? `was interrupted${r.finished_at === null ? '' : ` at ${r.finished_at}`} and has not ended`
      : r.finished_at === null
        ? 'has not ended'
        : `ended at ${r.finished_at}`;
  const what = [
    `${MODE_WORDS[r.mode] ?? `A ${mdText(r.mode)} run`} of ${mdCode(r.runbook)} (run ${mdCode(r.run_id)}).`,
    `The incident started at ${mdText(r.incident_start)}; the run started at ${mdText(r.started_at)} and ${mdText(ended)}.`,
    ...stopsSentence(r),
    `Outcome: ${mdText(outcomeText(facts))}.`,
    `Steps: ${r.steps.length}${tally ? ` (${tally})` : ''}${over ? `; ${over} over budget` : ''}.`,
  ].join(' ');
  return [
    what,
    '',
    ...table(
      ['fact', 'value'],
      [
        ['Run', `${mdCode(r.run_id, true)} (${mdText(r.runbook)})`],
        ['Runbook file', runbookFile(r)],
        ['Scope', scope(r)],
        ['drctl', orDash(r.tool.version)],
        ['Status', mdText(statusWithOutcome(facts, r.status, ': '))],
        ['Incident start', mdText(`${r.incident_start}${correctionText(r)}`)],
        ['Started / finished', mdText(`${r.started_at} / ${r.finished_at ?? '-'}`)],
        [mdText(rtoLabel(facts)), rtoText(facts, mdMark)],
        [mdText(rpoLabel(facts)), mdRpo(r)],
        ...integrityRow(r),
        ['Time running / waiting for the operator', `${fmt(r.time.running_s)} / ${fmt(r.time.waiting_for_operator_s)}`],
        ...(r.journal.entries ? [['Journal', journalCell(r)]] : []),
        ...(r.drill_every_s === null
          ? []
          : [
              [
                'Next drill due',
                `${r.next_drill_due ? mdText(r.next_drill_due) : 'not set (only a drill that succeeded sets it)'} (every ${formatInterval(r.drill_every_s * 1000)})`,
              ],
            ]),
      ],
    ),
  ];
}

/** "It stopped twice before its end (a signal, a crash) and was resumed twice.": none for a run never stopped. */
function stopsSentence(r: RunReport): string[] {
  const stops = r.interruptions.length;
  if (stops === 0) return [];
  const times = (n: number): string => (n === 1 ? 'once' : n === 2 ? 'twice' : `${n} times`);
  const causes = r.interruptions.map((i) => (i.cause === 'signal' ? `signal${i.signal ? ` ${mdText(i.signal)}` : ''}` : 'crash'));
  const resumed = r.interruptions.filter((i) => i.resumed_at).length;
  return [
    `It stopped ${times(stops)} before its end (${causes.join(', ')}) and was ${resumed ? `resumed ${times(resumed)}` : 'not resumed'}.`,
  ];
}

/** The runbook file as the run started: path, version, digest. */
function runbookFile(r: RunReport): string {
  const { path, digest, version } = r.runbook_file;
  return `${mdCode(path, true)}${version ? `, version ${mdText(version)}` : ''}${digest ? `, sha256 ${mdCode(digest, true)}` : ''}`;
}

/** The environment, severity, owner and tags of the run; "-" when none is known. */
function scope(r: RunReport): string {
  const { environment, severity, owner, tags } = r.scope;
  const parts = [
    environment ? `environment ${mdText(environment)}` : '',
    severity ? `severity ${mdText(severity)}` : '',
    owner ? `owner ${mdText(owner)}` : '',
    tags.length ? `tags ${tags.map((t) => mdText(t)).join(', ')}` : '',
  ].filter(Boolean);
  return parts.length ? parts.join('; ') : '-';
}

/** The journal the report was built from: its entries and the head of its hash chain, which a sign-off covers. */
function journalCell(r: RunReport): string {
  const { entries, head } = r.journal;
  return `${entries} ${entries === 1 ? 'entry' : 'entries'}, ${head ? `head ${mdCode(head, true)}` : 'no hash chain'}`;
}

/** The RPO verdict: the backup's name (it may hold anything) escaped, the verdict word marked. */
function mdRpo(r: RunReport): string {
  const facts = verdictFacts(r);
  if (!facts.rpo || !recovered(facts.status)) return mdText(rpoText(facts));
  const escaped = { ...facts, rpo: { ...facts.rpo, evidence: mdText(facts.rpo.evidence) } };
  // rpoText puts the escaped evidence in place; the words around it hold nothing to escape.
  return rpoText(escaped, mdMark);
}

/** The Integrity row of the summary, one line per fingerprint; none when the run took no fingerprint. */
function integrityRow(r: RunReport): string[][] {
  const lines = integrityLines(r);
  if (lines.length === 0) return [];
  const cell = lines.map((l) => `${mdCode(l.step, true)}: ${l.ok === false ? `**${mdText(l.text)}**` : mdText(l.text)}`).join('<br>');
  return [['Integrity', cell]];
}

/** Every step in order: when it ran, its status, time against its budget, who confirmed it; then each attempt and each interruption. */
function timeline(r: RunReport): string[] {
  const steps = table(
    ['#', 'step', 'status', 'attempts', 'budget', 'actual', 'over budget', 'started', 'finished', 'exit code', 'confirmed by'],
    r.steps.map((s, i) => [
      String(i + 1),
      stepCell(s),
      `${mdText(stepStatus(s))}${s.reason ? `: ${mdText(s.reason)}` : ''}`,
      String(s.attempts),
      fmt(s.budget_s),
      fmt(actualSeconds(s)),
      s.over_budget ? 'yes' : '',
      orDash(s.started_at),
      orDash(s.finished_at),
      s.exit_code === null ? '' : String(s.exit_code),
      orDash(s.confirmed_by),
    ]),
  );
  const attempts = r.steps.flatMap((s) => s.attempt_log.map((a) => ({ step: s, a })));
  return [
    ...steps,
    ...(attempts.length
      ? [
          '',
          '### Attempts',
          '',
          ...table(
            ['step', 'attempt', 'started', 'finished', 'duration', 'exit code', 'error'],
            attempts.map(({ step, a }) => [
              mdCode(step.id, true),
              String(a.attempt),
              mdText(a.started_at),
              mdText(a.finished_at),
              fmt(a.duration_s),
              a.exit_code === null ? '-' : String(a.exit_code),
              a.error ? mdText(a.error) : '',
            ]),
          ),
        ]
      : []),
    ...(r.interruptions.length
      ? [
          '',
          '### Interruptions',
          '',
          ...table(
            ['at', 'step', 'cause', 'resumed at'],
            r.interruptions.map((i) => [
              mdText(i.at),
              i.step ? mdCode(i.step, true) : '-',
              i.cause === 'signal' ? `signal${i.signal ? ` ${mdText(i.signal)}` : ''}` : 'crash (found by the next resume)',
              i.resumed_at ? mdText(i.resumed_at) : 'not resumed',
            ]),
          ),
        ]
      : []),
  ];
}

/**
 * The last lines of each failed step's error output, in fences: the step's own (the try that
 * failed it), then those of earlier tries that failed before a retry, each once.
 */
function errorOutput(r: RunReport): string[] {
  return r.steps.flatMap((s) => {
    const own = s.error_tail ? [`Last lines of ${mdCode(s.id)}'s error output:`, '', mdFenced(s.error_tail), ''] : [];
    const earlier = s.attempt_log
      .filter((a) => a.error_tail && a.error_tail !== s.error_tail)
      .flatMap((a) => [
        `Attempt ${a.attempt} of ${mdCode(s.id)}${a.exit_code === null ? '' : ` (exit code ${a.exit_code})`}, last lines of its error output:`,
        '',
        mdFenced(a.error_tail!),
        '',
      ]);
    return [...own, ...earlier];
  });
}

/** Every question the run asked, its answer, who gave it and how long it waited. */
function decisions(r: RunReport): string[] {
  if (r.decisions.length === 0) return [];
  return table(
    ['at', 'step', 'question', 'answer', 'by', 'wait'],
    r.decisions.map((d) => [
      mdText(d.at),
      d.step ? mdCode(d.step, true) : '-',
      mdText(d.question),
      mdText(d.answer),
      orDash(d.by),
      fmt(d.wait_s),
    ]),
  );
}

const CHECKBOX: Record<ReportChecklistItem['answer'], string> = { done: '[x]', acknowledged: '[x]', skipped: '[ ]', aborted: '[ ]' };

/** Each manual step's checklist as the operator answered it: the item, the answer, when and by whom. */
function checklists(r: RunReport): string[] {
  return r.steps
    .filter((s) => s.checklist?.length)
    .flatMap((s, i) => [
      ...(i > 0 ? [''] : []),
      `${mdCode(s.id)}:`,
      '',
      ...s.checklist!.map(
        (item) => `- ${CHECKBOX[item.answer]} ${mdText(item.text)} (${item.answer}, ${item.at}${item.by ? `, ${mdText(item.by)}` : ''})`,
      ),
    ]);
}

/** Operators' notes as a list: when, who from where, and the text on one line. */
function notes(r: RunReport): string[] {
  return r.notes.map((n) => `- ${n.at}, ${mdText(n.user)}@${mdText(n.host)}: ${mdText(n.text)}`);
}

/** What the review found, as a list: when, who, the text. */
function findings(r: RunReport): string[] {
  return r.findings.map((f) => `- ${mdText(f.at)}, ${mdText(f.by)}: ${mdText(f.text)}`);
}

/** What is to be done about it: each action with its owner and due date ("none" stands out). */
function remediation(r: RunReport): string[] {
  if (r.remediation.length === 0) return [];
  return table(
    ['#', 'action', 'owner', 'due', 'recorded'],
    r.remediation.map((m, i) => [
      String(i + 1),
      mdText(m.text),
      m.owner ? mdText(m.owner) : '**none**',
      m.due ? mdText(m.due) : '**none**',
      `${mdText(m.at)}, ${mdText(m.by)}`,
    ]),
  );
}

/** Who signed the record off, and which state of the journal each signature covers. */
function signOff(r: RunReport): string[] {
  if (r.sign_offs.length === 0) return ['Not signed off.'];
  return table(
    ['name', 'role', 'signed at', 'covers the journal up to', 'recorded by'],
    r.sign_offs.map((s) => [mdText(s.name), orDash(s.role), mdText(s.at), covers(r, s.covers), mdText(s.by)]),
  );
}

/** The head a sign-off covers, and whether the journal has grown since (an entry after it is not covered). */
function covers(r: RunReport, head: string | null): string {
  if (!head) return '-';
  return `${mdCode(head, true)}${head === r.journal.head ? '' : ' (entries were added after it)'}`;
}

/** Who took part, with their roles; then who started the run and who resumed it, from where, with which drctl. */
function people(r: RunReport): string[] {
  const participants = r.participants.length
    ? table(
        ['participant', 'role', 'added', 'added by'],
        r.participants.map((p) => [mdText(p.name), orDash(p.role), mdText(p.at), orDash(p.added_by)]),
      )
    : ['No participants were recorded.'];
  const sessions = r.operators.length
    ? table(
        ['session', 'at', 'operator', 'terminal', 'drctl'],
        r.operators.map((o) => [
          o.session === 'run' ? 'started' : 'resumed',
          mdText(o.at),
          who(o.user, o.host),
          orDash(o.terminal),
          orDash(o.version),
        ]),
      )
    : [];
  return [...participants, ...(sessions.length ? ['', ...sessions] : [])];
}

/** The cleanup ledger: what the run made, and what became of it. */
function cleanup(r: RunReport): string[] {
  if (r.cleanup.length === 0) return [];
  return table(
    ['path', 'kind', 'step', 'status', 'at'],
    r.cleanup.map((c) => [
      mdCode(c.path, true),
      c.kind,
      mdCode(c.step, true),
      `${c.status}${c.error ? `: ${mdText(c.error)}` : ''}`,
      c.at ?? '-',
    ]),
  );
}

// ---------------------------------------------------------------------------------------------
// Communications: the seeds' templates (initial report, status page, recovery notice) in the
// wording the shipped runbooks use, filled with what the run knows.

const PLACEHOLDER_NOTE =
  'Filled with what the run recorded; what it cannot know is left in `<angle brackets>` for you to fill in before posting.';

/** A fact on one line of an announcement. */
const oneLine = (text: string): string => text.replace(/\r\n|\r|\n/g, ' ');

function communications(r: RunReport): string[] {
  const drill = r.mode === 'drill';
  const subject = (text: string): string => `Subject: ${drill ? '[DRILL] ' : ''}${text}`;
  const procedure = `Procedure: ${oneLine(r.runbook)} (drctl), run ${oneLine(r.run_id)}`;
  const estimate = r.rto ? `within ${fmt(r.rto.target_s)} (the RTO)` : '<estimate>';
  const done = recovered(r.status);
  const downtime = done
    ? `Downtime: ${fmt(r.elapsed_s)} since ${r.incident_start} (restored at ${r.finished_at ?? '-'})`
    : `Downtime so far: ${fmt(r.elapsed_s)} since ${r.incident_start}`;
  const severity = r.scope.severity ? oneLine(r.scope.severity) : '<severity>';
  const commander = oneLine(r.participants.find((p) => p.role && /incident commander/i.test(p.role))?.name ?? '<name>');
  const initial = [
    subject(`[${severity}] <service> outage - recovery in progress`),
    'Status: Recovery in progress      Impact: <impact>',
    `Detected at: ${r.incident_start}`,
    procedure,
    `Estimated recovery: ${estimate}`,
    `Incident commander: ${commander}`,
    'Next update: <time>',
  ];
  const statusPage = done
    ? [
        'Status: Resolved',
        'Title: <service> restored',
        `Message: The outage that began at ${r.incident_start} is resolved; the service was restored after ${fmt(r.elapsed_s)}.`,
      ]
    : [
        'Status: Investigating',
        'Title: <service> outage - recovery in progress',
        `Message: We are recovering from an outage that began at ${r.incident_start}. Next update: <time>.`,
      ];
  const actions = r.steps.filter((s) => s.status === 'succeeded').map((s) => `- ${oneLine(s.title)}`);
  const verification = integrityLines(r).map((l) => `- ${oneLine(l.text)}`);
  const notice = done
    ? [
        subject('[RESOLVED] <service> restored'),
        downtime,
        'Root cause: <cause>',
        dataLoss(r),
        'Actions taken:',
        ...(actions.length ? actions : ['- <action>']),
        'Verification:',
        ...(verification.length ? verification : ['- <verification>']),
        'Post-incident review: <date, within 48 hours>',
      ]
    : [
        subject('[UPDATE] <service> outage - recovery in progress'),
        `Status: ${outcomeText(verdictFacts(r))}`,
        downtime,
        dataLoss(r),
        procedure,
        'Next update: <time>',
      ];
  return [
    PLACEHOLDER_NOTE + (drill ? ' A drill: post to the drill channel only.' : ''),
    '',
    '### Initial report (incident channel and stakeholders)',
    '',
    mdFenced(initial.join('\n')),
    '',
    `### Status page${done ? '' : ' (until the service is restored)'}`,
    '',
    mdFenced(statusPage.join('\n')),
    '',
    done ? '### Recovery notice (stakeholders)' : '### Update (stakeholders)',
    '',
    mdFenced(notice.join('\n')),
  ];
}

/** The data-loss window: the changes after the backup the run restored (the RPO achieved), or a placeholder when the run recorded none. */
function dataLoss(r: RunReport): string {
  if (!r.rpo) return 'Data loss: <data-loss window: the run recorded no backup>';
  const backupAt = Date.parse(r.incident_start) - r.rpo.achieved_s * 1000;
  const since = `${fmt(r.rpo.achieved_s)} before the incident (RPO ${fmt(r.rpo.target_s)})`;
  // A journal edited by hand may hold an incident start that is no time (or none a date can hold): the window is then said without its date.
  if (!(Math.abs(backupAt) <= 8.64e15)) return `Data loss: changes after the backup ${oneLine(r.rpo.evidence)}, ${since}`;
  return `Data loss: changes after ${new Date(backupAt).toISOString()} (backup ${oneLine(r.rpo.evidence)}), ${since}`;
}
