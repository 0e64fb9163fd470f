import { formatDuration, formatInterval } from '../util/duration.js';
import type { ReportAttempt, ReportStep, RunReport } from './build.js';
import { actualSeconds, verdictFacts } from './build.js';
import type { RunbookHistory } from './history.js';
import { correctionText, fmt, integrityLines, stepStatus, xml } from './text.js';
import type { Mark, VerdictFacts } from './verdict.js';
import { rpoLabel, rpoText, rtoLabel, rtoText, statusWithOutcome } from './verdict.js';

/**
 * The HTML report: one self-contained page an auditor can read on a phone, on a desk or on paper.
 * The verdicts come first, then a timeline (an SVG Gantt from the incident start, with the same
 * facts in a table beside it), then the after-action record. No script, no font, no image and no
 * request: inline CSS and inline SVG only. Everything a runbook, a command or an operator wrote is
 * escaped with xml().
 */

/** Every colour the page uses. The contrast of each pair in CONTRAST_PAIRS is checked by a unit test (WCAG AA). */
export const COLOURS = {
  ink: '#1f2328',
  muted: '#57606a',
  paper: '#ffffff',
  panel: '#f6f8fa',
  rule: '#d0d7de',
  ok: '#116329',
  okBg: '#dafbe1',
  bad: '#a40e26',
  badBg: '#ffebe9',
  warn: '#7d4e00',
  warnBg: '#fff8c5',
  barOk: '#1a7f37',
  barBad: '#cf222e',
  barOperator: '#6639ba',
  wait: '#9a6700',
  rpo: '#0550ae',
  rpoBg: '#ddf4ff',
  rto: '#a40e26',
  gap: '#6e7781',
} as const;

export type Colour = keyof typeof COLOURS;

/**
 * The pairs of colours drawn on each other: text needs 4.5:1 (WCAG 1.4.3), bars, lines and marks
 * 3:1 against the page (WCAG 1.4.11); table borders and grid lines are decoration (the cells and
 * the tick labels carry the facts), only to be seen.
 */
export const CONTRAST_PAIRS: ReadonlyArray<{ fg: Colour; bg: Colour; use: 'text' | 'graphic' | 'decoration' }> = [
  { fg: 'ink', bg: 'paper', use: 'text' },
  { fg: 'ink', bg: 'panel', use: 'text' },
  { fg: 'muted', bg: 'paper', use: 'text' },
  { fg: 'muted', bg: 'panel', use: 'text' },
  { fg: 'ok', bg: 'paper', use: 'text' },
  { fg: 'ok', bg: 'okBg', use: 'text' },
  { fg: 'bad', bg: 'paper', use: 'text' },
  { fg: 'bad', bg: 'badBg', use: 'text' },
  { fg: 'warn', bg: 'paper', use: 'text' },
  { fg: 'warn', bg: 'warnBg', use: 'text' },
  { fg: 'ink', bg: 'okBg', use: 'text' },
  { fg: 'ink', bg: 'badBg', use: 'text' },
  { fg: 'ink', bg: 'warnBg', use: 'text' },
  { fg: 'ink', bg: 'rpoBg', use: 'text' },
  { fg: 'rpo', bg: 'paper', use: 'text' },
  { fg: 'rpo', bg: 'rpoBg', use: 'text' },
  { fg: 'rto', bg: 'paper', use: 'text' },
  { fg: 'barOk', bg: 'paper', use: 'graphic' },
  { fg: 'barBad', bg: 'paper', use: 'graphic' },
  { fg: 'barOperator', bg: 'paper', use: 'graphic' },
  { fg: 'wait', bg: 'paper', use: 'graphic' },
  { fg: 'rpo', bg: 'rpoBg', use: 'graphic' },
  { fg: 'gap', bg: 'paper', use: 'graphic' },
  { fg: 'rule', bg: 'paper', use: 'decoration' },
];

type Report = RunReport;
type Step = ReportStep;
type Attempt = ReportAttempt;

/**
 * `history`: the runbook's past runs up to this one (drctl history's figures), drawn as a chart
 * when there is at least one other run to compare with.
 */
