import { createRequire } from 'node:module';
import type { Document, LineCounter, Node, Pair } from 'yaml';
import type * as Yaml from 'yaml';
import type { Diagnostic, PathSegment } from './diagnostics.js';
import { formatPath } from './diagnostics.js';
import { loadPlainYaml } from './plain-yaml.js';

let yamlLibrary: typeof Yaml | undefined;

/** The position-keeping parser: a large library that only reporting a problem needs, so loaded then. */
function yaml(): typeof Yaml {
  return (yamlLibrary ??= createRequire(import.meta.url)('yaml') as typeof Yaml);
}

/**
 * A YAML file and, built on first use, a document that remembers where every node came from.
 * Only diagnostics need positions, so a valid file is never parsed for them.
 */
export class SourceFile {
  #parsed: { doc: Document.Parsed; lines: LineCounter } | undefined;

  constructor(
    readonly file: string,
    readonly text: string,
  ) {}

  get doc(): Document.Parsed {
    return this.#positions().doc;
  }

  get lines(): LineCounter {
    return this.#positions().lines;
  }

  #positions(): { doc: Document.Parsed; lines: LineCounter } {
    if (!this.#parsed) {
      const lines = new (yaml().LineCounter)();
      const doc = yaml().parseDocument(this.text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, strict: true });
      this.#parsed = { doc, lines };
    }
    return this.#parsed;
  }
}

export interface ParsedSource {
  source: SourceFile;
  /** The document as plain data: undefined when the file is empty or YAML cannot read it. */
  value: unknown;
  empty: boolean;
  diagnostics: Diagnostic[];
}

/**
 * Parse a YAML file. A well-formed file takes the fast reader and nothing more; anything the fast
 * reader refuses (a syntax error, a duplicate key, a tag, a directive, aliases) is read again by
 * the position-keeping parser, which is the authority on what is wrong and where.
 */
export function parseSource(file: string, text: string): ParsedSource {
  const source = new SourceFile(file, text);
  const fast = loadPlainYaml(text);
  if (fast.ok) return { source, value: fast.value, empty: fast.value === undefined, diagnostics: [] };
  const diagnostics = yamlDiagnostics(source);
  const fatal = diagnostics.some((d) => d.severity === 'error' && !d.message.startsWith('duplicate key'));
  if (fatal) return { source, value: undefined, empty: false, diagnostics };
  if (source.doc.contents === null) return { source, value: undefined, empty: true, diagnostics };
  try {
    return { source, value: source.doc.toJS({ maxAliasCount: 1000 }), empty: false, diagnostics };
  } catch (error) {
    diagnostics.push(diagnosticAt(source, [], `cannot read the YAML: ${(error as Error).message}`));
    return { source, value: undefined, empty: false, diagnostics };
  }
}

function yamlDiagnostics(source: SourceFile): Diagnostic[] {
  const { doc, lines, file, text } = source;
  const diagnostics: Diagnostic[] = [];
  const misindented = doc.errors.filter((e) => e.code === 'MULTILINE_IMPLICIT_KEY').map((e) => e.pos[0]);
  for (const error of doc.errors) {
    if (error.code === 'MULTILINE_IMPLICIT_KEY') {
      diagnostics.push(misindentedKey(file, text, lines, error.pos[1]));
      continue;
    }
    // Reported once, as the misindented key above.
    if (error.code === 'BLOCK_AS_IMPLICIT_KEY' && misindented.includes(error.pos[0])) continue;
    const [line, col] = position(lines, error.pos[0]);
    const duplicate = error.code === 'DUPLICATE_KEY';
    diagnostics.push({
      severity: 'error',
      file,
      line,
      col,
      path: '',
      message: duplicate ? duplicateKeyMessage(error.message) : `YAML syntax: ${firstLine(error.message)}`,
      hint: duplicate ? 'each key may appear once in a mapping; remove or rename one of them' : yamlHint(error.code),
    });
  }
  for (const warning of doc.warnings) {
    const [line, col] = position(lines, warning.pos[0]);
    diagnostics.push({ severity: 'warning', file, line, col, path: '', message: `YAML: ${firstLine(warning.message)}` });
  }
  return diagnostics;
}

/** A key indented deeper than its siblings: point at that key, on the line where YAML gave up. */
function misindentedKey(file: string, text: string, lines: LineCounter, end: number): Diagnostic {
  const [line] = position(lines, end);
  const source = text.split('\n')[line - 1] ?? '';
  const col = source.length - source.trimStart().length + 1;
  const key = /^\s*([^:\s]+)\s*:/.exec(source)?.[1];
  return {
    severity: 'error',
    file,
    line,
    col,
    path: '',
    message: `YAML syntax: ${key ? `"${key}"` : 'this line'} is indented deeper than the keys above it`,
    hint: 'keys of one mapping start in the same column; or, if the line above is a value, quote it',
  };
}

