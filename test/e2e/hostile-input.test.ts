import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliResult } from './drctl.js';
import { crashSigns, drctl, requireBuild, ROOT } from './drctl.js';

/**
 * Files and arguments an attacker (or a bad night) hands drctl: each gets exit 2 and a message
 * that says what is wrong with which path, never a hang, a stack trace or exit 70.
 */

let dir: string;
/** drctl run from the scratch folder, so paths in messages are the short ones typed here. */
const cli = (...args: string[]): CliResult => drctl(args, { cwd: dir });

const RUNBOOK = `apiVersion: drctl/v1
kind: Runbook
metadata:
  name: small
  title: A small runbook
objectives: { rto: 1h }
steps:
  - id: one
    title: Step one
    run: echo one
`;

const INVALID_RUNBOOK_HINT = (file: string): string =>
  `${file} has 1 error; nothing was run.\n  hint: drctl validate ${file} lists every problem and warning\n`;

function mkfifo(path: string): void {
  execFileSync('mkfifo', [path]);
}

function expectRefused(result: CliResult, stderr: string): void {
  expect(crashSigns(result.all)).toEqual([]);
  expect(result.stderr).toBe(stderr);
  expect(result.stdout).toBe('');
  expect(result.status).toBe(2);
}

beforeAll(() => {
  requireBuild();
  dir = mkdtempSync(join(tmpdir(), 'drctl-hostile-'));
  writeFileSync(join(dir, 'small.yaml'), RUNBOOK);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('run ids are names, never paths', () => {
  const id = 'small-20261122T031500Z-4f2a';
  const hint = '  hint: a run id looks like database-loss-20261122T031500Z-4f2a; see them with: drctl runs\n';

  it('resume refuses ../../other/runs/<id> and touches neither state directory', () => {
    mkdirSync(join(dir, 'other', 'runs', id), { recursive: true });
    writeFileSync(join(dir, 'other', 'runs', id, 'journal.jsonl'), '');
    mkdirSync(join(dir, 'mine', 'runs'), { recursive: true });
    const result = cli('resume', `../../other/runs/${id}`, '--yes', '--state-dir', 'mine');
    expectRefused(result, `drctl: "../../other/runs/${id}" is not a run id\n${hint}`);
    expect(readdirSync(join(dir, 'mine', 'runs'))).toEqual([]);
    expect(readFileSync(join(dir, 'other', 'runs', id, 'journal.jsonl'), 'utf8')).toBe('');
  });

  it.each([['/etc/passwd'], ['..'], [`${id}/../${id}`], ['SMALL-20261122T031500Z-4F2A']])('report refuses %j', (runId) => {
    expectRefused(cli('report', runId, '--state-dir', 'mine'), `drctl: ${JSON.stringify(runId)} is not a run id\n${hint}`);
  });

  it('runs --runbook refuses a path', () => {
    expectRefused(
      cli('runs', '--runbook', '../other', '--state-dir', 'mine'),
      'drctl: --runbook "../other" is not a runbook name\n  hint: runbook names are lowercase letters, digits and "-" (metadata.name), e.g. database-loss\n',
    );
  });
});

describe('reports are written without following a symlink', () => {
  let runId: string;

  beforeAll(() => {
    const run = drctl(['run', 'small.yaml', '--yes', '--state-dir', 'reports-state'], { cwd: dir });
    expect(run.status, run.all).toBe(0);
    [runId] = readdirSync(join(dir, 'reports-state', 'runs')) as [string];
  });

  it('report --output replaces a symlink planted at the path; the file it pointed at is untouched', () => {
    writeFileSync(join(dir, 'precious.txt'), 'keep me\n');
    symlinkSync('precious.txt', join(dir, 'planted.json'));
    const result = cli('report', runId, '--state-dir', 'reports-state', '--output', 'planted.json');
    expect(result.all.trim()).toBe('');
    expect(result.status).toBe(0);
    expect(readFileSync(join(dir, 'precious.txt'), 'utf8')).toBe('keep me\n');
    expect(lstatSync(join(dir, 'planted.json')).isSymbolicLink()).toBe(false);
    expect(JSON.parse(readFileSync(join(dir, 'planted.json'), 'utf8'))).toMatchObject({ run_id: runId, status: 'succeeded' });
    expect(statSync(join(dir, 'planted.json')).mode & 0o777).toBe(0o600);
  });

  it('report --output into a folder that does not exist makes it, as run --report does; a file in the way is one line', () => {
    const made = cli('report', runId, '--state-dir', 'reports-state', '--output', 'nowhere/r.json');
    expect(made.status, made.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'nowhere', 'r.json'), 'utf8')).run_id).toBe(runId);
    writeFileSync(join(dir, 'in-the-way'), 'a file');
    const refused = cli('report', runId, '--state-dir', 'reports-state', '--output', 'in-the-way/r.json');
    expect(refused.status).toBe(2);
    expect(refused.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(refused.stderr).toMatch(/^drctl: --output in-the-way\/r\.json: cannot write there \(.*in-the-way is not a directory\)\n$/);
  });

  it('report --output on a full disk says which file and how many bytes it needed, and leaves no temporary file', (context) => {
    const full = join(dir, 'full');
    mkdirSync(full);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', full], { stdio: 'ignore' });
    } catch (error) {
      // Never skipped in CI, which runs as root: there the mount must work.
      if (process.env.CI) throw new Error(`cannot mount a tmpfs for the full-disk test: ${(error as Error).message}`);
      console.warn('\n*** SKIPPED: report --output on a full disk needs root with mount rights to mount a tmpfs ***\n');
      context.skip();
    }
    try {
      writeFileSync(join(full, 'filler'), Buffer.alloc(16 * 1024 - 512));
      const report = cli('report', runId, '--state-dir', 'reports-state', '--format', 'html');
      const bytes = Buffer.byteLength(report.stdout);
      expect(bytes).toBeGreaterThan(512);
      const result = cli('report', runId, '--state-dir', 'reports-state', '--format', 'html', '--output', 'full/report.html');
      expectRefused(
        result,
        `drctl: cannot write full/report.html: no space left on the device (ENOSPC); it needs ${bytes} bytes\n  hint: free some space on the file system of ${full}, then try again\n`,
      );
      expect(readdirSync(full)).toEqual(['filler']);
    } finally {
      execFileSync('umount', [full]);
    }
  });
});

