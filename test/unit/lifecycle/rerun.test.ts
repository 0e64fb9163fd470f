import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Question } from '../../../src/engine/events.js';
import type { JournalEntry } from '../../../src/journal/entries.js';
import { readJournal } from '../../../src/journal/journal.js';
import { rebuildRun, remainingWork } from '../../../src/journal/record.js';
import { resumeRun, startRun } from '../../../src/lifecycle/lifecycle.js';
import { buildReport } from '../../../src/report/build.js';
import { renderReport } from '../../../src/report/render.js';
import type { Harness } from '../../support/lifecycle-harness.js';
import { harness, noInputs, writeRunbook } from '../../support/lifecycle-harness.js';

/**
 * Running a finished step again from the step menu: the new result replaces the old one (outputs
 * too), both runs count, and a stop during the rerun resumes with that step unfinished.
 */

// `poll a` prints "pending" the first time a runner sees it and "ready" after: the rerun's output differs.
const RUNBOOK = `apiVersion: drctl/v1
kind: Runbook
metadata: { name: again, title: Again }
objectives: { rto: 1h }
steps:
  - { id: a, title: A, run: poll a, idempotent: true, outputs: { n: { from: stdout } } }
  - { id: b, title: B, run: ok b }
  - { id: c, title: C, run: "ok c-\${{ steps.a.outputs.n }}", idempotent: true }
`;

const RUN_ID = 'again-20261129T030000Z-0001';
/** Step c's script as the runner gets it: the expression reaches it through the environment. */
const C = 'ok c-"${DRCTL_EXPR_1}"';
const harnesses: Harness[] = [];
afterAll(() => harnesses.forEach((x) => x.remove()));
let h: Harness | undefined;
afterEach(() => {
  if (h) harnesses.push(h);
  h = undefined;
});

