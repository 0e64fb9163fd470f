import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Answer, Host, Question, RunEvent } from '../../src/engine/events.js';
import { resolveInputs } from '../../src/engine/inputs.js';
import type { LifecycleDeps } from '../../src/lifecycle/lifecycle.js';
import type { ActionExecutor } from '../../src/ports/actions.js';
import type { Clock } from '../../src/ports/clock.js';
import type { ProcessRunner, ProcessSpec } from '../../src/ports/process.js';
import type { Runbook } from '../../src/runbook/model.js';
import { validateFile } from '../../src/runbook/validate.js';

/**
 * A whole drctl run in-process, with fakes behind every port: a process runner that interprets a
 * tiny script language, a recording host, a fake clock. No build, no real processes.
 *
 * Scripts (a step's `run:`):
 *   `ok NAME`        prints NAME, exits 0
 *   `fail NAME`      prints NAME, exits 1
 *   `flaky NAME`     exits 1 the first time this runner sees it, 0 after
 *   `poll NAME`      prints "pending" the first time this runner sees it, "ready" after
 *   `out NAME VALUE` prints VALUE, exits 0
 */

export interface Execution {
  script: string;
  step: string | undefined;
}

export class FakeRunner implements ProcessRunner {
  readonly executions: Execution[] = [];
  private nextPgid = 40_000;

  async run(spec: ProcessSpec): ReturnType<ProcessRunner['run']> {
    const script = spec.args.at(-1) ?? spec.file;
    const seen = this.executions.filter((e) => e.script === script).length;
    this.executions.push({ script, step: spec.env.DRCTL_STEP_ID });
    spec.onSpawn?.(this.nextPgid, `fake-${this.nextPgid++}`);
    const [verb, name, value] = script.trim().split(/\s+/);
    let exitCode = 0;
    let stdout = `${name ?? ''}\n`;
    if (verb === 'fail') exitCode = 1;
    if (verb === 'flaky' && seen === 0) exitCode = 1;
    if (verb === 'poll') stdout = seen === 0 ? 'pending\n' : 'ready\n';
    if (verb === 'out') stdout = `${value ?? ''}\n`;
    spec.onOutput('stdout', stdout);
    return { exitCode, ended: 'exited', durationMs: 1 };
  }

  count(script: string): number {
    return this.executions.filter((e) => e.script === script).length;
  }
}

/** Answers every question with its default, as the non-interactive host does, and keeps what it saw. */
export class RecordingHost implements Host {
  readonly events: RunEvent[] = [];
  readonly questions: Question[] = [];
  constructor(private readonly answer: (question: Question) => unknown = (q) => q.default) {}
  emit(event: RunEvent): void {
    this.events.push(event);
  }
  async ask<Q extends Question>(question: Q): Promise<Answer<Q>> {
    this.questions.push(question);
    return this.answer(question) as Answer<Q>;
  }
  close(): void {}
}

/** A clock that moves 10 ms each time it is read, so durations are positive and runs are repeatable. */
export function fakeClock(start = Date.parse('2026-11-29T03:00:00Z')): Clock {
  let now = start;
  return {
    now: () => (now += 10),
    sleep: async () => {
      now += 1;
    },
  };
}

export const fakeActions: ActionExecutor = {
  run: async (task) => ({ outputs: { ran: task.action } }),
  canRollback: () => false,
  rollback: async () => undefined,
};

export interface Harness {
  dir: string;
  stateDir: string;
  runner: FakeRunner;
  host: RecordingHost;
  deps: LifecycleDeps;
  warnings: string[];
  remove(): void;
}

export function harness(options: { dir?: string; answer?: (question: Question) => unknown } = {}): Harness {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'drctl-lifecycle-'));
  const runner = new FakeRunner();
  const host = new RecordingHost(options.answer);
  const warnings: string[] = [];
  return {
    dir,
    stateDir: join(dir, 'state'),
    runner,
    host,
    warnings,
    deps: {
      host,
      signal: new AbortController().signal,
      clock: fakeClock(),
      runner,
      actions: () => fakeActions,
      commandAlive: () => false,
      env: { PATH: process.env.PATH },
      pid: process.pid,
      warn: (message) => warnings.push(message),
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function writeRunbook(dir: string, name: string, yaml: string): Runbook {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, yaml);
  const result = validateFile(file);
  if (!result.runbook) throw new Error(`test runbook ${name} is invalid: ${JSON.stringify(result.diagnostics ?? result)}`);
  return result.runbook;
}

export function noInputs(runbook: Runbook): ReturnType<typeof resolveInputs> {
  return resolveInputs(runbook, { pairs: {}, env: {} });
}