function duplicateKeyMessage(message: string): string {
  return /^Map keys must be unique/.test(message) ? 'duplicate key: this key already appears in the same mapping' : firstLine(message);
}

function yamlHint(code: string): string | undefined {
  if (code === 'BAD_INDENT' || code === 'MISSING_CHAR') return 'check the indentation and that every "key:" has a space after the colon';
  if (code === 'TAB_AS_INDENT') return 'YAML indents with spaces, not tabs';
  return undefined;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

function position(lines: LineCounter, offset: number): [number, number] {
  const pos = lines.linePos(offset);
  return [pos.line, pos.col];
}

interface Located {
  node?: Node | null;
  pair?: Pair;
}

/** Walk the document along a path; stops at the deepest node that exists. */
function walk(source: SourceFile, path: readonly PathSegment[]): { found: Located; depth: number } {
  const { isAlias, isMap, isScalar, isSeq } = yaml();
  let current: Located = { node: source.doc.contents as Node | null };
  let depth = 0;
  for (const segment of path) {
    let node = current.node;
    if (isAlias(node)) node = node.resolve(source.doc) as Node | undefined;
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) break;
      current = { node: pair.value as Node | null, pair: pair as Pair };
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined;
      if (!item) break;
      current = { node: item };
    } else break;
    depth++;
  }
  return { found: current, depth };
}

export type Target = 'value' | 'key';

/** Line and column of the node at `path` (its key when target is 'key'); the nearest parent when missing. */
export function locate(source: SourceFile, path: readonly PathSegment[], target: Target = 'value'): [number, number] {
  const { found } = walk(source, path);
  const keyNode = found.pair?.key as Node | undefined;
  const node = target === 'key' && keyNode?.range ? keyNode : (found.node ?? keyNode);
  const offset = node?.range?.[0] ?? keyNode?.range?.[0] ?? 0;
  return position(source.lines, offset);
}

/** Position of a character inside a scalar string value (for expression errors). */
export function locateInString(source: SourceFile, path: readonly PathSegment[], index: number): [number, number] {
  const { found, depth } = walk(source, path);
  const node = found.node;
  if (depth === path.length && yaml().isScalar(node) && node.range && typeof node.value === 'string') {
    const start = node.range[0];
    if (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') return blockPosition(source, start, node.value, index);
    const raw = source.text.slice(start, node.range[1]);
    const quote = node.type === 'QUOTE_SINGLE' ? "'" : node.type === 'QUOTE_DOUBLE' ? '"' : '';
    const offset = rawOffset(raw.slice(quote.length), node.value, index, quote);
    if (offset !== undefined) return position(source.lines, start + quote.length + offset);
  }
  return locate(source, path);
}

/**
 * Where the value's character `index` stands in the raw scalar text: walks both in step,
 * undoing YAML's folding (a line break and indentation read as one space) and escapes
 * ('' in single quotes, backslash escapes in double quotes).
 */
function rawOffset(raw: string, value: string, index: number, quote: string): number | undefined {
  let r = 0;
  for (let v = 0; v < index; v++) {
    const c = value[v];
    if (r >= raw.length) return undefined;
    if (quote === "'" && raw[r] === "'" && raw[r + 1] === "'") r += 2;
    else if (quote === '"' && raw[r] === '\\') {
      const escape = raw[r + 1];
      r += escape === 'x' ? 4 : escape === 'u' ? 6 : escape === 'U' ? 10 : 2;
    } else if (raw[r] === c) r++;
    else if ((c === ' ' || c === '\n') && (raw[r] === '\n' || raw[r] === '\r')) {
      // A folded line break: the break, blank lines and the next line's indentation.
      r++;
      while (r < raw.length && /[ \t\r\n]/.test(raw[r]!)) r++;
    } else return undefined;
  }
  return r;
}

function blockPosition(source: SourceFile, start: number, value: string, index: number): [number, number] {
  const before = value.slice(0, index);
  const lineInBlock = before.split('\n').length - 1;
  const colInLine = before.length - (before.lastIndexOf('\n') + 1);
  // The content starts on the line after the `|` header; its indentation is the first content line's.
  const [headerLine] = position(source.lines, start);
  const allLines = source.text.split('\n');
  const firstContent = allLines.slice(headerLine).find((l) => l.trim() !== '') ?? '';
  const indent = firstContent.length - firstContent.trimStart().length;
  return [headerLine + 1 + lineInBlock, indent + colInLine + 1];
}

export function diagnosticAt(
  source: SourceFile,
  path: readonly PathSegment[],
  message: string,
  options: { hint?: string | undefined; severity?: Diagnostic['severity']; target?: Target; index?: number } = {},
): Diagnostic {
  const [line, col] =
    options.index !== undefined ? locateInString(source, path, options.index) : locate(source, path, options.target ?? 'value');
  const diagnostic: Diagnostic = { severity: options.severity ?? 'error', file: source.file, line, col, path: formatPath(path), message };
  if (options.hint) diagnostic.hint = options.hint;
  return diagnostic;
}
