import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Question } from '../../../src/engine/events.js';
import { readJournal } from '../../../src/journal/journal.js';
import { resumeRun, startRun } from '../../../src/lifecycle/lifecycle.js';
import { buildReport } from '../../../src/report/build.js';
import { rebuildRun } from '../../../src/journal/record.js';
import type { Harness } from '../../support/lifecycle-harness.js';
import { harness, noInputs, writeRunbook } from '../../support/lifecycle-harness.js';
import type { Person } from '../../../src/util/record-text.js';

/** Who takes part: given with --participant, or asked one by one at the start of an interactive drill, and journaled. */

const RUNBOOK = `apiVersion: drctl/v1
kind: Runbook
metadata: { name: team, title: Team, version: "7", severity: P2, owner: platform, tags: [pg] }
objectives: { rto: 1h }
steps:
  - { id: a, title: A, run: ok a }
`;

const OPERATOR = { user: 'alice', host: 'bastion-1', terminal: 'pts/4' };

let h: Harness | undefined;
afterEach(() => h?.remove());

async function start(
  answer: (q: Question) => unknown,
  options: { mode?: 'drill' | 'real'; yes?: boolean; participants?: Person[] } = {},
): Promise<{ code: number; h: Harness }> {
  h = harness({ answer });
  h.deps.operator = OPERATOR;
  const runbook = writeRunbook(h.dir, 'team', RUNBOOK);
  const code = await startRun(
    {
      stateDir: h.stateDir,
      runbook,
      inputs: noInputs(runbook),
      mode: options.mode ?? 'drill',
      runId: 'team-20261129T030000Z-0001',
      incidentStart: new Date('2026-11-29T02:59:00Z'),
      yes: options.yes ?? false,
      interactive: !options.yes,
      acceptManual: false,
      reports: [],
      aws: {},
      environment: 'staging',
      participants: options.participants,
    },
    h.deps,
  );
  return { code, h };
}

const journalOf = (x: Harness) => readJournal(join(x.stateDir, 'runs', 'team-20261129T030000Z-0001', 'journal.jsonl')).entries;

/** Answers the participant questions with `people`, then an empty answer; every other question with its default. */
function answering(people: string[]): (q: Question) => unknown {
  const left = [...people];
  return (q) => (q.kind === 'run.participant' ? (left.shift() ?? '') : q.default);
}