describe('only regular files of at most 5 MiB are read as runbooks and inputs files', () => {
  it('a named pipe as the runbook is refused at once', () => {
    mkfifo(join(dir, 'pipe.yaml'));
    expectRefused(
      cli('plan', './pipe.yaml'),
      `drctl: ./pipe.yaml: error: is a named pipe (FIFO), not a runbook file\n${INVALID_RUNBOOK_HINT('./pipe.yaml')}`,
    );
    const result = cli('validate', 'pipe.yaml');
    expect(result.stdout).toBe('pipe.yaml: error: is a named pipe (FIFO), not a runbook file\n1 error, 0 warnings in 1 file (1 invalid)\n');
    expect(result.status).toBe(2);
  });

  it('a named pipe in a folder is reported by validate and skipped by list, without hanging', () => {
    mkdirSync(join(dir, 'folder'));
    writeFileSync(join(dir, 'folder', 'small.yaml'), RUNBOOK);
    mkfifo(join(dir, 'folder', 'pipe.yaml'));
    const validate = cli('validate', 'folder');
    expect(validate.stdout).toBe(
      'folder/pipe.yaml: error: is a named pipe (FIFO), not a runbook file\nok folder/small.yaml (small, 1 step)\n1 error, 0 warnings in 2 files (1 invalid)\n',
    );
    expect(validate.status).toBe(2);
    const list = cli('list', '--dir', 'folder', '--json');
    expect(crashSigns(list.all)).toEqual([]);
    expect((JSON.parse(list.stdout) as Array<{ name: string }>).map((r) => r.name)).toContain('small');
    expect(list.stderr).toBe('drctl: skipped folder/pipe.yaml: not a valid runbook (drctl validate folder/pipe.yaml)\n');
    expect(list.status).toBe(0);
  });

  it('/dev/zero as the runbook is refused unread', () => {
    expectRefused(
      cli('plan', '/dev/zero'),
      `drctl: /dev/zero: error: is a character device, not a runbook file\n${INVALID_RUNBOOK_HINT('/dev/zero')}`,
    );
  });

  it('/dev/zero or a named pipe as --inputs-file is refused unread', () => {
    const hint = '  hint: give --inputs-file a YAML or JSON file of input values\n';
    expectRefused(
      cli('plan', 'small.yaml', '--inputs-file', '/dev/zero'),
      `drctl: --inputs-file /dev/zero: is a character device, not an inputs file\n${hint}`,
    );
    mkfifo(join(dir, 'inputs-pipe.yaml'));
    expectRefused(
      cli('plan', 'small.yaml', '--inputs-file', 'inputs-pipe.yaml'),
      `drctl: --inputs-file inputs-pipe.yaml: is a named pipe (FIFO), not an inputs file\n${hint}`,
    );
  });

  it('a runbook or inputs file larger than 5 MiB is refused', () => {
    writeFileSync(join(dir, 'huge.yaml'), `# ${'x'.repeat(5 * 1024 * 1024)}\n`);
    expectRefused(
      cli('plan', './huge.yaml'),
      `drctl: ./huge.yaml: error: is larger than 5 MiB, the most a runbook file may be\n${INVALID_RUNBOOK_HINT('./huge.yaml')}`,
    );
    expectRefused(
      cli('plan', 'small.yaml', '--inputs-file', 'huge.yaml'),
      'drctl: --inputs-file huge.yaml: is larger than 5 MiB, the most an inputs file may be\n  hint: give --inputs-file a YAML or JSON file of input values\n',
    );
  });

  it('a directory as the runbook is refused', () => {
    mkdirSync(join(dir, 'dir.yaml'));
    expectRefused(
      cli('plan', './dir.yaml'),
      `drctl: ./dir.yaml: error: is a directory, not a runbook file\n${INVALID_RUNBOOK_HINT('./dir.yaml')}`,
    );
  });

  it('a symlink loop as the runbook is named as one', () => {
    symlinkSync('loop.yaml', join(dir, 'loop.yaml'));
    expectRefused(
      cli('plan', './loop.yaml'),
      `drctl: ./loop.yaml: error: is a symbolic link that loops back on itself\n${INVALID_RUNBOOK_HINT('./loop.yaml')}`,
    );
    const result = cli('validate', 'loop.yaml');
    expect(result.stdout).toBe(
      'loop.yaml: error: is a symbolic link that loops back on itself\n1 error, 0 warnings in 1 file (1 invalid)\n',
    );
    expect(result.status).toBe(2);
  });

  it('a binary file, an empty file and a file that is not UTF-8 are refused', () => {
    writeFileSync(join(dir, 'binary.yaml'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]));
    expectRefused(
      cli('plan', './binary.yaml'),
      `drctl: ./binary.yaml: error: is a binary file, not a YAML runbook\n${INVALID_RUNBOOK_HINT('./binary.yaml')}`,
    );
    writeFileSync(join(dir, 'empty.yaml'), '');
    expectRefused(
      cli('plan', './empty.yaml'),
      `drctl: ./empty.yaml:1:1: error: the file is empty\n    1 | \n      | ^\n    hint: a runbook starts with apiVersion: drctl/v1 and kind: Runbook\n${INVALID_RUNBOOK_HINT('./empty.yaml')}`,
    );
    writeFileSync(join(dir, 'latin1.yaml'), Buffer.from('title: caf\xe9\n', 'latin1'));
    expectRefused(
      cli('plan', './latin1.yaml'),
      `drctl: ./latin1.yaml: error: is not UTF-8 text\n    hint: save the runbook as UTF-8\n${INVALID_RUNBOOK_HINT('./latin1.yaml')}`,
    );
    expectRefused(
      cli('plan', 'small.yaml', '--inputs-file', 'latin1.yaml'),
      'drctl: --inputs-file latin1.yaml: is not UTF-8 text\n  hint: save it as UTF-8\n',
    );
    expectRefused(
      cli('plan', 'small.yaml', '--inputs-file', 'binary.yaml'),
      'drctl: --inputs-file binary.yaml: is a binary file, not YAML or JSON\n',
    );
  });

  it('a YAML bomb of aliases is refused', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 9 }, () => `*a${i - 1}`).join(', ')}]`);
    writeFileSync(join(dir, 'bomb.yaml'), `${lines.join('\n')}\n`);
    const message = 'cannot read the YAML: Excessive alias count indicates a resource exhaustion attack';
    const result = cli('validate', 'bomb.yaml');
    expect(crashSigns(result.all)).toEqual([]);
    expect(result.stdout.split('\n')[0]).toBe(`bomb.yaml:1:1: error: ${message}`);
    expect(result.status).toBe(2);
    expectRefused(cli('plan', 'small.yaml', '--inputs-file', 'bomb.yaml'), `drctl: bomb.yaml:1:1: ${message}\n`);
  });
});

describe('nesting past the limits', () => {
  const fixture = (name: string): string => join('test', 'fixtures', 'invalid', name);

  it.each([
    ['52-yaml-nested-too-deep.yaml', '75:129: error: YAML nests deeper than 64 levels here'],
    ['53-yaml-flow-nested-2000-deep.yaml', '13:255: error: YAML nests deeper than 64 levels here'],
    [
      '54-expression-4000-parentheses.yaml',
      '12:83: error: invalid expression: the expression nests deeper than 64 levels (each "!", "(" and operator is one) (at steps[0].run)',
    ],
    [
      '55-expression-10000-nots.yaml',
      '12:83: error: invalid expression: the expression nests deeper than 64 levels (each "!", "(" and operator is one) (at steps[0].run)',
    ],
    [
      '56-expression-10000-ands.yaml',
      '12:528: error: invalid expression: the expression nests deeper than 64 levels (each "!", "(" and operator is one) (at steps[0].run)',
    ],
  ])('%s: plan refuses it at file:line:col (exit 2)', (name, where) => {
    const result = drctl(['plan', fixture(name)]);
    expect(crashSigns(result.all)).toEqual([]);
    expect(result.stderr.split('\n')[0]).toBe(`drctl: ${fixture(name)}:${where}`);
    expect(result.stderr).toContain(INVALID_RUNBOOK_HINT(fixture(name)));
    expect(result.status).toBe(2);
  });

  it('an inputs file nested 5,000 levels deep is refused at its line and column', () => {
    writeFileSync(join(dir, 'deep-inputs.yaml'), `a: ${'['.repeat(5000)}${']'.repeat(5000)}\n`);
    expectRefused(
      cli('plan', 'small.yaml', '--inputs-file', 'deep-inputs.yaml'),
      'drctl: deep-inputs.yaml:1:67: YAML nests deeper than 64 levels here\n  hint: flatten this mapping or list: a runbook or inputs file needs a handful of levels\n',
    );
  });
});

describe('a state directory that cannot be used is refused at once', () => {
  it('run --state-dir /proc/nope', () => {
    expectRefused(
      cli('run', 'small.yaml', '--yes', '--state-dir', '/proc/nope'),
      'drctl: cannot keep runs in /proc/nope: cannot create /proc/nope (ENOENT)\n  hint: pass --state-dir <a writable folder> (or set DRCTL_STATE_DIR)\n',
    );
  });

  it('run --state-dir on a file', () => {
    expectRefused(
      cli('run', 'small.yaml', '--yes', '--state-dir', 'small.yaml'),
      `drctl: cannot keep runs in small.yaml: ${join(dir, 'small.yaml')} is not a directory\n  hint: pass --state-dir <a writable folder> (or set DRCTL_STATE_DIR)\n`,
    );
  });

  it('resume, report and runs on /proc/nope answer at once', () => {
    expectRefused(
      cli('resume', '--yes', '--state-dir', '/proc/nope'),
      'drctl: no runs in /proc/nope\n  hint: runs are kept in --state-dir (also $DRCTL_STATE_DIR; default $XDG_STATE_HOME/drctl, i.e. ~/.local/state/drctl)\n',
    );
    expectRefused(
      cli('report', 'small-20261122T031500Z-4f2a', '--state-dir', '/proc/nope'),
      'drctl: no run small-20261122T031500Z-4f2a in /proc/nope\n  hint: see drctl runs\n',
    );
    const runs = cli('runs', '--state-dir', '/proc/nope');
    expect(runs.stderr).toBe('drctl: no runs in /proc/nope\n');
    expect(runs.status).toBe(0);
  });

  it('a named pipe planted as a journal is skipped by runs and refused by report, never read', () => {
    const id = 'small-20261122T031500Z-4f2a';
    mkdirSync(join(dir, 'piped', 'runs', id), { recursive: true });
    mkfifo(join(dir, 'piped', 'runs', id, 'journal.jsonl'));
    const runs = cli('runs', '--state-dir', 'piped');
    expect(runs.stderr).toBe(`drctl: no runs in piped\ndrctl: skipped ${id}: its journal is unreadable\n`);
    expect(runs.status).toBe(0);
    expectRefused(
      cli('report', id, '--state-dir', 'piped'),
      `drctl: cannot read the journal of run ${id}: ${join('piped', 'runs', id, 'journal.jsonl')} is not a regular file\n  hint: a run journal is a regular file written by drctl\n`,
    );
  });
});

describe('dates and durations', () => {
  it.each([
    [
      '-99999999999999h',
      'drctl: --incident-start "-99999999999999h" goes back more than 336h (14 days)\n  hint: for an older incident, give the ISO time it began, e.g. 2026-11-02T03:00:00Z\n',
    ],
    [
      '2026-02-30',
      'drctl: --incident-start "2026-02-30" is not a real time: February 2026 has 28 days\n  hint: write an ISO time such as 2026-11-22T03:00:00Z (or 2026-11-22T04:00:00+01:00), or an offset such as -45m\n',
    ],
    [
      '1900-01-01',
      'drctl: --incident-start 1900-01-01T00:00:00.000Z is before 2000-01-01\n  hint: the incident start is when this disaster began; check the year\n',
    ],
    [
      '9999-01-01',
      'drctl: --incident-start 9999-01-01T00:00:00.000Z is in the future\n  hint: the incident start is when the disaster began\n',
    ],
  ])('--incident-start %s is refused in one line (plan and run)', (value, stderr) => {
    expectRefused(cli('plan', 'small.yaml', '--incident-start', value), stderr);
    expectRefused(cli('run', 'small.yaml', '--yes', '--state-dir', 'dates-state', '--incident-start', value), stderr);
  });

  it('a duration input past 336h is refused', () => {
    writeFileSync(
      join(dir, 'wait.yaml'),
      RUNBOOK.replace('name: small', 'name: wait').replace('objectives:', 'inputs:\n  wait: { type: duration, default: 5m }\nobjectives:'),
    );
    expectRefused(
      cli('plan', 'wait.yaml', '--input', 'wait=400h'),
      'drctl: input "wait": "400h" is longer than 336h (14 days), the longest duration drctl takes\n  hint: see the inputs with: drctl show wait\n',
    );
  });

  it('--input without "=" is refused', () => {
    expectRefused(
      cli('plan', 'small.yaml', '--input', 'namespace'),
      'drctl: --input number 1 (of 1) is not name=value\n  hint: e.g. --input namespace=payments\n',
    );
  });
});

describe('many problems at once', () => {
  it('10,000 unknown references in one script are all reported, quickly (exit 2)', () => {
    const script = Array.from({ length: 10_000 }, (_, i) => `      echo \${{ inputs.nope${i} }}`).join('\n');
    writeFileSync(join(dir, 'refs.yaml'), `${RUNBOOK.replace('run: echo one', `run: |\n${script}`)}`);
    const started = Date.now();
    const result = cli('validate', 'refs.yaml');
    const elapsed = Date.now() - started;
    expect(crashSigns(result.all)).toEqual([]);
    expect(result.stdout).toContain('refs.yaml:11:16: error: unknown input "nope0" (at steps[0].run)');
    expect(result.stdout).toContain('refs.yaml:10010:16: error: unknown input "nope9999" (at steps[0].run)');
    expect(result.stdout).toMatch(/^10000 errors, 0 warnings in 1 file \(1 invalid\)$/m);
    expect(result.status).toBe(2);
    // Quadratic, this took over 5 s; linear, well under one. A generous bound for a loaded machine.
    expect(elapsed).toBeLessThan(4000);
  });
});

it('the scratch runbook itself is fine, so every refusal above is about the hostile input', () => {
  const result = drctl(['validate', join(dir, 'small.yaml')], { cwd: ROOT });
  expect(result.status).toBe(0);
});
