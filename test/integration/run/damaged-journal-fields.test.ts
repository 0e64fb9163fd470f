import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from './helpers.js';
import { drctl, header, journalPath, reportPath, requireBuild, runIds, workspace } from './helpers.js';

/**
 * A journal line of a known entry type with a field missing or of the wrong type (a journal edited
 * by hand, a disk that corrupted a line): report, runs and history name the damaged line, or skip
 * the run, never fail with an internal error.
 */

beforeAll(() => requireBuild());

const RUNBOOK = `${header('damaged', 'Damaged journal')}objectives:
  rto: 30m
steps:
  - id: one
    title: One
    run: echo one
  - id: two
    title: Two
    run: echo two
`;

/** Two runs; each line of the first run's journal passed through `edit`, and its report.json gone. */
function damagedRun(ws: Workspace, edit: (entry: Record<string, unknown>) => Record<string, unknown>): { damaged: string; good: string } {
  ws.runbook('rb.yaml', RUNBOOK);
  for (let i = 0; i < 2; i++) expect(drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir }).status).toBe(0);
  const [damaged, good] = runIds(ws.stateDir).sort() as [string, string];
  const file = journalPath(ws.stateDir, damaged);
  const lines = readFileSync(file, 'utf8').slice(0, -1).split('\n');
  writeFileSync(file, lines.map((l) => `${JSON.stringify(edit(JSON.parse(l) as Record<string, unknown>))}\n`).join(''));
  rmSync(reportPath(ws.stateDir, damaged));
  return { damaged, good };
}

const cases: Array<[string, (entry: Record<string, unknown>) => Record<string, unknown>, number]> = [
  [
    'a run start without its objectives, options and steps',
    (e) => (e.type === 'run.started' ? { ...e, objectives: undefined, options: undefined, steps: undefined } : e),
    1,
  ],
  ['a step start without its step', (e) => (e.type === 'step.started' && e.step === 'two' ? { ...e, step: undefined } : e), 6],
  ['a step end whose error tail is not text', (e) => (e.type === 'step.finished' && e.step === 'one' ? { ...e, error_tail: 7 } : e), 5],
  ['a run end with a status that is not a run status', (e) => (e.type === 'run.finished' ? { ...e, status: 'exploded' } : e), 0],
];

describe('a journal line of a known type with fields missing or mistyped', () => {
  it.each(cases)(
    '%s: report names the line (exit 2), runs and history skip the run (exit 0)',
    (_what, edit, at) => {
      const ws = workspace();
      const { damaged, good } = damagedRun(ws, edit);
      const file = journalPath(ws.stateDir, damaged);
      const line = at > 0 ? at : readFileSync(file, 'utf8').slice(0, -1).split('\n').length;

      const report = drctl(['report', damaged, '--state-dir', ws.stateDir], { cwd: ws.dir });
      expect(report.status, report.all).toBe(2);
      expect(report.stderr).toContain(`${file}:${line}:1: the run journal is damaged`);

      const runs = drctl(['runs', '--state-dir', ws.stateDir], { cwd: ws.dir });
      expect(runs.status, runs.all).toBe(0);
      expect(runs.stdout).toContain(good);
      expect(runs.stdout).not.toContain(damaged);
      expect(runs.stderr).toContain(`drctl: skipped ${damaged}: its journal is unreadable`);

      const history = drctl(['history', 'damaged', '--state-dir', ws.stateDir], { cwd: ws.dir });
      expect(history.status, history.all).toBe(0);
      expect(history.stderr).toContain(`drctl: skipped ${damaged}`);
    },
    60_000,
  );
});
