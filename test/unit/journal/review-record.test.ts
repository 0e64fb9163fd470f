import { describe, expect, it } from 'vitest';
import type { JournalEntry, JournalEntryBody } from '../../../src/journal/entries.js';
import { hasEntryFields, isJournalEntryType } from '../../../src/journal/entries.js';
import { rebuildRun } from '../../../src/journal/record.js';
import { buildReport } from '../../../src/report/build.js';
import { dateProblem, parsePerson, parseRemediation, textProblem } from '../../../src/util/record-text.js';

/** The run's facts (tool, runbook file, scope), who took part, and the review after the end, as the record and report.json keep them. */

let second = 0;
const at = (body: JournalEntryBody): JournalEntry =>
  ({ ...body, t: new Date(Date.UTC(2026, 10, 29, 3, 0, second++)).toISOString() }) as JournalEntry;

const WHO = { user: 'ana', host: 'ops-1', terminal: 'pts/1' };

function started(extra: Partial<Extract<JournalEntryBody, { type: 'run.started' }>> = {}): JournalEntry {
  second = 0;
  return at({
    type: 'run.started',
    run_id: 'rv-1',
    runbook: 'rv',
    title: 'Reviewed',
    file: '/dr/rv.yaml',
    digest: 'abc123',
    mode: 'drill',
    incident_start: '2026-11-29T02:50:00.000Z',
    inputs: {},
    secret_inputs: [],
    objectives: { rto_ms: 3_600_000, rpo_ms: null },
    options: { yes: false, accept_manual: false, start_at: null, reports: [] },
    steps: [{ id: 'one', title: 'One', budget_ms: null }],
    pid: 100,
    operator: WHO,
    ...extra,
  });
}

function ended(): JournalEntry[] {
  return [
    at({ type: 'step.started', step: 'one', number: 1, kind: 'run' }),
    at({
      type: 'step.finished',
      step: 'one',
      number: 1,
      status: 'succeeded',
      attempts: 1,
      exit_code: 0,
      duration_ms: 1000,
      waiting_ms: 0,
      over_budget: false,
      outputs: {},
      reason: null,
      redacted_outputs: [],
      budget_ms: null,
    }),
    at({ type: 'run.finished', status: 'succeeded', exit_code: 0 }),
  ];
}

describe('run facts in the report', () => {
  it('names the drctl of each session, the runbook file with its version, and the scope', () => {
    const entries = [
      started({
        tool_version: '1.4.0',
        runbook_version: '2.3',
        scope: { environment: 'staging', severity: 'P1', owner: 'dba-team', tags: ['db', 'drill'] },
      }),
      at({ type: 'run.interrupted', signal: 'SIGINT' }),
      at({
        type: 'run.resumed',
        pid: 101,
        operator: { user: 'bo', host: 'ops-2', terminal: 'pts/2' },
        tool_version: '1.4.1',
        in_flight: null,
        torn_tail: false,
        forced: false,
        preflight: 'ran',
        steps: [{ id: 'one', title: 'One', budget_ms: null }],
      }),
      ...ended(),
    ];
    const report = buildReport(rebuildRun(entries));
    expect(report.tool).toEqual({ name: 'drctl', version: '1.4.0' });
    expect(report.operators.map((o) => [o.session, o.user, o.version])).toEqual([
      ['run', 'ana', '1.4.0'],
      ['resume', 'bo', '1.4.1'],
    ]);
    expect(report.runbook_file).toEqual({ path: '/dr/rv.yaml', digest: 'abc123', version: '2.3' });
    expect(report.scope).toEqual({ environment: 'staging', severity: 'P1', owner: 'dba-team', tags: ['db', 'drill'] });
  });

  it('a journal of an earlier version (no versions, no scope) still reads: the facts it lacks are null', () => {
    const report = buildReport(rebuildRun([started(), ...ended()]));
    expect(report.tool).toEqual({ name: 'drctl', version: null });
    expect(report.operators[0]!.version).toBeNull();
    expect(report.runbook_file).toEqual({ path: '/dr/rv.yaml', digest: 'abc123', version: null });
    expect(report.scope).toEqual({ environment: null, severity: null, owner: null, tags: [] });
    expect([report.participants, report.findings, report.remediation, report.sign_offs]).toEqual([[], [], [], []]);
  });
});

