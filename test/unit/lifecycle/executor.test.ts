import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Question } from '../../../src/engine/events.js';
import { TYPED_ABORT } from '../../../src/engine/events.js';
import { readJournal } from '../../../src/journal/journal.js';
import { rebuildRun } from '../../../src/journal/record.js';
import { startRun } from '../../../src/lifecycle/lifecycle.js';
import type { Harness } from '../../support/lifecycle-harness.js';
import { harness, noInputs, writeRunbook } from '../../support/lifecycle-harness.js';

/** The executor and the lifecycle driven in-process: a recording host answers as an operator would. */

const RUNBOOK = `apiVersion: drctl/v1
kind: Runbook
metadata: { name: ops, title: Ops }
objectives: { rto: 1h }
steps:
  - { id: a, title: A, run: ok a, rollback: ok undo-a }
  - { id: b, title: B, run: flaky b, confirm: { type: prod-db } }
  - { id: c, title: C, run: ok c }
`;

let h: Harness | undefined;
afterEach(() => h?.remove());

async function runAnswering(answer: (q: Question) => unknown, interactive = true): Promise<{ code: number; h: Harness }> {
  h = harness({ answer });
  const runbook = writeRunbook(h.dir, 'ops', RUNBOOK);
  const code = await startRun(
    {
      stateDir: h.stateDir,
      runbook,
      inputs: noInputs(runbook),
      mode: 'real',
      runId: 'ops-1',
      incidentStart: new Date('2026-11-29T02:59:00Z'),
      yes: !interactive,
      interactive,
      acceptManual: false,
      reports: [],
      aws: {},
    },
    h.deps,
  );
  return { code, h };
}

function journal(x: Harness): ReturnType<typeof readJournal>['entries'] {
  return readJournal(join(x.stateDir, 'runs', 'ops-1', 'journal.jsonl')).entries;
}

describe('the executor, driven by a recording host and fake ports', () => {
  it("an operator who aborts at a step's confirmation stops the run there: exit 4, run.aborting journaled, nothing after it runs", async () => {
    const { code, h } = await runAnswering((q) => (q.kind === 'step.type' && q.id === 'b' ? TYPED_ABORT : q.default));
    expect(code).toBe(4);
    expect(h.runner.executions.map((e) => e.script)).toEqual(['ok a']);
    expect(journal(h).some((e) => e.type === 'run.aborting' && e.step === 'b')).toBe(true);
    expect(rebuildRun(journal(h)).finished?.status).toBe('aborted');
  });

  it('retry at the failure prompt runs the step again; the typed confirmation is journaled as "confirmed", never as the text', async () => {
    const { code, h } = await runAnswering((q) => {
      if (q.kind === 'step.type') return q.matches('prod-db') ? 'confirmed' : 'skip';
      if (q.kind === 'failure.action') return 'retry';
      return q.default;
    });
    expect(code).toBe(0);
    expect(h.runner.count('flaky b')).toBe(2);
    const answers = journal(h)
      .filter((e) => e.type === 'prompt.answered')
      .map((e) => (e.type === 'prompt.answered' ? [e.question, e.answer] : []));
    expect(answers).toContainEqual(['step.type', 'confirmed']);
    expect(answers).toContainEqual(['failure.action', 'retry']);
    expect(JSON.stringify(journal(h))).not.toContain('prod-db"');
  });

  it('roll back at the failure prompt undoes what succeeded, newest first, and ends rolled back (exit 1)', async () => {
    const { code, h } = await runAnswering((q) =>
      q.kind === 'failure.action' ? 'rollback' : q.kind === 'step.type' ? 'confirmed' : q.default,
    );
    expect(code).toBe(1);
    expect(h.runner.executions.map((e) => e.script)).toEqual(['ok a', 'flaky b', 'ok undo-a']);
    const finished = journal(h).find((e) => e.type === 'step.finished' && e.step === 'b');
    expect(finished).toMatchObject({ status: 'failed', then: 'rollback' });
    expect(rebuildRun(journal(h)).finished?.status).toBe('rolled_back');
  });

  it('with --yes the host answers every question with its default: on_failure: abort fails the run (exit 1), not an abort', async () => {
    const { code, h } = await runAnswering((q) => q.default, false);
    expect(code).toBe(1);
    expect(h.host.questions.map((q) => q.kind)).toEqual(['step.type', 'failure.action']);
    expect(journal(h).find((e) => e.type === 'step.finished' && e.step === 'b')).toMatchObject({ then: 'fail' });
  });
});
