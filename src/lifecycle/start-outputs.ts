import type { RunRecord } from '../journal/record.js';
import { resolveRunRef } from '../journal/run-ref.js';
import { findRun, listRunsIn } from '../journal/runs.js';
import type { Runbook } from '../runbook/model.js';
import { outputRefs } from '../runbook/refs.js';
import { UserError } from '../util/errors.js';
import { didYouMean } from '../util/suggest.js';

/**
 * Outputs of the steps that `--start-at` skips, given on the command line (`--output`) or taken
 * from an earlier run of the same runbook (`--outputs-from`): step id, then output name.
 */
export type GivenOutputs = Record<string, Record<string, unknown>>;

/** Where the outputs of skipped steps come from, as the operator gave them. */
export interface OutputSources {
  /** `--output <step>.<name>=<value>`, in order; a later one wins. */
  pairs: readonly string[];
  /** `--outputs-from <run-id|latest>`. */
  from?: string | undefined;
  /** The folders that keep runs, where `--outputs-from` looks. */
  stateDirs: readonly string[];
}

const PAIR = /^([^.=]+)\.([^=]+)=(.*)$/s;

/**
 * Refusal before step 1 (exit 2): a step at or after `--start-at` uses outputs of the steps it skips
 * that neither `--output` nor `--outputs-from` give. Returns the given outputs, for the skipped steps.
 */
export function startOutputs(runbook: Runbook, startAt: string | undefined, sources: OutputSources): GivenOutputs {
  const { outputs, from } = givenOutputs(runbook, startAt, sources);
  if (startAt === undefined) return outputs;
  const missing = missingOutputs(runbook, startAt, outputs, from);
  if (missing.length > 0) {
    throw new UserError(`--start-at ${startAt} skips steps whose outputs are used later, and they were not given: ${missing.join(', ')}`, {
      hint: 'give each with --output <step>.<name>=<value>, or take them from an earlier run with --outputs-from <run-id|latest>',
    });
  }
  return outputs;
}

/** Read `--output` and `--outputs-from` into the outputs of the skipped steps; a mistake exits 2. */
function givenOutputs(runbook: Runbook, startAt: string | undefined, sources: OutputSources): { outputs: GivenOutputs; from?: RunRecord } {
  if (sources.pairs.length === 0 && sources.from === undefined) return { outputs: {} };
  if (startAt === undefined) {
    const option = sources.pairs.length > 0 ? '--output' : '--outputs-from';
    throw new UserError(`${option} goes with --start-at: it stands in for the outputs of the steps that are skipped`, {
      hint: `drctl run ${runbook.name} --start-at <step-id> ${option} ...`,
    });
  }
  const ids = runbook.steps.map((s) => s.id);
  const first = ids.indexOf(startAt);
  const skipped = new Set(first < 0 ? [] : ids.slice(0, first));
  const given: GivenOutputs = {};
  let record: RunRecord | undefined;
  if (sources.from !== undefined) {
    record = earlierRun(runbook, sources.from, sources.stateDirs);
    for (const id of skipped) {
      const step = record.steps.get(id);
      if (!step) continue;
      const redacted = new Set(step.redactedOutputs ?? []);
      const kept = Object.entries(step.outputs).filter(([name]) => !redacted.has(name));
      if (kept.length > 0) given[id] = Object.fromEntries(kept);
    }
  }
  for (const pair of sources.pairs) {
    const match = PAIR.exec(pair);
    if (!match) {
      throw new UserError(`--output ${pair}: expected <step>.<name>=<value>`, {
        hint: 'for example --output download-backup.path=/var/backups/db.dump',
      });
    }
    const [, step = '', name = '', value = ''] = match;
    if (!ids.includes(step)) {
      const suggestion = didYouMean(step, ids);
      throw new UserError(`--output ${step}.${name}: no step ${step} in ${runbook.name}${suggestion ? `; ${suggestion}` : ''}`, {
        hint: `steps: ${ids.join(', ')}`,
      });
    }
    if (!skipped.has(step)) {
      throw new UserError(
        `--output ${step}.${name}: step ${step} is not skipped by --start-at ${startAt}, it runs and makes its own outputs`,
        {
          hint: skipped.size ? `the skipped steps: ${[...skipped].join(', ')}` : `--start-at ${startAt} skips no step`,
        },
      );
    }
    given[step] = { ...given[step], [name]: value };
  }
  return record ? { outputs: given, from: record } : { outputs: given };
}

/** The run `--outputs-from` names: the latest run of this runbook, or the one given, which must be of this runbook. */
function earlierRun(runbook: Runbook, ref: string, stateDirs: readonly string[]): RunRecord {
  const runId = resolveRunRef(stateDirs, ref);
  if (runId === undefined) {
    const latest = listRunsIn(stateDirs).runs.find((r) => r.record.runbook === runbook.name);
    if (!latest) {
      throw new UserError(`--outputs-from ${ref}: no earlier run of ${runbook.name} in ${stateDirs.join(' or ')}`, {
        hint: 'give the outputs with --output <step>.<name>=<value>',
      });
    }
    return latest.record;
  }
  const { record } = findRun(stateDirs, runId);
  if (record.runbook !== runbook.name) {
    throw new UserError(`--outputs-from ${ref}: run ${record.runId} is of runbook ${record.runbook}, not ${runbook.name}`, {
      hint: `see drctl runs for the runs of ${runbook.name}`,
    });
  }
  return record;
}

/**
 * The outputs of skipped steps that a step at or after the start uses (in its command, env, with,
 * if, confirm, cwd, expectations or rollback) and that nobody gave: each named, with why it is
 * missing. Empty when the run can start.
 */
function missingOutputs(runbook: Runbook, startAt: string, given: GivenOutputs, redactedIn?: RunRecord): string[] {
  const first = runbook.steps.findIndex((s) => s.id === startAt);
  if (first <= 0) return [];
  const skipped = new Set(runbook.steps.slice(0, first).map((s) => s.id));
  const missing = new Map<string, string>();
  for (const step of runbook.steps.slice(first)) {
    for (const ref of outputRefs(step)) {
      if (!skipped.has(ref.step) || given[ref.step]?.[ref.output] !== undefined) continue;
      const key = `steps.${ref.step}.outputs.${ref.output}`;
      if (missing.has(key)) continue;
      const redacted = redactedIn?.steps.get(ref.step)?.redactedOutputs?.includes(ref.output) === true;
      missing.set(
        key,
        `${key} (used by ${step.id}${redacted ? `; it held a secret and run ${redactedIn?.runId} did not keep it in its journal` : ''})`,
      );
    }
  }
  return [...missing.values()];
}
