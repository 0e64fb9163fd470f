import { createRequire } from 'node:module';
import type { Document, LineCounter, Node, Pair } from 'yaml';
import type * as Yaml from 'yaml';
import type { Diagnostic, PathSegment } from './diagnostics.js';
import { formatPath } from './diagnostics.js';
import { deepNesting, loadPlainYaml, MAX_YAML_DEPTH } from './plain-yaml.js';

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
      // Duplicate keys are looked for below, in one pass: the parser's own check compares each key
      // with every earlier one, and a mapping of 60,000 keys took a minute.
      const doc = yaml().parseDocument(this.text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false, strict: true });
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
  const tooDeepAt = (offset: number | undefined): ParsedSource => {
    const [line, col] = offset === undefined ? [1, 1] : lineAndColumn(text, offset);
    return { source, value: undefined, empty: false, diagnostics: [tooDeep(file, line, col, '')] };
  };
  // The fast reader is safe on any depth (a stack overflow is caught and it declines), and it
  // declines what nests too deep: only then does the scan that places the problem run.
  const fast = loadPlainYaml(text);
  // The fast reader declines a tree nested deeper than MAX_YAML_DEPTH, as it declines aliases.
  if (fast.ok) return { source, value: fast.value, empty: fast.value === undefined, diagnostics: [] };
  // The position-keeping reader recurses once per level: a file nested thousands deep is refused before it reads it.
  const deep = deepNesting(text);
  if (deep !== undefined) return tooDeepAt(deep);
  const diagnostics = yamlDiagnostics(source);
  const fatal = diagnostics.some((d) => d.severity === 'error' && !d.message.startsWith('duplicate key'));
  if (fatal) return { source, value: undefined, empty: false, diagnostics };
  if (source.doc.contents === null) return { source, value: undefined, empty: true, diagnostics };
  try {
    const value: unknown = source.doc.toJS({ maxAliasCount: 1000 });
    // Aliases can nest what the text does not: an alias of an alias of ... each one level deeper.
    const path = deeperThan(value, MAX_YAML_DEPTH);
    if (path) {
      const [line, col] = locate(source, path);
      return { source, value: undefined, empty: false, diagnostics: [...diagnostics, tooDeep(file, line, col, formatPath(path))] };
    }
    return { source, value, empty: false, diagnostics };
  } catch (error) {
    diagnostics.push(diagnosticAt(source, [], `cannot read the YAML: ${(error as Error).message}`));
    return { source, value: undefined, empty: false, diagnostics };
  }
}

function tooDeep(file: string, line: number, col: number, path: string): Diagnostic {
  return {
    severity: 'error',
    file,
    line,
    col,
    path,
    message: `YAML nests deeper than ${MAX_YAML_DEPTH} levels here`,
    hint: 'flatten this mapping or list: a runbook or inputs file needs a handful of levels',
  };
}

/** Line and column (from 1) of an offset, without the position-keeping parser. */
function lineAndColumn(text: string, offset: number): [number, number] {
  let line = 1;
  let lineStart = 0;
  for (let at = text.indexOf('\n'); at !== -1 && at < offset; at = text.indexOf('\n', at + 1)) {
    line++;
    lineStart = at + 1;
  }
  return [line, offset - lineStart + 1];
}

/**
 * The path of the first mapping or list deeper than `limit` levels, walked without recursion.
 * A subtree shared through aliases is walked once per reference: the alias limit bounds how often.
 */
function deeperThan(root: unknown, limit: number): PathSegment[] | undefined {
  interface Visit {
    node: unknown;
    depth: number;
    key: PathSegment | undefined;
    parent: Visit | undefined;
  }
  const stack: Visit[] = [{ node: root, depth: 0, key: undefined, parent: undefined }];
  while (stack.length > 0) {
    const visit = stack.pop()!;
    const { node, depth } = visit;
    if (node === null || typeof node !== 'object') continue;
    if (depth + 1 > limit) {
      const path: PathSegment[] = [];
      for (let at: Visit | undefined = visit; at?.key !== undefined; at = at.parent) path.unshift(at.key);
      return path;
    }
    const entries: Array<[PathSegment, unknown]> = Array.isArray(node) ? [...node.entries()] : Object.entries(node);
    for (const [key, child] of entries) stack.push({ node: child, depth: depth + 1, key, parent: visit });
  }
  return undefined;
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
  for (const offset of duplicateKeys(doc)) {
    const [line, col] = position(lines, offset);
    diagnostics.push({
      severity: 'error',
      file,
      line,
      col,
      path: '',
      message: duplicateKeyMessage('Map keys must be unique'),
      hint: 'each key may appear once in a mapping; remove or rename one of them',
    });
  }
  for (const warning of doc.warnings) {
    const [line, col] = position(lines, warning.pos[0]);
    diagnostics.push({ severity: 'warning', file, line, col, path: '', message: `YAML: ${firstLine(warning.message)}` });
  }
  return diagnostics;
}

/**
 * Where each key that repeats an earlier key of the same mapping starts: scalar keys compare by
 * value (1 and "1" differ), as the parser's own check would, in one pass without recursion.
 */
