import type * as z from '../util/zod.js';
import { didYouMean } from '../util/suggest.js';
import type { Diagnostic, PathSegment } from './diagnostics.js';
import { runbookSchema } from './schema.js';
import type { SourceFile } from './source.js';
import { diagnosticAt } from './source.js';

type Issue = z.core.$ZodIssue;

/** Turn the schema's issues into diagnostics that point at the right line and say how to fix it. */
export function schemaDiagnostics(issues: readonly Issue[], source: SourceFile): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const issue of issues) addIssue(issue, [], source, out);
  return out;
}

function addIssue(issue: Issue, prefix: PathSegment[], source: SourceFile, out: Diagnostic[]): void {
  const path = [...prefix, ...(issue.path as PathSegment[])];
  switch (issue.code) {
    case 'unrecognized_keys':
      for (const key of issue.keys) {
        const known = knownKeys(path);
        const hint = didYouMean(key, known) || (known.length ? `allowed here: ${known.join(', ')}` : undefined);
        out.push(diagnosticAt(source, [...path, key], `unknown key "${key}"`, { target: 'key', hint }));
      }
      return;
    case 'invalid_union': {
      const branch = bestBranch(issue.errors);
      if (branch) {
        for (const inner of branch) addIssue(inner, path, source, out);
        return;
      }
      const expected = [
        ...new Set(
          issue.errors
            .flat()
            .map((e) => (e.code === 'invalid_type' ? describeType(e.expected) : undefined))
            .filter(Boolean),
        ),
      ];
      out.push(diagnosticAt(source, path, `expected ${expected.join(' or ')}, got ${describeValue(issue.input)}`));
      return;
    }
    case 'invalid_key':
      for (const inner of issue.issues) {
        out.push(diagnosticAt(source, path, `key "${String(path[path.length - 1])}" ${messageOf(inner)}`, { target: 'key' }));
      }
      return;
    case 'invalid_type':
      if (issue.input === undefined) {
        const parent = path.slice(0, -1);
        const key = String(path[path.length - 1]);
        out.push(diagnosticAt(source, parent, `missing required key "${key}"`, { target: 'key', hint: requiredHint(key) }));
      } else {
        out.push(
          diagnosticAt(source, path, `expected ${describeType(issue.expected)}, got ${describeValue(issue.input)}`, {
            hint: typeHint(issue.expected, issue.input),
          }),
        );
      }
      return;
    case 'invalid_value':
      if (issue.input === undefined) {
        const key = String(path[path.length - 1]);
        out.push(
          diagnosticAt(source, path.slice(0, -1), `missing required key "${key}"`, {
            target: 'key',
            hint: requiredHint(key) ?? `use ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}`,
          }),
        );
        return;
      }
      out.push(
        diagnosticAt(source, path, `${describeValue(issue.input)} is not allowed here`, {
          hint: `use ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}`,
        }),
      );
      return;
    default:
      out.push(diagnosticAt(source, path, `${describeValue(issue.input)} ${messageOf(issue)}`));
  }
}

/** Of a union's failed branches, the one that got furthest (its issues have the deepest paths). */
function bestBranch(branches: Issue[][]): Issue[] | undefined {
  let best: Issue[] | undefined;
  let bestScore = 0;
  for (const branch of branches) {
    const score = Math.max(
      0,
      ...branch.map((issue) => issue.path.length + (issue.code === 'invalid_type' && issue.path.length === 0 ? -1 : 1)),
    );
    if (score > bestScore) {
      best = branch;
      bestScore = score;
    }
  }
  return best;
}

function messageOf(issue: Issue): string {
  switch (issue.code) {
    case 'too_small':
      if (!issue.message.startsWith('Too small')) return issue.message;
      return issue.origin === 'array'
        ? `needs at least ${String(issue.minimum)} item(s)`
        : issue.origin === 'number'
          ? `must be at least ${String(issue.minimum)}`
          : issue.message;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}`;
    case 'invalid_format':
    case 'custom':
      return issue.message.startsWith('Invalid') ? 'has the wrong format' : issue.message;
    case 'not_multiple_of':
      return 'must be a whole number';
    default:
      return issue.message;
  }
}

function describeType(expected: string): string {
  const names: Record<string, string> = {
    object: 'a mapping',
    record: 'a mapping',
    array: 'a list',
    string: 'text',
    number: 'a number',
    int: 'a whole number',
    boolean: 'true or false',
  };
  return names[expected] ?? expected;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null (an empty value)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}..."` : text;
}

function typeHint(expected: string, input: unknown): string | undefined {
  if (expected === 'string' && typeof input === 'number') return 'durations and text need a unit or quotes, e.g. 90s or "10"';
  if (expected === 'array' && typeof input === 'string') return 'write a list: [a, b] or one "- item" per line';
  if (input === null) return 'the key has no value; give it one or remove the key';
  return undefined;
}

function requiredHint(key: string): string | undefined {
  const hints: Record<string, string> = {
    apiVersion: 'start the file with apiVersion: drctl/v1',
    kind: 'add kind: Runbook',
    id: 'every step needs an id such as restore-db',
    title: 'add a short title',
    steps: 'a runbook needs steps:, a list of at least one step',
    metadata: 'add metadata: { name: my-scenario, title: My scenario }',
    name: 'add name: (lowercase letters, digits and "-")',
    from: 'from: stdout, stderr or exit_code',
  };
  return hints[key];
}

interface SchemaDef {
  type: string;
  shape?: Record<string, unknown>;
  element?: unknown;
  valueType?: unknown;
  options?: unknown[];
  innerType?: unknown;
}

function defOf(schema: unknown): SchemaDef {
  return (schema as { _zod: { def: SchemaDef } })._zod.def;
}

/** The keys the schema allows at a path, for "did you mean". */
function knownKeys(path: readonly PathSegment[]): string[] {
  let candidates: unknown[] = [runbookSchema];
  for (const segment of path) {
    const next: unknown[] = [];
    for (const schema of candidates.flatMap(unwrap)) {
      const def = defOf(schema);
      if (def.type === 'object' && typeof segment === 'string' && def.shape?.[segment]) next.push(def.shape[segment]);
      else if (def.type === 'array' && typeof segment === 'number') next.push(def.element);
      else if (def.type === 'record') next.push(def.valueType);
    }
    candidates = next;
  }
  const keys = new Set<string>();
  for (const schema of candidates.flatMap(unwrap)) {
    const def = defOf(schema);
    if (def.type === 'object') for (const key of Object.keys(def.shape ?? {})) keys.add(key);
  }
  return [...keys];
}

function unwrap(schema: unknown): unknown[] {
  const def = defOf(schema);
  if (def.type === 'optional' || def.type === 'nullable' || def.type === 'default') return unwrap(def.innerType);
  if (def.type === 'union') return (def.options ?? []).flatMap(unwrap);
  return [schema];
}
