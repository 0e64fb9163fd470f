import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { loadPlainYaml } from '../../src/runbook/plain-yaml.js';

/**
 * The fast reader must never disagree with the position-keeping parser: on every document it
 * accepts it yields the same data, and it declines every document that parser finds fault with.
 */
function reference(text: string): { errors: boolean; value?: unknown } {
  const doc = parseDocument(text, { uniqueKeys: true, strict: true });
  if (doc.errors.length > 0 || doc.warnings.length > 0) return { errors: true };
  if (doc.contents === null) return { errors: false, value: undefined };
  try {
    return { errors: false, value: doc.toJS({ maxAliasCount: 1000 }) };
  } catch {
    return { errors: true };
  }
}

function expectAgreement(text: string): 'read' | 'declined' {
  const fast = loadPlainYaml(text);
  const ref = reference(text);
  if (!fast.ok) return 'declined';
  expect(ref.errors, `the fast reader accepted what the parser refuses:\n${text}`).toBe(false);
  expect(fast.value, text).toStrictEqual(ref.value);
  return 'read';
}

const SCALARS = [
  'plain',
  'yes',
  'no',
  'on',
  'off',
  'y',
  'n',
  '~',
  'null',
  'Null',
  'NULL',
  'nUll',
  '',
  'true',
  'True',
  'TRUE',
  'tRue',
  'false',
  '.inf',
  '-.Inf',
  '+.INF',
  '.nan',
  '.NaN',
  '.NAN',
  '0o17',
  '017',
  '0x1f',
  '0X1F',
  '0xG',
  '0o8',
  '1_000',
  '1e3',
  '1E3',
  '1.',
  '.5',
  '+1',
  '-0',
  '-0.0',
  '0b101',
  '2024-01-01',
  '2024-01-01T00:00:00Z',
  '12:30',
  '1:20:30',
  '0.1e+3',
  '+.5',
  '-.5e-2',
  '0',
  '00',
  '08',
  '1.0',
  '1.50',
  '1,000',
  '=',
  '<<',
  '1e',
  'e3',
  '.',
  '-',
  '0x',
  '0o',
  '+',
  '1__0',
  '_1',
  '.e3',
  '1.e3',
  '9007199254740993',
  '123456789012345678901234567890',
  '-.inf',
  '+12.5e+10',
  '"\\u00e9"',
  "'a''b'",
  '"a\\tb"',
  '"\\x41"',
  '"\\N"',
  '"\\_"',
  '"\\/"',
  '"\\L\\P"',
  '"multi\n  line"',
  "'folded\n\n  para'",
  '!!str 5',
  '!!int "5"',
  '!!float 1',
  '!!bool yes',
  '!!bool true',
  '!!null ""',
  '! 12',
  '!foo x',
  '!!binary aGk=',
  '!!timestamp 2020-01-01',
  '!<tag:yaml.org,2002:str> 7',
  '&a 5',
  '*missing',
];

describe('the fast YAML reader agrees with the position-keeping parser', () => {
  it.each(SCALARS)('on the scalar %j', (scalar) => {
    expectAgreement(`key: ${scalar}\n`);
    expectAgreement(`- ${scalar}\n`);
  });

  it.each([
    [
      'block scalars and chomping',
      'a: |\n  one\n  two\n\nb: |-\n  x\n\nc: |+\n  y\n\nd: >\n  folded\n  text\n\n  para\ne: |2\n    indented\n',
    ],
    ['flow collections', 'a: [1, "two", {b: c}]\nd: {e: [f, g], h: ~}\n'],
    ['keys that are not text', '1: a\ntrue: b\n~: c\n0x10: d\n1.5: e\n'],
    ['a collection as a key', '? [a, b]\n: c\n'],
    ['a flow mapping as a key', '{a: 1}: x\n'],
    ['a one-item list as a key', '[a]: x\n'],
    ['an explicit key in flow', '{? a: 1}\n'],
    ['a list as a key in flow', '{[a]: b}\n'],
    ['a list as a key in a list item', '- [a, b]: c\n'],
    [
      'a jsonpath template in a block scalar (not a key)',
      "run: |\n  kubectl get ns -o jsonpath='{range .items[*]}  {.type}: {.message}{end}'\n",
    ],
    ['null keys', '~: a\n'],
    ['an empty key', ': a\n'],
    ['a __proto__ key', '__proto__: {polluted: true}\nsafe: 1\n'],
    ['a merge key', 'base: &b {x: 1}\nchild:\n  <<: *b\n  y: 2\n'],
    ['an alias of a scalar', 'a: &v value\nb: *v\n'],
    ['an alias of a mapping', 'a: &m {x: 1}\nb: *m\n'],
    ['more than one document', 'a: 1\n---\nb: 2\n'],
    ['explicit document markers', '---\na: 1\n...\n'],
    ['only comments', '# nothing here\n'],
    ['an empty text', ''],
    ['CRLF line endings', 'a: 1\r\nb:\r\n  - x\r\n'],
    ['a tab in indentation', 'a:\n\t- x\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['a duplicate key in flow', '{a: 1, a: 2}\n'],
    ['a YAML 1.1 directive', '%YAML 1.1\n---\na: yes\n'],
    ['a misindented key', 'a:\n  b: 1\n   c: 2\n'],
    ['a comment after a value', 'a: x # note\nb: "y # not a note"\n'],
    ['an over-long implicit key', `${'k'.repeat(1100)}: v\n`],
    ['unicode', 'name: "Zürich ✓"\nemoji: 🚀\n'],
    ['an anchor on a mapping used twice in a list', 'x: &a [1]\ny: [*a, *a]\n'],
  ])('on %s', (_name, text) => {
    expectAgreement(text);
  });

  it('reads every shipped runbook and example itself (the fast path), the same as the parser', () => {
    const root = join(import.meta.dirname, '..', '..');
    for (const dir of ['runbooks', 'examples']) {
      for (const name of readdirSync(join(root, dir)).filter((n) => n.endsWith('.yaml'))) {
        expect(expectAgreement(readFileSync(join(root, dir, name), 'utf8')), `${dir}/${name}`).toBe('read');
      }
    }
  });

  it('agrees on every test fixture, valid or not', () => {
    const fixtures = join(import.meta.dirname, '..', 'fixtures');
    for (const dir of readdirSync(fixtures)) {
      for (const name of readdirSync(join(fixtures, dir)).filter((n) => n.endsWith('.yaml')))
        expectAgreement(readFileSync(join(fixtures, dir, name), 'utf8'));
    }
  });

  it('declines aliases of collections, so the parser can bound how far they expand', () => {
    const laughs = [
      'a: &a [x, x]',
      ...Array.from(
        { length: 8 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`,
      ),
    ].join('\n');
    expect(loadPlainYaml(laughs).ok).toBe(false);
    expect(loadPlainYaml('a: &v 1\nb: *v\n')).toEqual({ ok: true, value: { a: 1, b: 1 } });
  });
});
