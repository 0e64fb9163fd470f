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
    plain('float', `-+.${DIGITS}`, /^(?:[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/, (text) =>
      /nan$/i.test(text) ? NaN : /inf$/i.test(text) ? (text.startsWith('-') ? -Infinity : Infinity) : parseFloat(text),
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

const UNCOMMON_KEYS = [/^[\t -]*(?:\?(?:[ \t]|$)|[[{][^\n]*[\]}][ \t]*:(?:[ \t]|$))/m, /[{,][ \t]*(?:\?[ \t]|[[{][^\n]*?[\]}][ \t]*:(?:[ \t]|$))/];

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

/** No mapping or list is reached twice (an alias), and no key was null (read as "null"). */
function plainTree(root: unknown): boolean {
  const seen = new Set<object>();
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    if (seen.has(node)) return false;
    seen.add(node);
    if (!Array.isArray(node) && Object.hasOwn(node, 'null')) return false;
    stack.push(...Object.values(node));
  }
  return true;
}
