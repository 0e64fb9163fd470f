import { chmodSync, chownSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, drctl, header, readReport, requireBuild, workspace } from './helpers.js';

/**
 * Without --state-dir or DRCTL_STATE_DIR, runs are kept in $XDG_STATE_HOME/drctl (else
 * ~/.local/state/drctl), so every terminal finds the same runs; runs an older drctl left in
 * ./.drctl of the current folder are still listed, reported and resumed there.
 */

beforeAll(() => requireBuild());

const QUICK = `${header('quick', 'Quick')}steps:
  - id: only
    title: Only step
    run: echo done
`;

/** Step 2 kills drctl itself (kill -9, as a crash would) the first time it runs; it goes through on resume. */
const CRASHY = `${header('crashy', 'Crashes once')}steps:
  - id: first
    title: First
    run: echo first
  - id: crash
    title: Crashes drctl the first time
    idempotent: true
    run: |
      if [ ! -f crashed.flag ]; then touch crashed.flag; kill -9 "$PPID"; exit 1; fi
      echo resumed > resumed.txt
`;

function runsIn(stateDir: string): string[] {
  return existsSync(join(stateDir, 'runs')) ? readdirSync(join(stateDir, 'runs')) : [];
}

describe('where runs are kept by default', () => {
  it('keeps a run in $XDG_STATE_HOME/drctl, and `drctl runs` and `report` find it from another folder', () => {
    const ws = workspace();
    const other = workspace();
    const runbook = ws.runbook('quick.yaml', QUICK);
    const run = drctl(['run', runbook, '--yes'], { cwd: ws.dir });
    expect(run.status, run.all).toBe(0);

    const stateDir = join(cliEnv().XDG_STATE_HOME!, 'drctl');
    const [runId] = runsIn(stateDir);
    expect(runId).toMatch(/^quick-/);
    expect(readReport(stateDir, runId!).status).toBe('succeeded');
    expect(existsSync(ws.path('.drctl'))).toBe(false);

    const runs = drctl(['runs'], { cwd: other.dir });
    expect(runs.status, runs.all).toBe(0);
    expect(runs.stdout).toContain(runId);
    expect(runs.stdout).not.toContain('KEPT IN');
    const report = drctl(['report', runId!], { cwd: other.dir });
    expect(report.status, report.all).toBe(0);
    expect(JSON.parse(report.stdout)).toMatchObject({ run_id: runId, status: 'succeeded' });
  });

  it('keeps a run in ~/.local/state/drctl when XDG_STATE_HOME is not set (or not absolute)', () => {
    for (const [i, xdg] of [undefined, 'relative/state'].entries()) {
      const ws = workspace();
      const env = { XDG_STATE_HOME: xdg };
      const run = drctl(['run', ws.runbook('quick.yaml', QUICK), '--yes'], { cwd: ws.dir, env });
      expect(run.status, run.all).toBe(0);
      const stateDir = join(cliEnv(env).HOME!, '.local', 'state', 'drctl');
      expect(runsIn(stateDir)).toHaveLength(i + 1);
      expect(existsSync(ws.path('relative'))).toBe(false);
      const runs = drctl(['runs'], { cwd: workspace().dir, env });
      for (const runId of runsIn(stateDir)) expect(runs.stdout).toContain(runId);
    }
  });

  it('still keeps runs where --state-dir or DRCTL_STATE_DIR says, and looks nowhere else', () => {
    const ws = workspace();
    const runbook = ws.runbook('quick.yaml', QUICK);
    expect(drctl(['run', runbook, '--yes', '--state-dir', ws.path('flag')], { cwd: ws.dir }).status).toBe(0);
    expect(drctl(['run', runbook, '--yes'], { cwd: ws.dir, env: { DRCTL_STATE_DIR: ws.path('env') } }).status).toBe(0);
    expect(runsIn(ws.path('flag'))).toHaveLength(1);
    expect(runsIn(ws.path('env'))).toHaveLength(1);
    expect(runsIn(join(cliEnv().XDG_STATE_HOME!, 'drctl'))).toEqual([]);
    const runs = drctl(['runs', '--state-dir', ws.path('flag')], { cwd: ws.dir });
    expect(runs.stdout).toContain(runsIn(ws.path('flag'))[0]);
    expect(runs.stdout).not.toContain(runsIn(ws.path('env'))[0]);
  });
});

