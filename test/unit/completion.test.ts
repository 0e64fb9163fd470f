import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CompletionSources } from '../../src/cli/completion.js';
import { completionCandidates, FILES, realSources } from '../../src/cli/completion.js';
import { buildProgram } from '../../src/cli/program.js';

/** Runbooks, steps and runs as a machine might have them; what each source was asked is recorded. */
function fakeSources(): CompletionSources & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    runbookNames: (dir) => {
      asked.push(`runbooks ${dir ?? '-'}`);
      return dir === './other' ? ['other-scenario'] : ['database-loss', 'data-corruption', 'regional-failover'];
    },
    stepIds: (runbook, dir) => {
      asked.push(`steps ${runbook} ${dir ?? '-'}`);
      if (runbook !== 'database-loss') throw new Error('no such runbook');
      return ['find-backup', 'restore-database', 'verify-restore'];
    },
    runIds: (stateDir) => {
      asked.push(`runs ${stateDir ?? '-'}`);
      return ['database-loss-20261122T031500Z-4f2a', 'regional-failover-20261120T101500Z-0b1c'];
    },
  };
}

const complete = (sources: CompletionSources, ...words: string[]): string[] => completionCandidates(buildProgram(), words, sources);

describe('completion candidates', () => {
  it('completes command names, never the hidden one', () => {
    const all = complete(fakeSources(), '');
    expect(all).toEqual(
      expect.arrayContaining(['list', 'show', 'validate', 'plan', 'run', 'resume', 'runs', 'report', 'schema', 'completion']),
    );
    expect(all).not.toContain('__complete');
    expect(complete(fakeSources(), 're')).toEqual(['resume', 'report', 'review']);
    expect(complete(fakeSources(), 'run')).toEqual(['run', 'runs']);
    expect(complete(fakeSources(), 'zzz')).toEqual([]);
  });

  it("completes drctl's own options and each command's options, --help and the global --debug too", () => {
    expect(complete(fakeSources(), '--')).toEqual(expect.arrayContaining(['--version', '--debug', '--help']));
    expect(complete(fakeSources(), 'run', '--st')).toEqual(['--start-at', '--state-dir']);
    expect(complete(fakeSources(), 'report', '--')).toEqual(
      expect.arrayContaining(['--format', '--output', '--state-dir', '--help', '--debug']),
    );
    expect(complete(fakeSources(), 'report', '--')).not.toContain('--yes');
    expect(complete(fakeSources(), 'resume', '--in')).toEqual(['--incident-start', '--input', '--inputs-file']);
    expect(complete(fakeSources(), 'resume', '--re')).toEqual(expect.arrayContaining(['--reason', '--report', '--region']));
    expect(complete(fakeSources(), 'resume', '--no')).toEqual(['--no-preflight', '--notify', '--notify-after']);
    expect(complete(fakeSources(), 'run', '--not')).toEqual(['--notify', '--notify-after']);
    expect(complete(fakeSources(), '--debug', 'run', '--st')).toEqual(['--start-at', '--state-dir']);
  });

  it('completes runbook names (and file names) for show, plan and run, from --dir when it is given', () => {
    const sources = fakeSources();
    expect(complete(sources, 'run', 'data')).toEqual(['database-loss', 'data-corruption', FILES]);
    expect(complete(sources, 'plan', '--dir', './other', '')).toEqual(['other-scenario', FILES]);
    expect(complete(sources, 'show', '--dir=./other', 'oth')).toEqual(['other-scenario', FILES]);
    expect(sources.asked).toEqual(['runbooks -', 'runbooks ./other', 'runbooks ./other']);
    // One runbook per command: nothing after it.
    expect(complete(sources, 'run', 'database-loss', '')).toEqual([]);
  });

  it('completes the step ids of the runbook on the line after --start-at', () => {
    const sources = fakeSources();
    expect(complete(sources, 'run', 'database-loss', '--start-at', '')).toEqual(['find-backup', 'restore-database', 'verify-restore']);
    expect(complete(sources, 'run', '--yes', 'database-loss', '--start-at', 'ver')).toEqual(['verify-restore']);
    expect(complete(sources, 'run', '--start-at', '')).toEqual([]);
    // A runbook that cannot be read gives no candidates, never an error.
    expect(complete(sources, 'run', 'nope', '--start-at', '')).toEqual([]);
    expect(complete(sources, 'run', '--dir', 'x', 'database-loss', '--start-at', '')).toHaveLength(3);
    expect(sources.asked).toContain('steps database-loss x');
  });

  it('completes run ids (and latest) for resume and report, from --state-dir when it is given', () => {
    const sources = fakeSources();
    expect(complete(sources, 'resume', '')).toEqual([
      'database-loss-20261122T031500Z-4f2a',
      'regional-failover-20261120T101500Z-0b1c',
      'latest',
    ]);
    expect(complete(sources, 'report', 'la')).toEqual(['latest']);
    expect(complete(sources, 'report', '--state-dir', '/srv/dr', 'reg')).toEqual(['regional-failover-20261120T101500Z-0b1c']);
    expect(sources.asked).toEqual(['runs -', 'runs -', 'runs /srv/dr']);
    expect(complete(sources, 'report', 'database-loss-20261122T031500Z-4f2a', '')).toEqual([]);
  });

  it('completes the values of options that take a few known ones, and leaves paths to the shell', () => {
    expect(complete(fakeSources(), 'report', 'x', '--format', '')).toEqual(['json', 'md', 'junit', 'junit-ant', 'html']);
    expect(complete(fakeSources(), 'run', 'x', '--report', 'j')).toEqual(['json:', 'junit:', 'junit-ant:']);
    expect(complete(fakeSources(), 'runs', '--runbook', 'reg')).toEqual(['regional-failover']);
    for (const option of ['--dir', '--state-dir', '--inputs-file']) expect(complete(fakeSources(), 'run', option, '')).toEqual([FILES]);
    expect(complete(fakeSources(), 'report', 'x', '--output', '')).toEqual([FILES]);
    expect(complete(fakeSources(), 'validate', '')).toEqual([FILES]);
    expect(complete(fakeSources(), 'validate', 'a.yaml', '')).toEqual([FILES]);
    expect(complete(fakeSources(), 'run', 'x', '--input', '')).toEqual([]);
  });

  it('completes shells for completion, and commands for help', () => {
    expect(complete(fakeSources(), 'completion', '')).toEqual(['bash', 'zsh', 'fish']);
    expect(complete(fakeSources(), 'completion', 'f')).toEqual(['fish']);
    expect(complete(fakeSources(), 'help', 'val')).toEqual(['validate']);
  });

  it('completes the commands of backup, then their options', () => {
    const sources = fakeSources();
    expect(complete(sources, 'ba')).toEqual(['backup']);
    expect(complete(sources, 'backup', '')).toEqual(['check', 'prune']);
    expect(complete(sources, 'backup', 'p')).toEqual(['prune']);
    expect(complete(sources, 'backup', 'check', 's3://bkt/pg/', '--')).toEqual(
      expect.arrayContaining(['--rpo', '--since', '--match', '--json', '--profile', '--region', '--help', '--debug']),
    );
    expect(complete(sources, 'backup', 'prune', '--keep')).toEqual(['--keep-daily', '--keep-weekly', '--keep-monthly']);
    expect(complete(sources, 'backup', 'prune', '--keep-daily', '7', '--y')).toEqual(['--yes']);
    expect(complete(sources, 'backup', 'check', '--y')).toEqual([]);
    expect(complete(sources, 'backup', 'nope', '--')).toEqual([]);
  });

  it('offers nothing for an unknown command', () => {
    expect(complete(fakeSources(), 'nope', '')).toEqual([]);
  });
});

