import { describe, expect, it } from 'vitest';
import { createProcessRunner } from '../../src/adapters/process.js';
import { systemClock } from '../../src/adapters/clock.js';
import type { CommandTask } from '../../src/engine/step-runner.js';
import { lastLines, outputOnlyHooks, runCommand } from '../../src/engine/step-runner.js';
import type { Scope } from '../../src/runbook/expression.js';

const scope: Scope = { resolve: () => ({ value: null, secret: false }) };

function task(script: string, extra: Partial<CommandTask> = {}): CommandTask {
  return {
    id: 'check-backup',
    body: { kind: 'run', script },
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    retry: { attempts: 1, delayMs: 0, backoff: 1 },
    intervalMs: 1000,
    outputs: { tables: { from: 'stdout', regex: 'Tables in the dump: (\\d+)' } },
    scope,
    ...extra,
  };
}

const run = (t: CommandTask) =>
  runCommand(
    t,
    { runner: createProcessRunner(), clock: systemClock },
    outputOnlyHooks(() => undefined),
    new AbortController().signal,
  );

describe('the reason a command step failed', () => {
  it('leads with the exit code and the last lines of stderr, not the output it then lacked', async () => {
    const outcome = await run(
      task(
        "echo 'Checking the dump'; printf 'gzip: one\\ngzip: two\\ngzip: three\\ngzip: /tmp/b.sql.gz: unexpected end of file\\n' >&2; exit 1",
      ),
    );
    expect(outcome.ok).toBe(false);
    expect(outcome.exitCode).toBe(1);
    expect(outcome.reason).toBe('exit code 1 (expected 0): gzip: two / gzip: three / gzip: /tmp/b.sql.gz: unexpected end of file');
    expect(outcome.errorTail).toBe('gzip: two\ngzip: three\ngzip: /tmp/b.sql.gz: unexpected end of file');
    expect(outcome.reason).not.toContain('found nothing');
  }, 30_000);

  it('quotes stdout when stderr is empty, and masks secrets in it', async () => {
    const outcome = await run(
      task('echo "connecting with hunter2-secret"; echo "refused"; exit 3', { mask: (t) => t.replaceAll('hunter2-secret', '***') }),
    );
    expect(outcome.reason).toBe('exit code 3 (expected 0): connecting with *** / refused');
    expect(outcome.errorTail).toBe('connecting with ***\nrefused');
  }, 30_000);

  it('blames the output only when the command itself succeeded', async () => {
    const outcome = await run(task('echo "no table count here"'));
    expect(outcome.ok).toBe(false);
    expect(outcome.reason).toContain('found nothing in stdout');
    expect(outcome.errorTail).toBeUndefined();
  }, 30_000);

  it('an exit code the expectation allows is not a failure', async () => {
    const outcome = await run(task('echo "Tables in the dump: 7"; exit 2', { expect: { exit_code: [0, 2] } }));
    expect(outcome.ok).toBe(true);
    expect(outcome.outputs).toEqual({ tables: '7' });
  }, 30_000);

  it('keeps the last three non-blank lines', () => {
    expect(lastLines('a\n\nb\nc\n\nd\n')).toBe('b\nc\nd');
  });
});
