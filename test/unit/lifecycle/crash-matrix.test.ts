import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkChain } from '../../../src/journal/chain.js';
import type { JournalEntry } from '../../../src/journal/entries.js';
import { readJournal } from '../../../src/journal/journal.js';
import { rebuildRun, remainingWork } from '../../../src/journal/record.js';
import { resumeRun, startRun } from '../../../src/lifecycle/lifecycle.js';
import type { RunReport } from '../../../src/report/build.js';
import { buildReport } from '../../../src/report/build.js';
import type { Runbook } from '../../../src/runbook/model.js';
import { UserError } from '../../../src/util/errors.js';
import type { Harness } from '../../support/lifecycle-harness.js';
import { harness, noInputs, writeRunbook } from '../../support/lifecycle-harness.js';

/**
 * The crash matrix: for runbooks covering every way a run goes, run once without interruption,
 * then cut the journal after every line (and in the middle of the next, as a crash mid-write
 * does), resume with --yes, and compare with the uninterrupted run.
 */

const head = (name: string): string => `apiVersion: drctl/v1
kind: Runbook
metadata: { name: ${name}, title: ${name} }
objectives: { rto: 1h }
steps:
`;

const RUNBOOKS: Record<string, string> = {
  success: `${head('success')}  - { id: a, title: A, run: ok a, idempotent: true }
  - { id: b, title: B, run: out b 42, idempotent: true, outputs: { n: { from: stdout } } }
  - { id: c, title: C, run: ok c, if: "\${{ steps.b.outputs.n == '0' }}" }
  - { id: d, title: D, run: "ok d-\${{ steps.b.outputs.n }}", idempotent: true }
`,
  continue: `${head('continue')}  - { id: a, title: A, run: ok a, idempotent: true }
  - { id: b, title: B, run: fail b, on_failure: continue, idempotent: true }
  - { id: c, title: C, run: ok c, idempotent: true }
`,
  abort: `${head('abort')}  - { id: a, title: A, run: ok a, idempotent: true, rollback: { run: ok undo-a, idempotent: true } }
  - { id: b, title: B, run: fail b, on_failure: abort, idempotent: true }
  - { id: c, title: C, run: ok c, idempotent: true }
`,
  rollback: `${head('rollback')}  - { id: a, title: A, run: ok a, idempotent: true, rollback: { run: ok undo-a, idempotent: true } }
  - { id: b, title: B, run: ok b, idempotent: true, rollback: { run: ok undo-b, idempotent: true } }
  - { id: c, title: C, run: fail c, on_failure: rollback, idempotent: true }
  - { id: d, title: D, run: ok d, idempotent: true }
`,
  'failed-rollback': `${head('failed-rollback')}  - { id: a, title: A, run: ok a, idempotent: true, rollback: { run: ok undo-a, idempotent: true } }
  - { id: b, title: B, run: ok b, idempotent: true, rollback: { run: fail undo-b, idempotent: true } }
  - { id: c, title: C, run: fail c, on_failure: rollback, idempotent: true }
`,
  'not-idempotent': `${head('not-idempotent')}  - { id: a, title: A, run: ok a, rollback: ok undo-a }
  - { id: b, title: B, run: fail b, on_failure: rollback }
  - { id: c, title: C, run: ok c }
`,
  'retries-and-polls': `${head('retries-and-polls')}  - { id: a, title: A, run: flaky a, retries: { attempts: 3, delay: 1ms }, idempotent: true }
  - { id: b, title: B, run: poll b, until: { stdout: { contains: ready } }, interval: 1ms, timeout: 1h, idempotent: true }
  - { id: c, title: C, run: ok c, idempotent: true }
`,
  'manual-and-actions': `${head('manual-and-actions')}  - { id: a, title: A, manual: "Tell the incident channel." }
  - { id: b, title: B, uses: sleep, with: { duration: 1ms }, idempotent: true }
  - { id: c, title: C, run: ok c, idempotent: true, confirm: true }
  - { id: d, title: D, manual: "Check the dashboard." }
`,
  checklist: `${head('checklist')}  - { id: a, title: A, run: ok a, idempotent: true }
  - { id: b, title: B, manual: "Check:\\n- [ ] pods\\n- [ ] TLS\\n- [ ] backups for \${{ run.runbook }}" }
  - { id: c, title: C, run: ok c, idempotent: true }
`,
};

