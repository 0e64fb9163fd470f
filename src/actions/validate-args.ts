import type * as z from '../util/zod.js';
import { didYouMean } from '../util/suggest.js';
import type { ActionDefinition } from './types.js';

export interface ArgProblem {
  /** Path inside `with:`; empty for the whole mapping. */
  path: Array<string | number>;
  message: string;
  hint?: string | undefined;
  /** Point at the key rather than its value. */
  atKey?: boolean;
}

function at(value: unknown, path: readonly PropertyKey[]): unknown {
  let node = value;
  for (const key of path) node = (node as Record<PropertyKey, unknown> | undefined)?.[key];
  return node;
}

function argNames(action: ActionDefinition): string[] {
  const shape = (action.args as unknown as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape) : [];
}

/**
 * Check `with:` against the action's arguments as `validate` sees them: a value that is an
 * expression is only known at run time, so problems with such values are left to the run.
 */
export function checkActionArgs(action: ActionDefinition, raw: unknown): ArgProblem[] {
  const result = action.args.safeParse(raw ?? {});
  if (result.success) return [];
  const problems: ArgProblem[] = [];
  for (const issue of result.error.issues as z.core.$ZodIssue[]) {
    const path = issue.path as Array<string | number>;
    const value = at(raw, path);
    if (typeof value === 'string' && value.includes('${{')) continue;
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const names = argNames(action);
        problems.push({
          path: [...path, key],
          message: `${action.name} has no argument "${key}"`,
          hint: didYouMean(key, names) || `its arguments: ${names.join(', ')}`,
          atKey: true,
        });
      }
    } else if (value === undefined && issue.code === 'invalid_type') {
      problems.push({
        path: path.slice(0, -1),
        message: `${action.name} needs the argument "${String(path[path.length - 1])}"`,
        hint: `add it under with:`,
        atKey: true,
      });
    } else {
      problems.push({
        path,
        message: `${action.name}: argument ${path.join('.') || 'with'}: ${issue.message.replace(/^Invalid input: /, '')}`,
      });
    }
  }
  return problems;
}

/** Parse resolved arguments before the action runs; throws a one-line message. */
export function parseActionArgs<A>(action: ActionDefinition<A>, resolved: unknown): A {
  const result = action.args.safeParse(resolved ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const where = issue.path.length ? `argument ${issue.path.join('.')}` : 'with';
  throw new Error(`${action.name}: ${where}: ${issue.message.replace(/^Invalid input: /, '')}`);
}
