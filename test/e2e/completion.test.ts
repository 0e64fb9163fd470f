import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cliEnv, drctl, requireBuild, ROOT } from './drctl.js';

beforeAll(() => requireBuild());

/** A folder holding a `drctl` that runs the built binary, as an installed drctl on PATH would. */
const bin = mkdtempSync(join(tmpdir(), 'drctl-bin-'));
writeFileSync(join(bin, 'drctl'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"\n`);
chmodSync(join(bin, 'drctl'), 0o755);
afterAll(() => rmSync(bin, { recursive: true, force: true }));

function shellExists(shell: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;
}

/** Load `drctl completion bash` in a real bash, complete the words (the last one at the cursor), print COMPREPLY a line each. */
function bashComplete(words: string[], cwd = ROOT, env: Record<string, string | undefined> = {}): string[] {
  const quoted = words.map((w) => `'${w.replaceAll("'", `'\\''`)}'`).join(' ');
  const script = `source <(drctl completion bash) || exit 9
COMP_WORDS=(drctl ${quoted}); COMP_CWORD=${words.length}; COMP_LINE="drctl ${words.join(' ')}"; COMP_POINT=\${#COMP_LINE}
_drctl
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const result = spawnSync('bash', ['-c', script], { cwd, env: cliEnv(env, [bin]), encoding: 'utf8', timeout: 60_000 });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.split('\n').filter(Boolean);
}

/** Load `drctl completion zsh` in a real zsh (compadd and _files record what they are given) and complete the words. */
function zshComplete(words: string[]): string[] {
  const script = `compdef() { : }
compadd() { [[ $1 == -- ]] && shift; print -l -- "$@" }
_files() { print -- '<files>' }
source <(drctl completion zsh) || exit 9
words=(drctl "$@"); CURRENT=\${#words}
_drctl`;
  const result = spawnSync('zsh', ['-f', '-c', script, 'zsh', ...words], {
    cwd: ROOT,
    env: cliEnv({}, [bin]),
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.split('\n').filter(Boolean);
}

/** Load `drctl completion fish` in a real fish and ask it what completes the command line. */
function fishComplete(line: string): string[] {
  const script = `drctl completion fish | source; or exit 9
complete -C ${JSON.stringify(line)}`;
  const result = spawnSync('fish', ['--no-config', '-c', script], { cwd: ROOT, env: cliEnv({}, [bin]), encoding: 'utf8', timeout: 60_000 });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.split('\n').filter(Boolean);
}

/** A shell the tests need: on CI it must be installed (.ci/run installs it), elsewhere its test is skipped loudly. */
function requireShell(shell: string): boolean {
  if (shellExists(shell)) return true;
  if (process.env.CI) throw new Error(`${shell} is not installed: .ci/run installs it`);
  console.warn(`${shell} is not installed: its completion is not tested`);
  return false;
}

describe('drctl completion', () => {
  it('bash: completes commands, options, runbook names, step ids and run ids through drctl __complete', () => {
    expect(bashComplete(['re'])).toEqual(['resume', 'report', 'review']);
    expect(bashComplete(['run', '--st'])).toEqual(['--start-at', '--state-dir']);
    expect(bashComplete(['run', 'database-l'])).toEqual(['database-loss']);
    expect(bashComplete(['run', 'database-loss', '--start-at', 'restore-'])).toEqual(['restore-database']);

    // Runbooks of --dir, and file names where a runbook file may be given.
    const dir = mkdtempSync(join(tmpdir(), 'drctl-complete-'));
    mkdirSync(join(dir, 'mine'));
    writeFileSync(
      join(dir, 'mine', 'scenario.yaml'),
      'apiVersion: drctl/v1\nkind: Runbook\nmetadata:\n  name: my-scenario\n  title: Mine\nsteps:\n  - id: only-step\n    title: One\n    run: "true"\n',
    );
    expect(bashComplete(['show', '--dir', 'mine', 'my'], dir)).toEqual(['my-scenario']);
    expect(bashComplete(['run', '--dir', 'mine', 'my-scenario', '--start-at', ''], dir)).toEqual(['only-step']);
    expect(bashComplete(['validate', 'mi'], dir)).toEqual(['mine']);

    // Run ids of this machine's default state directory.
    const runbook = join(dir, 'mine', 'scenario.yaml');
    expect(drctl(['run', runbook, '--yes'], { cwd: dir }).status).toBe(0);
    const [runId, latest] = bashComplete(['report', ''], dir);
    expect(runId).toMatch(/^my-scenario-\d{8}T\d{6}Z-[0-9a-f]{4}$/);
    expect(latest).toBe('latest');
    expect(bashComplete(['resume', 'my-'], dir)).toEqual([runId]);
  });

  it('zsh: completes commands, options and step ids, and falls back to file names for runbook files', () => {
    if (!requireShell('zsh')) return;
    expect(zshComplete(['re'])).toEqual(['resume', 'report', 'review']);
    expect(zshComplete(['run', '--st'])).toEqual(['--start-at', '--state-dir']);
    expect(zshComplete(['run', 'database-loss', '--start-at', 'restore-'])).toEqual(['restore-database']);
    expect(zshComplete(['validate', 'ru'])).toContain('<files>');
  });

  it('fish: completes commands, options, runbook names and step ids', () => {
    if (!requireShell('fish')) return;
    expect(fishComplete('drctl re').map((l) => l.split('\t')[0])).toEqual(['report', 'resume', 'review']);
    expect(fishComplete('drctl run --st').map((l) => l.split('\t')[0])).toEqual(['--start-at', '--state-dir']);
    expect(fishComplete('drctl run database-l').map((l) => l.split('\t')[0])).toEqual(['database-loss']);
    expect(fishComplete('drctl run database-loss --start-at restore-').map((l) => l.split('\t')[0])).toEqual(['restore-database']);
  });

  it('prints a script for each shell; zsh and fish accept theirs when installed', () => {
    for (const shell of ['bash', 'zsh', 'fish']) {
      const result = drctl(['completion', shell]);
      expect(result.status, result.all).toBe(0);
      expect(result.stdout).toContain('drctl __complete --');
      const file = join(mkdtempSync(join(tmpdir(), 'drctl-script-')), `drctl.${shell}`);
      writeFileSync(file, result.stdout);
      if (!shellExists(shell)) {
        console.warn(`${shell} is not installed: its completion script was not checked with ${shell} -n`);
        continue;
      }
      const check = spawnSync(shell, ['-n', file], { encoding: 'utf8' });
      expect(check.status, `${shell} -n: ${check.stderr}`).toBe(0);
    }
  });

  it('refuses a shell it has no script for, in one line (exit 2)', () => {
    const result = drctl(['completion', 'tcsh']);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('bash, zsh, fish');
  });
});
