import { buildPlan } from '../../engine/plan.js';
import { planToJson } from '../../engine/plan-json.js';
import { parseIncidentStart } from '../../engine/incident-start.js';
import { parseInputOptions, readInputsFile, resolveInputs } from '../../engine/inputs.js';
import { makeRunId } from '../../engine/run-id.js';
import { renderPlan } from '../../io/render-plan.js';
import { styleFor } from '../../io/style.js';
import { loadRunbook } from '../load.js';
import type { PlanOptions } from '../program.js';

export function planCommand(ref: string, options: PlanOptions): number {
  const now = new Date();
  const incidentStart = parseIncidentStart(options.incidentStart, now);
  const runbook = loadRunbook(ref, options.dir);
  const pairs = parseInputOptions(options.input);
  const file = options.inputsFile ? readInputsFile(options.inputsFile) : undefined;
  const inputs = resolveInputs(runbook, { pairs, ...(file ? { file } : {}), env: process.env });
  const plan = buildPlan(runbook, { inputs, mode: 'dry-run', runId: makeRunId(runbook.name, now), incidentStart, env: process.env });
  if (options.json) process.stdout.write(`${JSON.stringify(planToJson(plan), null, 2)}\n`);
  else process.stdout.write(renderPlan(plan, styleFor(process.stdout)));
  return 0;
}
