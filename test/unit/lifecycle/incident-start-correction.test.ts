import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readJournal } from '../../../src/journal/journal.js';
import { rebuildRun } from '../../../src/journal/record.js';
import { resumeRun, startRun } from '../../../src/lifecycle/lifecycle.js';
import { buildReport } from '../../../src/report/build.js';
import { renderReport } from '../../../src/report/render.js';
import type { Harness } from '../../support/lifecycle-harness.js';
import { harness, noInputs, writeRunbook } from '../../support/lifecycle-harness.js';

/** resume --incident-start: the correction is journaled, and the record and every report measure from it. */

const RUNBOOK = `apiVersion: drctl/v1
kind: Runbook
metadata: { name: corrected, title: Corrected }
objectives: { rto: 1h, rpo: 30m }
steps:
  - { id: a, title: A, run: ok a }
  - { id: b, title: B, uses: sleep, with: { duration: 1ms } }
  - { id: c, title: C, run: ok c }
`;

const RUN_ID = 'corrected-20261129T030000Z-0001';
const OPERATOR = { user: 'bob', host: 'jump-2', terminal: 'pts/9' };

let h: Harness | undefined;
afterEach(() => h?.remove());

function entries(x: Harness): ReturnType<typeof readJournal>['entries'] {
  return readJournal(join(x.stateDir, 'runs', RUN_ID, 'journal.jsonl')).entries;
}

/** A run begun with an incident start two hours back (the fake clock reads 03:00), stopped at step b's menu. */
async function interruptedRun(): Promise<Harness> {
  const stop = new AbortController();
  const x = harness({
    answer: (q) => {
      if (q.kind === 'step.action' && q.card.id === 'b') {
        stop.abort(new Error('SIGINT'));
        throw new Error('interrupted');
      }
      return q.default;
    },
  });
  x.deps.signal = stop.signal;
  x.deps.operator = OPERATOR;
  const runbook = writeRunbook(x.dir, 'corrected', RUNBOOK);
  const code = await startRun(
    {
      stateDir: x.stateDir,
      runbook,
      inputs: noInputs(runbook),
      mode: 'real',
      runId: RUN_ID,
      incidentStart: new Date('2026-11-29T01:00:00Z'),
      yes: false,
      interactive: true,
      acceptManual: false,
      reports: [],
      aws: {},
    },
    x.deps,
  );
  expect(code).toBe(130);
  x.deps.signal = new AbortController().signal;
  return x;
}

async function resume(x: Harness, incidentStart?: { at: Date; reason: string | null }): Promise<number> {
  return resumeRun(
    {
      stateDir: x.stateDir,
      runId: RUN_ID,
      inputs: { pairs: {} },
      force: false,
      skipPreflight: true,
      reports: undefined,
      yes: true,
      interactive: false,
      acceptManual: false,
      aws: {},
      ...(incidentStart ? { incidentStart } : {}),
    },
    x.deps,
  );
}

describe('resume --incident-start', () => {
  it('journals the correction (from, to, who, why) after run.resumed; the RTO verdict and the reports measure from the new time', async () => {
    h = await interruptedRun();
    expect(buildReport(rebuildRun(entries(h))).incident_start).toBe('2026-11-29T01:00:00.000Z');
    const code = await resume(h, { at: new Date('2026-11-29T02:45:00Z'), reason: 'first alert was 02:45' });
    expect(code).toBe(0);

    const journal = entries(h);
    const at = journal.findIndex((e) => e.type === 'incident_start.corrected');
    expect(journal[at - 1]?.type).toBe('run.resumed');
    expect(journal[at]).toMatchObject({
      from: '2026-11-29T01:00:00.000Z',
      to: '2026-11-29T02:45:00.000Z',
      user: 'bob',
      host: 'jump-2',
      terminal: 'pts/9',
      reason: 'first alert was 02:45',
    });
    const report = buildReport(rebuildRun(journal));
    expect(report.incident_start).toBe('2026-11-29T02:45:00.000Z');
    expect(report.rto).toMatchObject({ met: true, verdict: 'met' });
    expect(report.elapsed_s).toBeLessThan(3600);
    expect(report.incident_start_corrections).toEqual([
      {
        at: journal[at]!.t,
        from: '2026-11-29T01:00:00.000Z',
        to: '2026-11-29T02:45:00.000Z',
        user: 'bob',
        host: 'jump-2',
        terminal: 'pts/9',
        reason: 'first alert was 02:45',
      },
    ]);
    expect(renderReport(report, 'md')).toContain(
      '| Incident start | 2026-11-29T02:45:00.000Z (corrected from 2026-11-29T01:00:00.000Z by bob@jump-2 at',
    );
    expect(renderReport(report, 'html')).toContain('(corrected from 2026-11-29T01:00:00.000Z by bob@jump-2 at');
    // The operator is told what changes and what does not.
    const shown = h.host.events.find((e) => e.type === 'incident_start.corrected');
    expect(shown).toBeDefined();
    const header = h.host.events.filter((e) => e.type === 'run.header').at(-1);
    expect(header).toMatchObject({ resumed: true, incidentStart: '2026-11-29T02:45:00.000Z' });
  });

  it('without a correction the RTO is measured from the journaled time (missed), and nothing is journaled as corrected', async () => {
    h = await interruptedRun();
    expect(await resume(h)).toBe(3);
    const journal = entries(h);
    expect(journal.some((e) => e.type === 'incident_start.corrected')).toBe(false);
    const report = buildReport(rebuildRun(journal));
    expect(report.rto).toMatchObject({ met: false, verdict: 'missed' });
    expect(report.incident_start_corrections).toEqual([]);
    expect(renderReport(report, 'md')).toContain('| Incident start | 2026-11-29T01:00:00.000Z |');
  });

  it('the same time again is no correction', async () => {
    h = await interruptedRun();
    await resume(h, { at: new Date('2026-11-29T01:00:00Z'), reason: null });
    expect(entries(h).some((e) => e.type === 'incident_start.corrected')).toBe(false);
  });
});
