import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { Diagnostic, PathSegment } from './diagnostics.js';
import { sortDiagnostics } from './diagnostics.js';
import type { Runbook } from './model.js';
import { normalizeRunbook } from './normalize.js';
import { checkRules } from './rules.js';
import { runbookSchema } from './schema.js';
import { schemaDiagnostics } from './schema-issues.js';
import { diagnosticAt, locate, parseSource } from './source.js';

export interface ValidationResult {
  file: string;
  runbook?: Runbook;
  diagnostics: Diagnostic[];
  /** The file's text, for code frames in messages. */
  text?: string;
  /** Where metadata.name stands, for the folder-wide uniqueness check. */
  namePosition?: [number, number];
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

/** Read and validate one runbook file; every problem is returned, none thrown. */
export function validateFile(file: string): ValidationResult {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return fileProblem(file, 'no such file');
    if (code === 'EISDIR') return fileProblem(file, 'is a directory, not a runbook file');
    return fileProblem(file, `cannot read the file (${code ?? (error as Error).message})`);
  }
  return validateBytes(file, bytes);
}

export function validateBytes(file: string, bytes: Buffer): ValidationResult {
  if (bytes.includes(0)) return fileProblem(file, 'is a binary file, not a YAML runbook');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return fileProblem(file, 'is not UTF-8 text', 'save the runbook as UTF-8');
  }
  const digest = createHash('sha256').update(bytes).digest('hex');
  return { ...validateText(file, text, digest), text };
}

export function validateText(file: string, text: string, digest: string): ValidationResult {
  const { source, diagnostics } = parseSource(file, text.replace(/^\uFEFF/, ''));
  const fatalYaml = diagnostics.some((d) => d.severity === 'error' && !d.message.startsWith('duplicate key'));
  if (fatalYaml) return { file, diagnostics };
  if (source.doc.contents === null) {
    return { file, diagnostics: [...diagnostics, { severity: 'error', file, line: 1, col: 1, path: '', message: 'the file is empty', hint: 'a runbook starts with apiVersion: drctl/v1 and kind: Runbook' }] };
  }
  let raw: unknown;
  try {
    raw = source.doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    return { file, diagnostics: [...diagnostics, diagnosticAt(source, [], `cannot read the YAML: ${(error as Error).message}`)] };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    diagnostics.push(diagnosticAt(source, [], 'a runbook is a YAML mapping with apiVersion, kind, metadata and steps', { hint: 'see `drctl schema` or the shipped runbooks for the shape' }));
    return { file, diagnostics };
  }
  const parsed = runbookSchema.safeParse(raw, { reportInput: true });
  if (parsed.success) {
    diagnostics.push(...checkRules(parsed.data, source));
    const ok = !diagnostics.some((d) => d.severity === 'error');
    const namePosition = locate(source, ['metadata', 'name']);
    return { file, diagnostics: sortDiagnostics(diagnostics), namePosition, ...(ok ? { runbook: normalizeRunbook(parsed.data, file, digest) } : {}) };
  }
  diagnostics.push(...schemaDiagnostics(parsed.error.issues, source));
  // Report the cross-key rules too when the schema problems are only stray or ill-typed leaves:
  // without them, the rest of the document is whole.
  const pruned = prune(raw, parsed.error.issues.map((issue) => [...(issue.path as PathSegment[]), ...(issue.code === 'unrecognized_keys' ? [issue.keys] : [])]));
  const retry = runbookSchema.safeParse(pruned);
  if (retry.success) diagnostics.push(...checkRules(retry.data, source));
  return { file, diagnostics: sortDiagnostics(dedupe(diagnostics)) };
}

function prune(raw: unknown, paths: Array<Array<PathSegment | string[]>>): unknown {
  const copy = structuredClone(raw) as Record<string, unknown>;
  for (const path of paths) {
    let node: unknown = copy;
    for (let i = 0; i < path.length - 1; i++) node = (node as Record<string, unknown> | undefined)?.[path[i] as string];
    const last = path[path.length - 1];
    if (node === null || typeof node !== 'object' || last === undefined) continue;
    for (const key of Array.isArray(last) ? last : [last]) {
      if (Array.isArray(node)) continue;
      delete (node as Record<string, unknown>)[key];
    }
  }
  return copy;
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
    } catch {
      results.push(fileProblem(path, 'no such file or folder'));
      continue;
    }
    if (!isDirectory) {
      results.push(validateFile(path));
      continue;
    }
    const files = readdirSync(path).filter(isRunbookFileName).sort();
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
    const [line, col] = result.namePosition ?? [1, 1];
    result.diagnostics.push({ severity: 'error', file: result.file, line, col, path: 'metadata.name', message: `runbook name "${runbook.name}" is already used by ${owner}`, hint: 'names must be unique in a runbooks folder' });
    delete result.runbook;
  }
}