export function renderHtml(report: RunReport, history?: RunbookHistory): string {
  const r = report as Report;
  const facts = verdictFacts(r);
  const timeline = buildTimeline(r);
  const kind = r.mode === 'drill' ? 'DR drill' : r.mode === 'real' ? 'Recovery' : r.mode;
  const body = [
    `<header><p class="kicker">${xml(kind)} report</p><h1>${xml(r.title)}</h1>`,
    `<p class="sub">${xml(kind)} <code>${xml(r.run_id)}</code> of runbook <code>${xml(r.runbook)}</code>: ${statusHtml(facts, r.status)}</p></header>`,
    verdictsHtml(r, facts),
    timelineHtml(r, timeline),
    history ? historyHtml(r, history) : '',
    factsHtml(r),
    peopleHtml(r),
    stepsHtml(r),
    attemptsHtml(r),
    decisionsHtml(r),
    interruptionsHtml(r),
    integrityHtml(r),
    cleanupHtml(r),
    notesHtml(r),
    reviewHtml(r),
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${xml(r.title)}: ${xml(r.run_id)}</title>
<style>${STYLE}</style></head>
<body><main>
${body.filter((part) => part !== '').join('\n')}
</main></body></html>
`;
}

const c = COLOURS;
const STYLE = `
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:${c.ink};background:${c.paper};-webkit-print-color-adjust:exact;print-color-adjust:exact}
main{max-width:1040px;margin:0 auto;padding:24px 16px 48px}
h1{font-size:1.6em;line-height:1.25;margin:.1em 0 .3em;overflow-wrap:anywhere}
h2{font-size:1.2em;margin:1.8em 0 .5em;padding-bottom:.2em;border-bottom:1px solid ${c.rule}}
.kicker{margin:0;color:${c.muted};text-transform:uppercase;letter-spacing:.06em;font-size:.8em;font-weight:600}
.sub{margin:0;overflow-wrap:anywhere}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.87em}
code{overflow-wrap:anywhere;word-break:break-word}
pre{margin:.3em 0 0;padding:6px 8px;background:${c.panel};border:1px solid ${c.rule};border-radius:4px;white-space:pre-wrap;overflow-wrap:anywhere;max-width:100%}
.ok{color:${c.ok};font-weight:600}
.bad{color:${c.bad};font-weight:600}
.warn{color:${c.warn};font-weight:600}
.muted{color:${c.muted}}
.verdicts{display:grid;grid-template-columns:repeat(auto-fit,minmax(210px,1fr));gap:12px;margin:20px 0 0;padding:0;list-style:none}
.verdict{display:flex;flex-direction:column;border:1px solid ${c.rule};border-left-width:6px;border-radius:6px;padding:10px 12px;background:${c.panel};min-width:0}
.verdict h2{order:-2}.verdict .word{order:-1}
.verdict.is-ok{border-left-color:${c.barOk};background:${c.okBg}}
.verdict.is-bad{border-left-color:${c.barBad};background:${c.badBg}}
.verdict.is-none{border-left-color:${c.gap}}
.verdict h2{font-size:.8em;margin:0;padding:0;border:0;text-transform:uppercase;letter-spacing:.05em;color:${c.ink}}
.verdict .word{font-size:1.45em;font-weight:700;margin:.1em 0}
.verdict p{margin:0;overflow-wrap:anywhere}
.timeline-box{overflow-x:auto;border:1px solid ${c.rule};border-radius:6px;background:${c.paper}}
svg.timeline,svg.history{display:block;width:100%;min-width:620px;height:auto}
figure{margin:0}
figcaption{color:${c.muted};font-size:.9em;margin-top:6px}
.legend{display:flex;flex-wrap:wrap;gap:6px 16px;margin:8px 0 0;padding:0;list-style:none;font-size:.9em}
.legend li{display:flex;align-items:center;gap:6px}
.swatch{display:inline-block;width:22px;height:12px;border-radius:2px;border:1px solid ${c.ink}}
.sw-ok{background:${c.barOk}}.sw-bad{background:${c.barBad}}.sw-op{background:${c.barOperator}}
.sw-wait{background:repeating-linear-gradient(135deg,${c.wait} 0 3px,${c.paper} 3px 6px)}
.sw-gap{background:repeating-linear-gradient(45deg,${c.gap} 0 2px,${c.paper} 2px 6px)}
.sw-rpo{background:${c.rpoBg};border-color:${c.rpo}}
.sw-budget{height:0;border:0;border-top:2px dashed ${c.muted};border-radius:0}
.sw-rto{width:0;height:16px;border:0;border-left:3px dashed ${c.rto};border-radius:0}
table{border-collapse:collapse;width:100%;margin:.4em 0 0}
caption{text-align:left;font-weight:600;padding:0 0 6px;caption-side:top}
th,td{border:1px solid ${c.rule};padding:5px 8px;text-align:left;vertical-align:top;overflow-wrap:break-word}
thead th{background:${c.panel}}
tbody th{font-weight:600;background:${c.panel}}
td.num{text-align:right;white-space:nowrap}
tr.failed td{background:${c.badBg}}
ul.plain{padding-left:1.2em;margin:.4em 0}
.checklist{margin:.3em 0 0;padding-left:1.2em}
details{margin-top:.3em}
@media (max-width:640px){
  main{padding:16px 12px 32px}
  h1{font-size:1.35em}
  table.reflow,table.reflow tbody,table.reflow tr,table.reflow td,table.reflow tbody th{display:block;width:100%}
  table.reflow thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);clip-path:inset(50%)}
  table.reflow thead tr,table.reflow thead th{display:block;width:1px;height:1px;overflow:hidden;padding:0;border:0}
  table.reflow caption{display:block}
  table.reflow tr{border:1px solid ${c.rule};border-radius:6px;margin:0 0 10px;overflow:hidden}
  table.reflow td,table.reflow tbody th{border:0;border-top:1px solid ${c.rule}}
  table.reflow tr>:first-child{border-top:0}
  table.reflow td[data-label]::before{content:attr(data-label) ": ";font-weight:600;color:${c.muted}}
  table.reflow td.num{text-align:left}
  table.facts th,table.facts td{display:block;width:100%;border-width:0 1px}
  table.facts tr{display:block;border-top:1px solid ${c.rule}}
  table.facts{border-bottom:1px solid ${c.rule}}
}
@media print{
  @page{margin:14mm}
  body{font-size:10pt}
  main{max-width:none;padding:0}
  h2{break-after:avoid;page-break-after:avoid}
  caption{break-after:avoid}
  figure,.verdicts,.verdict,tr,pre{break-inside:avoid;page-break-inside:avoid}
  thead{display:table-header-group}
  .verdicts{grid-template-columns:repeat(4,minmax(0,1fr))}
  .timeline-box{overflow:visible;border:0}
  svg.timeline,svg.history{min-width:0}
  section.timeline{break-before:auto}
  section.after-action{break-before:page}
}
`;

// ---------------------------------------------------------------------------------------------
// Verdicts

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

const htmlMark: Mark = (word, met) => `<span class="${met ? 'ok' : 'bad'}">${word}</span>`;

function verdictsHtml(r: Report, facts: VerdictFacts): string {
  const card = (id: string, heading: string, state: 'ok' | 'bad' | 'none', word: string, text: string): string =>
    `<li class="verdict is-${state}" id="verdict-${id}"><h2>${xml(heading)}</h2><p>${text}</p><p class="word">${xml(word)}</p></li>`;
  const statusState = r.status === 'succeeded' ? 'ok' : r.status === 'running' ? 'none' : 'bad';
  const objective = (o: { verdict: string; met: boolean } | null): ['ok' | 'bad' | 'none', string] =>
    o === null ? ['none', 'not set'] : o.verdict === 'not recovered' ? ['none', 'no verdict'] : [o.met ? 'ok' : 'bad', o.verdict];
  const [rtoState, rtoWord] = objective(r.rto);
  const rpoFacts = { ...facts, rpo: facts.rpo && { ...facts.rpo, evidence: xml(facts.rpo.evidence) } };
  const [rpoState, rpoWord] = r.rpo ? objective(r.rpo) : ['none' as const, 'no evidence'];
  const lines = integrityLines(r);
  const integrityState = lines.length === 0 ? 'none' : lines.some((l) => l.ok === false) ? 'bad' : lines.some((l) => l.ok) ? 'ok' : 'none';
  const integrityWord =
    lines.length === 0 ? 'no evidence' : integrityState === 'bad' ? 'differs' : integrityState === 'ok' ? 'matches' : 'taken';
  const integrityText =
    lines.length === 0
      ? 'No step of this run recorded a data fingerprint.'
      : lines.map((l) => `<code>${xml(l.step)}</code>: ${xml(l.text)}`).join('<br>');
  return `<ul class="verdicts" aria-label="Verdicts">
