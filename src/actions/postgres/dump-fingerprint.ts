import type { RowSum } from './row-hash.js';
import { CopyTextSum } from './row-hash.js';

/**
 * The fingerprint of a plain pg_dump read as it streams past (`drctl-fp2`, see row-hash.ts): each
 * table's data block (`COPY schema.table (columns) FROM stdin;`, its rows, `\.`) summed line by
 * line, the rest of the dump skipped. Memory stays bounded whatever the rows' size: a data line is
 * hashed as its bytes arrive; only the SQL lines around the data are gathered, each to at most
 * {@link MAX_SQL_LINE} bytes.
 *
 * A data block is taken only where pg_dump puts one: a `COPY … FROM stdin;` line that follows its
 * `-- Data for Name: …; Type: TABLE DATA; …` comment (with only comments and blank lines between),
 * so a function body holding such a line is not read as data.
 */

/** A SQL line longer than this is no COPY header (1,600 columns of 63 bytes, quoted, fit): it is skipped. */
const MAX_SQL_LINE = 1024 * 1024;
const NEWLINE = 0x0a;

export interface DumpTable {
  schema: string;
  table: string;
  /** The columns pg_dump copied, in order (generated columns are not dumped). */
  columns: string[];
  sum: RowSum;
}

/** `"a""b"` or `plain`, from `text` at `pos`: the name and where it ends, or undefined. */
function identifier(text: string, pos: number): { name: string; end: number } | undefined {
  if (text[pos] === '"') {
    let name = '';
    let i = pos + 1;
    for (;;) {
      const close = text.indexOf('"', i);
      if (close === -1) return undefined;
      name += text.slice(i, close);
      if (text[close + 1] === '"') {
        name += '"';
        i = close + 2;
      } else return { name, end: close + 1 };
    }
  }
  const match = /^[^\s."(),]+/.exec(text.slice(pos, pos + 4096));
  return match ? { name: match[0], end: pos + match[0].length } : undefined;
}

/** `COPY schema.table (a, "b c") FROM stdin;` as pg_dump writes it, or undefined. */
export function parseCopyHeader(line: string): { schema: string; table: string; columns: string[] } | undefined {
  if (!line.startsWith('COPY ') || !line.endsWith(' FROM stdin;')) return undefined;
  const schema = identifier(line, 5);
  if (!schema || line[schema.end] !== '.') return undefined;
  const table = identifier(line, schema.end + 1);
  if (!table) return undefined;
  let pos = table.end;
  while (line[pos] === ' ') pos++;
  const columns: string[] = [];
  if (line[pos] === '(') {
    pos++;
    for (;;) {
      while (line[pos] === ' ') pos++;
      const column = identifier(line, pos);
      if (!column) return undefined;
      columns.push(column.name);
      pos = column.end;
      if (line[pos] === ',') pos++;
      else if (line[pos] === ')') {
        pos++;
        break;
      } else return undefined;
    }
  }
  return /^ *FROM stdin;$/.test(line.slice(pos)) ? { schema: schema.name, table: table.name, columns } : undefined;
}

export class DumpFingerprinter {
  /** Each table whose data block was read, by `schema\0table`. */
  readonly tables = new Map<string, DumpTable>();
  private data: CopyTextSum | undefined;
  private sqlLine: Buffer[] = [];
  private sqlLength = 0;
  /** The last SQL line was pg_dump's `-- Data for Name: …; Type: TABLE DATA` comment (comments and blank lines may follow). */
  private armed = false;
  /** Bytes of text outside the data blocks seen. */
  private ended = true;

  write(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.data) {
        const after = this.data.feed(chunk, pos);
        if (after === -1) return;
        this.data = undefined;
        pos = after;
        continue;
      }
      const nl = chunk.indexOf(NEWLINE, pos);
      const stop = nl === -1 ? chunk.length : nl;
      if (this.sqlLength < MAX_SQL_LINE && stop > pos) {
        const piece = chunk.subarray(pos, Math.min(stop, pos + MAX_SQL_LINE - this.sqlLength));
        // A copy: the chunk is handed on (to gzip) and must not be held.
        this.sqlLine.push(Buffer.from(piece));
        this.sqlLength += piece.length;
      }
      this.ended = false;
      if (nl === -1) return;
      this.endSqlLine();
      pos = nl + 1;
    }
  }

  private endSqlLine(): void {
    const truncated = this.sqlLength >= MAX_SQL_LINE;
    const line = truncated ? '' : Buffer.concat(this.sqlLine, this.sqlLength).toString('utf8');
    this.sqlLine = [];
    this.sqlLength = 0;
    this.ended = true;
    if (truncated) {
      this.armed = false;
      return;
    }
    if (line.startsWith('-- Data for Name: ') && line.includes('; Type: TABLE DATA;')) {
      this.armed = true;
      return;
    }
    if (this.armed && line.startsWith('COPY ')) {
      this.armed = false;
      const header = parseCopyHeader(line);
      if (!header) return;
      const key = `${header.schema}\u0000${header.table}`;
      let table = this.tables.get(key);
      if (!table) {
        table = { ...header, sum: { rows: 0, lo: 0, hi: 0 } };
        this.tables.set(key, table);
      }
      this.data = new CopyTextSum(table.sum);
      return;
    }
    if (line !== '' && !line.startsWith('--')) this.armed = false;
  }

  /** Whether the dump ended outside a data block, at the end of a line. */
  get complete(): boolean {
    return this.data === undefined && this.ended;
  }
}
