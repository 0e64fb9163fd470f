import type { Scope } from '../runbook/expression.js';
import { evaluate, parseTemplate, stringify } from '../runbook/expression.js';

/**
 * A command line, an environment variable and a folder name are C strings: a NUL byte cannot be in
 * one, and Node refuses to start the process. A value can hold one (a step's output, a value from an
 * inputs file), so before a command starts, drctl looks for NUL bytes and fails the step with a
 * reason that names where the value came from. The value itself is never quoted: it may be a secret.
 */
export function unpassableReason(
  command: { file: string; args: readonly string[]; env: Readonly<Record<string, string>>; cwd?: string | undefined },
  templates: readonly string[],
  scope: Scope,
): string | undefined {
  const expressionVariables = Object.keys(command.env).filter((name) => /^DRCTL_EXPR_[0-9]+$/.test(name));
  if (
    command.file.includes('\0') ||
    command.args.some((arg) => arg.includes('\0')) ||
    expressionVariables.some((name) => command.env[name]!.includes('\0'))
  ) {
    const sources = nulExpressions(templates, scope);
    if (sources.length === 0) return `the command holds a NUL byte, which a command line cannot carry`;
    const named = sources.map((source) => `\${{ ${source} }}`).join(', ');
    return `cannot pass ${named} to the command: ${sources.length === 1 ? 'its value holds' : 'their values hold'} a NUL byte, which a command line cannot carry`;
  }
  const variables = Object.keys(command.env).filter((name) => command.env[name]!.includes('\0'));
  if (variables.length > 0)
    return `cannot pass the environment variable ${variables.join(', ')} to the command: its value holds a NUL byte, which the environment cannot carry`;
  if (command.cwd?.includes('\0')) return `cannot start the command in its cwd: the folder name holds a NUL byte`;
  return undefined;
}

/** The expressions in these templates whose values hold a NUL byte. */
function nulExpressions(templates: readonly string[], scope: Scope): string[] {
  const found: string[] = [];
  for (const template of templates) {
    if (!template.includes('${{')) continue;
    for (const segment of parseTemplate(template)) {
      if (segment.kind === 'expr' && stringify(evaluate(segment.expr, scope).value).includes('\0') && !found.includes(segment.source))
        found.push(segment.source);
    }
  }
  return found;
}