${card('status', 'Status', statusState, r.status.replace('_', ' '), `${xml(r.outcome)}. Running ${fmt(r.time.running_s)}, waiting for the operator ${fmt(r.time.waiting_for_operator_s)}.`)}
${card('rto', rtoLabel(facts), rtoState, rtoWord, rtoText(facts, htmlMark))}
${card('rpo', rpoLabel(facts), rpoState, rpoWord, rpoText(rpoFacts, htmlMark))}
${card('integrity', 'Integrity', integrityState, integrityWord, integrityText)}
</ul>`;
}

// ---------------------------------------------------------------------------------------------
// Timeline: the facts, then the SVG and its table

type BarKind = 'attempt' | 'operator' | 'wait';
interface Bar {
  row: number;
  kind: BarKind;
  step: string | null;
  /** Seconds from T0. */
  from: number;
  to: number;
  ok: boolean | null;
  attempt: number | null;
  label: string;
  /** A wait bar: how many answers it stands for (waits close together are drawn as one), and their time. */
  answers?: { count: number; waited: number };
}
interface Row {
  label: string;
  step: string | null;
  status: string;
  budget: { from: number; to: number } | null;
}
interface Mark2 {
  kind: 'interrupted' | 'resumed' | 'session';
  at: number;
  label: string;
}
interface Timeline {
  rows: Row[];
  bars: Bar[];
  marks: Mark2[];
  /** Periods drctl was not running (an interruption to its resume). */
  gaps: Array<{ from: number; to: number }>;
  runStart: number;
  end: number;
  rto: number | null;
  rpo: { target: number; backup: number; evidence: string } | null;
}

const sinceT0 = (r: Report, iso: string | null | undefined): number | null => {
  if (!iso) return null;
  const ms = Date.parse(iso) - Date.parse(r.incident_start);
  return Number.isFinite(ms) ? ms / 1000 : null;
};

function buildTimeline(r: Report): Timeline {
  const rows: Row[] = [];
  const bars: Bar[] = [];
  const steps = r.steps;
  const decisions = r.decisions;
  const runRow = decisions.some((d) => d.step === null && d.wait_s > 0);
  if (runRow) rows.push({ label: 'Run prompts', step: null, status: '', budget: null });
  for (const s of steps) {
    const row = rows.length;
    const start = sinceT0(r, s.started_at);
    const finish = sinceT0(r, s.finished_at);
    rows.push({
      label: s.title,
      step: s.id,
      status: stepStatus(s),
      budget: start !== null && s.budget_s !== null ? { from: start, to: start + s.budget_s } : null,
    });
    const log = s.attempt_log;
    for (const a of log) {
      const from = sinceT0(r, a.started_at);
      const to = sinceT0(r, a.finished_at);
      if (from === null || to === null) continue;
      const ok = attemptOk(s, a);
      bars.push({ row, kind: 'attempt', step: s.id, from, to, ok, attempt: a.attempt, label: `${s.title}: attempt ${a.attempt}` });
    }
    if (log.length === 0 && start !== null && finish !== null && s.status !== 'skipped' && s.status !== 'not_run') {
      bars.push({ row, kind: 'operator', step: s.id, from: start, to: finish, ok: null, attempt: null, label: `${s.title}: operator` });
    }
  }
  const waits: Bar[] = [];
  const rowOf = new Map(rows.map((w, i) => [w.step, i]));
  for (const d of decisions) {
    if (!(d.wait_s > 0)) continue;
    const at = sinceT0(r, d.at);
    const row = rowOf.get(d.step);
    if (at === null || row === undefined) continue;
    waits.push({
      row,
      kind: 'wait',
      step: d.step,
      from: at - d.wait_s,
      to: at,
      ok: null,
      attempt: null,
      label: `waiting for an answer: ${d.question}`,
    });
  }
  const marks: Mark2[] = [];
  const gaps: Timeline['gaps'] = [];
  for (const i of r.interruptions) {
    const at = sinceT0(r, i.at);
    if (at === null) continue;
    const why = i.cause === 'signal' ? `interrupted${i.signal ? ` (${i.signal})` : ''}` : 'drctl stopped (crash)';
    marks.push({ kind: 'interrupted', at, label: why });
    const back = sinceT0(r, i.resumed_at);
    if (back !== null) gaps.push({ from: at, to: back });
  }
  for (const o of r.operators.slice(1)) {
    const at = sinceT0(r, o.at);
    if (at === null) continue;
    marks.push({
      kind: o.session === 'resume' ? 'resumed' : 'session',
      at,
      label: `${o.session === 'resume' ? 'resumed' : 'session'} by ${who(o.user, o.host)}`,
    });
  }
  const runStart = Math.max(0, sinceT0(r, r.started_at) ?? 0);
  const ends = [
    r.elapsed_s,
    runStart,
    ...bars.map((b) => b.to),
    ...waits.map((b) => b.to),
    ...marks.map((m) => m.at),
    ...gaps.map((g) => g.to),
  ];
  // A budget far past the run's end (a manual step's 2m, answered in seconds) is cut at the axis's end, not drawn to scale.
  // Folded, not spread: a wait polled every second for days has more attempts than a call takes arguments.
  const contentEnd = ends.reduce((a, b) => Math.max(a, b));
  for (const row of rows) if (row.budget && row.budget.to <= runStart + (contentEnd - runStart) * 1.5) ends.push(row.budget.to);
  const end = ends.reduce((a, b) => Math.max(a, b));
  for (const wait of mergedWaits(waits, Math.max(1, (end - runStart) / 500))) bars.push(wait);
  const rpo = r.rpo === null ? null : { target: r.rpo.target_s, backup: -r.rpo.achieved_s, evidence: r.rpo.evidence };
  return { rows, bars, marks, gaps, runStart, end, rto: r.rto?.target_s ?? null, rpo };
}

/**
 * Whether a try succeeded: the last one as its step ended (a step the rollback undid had succeeded),
 * an earlier one (retried) only without an error or a failing exit code.
 */
function attemptOk(s: Step, a: Attempt): boolean {
  if (a.error !== null) return false;
  return a === s.attempt_log.at(-1) ? s.status === 'succeeded' || s.status === 'rolled_back' : a.exit_code === null || a.exit_code === 0;
}

/**
 * Waits of one row closer than `gap` seconds drawn as one bar (a checklist of seventy items is one
 * stretch of the operator's time at any scale the chart can draw); each stays in the Decisions table.
 */
function mergedWaits(waits: Bar[], gap: number): Bar[] {
  const merged: Bar[] = [];
  const last = new Map<number, Bar>();
  for (const w of [...waits].sort((a, b) => a.from - b.from)) {
    const prev = last.get(w.row);
    if (prev && w.from - prev.to <= gap) {
      const answers = { count: (prev.answers?.count ?? 1) + 1, waited: (prev.answers?.waited ?? prev.to - prev.from) + (w.to - w.from) };
      prev.to = Math.max(prev.to, w.to);
      prev.answers = answers;
      prev.label = `waiting for ${answers.count} answers`;
      continue;
    }
    const bar = { ...w };
    merged.push(bar);
    last.set(w.row, bar);
  }
  return merged;
}

const who = (user: string | null, host: string | null): string => (user ? (host ? `${user}@${host}` : user) : 'unknown');

/** A time from T0 as the axis says it: T0, +1m30s, -6m52s. */
function offset(s: number): string {
  if (Math.abs(s) < 0.0005) return 'T0';
  return s < 0 ? `T0${formatDuration(s * 1000)}` : `T0+${formatDuration(s * 1000)}`;
}

/** One straight piece of the time axis: seconds [from, to] drawn over x [x0, x1]. */
interface Segment {
  from: number;
  to: number;
  x0: number;
  x1: number;
  /** A piece squeezed to leave room for the rest (the time before T0, a long wait before the run). */
  compressed: boolean;
  /** The run's piece after a long wait squeezed before it: its ticks count from the run's start (T0+72h, run+1s, run+2s). */
  fromRunStart?: true;
}

const WIDTH = 960;
const PLOT_LEFT = 20;
const PLOT_RIGHT = WIDTH - 20;
const ROW_HEIGHT = 40;
const TOP = 64;

/**
 * The axis: the RPO window before T0 gets its own narrow piece (minutes or hours of data-loss
 * window would leave no room for a run of seconds), and so does a long gap between T0 and the
 * run's start; the run itself gets the rest. Each break is drawn on the axis.
 */
function axisOf(t: Timeline): { segments: Segment[]; rtoOffScale: boolean } {
  const plot = PLOT_RIGHT - PLOT_LEFT;
  const segments: Segment[] = [];
  let x = PLOT_LEFT;
  if (t.rpo) {
    const before = Math.max(t.rpo.target, -t.rpo.backup) * 1.15 || 60;
    const w = plot * 0.2;
    segments.push({ from: -before, to: 0, x0: x, x1: x + w, compressed: true });
    x += w;
  }
  let span = Math.max(t.end, 1);
  let rtoOffScale = false;
  if (t.rto !== null) {
    if (t.rto <= span * 3) span = Math.max(span, t.rto);
    else rtoOffScale = true;
  }
  const last = span;
  span *= 1.04;
  const remaining = PLOT_RIGHT - x;
  if (t.runStart > 0.4 * (span - t.runStart) && t.runStart > 0) {
    const w = remaining * 0.15;
    // The margin after the end is 4% of the run's own piece: 4% of the days since T0 would leave a run of seconds a few pixels.
    const to = t.runStart + Math.max(1, (last - t.runStart) * 1.04);
    segments.push({ from: 0, to: t.runStart, x0: x, x1: x + w, compressed: true });
    segments.push({ from: t.runStart, to, x0: x + w, x1: PLOT_RIGHT, compressed: false, fromRunStart: true });
  } else {
    segments.push({ from: 0, to: span, x0: x, x1: PLOT_RIGHT, compressed: false });
  }
  return { segments, rtoOffScale };
}

function xOf(segments: Segment[], s: number): number {
  const first = segments[0]!;
  const last = segments[segments.length - 1]!;
  if (s <= first.from) return first.x0;
  if (s >= last.to) return last.x1;
  const seg = segments.find((g) => s >= g.from && s <= g.to) ?? last;
  return seg.x0 + ((s - seg.from) / (seg.to - seg.from || 1)) * (seg.x1 - seg.x0);
}

const NICE = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

function ticksOf(seg: Segment): number[] {
  if (seg.compressed) return [seg.from, seg.to];
  const room = Math.max(1, Math.floor((seg.x1 - seg.x0) / 90));
  const step = NICE.find((n) => (seg.to - seg.from) / n <= room) ?? 86400 * 7;
  const origin = seg.fromRunStart ? seg.from : 0;
  const ticks: number[] = [];
  for (let v = origin + Math.ceil((seg.from - origin) / step) * step; v <= seg.to + 1e-9; v += step) ticks.push(Number(v.toFixed(3)));
  return ticks;
}

const n1 = (v: number): string => (Math.round(v * 10) / 10).toString();
/** Seconds to the millisecond, as the journal has them: for the data-* attributes that place a mark in time. */
const n3 = (v: number): string => (Math.round(v * 1000) / 1000).toString();

function timelineHtml(r: Report, t: Timeline): string {
  const { segments, rtoOffScale } = axisOf(t);
  const X = (s: number): number => xOf(segments, s);
  const height = TOP + t.rows.length * ROW_HEIGHT + 36;
  const plotBottom = TOP + t.rows.length * ROW_HEIGHT + 6;
  const parts: string[] = [];
  parts.push(`<defs>
