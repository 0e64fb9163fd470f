import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readJournal } from '../../src/journal/journal.js';
import { rebuildRun } from '../../src/journal/record.js';
import { buildReport } from '../../src/report/build.js';
import { renderReport } from '../../src/report/render.js';
import { UserError } from '../../src/util/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'drctl-damaged-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T = '2026-11-30T01:49:31.000Z';
const started = {
  type: 'run.started',
  run_id: 'hj-1',
  runbook: 'hj',
  title: 'Hostile journal',
  file: '/tmp/hj.yaml',
  digest: 'd',
  mode: 'real',
  incident_start: '2026-11-30T01:40:00.000Z',
  inputs: {},
  secret_inputs: [],
  objectives: { rto_ms: 600000, rpo_ms: null },
  options: { yes: true, accept_manual: true, start_at: null, reports: [] },
  steps: [{ id: 'one', title: 'One', budget_ms: null }],
  pid: 1,
  t: '2026-11-30T01:49:30.000Z',
};
const who = { user: 'u', host: 'h', terminal: 't' };

/** A journal of run.started and one more line: what the reader makes of it. */
function readWith(entry: Record<string, unknown>): ReturnType<typeof readJournal> {
  const file = join(dir, 'journal.jsonl');
  writeFileSync(file, `${JSON.stringify(started)}\n${JSON.stringify({ ...entry, t: T })}\n`);
  return readJournal(file);
}

const good: Record<string, Record<string, unknown>> = {
  note: { type: 'note', text: 'restored from the 01:00 backup', user: 'u', host: 'h' },
  'incident_start.corrected': { type: 'incident_start.corrected', from: started.incident_start, to: T, ...who, reason: null },
  'run.abandoned': { type: 'run.abandoned', ...who, reason: 'superseded' },
  'manual.item': { type: 'manual.item', step: 'one', index: 1, total: 2, text: 'tell the team', answer: 'done', wait_ms: 5, who },
  'step.rerun': { type: 'step.rerun', step: 'one', number: 1, previous: 'succeeded' },
  'cleanup.registered': { type: 'cleanup.registered', step: 'one', path: '/tmp/x', kind: 'file', keep: false, dev: 2049, ino: 2 ** 60 },
  'cleanup.done': { type: 'cleanup.done', path: '/tmp/x', result: 'failed', error: 'busy' },
  'step.started': { type: 'step.started', step: 'one', number: 1, kind: 'run' },
  'step.finished': {
    type: 'step.finished',
    step: 'one',
    number: 1,
    status: 'failed',
    attempts: 1,
    exit_code: 3,
    duration_ms: 20,
    waiting_ms: 0,
    over_budget: false,
    outputs: {},
    reason: 'exit code 3',
    error_tail: 'no such table',
    redacted_outputs: [],
    then: 'fail',
    budget_ms: null,
  },
  'run.finished': { type: 'run.finished', status: 'failed', exit_code: 1 },
};

const hostile: Array<[string, Record<string, unknown>]> = [
  ['a note whose text is not text', { ...good.note, text: { a: 1 } }],
  ['a note without its fields', { type: 'note' }],
  ['a correction to a time that is none', { ...good['incident_start.corrected'], to: 'garbage' }],
  ['a correction with fields of the wrong types', { ...good['incident_start.corrected'], user: null, reason: 5 }],
  ['an abandon without who', { type: 'run.abandoned', reason: null }],
  ['a checklist item with a text index and no text', { ...good['manual.item'], index: 'x', text: 7 }],
  ['a checklist item with an unknown answer', { ...good['manual.item'], answer: {} }],
  ['a checklist item whose who is a number', { ...good['manual.item'], who: 5 }],
  ['a rerun of a step that is a list', { ...good['step.rerun'], step: [] }],
  ['a rerun with an unknown previous status', { ...good['step.rerun'], previous: 5 }],
  ['a ledger entry whose path is an object', { ...good['cleanup.registered'], path: { a: 1 } }],
  ['a ledger entry of an unknown kind', { ...good['cleanup.registered'], kind: 'zz', keep: 'no' }],
  ['a ledger result that is none', { ...good['cleanup.done'], path: 5, result: {}, error: 7 }],
  ['a step start without its step', { type: 'step.started', number: 1, kind: 'run' }],
  ['a step end whose error tail is not text', { ...good['step.finished'], error_tail: { a: 1 } }],
  ['a step end without its outputs and status', { type: 'step.finished', step: 'one', number: 1 }],
  ['a run end with a status that is not a run status', { ...good['run.finished'], status: 'exploded' }],
  ['a run end with no exit code', { type: 'run.finished', status: 'failed' }],
  ['a resume without its steps', { type: 'run.resumed', pid: 1, in_flight: null, torn_tail: false, forced: false, preflight: 'ran' }],
  ['an answer whose wait is text', { type: 'prompt.answered', step: 'one', question: 'step.action', answer: 'run', wait_ms: 'x' }],
  ['a rollback that names no steps', { type: 'rollback.started', steps: 'one' }],
];

describe('new journal entries with fields of the wrong types', () => {
  it.each(Object.entries(good))('reads a well-formed %s entry', (_type, entry) => {
    const { entries } = readWith(entry);
    expect(entries).toHaveLength(2);
    const report = buildReport(rebuildRun(entries));
    expect(() => renderReport(report, 'md')).not.toThrow();
    expect(() => renderReport(report, 'html')).not.toThrow();
  });

  it.each(hostile)('names %s as a damaged line of the journal', (_what, entry) => {
    expect(() => readWith(entry)).toThrow(UserError);
    expect(() => readWith(entry)).toThrow(/journal\.jsonl:2:1: the run journal is damaged/);
  });

  it.each([
    ['without its objectives, options and steps', { objectives: undefined, options: undefined, steps: undefined }],
    ['of an unknown mode, its steps not a list', { mode: 'chaos', steps: { id: 'one' } }],
    ['whose objectives are text', { objectives: '15m' }],
  ])('names a run start %s as the first line, damaged', (_what, fields) => {
    const file = join(dir, 'journal.jsonl');
    writeFileSync(file, `${JSON.stringify({ ...started, ...fields })}\n${JSON.stringify({ ...good.note, t: T })}\n`);
    expect(() => readJournal(file)).toThrow(/journal\.jsonl:1:1: the run journal is damaged/);
  });

  it('reads a journal of an earlier version: a run start without operator, version and scope, a step end without its error tail', () => {
    const file = join(dir, 'journal.jsonl');
    const { error_tail: _tail, ...finished } = good['step.finished']!;
    const lines = [{ ...started, objectives: { rto_ms: null, rpo_ms: null } }, good['step.started'], finished, good['run.finished']];
    writeFileSync(file, lines.map((l) => `${JSON.stringify({ t: T, ...l })}\n`).join(''));
    const { entries } = readJournal(file);
    expect(buildReport(rebuildRun(entries)).status).toBe('failed');
  });

  it('reads a checklist answer whose wait is negative or fractional (the wall clock stepped back)', () => {
    expect(readWith({ ...good['manual.item'], wait_ms: -1200.5 }).entries).toHaveLength(2);
  });

  it('names a line holding a NUL byte or a huge text in the wrong place, and reads a note holding a NUL', () => {
    expect(() => readWith({ ...good['manual.item'], index: 'x'.repeat(1_000_000) })).toThrow(
      /journal\.jsonl:2:1: the run journal is damaged/,
    );
    const { entries } = readWith({ ...good.note, text: 'a\u0000b' });
    expect(rebuildRun(entries).notes[0]?.text).toBe('a\u0000b');
  });
});
