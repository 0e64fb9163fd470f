import type { Literal } from '../runbook/expression.js';
import type { InputSpec, Runbook } from '../runbook/model.js';
import { Suggestions, typeProblem } from '../runbook/rules.js';
import { locate, parseSource } from '../runbook/source.js';
import { UserError } from '../util/errors.js';
import { readRegularFile } from '../util/read-regular-file.js';
import { urlPasswords } from './redact.js';

export interface ResolvedInputs {
  values: Record<string, Literal>;
  secretInputs: Set<string>;
  /** Where each value came from, for the plan and the journal. */
  sources: Record<string, 'option' | 'file' | 'env' | 'default'>;
}

interface Given {
  value: unknown;
  source: 'option' | 'file';
  /** file:line:col of a value from --inputs-file. */
  where?: string;
}

/** `--input name=value` options. */
export function parseInputOptions(pairs: readonly string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [i, pair] of pairs.entries()) {
    const eq = pair.indexOf('=');
    // Named by its position, never quoted: what was typed may be a secret given without its name.
    if (eq <= 0)
      throw new UserError(`--input number ${i + 1} (of ${pairs.length}) is not name=value`, { hint: 'e.g. --input namespace=payments' });
    values[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return values;
}

/** Read `--inputs-file`: a YAML or JSON mapping of input names to values. */
export function readInputsFile(file: string): Map<string, Given> {
  // Only a regular file of at most 5 MiB: /dev/zero or a named pipe is refused, never read until memory runs out.
  const read = readRegularFile(file, 'an inputs file');
  if (!read.ok)
    throw new UserError(`--inputs-file ${file}: ${read.problem}`, { hint: 'give --inputs-file a YAML or JSON file of input values' });
  if (read.bytes.includes(0)) throw new UserError(`--inputs-file ${file}: is a binary file, not YAML or JSON`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(read.bytes).replace(/^\uFEFF/, '');
  } catch {
    throw new UserError(`--inputs-file ${file}: is not UTF-8 text`, { hint: 'save it as UTF-8' });
  }
  const { source, value: raw, diagnostics } = parseSource(file, text);
  const first = diagnostics.find((d) => d.severity === 'error');
  if (first) throw new UserError(`${first.file}:${first.line}:${first.col}: ${first.message}`, { hint: first.hint });
  if (raw === null || raw === undefined) return new Map();
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new UserError(`${file}:1:1: an inputs file is a mapping of input names to values`, { hint: 'e.g. namespace: payments' });
  }
  const given = new Map<string, Given>();
  for (const [name, value] of Object.entries(raw)) {
    const [line, col] = locate(source, [name], 'key');
    given.set(name, { value, source: 'file', where: `${file}:${line}:${col}` });
  }
  return given;
}

/**
 * Resolve every input: --input, then --inputs-file, then its environment variable, then its default.
 * All problems are reported at once.
 */
export function resolveInputs(
  runbook: Runbook,
  options: { pairs?: Record<string, string>; file?: Map<string, Given>; env?: Readonly<Record<string, string | undefined>> },
): ResolvedInputs {
  const given = new Map<string, Given>(options.file ?? []);
  for (const [name, value] of Object.entries(options.pairs ?? {})) given.set(name, { value, source: 'option' });
  const env = options.env ?? {};
  const problems: string[] = [];
  const known = runbook.inputs.map((i) => i.name);
  const knownNames = new Set(known);
  const suggest = new Suggestions();
  for (const [name, entry] of given) {
    if (!knownNames.has(name)) {
      const where = entry.where ? `${entry.where}: ` : '';
      const suggestion = suggest.didYouMean(name, known);
      problems.push(
        `${where}unknown input "${name}"${suggestion ? `: ${suggestion}` : known.length ? ` (inputs: ${known.join(', ')})` : ' (this runbook takes no inputs)'}`,
      );
    }
  }
  const resolved: ResolvedInputs = { values: {}, secretInputs: new Set(), sources: {} };
  for (const spec of runbook.inputs) {
    if (spec.secret) resolved.secretInputs.add(spec.name);
    const entry = given.get(spec.name);
    const fromEnv = spec.env !== undefined ? env[spec.env] : undefined;
    let raw: unknown;
    let source: ResolvedInputs['sources'][string];
    let where = '';
    if (entry) {
      raw = entry.value;
      source = entry.source;
      where = entry.where ? `${entry.where}: ` : '';
    } else if (fromEnv !== undefined) {
      raw = fromEnv;
      source = 'env';
      where = `(from $${spec.env}) `;
    } else if (spec.default !== undefined) {
      raw = spec.default;
      source = 'default';
    } else {
      problems.push(missingMessage(spec));
      continue;
    }
    const coerced = coerce(spec, raw);
    if ('problem' in coerced) {
      // A value is quoted only when it is no secret and holds no URL with a password.
      const quotable = !spec.secret && (typeof raw !== 'string' || urlPasswords(raw, 1).length === 0);
      problems.push(`${where}input "${spec.name}": ${quotable ? coerced.problem : `the given value is not a valid ${spec.type}`}`);
      continue;
    }
    resolved.values[spec.name] = coerced.value;
    resolved.sources[spec.name] = source;
  }
  if (problems.length === 1) throw new UserError(problems[0]!, { hint: `see the inputs with: drctl show ${runbook.name}` });
  if (problems.length > 1) {
    throw new UserError(`${problems.length} problems with the inputs of ${runbook.name}:\n${problems.map((p) => `  - ${p}`).join('\n')}`, {
      hint: `see the inputs with: drctl show ${runbook.name}`,
    });
  }
  return resolved;
}

function missingMessage(spec: InputSpec): string {
  const about = spec.description ? ` (${spec.description})` : '';
  const how = spec.env ? `--input ${spec.name}=... or set $${spec.env}` : `--input ${spec.name}=...`;
  return `missing required input "${spec.name}"${about}: give ${how}`;
}

function coerce(spec: InputSpec, raw: unknown): { value: Literal } | { problem: string } {
  const problem = typeProblem(spec.type, raw, spec.options);
  if (problem) return { problem };
  switch (spec.type) {
    case 'number':
      return { value: Number(raw) };
    case 'boolean':
      return { value: raw === true || raw === 'true' };
    case 'choice':
      return { value: spec.options!.find((option) => String(option) === String(raw))! };
    default:
      return { value: String(raw) };
  }
}

/**
 * What to mask wherever anything is shown or written: the values of the secret inputs, and the
 * password of any URL in the other inputs (`postgres://app:pw@db/shop` given as a plain input).
 */
export function secretValues(inputs: ResolvedInputs): string[] {
  const values = [...inputs.secretInputs]
    .map((name) => inputs.values[name])
    .filter((v) => v !== null && v !== undefined && v !== '')
    .map(String);
  for (const [name, value] of Object.entries(inputs.values)) {
    if (!inputs.secretInputs.has(name) && typeof value === 'string') values.push(...urlPasswords(value));
  }
  return values;
}

/**
 * The inputs that are kept out of the journal: the secret ones, and any other whose value holds a
 * URL with a password (journaled masked, it could not be used again by a resumed run).
 */
export function unjournaledInputs(inputs: ResolvedInputs): Set<string> {
  const names = new Set(inputs.secretInputs);
  for (const [name, value] of Object.entries(inputs.values))
    if (typeof value === 'string' && urlPasswords(value, 1).length > 0) names.add(name);
  return names;
}