<pattern id="hatch-wait" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)"><rect width="6" height="6" fill="${c.paper}"/><rect width="3" height="6" fill="${c.wait}"/></pattern>
<pattern id="hatch-gap" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(-45)"><rect width="6" height="6" fill="${c.paper}"/><rect width="2" height="6" fill="${c.gap}"/></pattern>
</defs>`);
  // The RPO window and the backup used.
  if (t.rpo) {
    const x0 = X(-t.rpo.target);
    parts.push(
      `<rect class="rpo-window" x="${n1(x0)}" y="${TOP - 6}" width="${n1(X(0) - x0)}" height="${n1(plotBottom - TOP + 6)}" fill="${c.rpoBg}" stroke="${c.rpo}" stroke-width="1" data-from-s="${-t.rpo.target}" data-to-s="0"><title>RPO window: ${xml(formatDuration(t.rpo.target * 1000))} before T0</title></rect>`,
      `<text x="${n1(x0 + 4)}" y="${TOP + 10}" font-size="12" fill="${c.rpo}">RPO ${xml(formatDuration(t.rpo.target * 1000))}</text>`,
    );
    const bx = X(t.rpo.backup);
    parts.push(
      `<g class="backup" data-at-s="${n3(t.rpo.backup)}"><line x1="${n1(bx)}" x2="${n1(bx)}" y1="${TOP - 6}" y2="${plotBottom}" stroke="${c.rpo}" stroke-width="3"/><circle cx="${n1(bx)}" cy="${TOP + 24}" r="6" fill="${c.rpo}"/><title>Backup used: ${xml(t.rpo.evidence)}, ${xml(offset(t.rpo.backup))}</title></g>`,
      `<text x="${n1(Math.min(bx + 9, X(0) - 4))}" y="${TOP + 44}" font-size="12" fill="${c.rpo}" text-anchor="${bx + 9 > X(0) - 60 ? 'end' : 'start'}">backup</text>`,
    );
  }
  // Times drctl was not running.
  for (const g of t.gaps) {
    parts.push(
      `<rect class="gap" x="${n1(X(g.from))}" y="${TOP - 6}" width="${n1(Math.max(2, X(g.to) - X(g.from)))}" height="${n1(plotBottom - TOP + 6)}" fill="url(#hatch-gap)" opacity="0.6" data-from-s="${n3(g.from)}" data-to-s="${n3(g.to)}"><title>drctl not running: ${xml(offset(g.from))} to ${xml(offset(g.to))}</title></rect>`,
    );
  }
  // The axis: ticks, labels, breaks.
  for (const seg of segments) {
    for (const v of ticksOf(seg)) {
      const x = X(v);
      parts.push(
        `<line class="tick" x1="${n1(x)}" x2="${n1(x)}" y1="${TOP - 22}" y2="${plotBottom}" stroke="${c.rule}" stroke-width="1"/>`,
        `<text x="${n1(x)}" y="${TOP - 28}" font-size="12" fill="${c.muted}" text-anchor="${v === seg.from && seg === segments[0] ? 'start' : 'middle'}">${xml(seg.fromRunStart && v > seg.from ? `run+${formatDuration((v - seg.from) * 1000)}` : offset(v))}</text>`,
      );
    }
    if (seg.compressed && seg !== segments[segments.length - 1]) {
      const x = seg.x1 - 6;
      parts.push(
        `<path class="axis-break" d="M${n1(x - 4)} ${TOP - 18} l4 -8 M${n1(x + 2)} ${TOP - 18} l4 -8" stroke="${c.ink}" stroke-width="1.5" fill="none"><title>the axis changes scale here</title></path>`,
      );
    }
  }
  // Rows: label, budget, bars.
  t.rows.forEach((row, i) => {
    const y = TOP + i * ROW_HEIGHT;
    const status = row.status ? ` (${row.status})` : '';
    parts.push(
      `<text class="row-label" x="${n1(segments[segments.length - 1]!.x0 + 2)}" y="${y + 14}" font-size="12.5" fill="${c.ink}">${xml(truncate(row.label, 90))}<tspan fill="${c.muted}">${xml(status)}</tspan></text>`,
    );
    if (row.budget) {
      const x0 = X(row.budget.from);
      const x1 = X(row.budget.to);
      const cut = row.budget.to > segments[segments.length - 1]!.to;
      const endMark = cut
        ? `<path d="M${n1(x1 - 6)} ${y + 31} l6 4 l-6 4" stroke="${c.muted}" stroke-width="1.5" fill="none"/>`
        : `<line x1="${n1(x1)}" x2="${n1(x1)}" y1="${y + 30}" y2="${y + 38}" stroke="${c.muted}" stroke-width="2"/>`;
      parts.push(
        `<g class="budget" data-step="${xml(row.step ?? '')}" data-from-s="${n3(row.budget.from)}" data-to-s="${n3(row.budget.to)}"><line x1="${n1(x0)}" x2="${n1(x1)}" y1="${y + 35}" y2="${y + 35}" stroke="${c.muted}" stroke-width="1.5" stroke-dasharray="4 3"/>${endMark}<title>budget ${xml(formatDuration((row.budget.to - row.budget.from) * 1000))}, to ${xml(offset(row.budget.to))}${cut ? ' (past the end of this scale)' : ''}</title></g>`,
      );
    }
  });
  // Waits first, so an attempt drawn in the same place stays visible.
  for (const b of [...t.bars].sort((a, b2) => Number(b2.kind === 'wait') - Number(a.kind === 'wait'))) {
    const y = TOP + b.row * ROW_HEIGHT + 18;
    const x0 = X(b.from);
    const w = Math.max(2, X(b.to) - x0);
    const fill = b.kind === 'wait' ? 'url(#hatch-wait)' : b.kind === 'operator' ? c.barOperator : b.ok ? c.barOk : c.barBad;
    const stroke = b.kind === 'wait' ? c.wait : c.ink;
    const result = b.kind === 'attempt' ? (b.ok ? ', succeeded' : ', failed') : '';
    parts.push(
      `<rect class="bar ${b.kind}${b.kind === 'attempt' ? (b.ok ? ' ok' : ' failed') : ''}" x="${n1(x0)}" y="${y}" width="${n1(w)}" height="12" rx="2" fill="${fill}" stroke="${stroke}" stroke-width="0.5" data-step="${xml(b.step ?? '')}"${b.attempt !== null ? ` data-attempt="${b.attempt}"` : ''} data-from-s="${n3(b.from)}" data-to-s="${n3(b.to)}"><title>${xml(b.label)}: ${xml(offset(b.from))} to ${xml(offset(b.to))} (${xml(formatDuration((b.to - b.from) * 1000))})${result}</title></rect>`,
    );
  }
  // Vertical marks: T0, the run's start, resumes and interruptions, the end, the RTO.
  const vline = (cls: string, s: number, colour: string, label: string, dash: string, width: number, labelY: number, data = ''): string => {
    const x = X(s);
    const anchor = x > PLOT_RIGHT - 120 ? 'end' : 'start';
    const tx = anchor === 'end' ? x - 4 : x + 4;
    return `<g class="${cls}" data-at-s="${n3(s)}"${data}><line x1="${n1(x)}" x2="${n1(x)}" y1="${TOP - 20}" y2="${plotBottom + 4}" stroke="${colour}" stroke-width="${width}"${dash ? ` stroke-dasharray="${dash}"` : ''}/><text x="${n1(tx)}" y="${labelY}" font-size="12" font-weight="600" fill="${colour === c.gap ? c.muted : colour}" text-anchor="${anchor}">${xml(label)}</text></g>`;
  };
  parts.push(vline('t0', 0, c.ink, 'T0 incident', '', 2, plotBottom + 18));
  if (t.runStart > 0) parts.push(vline('run-start', t.runStart, c.muted, 'run started', '2 2', 1, plotBottom + 30));
  for (const m of t.marks)
    parts.push(vline(`mark ${m.kind}`, m.at, m.kind === 'interrupted' ? c.bad : c.rpo, m.label, '3 2', 1.5, plotBottom + 30));
  const recovered = r.status === 'succeeded';
  parts.push(
    vline(
      'end',
      r.elapsed_s,
      recovered ? c.ok : c.muted,
      recovered ? `recovered ${offset(r.elapsed_s)}` : `${r.status.replace('_', ' ')} ${offset(r.elapsed_s)}`,
      '',
      2,
      plotBottom + 18,
    ),
  );
  if (t.rto !== null) {
    if (rtoOffScale) {
      parts.push(
        `<g class="rto off-scale" data-at-s="${t.rto}"><text x="${PLOT_RIGHT}" y="${TOP - 44}" font-size="12" font-weight="600" fill="${c.rto}" text-anchor="end">RTO ${xml(formatDuration(t.rto * 1000))} at ${xml(offset(t.rto))}, beyond this scale →</text></g>`,
      );
    } else {
      parts.push(vline('rto', t.rto, c.rto, `RTO ${formatDuration(t.rto * 1000)}`, '6 4', 3, TOP - 44));
    }
  }
  const scale = segments.map((s) => `${n3(s.from)}:${n3(s.to)}:${n3(s.x0)}:${n3(s.x1)}`).join(' ');
  const svg = `<svg class="timeline" role="img" aria-labelledby="timeline-title timeline-desc" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" data-scale="${scale}" font-family="system-ui,-apple-system,'Segoe UI',Roboto,sans-serif" xmlns="http://www.w3.org/2000/svg">
