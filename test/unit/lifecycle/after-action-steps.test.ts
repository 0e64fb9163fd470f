import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Question } from '../../../src/engine/events.js';
import type { JournalEntry } from '../../../src/journal/entries.js';
import { readJournal } from '../../../src/journal/journal.js';
import { rebuildRun } from '../../../src/journal/record.js';
import { startRun } from '../../../src/lifecycle/lifecycle.js';
import { buildReport } from '../../../src/report/build.js';
import type { Harness } from '../../support/lifecycle-harness.js';
import { harness, noInputs, writeRunbook } from '../../support/lifecycle-harness.js';

/** The step-level facts of the after-action record: each step's times, every try, who confirmed it, every decision. */

const RUNBOOK = `apiVersion: drctl/v1
kind: Runbook
metadata: { name: facts, title: Facts }
objectives: { rto: 1h }
steps:
  - { id: a, title: A, run: ok a }
  - { id: b, title: B, run: flaky b }
  - { id: c, title: C, run: ok c, confirm: "Really run C?" }
  - { id: d, title: D, run: ok d }
`;

const OPERATOR = { user: 'alice', host: 'bastion-1', terminal: 'pts/4' };

let h: Harness | undefined;
afterEach(() => h?.remove());

async function run(answer: (q: Question) => unknown, yes: boolean, answersByDefault = false): Promise<ReturnType<typeof buildReport>> {
  h = harness({ answer });
  h.deps.operator = OPERATOR;
  if (answersByDefault) Object.assign(h.host, { answersByDefault: true });
  const runbook = writeRunbook(h.dir, 'facts', RUNBOOK);
  await startRun(
    {
      stateDir: h.stateDir,
      runbook,
      inputs: noInputs(runbook),
      mode: 'drill',
      runId: 'facts-1',
      incidentStart: new Date('2026-11-29T02:59:00Z'),
      yes,
      interactive: !yes,
      acceptManual: false,
      reports: [],
      aws: {},
    },
    h.deps,
  );
  const { entries } = readJournal(join(h.stateDir, 'runs', 'facts-1', 'journal.jsonl'));
  return buildReport(rebuildRun(entries));
}

describe('step-level facts in report.json', () => {
  it('an operator at the menus: who confirmed each step, every try with its exit code, every question and answer', async () => {
    const report = await run((q) => {
      if (q.kind === 'step.action') return q.card.id === 'b' ? 'all' : 'run';
      if (q.kind === 'failure.action') return 'retry';
      return q.default;
    }, false);
    const [a, b, c, d] = report.steps;
    expect(a!.confirmed_by).toBe('alice@bastion-1');
    expect(b!.confirmed_by).toBe('alice@bastion-1');
    // C asks its own question (answered yes); D ran on the "run all" chosen at B.
    expect(c!.confirmed_by).toBe('alice@bastion-1');
    expect(d!.confirmed_by).toBe('alice@bastion-1 (run all)');
    expect(b!.attempt_log.map((t) => [t.attempt, t.exit_code, t.error_tail])).toEqual([
      [1, 1, 'b'],
      [2, 0, null],
    ]);
    expect(a!.attempt_log).toHaveLength(1);
    expect(a!.attempt_log[0]!.output_tail).toBe('a');
    for (const step of report.steps) {
      expect(step.started_at).not.toBeNull();
      expect(Date.parse(step.finished_at!)).toBeGreaterThanOrEqual(Date.parse(step.started_at!));
      for (const attempt of step.attempt_log)
        expect(Date.parse(attempt.finished_at)).toBeGreaterThanOrEqual(Date.parse(attempt.started_at));
    }
    const decisions = report.decisions.map((x) => [x.step, x.answer, x.by]);
    expect(decisions).toEqual([
      ['a', 'run', 'alice@bastion-1'],
      ['b', 'all', 'alice@bastion-1'],
      ['b', 'retry', 'alice@bastion-1'],
      ['c', 'yes', 'alice@bastion-1'],
    ]);
    expect(report.decisions[0]!.question).toBe('Step 1 "A": run, skip, abort, all?');
    expect(report.decisions[2]!.question).toBe('"b" failed (exit code 1 (expected 0): b): retry, skip and go on, or abort?');
    expect(report.decisions[3]!.question).toBe('Really run C?');
    expect(report.interruptions).toEqual([]);
  });

  it('under --yes nobody is named: every step and answer says --yes', async () => {
    const report = await run((q) => (q.kind === 'failure.action' ? 'retry' : q.default), true, true);
    expect(report.steps.map((s) => s.confirmed_by)).toEqual(['--yes', '--yes', '--yes', '--yes']);
    expect(report.decisions.every((x) => x.by === '--yes')).toBe(true);
  });

  it('a signal and a crash are interruptions, each with the step it stopped and when the run was resumed', () => {
    let second = 0;
    const at = (body: object): JournalEntry =>
      ({ ...body, t: new Date(Date.UTC(2026, 10, 29, 3, 0, second++)).toISOString() }) as JournalEntry;
    const step = (id: string) => at({ type: 'step.started', step: id, number: 1, kind: 'run' });
    const resumed = at({
      type: 'run.resumed',
      pid: 2,
      in_flight: 'a',
      torn_tail: false,
      forced: false,
      preflight: 'ran',
      steps: [{ id: 'a', title: 'A', budget_ms: null }],
    });
    const entries = [
      at({
        type: 'run.started',
        run_id: 'x',
        runbook: 'x',
        title: 'X',
        file: '/x.yaml',
        digest: 'sha256:0',
        mode: 'drill',
        incident_start: '2026-11-29T02:50:00.000Z',
        inputs: {},
        secret_inputs: [],
        objectives: { rto_ms: null, rpo_ms: null },
        options: { yes: true, accept_manual: false, start_at: null, reports: [] },
        steps: [{ id: 'a', title: 'A', budget_ms: null }],
        pid: 1,
      }),
      step('a'),
      at({ type: 'run.interrupted', signal: 'SIGINT' }),
      resumed,
      step('a'),
      at({ type: 'step.process', step: 'a', rollback: false, pgid: 42 }),
      // drctl is killed here: the next resume finds no end.
    ];
    const crashedAt = entries.at(-1)!.t;
    const again = at({
      type: 'run.resumed',
      pid: 3,
      in_flight: 'a',
      torn_tail: false,
      forced: false,
      preflight: 'ran',
      steps: [{ id: 'a', title: 'A', budget_ms: null }],
    });
    const report = buildReport(rebuildRun([...entries, again]));
    expect(report.interruptions).toEqual([
      { at: entries[2]!.t, step: 'a', cause: 'signal', signal: 'SIGINT', resumed_at: resumed.t },
      { at: crashedAt, step: 'a', cause: 'crash', signal: null, resumed_at: again.t },
    ]);
    // The try the crash cut short is in the step's log, ended by the stop, with no exit code.
    expect(report.steps[0]!.attempt_log).toEqual([
      {
        attempt: 1,
        started_at: crashedAt,
        finished_at: crashedAt,
        duration_s: 0,
        exit_code: null,
        error: 'cut short: drctl stopped while it ran',
        error_tail: null,
        output_tail: null,
      },
    ]);
  });
});
