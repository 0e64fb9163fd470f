import type { ReportAttempt, ReportStep, RunReport } from './build.js';
import { actualSeconds, verdictFacts } from './build.js';
import { fmt, integrityLines, stepStatus, xml } from './text.js';
import { outcomeText, recovered, rpoLabel, rpoText, rtoLabel, rtoText } from './verdict.js';

/**
 * The JUnit XML report, in two dialects of one content:
 *
 * - `junit`: what CI servers read (Jenkins' junit and xunit plugins, GitLab, GitHub test reporters,
 *   test-results-parser). Valid against the xunit plugin's junit-10.xsd. Each step's output and facts
 *   are in its own `<system-out>`; the failed tries of a step tried again are `<flakyFailure>`
 *   (it then succeeded) or `<rerunFailure>` (it failed in the end), as Maven Surefire writes them.
 * - `junit-ant`: the strict form of Ant's JUnit task, valid against Ant's JUnit XSD (and junit-10.xsd):
 *   one `<testsuite>` root; a test case holds at most one failure or skipped, so the steps' output
 *   and tries are in the suite's `<system-out>` and in the failure's body.
 *
 * The suite's `<properties>` hold the run's facts (ids, times, verdicts, tool and runbook versions,
 * the journal's head hash) and its own `<system-out>` the after-action record (participants,
 * decisions, interruptions, notes, integrity, findings, remediation, sign-offs).
 *
 * Test cases: one per planned step, then `recovery`, then one per objective set (RTO, RPO). Their
 * times: a step's is its own (running time, or the operator's for a manual step); the recovery and
 * objective cases take 0 s, since the time they stand for is the steps' own (their message and
 * output say the elapsed time). So the suite's time is the sum of its cases' times and a reader that
 * adds the cases' times gets the same as one that reads the suite's.
 *
 * Counts on `<testsuite>`: tests (every case), failures, errors (steps a stop cut short: none
 * today, always 0), skipped. `<testsuites>` carries only the name and time: junit-10.xsd has no
 * `skipped` there, and a reader that takes tests and failures from it without skipped counts the
 * skipped steps as passed, where without them it adds up the suites'.
 */
export type JunitDialect = 'junit' | 'junit-ant';

interface Outcome {
  kind: 'pass' | 'failure' | 'skipped';
  type?: string;
  message?: string;
  /** The failure's body: the error output's tail. */
  body?: string;
}

interface Case {
  name: string;
  ms: number;
  outcome: Outcome;
  /** The step's output and facts, for its `<system-out>`. */
  out: string;
  /** Failed tries before the last one (a step tried again). */
  earlier: ReportAttempt[];
}