function duplicateKeys(doc: Document.Parsed): number[] {
  const { isMap, isScalar, isSeq, isPair } = yaml();
  const offsets: number[] = [];
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const item of node.items) {
        const key = item.key;
        if (isScalar(key)) {
          const id = typeof key.value === 'string' ? `s:${key.value}` : key.value;
          if (seen.has(id) && key.range) offsets.push(key.range[0]);
          seen.add(id);
        }
        stack.push(item.key, item.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(isPair(item) ? item.value : item);
    } else if (isPair(node)) stack.push(node.key, node.value);
  }
  return offsets.sort((a, b) => a - b);
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

/** Per mapping, built once: each key's first pair (a diagnostic per key of a large mapping stays linear). */
const keyIndexes = new WeakMap<object, Map<string, Pair>>();

function keyIndex(map: Yaml.YAMLMap): Map<string, Pair> {
  let index = keyIndexes.get(map);
  if (!index) {
    index = new Map();
    for (const item of map.items) {
      if (yaml().isScalar(item.key)) {
        const key = String(item.key.value);
        if (!index.has(key)) index.set(key, item as Pair);
      }
    }
    keyIndexes.set(map, index);
  }
  return index;
}

/** Walk the document along a path; stops at the deepest node that exists. */
function walk(source: SourceFile, path: readonly PathSegment[]): { found: Located; depth: number } {
  const { isAlias, isMap, isSeq } = yaml();
  let current: Located = { node: source.doc.contents as Node | null };
  let depth = 0;
  for (const segment of path) {
    let node = current.node;
    if (isAlias(node)) node = node.resolve(source.doc) as Node | undefined;
    if (isMap(node)) {
      const pair = keyIndex(node).get(String(segment));
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
    const map = charMap(source, node as Scalar & { value: string; range: [number, number, number] });
    const at = map(index);
    if (at !== undefined) return at;
  }
  return locate(source, path);
}

type Scalar = Yaml.Scalar;
type CharMap = (index: number) => [number, number] | undefined;

/** Per scalar, built once: where each character of its value stands in the file. */
const charMaps = new WeakMap<object, CharMap>();

function charMap(source: SourceFile, node: Scalar & { value: string; range: [number, number, number] }): CharMap {
  let map = charMaps.get(node);
  if (!map) {
    map =
      node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED' ? blockMap(source, node.range[0], node.value) : quotedMap(source, node);
    charMaps.set(node, map);
  }
  return map;
}

function quotedMap(source: SourceFile, node: Scalar & { value: string; range: [number, number, number] }): CharMap {
  const start = node.range[0];
  const quote = node.type === 'QUOTE_SINGLE' ? "'" : node.type === 'QUOTE_DOUBLE' ? '"' : '';
  const raw = source.text.slice(start + quote.length, node.range[1]);
  const offsets = rawOffsets(raw, node.value, quote);
  return (index) => {
    const offset = offsets[index];
    return offset === undefined || offset < 0 ? undefined : position(source.lines, start + quote.length + offset);
  };
}

/**
 * Where each of the value's characters stands in the raw scalar text (-1 once they part): walks
 * both in step, once, undoing YAML's folding (a line break and indentation read as one space) and
 * escapes ('' in single quotes, backslash escapes in double quotes).
 */
function rawOffsets(raw: string, value: string, quote: string): Int32Array {
  const offsets = new Int32Array(value.length + 1).fill(-1);
  let r = 0;
  for (let v = 0; v <= value.length; v++) {
    offsets[v] = r;
    if (v === value.length || r >= raw.length) break;
    const c = value[v];
    if (quote === "'" && raw[r] === "'" && raw[r + 1] === "'") r += 2;
    else if (quote === '"' && raw[r] === '\\') {
      const escape = raw[r + 1];
      r += escape === 'x' ? 4 : escape === 'u' ? 6 : escape === 'U' ? 10 : 2;
    } else if (raw[r] === c) r++;
    else if ((c === ' ' || c === '\n') && (raw[r] === '\n' || raw[r] === '\r')) {
      // A folded line break: the break, blank lines and the next line's indentation.
      r++;
      while (r < raw.length && (raw[r] === ' ' || raw[r] === '\t' || raw[r] === '\r' || raw[r] === '\n')) r++;
    } else break;
  }
  return offsets;
}

function blockMap(source: SourceFile, start: number, value: string): CharMap {
  // The content starts on the line after the `|` header; its indentation is the first content line's.
  const [headerLine] = position(source.lines, start);
  const { text } = source;
  const starts = source.lines.lineStarts;
  let indent = 0;
  for (let line = headerLine; line < starts.length; line++) {
    const from = starts[line]!;
    const to = line + 1 < starts.length ? starts[line + 1]! - 1 : text.length;
    const content = text.slice(from, to);
    if (content.trim() === '') continue;
    indent = content.length - content.trimStart().length;
    break;
  }
  const breaks: number[] = [];
  for (let at = value.indexOf('\n'); at !== -1; at = value.indexOf('\n', at + 1)) breaks.push(at);
  return (index) => {
    // How many line breaks come before index: a binary search over them.
    let low = 0;
    let high = breaks.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (breaks[mid]! < index) low = mid + 1;
      else high = mid;
    }
    const lineStart = low === 0 ? 0 : breaks[low - 1]! + 1;
    return [headerLine + 1 + low, indent + (index - lineStart) + 1];
  };
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