async function runAnswering(answer: (q: Question) => unknown): Promise<{ code: number; h: Harness }> {
  h = harness({ answer });
  const runbook = writeRunbook(h.dir, 'again', RUNBOOK);
  const code = await startRun(
    {
      stateDir: h.stateDir,
      runbook,
      inputs: noInputs(runbook),
      mode: 'drill',
      runId: RUN_ID,
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

function journalFile(x: Harness): string {
  return join(x.stateDir, 'runs', RUN_ID, 'journal.jsonl');
}

/** At c's menu, run `target` again once (confirming with `confirm`), then answer defaults. */
function rerunAtC(target: string, confirm: (q: Question) => unknown): (q: Question) => unknown {
  let asked = false;
  return (q) => {
    if (q.kind === 'step.action' && q.card.id === 'c' && !asked) {
      asked = true;
      return 'rerun';
    }
    if (q.kind === 'step.rerun') return target;
    if (q.kind === 'step.confirm' || q.kind === 'step.type') return confirm(q);
    return q.default;
  };
}

describe('running a finished step again from the step menu', () => {
  it('an idempotent step runs again after a yes; its new outputs reach later steps; the report counts two runs', async () => {
    const { code, h } = await runAnswering(rerunAtC('a', () => true));
    expect(code).toBe(0);
    expect(h.runner.executions.map((e) => e.script)).toEqual(['poll a', 'ok b', 'poll a', C]);
    // c runs with the rerun's output: its card, shown again after the rerun, says so.
    const cards = h.host.events.flatMap((e) => (e.type === 'step.card' && e.card.id === 'c' ? [JSON.stringify(e.card.command)] : []));
    expect(cards).toHaveLength(2);
    expect(cards[0]).toContain('pending');
    expect(cards[1]).toContain('ready');
    expect(cards[1]).not.toContain('pending');
    const rerunQuestion = h.host.questions.find((q) => q.kind === 'step.rerun');
    expect(rerunQuestion).toMatchObject({
      id: 'c',
      steps: [
        { number: 1, id: 'a', status: 'succeeded', idempotent: true },
        { number: 2, id: 'b', status: 'succeeded', idempotent: false },
      ],
    });
    const confirm = h.host.questions.find((q) => q.kind === 'step.confirm');
    expect(confirm).toMatchObject({ id: 'a', question: 'Run step 1 "A" again? (it succeeded before)' });
    // Back where it was: c's card and menu again, and only then c runs.
    const menus = h.host.questions.filter((q) => q.kind === 'step.action').map((q) => (q.kind === 'step.action' ? q.card.id : ''));
    expect(menus).toEqual(['a', 'b', 'c', 'c']);
    expect(h.host.questions.find((q) => q.kind === 'step.action' && q.card.id === 'a')).toMatchObject({
      choices: ['run', 'skip', 'abort', 'all'],
    });
    expect(h.host.questions.find((q) => q.kind === 'step.action' && q.card.id === 'c')).toMatchObject({
      choices: ['run', 'skip', 'abort', 'all', 'rerun'],
    });

    const entries = readJournal(journalFile(h)).entries;
    expect(entries.filter((e) => e.type === 'step.rerun')).toEqual([
      expect.objectContaining({ step: 'a', number: 1, previous: 'succeeded' }),
    ]);
    const record = rebuildRun(entries);
    expect(record.steps.get('a')).toMatchObject({ status: 'succeeded', runs: 2, attempts: 2, outputs: { n: 'ready' } });
    const report = buildReport(record);
    expect(report.steps.find((s) => s.id === 'a')).toMatchObject({ runs: 2, attempts: 2, outputs: { n: 'ready' } });
    expect(report.steps.find((s) => s.id === 'b')?.runs).toBeUndefined();
    expect(renderReport(report, 'md')).toMatch(/\| 1 \| A \(`a`\) \| succeeded, runs: 2 \| 2 \|/);
    expect(h.host.events.some((e) => e.type === 'step.rerun')).toBe(true);
  });

  it('a step that is not idempotent asks for its id to be typed; "skip" goes back to the menu and runs nothing', async () => {
    let tries = 0;
    const { code, h } = await runAnswering((q) => {
      if (q.kind === 'step.action' && q.card.id === 'c' && tries < 2) {
        tries++;
        return 'rerun';
      }
      if (q.kind === 'step.rerun') return 'b';
      if (q.kind === 'step.type') return tries === 1 ? 'skip' : q.matches('b') ? 'confirmed' : 'skip';
      return q.default;
    });
    expect(code).toBe(0);
    const typed = h.host.questions.filter((q) => q.kind === 'step.type');
    expect(typed).toHaveLength(2);
    expect(typed[0]).toMatchObject({ id: 'b', expected: 'b', again: true });
    expect(h.runner.executions.map((e) => e.script)).toEqual(['poll a', 'ok b', 'ok b', C]);
    const report = buildReport(rebuildRun(readJournal(journalFile(h)).entries));
    expect(report.steps.find((s) => s.id === 'b')).toMatchObject({ runs: 2, attempts: 2 });
  });

  it('a manual step runs again after a yes: its text is asked again and the report counts two runs', async () => {
    h = harness({
      answer: (q) => {
        if (q.kind === 'step.action' && q.card.id === 'last' && !h!.host.questions.some((x) => x.kind === 'step.rerun')) return 'rerun';
        if (q.kind === 'step.rerun') return 'tell';
        if (q.kind === 'manual.done') return 'done';
        return q.default;
      },
    });
    const runbook = writeRunbook(
      h.dir,
      'manual-again',
      `apiVersion: drctl/v1
kind: Runbook
metadata: { name: manual-again, title: Manual again }
steps:
  - { id: tell, title: Tell the team, manual: "Post in the incident channel." }
  - { id: last, title: Last, run: ok last }
`,
    );
    const code = await startRun(
      {
        stateDir: h.stateDir,
        runbook,
        inputs: noInputs(runbook),
        mode: 'drill',
        runId: 'manual-again-20261129T030000Z-0001',
        incidentStart: new Date('2026-11-29T02:59:00Z'),
        yes: false,
        interactive: true,
        acceptManual: false,
        reports: [],
        aws: {},
      },
      h.deps,
    );
    expect(code).toBe(0);
    expect(h.host.questions.find((q) => q.kind === 'step.rerun')).toMatchObject({ steps: [{ id: 'tell', idempotent: true }] });
    expect(h.host.questions.filter((q) => q.kind === 'manual.done')).toHaveLength(2);
    const entries = readJournal(join(h.stateDir, 'runs', 'manual-again-20261129T030000Z-0001', 'journal.jsonl')).entries;
    expect(buildReport(rebuildRun(entries)).steps.find((s) => s.id === 'tell')).toMatchObject({ status: 'succeeded', runs: 2 });
  });

  it('a checklist run again and stopped half-way asks on resume the items the rerun has not answered, not those of the first run', async () => {
    const runId = 'checklist-again-20261129T030000Z-0001';
    const text =
      'steps:\n  - { id: tell, title: Tell the team, manual: "- [ ] post in the channel\\n- [ ] call the owner" }\n  - { id: last, title: Last, run: ok last }\n';
    const source = `apiVersion: drctl/v1\nkind: Runbook\nmetadata: { name: checklist-again, title: Checklist again }\n${text}`;
    h = harness({
      answer: (q) => {
        if (q.kind === 'step.action' && q.card.id === 'last' && !h!.host.questions.some((x) => x.kind === 'step.rerun')) return 'rerun';
        if (q.kind === 'step.rerun') return 'tell';
        if (q.kind === 'manual.item') return 'done';
        return q.default;
      },
    });
    const runbook = writeRunbook(h.dir, 'checklist-again', source);
    const request = {
      stateDir: h.stateDir,
      runbook,
      inputs: noInputs(runbook),
      mode: 'drill' as const,
      runId,
      incidentStart: new Date('2026-11-29T02:59:00Z'),
    };
    expect(await startRun({ ...request, yes: false, interactive: true, acceptManual: false, reports: [], aws: {} }, h.deps)).toBe(0);
    expect(h.host.questions.filter((q) => q.kind === 'manual.item')).toHaveLength(4);
    const lines = readFileSync(join(h.stateDir, 'runs', runId, 'journal.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean);
    const types = lines.map((l) => (JSON.parse(l) as JournalEntry).type);
    // Cut after the rerun's first answered item: a crash while the operator reads the second.
    const cut = types.indexOf('manual.item', types.indexOf('step.rerun')) + 1;
    const x = harness({ answer: (q) => (q.kind === 'manual.item' ? 'done' : q.default) });
    harnesses.push(x);
    mkdirSync(join(x.stateDir, 'runs', runId), { recursive: true });
    writeRunbook(x.dir, 'checklist-again', source);
    writeFileSync(join(x.stateDir, 'runs', runId, 'journal.jsonl'), lines.slice(0, cut).join('\n') + '\n');
    const resumed = await resumeRun(
      {
        stateDir: x.stateDir,
        runId,
        inputs: { pairs: {} },
        force: true,
        skipPreflight: true,
        reports: undefined,
        yes: false,
        interactive: true,
        acceptManual: false,
        aws: {},
      },
      x.deps,
    );
    expect(resumed).toBe(0);
    expect(x.host.questions.filter((q) => q.kind === 'manual.item').map((q) => (q as { index: number }).index)).toEqual([2]);
    const report = buildReport(rebuildRun(readJournal(join(x.stateDir, 'runs', runId, 'journal.jsonl')).entries));
    expect(report.steps.find((s) => s.id === 'tell')).toMatchObject({ status: 'succeeded', runs: 2 });
  });

  it('going back from the list runs nothing and asks the same menu again', async () => {
    let asked = false;
    const { code, h } = await runAnswering((q) => {
      if (q.kind === 'step.action' && q.card.id === 'b' && !asked) {
        asked = true;
        return 'rerun';
      }
      if (q.kind === 'step.rerun') return null;
      return q.default;
    });
    expect(code).toBe(0);
    expect(h.runner.executions.map((e) => e.script)).toEqual(['poll a', 'ok b', C]);
    expect(readJournal(journalFile(h)).entries.some((e) => e.type === 'step.rerun')).toBe(false);
  });

  it('a stop at any point of a run with a rerun resumes (--yes) to the end: the rerun counts once it is journaled, and nothing finished runs again', async () => {
    const { code: originalCode, h: original } = await runAnswering(rerunAtC('a', () => true));
    expect(originalCode).toBe(0);
    const lines = readFileSync(journalFile(original), 'utf8').split('\n').filter(Boolean);
    const rerunLine = lines.findIndex((l) => (JSON.parse(l) as JournalEntry).type === 'step.rerun');
    expect(rerunLine).toBeGreaterThan(0);
    for (let cut = 1; cut < lines.length; cut++) {
      const where = `cut after line ${cut}`;
      const entries = lines.slice(0, cut).map((l) => JSON.parse(l) as JournalEntry);
      const before = rebuildRun(entries);
      const x = harness();
      harnesses.push(x);
      mkdirSync(join(x.stateDir, 'runs', RUN_ID), { recursive: true });
      writeRunbook(x.dir, 'again', RUNBOOK);
      writeFileSync(journalFile(x), lines.slice(0, cut).join('\n') + '\n');
      const resumed = await resumeRun(
        {
          stateDir: x.stateDir,
          runId: RUN_ID,
          inputs: { pairs: {} },
          force: true,
          skipPreflight: true,
          reports: undefined,
          yes: true,
          interactive: false,
          acceptManual: false,
          aws: {},
        },
        x.deps,
      ).catch((error: Error) => error);
      const remaining = remainingWork(before);
      const inFlight = remaining.kind === 'steps' ? remaining.inFlight?.step : undefined;
      if (inFlight === 'b') {
        // b is not idempotent: --yes cannot decide to run it again.
        expect(resumed, where).toBeInstanceOf(Error);
        continue;
      }
      expect(resumed, where).toBe(0);
      const after = rebuildRun(readJournal(journalFile(x)).entries);
      expect(
        [...after.steps.values()].map((s) => s.status),
        where,
      ).toEqual(['succeeded', 'succeeded', 'succeeded']);
      const rerunJournaled = cut > rerunLine;
      expect(after.steps.get('a')?.runs ?? 1, where).toBe(rerunJournaled ? 2 : 1);
      expect(after.steps.get('a')!.attempts, where).toBeGreaterThanOrEqual(rerunJournaled ? 2 : 1);
      // What the journal has as finished does not run again; a, set aside by the rerun, runs once more.
      for (const id of before.steps.keys()) {
        const script = id === 'a' ? 'poll a' : id === 'b' ? 'ok b' : undefined;
        if (script) expect(x.runner.count(script), `${where}: ${id} ran again`).toBe(0);
      }
      if (rerunJournaled && !before.steps.has('a')) expect(x.runner.count('poll a'), where).toBe(1);
    }
  });
});