describe('participants and the review in the record', () => {
  it('are new entry types the reader accepts', () => {
    for (const type of ['participant.added', 'review.finding', 'review.remediation', 'review.sign_off'])
      expect(isJournalEntryType(type), type).toBe(true);
  });

  it('keeps participants, findings, remediation and sign-offs in order with who wrote them, and none moves the run’s last event', () => {
    const run = [
      started(),
      at({ type: 'participant.added', name: 'Ada Lovelace', role: 'incident commander', who: WHO }),
      at({ type: 'participant.added', name: 'Bob', role: null, who: WHO }),
      ...ended(),
    ];
    const before = rebuildRun(run);
    const review = [
      at({ type: 'review.finding', text: 'restore took 3x its budget', user: 'cy', host: 'desk-3' }),
      at({ type: 'review.remediation', text: 'raise the S3 quota', owner: 'Ada', due: '2026-12-15', user: 'cy', host: 'desk-3' }),
      at({ type: 'review.remediation', text: 'write it down', owner: null, due: null, user: 'cy', host: 'desk-3' }),
      at({ type: 'review.sign_off', name: 'Grace Hopper', role: 'head of ops', covers: 'f'.repeat(64), user: 'gh', host: 'desk-4' }),
    ];
    const record = rebuildRun([...run, ...review]);
    expect(record.lastEventAt).toBe(before.lastEventAt);
    const report = buildReport(record);
    expect(report.elapsed_s).toBe(buildReport(before).elapsed_s);
    expect(report.participants).toEqual([
      { name: 'Ada Lovelace', role: 'incident commander', at: run[1]!.t, added_by: 'ana@ops-1' },
      { name: 'Bob', role: null, at: run[2]!.t, added_by: 'ana@ops-1' },
    ]);
    expect(report.findings).toEqual([{ at: review[0]!.t, by: 'cy@desk-3', text: 'restore took 3x its budget' }]);
    expect(report.remediation).toEqual([
      { at: review[1]!.t, by: 'cy@desk-3', text: 'raise the S3 quota', owner: 'Ada', due: '2026-12-15' },
      { at: review[2]!.t, by: 'cy@desk-3', text: 'write it down', owner: null, due: null },
    ]);
    expect(report.sign_offs).toEqual([
      { at: review[3]!.t, name: 'Grace Hopper', role: 'head of ops', by: 'gh@desk-4', covers: 'f'.repeat(64) },
    ]);
  });

  it('a line with a field missing or of the wrong type is not an entry (the reader names it as damaged)', () => {
    const bad: Array<Record<string, unknown>> = [
      { type: 'participant.added', name: 'Ada', role: null },
      { type: 'participant.added', name: 'Ada', role: 3, who: WHO },
      { type: 'participant.added', name: 'Ada', role: null, who: { user: 'ana' } },
      { type: 'review.finding', text: 'x', user: 'ana' },
      { type: 'review.remediation', text: 'x', owner: null, due: '2026-02-30', user: 'a', host: 'h' },
      { type: 'review.remediation', text: 'x', owner: null, due: '15/12/2026', user: 'a', host: 'h' },
      { type: 'review.remediation', text: 'x', owner: 7, due: null, user: 'a', host: 'h' },
      { type: 'review.sign_off', name: 'G', role: null, covers: 12, user: 'a', host: 'h' },
      { type: 'review.sign_off', role: null, covers: null, user: 'a', host: 'h' },
    ];
    for (const entry of bad) expect(hasEntryFields(entry as Parameters<typeof hasEntryFields>[0]), JSON.stringify(entry)).toBe(false);
    expect(hasEntryFields({ type: 'review.remediation', text: 'x', owner: 'o', due: '2028-02-29', user: 'a', host: 'h' })).toBe(true);
  });
});

