import { afterEach, describe, expect, it } from 'vitest';
import type { Question } from '../../../src/engine/events.js';
import { resumeRun, startRun } from '../../../src/lifecycle/lifecycle.js';
import type { Harness } from '../../support/lifecycle-harness.js';
import { harness, noInputs, writeRunbook } from '../../support/lifecycle-harness.js';

/** One decision per step: which questions an operator is asked, step by step, in-process. */

const RUNBOOK = `apiVersion: drctl/v1
kind: Runbook
metadata: { name: ops, title: Ops }
steps:
  - { id: a, title: A, run: ok a }
  - { id: b, title: B, run: ok b, confirm: "Scale b up?" }
  - { id: c, title: C, run: ok c, confirm: { type: prod-db } }
  - { id: d, title: D, run: ok d }
  - { id: e, title: E, run: ok e, pause: true }
  - { id: f, title: F, run: ok f }
`;

const harnesses: Harness[] = [];
afterEach(() => harnesses.splice(0).forEach((x) => x.remove()));

function asked(x: Harness): string[] {
  return x.host.questions.map(
    (q) => `${'card' in q ? q.card.id : 'id' in q ? q.id : q.kind}:${q.kind}${q.kind === 'step.action' && q.pause ? ':pause' : ''}`,
  );
}

async function start(answer: (q: Question) => unknown, yes = false, signal?: AbortSignal): Promise<{ code: number; h: Harness }> {
  const h = harness({ answer });
  harnesses.push(h);
  if (signal) h.deps.signal = signal;
  const runbook = writeRunbook(h.dir, 'ops', RUNBOOK);
  const request = { stateDir: h.stateDir, runbook, inputs: noInputs(runbook), mode: 'real' as const, runId: 'ops-20261129T030000Z-0001' };
  const code = await startRun(
    { ...request, incidentStart: new Date('2026-11-29T02:59:00Z'), yes, interactive: !yes, acceptManual: false, reports: [], aws: {} },
    h.deps,
  );
  return { code, h };
}

const typed = (q: Question): unknown => (q.kind === 'step.type' ? 'confirmed' : q.default);

describe('one decision per step', () => {
  it('a step with a confirmation asks only the confirmation, not the step menu first', async () => {
    const { code, h } = await start(typed);
    expect(code).toBe(0);
    expect(asked(h)).toEqual(['a:step.action', 'b:step.confirm', 'c:step.type', 'd:step.action', 'e:step.action', 'f:step.action']);
    expect(h.runner.executions.map((e) => e.script)).toEqual(['ok a', 'ok b', 'ok c', 'ok d', 'ok e', 'ok f']);
  });

  it('"no" at the confirmation skips the step; the next ordinary step shows the menu with "run all"', async () => {
    const { code, h } = await start((q) => (q.kind === 'step.confirm' ? false : typed(q)));
    expect(code).toBe(0);
    expect(h.runner.count('ok b')).toBe(0);
    const d = h.host.questions.find((q) => q.kind === 'step.action' && q.card.id === 'd');
    // Steps have finished by then: the menu also offers to run one again.
    expect(d).toMatchObject({ choices: ['run', 'skip', 'abort', 'all', 'rerun'] });
  });

  it('"run all" still asks the confirmations, then stops at the pause step and shows the menu again', async () => {
    const { code, h } = await start((q) => (q.kind === 'step.action' ? (q.card.id === 'a' ? 'all' : 'run') : typed(q)));
    expect(code).toBe(0);
    // The pause answered "run": "run all" is over, so f asks again.
    expect(asked(h)).toEqual(['a:step.action', 'b:step.confirm', 'c:step.type', 'e:step.action:pause', 'f:step.action']);
  });

  it('skip at the pause skips that step and ends "run all"', async () => {
    const { code, h } = await start((q) =>
      q.kind === 'step.action' ? (q.card.id === 'a' ? 'all' : q.card.id === 'e' ? 'skip' : 'run') : typed(q),
    );
    expect(code).toBe(0);
    expect(h.runner.count('ok e')).toBe(0);
    expect(asked(h).slice(-2)).toEqual(['e:step.action:pause', 'f:step.action']);
  });

  it('with --yes the pause is journaled, answered "all", and the run goes on', async () => {
    const { code, h } = await start((q) => q.default, true);
    expect(code).toBe(0);
    expect(asked(h)).toEqual(['b:step.confirm', 'c:step.type', 'e:step.action:pause']);
    expect(h.runner.executions).toHaveLength(6);
  });

  it('"run all" survives a resume: only the confirmation that was pending is asked again', async () => {
    const stop = new AbortController();
    const first = await start(
      (q) => {
        if (q.kind === 'step.action' && q.card.id === 'a') return 'all';
        if (q.kind === 'step.type') {
          stop.abort();
          throw new Error('interrupted at the prompt');
        }
        return q.default;
      },
      false,
      stop.signal,
    );
    expect(first.code).toBe(130);
    expect(asked(first.h)).toEqual(['a:step.action', 'b:step.confirm', 'c:step.type']);

    const again = harness({ dir: first.h.dir, answer: typed });
    const code = await resumeRun(
      {
        stateDir: again.stateDir,
        runId: 'ops-20261129T030000Z-0001',
        inputs: { pairs: {} },
        force: false,
        skipPreflight: false,
        reports: undefined,
        yes: false,
        interactive: true,
        acceptManual: false,
        aws: {},
      },
      again.deps,
    );
    expect(code).toBe(0);
    // d is not asked; the pause is answered "run all" again, so f is not asked either.
    expect(asked(again)).toEqual(['c:step.type', 'e:step.action:pause']);
    expect(again.runner.executions.map((e) => e.script)).toEqual(['ok c', 'ok d', 'ok e', 'ok f']);
  });
});
