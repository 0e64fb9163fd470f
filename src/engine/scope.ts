import type { Evaluated, Literal, Scope } from '../runbook/expression.js';
import { Unknown } from '../runbook/expression.js';
import { formatDuration } from '../util/duration.js';

export type RunMode = 'real' | 'drill' | 'dry-run';

export interface StepState {
  status: string;
  outputs: Record<string, Literal>;
}

export interface ScopeData {
  inputs: Record<string, Literal>;
  secretInputs: ReadonlySet<string>;
  env: Readonly<Record<string, string | undefined>>;
  run: RunFacts;
  /** The time `run.now` and `run.elapsed` read, when an expression is evaluated: ms since the epoch (Date.now by default). */
  now?: () => number;
  /** Finished steps; a step not in here is not known yet (plan) or did not run. */
  steps: ReadonlyMap<string, StepState>;
  /** At plan time a missing step is a placeholder; at run time it is empty. */
  unknownSteps: 'placeholder' | 'empty';
}

/**
 * What expressions know of the run (`run.<name>`). `run.now` and `run.elapsed` are not here: they
 * are read from the clock each time an expression names them.
 */
export interface RunFacts {
  id: string;
  mode: RunMode;
  /** ISO */
  incident_start: string;
  /** When the run started (ISO); at plan time, the plan's own time. */
  started_at?: string;
  /** The runbook's name. */
  runbook?: string;
  /** Who runs it: user@host. */
  operator?: string;
  /** The objectives as durations (`1h`, `15m`), null when the runbook sets none. */
  rto?: string | null;
  rpo?: string | null;
}

export function makeScope(data: ScopeData): Scope {
  return {
    resolve(path): Evaluated {
      const [root, name, kind, output] = path;
      switch (root) {
        case 'inputs':
          return { value: data.inputs[name!] ?? null, secret: data.secretInputs.has(name!) };
        case 'env':
          return { value: data.env[name!] ?? null, secret: false };
        case 'run':
          return { value: runFact(data, name ?? ''), secret: false };
        case 'steps': {
          const step = data.steps.get(name!);
          if (!step)
            return {
              value: data.unknownSteps === 'placeholder' ? new Unknown(path.join('.')) : kind === 'status' ? 'not_run' : null,
              secret: false,
            };
          if (kind === 'status') return { value: step.status, secret: false };
          return { value: step.outputs[output!] ?? null, secret: false };
        }
        default:
          return { value: null, secret: false };
      }
    },
  };
}

function runFact(data: ScopeData, name: string): Literal {
  const now = data.now ?? Date.now;
  if (name === 'now') return new Date(now()).toISOString();
  // Time since the incident start, as drctl writes durations everywhere (23m10s).
  if (name === 'elapsed') return formatDuration(Math.max(0, now() - Date.parse(data.run.incident_start)));
  return Object.hasOwn(data.run, name) ? (data.run[name as keyof RunFacts] ?? null) : null;
}