<title id="timeline-title">Timeline of ${xml(r.run_id)} from the incident start (T0)</title>
<desc id="timeline-desc">${xml(describeTimeline(r, t))}</desc>
${parts.join('\n')}
</svg>`;
  const legend = [
    ['sw-ok', 'attempt that succeeded'],
    ['sw-bad', 'attempt that failed'],
    ['sw-op', "operator's time on a manual step"],
    ['sw-wait', 'waiting for an answer'],
    ['sw-budget', 'budget'],
    ['sw-rto', 'RTO'],
    ...(t.rpo ? [['sw-rpo', 'RPO window before T0 (own scale)']] : []),
    ...(t.gaps.length ? [['sw-gap', 'drctl not running (interrupted)']] : []),
  ]
    .map(([cls, text]) => `<li><span class="swatch ${cls}" aria-hidden="true"></span>${xml(text!)}</li>`)
    .join('');
  return `<section class="timeline">
<h2>Timeline</h2>
<figure><div class="timeline-box">${svg}</div>
<figcaption>Every step and each of its attempts from T0, the incident start (${xml(r.incident_start)}). The time before T0 and a long wait before the run are drawn at their own, smaller scale; the table below holds the same facts.</figcaption>
<ul class="legend">${legend}</ul></figure>
${timelineTable(r, t)}
</section>`;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function describeTimeline(r: Report, t: Timeline): string {
  const attempts = t.bars.filter((b) => b.kind === 'attempt').length;
  const parts = [
    `T0 is ${r.incident_start}.`,
    t.runStart > 0 ? `The run started at ${offset(t.runStart)}.` : 'The run started at T0.',
    `${t.rows.filter((row) => row.step !== null).length} steps, ${attempts} command attempts.`,
    r.status === 'succeeded'
      ? `Recovered at ${offset(r.elapsed_s)}.`
      : `The run ended ${r.status.replace('_', ' ')} at ${offset(r.elapsed_s)}.`,
  ];
  if (t.rto !== null) parts.push(`The RTO (${formatDuration(t.rto * 1000)}) falls at ${offset(t.rto)}.`);
  if (t.rpo)
    parts.push(
      `The RPO window is ${formatDuration(t.rpo.target * 1000)} before T0; the backup used (${t.rpo.evidence}) is from ${offset(t.rpo.backup)}.`,
    );
  if (t.marks.length) parts.push(t.marks.map((m) => `${m.label} at ${offset(m.at)}`).join('; ') + '.');
  parts.push('The table after the chart lists every bar and mark.');
  return parts.join(' ');
}

function timelineTable(r: Report, t: Timeline): string {
  const rows: string[] = [];
  const row = (what: string, step: string, from: number, to: number | null, result: string): void => {
    rows.push(
      `<tr><th scope="row">${xml(what)}</th><td data-label="Step">${step}</td><td data-label="From" class="num">${xml(offset(from))}</td><td data-label="To" class="num">${to === null ? '-' : xml(offset(to))}</td><td data-label="Duration" class="num">${to === null ? '-' : xml(formatDuration((to - from) * 1000))}</td><td data-label="Result">${result}</td></tr>`,
    );
  };
  if (t.rpo) {
    row('RPO window', '-', -t.rpo.target, 0, `RPO ${xml(formatDuration(t.rpo.target * 1000))}`);
    row('Backup used', '-', t.rpo.backup, null, `<code>${xml(t.rpo.evidence)}</code>`);
  }
  row('Incident start (T0)', '-', 0, null, xml(r.incident_start));
  row('Run started', '-', t.runStart, null, xml(r.started_at));
  const stepCell = (id: string | null): string => {
    if (id === null) return 'the run';
    const s = t.rows.find((w) => w.step === id);
    return s ? `${xml(s.label)} <code>${xml(id)}</code>` : `<code>${xml(id)}</code>`;
  };
  const events = [
    ...t.bars.map((b) => ({
      at: b.from,
      order: 1,
      add: () =>
        row(
          b.kind === 'attempt'
            ? `Attempt ${b.attempt ?? ''}`
            : b.kind === 'operator'
              ? 'Operator (manual step)'
              : b.answers
                ? `Waiting for ${b.answers.count} answers`
                : 'Waiting for an answer',
          stepCell(b.step),
          b.from,
          b.to,
          b.kind === 'attempt'
            ? b.ok
              ? '<span class="ok">succeeded</span>'
              : '<span class="bad">failed</span>'
            : b.kind === 'wait'
              ? b.answers
                ? `${xml(formatDuration(b.answers.waited * 1000))} waiting in all; each question is in Decisions`
                : xml(b.label.replace(/^waiting for an answer: /, ''))
              : '-',
        ),
    })),
    ...t.rows
      .filter((w) => w.budget)
      .map((w) => ({
        at: w.budget!.from,
        order: 0,
        add: () =>
          row('Budget', stepCell(w.step), w.budget!.from, w.budget!.to, xml(formatDuration((w.budget!.to - w.budget!.from) * 1000))),
      })),
    ...t.marks.map((m) => ({
      at: m.at,
      order: 2,
      add: () => row(m.kind === 'interrupted' ? 'Interrupted' : 'Resumed', '-', m.at, null, xml(m.label)),
    })),
    ...t.gaps.map((g) => ({ at: g.from, order: 3, add: () => row('drctl not running', '-', g.from, g.to, '-') })),
  ].sort((a, b) => a.at - b.at || a.order - b.order);
  for (const e of events) e.add();
  const timed = new Set(t.bars.filter((b) => b.kind !== 'wait').map((b) => b.step));
  for (const row2 of t.rows) {
    if (row2.step !== null && !timed.has(row2.step)) {
      rows.push(
        `<tr><th scope="row">Not timed</th><td data-label="Step">${stepCell(row2.step)}</td><td data-label="From" class="num">-</td><td data-label="To" class="num">-</td><td data-label="Duration" class="num">-</td><td data-label="Result">${xml(row2.status)}</td></tr>`,
      );
    }
  }
  row(r.status === 'succeeded' ? 'Recovered' : `Run ended (${r.status.replace('_', ' ')})`, '-', r.elapsed_s, null, xml(r.outcome));
  if (t.rto !== null) row('RTO', '-', t.rto, null, r.rto ? xml(r.rto.verdict) : '-');
  return `<table class="reflow timeline-table">