describe('a try whose times were edited by hand', () => {
  it('still rebuilds: its start is taken as its finish when no time can be worked out, and the report is built', () => {
    const [, finished, end] = ended();
    for (const edit of [{ t: 'yesterday' }, { duration_ms: undefined }, { duration_ms: 1e300 }]) {
      const attempt = {
        ...at({
          type: 'step.attempt',
          step: 'one',
          attempt: 1,
          exit_code: 0,
          duration_ms: 900,
          ended: 'exited',
          error: null,
          stdout_tail: 'ok\n',
          stderr_tail: '',
          truncated: false,
        }),
        ...edit,
      } as JournalEntry;
      const record = rebuildRun([started(), at({ type: 'step.started', step: 'one', number: 1, kind: 'run' }), attempt, finished!, end!]);
      const step = buildReport(record).steps[0]!;
      expect(step.attempt_log).toHaveLength(1);
      expect(step.attempt_log[0]!.started_at).toBe(step.attempt_log[0]!.finished_at);
      expect(step.attempt_log[0]!.output_tail).toBe('ok');
    }
  });
});

describe('the values an operator gives for the record', () => {
  it('"Name, role": the role after the first comma, optional', () => {
    expect(parsePerson('the participant', 'Ada Lovelace, incident commander, acting')).toEqual({
      name: 'Ada Lovelace',
      role: 'incident commander, acting',
    });
    expect(parsePerson('the participant', 'Bob')).toEqual({ name: 'Bob', role: null });
    expect(parsePerson('the participant', ', dba')).toEqual({ problem: "the participant's name is empty" });
    expect(parsePerson('the participant', 'Bob,')).toEqual({ problem: "the participant's role (after the comma) is empty" });
    expect(parsePerson('the participant', 'Bob\u001b[2J')).toEqual({
      problem: "the participant's name holds a control character (U+001B)",
    });
    expect(parsePerson('the participant', 'x'.repeat(201))).toEqual({
      problem: "the participant's name is 201 characters long; it holds at most 200",
    });
  });

  it('a remediation: text, then owner and due in either order; a ";" inside the text stays', () => {
    expect(parseRemediation('raise the quota; owner: Ada; due: 2026-12-15')).toEqual({
      text: 'raise the quota',
      owner: 'Ada',
      due: '2026-12-15',
    });
    expect(parseRemediation('a; b; due: 2026-12-15; OWNER: Ada')).toEqual({ text: 'a; b', owner: 'Ada', due: '2026-12-15' });
    expect(parseRemediation('just do it')).toEqual({ text: 'just do it', owner: null, due: null });
    expect(parseRemediation('x; due: 2026-02-30')).toEqual({ problem: 'its due date 2026-02-30 is not a date of the calendar' });
    expect(parseRemediation('x; due: next week')).toEqual({ problem: 'its due date "next week" is not written YYYY-MM-DD' });
    expect(parseRemediation('x; owner: a; owner: b')).toEqual({ problem: 'it names the owner twice' });
    expect(parseRemediation('; owner: Ada')).toEqual({ problem: 'its text is empty' });
    expect(parseRemediation('x; owner: ')).toEqual({ problem: 'its owner is empty' });
  });

  it('dates and text', () => {
    expect(dateProblem('2028-02-29')).toBeUndefined();
    expect(dateProblem('2027-02-29')).toBe('its due date 2027-02-29 is not a date of the calendar');
    expect(textProblem('the finding', 'tab\there', 100)).toBe('the finding holds a control character (U+0009)');
    expect(textProblem('the finding', 'fine', 100)).toBeUndefined();
  });

  it('a bidirectional override or isolate, or a line separator, is refused: a report would show the text other than the terminal did', () => {
    expect(textProblem('the finding', 'slow \u202erotser', 100)).toBe('the finding holds a bidirectional control character (U+202E)');
    expect(textProblem('the finding', 'a \u2067b\u2069', 100)).toBe('the finding holds a bidirectional control character (U+2067)');
    expect(textProblem('the finding', 'one\u2028two', 100)).toBe('the finding holds a line separator (U+2028)');
    expect(textProblem('the finding', 'one\u2029two', 100)).toBe('the finding holds a line separator (U+2029)');
    expect(parsePerson('the sign-off', 'Eve\u202d, auditor')).toEqual({
      problem: "the sign-off's name holds a bidirectional control character (U+202D)",
    });
    // Names in right-to-left scripts, and the plain marks that only set a direction, stay as given.
    expect(parsePerson('the participant', 'דנה כהן, מנהלת\u200f')).toEqual({ name: 'דנה כהן', role: 'מנהלת\u200f' });
    expect(textProblem('the environment', 'prod-eu \u200e(فرانكفورت)', 100)).toBeUndefined();
  });
});
