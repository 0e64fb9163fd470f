import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { drctl, header, requireBuild, runIds, workspace } from './helpers.js';

/** `logs`, `report` and `resume` name a run by its id, a unique prefix of it, or "latest" (the default). */

beforeAll(() => requireBuild());

describe('naming a run by a prefix of its id', () => {
  /** Two runs of one runbook: a prefix common to both is ambiguous. */
  function twoRuns() {
    const ws = workspace();
    const file = ws.runbook('rb.yaml', `${header('twice', 'Run twice')}steps:\n  - id: one\n    title: One\n    run: echo one\n`);
    for (let i = 0; i < 2; i++) {
      const run = drctl(['run', file, '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
      expect(run.status, run.all).toBe(0);
    }
    const ids = runIds(ws.stateDir);
    expect(ids).toHaveLength(2);
    return { ws, ids };
  }

  it('an ambiguous prefix: exit 2 listing the runs it matches, for logs, report and resume', () => {
    const { ws, ids } = twoRuns();
    for (const command of ['logs', 'report', 'resume']) {
      const out = drctl([command, 'twice-', '--state-dir', ws.stateDir], { cwd: ws.dir });
      expect(out.status, out.all).toBe(2);
      expect(out.stderr).toBe(
        `drctl: run id prefix twice- matches 2 runs: ${ids.join(', ')}\n  hint: give more of the run id (see drctl runs)\n`,
      );
    }
  });

  it('a unique prefix names its run in report; a prefix that names no run: exit 2 with the recent ones', () => {
    const { ws, ids } = twoRuns();
    const [first, second] = ids as [string, string];
    const differs = [...first].findIndex((c, i) => c !== second[i]);
    const prefix = first.slice(0, differs + 1);
    const report = drctl(['report', prefix, '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(report.status, report.all).toBe(0);
    expect((JSON.parse(report.stdout) as { run_id: string }).run_id).toBe(first);
    const resume = drctl(['resume', prefix, '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(resume.status, resume.all).toBe(2);
    expect(resume.stderr).toContain(`drctl: run ${first} already finished: succeeded\n`);
    for (const command of ['logs', 'report', 'resume']) {
      const none = drctl([command, 'other', '--state-dir', ws.stateDir], { cwd: ws.dir });
      expect(none.status, none.all).toBe(2);
      expect(none.stderr).toMatch(/^drctl: no run other in .*\n {2}hint: recent runs: twice-\S+, twice-\S+\n$/);
    }
  });

  it('a prefix is a name (logs and resume take one too): a path, dots or capitals are refused before the file system is touched', () => {
    const { ws } = twoRuns();
    mkdirSync(join(ws.dir, 'elsewhere', 'runs'), { recursive: true });
    for (const given of ['../elsewhere', 'twice/x', 'TWICE', 'twice.']) {
      for (const command of ['logs', 'report', 'resume']) {
        const out = drctl([command, given, '--state-dir', ws.stateDir], { cwd: ws.dir });
        expect(out.status, out.all).toBe(2);
        expect(out.stderr).toMatch(new RegExp(`^drctl: ${JSON.stringify(given).replace(/[.]/g, '\\.')} is not a run id\n`));
      }
    }
  });

  it('"latest" and no id name the newest run; with no runs at all, exit 2', () => {
    const { ws } = twoRuns();
    const runs = drctl(['runs', '--json', '--state-dir', ws.stateDir], { cwd: ws.dir });
    const newest = (JSON.parse(runs.stdout) as { run_id: string }[])[0]!.run_id;
    for (const args of [['report', 'latest'], ['report']]) {
      const report = drctl([...args, '--state-dir', ws.stateDir], { cwd: ws.dir });
      expect(report.status, report.all).toBe(0);
      expect((JSON.parse(report.stdout) as { run_id: string }).run_id).toBe(newest);
    }
    const resume = drctl(['resume', 'latest', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(resume.status, resume.all).toBe(2);
    expect(resume.stderr).toContain(`drctl: run ${newest} already finished: succeeded\n`);
    const empty = workspace();
    const none = drctl(['logs', '--state-dir', empty.stateDir], { cwd: empty.dir });
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/^drctl: no runs in /);
  });
});
