import jsyaml from 'js-yaml';

/**
 * The fast reader: YAML to plain data, with no positions. It reads scalars exactly as the
 * YAML 1.2 core schema does (the schema of the position-keeping parser in source.ts, which reads
 * every file this one declines), so both agree on every value: `yes` stays text, `0o17` is 15,
 * `0b1` is text, `.5` and `+.5` are numbers.
 */

const DIGITS = '0123456789';

/** A scalar type: `starts` holds every character a match can begin with (a cheap first test). */
const plain = (tag: string, starts: string, pattern: RegExp, construct: (text: string) => unknown) =>
  new jsyaml.Type(`tag:yaml.org,2002:${tag}`, {
    kind: 'scalar',
    resolve: (text: string | null) => {
      const scalar = text ?? '';
      return (scalar === '' || starts.includes(scalar[0]!)) && pattern.test(scalar);
    },
    construct: (text: string | null) => construct(text ?? ''),
  });

const CORE_1_2 = jsyaml.FAILSAFE_SCHEMA.extend({
  implicit: [
    plain('null', '~nN', /^(?:~|[Nn]ull|NULL)?$/, () => null),
    plain('bool', 'tTfF', /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/, (text) => text[0] === 't' || text[0] === 'T'),
    plain('int', `-+${DIGITS}`, /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$/, (text) =>
      text.startsWith('0o') ? parseInt(text.slice(2), 8) : text.startsWith('0x') ? parseInt(text.slice(2), 16) : parseInt(text, 10),
    ),
    plain(
      'float',
      `-+.${DIGITS}`,
      /^(?:[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
      (text) => (/nan$/i.test(text) ? NaN : /inf$/i.test(text) ? (text.startsWith('-') ? -Infinity : Infinity) : parseFloat(text)),
    ),
  ],
});

export type PlainYaml = { ok: true; value: unknown } | { ok: false };

/**
 * Keys the two parsers would write differently (a list or a mapping as a key: `? [a, b]`,
 * `[a]: b`, `{[a]: b}`). Looked for in the text, since the fast reader turns them into plain
 * text; a false alarm only costs the slower parse.
 */
/** A line longer than YAML allows an implicit key to be (the other parser refuses such keys). */
const LONG_LINE = /^[^\n]{1025}/m;

const UNCOMMON_KEYS = [
  /^[\t -]*(?:\?(?:[ \t]|$)|[[{][^\n]*[\]}][ \t]*:(?:[ \t]|$))/m,
  /[{,][ \t]*(?:\?[ \t]|[[{][^\n]*?[\]}][ \t]*:(?:[ \t]|$))/,
];

/**
 * Read `text` as one YAML document of plain data. Declines (ok: false) rather than guess: on any
 * error, duplicate key or tag it does not know; on a directive (`%YAML 1.1` changes how values
 * read); on keys that are not plain text (null, a list or a mapping as a key); on a document
 * that is just null; and on aliases of mappings or lists (the other parser bounds how far they
 * expand).
 */
export function loadPlainYaml(text: string): PlainYaml {
  if (/^%/m.test(text) || LONG_LINE.test(text) || UNCOMMON_KEYS.some((pattern) => pattern.test(text))) return { ok: false };
  let value: unknown;
  try {
    value = jsyaml.load(text, { schema: CORE_1_2 });
  } catch {
    return { ok: false };
  }
  // null is both `~` and a file of comments only, which the other parser tells apart.
  return value !== null && plainTree(value) ? { ok: true, value } : { ok: false };
}

/**
 * No mapping or list is reached twice (an alias), no key was null (read as "null"), and nothing
 * nests deeper than MAX_YAML_DEPTH (the caller then places the problem with the nesting scan).
 */
function plainTree(root: unknown): boolean {
  const seen = new Set<object>();
  const stack: Array<{ node: unknown; depth: number }> = [{ node: root, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (seen.has(node) || depth >= MAX_YAML_DEPTH) return false;
    seen.add(node);
    if (!Array.isArray(node) && Object.hasOwn(node, 'null')) return false;
    // One push per child: spreading a mapping of 100,000 keys as arguments overflows the stack.
    for (const child of Object.values(node)) stack.push({ node: child, depth: depth + 1 });
  }
  return true;
}

/** How deep YAML may nest: a runbook needs under ten levels; the readers recurse once per level. */
export const MAX_YAML_DEPTH = 64;

/**
 * Where `text` first nests deeper than `limit` levels, as an offset, or undefined. Read from the
 * text alone, in one pass and without recursion, before either YAML reader (both recurse per
 * level) sees it: block mappings and lists by their indentation and `- ` markers, flow `[ ]` and
 * `{ }` by their brackets; block scalars, quoted text and comments are skipped over.
 */
export function deepNesting(text: string, limit = MAX_YAML_DEPTH): number | undefined {
  return new NestingScanner(text, limit).scan();
}

interface Level {
  indent: number;
  list: boolean;
}

class NestingScanner {
  private pos = 0;
  private readonly levels: Level[] = [];
  /** Inside a block scalar: lines indented deeper than this are its text. */
  private blockScalarIndent = -1;

  constructor(
    private readonly text: string,
    private readonly limit: number,
  ) {}

  scan(): number | undefined {
    const { text } = this;
    while (this.pos < text.length) {
      const lineStart = this.pos;
      let col = lineStart;
      while (text[col] === ' ') col++;
      const indent = col - lineStart;
      const blank = col >= text.length || text[col] === '\n' || text[col] === '\r' || text[col] === '#';
      if (this.blockScalarIndent >= 0) {
        if (blank || indent > this.blockScalarIndent) {
          this.nextLine(col);
          continue;
        }
        this.blockScalarIndent = -1;
      }
      if (blank) {
        this.nextLine(col);
        continue;
      }
      if (indent === 0 && (text.startsWith('---', col) || text.startsWith('...', col)) && this.endsToken(col + 3)) {
        this.levels.length = 0;
        col = this.skipSpaces(col + 3);
        if (this.atLineEnd(col)) {
          this.nextLine(col);
          continue;
        }
      } else if (indent === 0 && text[col] === '%') {
        this.nextLine(col);
        continue;
      }
      const found = this.node(col, lineStart);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** One node starting at `at`, and what follows it on its line; leaves pos at the next line. */
  private node(at: number, lineStart: number): number | undefined {
    const { text } = this;
    let pos = at;
    for (;;) {
      pos = this.skipProperties(pos);
      const c = text[pos];
      const column = pos - lineStart;
      if ((c === '-' || c === '?') && this.endsToken(pos + 1)) {
        if (this.enter(column, c === '-')) return pos;
        pos = this.skipSpaces(pos + 1);
        if (this.atLineEnd(pos)) return this.nextLine(pos);
        continue;
      }
      if (c === '[' || c === '{') return this.flow(pos);
      if (c === '|' || c === '>') {
        this.blockScalarIndent = this.levels[this.levels.length - 1]?.indent ?? -1;
        if (this.blockScalarIndent < 0) this.blockScalarIndent = 0;
        return this.nextLine(pos);
      }
      let end: number;
      if (c === '"' || c === "'") {
        end = this.skipQuoted(pos);
        lineStart = this.text.lastIndexOf('\n', end - 1) + 1;
      } else end = this.plainKeyEnd(pos);
      const colon = this.skipSpaces(end);
      if (text[colon] !== ':' || !this.endsToken(colon + 1)) return this.nextLine(end);
      // A key: this line holds a mapping entry at the key's column.
      if (this.enter(column, false)) return pos;
      pos = this.skipSpaces(colon + 1);
      if (this.atLineEnd(pos)) return this.nextLine(pos);
    }
  }

  /** A block collection entry at `column`: true when that makes the nesting too deep. */
  private enter(column: number, list: boolean): boolean {
    const { levels } = this;
    while (levels.length > 0) {
      const top = levels[levels.length - 1]!;
      if (top.indent > column || (top.indent === column && top.list && !list)) levels.pop();
      else break;
    }
    const top = levels[levels.length - 1];
    // The same collection again (a sibling key, another list item): no new level.
    if (top && top.indent === column && top.list === list) return false;
    levels.push({ indent: column, list });
    return levels.length > this.limit;
  }

  /** A flow collection (which may span lines) from its opening bracket; returns an offset when too deep. */
  private flow(open: number): number | undefined {
    const { text } = this;
    const base = this.levels.length;
    let depth = 0;
    let previous = '[';
    for (let pos = open; pos < text.length; pos++) {
      const c = text[pos]!;
      if (c === '[' || c === '{') {
        if (base + ++depth > this.limit) return pos;
      } else if (c === ']' || c === '}') {
        if (--depth === 0) return this.nextLine(pos + 1);
      } else if ((c === '"' || c === "'") && '[{,:?'.includes(previous)) {
        pos = this.skipQuoted(pos) - 1;
      } else if (c === '#' && (text[pos - 1] === ' ' || text[pos - 1] === '\t' || text[pos - 1] === '\n')) {
        while (pos < text.length && text[pos] !== '\n') pos++;
        continue;
      }
      if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') previous = c;
    }
    this.pos = text.length;
    return undefined;
  }

  /** Past a quoted scalar (which may span lines): the offset after its closing quote. */
  private skipQuoted(open: number): number {
    const { text } = this;
    const quote = text[open];
    for (let pos = open + 1; pos < text.length; pos++) {
      const c = text[pos];
      if (quote === '"' && c === '\\') pos++;
      else if (c === quote) {
        if (quote === "'" && text[pos + 1] === "'") pos++;
        else return pos + 1;
      }
    }
    return text.length;
  }

  /** Where a plain key would end: at ": " or a final ":", else the line's end or a comment. */
  private plainKeyEnd(from: number): number {
    const { text } = this;
    for (let pos = from; pos < text.length; pos++) {
      const c = text[pos];
      if (c === '\n' || c === '\r') return pos;
      if (c === ':' && this.endsToken(pos + 1)) return pos;
      if (c === '#' && (text[pos - 1] === ' ' || text[pos - 1] === '\t')) return pos;
    }
    return text.length;
  }

  /** Past anchors (&a) and tags (!t) before a node. */
  private skipProperties(from: number): number {
    const { text } = this;
    let pos = from;
    while (text[pos] === '&' || text[pos] === '!') {
      while (pos < text.length && !' \t\n\r'.includes(text[pos]!)) pos++;
      pos = this.skipSpaces(pos);
    }
    return pos;
  }

  private skipSpaces(from: number): number {
    let pos = from;
    while (this.text[pos] === ' ' || this.text[pos] === '\t') pos++;
    return pos;
  }

  private atLineEnd(pos: number): boolean {
    const c = this.text[pos];
    return c === undefined || c === '\n' || c === '\r' || c === '#';
  }

  /** A character that ends an indicator such as `-`, `?` or `:`: a space, a tab, a line end. */
  private endsToken(pos: number): boolean {
    const c = this.text[pos];
    return c === undefined || c === ' ' || c === '\t' || c === '\n' || c === '\r';
  }

  /** Move to the start of the line after `from`; returns undefined (nothing too deep here). */
  private nextLine(from: number): undefined {
    const end = this.text.indexOf('\n', from);
    this.pos = end < 0 ? this.text.length : end + 1;
    return undefined;
  }
}
