export type Severity = 'error' | 'warning';

/** One problem in a runbook, pointing at the offending key or value. */
export interface Diagnostic {
  severity: Severity;
  file: string;
  line: number;
  col: number;
  /** The key's path, e.g. steps[2].timeout; empty for the whole file. */
  path: string;
  message: string;
  hint?: string | undefined;
}

export type PathSegment = string | number;

export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : /^[A-Za-z_][\w-]*$/.test(segment) ? `.${segment}` : `[${JSON.stringify(segment)}]`;
  }
  return out;
}

export function countBySeverity(diagnostics: readonly Diagnostic[]): { errors: number; warnings: number } {
  let errors = 0;
  for (const d of diagnostics) if (d.severity === 'error') errors++;
  return { errors, warnings: diagnostics.length - errors };
}

export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
}

/** `file:line:col: severity: message (at path)` with the hint on its own line. */
export function formatDiagnostic(d: Diagnostic, sourceText?: string): string {
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.col}` : d.file;
  const at = d.path ? ` (at ${d.path})` : '';
  const lines = [`${where}: ${d.severity}: ${d.message}${at}`];
  const frame = sourceText !== undefined && d.line > 0 ? codeFrame(sourceText, d.line, d.col) : undefined;
  if (frame) lines.push(frame);
  if (d.hint) lines.push(`    hint: ${d.hint}`);
  return lines.join('\n');
}

function codeFrame(text: string, line: number, col: number): string | undefined {
  const source = text.split('\n')[line - 1];
  if (source === undefined) return undefined;
  const shown = source.length > 160 ? `${source.slice(0, 157)}...` : source;
  const gutter = `${String(line).padStart(5)} | `;
  return `${gutter}${shown}\n${' '.repeat(gutter.length - 2)}| ${' '.repeat(Math.max(0, Math.min(col - 1, 160)))}^`;
}
