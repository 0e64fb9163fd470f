import { readFileSync, writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checklistItems } from '../../../src/engine/checklist.js';
import type { Question } from '../../../src/engine/events.js';
import { buildPlan } from '../../../src/engine/plan.js';
import type { JournalEntry } from '../../../src/journal/entries.js';
import { readJournal } from '../../../src/journal/journal.js';
import { rebuildRun } from '../../../src/journal/record.js';
import { resumeRun, startRun } from '../../../src/lifecycle/lifecycle.js';
import type { RunReport } from '../../../src/report/build.js';
import { buildReport } from '../../../src/report/build.js';
import { renderReport } from '../../../src/report/render.js';
import { validateFile } from '../../../src/runbook/validate.js';
import type { Harness } from '../../support/lifecycle-harness.js';
import { harness, noInputs, writeRunbook } from '../../support/lifecycle-harness.js';

/** Manual steps: run facts in their text, and a Markdown checklist confirmed item by item, in-process. */

const RUNBOOK = `apiVersion: drctl/v1
kind: Runbook
metadata: { name: comms, title: Comms }
objectives: { rto: 1h, rpo: 15m }
steps:
  - id: announce
    title: Announce
    manual: |
      Detected at: \${{ run.incident_start }}    Downtime: \${{ run.elapsed }}
      Run \${{ run.id }} of \${{ run.runbook }} by \${{ run.operator }}, started \${{ run.started_at }}
      Objectives: RTO \${{ run.rto }}, RPO \${{ run.rpo }}
      Posted at \${{ run.now }} (\${{ run.mode }})
  - { id: a, title: A, run: ok a }
  - id: verify
    title: Verify
    manual: |
      Check these:

      - [ ] Pods healthy
      - [ ] TLS certificates valid
            for \${{ run.runbook }}
      - [ ] Backups scheduled
  - { id: b, title: B, run: ok b }
`;

const RUN_ID = 'comms-20261129T030000Z-0001';
const INCIDENT = '2026-11-29T02:59:00.000Z';
const harnesses: Harness[] = [];
afterEach(() => harnesses.splice(0).forEach((x) => x.remove()));

function track(x: Harness): Harness {
  harnesses.push(x);
  return x;
}

async function start(
  answer: (q: Question) => unknown,
  options: { yes?: boolean; dir?: string; signal?: AbortSignal } = {},
): Promise<{ code: number; h: Harness }> {
  const h = options.dir ? harness({ dir: options.dir, answer }) : track(harness({ answer }));
  if (options.signal) h.deps.signal = options.signal;
  const runbook = writeRunbook(h.dir, 'comms', RUNBOOK);
  const yes = options.yes ?? false;
  const code = await startRun(
    {
      stateDir: h.stateDir,
      runbook,
      inputs: noInputs(runbook),
      mode: 'real',
      runId: RUN_ID,
      incidentStart: new Date(INCIDENT),
      yes,
      interactive: !yes,
      acceptManual: yes,
      reports: [],
      aws: {},
    },
    h.deps,
  );
  return { code, h };
}

function entries(x: Harness): JournalEntry[] {
  return readJournal(join(x.stateDir, 'runs', RUN_ID, 'journal.jsonl')).entries;
}

function items(x: Harness): Array<Extract<JournalEntry, { type: 'manual.item' }>> {
  return entries(x).filter((e): e is Extract<JournalEntry, { type: 'manual.item' }> => e.type === 'manual.item');
}

function report(x: Harness): RunReport {
  return JSON.parse(readFileSync(join(x.stateDir, 'runs', RUN_ID, 'report.json'), 'utf8')) as RunReport;
}

const me = `${userInfo().username}@${hostname()}`;
/** An operator at the menu runs every step; at a checklist they answer as `item` says. */
const operator =
  (item: (q: Extract<Question, { kind: 'manual.item' }>) => unknown) =>
  (q: Question): unknown =>
    q.kind === 'step.action' ? 'run' : q.kind === 'manual.done' ? 'done' : q.kind === 'manual.item' ? item(q) : q.default;

