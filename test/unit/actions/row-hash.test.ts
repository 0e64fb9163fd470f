import { describe, expect, it } from 'vitest';
import { DumpFingerprinter, parseCopyHeader } from '../../../src/actions/postgres/dump-fingerprint.js';
import { CopyTextSum, rowSumDigest } from '../../../src/actions/postgres/row-hash.js';

/** The digest of `text` written as COPY output, cut into pieces at `cuts`. */
function digestOf(text: string | Buffer, cuts: number[] = []): { rows: number; sha256: string } {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const sum = new CopyTextSum();
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    sum.write(bytes.subarray(from, cut));
    from = cut;
  }
  expect(sum.partial).toBe(false);
  return { rows: sum.sum.rows, sha256: rowSumDigest(sum.sum) };
}

/** Rows as COPY's text format writes them: tabs between columns, \N for NULL, backslash escapes. */
const ROWS = [
  '1\tplain\t\\N',
  '2\ttab\\there and newline\\nthere\t{1,2,3}',
  '3\tback\\\\slash\t\\\\x00ff',
  '4\tcarriage\\r\\n return\t{"a": [1, null]}',
  '5\tünïcödé 日本語 🎉\t\\N',
  '',
  '6\t' + 'x'.repeat(5000) + '\tend',
];
const TEXT = `${ROWS.join('\n')}\n`;

describe('drctl-fp2 row sums', () => {
  it('give the same sum however the text is cut into chunks (mid-word, mid-character, at the newline)', () => {
    const whole = digestOf(TEXT);
    expect(whole.rows).toBe(ROWS.length);
    const bytes = Buffer.from(TEXT, 'utf8');
    for (let cut = 0; cut <= bytes.length; cut += cut < 200 ? 1 : 97) expect(digestOf(bytes, [cut])).toEqual(whole);
    // Every byte a chunk of its own.
    expect(
      digestOf(
        bytes,
        Array.from({ length: bytes.length }, (_, i) => i),
      ),
    ).toEqual(whole);
    let seed = 7;
    for (let round = 0; round < 50; round++) {
      const cuts: number[] = [];
      for (let at = 0; at < bytes.length;) {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        at += 1 + (seed % 300);
        if (at < bytes.length) cuts.push(at);
      }
      expect(digestOf(bytes, cuts)).toEqual(whole);
    }
  });

  it('give the same sum for lines of every length up to 17 bytes, whole in a chunk or cut anywhere (both ways of mixing the words)', () => {
    const lines = Array.from({ length: 18 }, (_, n) =>
      Array.from({ length: n }, (_, i) => String.fromCharCode(97 + ((n * 7 + i) % 26))).join(''),
    );
    const bytes = Buffer.from(`${lines.join('\n')}\n`);
    const whole = digestOf(bytes);
    expect(whole.rows).toBe(18);
    for (let cut = 0; cut <= bytes.length; cut++) expect(digestOf(bytes, [cut]), `cut at ${cut}`).toEqual(whole);
  });

  it('do not depend on the order of the rows; a duplicate row counts twice; one changed byte changes the sum', () => {
    const whole = digestOf(TEXT);
    expect(digestOf(`${[...ROWS].reverse().join('\n')}\n`)).toEqual(whole);
    const once = digestOf('same\nother\n');
    const twice = digestOf('same\nsame\nother\n');
    expect(twice.rows).toBe(3);
    expect(twice.sha256).not.toBe(once.sha256);
    // A pair of identical rows does not cancel out (as an XOR would): two rows are not zero rows of content.
    expect(digestOf('same\nsame\n').sha256).not.toBe(digestOf('').sha256);
    const bytes = Buffer.from(TEXT, 'utf8');
    const seen = new Set([whole.sha256]);
    for (let i = 0; i < bytes.length; i += 13) {
      if (bytes[i] === 0x0a) continue;
      const changed = Buffer.from(bytes);
      changed[i] = changed[i]! ^ 0x01;
      const digest = digestOf(changed);
      expect(digest.rows).toBe(whole.rows);
      expect(seen.has(digest.sha256)).toBe(false);
      seen.add(digest.sha256);
    }
    // NULL and the empty string, and a trailing tab, are different rows.
    expect(new Set([digestOf('1\t\\N\n').sha256, digestOf('1\t\n').sha256, digestOf('1\n').sha256]).size).toBe(3);
  });

  it('are the function drctl-fp2 names: a fixed text has a fixed digest (manifests stay comparable across versions)', () => {
    expect(digestOf('')).toEqual({ rows: 0, sha256: '2569204c54d09469c15b13f656a6895aab590e374c78bf40c08b073a4c36e866' });
    expect(digestOf(TEXT).sha256).toBe('edaa5e4b35d51c01a7f53f9ffdef3965500319f7a0243b8f79957e454bea9c66');
  });

  it('hash a row of 256 MiB piece by piece, in bounded memory (no piece is kept)', () => {
    const piece = Buffer.alloc(256 * 1024, 'abcdefgh');
    const sum = new CopyTextSum();
    const before = process.memoryUsage().rss;
    // Each piece a fresh buffer, as a stream hands them over: one kept would keep its memory.
    for (let i = 0; i < 1024; i++) sum.write(Buffer.from(piece));
    sum.write(Buffer.from('\n'));
    expect(sum.sum.rows).toBe(1);
    expect(process.memoryUsage().rss - before).toBeLessThan(128 * 1024 * 1024);
  });
});

