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

/** The last text framed and where its lines start: one file's diagnostics are framed one after another. */
let framed: { text: string; starts: number[] } | undefined;

/** Line `line` (from 1) of `text`, found without splitting the whole text again for each diagnostic. */
function lineOf(text: string, line: number): string | undefined {
  if (framed?.text !== text) {
    const starts = [0];
    for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) starts.push(at + 1);
    framed = { text, starts };
  }
  const start = framed.starts[line - 1];
  if (start === undefined) return undefined;
  const next = framed.starts[line];
  return text.slice(start, next === undefined ? text.length : next - 1);
}

function codeFrame(text: string, line: number, col: number): string | undefined {
  const source = lineOf(text, line);
  if (source === undefined) return undefined;
  const shown = source.length > 160 ? `${source.slice(0, 157)}...` : source;
  const gutter = `${String(line).padStart(5)} | `;
  return `${gutter}${shown}\n${' '.repeat(gutter.length - 2)}| ${' '.repeat(Math.max(0, Math.min(col - 1, 160)))}^`;
}