<caption>The timeline as a table: every bar and mark, times from T0</caption>
<thead><tr><th scope="col">What</th><th scope="col">Step</th><th scope="col">From</th><th scope="col">To</th><th scope="col">Duration</th><th scope="col">Result</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table>`;
}

// ---------------------------------------------------------------------------------------------
// The after-action record

function section(id: string, heading: string, content: string, cls = ''): string {
  return `<section class="${id}${cls ? ` ${cls}` : ''}">\n<h2>${xml(heading)}</h2>\n${content}\n</section>`;
}

/** A table of rows each with a header cell (scope="row") and a value. */
function factsTable(caption: string, rows: Array<[string, string]>): string {
  const body = rows.map(([k, v]) => `<tr><th scope="row">${xml(k)}</th><td>${v}</td></tr>`).join('\n');
  return `<table class="facts">\n<caption>${xml(caption)}</caption>\n<tbody>\n${body}\n</tbody></table>`;
}

/** A table with column headers; each cell is already HTML. */
function gridTable(cls: string, caption: string, headers: string[], rows: string[][], rowClass: (i: number) => string = () => ''): string {
  const head = headers.map((h) => `<th scope="col">${xml(h)}</th>`).join('');
  const body = rows
    .map((cells, i) => {
      const cls2 = rowClass(i);
      const tds = cells.map((cell, j) => (j === 0 ? `<th scope="row">${cell}</th>` : `<td data-label="${xml(headers[j]!)}">${cell}</td>`));
      return `<tr${cls2 ? ` class="${cls2}"` : ''}>${tds.join('')}</tr>`;
    })
    .join('\n');
  return `<table class="reflow ${cls}">\n<caption>${xml(caption)}</caption>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>`;
}

const code = (text: string): string => `<code>${xml(text)}</code>`;
const orDash = (text: string | null | undefined): string => (text ? xml(text) : '-');

function factsHtml(r: Report): string {
  const rows: Array<[string, string]> = [
    ['Mode', xml(r.mode)],
    ['Incident start (T0)', xml(r.incident_start) + xml(correctionText(r))],
    ['Started / finished', `${xml(r.started_at)} / ${orDash(r.finished_at)}`],
    ['Outcome', xml(r.outcome)],
    ['Exit code', r.exit_code === null ? '-' : String(r.exit_code)],
    ['Running / waiting for the operator', `${fmt(r.time.running_s)} / ${fmt(r.time.waiting_for_operator_s)}`],
  ];
  const { tool, runbook_file: file, scope } = r;
  rows.push(
    ['Tool', `${xml(tool.name)} ${tool.version === null ? '(version unknown)' : xml(tool.version)}`],
    ['Runbook file', `${code(file.path)}, version ${orDash(file.version)}<br>sha256 ${code(file.digest)}`],
    [
      'Scope',
      [
        `environment ${orDash(scope.environment)}`,
        `severity ${orDash(scope.severity)}`,
        `owner ${orDash(scope.owner)}`,
        `tags ${scope.tags.length ? scope.tags.map(xml).join(', ') : '-'}`,
      ].join('; '),
    ],
    [
      'Journal',
      `${r.journal.entries} entries; head ${r.journal.head ? code(r.journal.head) : 'not chained (a journal of an earlier drctl)'}`,
    ],
    ['Drill every', r.drill_every_s === null ? 'not set' : xml(formatInterval(r.drill_every_s * 1000))],
    ['Next drill due', orDash(r.next_drill_due)],
  );
  return section('facts', 'Run facts', factsTable('The run: when, what and with which tool', rows), 'after-action');
}

function peopleHtml(r: Report): string {
  const parts: string[] = [];
  parts.push(
    r.operators.length
      ? gridTable(
          'operators',
          'Operators: who ran each session (the start, then every resume)',
          ['Session', 'At', 'Operator', 'Terminal', 'drctl'],
          r.operators.map((o, i) => [
            `${i + 1}. ${xml(o.session)}`,
            xml(o.at),
            xml(who(o.user, o.host)),
            orDash(o.terminal),
            orDash(o.version),
          ]),
        )
      : '<p>No operator session was recorded.</p>',
  );
  parts.push(
    r.participants.length
      ? gridTable(
          'participants',
          'Participants and their roles',
          ['Name', 'Role', 'Added at', 'Added by'],
          r.participants.map((p) => [xml(p.name), orDash(p.role), xml(p.at), orDash(p.added_by)]),
        )
      : '<p>No participants were named.</p>',
  );
  return section('people', 'People', parts.join('\n'));
}

function stepsHtml(r: Report): string {
  const steps = r.steps;
  const headers = ['Step', 'Status', 'Confirmed by', 'Attempts', 'Budget', 'Actual', 'Budget kept'];
  const rows = steps.map((s, i) => {
    const status = `${xml(stepStatus(s))}${s.reason ? `<br><small>${xml(s.reason)}</small>` : ''}${s.error_tail ? `<pre>${xml(s.error_tail)}</pre>` : ''}${checklistHtml(s)}`;
    const kept = s.budget_s === null || actualSeconds(s) === null ? '-' : s.over_budget ? '<span class="bad">over</span>' : 'within';
    return [
      `${i + 1}. ${xml(s.title)}<br>${code(s.id)}`,
      status,
      orDash(s.confirmed_by),
      String(s.attempts),
      fmt(s.budget_s),
      fmt(actualSeconds(s)),
      kept,
    ];
  });
  return section(
    'steps',
    'Steps',
    gridTable('steps', 'Every step: status, attempts, budget and actual time', headers, rows, (i) => xml(steps[i]!.status)),
  );
}

function attemptsHtml(r: Report): string {
  const steps = r.steps.filter((s) => s.attempt_log.length > 0);
  if (steps.length === 0) return section('attempts', 'Attempts', '<p>No command or action ran.</p>');
  const rows: string[][] = [];
  for (const s of steps)
    for (const a of s.attempt_log) {
      const tail = a.error_tail ?? (attemptOk(s, a) ? null : a.output_tail);
      rows.push([
        `${xml(s.title)} ${code(s.id)} #${a.attempt}`,
        xml(a.started_at),
        xml(a.finished_at),
        xml(formatDuration(a.duration_s * 1000)),
        a.exit_code === null ? '-' : String(a.exit_code),
        `${attemptOk(s, a) ? '<span class="ok">succeeded</span>' : `<span class="bad">failed</span>${a.error ? `: ${xml(a.error)}` : a.exit_code !== null ? `: exit code ${a.exit_code}` : ''}`}${tail ? `<pre>${xml(tail)}</pre>` : ''}`,
      ]);
    }
  return section(
    'attempts',
    'Attempts',
    gridTable(
      'attempts',
      'Each attempt of each step, with its exit code and the tail of its error output',
      ['Attempt', 'Started', 'Finished', 'Duration', 'Exit code', 'Result'],
      rows,
    ),
  );
}

