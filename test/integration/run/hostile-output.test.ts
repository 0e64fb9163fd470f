import { beforeAll, describe, expect, it } from 'vitest';
import { drctl, exitWithin, header, onlyRunId, readJournal, readReport, requireBuild, startDrctl, stepOf, workspace } from './helpers.js';

/** Whatever a command prints (NUL bytes, bytes that are not UTF-8, megabytes without a newline, escape sequences), drctl keeps working. */

beforeAll(() => requireBuild());

const run = (ws: ReturnType<typeof workspace>, timeoutMs = 60_000) =>
  drctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir, timeoutMs });

describe('hostile command output', () => {
  it('a NUL byte in an output used by a later step fails that step with a reason naming the expression, and the run stays readable', () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      `${header('nul-output', 'NUL in an output')}steps:
  - id: read-token
    title: Prints a value with a NUL byte in it
    run: printf 'tok\\0en-PRIVATE'
    outputs:
      token: { from: stdout }
  - id: use-token
    title: Passes it on
    run: echo ${'${{ steps.read-token.outputs.token }}'} > used.txt
  - id: after
    title: Never reached
    run: touch after.txt
`,
    );
    const result = run(ws);
    expect(result.status, result.all).toBe(1);
    expect(result.stderr).toContain('✗ use-token failed');
    expect(result.stderr).toContain('cannot pass ${{ steps.read-token.outputs.token }} to the command: its value holds a NUL byte');
    expect(result.all).not.toMatch(/internal error|ERR_INVALID_ARG_VALUE|at .*drctl\.cjs/);
    expect(ws.exists('used.txt')).toBe(false);
    expect(ws.exists('after.txt')).toBe(false);
    const runId = onlyRunId(ws.stateDir);
    const report = readReport(ws.stateDir, runId);
    expect(report.status).toBe('failed');
    const step = stepOf(report, 'use-token');
    expect(step.status).toBe('failed');
    // The reason names where the value came from, never the value: it may be a secret.
    expect(step.reason).toContain('${{ steps.read-token.outputs.token }}');
    expect(step.reason).not.toContain('PRIVATE');
    // The journal reads back, NUL and all.
    const finished = readJournal(ws.stateDir, runId).find((e) => e.type === 'step.finished' && e.step === 'read-token')!;
    expect(finished.outputs).toEqual({ token: 'tok\0en-PRIVATE' });

    const resumed = drctl(['resume', runId, '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    expect(resumed.status, resumed.all).not.toBe(70);
    expect(resumed.all).not.toMatch(/internal error|at .*drctl\.cjs/);
  });

  it('a NUL byte reaching exec: or env: fails the step the same way', () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      `${header('nul-exec-env', 'NUL in exec and env')}steps:
  - id: read
    title: Prints a NUL byte
    run: printf 'a\\0b'
    outputs:
      v: { from: stdout }
  - id: by-exec
    title: Hands it to exec
    exec: [touch, ${'"${{ steps.read.outputs.v }}"'}]
    on_failure: continue
  - id: by-env
    title: Hands it to the environment
    env: { VALUE: ${'"${{ steps.read.outputs.v }}"'} }
    run: touch by-env.txt
`,
    );
    const result = run(ws);
    expect(result.status, result.all).toBe(1);
    expect(result.all).not.toMatch(/internal error/);
    const report = readReport(ws.stateDir, onlyRunId(ws.stateDir));
    expect(stepOf(report, 'by-exec').reason).toContain('cannot pass ${{ steps.read.outputs.v }} to the command');
    expect(stepOf(report, 'by-env').reason).toContain('cannot pass the environment variable VALUE to the command');
    expect(ws.exists('by-env.txt')).toBe(false);
  });

  it('output that is not UTF-8 is shown and passed on with replacement characters, and the journal reads back', () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      `${header('bad-utf8', 'Not UTF-8')}steps:
  - id: latin1
    title: Prints Latin-1 and stray bytes
    run: printf 'caf\\351 \\377\\376 ok\\n'
    outputs:
      word: { from: stdout }
  - id: use
    title: Uses it
    run: printf '%s' ${'${{ steps.latin1.outputs.word }}'} > word.txt
`,
    );
    const result = run(ws);
    expect(result.status, result.all).toBe(0);
    expect(result.stderr).toContain('caf\ufffd \ufffd\ufffd ok');
    expect(ws.read('word.txt')).toBe('caf\ufffd \ufffd\ufffd ok');
    const runId = onlyRunId(ws.stateDir);
    expect(readJournal(ws.stateDir, runId).find((e) => e.type === 'step.finished' && e.step === 'latin1')!.outputs).toEqual({
      word: 'caf\ufffd \ufffd\ufffd ok',
    });
    expect(readReport(ws.stateDir, runId).status).toBe('succeeded');
  });

  it('a 20 MB line without a newline completes, is shown in pieces, and the report is written', async () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      `${header('long-line', 'A very long line')}steps:
  - id: flood
    title: Prints 20 MB without a newline
    run: head -c 20000000 /dev/zero | tr '\\0' x
  - id: after
    title: Runs after it
    run: echo after-the-flood
`,
    );
    // More output than spawnSync can hold: read it as it comes.
    const running = startDrctl(['run', 'rb.yaml', '--yes', '--state-dir', ws.stateDir], { cwd: ws.dir });
    const exit = await exitWithin(running, 120_000);
    expect(exit.code, running.stderr().slice(-2000)).toBe(0);
    expect(running.stderr()).toContain('after-the-flood');
    // Every x reached the operator, in lines of at most 16 KiB each.
    const shown = running
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('  │ x'));
    expect(shown.join('').replaceAll('  │ ', '').length).toBe(20_000_000);
    expect(Math.max(...shown.map((l) => l.length))).toBeLessThanOrEqual(16 * 1024 + 4);
    const runId = onlyRunId(ws.stateDir);
    expect(stepOf(readReport(ws.stateDir, runId), 'flood').status).toBe('succeeded');
    const attempt = readJournal(ws.stateDir, runId).find((e) => e.type === 'step.attempt' && e.step === 'flood')!;
    expect(attempt.truncated).toBe(true);
  });

  it('an output regex that would backtrack for hours fails the step at once, well inside its timeout', () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      `${header('backtracking', 'A backtracking regex')}steps:
  - id: status
    title: Prints a status that does not match
    timeout: 5s
    run: |
      printf 'status: %s!\\n' ${'a'.repeat(60)}
    outputs:
      status: { from: stdout, regex: 'status: ((a|aa)+)$' }
  - id: check
    title: Expects a status that does not match
    timeout: 5s
    run: |
      printf '%s!\\n' ${'a'.repeat(60)}
    expect:
      stdout: { matches: '^(a+)+$' }
    on_failure: continue
`,
    );
    // A backtracking engine needs some 2^60 steps here: only a linear one finishes before this test's limit.
    const result = run(ws, 60_000);
    expect(result.status, result.all).toBe(1);
    const report = readReport(ws.stateDir, onlyRunId(ws.stateDir));
    expect(stepOf(report, 'status').reason).toBe('output status: /status: ((a|aa)+)$/ found nothing in stdout');
  });

  it("a command's escape sequences cannot move the cursor, clear the screen or set the window title", () => {
    const ws = workspace();
    ws.runbook(
      'rb.yaml',
      `${header('escapes', 'Escape sequences')}steps:
  - id: rude
    title: Prints escape sequences
    run: printf '\\033]0;pwned\\007\\033[2J\\033[Hvisible\\033[1A\\033[2K text\\rline two\\n'
`,
    );
    const result = run(ws);
    expect(result.status, result.all).toBe(0);
    expect(result.stderr).toContain('  │ visible text\n  │ line two\n');
    expect(result.stderr).not.toContain('\u001b');
    // The title was never set: it appears only where drctl shows the command, never as output.
    expect(result.stderr.split('\n').filter((l) => l.includes('pwned'))).toEqual([expect.stringMatching(/^ {2}\$ printf /)]);
  });
});