describe('participants', () => {
  it('an interactive drill given none asks one person at a time until an empty answer, and journals each with who added them', async () => {
    const { code, h } = await start(answering(['Ada Lovelace, incident commander', 'Bob']));
    expect(code).toBe(0);
    const asked = h.host.questions.filter((q) => q.kind === 'run.participant');
    expect(asked.map((q) => (q.kind === 'run.participant' ? q.number : 0))).toEqual([1, 2, 3]);
    const entries = journalOf(h);
    // Right after run.started, before the first step.
    expect(entries.slice(0, 3).map((e) => e.type)).toEqual(['run.started', 'participant.added', 'participant.added']);
    const report = buildReport(rebuildRun(entries));
    expect(report.participants.map((p) => [p.name, p.role, p.added_by])).toEqual([
      ['Ada Lovelace', 'incident commander', 'alice@bastion-1'],
      ['Bob', null, 'alice@bastion-1'],
    ]);
    expect(report.scope).toEqual({ environment: 'staging', severity: 'P2', owner: 'platform', tags: ['pg'] });
    expect(report.runbook_file.version).toBe('7');
    expect(report.tool.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('the question refuses an answer that cannot be journaled, and says why', async () => {
    const { h } = await start(answering([]));
    const question = h.host.questions.find((q) => q.kind === 'run.participant');
    if (question?.kind !== 'run.participant') throw new Error('not asked');
    expect(question.check('Ada\u0007, dba')).toBe("the participant's name holds a control character (U+0007)");
    expect(question.check('Ada, dba')).toBeUndefined();
  });

  it('--participant given: nobody is asked; a real recovery and --yes never ask', async () => {
    const given = await start(answering(['Nobody']), { participants: [{ name: 'Cy', role: 'dba' }] });
    expect(given.h.host.questions.some((q) => q.kind === 'run.participant')).toBe(false);
    expect(buildReport(rebuildRun(journalOf(given.h))).participants.map((p) => p.name)).toEqual(['Cy']);
    given.h.remove();
    const real = await start(answering(['Nobody']), { mode: 'real' });
    expect(real.h.host.questions.some((q) => q.kind === 'run.participant')).toBe(false);
    real.h.remove();
    const yes = await start(answering(['Nobody']), { yes: true });
    expect(yes.h.host.questions.some((q) => q.kind === 'run.participant')).toBe(false);
    expect(journalOf(yes.h).some((e) => e.type === 'participant.added')).toBe(false);
  });

  it('interrupted while asking: exit 130, nothing journaled', async () => {
    const stop = new AbortController();
    h = harness({
      answer: (q) => {
        if (q.kind === 'run.participant' && q.number === 2) {
          stop.abort(new Error('SIGINT'));
          throw new Error('interrupted');
        }
        return q.kind === 'run.participant' ? 'Ada' : q.default;
      },
    });
    h.deps.signal = stop.signal;
    const runbook = writeRunbook(h.dir, 'team', RUNBOOK);
    const request = {
      stateDir: h.stateDir,
      runbook,
      inputs: noInputs(runbook),
      mode: 'drill' as const,
      runId: 'team-20261129T030000Z-0001',
      incidentStart: new Date('2026-11-29T02:59:00Z'),
      yes: false,
      interactive: true,
      acceptManual: false,
      reports: [],
      aws: {},
    };
    await expect(startRun(request, h.deps)).rejects.toMatchObject({
      message: 'interrupted while asking who takes part: nothing was run or journaled',
      exitCode: 130,
    });
    expect(existsSync(join(h.stateDir, 'runs', 'team-20261129T030000Z-0001', 'journal.jsonl'))).toBe(false);
  });

  it('people who join at a resume are journaled right after run.resumed', async () => {
    // A real recovery (nobody is asked who takes part), stopped at step a's menu.
    const stop = new AbortController();
    h = harness({
      answer: (q) => {
        if (q.kind === 'step.action') {
          stop.abort(new Error('SIGINT'));
          throw new Error('interrupted');
        }
        return q.default;
      },
    });
    h.deps.signal = stop.signal;
    h.deps.operator = OPERATOR;
    const runbook = writeRunbook(h.dir, 'team', RUNBOOK);
    const first = await startRun(
      {
        stateDir: h.stateDir,
        runbook,
        inputs: noInputs(runbook),
        mode: 'real',
        runId: 'team-20261129T030000Z-0001',
        incidentStart: new Date('2026-11-29T02:59:00Z'),
        yes: false,
        interactive: true,
        acceptManual: false,
        reports: [],
        aws: {},
      },
      h.deps,
    );
    expect(first).toBe(130);
    h.deps.signal = new AbortController().signal;
    const code = await resumeRun(
      {
        stateDir: h.stateDir,
        runId: 'team-20261129T030000Z-0001',
        inputs: { pairs: {} },
        force: false,
        skipPreflight: true,
        reports: undefined,
        yes: true,
        interactive: false,
        acceptManual: false,
        aws: {},
        participants: [{ name: 'Dee', role: 'on call' }],
      },
      h.deps,
    );
    expect(code).toBe(0);
    const entries = journalOf(h);
    const types = entries.map((e) => e.type);
    expect(types.indexOf('participant.added')).toBe(types.indexOf('run.resumed') + 1);
    const report = buildReport(rebuildRun(entries));
    expect(report.participants.map((p) => [p.name, p.role, p.added_by])).toEqual([['Dee', 'on call', 'alice@bastion-1']]);
    expect(report.operators.map((o) => o.session)).toEqual(['run', 'resume']);
    expect(report.operators.every((o) => o.version === report.tool.version)).toBe(true);
  });
});