describe('where the candidates come from', () => {
  it('reads runbook names and step ids from a runbooks folder and the shipped runbooks, run ids from a state directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'drctl-complete-'));
    mkdirSync(join(dir, 'runbooks'));
    writeFileSync(
      join(dir, 'runbooks', 'mine.yaml'),
      'apiVersion: drctl/v1\nkind: Runbook\nmetadata:\n  name: my-scenario\n  title: Mine\nsteps:\n  - id: one\n    title: One\n    run: "true"\n  - id: two\n    title: Two\n    run: "true"\n',
    );
    writeFileSync(join(dir, 'runbooks', 'broken.yaml'), 'steps: [');
    for (const id of ['my-scenario-20261101T000000Z-aaaa', 'my-scenario-20261102T000000Z-bbbb', 'not-a-run'])
      mkdirSync(join(dir, 'state', 'runs', id), { recursive: true });
    const sources = realSources({ DRCTL_RUNBOOKS: join(dir, 'runbooks'), HOME: dir }, dir);
    expect(sources.runbookNames(undefined)).toEqual(expect.arrayContaining(['my-scenario', 'database-loss']));
    expect(sources.stepIds('my-scenario', undefined)).toEqual(['one', 'two']);
    expect(sources.stepIds(join(dir, 'runbooks', 'mine.yaml'), undefined)).toEqual(['one', 'two']);
    expect(sources.stepIds('database-loss', undefined)).toContain('restore-database');
    expect(sources.runIds(join(dir, 'state'))).toEqual(['my-scenario-20261102T000000Z-bbbb', 'my-scenario-20261101T000000Z-aaaa']);
    expect(sources.runIds(undefined)).toEqual([]);
    // Without --state-dir: the default folder and an older ./.drctl of the current folder.
    mkdirSync(join(dir, '.local', 'state', 'drctl', 'runs', 'my-scenario-20261103T000000Z-cccc'), { recursive: true });
    mkdirSync(join(dir, '.drctl', 'runs', 'my-scenario-20261031T000000Z-dddd'), { recursive: true });
    expect(sources.runIds(undefined)).toEqual(['my-scenario-20261103T000000Z-cccc', 'my-scenario-20261031T000000Z-dddd']);
  });
});