const RUN_ID = 'matrix-20261129T030000Z-0001';
const harnesses: Harness[] = [];
afterAll(() => harnesses.forEach((h) => h.remove()));

function track(h: Harness): Harness {
  harnesses.push(h);
  return h;
}

async function start(runbook: Runbook, h: Harness): Promise<number> {
  return startRun(
    {
      stateDir: h.stateDir,
      runbook,
      inputs: noInputs(runbook),
      mode: 'drill',
      runId: RUN_ID,
      incidentStart: new Date('2026-11-29T02:50:00Z'),
      yes: true,
      interactive: false,
      acceptManual: true,
      reports: [],
      aws: {},
    },
    h.deps,
  );
}

async function resume(h: Harness): Promise<number> {
  try {
    return await resumeRun(
      {
        stateDir: h.stateDir,
        runId: RUN_ID,
        inputs: { pairs: {} },
        force: false,
        skipPreflight: false,
        reports: undefined,
        yes: true,
        interactive: false,
        acceptManual: true,
        aws: {},
      },
      h.deps,
    );
  } catch (error) {
    if (error instanceof UserError) return error.exitCode;
    throw error;
  }
}

function journalOf(h: Harness): string {
  return readFileSync(join(h.stateDir, 'runs', RUN_ID, 'journal.jsonl'), 'utf8');
}

/** The report less what depends on when things happened (and the sessions it took: a resumed run has one more). */
function timeless(report: RunReport): unknown {
  return {
    ...report,
    operators: report.operators.map((o) => ({ ...o, session: undefined, at: undefined })).slice(0, 1),
    started_at: undefined,
    finished_at: undefined,
    elapsed_s: undefined,
    outcome: report.outcome.replace(/\d[\d.]*(?:ms|[hms])\S*/g, '<time>'),
    rto: report.rto && { ...report.rto, elapsed_s: undefined },
    time: undefined,
    // How the run went (its stops, the questions a resume asks again, the tries a stop cut short) is
    // what a crash changes; every try that ended is in the log as in the uninterrupted run.
    decisions: undefined,
    interruptions: undefined,
    steps: report.steps.map((s) => ({
      ...s,
      duration_s: undefined,
      waiting_s: undefined,
      started_at: undefined,
      finished_at: undefined,
      attempt_log: s.attempt_log.filter((a) => !a.error?.startsWith('cut short')).map((a) => [a.exit_code, a.output_tail]),
      checklist: s.checklist?.map((i) => ({ ...i, at: undefined })),
    })),
  };
}

/**
 * The uninterrupted run's report, plus the attempts the cut journal shows started of a step that
 * never finished there (a command's process, an action's start): the resumed run counts them too.
 */
function withCutShort(expected: unknown, entries: readonly JournalEntry[]): unknown {
  const finished = new Set(entries.flatMap((e) => (e.type === 'step.finished' ? [e.step] : [])));
  const started = new Map<string, number>();
  for (const e of entries) {
    const attempt = (e.type === 'step.process' && !e.rollback) || (e.type === 'step.started' && e.kind === 'uses');
    if (attempt && !finished.has(e.step)) started.set(e.step, (started.get(e.step) ?? 0) + 1);
  }
  // The tries those steps ended before the stop come first in their logs: the resumed run ran them again.
  const ended = new Map<string, unknown[]>();
  for (const e of entries) {
    if (e.type !== 'step.attempt' || finished.has(e.step)) continue;
    ended.set(e.step, [...(ended.get(e.step) ?? []), [e.exit_code, e.stdout_tail.trimEnd() || null]]);
  }
  const report = expected as { steps: { id: string; attempts: number; attempt_log: unknown[] }[] };
  return {
    ...report,
    steps: report.steps.map((s) => ({
      ...s,
      attempts: s.attempts + (started.get(s.id) ?? 0),
      attempt_log: [...(ended.get(s.id) ?? []), ...s.attempt_log],
    })),
  };
}

/** How many times the prefix says each script was started: every attempt and poll of a step, every rollback. */
function startedIn(entries: readonly JournalEntry[], runbook: Runbook): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (script: string): void => void counts.set(script, (counts.get(script) ?? 0) + 1);
  for (const entry of entries) {
    if (entry.type !== 'step.process') continue;
    const step = runbook.steps.find((s) => s.id === entry.step)!;
    const body = entry.rollback ? step.rollback?.body : step.body;
    if (body?.kind === 'run') add(body.script);
  }
  return counts;
}