function decisionsHtml(r: Report): string {
  if (r.decisions.length === 0) return section('decisions', 'Decisions', '<p>drctl asked nothing during this run.</p>');
  const rows = r.decisions.map((d) => [
    xml(d.at),
    d.step === null ? 'the run' : code(d.step),
    xml(d.question),
    `<strong>${xml(d.answer)}</strong>`,
    xml(formatDuration(d.wait_s * 1000)),
    orDash(d.by),
  ]);
  return section(
    'decisions',
    'Decisions',
    gridTable('decisions', 'Every prompt and its answer', ['At', 'Step', 'Question', 'Answer', 'Waited', 'By'], rows),
  );
}

function checklistHtml(s: ReportStep): string {
  if (!s.checklist?.length) return '';
  const items = s.checklist.map(
    (i) => `<li class="${i.answer}">${xml(i.text)} <small>(${i.answer}, ${xml(i.at)}${i.by ? `, ${xml(i.by)}` : ''})</small></li>`,
  );
  return `<ul class="checklist">${items.join('')}</ul>`;
}

function interruptionsHtml(r: Report): string {
  if (r.interruptions.length === 0) return section('interruptions', 'Interruptions and resumes', '<p>The run was not interrupted.</p>');
  const rows = r.interruptions.map((i) => [
    xml(i.at),
    i.step === null ? '-' : code(i.step),
    `${xml(i.cause)}${i.signal ? ` (${xml(i.signal)})` : ''}`,
    i.resumed_at ? xml(i.resumed_at) : '<span class="warn">not resumed</span>',
  ]);
  return section(
    'interruptions',
    'Interruptions and resumes',
    gridTable('interruptions', 'When drctl stopped and when the run was resumed', ['At', 'Step', 'Cause', 'Resumed at'], rows),
  );
}

function integrityHtml(r: Report): string {
  if (r.integrity.length === 0) return '';
  const rows = r.integrity.map((i, n) => {
    const line = integrityLines(r)[n]!;
    const result = line.ok === null ? xml(line.text) : `<span class="${line.ok ? 'ok' : 'bad'}">${xml(line.text)}</span>`;
    return [code(i.step), xml(i.at), orDash(i.database), orDash(i.compared_with), result];
  });
  return section(
    'integrity',
    'Integrity',
    gridTable(
      'integrity',
      'Data fingerprints and what they were compared with',
      ['Step', 'At', 'Database', 'Compared with', 'Result'],
      rows,
    ),
  );
}

function cleanupHtml(r: Report): string {
  if (r.cleanup.length === 0) return '';
  const rows = r.cleanup.map((item) => [
    code(item.path),
    xml(item.kind),
    code(item.step),
    `<span class="${item.status === 'failed' ? 'bad' : item.status === 'pending' ? 'warn' : 'ok'}">${xml(item.status)}</span>${item.error ? `<br>${xml(item.error)}` : ''}`,
    orDash(item.at),
  ]);
  return section(
    'cleanup',
    'Cleanup ledger',
    gridTable('cleanup', 'What the run made and what became of it', ['Path', 'Kind', 'Step', 'Status', 'At'], rows),
  );
}

function notesHtml(r: Report): string {
  if (r.notes.length === 0) return '';
  const items = r.notes.map((n) => `<li>${xml(n.at)}, ${xml(n.user)}@${xml(n.host)}: <span class="note">${xml(n.text)}</span></li>`);
  return section('notes', 'Notes', `<ul class="plain">\n${items.join('\n')}\n</ul>`);
}

function reviewHtml(r: Report): string {
  const parts: string[] = [];
  parts.push(
    r.findings.length
      ? gridTable(
          'findings',
          'Findings',
          ['#', 'Finding', 'At', 'By'],
          r.findings.map((f, i) => [String(i + 1), xml(f.text), xml(f.at), xml(f.by)]),
        )
      : '<p>No findings recorded.</p>',
  );
  parts.push(
    r.remediation.length
      ? gridTable(
          'remediation',
          'Remediation: what will be done, by whom, by when',
          ['#', 'Action', 'Owner', 'Due', 'Recorded'],
          r.remediation.map((m, i) => [String(i + 1), xml(m.text), orDash(m.owner), orDash(m.due), `${xml(m.at)} by ${xml(m.by)}`]),
        )
      : '<p>No remediation recorded.</p>',
  );
  parts.push(
    r.sign_offs.length
      ? gridTable(
          'sign-offs',
          'Sign-offs: each covers the journal up to the head hash it names',
          ['Name', 'Role', 'At', 'By', 'Covers'],
          r.sign_offs.map((s) => [xml(s.name), orDash(s.role), xml(s.at), xml(s.by), s.covers ? code(s.covers) : '-']),
        )
      : '<p>Not signed off.</p>',
  );
  return section('review', 'Review: findings, remediation and sign-off', parts.join('\n'));
}