describe('run facts in a manual step', () => {
  it('the card shows the text once with run.* filled in: the incident start, the time since it, the run, who runs it', async () => {
    const { code, h } = await start(operator(() => 'done'));
    expect(code).toBe(0);
    const card = h.host.events.find((e) => e.type === 'step.card' && e.card.id === 'announce');
    const text = card?.type === 'step.card' && card.card.command.kind === 'manual' ? card.card.command.display : '';
    // The fake clock starts at 03:00:00Z, one minute after the incident start, and moves 10 ms a read.
    expect(text).toContain(`Detected at: ${INCIDENT}    Downtime: 1m\n`);
    expect(text).toMatch(new RegExp(`Run ${RUN_ID} of comms by ${me.replace('.', '\\.')}, started 2026-11-29T03:00:00\\.\\d{3}Z\n`));
    expect(text).toContain('Objectives: RTO 1h, RPO 15m');
    expect(text).toMatch(/Posted at 2026-11-29T03:00:\d\d\.\d{3}Z \(real\)/);
    expect(text).not.toContain('${{');
    // run.started_at is the journal's own start of the run.
    expect(text).toContain(`started ${entries(h)[0]!.t}`);
  });

  it('a plan (dry run) fills them too: the plan time as the start, the time since the incident start', () => {
    const h = track(harness());
    const runbook = writeRunbook(h.dir, 'comms', RUNBOOK);
    const incidentStart = new Date(Date.now() - 23 * 60_000 - 10_000);
    const plan = buildPlan(runbook, { inputs: noInputs(runbook), mode: 'dry-run', runId: 'comms-plan', incidentStart, env: {} });
    const view = plan.steps[0]!.command;
    const text = view.kind === 'manual' ? view.display : '';
    expect(text).toMatch(/Downtime: 23m1\ds\n/);
    expect(text).toContain(`Detected at: ${incidentStart.toISOString()}`);
    expect(text).toMatch(new RegExp(`of comms by ${me.replace('.', '\\.')}, started \\d{4}-\\d\\d-\\d\\dT`));
  });

  it('validate takes the run facts and names them all for an unknown one', () => {
    const h = track(harness());
    const file = join(h.dir, 'bad.yaml');
    writeRunbook(h.dir, 'good', RUNBOOK);
    const bad = RUNBOOK.replace('${{ run.rpo }}', '${{ run.downtime }}');
    writeFileSync(file, bad);
    const result = validateFile(file);
    expect(result.runbook).toBeUndefined();
    const text = JSON.stringify(result.diagnostics);
    expect(text).toContain('unknown run property \\"run.downtime\\"');
    expect(text).toContain('run has id, mode, incident_start, started_at, elapsed, now, runbook, operator, rto, rpo');
  });
});