describe.each(Object.keys(RUNBOOKS))('the crash matrix: %s', (name) => {
  it('a resume --yes from every prefix of the journal ends as the uninterrupted run did, running nothing twice', async () => {
    const original = track(harness());
    const runbook = writeRunbook(original.dir, name, RUNBOOKS[name]!);
    const exitCode = await start(runbook, original);
    const full = journalOf(original);
    const expected = timeless(buildReport(rebuildRun(readJournal(join(original.stateDir, 'runs', RUN_ID, 'journal.jsonl')).entries)));
    const lines = full.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(3);
    if (name === 'checklist') expect(lines.filter((l) => l.includes('"type":"manual.item"'))).toHaveLength(3);

    for (let cut = 1; cut <= lines.length; cut++) {
      for (const torn of cut < lines.length ? [false, true] : [false]) {
        const where = `${name}: cut after line ${cut}${torn ? ' and half of the next' : ''}`;
        const prefix =
          lines
            .slice(0, cut)
            .map((l) => `${l}\n`)
            .join('') + (torn ? lines[cut]!.slice(0, lines[cut]!.length >> 1) : '');
        const entries = lines.slice(0, cut).map((l) => JSON.parse(l) as JournalEntry);
        const before = rebuildRun(entries);
        const h = track(harness());
        mkdirSync(join(h.stateDir, 'runs', RUN_ID), { recursive: true });
        writeFileSync(join(h.stateDir, 'runs', RUN_ID, 'journal.jsonl'), prefix);
        const code = await resume(h);
        const remaining = remainingWork(before);

        if (remaining.kind === 'finished') {
          expect(code, where).toBe(2);
          expect(existsSync(join(h.stateDir, 'runs', RUN_ID, 'report.json')), `${where}: report.json is put in place`).toBe(true);
          continue;
        }
        const inFlightStep =
          remaining.kind === 'steps' && remaining.inFlight ? runbook.steps.find((s) => s.id === remaining.inFlight!.step) : undefined;
        const inFlightRollback =
          remaining.kind === 'rollback' && remaining.inFlight ? runbook.steps.find((s) => s.id === remaining.inFlight!.step) : undefined;
        const refused =
          (inFlightStep && !inFlightStep.idempotent && inFlightStep.body.kind !== 'manual') ||
          (inFlightRollback?.rollback && !inFlightRollback.rollback.idempotent);
        if (refused) {
          expect(code, `${where}: --yes cannot decide about the step in flight`).toBe(2);
          expect(h.runner.executions, `${where}: nothing runs`).toEqual([]);
          continue;
        }
        expect(code, where).toBe(exitCode);
        // The torn line cut, the resumed run's entries chain on the last whole line of the prefix.
        expect(checkChain(readFileSync(join(h.stateDir, 'runs', RUN_ID, 'journal.jsonl'))).broken, `${where}: the hash chain`).toBeNull();
        const after = readJournal(join(h.stateDir, 'runs', RUN_ID, 'journal.jsonl')).entries;
        expect(timeless(buildReport(rebuildRun(after))), where).toEqual(withCutShort(expected, entries));

        // Nothing that finished runs again; what never started runs as it did uninterrupted.
        const startedBefore = startedIn(entries, runbook);
        for (const step of runbook.steps) {
          const forward = step.body.kind === 'run' ? step.body.script : undefined;
          if (forward !== undefined) {
            const again = h.runner.count(forward);
            if (before.steps.has(step.id)) expect(again, `${where}: finished step ${step.id} ran again`).toBe(0);
            else if (!startedBefore.has(forward)) expect(again, `${where}: step ${step.id}`).toBe(original.runner.count(forward));
            else
              expect(again, `${where}: step ${step.id} in flight ran at most as often as uninterrupted`).toBeLessThanOrEqual(
                original.runner.count(forward),
              );
          }
          const undo = step.rollback?.body.kind === 'run' ? step.rollback.body.script : undefined;
          if (undo !== undefined) {
            const total = (startedBefore.get(undo) ?? 0) + h.runner.count(undo);
            const inFlight = inFlightRollback?.id === step.id;
            expect(total, `${where}: rollback of ${step.id}`).toBeLessThanOrEqual(original.runner.count(undo) + (inFlight ? 1 : 0));
            if (before.rollback?.done.has(step.id))
              expect(h.runner.count(undo), `${where}: finished rollback of ${step.id} ran again`).toBe(0);
          }
        }
      }
    }
  });
});