/** Text for XML 1.0 content: control characters as pictures (text.ts), and the code points XML has no place for replaced. */
function text(value: string): string {
  return xml(value).replace(/[\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** Text for an attribute value: as `text`, with tab, line feed and carriage return as references so a parser keeps them. */
function attr(value: string): string {
  return text(value).replace(/[\t\n\r]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Milliseconds as JUnit seconds: a plain decimal, never an exponent, never negative. */
function seconds(ms: number): string {
  return (Math.max(0, Math.round(ms)) / 1000).toFixed(3);
}

const msOf = (s: number | null | undefined): number => (typeof s === 'number' && Number.isFinite(s) ? Math.round(s * 1000) : 0);

function tryLine(a: ReportAttempt): string {
  const exit = a.exit_code === null ? '' : `, exit code ${a.exit_code}`;
  return `try ${a.attempt} at ${a.started_at}: ${fmt(a.duration_s)}${exit}${a.error ? `, ${a.error}` : ''}`;
}

function stepCase(s: ReportStep): Case {
  const attempts = s.attempt_log;
  const last = attempts.at(-1);
  const out: string[] = [`status: ${stepStatus(s)}`];
  const time = actualSeconds(s);
  if (time !== null)
    out.push(`time: ${fmt(time)}${s.budget_s === null ? '' : ` of a ${fmt(s.budget_s)} budget${s.over_budget ? ', over budget' : ''}`}`);
  if (s.waiting_s) out.push(`waiting for the operator: ${fmt(s.waiting_s)}`);
  if (s.started_at) out.push(`started: ${s.started_at}${s.finished_at ? `, finished: ${s.finished_at}` : ''}`);
  if (s.confirmed_by) out.push(`confirmed by: ${s.confirmed_by}`);
  if (s.attempts > 1) out.push(`tries: ${s.attempts}`);
  for (const a of attempts.length > 1 ? attempts : []) out.push(`  ${tryLine(a)}`);
  if (s.exit_code !== null) out.push(`exit code: ${s.exit_code}`);
  if (s.reason) out.push(`${s.continued ? 'failed, allowed to fail: the run went on' : 'reason'}: ${s.reason}`);
  for (const [key, value] of Object.entries(s.outputs))
    out.push(`output ${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
  for (const item of s.checklist ?? [])
    out.push(`checklist ${item.index}. ${item.text}: ${item.answer}${item.by ? ` by ${item.by}` : ''} at ${item.at}`);
  if (last?.output_tail) out.push('output (last lines):', last.output_tail);
  if (s.error_tail && (s.continued || s.status !== 'failed')) out.push('error output (last lines):', s.error_tail);

  const outcome: Outcome =
    s.status === 'failed' && !s.continued
      ? {
          kind: 'failure',
          type: s.exit_code !== null ? 'exit-code' : 'step-failed',
          message: s.reason ?? 'failed',
          body: s.error_tail ?? last?.error_tail ?? s.reason ?? 'failed',
        }
      : s.status === 'skipped' || s.status === 'not_run'
        ? { kind: 'skipped', message: s.reason ?? (s.status === 'not_run' ? 'not run' : 'skipped') }
        : { kind: 'pass' };
  // A step is tried again only after a try failed: every try before the last failed; the last is the step's own result.
  const earlier = attempts.slice(0, -1);
  return { name: `${s.id}: ${s.title}`, ms: outcome.kind === 'skipped' ? 0 : msOf(time), outcome, out: out.join('\n'), earlier };
}

function objectiveCases(r: RunReport): Case[] {
  const facts = verdictFacts(r);
  const didRecover = recovered(r.status);
  const outcome = outcomeText(facts);
  const recovery: Case = {
    name: 'recovery',
    ms: 0,
    outcome: didRecover ? { kind: 'pass' } : { kind: 'failure', type: 'not-recovered', message: outcome, body: outcome },
    out: `${outcome}; ${fmt(r.elapsed_s)} since the incident start (${r.incident_start}); status: ${r.status}`,
    earlier: [],
  };
  const objective = (label: string, textOf: string, met: boolean, type: string): Case => {
    const line = `${label}: ${textOf}`;
    return {
      name: label,
      ms: 0,
      outcome: !didRecover
        ? { kind: 'skipped', message: line }
        : met
          ? { kind: 'pass' }
          : { kind: 'failure', type, message: line, body: line },
      out: line,
      earlier: [],
    };
  };
  return [
    recovery,
    ...(r.rto ? [objective(rtoLabel(facts), rtoText(facts), r.rto.met, 'rto-missed')] : []),
    ...(r.rpo ? [objective(rpoLabel(facts), rpoText(facts), r.rpo.met, 'rpo-missed')] : []),
  ];
}

function properties(r: RunReport): Array<[string, string]> {
  const props: Array<[string, string | number | null]> = [
    ['run_id', r.run_id],
    ['runbook', r.runbook],
    ['title', r.title],
    ['mode', r.mode],
    ['status', r.status],
    ['outcome', r.outcome],
    ['incident_start', r.incident_start],
    ['started_at', r.started_at],
    ['finished_at', r.finished_at],
    ['elapsed_s', r.elapsed_s],
    ['running_s', r.time.running_s],
    ['waiting_for_operator_s', r.time.waiting_for_operator_s],
    ['exit_code', r.exit_code],
    ['tool_version', r.tool.version],
    ['runbook_path', r.runbook_file.path],
    ['runbook_digest', r.runbook_file.digest],
    ['runbook_version', r.runbook_file.version],
    ['environment', r.scope.environment],
    ['severity', r.scope.severity],
    ['owner', r.scope.owner],
    ['journal_entries', r.journal.entries],
    ['journal_head', r.journal.head],
    ['next_drill_due', r.next_drill_due],
  ];
  if (r.rto) props.push(['rto_target_s', r.rto.target_s], ['rto_verdict', r.rto.verdict]);
  if (r.rpo) props.push(['rpo_target_s', r.rpo.target_s], ['rpo_achieved_s', r.rpo.achieved_s], ['rpo_verdict', r.rpo.verdict]);
  return props.filter((p): p is [string, string | number] => p[1] !== null).map(([k, v]) => [k, String(v)]);
}

/**
 * The after-action record, for the suite's own `<system-out>`: who took part, every question and
 * answer, interruptions, notes, integrity evidence, findings, remediation and sign-offs, and the
 * journal's head hash. Sections without entries are left out.
 */
function afterAction(r: RunReport): string {
  const who = (by: string | null): string => (by ? ` by ${by}` : '');
  const sections: Array<[string, string[]]> = [
    ['operators', r.operators.map((o) => `${o.at} ${o.session}${o.user || o.host ? ` by ${o.user ?? '?'}@${o.host ?? '?'}` : ''}`)],
    ['participants', r.participants.map((p) => `${p.name}${p.role ? `, ${p.role}` : ''} (added ${p.at}${who(p.added_by)})`)],
    [
      'interruptions',
      r.interruptions.map(
        (i) =>
          `${i.at} ${i.cause}${i.signal ? ` (${i.signal})` : ''}${i.step ? ` in ${i.step}` : ''}${i.resumed_at ? `, resumed ${i.resumed_at}` : ', not resumed'}`,
      ),
    ],
    [
      'decisions',
      r.decisions.map((d) => `${d.at}${d.step ? ` [${d.step}]` : ''} ${d.question} -> ${d.answer}${who(d.by)}, after ${fmt(d.wait_s)}`),
    ],
    ['notes', r.notes.map((n) => `${n.at} ${n.user}@${n.host}: ${n.text}`)],
    ['integrity', integrityLines(r).map((i) => `[${i.step}] ${i.text}`)],
    ['findings', r.findings.map((f) => `${f.at} by ${f.by}: ${f.text}`)],
    [
      'remediation',
      r.remediation.map((m) => `${m.at} by ${m.by}: ${m.text}${m.owner ? `; owner ${m.owner}` : ''}${m.due ? `; due ${m.due}` : ''}`),
    ],
    [
      'sign-offs',
      r.sign_offs.map(
        (o) => `${o.at} ${o.name}${o.role ? `, ${o.role}` : ''} (by ${o.by})${o.covers ? `, covering journal head ${o.covers}` : ''}`,
      ),
    ],
  ];
  const journal = `journal: ${r.journal.entries} entries${r.journal.head ? `, head sha256 ${r.journal.head}` : ''}`;
  return [
    `${r.title}: ${r.status}, ${r.outcome}`,
    journal,
    ...sections.filter(([, lines]) => lines.length).map(([name, lines]) => `${name}:\n${lines.map((l) => `  ${l}`).join('\n')}`),
  ].join('\n');
}

/** Ant's timestamp: the UTC time to the second, without a zone (its XSD allows none). */
function antTimestamp(iso: string): string {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? new Date(t).toISOString().slice(0, 19) : '1970-01-01T00:00:00';
}

/** A token for Ant's `name`, `classname` and `hostname` (xs:token, at least one character). */
const token = (value: string | null | undefined, fallback: string): string => (value && value.trim() ? value : fallback);

export function renderJunit(r: RunReport, dialect: JunitDialect = 'junit'): string {
  const cases = [...r.steps.map(stepCase), ...objectiveCases(r)];
  const failures = cases.filter((c) => c.outcome.kind === 'failure').length;
  const skipped = cases.filter((c) => c.outcome.kind === 'skipped').length;
  const totalMs = cases.reduce((sum, c) => sum + c.ms, 0);
  const classname = attr(token(r.runbook, 'drctl'));
  const host = token(r.operators[0]?.host, 'localhost');
  const ant = dialect === 'junit-ant';
  const props = properties(r).map(([k, v]) => `${ant ? '    ' : '      '}<property name="${attr(k)}" value="${attr(v)}"/>`);
  const suiteHead =
    `<testsuite name="${attr(token(r.run_id, 'run'))}" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}"` +
    ` time="${seconds(totalMs)}" timestamp="${ant ? antTimestamp(r.started_at) : attr(r.started_at)}" hostname="${attr(host)}">`;

  const outcomeXml = (o: Outcome, earlier: ReportAttempt[]): string => {
    if (o.kind === 'skipped') return `<skipped message="${attr(o.message ?? '')}"/>`;
    if (o.kind === 'failure') {
      const before = ant && earlier.length ? `${earlier.map(tryLine).join('\n')}\n` : '';
      return `<failure type="${attr(o.type ?? 'failure')}" message="${attr(o.message ?? '')}">${text(before + (o.body ?? ''))}</failure>`;
    }
    return '';
  };
  const pad = ant ? '  ' : '    ';
  const caseXml = (c: Case): string => {
    const head = `${pad}<testcase classname="${classname}" name="${attr(c.name)}" time="${seconds(c.ms)}"`;
    const parts: string[] = [];
    const main = outcomeXml(c.outcome, c.earlier);
    if (main) parts.push(main);
    if (!ant) {
      const tag = c.outcome.kind === 'pass' ? 'flakyFailure' : 'rerunFailure';
      for (const a of c.outcome.kind === 'skipped' ? [] : c.earlier)
        parts.push(
          `<${tag} type="${a.exit_code !== null ? 'exit-code' : 'step-failed'}" message="${attr(tryLine(a))}">${text(a.error_tail ?? a.error ?? '')}</${tag}>`,
        );
      parts.push(`<system-out>${text(c.out)}</system-out>`);
    }
    return parts.length ? `${head}>\n${parts.map((p) => `${pad}  ${p}`).join('\n')}\n${pad}</testcase>` : `${head}/>`;
  };

  const record = afterAction(r);
  const suiteOut = [`== run\n${record}`, ...cases.map((c) => `== ${c.name}\n${c.out}`)].join('\n\n');
  const body = [`${pad}<properties>`, ...props, `${pad}</properties>`, ...cases.map(caseXml)];
  if (ant) {
    return [
      '<?xml version="1.0" encoding="UTF-8"?>',
      suiteHead,
      ...body,
      `  <system-out>${text(suiteOut)}</system-out>`,
      '  <system-err/>',
      '</testsuite>',
      '',
    ].join('\n');
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="drctl" time="${seconds(totalMs)}">`,
    `  ${suiteHead}`,
    ...body,
    `    <system-out>${text(record)}</system-out>`,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