describe('a checklist in a manual step', () => {
  it('asks each item in turn; each answer is journaled with its time and who answered, and the report lists them', async () => {
    const { code, h } = await start(operator((q) => (q.index === 2 ? 'skip' : 'done')));
    expect(code).toBe(0);
    const asked = h.host.questions.filter((q) => ('card' in q ? q.card.id : 'id' in q ? q.id : q.kind) === 'verify');
    expect(asked.map((q) => (q.kind === 'manual.item' ? `item ${q.index}/${q.total}: ${q.text}` : q.kind))).toEqual([
      'step.action',
      'item 1/3: Pods healthy',
      'item 2/3: TLS certificates valid for comms',
      'item 3/3: Backups scheduled',
    ]);
    const journaled = items(h);
    expect(journaled.map((e) => [e.step, e.index, e.total, e.text, e.answer])).toEqual([
      ['verify', 1, 3, 'Pods healthy', 'done'],
      ['verify', 2, 3, 'TLS certificates valid for comms', 'skipped'],
      ['verify', 3, 3, 'Backups scheduled', 'done'],
    ]);
    for (const e of journaled) {
      expect(e.t).toMatch(/^2026-11-29T03:00:\d\d\.\d{3}Z$/);
      expect(e.wait_ms).toBeGreaterThan(0);
      expect(`${e.who?.user}@${e.who?.host}`).toBe(me);
    }
    const finished = entries(h).find((e) => e.type === 'step.finished' && e.step === 'verify');
    expect(finished).toMatchObject({ status: 'succeeded', reason: 'done by the operator; items skipped: 2' });

    const r = report(h);
    const verify = r.steps.find((s) => s.id === 'verify')!;
    expect(verify.checklist?.map((i) => [i.index, i.text, i.answer, i.by])).toEqual([
      [1, 'Pods healthy', 'done', me],
      [2, 'TLS certificates valid for comms', 'skipped', me],
      [3, 'Backups scheduled', 'done', me],
    ]);
    expect(verify.checklist?.[0]?.at).toBe(journaled[0]!.t);
    expect(r.steps.find((s) => s.id === 'announce')).not.toHaveProperty('checklist');
    const md = renderReport(r, 'md');
    expect(md).toContain('## Checklists\n\n`verify`:\n\n- [x] Pods healthy (done, ');
    expect(md).toContain('- [ ] TLS certificates valid for comms (skipped, ');
    const html = renderReport(r, 'html');
    expect(html).toContain('<ul class="checklist"><li class="done">Pods healthy <small>(done, ');
    expect(html).toContain('<li class="skipped">TLS certificates valid for comms <small>(skipped, ');
  });

  it('"abort the run" at an item stops the run there (exit 4): the item is journaled as aborted, the rest are not asked', async () => {
    const { code, h } = await start(operator((q) => (q.index === 2 ? 'abort' : 'done')));
    expect(code).toBe(4);
    expect(items(h).map((e) => [e.index, e.answer])).toEqual([
      [1, 'done'],
      [2, 'aborted'],
    ]);
    expect(entries(h).find((e) => e.type === 'run.aborting')).toMatchObject({
      step: 'verify',
      reason: 'aborted by the operator at checklist item 2/3',
    });
    expect(h.runner.count('ok b')).toBe(0);
    expect(
      report(h)
        .steps.find((s) => s.id === 'verify')
        ?.checklist?.map((i) => i.answer),
    ).toEqual(['done', 'aborted']);
  });

  it('resumed after Ctrl-C in the middle of a checklist, it asks only the items not answered yet', async () => {
    const stop = new AbortController();
    const first = await start(
      operator((q) => {
        if (q.index === 2) {
          stop.abort(new Error('SIGINT'));
          throw new Error('the prompt was cut short');
        }
        return 'done';
      }),
      { signal: stop.signal },
    );
    expect(first.code).toBe(130);
    expect(items(first.h).map((e) => e.index)).toEqual([1]);

    const again = harness({ dir: first.h.dir, answer: operator(() => 'done') });
    const code = await resumeRun(
      {
        stateDir: again.stateDir,
        runId: RUN_ID,
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
    expect(again.host.questions.filter((q) => q.kind === 'manual.item').map((q) => (q.kind === 'manual.item' ? q.index : 0))).toEqual([
      2, 3,
    ]);
    expect(items(again).map((e) => [e.index, e.answer])).toEqual([
      [1, 'done'],
      [2, 'done'],
      [3, 'done'],
    ]);
    expect(
      rebuildRun(entries(again))
        .checklists.get('verify')
        ?.map((i) => i.index),
    ).toEqual([1, 2, 3]);
    expect(report(again).steps.find((s) => s.id === 'verify')?.reason).toBe('done by the operator');
  });

  it('with --yes --accept-manual every item is acknowledged, each journaled as such', async () => {
    const { code, h } = await start((q) => q.default, { yes: true });
    expect(code).toBe(0);
    expect(items(h).map((e) => [e.index, e.answer])).toEqual([
      [1, 'acknowledged'],
      [2, 'acknowledged'],
      [3, 'acknowledged'],
    ]);
    expect(entries(h).find((e) => e.type === 'step.finished' && e.step === 'verify')).toMatchObject({
      reason: 'acknowledged with --accept-manual',
    });
  });

  it('a journal from before checklists (no manual.item entries) still reads, with no checklist in the report', async () => {
    const { h } = await start(operator(() => 'done'));
    const old = entries(h).filter((e) => e.type !== 'manual.item');
    const r = buildReport(rebuildRun(old));
    expect(r.status).toBe('succeeded');
    expect(r.steps.some((s) => s.checklist)).toBe(false);
  });
});

describe('checklistItems', () => {
  it('takes "- [ ]" lines with the indented lines that continue them, and nothing else', () => {
    const text = [
      '1. Post the report:',
      '- [ ] first',
      '* [ ] second, which goes on',
      '      on this line',
      '- [x] already ticked is not asked',
      '- a plain bullet',
      '  + [ ] nested item',
      '',
      '```',
      '- [ ] inside a code block',
      '```',
      'After the list.',
    ].join('\n');
    expect(checklistItems(text)).toEqual(['first', 'second, which goes on on this line', 'nested item']);
  });

  it('a text without checkboxes has no checklist', () => {
    expect(checklistItems('Make sure an EMPTY database exists:\n\n- in Kubernetes: ...\n- managed: ...')).toEqual([]);
  });
});