describe('runs an older drctl left in ./.drctl', () => {
  it('are listed with their folder, reported, and resumed in that folder', () => {
    const ws = workspace();
    const runbook = ws.runbook('crashy.yaml', CRASHY);
    const legacy = ws.path('.drctl');
    // What an older drctl did by default: keep the run in ./.drctl.
    const crashed = drctl(['run', runbook, '--yes', '--state-dir', legacy], { cwd: ws.dir });
    expect(crashed.signal, crashed.all).toBe('SIGKILL');
    const [runId] = runsIn(legacy);
    expect(runId).toMatch(/^crashy-/);
    // And a newer run in the default folder, listed beside it.
    expect(drctl(['run', ws.runbook('quick.yaml', QUICK), '--yes'], { cwd: ws.dir }).status).toBe(0);
    const defaultDir = join(cliEnv().XDG_STATE_HOME!, 'drctl');
    const [quickId] = runsIn(defaultDir);

    const runs = drctl(['runs'], { cwd: ws.dir });
    expect(runs.status, runs.all).toBe(0);
    const line = runs.stdout.split('\n').find((l) => l.includes(runId!));
    expect(line).toContain('interrupted (resumable)');
    expect(line).toContain(legacy);
    expect(runs.stdout.split('\n').find((l) => l.includes(quickId!))).toContain(defaultDir);
    expect(runs.stdout).toContain('KEPT IN');

    const resumed = drctl(['resume', runId!, '--yes'], { cwd: ws.dir });
    expect(resumed.status, resumed.all).toBe(0);
    expect(ws.read('resumed.txt')).toBe('resumed\n');
    expect(readReport(legacy, runId!).status).toBe('succeeded');
    expect(runsIn(defaultDir)).toEqual([quickId]);

    const report = drctl(['report', runId!], { cwd: ws.dir });
    expect(report.status, report.all).toBe(0);
    expect(JSON.parse(report.stdout)).toMatchObject({ run_id: runId, status: 'succeeded' });
    // From another folder, ./.drctl of this one is not looked at.
    const elsewhere = drctl(['report', runId!], { cwd: workspace().dir });
    expect(elsewhere.status).toBe(2);
    expect(elsewhere.stderr).toContain(`no run ${runId}`);
  });

  it('are refused, never resumed, when ./.drctl is writable by others or (as root) belongs to another user', () => {
    const ws = workspace();
    const legacy = ws.path('.drctl');
    expect(drctl(['run', ws.runbook('crashy.yaml', CRASHY), '--yes', '--state-dir', legacy], { cwd: ws.dir }).signal).toBe('SIGKILL');
    const [runId] = runsIn(legacy);
    chmodSync(join(legacy, 'runs'), 0o777);
    const refusal = (why: string) =>
      `drctl: run ${runId} is kept in ${legacy}, which drctl does not trust: ${why}\n` +
      '  hint: drctl does not resume, abandon or note a run, nor take its outputs, from a folder that is not yours alone; if it is yours, chown it to you and chmod go-w it\n';
    for (const args of [
      ['resume', runId!, '--yes'],
      ['abandon', runId!],
      ['note', runId!, 'a note'],
    ]) {
      const refused = drctl(args, { cwd: ws.dir });
      expect(refused.status, refused.all).toBe(2);
      expect(refused.stderr).toBe(refusal(`${legacy}/runs may be written by any user`));
    }
    const outputs = drctl(['run', 'crashy.yaml', '--yes', '--start-at', 'crash', '--outputs-from', runId!], { cwd: ws.dir });
    expect(outputs.status, outputs.all).toBe(2);
    expect(outputs.stderr).toBe(refusal(`${legacy}/runs may be written by any user`));
    // Nor is it listed, or taken as the latest run to resume.
    expect(drctl(['runs'], { cwd: ws.dir }).stdout).not.toContain(runId);
    expect(drctl(['resume', '--yes'], { cwd: ws.dir }).status).toBe(2);
    expect(ws.exists('resumed.txt')).toBe(false);
    // Named with --state-dir, the folder is the operator's choice and is not checked.
    expect(drctl(['report', runId!, '--state-dir', legacy], { cwd: ws.dir }).status).toBe(0);
    chmodSync(join(legacy, 'runs'), 0o700);
    if (process.getuid?.() === 0) {
      chownSync(legacy, 65534, 65534);
      const foreign = drctl(['resume', runId!, '--yes'], { cwd: ws.dir });
      expect(foreign.status, foreign.all).toBe(2);
      expect(foreign.stderr).toBe(refusal(`${legacy} belongs to uid 65534, not to you (uid 0)`));
      expect(ws.exists('resumed.txt')).toBe(false);
      chownSync(legacy, 0, 0);
    }
    const resumed = drctl(['resume', runId!, '--yes'], { cwd: ws.dir });
    expect(resumed.status, resumed.all).toBe(0);
    expect(ws.exists('resumed.txt')).toBe(true);
  });

  it('`drctl resume` without a run id continues the latest interrupted run of ./.drctl', () => {
    const ws = workspace();
    const legacy = ws.path('.drctl');
    expect(drctl(['run', ws.runbook('crashy.yaml', CRASHY), '--yes', '--state-dir', legacy], { cwd: ws.dir }).signal).toBe('SIGKILL');
    const resumed = drctl(['resume', '--yes'], { cwd: ws.dir });
    expect(resumed.status, resumed.all).toBe(0);
    expect(ws.exists('resumed.txt')).toBe(true);
    expect(runsIn(join(cliEnv().XDG_STATE_HOME!, 'drctl'))).toEqual([]);
  });
});
