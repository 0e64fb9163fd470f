import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Question } from '../../../src/engine/events.js';
import { readJournal } from '../../../src/journal/journal.js';
import { rebuildRun } from '../../../src/journal/record.js';
import { startRun } from '../../../src/lifecycle/lifecycle.js';
import { buildReport } from '../../../src/report/build.js';
import { renderReport } from '../../../src/report/render.js';
import type { Harness } from '../../support/lifecycle-harness.js';
import { harness, noInputs, writeRunbook } from '../../support/lifecycle-harness.js';

/** A note given at a prompt: journaled as `drctl note` journals it, and the same question is asked again. */

const RUNBOOK = `apiVersion: drctl/v1
kind: Runbook
metadata: { name: noted, title: Noted }
objectives: { rto: 1h }
steps:
  - { id: a, title: A, run: ok a }
  - { id: b, title: B, run: fail b }
  - { id: c, title: C, run: ok c, confirm: { type: prod-db } }
`;

const OPERATOR = { user: 'alice', host: 'bastion-1', terminal: 'pts/4' };

let h: Harness | undefined;
afterEach(() => h?.remove());

async function runAnswering(answer: (q: Question) => unknown): Promise<{ code: number; h: Harness }> {
  h = harness({ answer });
  h.deps.operator = OPERATOR;
  const runbook = writeRunbook(h.dir, 'noted', RUNBOOK);
  const code = await startRun(
    {
      stateDir: h.stateDir,
      runbook,
      inputs: noInputs(runbook),
      mode: 'real',
      runId: 'noted-1',
      incidentStart: new Date('2026-11-29T02:59:00Z'),
      yes: false,
      interactive: true,
      acceptManual: false,
      reports: [],
      aws: {},
    },
    h.deps,
  );
  return { code, h };
}

function journal(x: Harness): ReturnType<typeof readJournal>['entries'] {
  return readJournal(join(x.stateDir, 'runs', 'noted-1', 'journal.jsonl')).entries;
}

describe('notes at the prompts', () => {
  it('a note at the step menu, the failure menu and the typed confirmation is journaled with the operator, and each question is asked again', async () => {
    const noted = new Set<string>();
    const { code, h } = await runAnswering((q) => {
      const key = `${q.kind}:${'id' in q ? q.id : 'card' in q ? q.card.id : q.number}`;
      if (!noted.has(key)) {
        noted.add(key);
        return { note: `  at ${key}  ` };
      }
      if (q.kind === 'failure.action') return 'continue';
      if (q.kind === 'step.type') return 'confirmed';
      return q.default;
    });
    expect(code).toBe(0);
    const entries = journal(h);
    const notes = entries.filter((e) => e.type === 'note');
    expect(notes.map((n) => (n.type === 'note' ? [n.text, n.user, n.host] : []))).toEqual([
      ['at step.action:a', 'alice', 'bastion-1'],
      ['at step.action:b', 'alice', 'bastion-1'],
      ['at failure.action:b', 'alice', 'bastion-1'],
      ['at step.type:c', 'alice', 'bastion-1'],
    ]);
    // Each question was asked twice (the note, then the answer), and answered once.
    const kinds = h.host.questions.map((q) => q.kind);
    expect(kinds).toEqual([
      'step.action',
      'step.action',
      'step.action',
      'step.action',
      'failure.action',
      'failure.action',
      'step.type',
      'step.type',
    ]);
    const answered = entries.filter((e) => e.type === 'prompt.answered').map((e) => (e.type === 'prompt.answered' ? e.answer : null));
    expect(answered).toEqual(['run', 'run', 'continue', 'confirmed']);
    expect(h.runner.executions.map((e) => e.script)).toEqual(['ok a', 'fail b', 'ok c']);
    // The operator sees the note as it is journaled.
    expect(h.host.events.filter((e) => e.type === 'note')).toHaveLength(4);

    const report = buildReport(rebuildRun(entries));
    expect(report.notes.map((n) => [n.user, n.host, n.text])).toContainEqual(['alice', 'bastion-1', 'at failure.action:b']);
    expect(renderReport(report, 'md')).toContain('alice@bastion-1: at step.type:c');
  });

  it('an empty note is journaled as nothing, and the question is asked again', async () => {
    let first = true;
    const { code, h } = await runAnswering((q) => {
      if (first) {
        first = false;
        return { note: '   ' };
      }
      if (q.kind === 'failure.action') return 'continue';
      if (q.kind === 'step.type') return 'confirmed';
      return q.default;
    });
    expect(code).toBe(0);
    expect(journal(h).filter((e) => e.type === 'note')).toEqual([]);
    expect(h.host.questions.slice(0, 2).map((q) => q.kind)).toEqual(['step.action', 'step.action']);
  });
});