// ---------------------------------------------------------------------------------------------
// History: this run among the runbook's past drills and runs

const HISTORY_SHOWN = 20;

function historyHtml(r: Report, h: RunbookHistory): string {
  if (h.runs.length < 2) return '';
  const runs = h.runs.slice(-HISTORY_SHOWN);
  const W = WIDTH;
  const H = 230;
  const left = 64;
  const right = W - 16;
  const top = 20;
  const bottom = H - 44;
  const max = Math.max(1, ...runs.map((run) => Math.max(run.elapsed_s, run.rto_target_s ?? 0))) * 1.1;
  const y = (s: number): number => bottom - (s / max) * (bottom - top);
  const slot = (right - left) / runs.length;
  const parts: string[] = [];
  const step = NICE.find((n) => max / n <= 5) ?? 86400;
  for (let v = 0; v <= max; v += step) {
    parts.push(
      `<line x1="${left}" x2="${right}" y1="${n1(y(v))}" y2="${n1(y(v))}" stroke="${c.rule}" stroke-width="1"/><text x="${left - 6}" y="${n1(y(v) + 4)}" font-size="12" fill="${c.muted}" text-anchor="end">${xml(formatDuration(v * 1000))}</text>`,
    );
  }
  runs.forEach((run, i) => {
    const x = left + i * slot + slot * 0.2;
    const w = Math.max(2, slot * 0.6);
    const current = run.run_id === r.run_id;
    const fill = run.rto_met === true ? c.barOk : run.rto_met === false ? c.barBad : c.gap;
    const verdict = run.rto_met === true ? 'RTO met' : run.rto_met === false ? 'RTO missed' : `${run.status.replace('_', ' ')}, no verdict`;
    parts.push(
      `<rect class="history-bar${current ? ' current' : ''}" data-run="${xml(run.run_id)}" x="${n1(x)}" y="${n1(y(run.elapsed_s))}" width="${n1(w)}" height="${n1(bottom - y(run.elapsed_s))}" fill="${fill}" stroke="${c.ink}" stroke-width="${current ? 3 : 0.5}"><title>${xml(run.run_id)} (${xml(run.mode)}): ${xml(formatDuration(run.elapsed_s * 1000))} from the incident start, ${xml(verdict)}</title></rect>`,
    );
    if (run.rto_target_s !== null)
      parts.push(
        `<line class="history-rto" x1="${n1(x - slot * 0.15)}" x2="${n1(x + w + slot * 0.15)}" y1="${n1(y(run.rto_target_s))}" y2="${n1(y(run.rto_target_s))}" stroke="${c.rto}" stroke-width="3" stroke-dasharray="6 3"/>`,
      );
    if (runs.length <= 12 || i % Math.ceil(runs.length / 12) === 0 || current)
      parts.push(
        `<text x="${n1(x + w / 2)}" y="${bottom + 16}" font-size="12" fill="${current ? c.ink : c.muted}" font-weight="${current ? 700 : 400}" text-anchor="middle">${xml(run.started_at.slice(5, 10))}</text>`,
      );
    if (current)
      parts.push(
        `<text x="${n1(x + w / 2)}" y="${bottom + 32}" font-size="12" font-weight="700" fill="${c.ink}" text-anchor="middle">this run</text>`,
      );
  });
  parts.push(`<line x1="${left}" x2="${right}" y1="${bottom}" y2="${bottom}" stroke="${c.ink}" stroke-width="1"/>`);
  const desc = `Time from the incident start to the end of each of the last ${runs.length} drills and real runs of ${h.runbook}, oldest first, with each run's RTO as a dashed line: ${runs
    .map(
      (run) =>
        `${run.started_at.slice(0, 10)} ${formatDuration(run.elapsed_s * 1000)}${run.rto_met === true ? ' (met)' : run.rto_met === false ? ' (missed)' : ' (no verdict)'}`,
    )
    .join(', ')}.`;
  const svg = `<svg class="history" role="img" aria-labelledby="history-title history-desc" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="system-ui,-apple-system,'Segoe UI',Roboto,sans-serif" xmlns="http://www.w3.org/2000/svg">
<title id="history-title">The RTO achieved by past runs of ${xml(h.runbook)}</title>
<desc id="history-desc">${xml(desc)}</desc>
${parts.join('\n')}
</svg>`;
  const runRows = runs.map((run) => [
    `${code(run.run_id)}${run.run_id === r.run_id ? ' (this run)' : ''}`,
    xml(run.started_at),
    xml(run.mode),
    xml(run.status.replace('_', ' ')),
    xml(formatDuration(run.elapsed_s * 1000)),
    run.rto_target_s === null ? '-' : xml(formatDuration(run.rto_target_s * 1000)),
    run.rto_met === null ? 'no verdict' : run.rto_met ? '<span class="ok">met</span>' : '<span class="bad">missed</span>',
    run.rpo_s === null
      ? '-'
      : `${xml(formatDuration(run.rpo_s * 1000))}${run.rpo_met === null ? '' : run.rpo_met ? ', <span class="ok">met</span>' : ', <span class="bad">missed</span>'}`,
  ]);
  const stepRows = h.steps.map((st) => [
    `${xml(st.title)} ${code(st.id)}`,
    String(st.runs),
    fmt(st.median_s),
    `${fmt(st.p90_s)}${st.p90_over_budget ? ' <span class="bad">over budget</span>' : ''}`,
    fmt(st.budget_s),
    st.suggested_budget === null ? '-' : xml(st.suggested_budget),
    st.regression
      ? `<span class="bad">slower</span>: ${xml(formatDuration(st.regression.newest_s * 1000))} against a median of ${xml(formatDuration(st.regression.earlier_median_s * 1000))} over ${st.regression.earlier_runs} earlier runs`
      : '-',
  ]);
  return section(
    'history',
    'History',
    `<p>${h.drills} drills and ${h.real_runs} real runs of <code>${xml(h.runbook)}</code> up to this one${h.runs.length > runs.length ? `; the chart shows the last ${runs.length}` : ''}.</p>
<figure><div class="timeline-box">${svg}</div>
<figcaption>The time from the incident start to each run's end, oldest first; green met its RTO, red missed it, grey recovered nothing. The dashed line is each run's RTO.</figcaption></figure>
${gridTable('history-runs', 'Past runs: the RTO and RPO each achieved', ['Run', 'Started', 'Mode', 'Status', 'RTO achieved', 'RTO', 'Verdict', 'RPO achieved'], runRows)}
${gridTable('history-steps', 'Each step over the past runs it succeeded in: median and p90 against its budget', ['Step', 'Runs', 'Median', 'p90', 'Budget', 'Suggested budget', 'Regression'], stepRows)}`,
  );
}
