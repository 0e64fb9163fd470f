import { beforeAll, describe, expect, it } from 'vitest';
import { drctl, header, onlyRunId, requireBuild, workspace } from './helpers.js';

/** `drctl logs` prints what a past run's commands printed, from its journal. */

beforeAll(() => requireBuild());

const TOKEN = 'tok-3c1d9f0b7e55a2';

const RUNBOOK = `${header('logged', 'Logged output')}inputs:
  token: { secret: true, env: DR_TOKEN }
steps:
  - id: hello
    title: Says hello
    env: { TOKEN: "\${{ inputs.token }}" }
    run: |
      printf 'hello\\033]0;window title\\007 world\\n'
      echo "token is $TOKEN"
      echo "a warning" >&2
  - id: flaky
    title: Fails once
    retries: { attempts: 2, delay: 10ms }
    run: |
      if [ ! -f once.txt ]; then touch once.txt; echo "first try failed" >&2; exit 3; fi
      echo "second try worked"
  - id: quiet
    title: Prints nothing
    run: "true"
  - id: big
    title: Prints a lot
    run: |
      i=0; while [ $i -lt 9000 ]; do echo "line $i of the big output"; i=$((i+1)); done
      echo "the very end"
`;

function runOnce() {
  const ws = workspace();
  const file = ws.runbook('rb.yaml', RUNBOOK);
  const run = drctl(['run', file, '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir, env: { DR_TOKEN: TOKEN } });
  expect(run.status, run.all).toBe(0);
  return { ws, runId: onlyRunId(ws.stateDir) };
}

describe('drctl logs', () => {
  it('prints every step in order, every attempt labelled, secrets masked, escape sequences taken out', () => {
    const { ws, runId } = runOnce();
    const out = drctl(['logs', runId, '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(out.status, out.all).toBe(0);
    const text = out.stdout;
    const order = ['[hello]', '[flaky]', '[quiet]', '[big]'].map((id) => text.indexOf(id));
    expect(
      order.every((at, i) => at >= 0 && (i === 0 || at > order[i - 1]!)),
      text,
    ).toBe(true);
    expect(text).toContain('Step 1/4: Says hello  [hello] · succeeded');
    expect(text).toContain('│ hello world');
    expect(text).toContain('│ a warning');
    expect(text).toContain('token is ***');
    expect(out.all).not.toContain(TOKEN);
    expect(out.all).not.toContain('\u001b');
    expect(out.all).not.toContain('window title');
    expect(text).toMatch(/attempt 1 · exit 3 · [^\n]*\n {2}stdout: \(empty\)\n {2}stderr:\n {2}│ first try failed/);
    expect(text).toMatch(/attempt 2 · exit 0 · [^\n]*\n {2}stdout:\n {2}│ second try worked/);
    expect(text).toContain('Step 3/4: Prints nothing  [quiet] · succeeded\n  attempt 1 · exit 0');
    const big = text.slice(text.indexOf('[big]'));
    expect(big).toContain('output truncated: only the last part of each stream was journaled');
    expect(big).toContain('│ the very end');
    expect(big).not.toContain('line 0 of the big output');
    expect(text.slice(0, text.indexOf('[big]'))).not.toContain('output truncated');
  });

  it('prints one step, found by a prefix of the run id or by "latest" (the default)', () => {
    const { ws, runId } = runOnce();
    const prefix = runId.slice(0, runId.length - 10);
    for (const args of [
      ['logs', prefix, 'flaky'],
      ['logs', 'latest', 'flaky'],
    ]) {
      const out = drctl([...args, '--state-dir', ws.stateDir], { cwd: ws.dir });
      expect(out.status, out.all).toBe(0);
      expect(out.stdout).toContain('Step 2/4: Fails once  [flaky] · succeeded');
      expect(out.stdout).toContain('second try worked');
      expect(out.stdout).not.toContain('[hello]');
    }
    const latest = drctl(['logs', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(latest.status, latest.all).toBe(0);
    expect(latest.stdout).toContain('[hello]');
    expect(latest.stdout).toContain('[big]');
  });

  it('refuses a step the run does not have, naming its steps', () => {
    const { ws, runId } = runOnce();
    const out = drctl(['logs', runId, 'nope', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(out.status).toBe(2);
    expect(out.stderr).toBe(`drctl: run ${runId} has no step "nope"\n  hint: its steps: hello, flaky, quiet, big\n`);
    expect(out.stdout).toBe('');
  });
});
