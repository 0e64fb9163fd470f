import { access, constants } from 'node:fs/promises';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import type { ProcessRunner } from '../ports/process.js';
import type { Scope } from '../runbook/expression.js';
import type { Runbook } from '../runbook/model.js';
import { UserError } from '../util/errors.js';
import type { Clock } from '../ports/clock.js';
import type { Host } from './events.js';
import type { Redactor } from './redact.js';
import { renderString } from './render.js';
import type { ActionExecutor } from '../ports/actions.js';
import { openLibpqEnv } from './libpq-env.js';
import { outputOnlyHooks, runCommand } from './step-runner.js';
import { TailBuffer } from './tail-buffer.js';

async function onPath(tool: string, path: string): Promise<boolean> {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    try {
      await access(join(dir, tool), constants.X_OK);
      return true;
    } catch {
      // not in this folder
    }
  }
  return false;
}

/** Read-only checks before step 1. Returns the failures; none means the run may start. */
export async function runPreflight(
  runbook: Runbook,
  scope: Scope,
  env: Record<string, string>,
  deps: { host: Host; runner: ProcessRunner; clock: Clock; redactor: Redactor; actions?: ActionExecutor | undefined },
  signal: AbortSignal,
): Promise<string[]> {
  const failures: string[] = [];
  const report = (title: string, ok: boolean, detail?: string): void => {
    deps.host.emit(deps.redactor.value({ type: 'preflight.check', title, ok, detail }));
    if (!ok) failures.push(deps.redactor.text(detail ? `${title}: ${detail}` : title));
  };
  for (const item of runbook.preflight) {
    if (item.kind === 'require') {
      const missing: string[] = [];
      for (const tool of item.tools) if (!(await onPath(tool, env.PATH ?? ''))) missing.push(tool);
      report(
        `tools on PATH: ${item.tools.join(', ')}`,
        missing.length === 0,
        missing.length ? `not found: ${missing.join(', ')}` : undefined,
      );
      continue;
    }
    const stepEnv = { ...env };
    for (const [k, v] of Object.entries(item.env)) stepEnv[k] = renderString(v, scope).text;
    const libpq = openLibpqEnv(item.postgres, scope, stepEnv, (value) => deps.redactor.add(value));
    if (libpq.problem !== undefined) {
      report(item.title, false, libpq.problem);
      continue;
    }
    // Only the last line is shown: keep a bounded tail, whatever the check prints.
    const output = new TailBuffer(4096);
    const outcome = await runCommand(
      {
        id: `preflight-${item.index + 1}`,
        body: item.body,
        env: libpq.env,
        cwd: item.cwd === undefined ? undefined : resolveFrom(runbook.file, renderString(item.cwd, scope).text),
        timeoutMs: item.timeoutMs ?? 60_000,
        retry: { attempts: 1, delayMs: 0, backoff: 1 },
        intervalMs: 0,
        expect: item.expect,
        outputs: {},
        scope,
      },
      deps,
      outputOnlyHooks((_stream, text) => output.push(text)),
      signal,
    ).finally(() => libpq.close());
    if (outcome.interrupted) throw new UserError('interrupted during preflight: nothing was changed', { exitCode: 130 });
    const lastLine = output.toString().trim().split('\n').pop()?.slice(0, 200);
    const reason = outcome.reason ?? 'failed';
    // The reason may already end with the command's error line: it is not repeated.
    report(item.title, outcome.ok, outcome.ok ? undefined : `${reason}${lastLine && !reason.includes(lastLine) ? ` (${lastLine})` : ''}`);
  }
  return failures;
}

/** A relative `cwd:` is relative to the runbook file's folder, where its scripts live. */
export function resolveFrom(runbookFile: string, cwd: string): string {
  return isAbsolute(cwd) ? cwd : resolve(dirname(runbookFile), cwd);
}
