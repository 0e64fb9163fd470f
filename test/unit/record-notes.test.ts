import { describe, expect, it } from 'vitest';
import type { JournalEntry, JournalEntryBody } from '../../src/journal/entries.js';
import { isJournalEntryType } from '../../src/journal/entries.js';
import { rebuildRun, remainingWork } from '../../src/journal/record.js';
import { buildReport } from '../../src/report/build.js';
import { renderReport } from '../../src/report/render.js';

/** Operators' notes in the run record: kept in order, and nothing else of the run changes. */

let second = 0;
const at = (body: JournalEntryBody): JournalEntry =>
  ({ ...body, t: new Date(Date.UTC(2026, 10, 29, 3, 0, second++)).toISOString() }) as JournalEntry;

function journal(): JournalEntry[] {
  second = 0;
  return [
    at({
      type: 'run.started',
      run_id: 'noted-20261129T030000Z-0001',
      runbook: 'noted',
      title: 'Noted',
      file: '/dr/noted.yaml',
      digest: 'sha256:0',
      mode: 'drill',
      incident_start: '2026-11-29T02:50:00.000Z',
      inputs: {},
      secret_inputs: [],
      objectives: { rto_ms: 3_600_000, rpo_ms: null },
      options: { yes: true, accept_manual: false, start_at: null, reports: [] },
      steps: [
        { id: 'one', title: 'One', budget_ms: null },
        { id: 'two', title: 'Two', budget_ms: null },
      ],
      pid: 100,
    }),
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
    at({ type: 'step.started', step: 'two', number: 2, kind: 'run' }),
  ];
}

const note = (text: string): JournalEntry => at({ type: 'note', text, user: 'ana', host: 'ops-1' });

describe('notes in the run record', () => {
  it('is an entry type the reader accepts', () => {
    expect(isJournalEntryType('note')).toBe(true);
  });

  it('keeps every note in order, with its time, user and host', () => {
    const entries = journal();
    entries.splice(2, 0, note('first'));
    entries.push(note('second'));
    const record = rebuildRun(entries);
    expect(record.notes).toEqual([
      { at: entries[2]!.t, text: 'first', user: 'ana', host: 'ops-1' },
      { at: entries.at(-1)!.t, text: 'second', user: 'ana', host: 'ops-1' },
    ]);
    const report = buildReport(record);
    expect(report.notes).toEqual([
      { at: entries[2]!.t, user: 'ana', host: 'ops-1', text: 'first' },
      { at: entries.at(-1)!.t, user: 'ana', host: 'ops-1', text: 'second' },
    ]);
  });

  it('changes nothing resume needs or a report measures, wherever the notes fall', () => {
    const plain = journal();
    const base = rebuildRun(plain);
    for (let position = 1; position <= plain.length; position++) {
      const entries = journal();
      entries.splice(position, 0, note(`at ${position}`));
      const record = rebuildRun(entries);
      expect(remainingWork(record)).toEqual(remainingWork(base));
      expect(record.inFlight).toEqual(base.inFlight);
      expect(record.steps).toEqual(base.steps);
      // A note is not the run's own doing: the time of the run's last event stays its own.
      if (position === entries.length - 1) expect(record.lastEventAt).toBe(entries[position - 1]!.t);
    }
    // After the end: still finished, with the same end.
    const ended = journal();
    ended.push(at({ type: 'run.finished', status: 'succeeded', exit_code: 0 }));
    const finished = rebuildRun(ended);
    ended.push(note('post-mortem'));
    const noted = rebuildRun(ended);
    expect(remainingWork(noted)).toEqual({ kind: 'finished' });
    expect(noted.finished).toEqual(finished.finished);
    const { notes, ...report } = buildReport(noted);
    const { notes: none, ...without } = buildReport(finished);
    expect(report).toEqual(without);
    expect(none).toEqual([]);
    expect(notes.map((n) => n.text)).toEqual(['post-mortem']);
  });

  it('md and html show the notes, escaped; no notes, no section', () => {
    const entries = journal();
    entries.push(note('a | b <script> `x`'), at({ type: 'run.finished', status: 'succeeded', exit_code: 0 }));
    const report = buildReport(rebuildRun(entries));
    const md = renderReport(report, 'md');
    expect(md).toContain('## Notes\n\n- ');
    expect(md).toContain('ana@ops-1: a \\| b \\<script\\> \\`x\\`');
    const html = renderReport(report, 'html');
    expect(html).toContain('<h2>Notes</h2>');
    expect(html).toContain('a | b &lt;script&gt; `x`');
    expect(html).not.toContain('<script>');
    const quiet = buildReport(rebuildRun(journal()));
    expect(renderReport(quiet, 'md')).not.toContain('## Notes');
    expect(renderReport(quiet, 'html')).not.toContain('Notes');
  });
});

describe('an abandoned run in the record', () => {
  const abandoned = (): JournalEntry =>
    at({ type: 'run.abandoned', user: 'ana', host: 'ops-1', terminal: 'pts/3', reason: 'restored by hand' });

  it('ends as aborted: with its end journaled it is finished, and stopped before it nothing runs again', () => {
    const entries = journal();
    expect(remainingWork(rebuildRun(entries))).toEqual({ kind: 'steps', inFlight: { step: 'two' } });
    entries.push(abandoned());
    const cut = rebuildRun(entries);
    expect(cut.abandoned).toEqual({ at: entries.at(-1)!.t, user: 'ana', host: 'ops-1', terminal: 'pts/3', reason: 'restored by hand' });
    expect(cut.inFlight).toBeUndefined();
    expect(remainingWork(cut)).toEqual({ kind: 'end', status: 'aborted' });
    entries.push(at({ type: 'run.finished', status: 'aborted', exit_code: 4 }));
    const record = rebuildRun(entries);
    expect(remainingWork(record)).toEqual({ kind: 'finished' });
    expect(buildReport(record)).toMatchObject({ status: 'aborted', exit_code: 4 });
    expect(buildReport(record).steps.map((s) => s.status)).toEqual(['succeeded', 'not_run']);
  });

  it('a run abandoned during a rollback does not roll back further', () => {
    const entries = journal();
    entries.push(
      at({ type: 'rollback.started', steps: ['one'] }),
      at({ type: 'rollback.step.started', step: 'one', automatic: true }),
      abandoned(),
    );
    expect(remainingWork(rebuildRun(entries))).toEqual({ kind: 'end', status: 'aborted' });
  });
});

describe('operators in the record', () => {
  it('one per session: the start and every resume; a journal of an earlier version says null', () => {
    const entries = journal();
    const resumed = (operator?: { user: string; host: string; terminal: string }): JournalEntry =>
      at({
        type: 'run.resumed',
        pid: 200,
        in_flight: 'two',
        torn_tail: false,
        forced: false,
        preflight: 'ran',
        steps: [],
        ...(operator ? { operator } : {}),
      });
    entries.push(resumed({ user: 'bo', host: 'ops-2', terminal: 'pts/1' }), resumed());
    const report = buildReport(rebuildRun(entries));
    expect(report.operators).toEqual([
      { session: 'run', at: entries[0]!.t, user: null, host: null, terminal: null, version: null },
      { session: 'resume', at: entries.at(-2)!.t, user: 'bo', host: 'ops-2', terminal: 'pts/1', version: null },
      { session: 'resume', at: entries.at(-1)!.t, user: null, host: null, terminal: null, version: null },
    ]);
  });
});
