import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { Diagnostic, PathSegment } from './diagnostics.js';
import { sortDiagnostics } from './diagnostics.js';
import type { Runbook } from './model.js';
import { normalizeRunbook } from './normalize.js';
import { checkRules } from './rules.js';
import type * as z from '../util/zod.js';
import type { RunbookDoc } from './schema.js';
import { runbookSchema } from './schema.js';
import { schemaDiagnostics } from './schema-issues.js';
import { sha256Hash } from '../util/sha256.js';
import { readRegularFile } from '../util/read-regular-file.js';
import type { ParsedSource } from './source.js';
import { diagnosticAt, locate, parseSource } from './source.js';

export interface ValidationResult {
  file: string;
  runbook?: Runbook;
  diagnostics: Diagnostic[];
  /** The file's text, for code frames in messages. */
  text?: string;
  /** Where metadata.name stands, for the folder-wide uniqueness check (found only when needed). */
  namePosition?: () => [number, number];
}

const RUNBOOK_EXTENSIONS = new Set(['.yaml', '.yml']);

export function isRunbookFileName(name: string): boolean {
  return RUNBOOK_EXTENSIONS.has(extname(name).toLowerCase());
}

function fileProblem(file: string, message: string, hint?: string): ValidationResult {
  const diagnostic: Diagnostic = { severity: 'error', file, line: 0, col: 0, path: '', message };
  if (hint) diagnostic.hint = hint;
  return { file, diagnostics: [diagnostic] };
}

/** The sha256 of a runbook file's bytes, computed when first asked for (validate never asks). */
type Digest = () => string;

/** A runbook file read and parsed as YAML, its checks still to come. */
interface ReadRunbook {
  file: string;
  /** The file's text, for code frames in messages. */
  text: string;
  digest: Digest;
  yaml: ParsedSource;
}

/** Read and validate one runbook file; every problem is returned, none thrown. */
export function validateFile(file: string): ValidationResult {
  return checkRead(readRunbook(file));
}

export function validateText(file: string, text: string, digest: string): ValidationResult {
  return checkParsed(file, () => digest, parseSource(file, text.replace(/^\uFEFF/, '')));
}

function readRunbook(file: string): ReadRunbook | ValidationResult {
  // Only a regular file of at most 5 MiB: a named pipe, a device or a huge file is refused unread.
  const read = readRegularFile(file, 'a runbook file');
  return read.ok ? readBytes(file, read.bytes) : fileProblem(file, read.problem);
}

function readBytes(file: string, bytes: Buffer): ReadRunbook | ValidationResult {
  if (bytes.includes(0)) return fileProblem(file, 'is a binary file, not a YAML runbook');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return fileProblem(file, 'is not UTF-8 text', 'save the runbook as UTF-8');
  }
  const digest = () => sha256Hash().update(bytes).digest('hex');
  return { file, text, digest, yaml: parseSource(file, text.replace(/^\uFEFF/, '')) };
}

function checkRead(read: ReadRunbook | ValidationResult): ValidationResult {
  return 'yaml' in read ? { ...checkParsed(read.file, read.digest, read.yaml), text: read.text } : read;
}

/** Schema and rules, on a file parsed as YAML: every problem, at its line and column. */
function checkParsed(file: string, digest: Digest, yaml: ParsedSource): ValidationResult {
  const { source, value: raw, empty, diagnostics } = yaml;
  if (empty) {
    return {
      file,
      diagnostics: [
        ...diagnostics,
        {
          severity: 'error',
          file,
          line: 1,
          col: 1,
          path: '',
          message: 'the file is empty',
          hint: 'a runbook starts with apiVersion: drctl/v1 and kind: Runbook',
        },
      ],
    };
  }
  if (diagnostics.some((d) => d.severity === 'error' && !d.message.startsWith('duplicate key')) || raw === undefined)
    return { file, diagnostics };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    diagnostics.push(
      diagnosticAt(source, [], 'a runbook is a YAML mapping with apiVersion, kind, metadata and steps', {
        hint: 'see `drctl schema` or the shipped runbooks for the shape',
      }),
    );
    return { file, diagnostics };
  }
  const parsed = runbookSchema.safeParse(raw, { reportInput: true });
  if (parsed.success) {
    append(diagnostics, checkRules(parsed.data, source));
    const ok = !diagnostics.some((d) => d.severity === 'error');
    const namePosition = (): [number, number] => locate(source, ['metadata', 'name']);
    return {
      file,
      diagnostics: sortDiagnostics(diagnostics),
      namePosition,
      ...(ok ? { runbook: normalizeRunbook(parsed.data, file, digest) } : {}),
    };
  }
  append(diagnostics, schemaDiagnostics(parsed.error.issues, source));
  // Run the cross-key rules too, on a copy with the schema's problems patched over (stray keys
  // removed, missing or ill-typed values replaced by placeholders), so one run reports everything.
  const repaired = repairForRules(raw, parsed.error.issues);
  if (repaired) append(diagnostics, checkRules(repaired, source));
  return { file, diagnostics: sortDiagnostics(dedupe(diagnostics)) };
}

