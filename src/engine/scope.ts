import type { Evaluated, Literal, Scope } from '../runbook/expression.js';
import { Unknown } from '../runbook/expression.js';

export type RunMode = 'real' | 'drill' | 'dry-run';

export interface StepState {
  status: string;
  outputs: Record<string, Literal>;
}

export interface ScopeData {
  inputs: Record<string, Literal>;
  secretInputs: ReadonlySet<string>;
  env: Readonly<Record<string, string | undefined>>;
  run: { id: string; mode: RunMode; incident_start: string };
  /** Finished steps; a step not in here is not known yet (plan) or did not run. */
  steps: ReadonlyMap<string, StepState>;
  /** At plan time a missing step is a placeholder; at run time it is empty. */
  unknownSteps: 'placeholder' | 'empty';
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
          return { value: data.run[name as keyof ScopeData['run']] ?? null, secret: false };
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
