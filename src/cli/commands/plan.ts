import { buildPlan } from '../../engine/plan.js';
import { planToJson } from '../../engine/plan-json.js';
import { parseIncidentStart } from '../../engine/incident-start.js';
import { parseInputOptions, readInputsFile, resolveInputs, secretValues } from '../../engine/inputs.js';
import type { Plan } from '../../engine/plan.js';
import { Redactor } from '../../engine/redact.js';
import { makeRunId } from '../../engine/run-id.js';
import { layout, terminalWidth } from '../../io/layout.js';
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
  printPlan(
    buildPlan(runbook, { inputs, mode: 'dry-run', runId: makeRunId(runbook.name, now), incidentStart, env: process.env }),
    options.json === true,
  );
  return 0;
}

/**
 * Print a plan with every secret value masked, wherever it surfaced (a runbook env fed by a
 * secret and read back through env.NAME, say).
 */
export function printPlan(plan: Plan, json: boolean): void {
  const redactor = new Redactor(secretValues(plan.inputsResolved));
  if (json) process.stdout.write(`${JSON.stringify(redactor.value(planToJson(plan)), null, 2)}\n`);
  else {
    const width = terminalWidth(process.stdout);
    // Laid out once masked: a mask is not as wide as what it hides.
    process.stdout.write(layout(redactor.text(renderPlan(plan, styleFor(process.stdout), width)), width));
  }
}