/** Add every item: push(...items) passes them as arguments, and 200,000 problems overflow the stack. */
function append<T>(into: T[], items: readonly T[]): void {
  for (const item of items) into.push(item);
}

type Issue = z.core.$ZodIssue;

function repairForRules(raw: unknown, issues: readonly Issue[]): RunbookDoc | undefined {
  let copy = structuredClone(raw);
  let pending = issues;
  for (let round = 0; round < 4; round++) {
    let placeholder = 0;
    for (const issue of pending) {
      const path = issue.path as PathSegment[];
      if (issue.code === 'unrecognized_keys') {
        const parent = getAt(copy, path);
        if (parent && typeof parent === 'object') for (const key of issue.keys) delete (parent as Record<string, unknown>)[key];
        continue;
      }
      if (issue.code === 'invalid_key') {
        const parent = getAt(copy, path.slice(0, -1));
        if (parent && typeof parent === 'object') delete (parent as Record<string, unknown>)[String(path[path.length - 1])];
        continue;
      }
      const value = placeholderFor(issue, ++placeholder);
      if (value === undefined) return undefined;
      copy = setAt(copy, path, value);
    }
    const retry = runbookSchema.safeParse(copy);
    if (retry.success) return retry.data;
    pending = retry.error.issues;
  }
  return undefined;
}

/** A value of the right shape that names nothing, so the rules can look past a broken key. */
function placeholderFor(issue: Issue, n: number): unknown {
  switch (issue.code) {
    case 'invalid_type':
      return { string: `x-invalid-${n}`, number: 0, int: 0, boolean: false, array: [], object: {}, record: {} }[issue.expected as string];
    case 'invalid_value':
      return issue.values[0];
    case 'invalid_format':
      return String(issue.path[issue.path.length - 1]) === 'budget' || /ms\|h\|m\|s/.test(String((issue as { pattern?: string }).pattern))
        ? '1s'
        : `x-invalid-${n}`;
    case 'invalid_union':
      return null;
    default:
      return undefined;
  }
}

function getAt(root: unknown, path: readonly PathSegment[]): unknown {
  let node = root;
  for (const segment of path) node = (node as Record<string, unknown> | undefined)?.[segment as string];
  return node;
}

/** Set a value at a path; null deletes an optional key instead. */
function setAt(root: unknown, path: readonly PathSegment[], value: unknown): unknown {
  if (path.length === 0) return value;
  const parent = getAt(root, path.slice(0, -1));
  const key = path[path.length - 1]!;
  if (parent && typeof parent === 'object') {
    if (value === null && !Array.isArray(parent)) delete (parent as Record<string, unknown>)[key as string];
    else (parent as Record<string, unknown>)[key as string] = value;
  }
  return root;
}

function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.line}:${d.col}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Validate files and folders (their *.yaml and *.yml files); names must be unique in a folder. */
export function validatePaths(paths: readonly string[]): ValidationResult[] {
  const results: ValidationResult[] = [];
  for (const path of paths) {
    let isDirectory = false;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch (error) {
      // A link that loops, a folder that cannot be entered: reading the file says what it is.
      results.push((error as NodeJS.ErrnoException).code === 'ENOENT' ? fileProblem(path, 'no such file or folder') : validateFile(path));
      continue;
    }
    if (!isDirectory) {
      results.push(validateFile(path));
      continue;
    }
    let files: string[];
    try {
      files = readdirSync(path).filter(isRunbookFileName).sort();
    } catch (error) {
      results.push(fileProblem(path, `cannot read the folder (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`));
      continue;
    }
    if (files.length === 0) {
      results.push(fileProblem(path, 'holds no runbooks (*.yaml or *.yml files)', 'point at a folder of runbooks, or at a runbook file'));
      continue;
    }
    const folder = files.map((name) => validateFile(join(path, name)));
    checkUniqueNames(folder);
    results.push(...folder);
  }
  return results;
}

function checkUniqueNames(results: ValidationResult[]): void {
  const owners = new Map<string, string>();
  for (const result of results) {
    const runbook = result.runbook;
    if (!runbook) continue;
    const owner = owners.get(runbook.name);
    if (owner === undefined) {
      owners.set(runbook.name, result.file);
      continue;
    }
    const [line, col] = result.namePosition?.() ?? [1, 1];
    result.diagnostics.push({
      severity: 'error',
      file: result.file,
      line,
      col,
      path: 'metadata.name',
      message: `runbook name "${runbook.name}" is already used by ${owner}`,
      hint: 'names must be unique in a runbooks folder',
    });
    delete result.runbook;
  }
}