describe("a plain dump's data blocks", () => {
  it('reads the COPY header pg_dump writes: quoted names with dots, quotes and spaces, no column list', () => {
    expect(parseCopyHeader('COPY public.orders (id, placed_at, "Total", "a,b") FROM stdin;')).toEqual({
      schema: 'public',
      table: 'orders',
      columns: ['id', 'placed_at', 'Total', 'a,b'],
    });
    expect(parseCopyHeader('COPY "we.ird ""schema"""."t.a""b" ("x"")y", z) FROM stdin;')).toEqual({
      schema: 'we.ird "schema"',
      table: 't.a"b',
      columns: ['x")y', 'z'],
    });
    expect(parseCopyHeader('COPY public.nothing  FROM stdin;')).toEqual({ schema: 'public', table: 'nothing', columns: [] });
    expect(parseCopyHeader('COPY orders (id) FROM stdin;')).toBeUndefined();
    expect(parseCopyHeader('COPY public.orders (id) TO stdout;')).toBeUndefined();
  });

  const dump = (blocks: string): string => `--
-- PostgreSQL database dump
--

SET client_encoding = 'UTF8';

CREATE FUNCTION public.f() RETURNS void LANGUAGE sql AS $$
COPY public.orders (id) FROM stdin;
$$;

${blocks}
--
-- PostgreSQL database dump complete
--

`;
  const block = (table: string, rows: string): string => `--
-- Data for Name: ${table}; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.${table} (id, note) FROM stdin;
${rows}\\.


`;

  it('sums each table from its block alone, however the dump is cut; a COPY line elsewhere (a function body) is not data', () => {
    const text = dump(block('orders', '1\tone\n2\t\\N\n') + block('empty', '') + block('notes', 'same\nsame\n'));
    const whole = new DumpFingerprinter();
    whole.write(Buffer.from(text));
    expect(whole.complete).toBe(true);
    const found = (fp: DumpFingerprinter) =>
      [...fp.tables.values()].map((t) => [`${t.schema}.${t.table}`, t.columns.join(','), t.sum.rows, rowSumDigest(t.sum)]);
    expect(found(whole)).toEqual([
      ['public.orders', 'id,note', 2, digestOf('2\t\\N\n1\tone\n').sha256],
      ['public.empty', 'id,note', 0, digestOf('').sha256],
      ['public.notes', 'id,note', 2, digestOf('same\nsame\n').sha256],
    ]);
    const bytes = Buffer.from(text);
    for (let size = 1; size < 40; size++) {
      const cut = new DumpFingerprinter();
      for (let i = 0; i < bytes.length; i += size) cut.write(bytes.subarray(i, i + size));
      expect(found(cut)).toEqual(found(whole));
      expect(cut.complete).toBe(true);
    }
  });

  it('a dump that stops inside a data block is not complete', () => {
    const fp = new DumpFingerprinter();
    fp.write(Buffer.from(dump(block('orders', '1\tone\n')).split('\\.')[0]!));
    expect(fp.complete).toBe(false);
  });
});
