import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { detectFormat } from '../../../src/actions/postgres/restore.js';
import { DumpGuard, DumpRefused } from '../../../src/actions/postgres/restore-guard.js';

const DUMP = `--
-- PostgreSQL database dump
--
SET statement_timeout = 0;
CREATE TABLE public.t (id integer, body text);
ALTER TABLE public.t OWNER TO someone;
COPY public.t (id, body) FROM stdin;
1\tone
2\t-- PostgreSQL database dump complete
3\t\\\\.
\\.
BEGIN;
SELECT pg_catalog.lo_open('16400', 131072);
COMMIT;
COPY public.empty (id) FROM stdin;
\\.
ALTER SCHEMA extra OWNER TO someone;
--
-- PostgreSQL database dump complete
--
`;

/** Run `text` through a guard in chunks of `size` bytes; what came out, or the error. */
async function guard(
  text: string,
  size: number,
  options: { stripOwner?: boolean; objection?: string } = {},
): Promise<{ out: string; error?: Error; guard: DumpGuard }> {
  const g = new DumpGuard({ prelude: 'BEGIN;\n', stripOwner: options.stripOwner ?? true, beforeCommit: () => options.objection });
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  const out: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      out.push(chunk);
      callback();
    },
  });
  try {
    await pipeline(Readable.from(chunks), g, sink);
    return { out: Buffer.concat(out).toString(), guard: g };
  } catch (error) {
    return { out: Buffer.concat(out).toString(), error: error as Error, guard: g };
  }
}

describe('the plain dump guard', () => {
  it('wraps a complete dump in BEGIN and COMMIT, counting tables and rows, whatever the chunk boundaries', async () => {
    for (const size of [1, 2, 3, 7, 64, 100_000]) {
      const { out, error, guard: g } = await guard(DUMP, size);
      expect(error, `chunks of ${size}`).toBeUndefined();
      expect(out.startsWith('BEGIN;\n--\n')).toBe(true);
      expect(out.endsWith('-- PostgreSQL database dump complete\n--\n\nCOMMIT;\n')).toBe(true);
      expect([g.tables, g.rows], `chunks of ${size}`).toEqual([2, 3]);
      // COPY data passes untouched; the lone BEGIN and COMMIT around large objects and the owners go.
      expect(out).toContain('2\t-- PostgreSQL database dump complete\n3\t\\\\.\n\\.\n');
      expect(out).not.toContain('OWNER TO');
      expect(out.match(/^(BEGIN|COMMIT);$/gm)).toEqual(['BEGIN;', 'COMMIT;']);
      expect(out).toContain("SELECT pg_catalog.lo_open('16400', 131072);");
    }
  });

  it("finds a transaction end of the dump's own, but not PL/pgSQL's END; in a function body nor the COMMIT; of pg_dump's lone BEGIN;", async () => {
    const fn = `CREATE FUNCTION public.tick() RETURNS trigger
    LANGUAGE plpgsql
    AS $_$
BEGIN
  IF NEW.id > 0 THEN
    RETURN NEW;
  END IF;
END;
$_$;
`;
    const ownEnd = async (extra: string): Promise<string | undefined> => {
      const at = DUMP.indexOf('COPY ');
      return (await guard(`${DUMP.slice(0, at)}${extra}${DUMP.slice(at)}`, 5)).guard.ownEnd;
    };
    // What pg_dump writes: a function whose body ends with END;, and the lone BEGIN; ... COMMIT; of large objects.
    expect(await ownEnd(fn)).toBeUndefined();
    expect(await ownEnd(fn.replaceAll('$_$', () => '$$'))).toBeUndefined();
    // What it never writes: an end of its own, after a function body too, and inside its lone BEGIN; block.
    expect(await ownEnd(`${fn}END;\n`)).toBe('END;');
    expect(await ownEnd('  commit;\n')).toBe('commit;');
    expect(await ownEnd('BEGIN;\nCOMMIT WORK;\n')).toBe('COMMIT WORK;');
    expect(await ownEnd(`$$ a string $$;\nROLLBACK;\n`)).toBe('ROLLBACK;');
  });

  it('keeps the owners unless told to strip them', async () => {
    const { out } = await guard(DUMP, 50, { stripOwner: false });
    expect(out).toContain('ALTER TABLE public.t OWNER TO someone;\n');
    expect(out).toContain('ALTER SCHEMA extra OWNER TO someone;\n');
  });

  it('refuses, without COMMIT, a dump cut short anywhere, even right after a data line that reads like the last line', async () => {
    const end = DUMP.indexOf('\n-- PostgreSQL database dump complete\n--\n') + 1;
    for (let cut = 1; cut < end; cut += 3) {
      const { out, error } = await guard(DUMP.slice(0, cut), 5);
      expect(error, `cut at ${cut}`).toBeInstanceOf(DumpRefused);
      expect(error!.message).toMatch(/without pg_dump's "dump complete" line: it was cut short$/);
      expect(out).not.toMatch(/^COMMIT;$/m);
    }
  });

  it("refuses a complete dump when beforeCommit objects (the object's sha256)", async () => {
    const { out, error } = await guard(DUMP, 1000, { objection: 'sha256 mismatch' });
    expect(error).toBeInstanceOf(DumpRefused);
    expect(error!.message).toBe('sha256 mismatch');
    expect(out).not.toMatch(/^COMMIT;$/m);
  });
});

describe('telling a dump format by its first bytes', () => {
  it('knows gzip, custom, plain SQL and refuses the rest', () => {
    expect(detectFormat(Buffer.from([0x1f, 0x8b, 8, 0]))).toBe('plain-gzip');
    expect(detectFormat(Buffer.from('PGDMP\x01\x0e\x00'))).toBe('custom');
    expect(detectFormat(Buffer.from('--\n-- PostgreSQL database dump\n'))).toBe('plain');
    expect(detectFormat(Buffer.alloc(0))).toEqual({ problem: 'the backup is empty' });
    const tar = Buffer.alloc(512);
    tar.write('toc.dat');
    tar.write('ustar', 257);
    expect(detectFormat(tar)).toEqual({ problem: expect.stringContaining('a tar-format dump') });
    expect(detectFormat(Buffer.from([0x50, 0x4b, 3, 4, 0, 0]))).toEqual({ problem: expect.stringContaining('not a dump drctl knows') });
  });
});
