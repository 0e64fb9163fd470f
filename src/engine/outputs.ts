import type { Literal } from '../runbook/expression.js';
import { compileRegex } from '../runbook/regex.js';
import type { OutputDoc } from '../runbook/schema.js';

/** Extract a step's declared outputs from what it printed. Throws a readable reason when a regex finds nothing. */
export function extractOutputs(
  specs: Record<string, OutputDoc>,
  observed: { stdout: string; stderr: string; exitCode: number | null },
): Record<string, Literal> {
  const outputs: Record<string, Literal> = {};
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.from === 'exit_code') {
      outputs[name] = observed.exitCode;
      continue;
    }
    let value = observed[spec.from];
    if (spec.regex !== undefined) {
      const match = compileRegex(spec.regex).exec(value);
      if (!match) throw new Error(`output ${name}: /${spec.regex}/ found nothing in ${spec.from}`);
      value = match[1] ?? match[0] ?? '';
    }
    // trim defaults to on for a whole stream (its last newline is never wanted) and to off for a regex's capture.
    const trim = spec.trim ?? spec.regex === undefined;
    outputs[name] = trim ? value.trim() : value;
  }
  return outputs;
}
